"""Phenotype model: the enrichment signal, Orphanet folding, disease-gene inference and curated links."""

import numpy as np
import pytest
from scipy.stats import hypergeom

from tailormed.io.phenopacket import hpo_ids_to_profile
from tailormed.kb.hpo import (
    DUPLICATE_MIN_PROFILE_OVERLAP,
    _infer_gene,
    curated_disease_genes,
    specific_name_words,
    subtype_marks,
)
from tailormed.kb.rare_preset import load_preset
from tailormed.model.common import Provenance
from tailormed.rare.engine import rank_case
from tailormed.rare.phenotype import _log_hypergeom_sf, enrichment_log10


def test_fast_hypergeometric_tail_equals_scipy() -> None:
    rng = np.random.default_rng(5)
    population, draws = 19000, 12
    successes = rng.integers(1, 600, size=400).astype(np.float64)
    k = np.minimum(rng.integers(0, 8, size=400), successes).astype(np.float64)
    ours = np.exp(_log_hypergeom_sf(k, population, successes, draws))
    reference = hypergeom.sf(k - 1, population, successes, draws)
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-300)
    assert ours[k == 0].max() == pytest.approx(1.0)  # P(X >= 0) is one


def test_enrichment_favours_a_disease_sharing_more_terms(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    marfan = hpo.disease_ids.index("OMIM:154700")
    columns = [hpo.index_of(n) for n in (1166, 1083, 2616)]  # arachnodactyly, ectopia lentis, aortic root dilatation
    signal = enrichment_log10([c for c in columns if c is not None], hpo)
    assert signal[marfan] > 3.0
    assert np.argsort(-signal).tolist().index(marfan) < 20
    assert enrichment_log10([], hpo).max() == 0.0


def test_orphanet_duplicates_are_folded_into_the_omim_entry(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    folded = hpo.orphanet_folded_into
    for orpha, omim_rows in folded.items():
        assert hpo.disease_ids[orpha].startswith("ORPHA:") and omim_rows
        words = specific_name_words(hpo.disease_names[orpha])
        same_genes = all(set(hpo.disease_genes[r]) == set(hpo.disease_genes[orpha])
                         or set(hpo.disease_genes[orpha]) < set(hpo.disease_genes[r])
                         and words <= specific_name_words(hpo.disease_names[r]) for r in omim_rows)
        same_name = all(hpo.disease_names[r].casefold() == hpo.disease_names[orpha].casefold()
                        and set(hpo.disease_genes[orpha]) <= set(hpo.disease_genes[r]) for r in omim_rows)
        assert hpo.disease_genes[orpha] and same_genes or same_name, hpo.disease_ids[orpha]
    profile = hpo_ids_to_profile(["HP:0001166", "HP:0001083", "HP:0002616"])
    provenance = Provenance(software="t", software_version="0", knowledge=[], created="2026-01-01T00:00:00Z")
    result = rank_case(profile, hpo, load_preset(None), source="t", provenance=provenance)
    ranked = {c.disease_id for c in result.diseases}
    assert not ranked & {hpo.disease_ids[o] for o in folded}
    marfan = next(c for c in result.diseases if c.disease_id == "OMIM:154700")
    assert marfan.rank <= 10
    assert marfan.folded_entries  # Orphanet entries of FBN1 alone, and ORPHA:558 "Marfan syndrome" (no gene in HPO)
    assert "ORPHA:558" in marfan.folded_entries
    duplicates = [e for e in marfan.folded_entries if hpo.disease_ids.index(e) in folded]
    assert "ORPHA:558" in duplicates
    assert all(hpo.disease_genes[hpo.disease_ids.index(e)] in (["FBN1"], []) for e in duplicates)
    # the rest are Orphanet groups spanning FBN1 and other genes, each with an OMIM entry (default preset)
    assert all(hpo.disease_ids.index(e) in hpo.orphanet_groups_into and "FBN1" in hpo.disease_genes[
        hpo.disease_ids.index(e)] for e in marfan.folded_entries if e not in duplicates)
    assert len(marfan.folded_names) == len(marfan.folded_entries)


def test_an_orphanet_entry_sharing_only_genes_is_folded_by_name_or_by_profile(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    folded = hpo.orphanet_folded_into

    def row(identifier: str) -> int:
        return hpo.disease_ids.index(identifier)

    for orpha, omim_rows in folded.items():
        if not hpo.disease_genes[orpha]:
            continue  # folded by exact name
        words = specific_name_words(hpo.disease_names[orpha])
        named = [words & specific_name_words(hpo.disease_names[r]) for r in omim_rows]
        if not any(named):
            assert len(omim_rows) == 1, hpo.disease_ids[orpha]  # the most similar one, not every entry of the gene
            assert hpo.profile_overlap(orpha, omim_rows[0]) >= DUPLICATE_MIN_PROFILE_OVERLAP
    # other diseases of the same gene stay ranked: a fetomaternal alloimmune nephropathy is no Charcot-Marie-Tooth
    # disease (MME), a sweat-gland tumour no cardiofaciocutaneous syndrome (BRAF)
    for kept in ("ORPHA:69063", "ORPHA:840"):
        assert row(kept) not in folded and row(kept) not in hpo.orphanet_groups_into, kept
    assert hpo.profile_overlap(row("ORPHA:69063"), row("OMIM:617017")) < DUPLICATE_MIN_PROFILE_OVERLAP
    # renamed ones are folded: CDKL5 deficiency disorder is developmental and epileptic encephalopathy 2
    assert folded[row("ORPHA:505652")] == [row("OMIM:300672")]
    # by name, under the entry of that name, also when OMIM links more genes; not under every entry of the gene
    assert folded[row("ORPHA:282166")] == [row("OMIM:123400")]  # inherited CJD: PRNP; OMIM adds HLA-DQB1
    assert folded[row("ORPHA:93259")] == [row("OMIM:101600")]  # Pfeiffer syndrome type 2 under Pfeiffer syndrome
    # a subtype letter tells brachydactyly type C from type A2
    assert subtype_marks("Brachydactyly type C") == {"c"}
    assert row("OMIM:112600") not in folded.get(row("ORPHA:93384"), [])  # type C (BMPR1B, GDF5) vs A2
    # a second review's cases: subtype marks across roman and arabic numerals; ties on a shared word settled by the
    # annotations; a namesake OMIM entry or none; a weak name match needs the annotations too; no "-" gene
    assert folded[row("ORPHA:1860")] == [row("OMIM:187600")]  # thanatophoric dysplasia type 1: type I, not II
    assert folded[row("ORPHA:908")] == [row("OMIM:300624")]  # fragile X syndrome, not also FXTAS
    assert row("OMIM:613985") in folded[row("ORPHA:231214")]  # beta-thalassaemia major under BETA-THALASSEMIA
    assert not any("-" in genes for genes in hpo.disease_genes)
    for kept in ("ORPHA:190", "ORPHA:1059", "ORPHA:2084"):  # Coats disease is not Norrie disease (NDP); blue
        # rubber bleb nevus not multiple cutaneous venous malformations (TEK); GEMSS not familial ectopia lentis
        assert row(kept) not in folded and row(kept) not in hpo.orphanet_groups_into, kept
    assert folded[row("ORPHA:391487")] == [row("OMIM:614162")]  # STAT1 gain of function, not its loss (IMD31A)
    marfan = row("OMIM:154700")
    assert hpo.profile_overlap(marfan, marfan) == pytest.approx(1.0)
    assert hpo.profile_overlap(marfan, row("ORPHA:505652")) == pytest.approx(
        hpo.profile_overlap(row("ORPHA:505652"), marfan))


def test_an_orphanet_group_of_omim_subtypes_is_listed_under_them(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    groups = hpo.orphanet_groups_into
    omim_genes = {g for i, genes in zip(hpo.disease_ids, hpo.disease_genes, strict=True) if i.startswith("OMIM:")
                  for g in genes}
    for orpha, omim_rows in groups.items():
        genes = set(hpo.disease_genes[orpha])
        assert genes and genes <= omim_genes and orpha not in hpo.orphanet_folded_into
        assert all(hpo.disease_ids[r].startswith("OMIM:") and genes & set(hpo.disease_genes[r]) for r in omim_rows)
    for orpha, omim_rows in groups.items():  # each target is a named subtype, and every gene has one
        words = specific_name_words(hpo.disease_names[orpha])
        assert all(words & specific_name_words(hpo.disease_names[r]) for r in omim_rows)
    xp = hpo.disease_ids.index("ORPHA:910")  # Xeroderma pigmentosum: seven genes, each with OMIM subtypes
    assert xp in groups
    assert all("xeroderma" in hpo.disease_names[r].casefold() for r in groups[xp])
    # Entries that only share genes with other diseases stay ranked: a COL1A1-PDGFB fusion tumour is no form of
    # osteogenesis imperfecta, a 15q11q13 microduplication no Angelman syndrome, VKH disease no lupus
    for kept in ("ORPHA:31112", "ORPHA:238446", "ORPHA:3437"):
        assert hpo.disease_ids.index(kept) not in groups, kept
    # A patient with XP's skin findings: the Orphanet group comes first unless folded, then its OMIM subtypes lead
    profile = hpo_ids_to_profile(["HP:0000992", "HP:0001480", "HP:0012733", "HP:0002861"])
    provenance = Provenance(software="t", software_version="0", knowledge=[], created="2026-01-01T00:00:00Z")
    preset = load_preset(None)
    apart, folded = (preset.model_copy(update={"steps": [
        s.model_copy(update={"parameters": {**s.parameters, "fold_orphanet_groups": fold}})
        if s.step == "phenotype_prioritiser" else s for s in preset.steps]}) for fold in (False, True))
    before = rank_case(profile, hpo, apart, source="t", provenance=provenance)
    after = rank_case(profile, hpo, folded, source="t", provenance=provenance)
    assert before.diseases[0].disease_id == "ORPHA:910"
    assert "ORPHA:910" not in {c.disease_id for c in after.diseases}
    assert after.diseases[0].disease_id.startswith("OMIM:") and "ORPHA:910" in after.diseases[0].folded_entries
    assert "xeroderma pigmentosum" in after.diseases[0].disease_name.casefold()
    assert "ORPHA:910" in after.diseases[0].folded_groups
    # Copy-number gains are never folded under gene-level entries of the opposite dosage: 17p11.2 microduplication
    # (Potocki-Lupski) has Smith-Magenis syndrome's gene; 5q35 microduplication has no OMIM entry of its own
    for cnv in ("ORPHA:1713", "ORPHA:228415", "ORPHA:1727"):
        row = hpo.disease_ids.index(cnv)
        assert row not in hpo.orphanet_folded_into and row not in groups, cnv
    # Gene-less Orphanet entries stay ranked: no OMIM entry stands for them
    assert not any(hpo.disease_ids[o].startswith("ORPHA:") and not hpo.disease_genes[o] for o in groups)


def test_an_orphanet_entry_with_a_gene_the_omim_entry_lacks_is_not_folded_by_name(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    hpo = hpo_knowledge
    folded = hpo.orphanet_folded_into
    omim_by_name: dict[str, list[int]] = {}
    for row, identifier in enumerate(hpo.disease_ids):
        if identifier.startswith("OMIM:"):
            omim_by_name.setdefault(hpo.disease_names[row].casefold(), []).append(row)
    kept_apart = [row for row, identifier in enumerate(hpo.disease_ids)
                  if identifier.startswith("ORPHA:") and row not in folded
                  and hpo.disease_names[row].casefold() in omim_by_name]
    assert kept_apart  # same name, but the Orphanet entry names a gene the OMIM entry does not
    for row in kept_apart:
        assert all(not set(hpo.disease_genes[row]) <= set(hpo.disease_genes[r])
                   for r in omim_by_name[hpo.disease_names[row].casefold()])


def test_gene_inference_needs_a_term_the_gene_owes_to_the_new_disease() -> None:
    gene_terms = {"BIG": {1, 2, 3, 4, 5, 6}, "NEW": {1, 2, 3, 4, 5, 6, 7}}
    disease_terms = {"OMIM:1": {1, 2, 3, 4, 5, 6}, "OMIM:2": {1, 2, 3, 4, 5, 6, 7}}
    links = {"BIG": {"OMIM:1"}, "NEW": {"OMIM:2"}}
    # the new disease's terms all lie inside BIG's set, but BIG's own disease explains every one of them
    assert _infer_gene("OMIM:9", {2, 3}, gene_terms, disease_terms | {"OMIM:9": {2, 3}}, links) is None
    gene_terms["NEW"].add(8)
    disease_terms["OMIM:9"] = {2, 8}
    assert _infer_gene("OMIM:9", {2, 8}, gene_terms, disease_terms, links) == "NEW"


def test_curated_links_cite_their_source_and_fix_omim_621160() -> None:
    assert curated_disease_genes()["OMIM:621160"] == ["GRWD1"]


def test_compiled_knowledge_links_omim_621160_to_grwd1(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    row = hpo_knowledge.disease_ids.index("OMIM:621160")
    if "curated_links" not in hpo_knowledge.sources:
        pytest.skip("compiled before curated links existed; `tailormed kb import hpo` rebuilds it")
    assert hpo_knowledge.disease_genes[row] == ["GRWD1"]
    assert not hpo_knowledge.gene_inferred[row]
