"""The fitted phenotype ranker: its features, the rank fusion, the default preset's weights and the fitting script."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tailormed.io.phenopacket import hpo_ids_to_profile
from tailormed.kb.rare_preset import load_preset
from tailormed.model.common import Provenance
from tailormed.model.rare import PhenotypeSettings
from tailormed.rare.engine import rank_case
from tailormed.rare.phenotype import (
    RANK_CAP,
    RANKER_FEATURES,
    ResolvedTerms,
    capped_log_rank,
    ranker_features,
    score_phenotype,
)

REPO = Path(__file__).resolve().parents[2]
MARFAN_TERMS = (1166, 1083, 2616)  # arachnodactyly, ectopia lentis, aortic root dilatation


def _columns(hpo, numbers):  # type: ignore[no-untyped-def]
    return [c for c in (hpo.index_of(n) for n in numbers) if c is not None]


def test_without_weights_the_ratio_alone_ranks(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    settings = PhenotypeSettings()
    scores = score_phenotype(ResolvedTerms(present=_columns(hpo, MARFAN_TERMS)), hpo, settings)
    assert scores.adjustment is None
    assert np.array_equal(scores.ranking_log10, scores.total_log10_lr)


def test_capped_log_rank_orders_ranked_diseases_and_breaks_ties_by_id(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    rng = np.random.default_rng(3)
    score = rng.normal(size=hpo.n_diseases)
    best, second = np.argsort(-score)[:2]
    mask = np.ones(hpo.n_diseases, dtype=bool)
    mask[best] = False  # not ranked: the next one is first
    ranks = capped_log_rank(score, mask, hpo)
    assert ranks[second] == 0.0
    assert ranks[best] == pytest.approx(math.log10(RANK_CAP))
    assert ranks.max() == pytest.approx(math.log10(RANK_CAP))
    assert (ranks < math.log10(RANK_CAP)).sum() == RANK_CAP - 1
    tied = np.zeros(hpo.n_diseases)  # all equal: the smallest disease id comes first
    first_id = min(range(hpo.n_diseases), key=lambda i: hpo.disease_ids[i])
    assert capped_log_rank(tied, np.ones(hpo.n_diseases, dtype=bool), hpo)[first_id] == 0.0


def test_features_follow_their_definitions(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    present = _columns(hpo, MARFAN_TERMS)
    settings = PhenotypeSettings()
    resolved = ResolvedTerms(present=present)
    scores = score_phenotype(resolved, hpo, settings)
    features = ranker_features(resolved, scores, hpo, settings)
    assert set(features) >= set(RANKER_FEATURES)
    marfan = hpo.disease_ids.index("OMIM:154700")
    shares = (hpo.closure[:, present] > 0).toarray().mean(axis=1)
    np.testing.assert_allclose(features["matched_share"], shares)
    assert features["matched_share"][marfan] == 1.0
    assert features["unrelated_share"][marfan] == 0.0
    assert np.all((features["frequent_coverage"] >= 0) & (features["frequent_coverage"] <= 1))
    assert features["frequent_coverage"][marfan] > 0
    assert features["gene_known"][marfan] == 1.0
    assert features["lr_rank"][int(np.argmax(scores.total_log10_lr))] == 0.0
    # Resnik halves: Marfan shares each patient term exactly, so its patient half is the mean IC of the terms,
    # the largest any disease can have
    assert features["resnik_patient"][marfan] == pytest.approx(features["resnik_patient"].max())
    only = ranker_features(resolved, scores, hpo, settings, needed=frozenset({"lr_rank"}))
    assert "resnik_patient" not in only and "frequent_coverage" not in only


def test_default_preset_uses_the_ranker_and_keeps_explanations(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    preset = load_preset()
    settings = preset.phenotype_settings()
    assert any(getattr(settings, name) for name in RANKER_FEATURES.values())
    # an excluded finding is never evidence for a disease (benchmarks/README.md, fourth round: a curation artefact)
    assert settings.excluded_annotated_weight == 0.0
    profile = hpo_ids_to_profile([f"HP:{n:07d}" for n in MARFAN_TERMS], case_id="marfan")
    provenance = Provenance(software="t", software_version="0", knowledge=[], created="2026-01-01T00:00:00Z")
    result = rank_case(profile, hpo, preset, source="test", provenance=provenance)
    # Marfan syndrome among the first three (Marfan lipodystrophy syndrome, also FBN1, shares the three findings)
    marfan = next(d for d in result.diseases[:3] if d.disease_id == "OMIM:154700")
    assert result.genes[0].gene == "FBN1"
    assert {t.term for t in marfan.supporting_terms} == {f"HP:{n:07d}" for n in MARFAN_TERMS}
    assert marfan.phenotype_lr > 1.0
    assert sum(d.posttest_probability for d in result.diseases) <= 1.0 + 1e-9
    assert [d.score for d in result.diseases] == sorted((d.score for d in result.diseases), reverse=True)
    # with a VCF the likelihood ratio alone is the phenotype part (ranker_with_variants is off by default)
    assert settings.ranker_with_variants is False


def test_fitting_recovers_a_planted_signal(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import rare_fit_ranker

    names = ["log10_lr", *RANKER_FEATURES]
    # the diagnosis stands out on one feature only
    cache = _planted_cache(tmp_path, names, np.random.default_rng(11), cases=300, candidates=30,
                           planted=names.index("matched_share"), shift=2.5, groups=40)
    cases = rare_fit_ranker.Cases(cache, names)
    weights = rare_fit_ranker.fit_weights(cases, list(range(240)), l2=0.001)
    planted = names.index("matched_share")
    assert weights[planted] > 1.0
    assert np.all(np.abs(np.delete(weights, planted)) < 0.3 * weights[planted])
    ranks = rare_fit_ranker.ranks_with(cases, list(range(240, 300)), weights)
    assert sum(1 for r in ranks.values() if r == 1) / len(ranks) > 0.6  # chance is 1/30


def test_with_a_vcf_the_phenotype_part_of_a_gene_is_the_likelihood_ratio(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    from tailormed.io.phenopacket import read_phenotype_document
    from tailormed.pipelines.rare import RareContext, rank_one

    demo = REPO / "examples" / "demo-patient"
    context = RareContext.load()
    profile, _ = read_phenotype_document(demo / "phenopacket.json")
    result = rank_one(context, profile, source="demo", vcf=demo / "demo-exome.vep.vcf")
    top = result.genes[0]
    best = next(d for d in result.diseases if d.disease_id == top.best_disease_id)
    assert top.phenotype_score == pytest.approx(math.log10(best.phenotype_lr), abs=1e-3)
    phenotype_only = rank_one(_with_settings(context, 100_000), profile, source="demo")
    same = next(d for d in phenotype_only.diseases if d.disease_id == top.best_disease_id)
    assert same.score != pytest.approx(math.log10(same.phenotype_lr), abs=1e-3)  # the ranker's score there
    # the result and its page say which score they carry, so a ranker score is never labelled a log10 LR
    from tailormed.report.rare import render_rare_html

    assert result.score_basis == "likelihood_ratio_split_by_ranker" and phenotype_only.score_basis == "fitted_ranker"
    assert ">Ranker score<" in render_rare_html(phenotype_only) and ">Ranker score<" not in render_rare_html(result)
    assert ">log10 LR<" not in render_rare_html(result) and ">Score (log10)<" in render_rare_html(result)


def _with_settings(context, top: int, **phenotype):  # type: ignore[no-untyped-def]
    """The same context with more candidates written (model_copy skips the 10,000 bound) and the preset's phenotype
    parameters changed."""
    from dataclasses import replace

    steps = [step.model_copy(update={"parameters": {**step.parameters, **phenotype}})
             if step.step == "phenotype_prioritiser" else step for step in context.preset.steps]
    output = context.preset.output.model_copy(update={"top": top})
    return replace(context, preset=context.preset.model_copy(update={"steps": steps, "output": output}))


def test_with_a_vcf_the_ranker_orders_the_diseases_of_one_gene(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    """The demo's FBN1 frameshift fits Marfan syndrome and Marfan lipodystrophy syndrome alike; the likelihood ratio
    alone put the lipodystrophy first (it does not count the hallmark findings the patient lacks), the ranker puts
    Marfan syndrome first, as it does phenotype-only. Genes, their scores and the other diseases' post-test
    probabilities stay as the composite ratio gives them, and a disease listed above another never shows less."""
    from tailormed.io.phenopacket import read_phenotype_document
    from tailormed.pipelines.rare import RareContext, rank_one

    demo = REPO / "examples" / "demo-patient"
    context = RareContext.load()
    profile, _ = read_phenotype_document(demo / "phenopacket.json")
    vcf = demo / "demo-exome.vep.vcf"
    result = rank_one(_with_settings(context, 100_000), profile, source="demo", vcf=vcf)
    ratio_only = rank_one(_with_settings(context, 100_000, ranker_within_gene=False), profile, source="demo", vcf=vcf)
    assert ratio_only.score_basis == "likelihood_ratio"

    def rank(r, disease):  # type: ignore[no-untyped-def]
        return next(c.rank for c in r.diseases if c.disease_id == disease)

    marfan, lipodystrophy = "OMIM:154700", "OMIM:616914"
    assert rank(ratio_only, lipodystrophy) < rank(ratio_only, marfan)  # the bug, reproduced with the switch off
    assert rank(result, marfan) == 1 and rank(result, marfan) < rank(result, lipodystrophy)
    # the gene ranking is unchanged (probabilities to rounding: the split changes the order of a float sum)
    expected = [{**g.model_dump(), "posttest_probability": pytest.approx(g.posttest_probability)}
                for g in ratio_only.genes]
    assert [g.model_dump() for g in result.genes] == expected
    probabilities = [c.posttest_probability for c in result.diseases]
    assert probabilities == sorted(probabilities, reverse=True)
    assert [c.score for c in result.diseases] == sorted((c.score for c in result.diseases), reverse=True)
    # the FBN1 diseases with the frameshift's fit share the weight they had, split by the ranker's softmax
    fbn1 = [c for c in result.diseases if c.gene == "FBN1"]
    before = {c.disease_id: c for c in ratio_only.diseases if c.gene == "FBN1"}
    assert {c.disease_id for c in fbn1} == set(before) and len(fbn1) >= 3
    assert sum(c.posttest_probability for c in fbn1) == pytest.approx(
        sum(c.posttest_probability for c in before.values()), rel=1e-6)
    for c in fbn1:  # the per-term evidence shown stays the likelihood ratios
        assert c.phenotype_lr == pytest.approx(before[c.disease_id].phenotype_lr)
        assert c.genotype_lr == pytest.approx(before[c.disease_id].genotype_lr)
    # every group (gene, genotype ratio) keeps its summed probability; diseases without a qualifying allele keep theirs
    def groups(r):  # type: ignore[no-untyped-def]
        sums: dict[tuple[str | None, float], float] = {}
        for c in r.diseases:
            key = (c.gene, round(c.genotype_lr, 9)) if c.variants else (c.disease_id, 0.0)
            sums[key] = sums.get(key, 0.0) + c.posttest_probability
        return sums

    split, kept = groups(result), groups(ratio_only)
    assert split.keys() == kept.keys() and sum(1 for key in kept if key[1]) >= 3
    for key in kept:
        assert split[key] == pytest.approx(kept[key], rel=1e-6, abs=1e-300)
    phenotype_only = rank_one(_with_settings(context, 100_000), profile, source="demo")
    by_ranker = [c.disease_id for c in phenotype_only.diseases if c.disease_id in before]
    assert [c.disease_id for c in fbn1][:len(by_ranker)] == by_ranker  # the ranker's own order within the gene
    # the gene table names the disease the gene is scored on (highest ratio) and, where it differs, the one listed first
    from tailormed.report.rare import render_rare_html

    gene = next(g for g in result.genes if g.gene == "FBN1")
    assert gene.best_disease_id == lipodystrophy
    assert f"listed first: #1 Marfan syndrome ({marfan})" in render_rare_html(result)


def test_fourth_round_features_follow_their_definitions(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    from tailormed.rare.phenotype import gene_best

    hpo = hpo_knowledge
    present = _columns(hpo, MARFAN_TERMS)
    excluded = _columns(hpo, (1250,))  # seizure, checked and absent
    settings = PhenotypeSettings()
    resolved = ResolvedTerms(present=present, excluded=excluded, onset="HP:0003577")  # congenital onset
    scores = score_phenotype(resolved, hpo, settings)
    mask = np.ones(hpo.n_diseases, dtype=bool)
    mask[::7] = False  # some diseases not ranked
    features = ranker_features(resolved, scores, hpo, settings, mask)
    marfan = hpo.disease_ids.index("OMIM:154700")
    frequency = hpo.closure[:, present].toarray()
    np.testing.assert_allclose(features["matched_frequency"], frequency.mean(axis=1))
    assert features["ic_matched_share"][marfan] == pytest.approx(1.0)
    assert np.all((features["ic_matched_share"] >= 0) & (features["ic_matched_share"] <= 1 + 1e-12))
    # a disease matching no term has share 0; one matching some has a share between 0 and 1
    partial = int(np.nonzero((frequency > 0).sum(axis=1) == 1)[0][0])
    assert 0 < features["ic_matched_share"][partial] < 1
    np.testing.assert_array_equal(features["excluded_annotated"],
                                  (hpo.closure[:, excluded].toarray() > 0).sum(axis=1).astype(float))
    np.testing.assert_array_equal(features["onset_log10_lr"], scores.term_log10_lr[-1])
    # gene-level view, checked against a plain loop over a few diseases
    lr_rank = features["lr_rank"]
    for row in [marfan, *np.nonzero(features["gene_known"])[0][:40:7]]:
        sharing = {d for g in hpo.disease_genes[row] for d in hpo.diseases_of_gene(g)}
        ranked = [d for d in sharing if mask[d]]
        expected = min([lr_rank[row], *(lr_rank[d] for d in ranked)])
        assert features["gene_best_rank"][row] == pytest.approx(expected)
        assert features["gene_diseases"][row] == pytest.approx(math.log10(1 + len(ranked)))
    geneless = int(np.nonzero(features["gene_known"] == 0)[0][0])
    assert features["gene_best_rank"][geneless] == lr_rank[geneless]
    assert features["gene_diseases"][geneless] == 0.0
    assert np.all(gene_best(features["enrichment_rank"], mask, hpo) <= features["enrichment_rank"] + 1e-12)
    without = ranker_features(ResolvedTerms(present=present), score_phenotype(ResolvedTerms(present=present), hpo,
                                                                                settings), hpo, settings, mask)
    assert not without["onset_log10_lr"].any() and not without["excluded_annotated"].any()


def _planted_cache(tmp_path: Path, names: list[str], rng: np.random.Generator, *, cases: int = 60,
                   candidates: int = 25, planted: int = 1, shift: float = 1.5, groups: int | None = None) -> Path:
    """A rare_fit_ranker cache of random cases whose diagnosis stands out by ``shift`` on feature ``planted``
    (cases grouped ``g{case % groups}``, or one group per case)."""
    blocks, labels, ids, meta, offsets = [], [], [], [], [0]
    for case in range(cases):
        n = candidates
        x = rng.normal(size=(n, len(names)))
        label = int(rng.integers(n))
        x[label, planted] += shift
        blocks.append(x)
        labels.append(label)
        ids.append(rng.permutation(n))
        offsets.append(offsets[-1] + n)
        meta.append({"case": f"c{case}", "group": f"g{case % groups if groups else case}", "fold5": case % 5,
                     "stratum": "independent", "nf1": False, "today": 1, "baseline": 1, "terms": 3})
    cache = tmp_path / "cache.npz"
    np.savez_compressed(cache, features=np.vstack(blocks), offsets=np.asarray(offsets), labels=np.asarray(labels),
                        ids=np.concatenate(ids), names=np.asarray(names), meta=np.asarray(json.dumps(meta)))
    return cache


def test_top_k_objective_gradient_matches_finite_differences(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import rare_fit_ranker

    names = ["log10_lr", "enrichment", "matched_share", "lr_rank_full", "enrichment_rank_full"]
    cases = rare_fit_ranker.Cases(_planted_cache(tmp_path, names, np.random.default_rng(5)), names[1:3])
    members = list(range(20))
    scale = np.ones(2)
    w = np.array([0.3, -0.2])
    for share in (1.0, 0.4, 0.0):
        objective = rare_fit_ranker.Objective(softmax=share, k=3.0, temperature=0.5)
        _, gradient = rare_fit_ranker._loss(w, cases, members, scale, 0.01, objective)
        for j in range(2):
            step = np.zeros(2)
            step[j] = 1e-6
            up, _ = rare_fit_ranker._loss(w + step, cases, members, scale, 0.01, objective)
            down, _ = rare_fit_ranker._loss(w - step, cases, members, scale, 0.01, objective)
            assert gradient[j] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-7)


def test_candidate_pool_keeps_the_best_by_either_signal(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import rare_fit_ranker

    names = ["log10_lr", "enrichment", "matched_share", "lr_rank_full", "enrichment_rank_full"]
    rng = np.random.default_rng(9)
    cache = _planted_cache(tmp_path, names, rng)
    data = dict(np.load(cache))
    # ranks 1..25 by each signal, as log10; the diagnosis of case 0 is last by both, so the pool drops it
    for i in range(60):
        a, b = data["offsets"][i], data["offsets"][i + 1]
        data["features"][a:b, 3] = np.log10(rng.permutation(b - a) + 1)
        data["features"][a:b, 4] = np.log10(rng.permutation(b - a) + 1)
    a = data["offsets"][0]
    data["features"][a + data["labels"][0], 3:5] = np.log10(25)
    np.savez_compressed(cache, **data)
    full = rare_fit_ranker.Cases(cache, ["matched_share"])
    pooled = rare_fit_ranker.Cases(cache, ["matched_share"], pool=10)
    assert pooled.labels[0] == -1
    for i in range(1, 60):
        fa, fb = full.offsets[i], full.offsets[i + 1]
        keep = (data["features"][fa:fb, 3] <= 1 + 1e-9) | (data["features"][fa:fb, 4] <= 1 + 1e-9)
        x, _ = pooled.block(i)
        np.testing.assert_array_equal(x[:, 0], full.x[fa:fb][keep, 0])
        label = full.labels[i]
        assert pooled.labels[i] == (int(keep[:label].sum()) if keep[label] else -1)


def test_stages_keep_the_rankers_top_n_and_subsets_keep_their_rows(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO / "benchmarks"))
    import rare_fit_ranker

    names = ["log10_lr", "enrichment", "matched_share", "lr_rank_full", "enrichment_rank_full"]
    cache = _planted_cache(tmp_path, names, np.random.default_rng(8))
    cases = rare_fit_ranker.Cases(cache, names[1:3])
    keep = np.random.default_rng(2).random(len(cases.x)) < 0.6
    sub = rare_fit_ranker._subset(cases, keep, cases.labels)
    for i in range(len(cases.meta)):
        x, ids = cases.block(i)
        kept = keep[cases.offsets[i]:cases.offsets[i + 1]]
        sub_x, sub_ids = sub.block(i)
        assert np.array_equal(sub_x, x[kept]) and np.array_equal(sub_ids, ids[kept])

    assert rare_fit_ranker.main(["stages", "--cache", str(cache), "--features", "enrichment,matched_share",
                                 "--fusion", "3:60", "--two-stage", "3"]) == 0
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        if "all dev cases (n=60)" in line:
            title, rest = line.split(":", 1)
            rows[title.split(",")[0]] = [float(v) for v in rest.split("(n=60)")[1].split("|")[0].split()]
    first = rows["ranker alone (out of fold)"]
    assert first[0] > 20.0  # the planted signal is found (chance is 4%)
    others = [v for k, v in rows.items() if k != "ranker alone (out of fold)"]
    assert len(others) == 2
    for figures in others:  # below the kept top 3 only: top-1 and top-3 are the ranker's
        assert figures[:2] == first[:2]
