"""Fit and judge the phenotype ranker: a few weights that adjust the log10 likelihood ratio with other signals.

    python benchmarks/rare_fit_ranker.py extract ../shared/data/rare/phenopackets-dev --hpo-data .data/hpo
        [--cache .data/bench/rare-ranker.npz] [--limit N] [--top 100] [--no-resnik]
    python benchmarks/rare_fit_ranker.py fit [--cache ...] [--folds 5] [--l2 0.01] [--features a,b,...]
        [--pool 100] [--cap 101] [--softmax-share 1 --k 10 --temperature 0.5] [--trees rounds=300,num_leaves=15,...]
    python benchmarks/rare_fit_ranker.py stages --features a,b,... [--pool 100] [--scores OOF.npz] [--fusion 3:60]
        [--two-stage 3,5] [--tail 150:151:OOF150.npz --tail-keep 3,5 --tail-recall 3]

**extract** scores every phenopacket with a diagnosis (phenotype only, the engine's own code: ``resolve_terms``,
``score_phenotype``, ``ranker_features``) and keeps, per case, the candidate diseases: the union of the ``--top``
best by our log10 likelihood ratio and by the enrichment ``-log10 p``, over the diseases the engine ranks (preset
databases, Orphanet duplicates folded). Per candidate it stores the log10 ratio and the features of
``tailormed.rare.phenotype.RANKER_FEATURES``; per case the rank of the diagnosis under today's model (all ranked
diseases, ties by id, as the engine orders them), under hpo3's enrichment baseline (``rare_strata``), the gene
folder, the annotation stratum and whether it is an NF1 case. The preset's ranker weights are ignored (the ratio is
the plain likelihood ratio).

**fit** trains a linear softmax (listwise) ranker over each case's candidates, ``score = sum w_k f_k`` (``log10_lr``
may be one of the features; ``--lr-weight`` adds a fixed, unfitted multiple of it) with an L2 penalty (scipy L-BFGS),
with gene-grouped cross-validation: cases fall into 5 folds by the crc32 of their gene folder
(``rare_strata.gene_fold``, the benchmark's ``--folds 5``), and each fold is scored by a model fitted on the others.
It prints OUT-OF-FOLD top-1/3/10 for every case, for fold 0 (the check fold) apart, for NF1 and non-NF1 cases, and
for the annotation strata, each beside today's model (the ratio alone) and the baseline on the same cases. A
diagnosis outside its case's candidates counts as a miss for the ranker. Finally it fits on every case and prints
the weights in log10 units (the softmax's natural-log weights / ln 10) as preset lines for the
phenotype_prioritiser step (the default preset's came from the command in benchmarks/README.md, fourth round).

Fourth-round options: ``--features`` also takes ``log:NAME`` and ``A*B`` columns; ``--pool K`` keeps the candidates
within the K best by either signal (from the uncapped ranks newer caches store; ``extract --top`` at least K) and
``--cap`` re-caps the rank features; ``--softmax-share`` mixes the softmax with a smoothed top-k loss (``Objective``);
``--trees`` fits LightGBM lambdarank instead (benchmark side only, not a project dependency: ``.venv/bin/pip install
'lightgbm>=4'``; trees did not beat the linear ranker, so nothing of them ships).

**stages** (fifth round) keeps the ranker's out-of-fold top N and re-orders only the positions below it, judged out
of fold on all cases and the annotation strata: ``--fusion M:c`` by reciprocal ranks with the enrichment order
(``1/(c + ranker rank) + 1/(c + enrichment rank)``, a fixed rule); ``--two-stage N`` by a second softmax fitted, per
outer fold on its training folds only, on the cases whose diagnosis that fold's ranker leaves outside its top N;
``--tail P:C:FILE`` by a ranker fitted on a larger pool (its out-of-fold scores stored by an earlier ``stages --pool P
--cap C --scores FILE``), and ``--tail-recall N`` by a recall model over that larger pool. Nothing of it ships.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, logsumexp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rare_strata import EnrichmentBaseline, annotation_stratum, case_pmids, gene_fold  # noqa: E402

from tailormed.errors import TailorMedError  # noqa: E402
from tailormed.io.phenopacket import phenopacket_to_profile  # noqa: E402
from tailormed.model.rare import PhenotypeSettings  # noqa: E402
from tailormed.pipelines.rare import RareContext  # noqa: E402
from tailormed.rare.engine import ranked_diseases  # noqa: E402
from tailormed.rare.phenotype import (  # noqa: E402
    RANK_CAP,
    RANKER_FEATURES,
    RANKER_PRODUCTS,
    capped_log_rank,
    ranker_features,
    resolve_terms,
    score_phenotype,
)

KS = (1, 3, 10)
FULL_RANKS = ["lr_rank_full", "enrichment_rank_full"]  # log10 ranks, uncapped (for --pool and --cap)
NAMES = ["log10_lr", *RANKER_FEATURES, *FULL_RANKS]
DEFAULT_CACHE = Path(".data/bench/rare-ranker.npz")
DERIVED = {"lr_rank": "log10_lr", "enrichment_rank": "enrichment"}  # derivable from an older cache


def _block_log_rank(score: npt.NDArray[np.float64], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """log10 of each candidate's rank by ``score`` (ties by id), capped at RANK_CAP: the same as the engine's rank
    among all ranked diseases, because every disease above a candidate's capped rank is a candidate itself."""
    order = np.lexsort((ids, -score))
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    return np.asarray(np.log10(np.minimum(ranks, RANK_CAP)), dtype=np.float64)


def _rank(score: npt.NDArray[np.float64], ids: npt.NDArray[np.int64], true: int) -> int:
    """1-based rank of row ``true`` with ties broken by ``ids`` (the engine's order)."""
    return int(1 + np.sum(score > score[true]) + np.sum((score == score[true]) & (ids < ids[true])))


def extract(args: argparse.Namespace) -> int:
    files = sorted(args.folder.rglob("*.json"))
    if args.limit:
        files = sorted(random.Random(args.seed).sample(files, min(args.limit, len(files))))
    context = RareContext.load(args.preset, args.hpo_data)
    hpo = context.hpo
    settings = PhenotypeSettings(**{k: v for k, v in vars(context.preset.phenotype_settings()).items()
                                    if k not in (*RANKER_FEATURES.values(), "lr_weight")})
    mask, _ = ranked_diseases(hpo, context.preset)
    order_ids = np.argsort(np.argsort(np.asarray(hpo.disease_ids)))  # rank of each id in string order
    baseline = EnrichmentBaseline({d: g for d, g in zip(hpo.disease_ids, hpo.disease_genes, strict=True)})
    needed = frozenset(RANKER_FEATURES) - ({"resnik_patient", "resnik_disease"} if args.no_resnik else set())
    zero = np.zeros(hpo.n_diseases)
    features, offsets, labels, ids = [], [0], [], []
    meta: list[dict[str, object]] = []
    started = time.perf_counter()
    for number, path in enumerate(files, start=1):
        document = json.loads(path.read_text(encoding="utf-8"))
        try:
            profile = phenopacket_to_profile(document, source=str(path))
        except TailorMedError:
            continue
        if not profile.known_diagnoses:
            continue
        disease = profile.known_diagnoses[0]
        observed = [t.id for t in profile.terms if not t.excluded]
        base_rank, _ = baseline.ranks(observed, disease, set())
        try:
            resolved = resolve_terms(profile.terms, hpo, source=str(path), settings=settings,
                                     coded_with=profile.hpo_version, onset=profile.onset)
        except TailorMedError:
            resolved = None
        row = hpo.disease_ids.index(disease) if disease in hpo.disease_ids else -1
        today = None
        label = -1
        if resolved is not None:
            scores = score_phenotype(resolved, hpo, settings)
            signals = ranker_features(resolved, scores, hpo, settings, mask, needed)
            lr = np.where(mask, scores.total_log10_lr, -np.inf)
            enrichment = np.where(mask, signals["enrichment"], -np.inf)
            candidates = np.union1d(np.argsort(-lr, kind="stable")[:args.top],
                                    np.argsort(-enrichment, kind="stable")[:args.top])
            candidates = candidates[mask[candidates]]
            if row >= 0 and mask[row]:
                today = _rank(lr, order_ids, row)
                hit = np.nonzero(candidates == row)[0]
                label = int(hit[0]) if len(hit) else -1
            full = [capped_log_rank(scores.total_log10_lr, mask, hpo, cap=10**9),
                    capped_log_rank(signals["enrichment"], mask, hpo, cap=10**9)]
            block = np.column_stack([scores.total_log10_lr[candidates]] +
                                    [signals.get(name, zero)[candidates] for name in RANKER_FEATURES] +
                                    [column[candidates] for column in full])
        else:
            candidates = np.zeros(0, dtype=np.int64)
            block = np.zeros((0, len(NAMES)))
        features.append(block.astype(np.float64))
        ids.append(order_ids[candidates])
        offsets.append(offsets[-1] + len(candidates))
        labels.append(label)
        meta.append({"case": path.name, "group": path.parent.name, "fold5": gene_fold(path, 5),
                     "stratum": annotation_stratum(disease, case_pmids(document), hpo.disease_references),
                     "nf1": path.parent.name.upper().startswith("NF1"), "today": today, "baseline": base_rank,
                     "terms": len(resolved.present) if resolved else 0})
        if number % 250 == 0:
            print(f"{number}/{len(files)} cases, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    partial = args.cache.with_suffix(".partial.npz")
    np.savez_compressed(partial, features=np.vstack(features), offsets=np.asarray(offsets),
                        labels=np.asarray(labels), ids=np.concatenate(ids), names=np.asarray(NAMES),
                        meta=np.asarray(json.dumps(meta)))
    partial.replace(args.cache)
    print(f"{len(meta)} cases, {offsets[-1]} candidates -> {args.cache} "
          f"({time.perf_counter() - started:.0f} s)")
    return 0


class Cases:
    """The extracted candidates, case by case.

    ``names`` may use derived columns: ``log:NAME`` (``log10(1 + NAME)``), ``A*B`` (a product of two columns) and,
    for caches without them, the capped rank features. ``pool`` keeps only the candidates within that many of the
    best by the ratio or by enrichment (caches extracted with ``--top`` at least that large); ``cap`` re-caps the rank
    features at that rank (from the uncapped ranks stored by newer caches).
    """

    def __init__(self, cache: Path, names: list[str], pool: int = 0, cap: int = 0) -> None:
        data = np.load(cache)
        stored = list(data["names"])
        raw_all = data["features"]
        offsets = data["offsets"]
        labels = data["labels"]
        ids = data["ids"]
        if pool:
            if "lr_rank_full" not in stored:
                raise SystemExit("--pool needs a cache with uncapped ranks (extract again)")
            keep = (raw_all[:, stored.index("lr_rank_full")] <= np.log10(pool) + 1e-9) | \
                (raw_all[:, stored.index("enrichment_rank_full")] <= np.log10(pool) + 1e-9)
            new_offsets, new_labels = [0], []
            for i in range(len(offsets) - 1):
                a, b = offsets[i], offsets[i + 1]
                kept = keep[a:b]
                label = int(labels[i])
                new_labels.append(int(np.sum(kept[:label])) if label >= 0 and kept[label] else -1)
                new_offsets.append(new_offsets[-1] + int(kept.sum()))
            raw_all, ids = raw_all[keep], ids[keep]
            offsets, labels = np.asarray(new_offsets), np.asarray(new_labels)
        raw_all = np.where(np.isfinite(raw_all), raw_all, -50.0)
        if cap:
            full = {"lr_rank": "lr_rank_full", "enrichment_rank": "enrichment_rank_full"}
            raw_all = raw_all.copy()
            for name, source in full.items():
                raw_all[:, stored.index(name)] = np.minimum(raw_all[:, stored.index(source)], np.log10(cap))

        def column(name: str) -> npt.NDArray[np.float64]:
            if name in RANKER_PRODUCTS and name not in stored:
                left, right = RANKER_PRODUCTS[name]
                return column(left) * column(right)
            if "*" in name:
                left, right = name.split("*", 1)
                return column(left) * column(right)
            if name.startswith("log:"):
                return np.asarray(np.log10(1.0 + np.maximum(column(name[4:]), 0.0)))
            if name in stored:
                return np.asarray(raw_all[:, stored.index(name)])
            derived = np.zeros(len(raw_all))
            source = raw_all[:, stored.index(DERIVED[name])]
            for i in range(len(offsets) - 1):
                a, b = offsets[i], offsets[i + 1]
                derived[a:b] = _block_log_rank(source[a:b], ids[a:b])
            return derived

        self.x = np.column_stack([column(n) for n in names]) if names else np.zeros((len(raw_all), 0))
        self.offsets = offsets
        self.labels = labels
        self.ids = ids
        self.meta = json.loads(str(data["meta"]))
        self.lr = np.asarray(raw_all[:, stored.index("log10_lr")])
        self.lr = np.where(self.lr <= -50.0, -300.0, self.lr)  # for a fixed --lr-weight (not fitted)
        self.fixed = 0.0

    def block(self, i: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        return self.x[self.offsets[i]:self.offsets[i + 1]], self.ids[self.offsets[i]:self.offsets[i + 1]]

    def offset(self, i: int) -> npt.NDArray[np.float64]:
        """The fixed part of each candidate's logit: ``--lr-weight`` x log10 LR, in natural-log units."""
        return np.asarray(self.fixed * np.log(10.0) * self.lr[self.offsets[i]:self.offsets[i + 1]])


@dataclass
class Objective:
    """What the linear fit minimises per case: ``softmax`` weight x the softmax cross-entropy of the diagnosis plus
    (1 - ``softmax``) x a smoothed top-k loss, ``softplus((ln R - ln k) / temperature)`` with ``R = 1 + sum_j
    sigmoid(s_j - s_diagnosis)`` the diagnosis's smoothed rank: flat for diagnoses well inside the top k and for
    hopeless ones far below it, steep around rank k (a LambdaLoss-style top-k surrogate)."""

    softmax: float = 1.0
    k: float = 10.0
    temperature: float = 0.5


def _loss(w: npt.NDArray[np.float64], cases: Cases, members: list[int], scale: npt.NDArray[np.float64],
          l2: float, objective: Objective) -> tuple[float, npt.NDArray[np.float64]]:
    """Mean loss of the diagnosis over each case's candidates (``objective``), plus L2, and its gradient."""
    total, gradient = 0.0, np.zeros_like(w)
    for i in members:
        x, _ = cases.block(i)
        x = x / scale
        logits = x @ w + cases.offset(i)
        label = cases.labels[i]
        if objective.softmax > 0:
            norm = logsumexp(logits)
            p = np.exp(logits - norm)
            total += objective.softmax * (norm - logits[label])
            gradient += objective.softmax * (p @ x - x[label])
        if objective.softmax < 1:
            sig = expit(logits - logits[label])
            sig[label] = 0.0
            rank = 1.0 + sig.sum()
            z = (np.log(rank) - np.log(objective.k)) / objective.temperature
            part = 1.0 - objective.softmax
            total += part * float(np.logaddexp(0.0, z))
            d_rank = float(expit(z)) / (objective.temperature * rank)
            weights = sig * (1.0 - sig)
            gradient += part * d_rank * (weights @ x - weights.sum() * x[label])
    n = max(len(members), 1)
    return total / n + l2 * float(w @ w), gradient / n + 2 * l2 * w


def fit_weights(cases: Cases, members: list[int], l2: float,
                objective: Objective | None = None) -> npt.NDArray[np.float64]:
    """Weights in the features' own units (the fit runs on features scaled by their spread); a top-k objective
    starts from the softmax solution."""
    trainable = [i for i in members if cases.labels[i] >= 0]
    rows = np.concatenate([np.arange(cases.offsets[i], cases.offsets[i + 1]) for i in trainable])
    scale = np.maximum(cases.x[rows].std(axis=0), 1e-6)
    start = np.zeros(cases.x.shape[1])
    result = minimize(_loss, start, args=(cases, trainable, scale, l2, Objective()), jac=True, method="L-BFGS-B")
    if objective is not None and objective.softmax < 1:
        result = minimize(_loss, result.x, args=(cases, trainable, scale, l2, objective), jac=True,
                          method="L-BFGS-B")
    return np.asarray(result.x / scale, dtype=np.float64)


def fit_trees(cases: Cases, members: list[int], params: dict[str, float | int]) -> Any:
    """A LightGBM lambdarank model over the same candidates (benchmark-side only; relevance 1 for the diagnosis)."""
    try:
        import lightgbm
    except ImportError as error:
        raise SystemExit(f"--trees needs LightGBM (.venv/bin/pip install 'lightgbm>=4'): {error}") from error

    trainable = [i for i in members if cases.labels[i] >= 0]
    rows = np.concatenate([np.arange(cases.offsets[i], cases.offsets[i + 1]) for i in trainable])
    relevance = np.zeros(len(cases.x))
    relevance[[cases.offsets[i] + cases.labels[i] for i in trainable]] = 1.0
    groups = [int(cases.offsets[i + 1] - cases.offsets[i]) for i in trainable]
    rounds = int(params.get("rounds", 300))
    settings = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [1, 3, 10], "verbosity": -1,
                "num_threads": 1, "deterministic": True, "seed": 1,
                **{k: v for k, v in params.items() if k != "rounds"}}
    data = lightgbm.Dataset(cases.x[rows], label=relevance[rows], group=groups)
    return lightgbm.train(settings, data, num_boost_round=rounds)


def ranks_with(cases: Cases, members: list[int], w: npt.NDArray[np.float64] | Any) -> dict[int, int | None]:
    """Rank of each case's diagnosis under weights ``w`` or a LightGBM model."""
    out: dict[int, int | None] = {}
    for i in members:
        if cases.labels[i] < 0:
            out[i] = None
            continue
        x, ids = cases.block(i)
        score = x @ w + cases.offset(i) if isinstance(w, np.ndarray) else np.asarray(w.predict(x), dtype=np.float64)
        out[i] = _rank(score, ids, int(cases.labels[i]))
    return out


def _line(ranks: list[int | None]) -> str:
    n = max(len(ranks), 1)
    return " ".join(f"{100.0 * sum(1 for r in ranks if r is not None and r <= k) / n:.1f}" for k in KS)


def fit(args: argparse.Namespace) -> int:
    names = args.features.split(",") if args.features else ["log10_lr", *RANKER_FEATURES]
    cases = Cases(args.cache, names, pool=args.pool, cap=args.cap)
    objective = Objective(softmax=args.softmax_share, k=args.k, temperature=args.temperature)
    trees = dict(_tree_param(p) for p in args.trees.split(",")) if args.trees else None
    cases.fixed = args.lr_weight
    everyone = list(range(len(cases.meta)))
    folds = [[i for i in everyone if cases.meta[i]["fold5"] % args.folds == k] for k in range(args.folds)] \
        if args.folds == 5 else None
    if folds is None:
        raise SystemExit("--folds: only 5 (the benchmark's gene folds) is stored per case")
    oof: dict[int, int | None] = {}
    per_fold = []
    for k in range(args.folds):
        training = [i for i in everyone if i not in set(folds[k])]
        if trees is not None:
            oof.update(ranks_with(cases, folds[k], fit_trees(cases, training, trees)))
            continue
        w = fit_weights(cases, training, args.l2, objective)
        per_fold.append(w / np.log(10.0))
        oof.update(ranks_with(cases, folds[k], w))
    strata = [
        ("all dev cases", everyone),
        ("check fold 0", folds[0]),
        ("tuning folds 1-4", [i for i in everyone if cases.meta[i]["fold5"] != 0]),
        ("NF1 cases", [i for i in everyone if cases.meta[i]["nf1"]]),
        ("non-NF1 cases", [i for i in everyone if not cases.meta[i]["nf1"]]),
        ("independent annotation", [i for i in everyone if cases.meta[i]["stratum"] == "independent"]),
        ("annotation cites the case's paper", [i for i in everyone if cases.meta[i]["stratum"] == "cites"]),
        ("non-NF1 check fold 0", [i for i in folds[0] if not cases.meta[i]["nf1"]]),
    ]
    model = f"lightgbm lambdarank {trees}" if trees is not None else \
        f"linear, l2 {args.l2}, objective {objective}, fixed lr_weight {args.lr_weight}"
    print(f"features: {', '.join(names)}; {model}; pool {args.pool or 'all'}; cap {args.cap or RANK_CAP}; "
          f"{args.folds} gene-grouped folds; out-of-fold figures")
    print("disease top1 top3 top10: ranker (out of fold) | today's model | hpo3 enrichment baseline")
    for label, members in strata:
        print(f"  {label} (n={len(members)}): {_line([oof[i] for i in members])} | "
              f"{_line([cases.meta[i]['today'] for i in members])} | "
              f"{_line([cases.meta[i]['baseline'] for i in members])}")
    if args.misses:
        args.misses.write_text("case\tgroup\tfold\tstratum\tranker\ttoday\tbaseline\n" + "".join(
            f"{m['case']}\t{m['group']}\t{m['fold5']}\t{m['stratum']}\t{oof[i]}\t{m['today']}\t{m['baseline']}\n"
            for i, m in enumerate(cases.meta)), encoding="utf-8")
    reachable = [i for i in everyone if cases.labels[i] >= 0]
    print(f"  reachable (diagnosis among the candidates; n={len(reachable)}): {_line([oof[i] for i in reachable])}")
    if trees is not None or args.no_final:
        return 0
    spread = np.std(np.vstack(per_fold), axis=0)
    final = fit_weights(cases, everyone, args.l2, objective) / np.log(10.0)
    print("weights per fold (log10 units):")
    for k, w in enumerate(per_fold):
        print(f"  fold {k}: " + " ".join(f"{n}={v:+.3f}" for n, v in zip(names, w, strict=True)))
    print("fitted on all cases, preset lines (phenotype_prioritiser step; weights in log10 units):")
    fields = {"log10_lr": "lr_weight", **RANKER_FEATURES}
    if "log10_lr" not in names:
        print(f"    lr_weight: {args.lr_weight}    # fixed")
    for name, value, sd in zip(names, final, spread, strict=True):
        print(f"    {fields[name]}: {value:.4f}    # fold spread {sd:.4f}")
    return 0


def _subset(cases: Cases, keep: npt.NDArray[np.bool_], labels: npt.NDArray[np.int64]) -> Cases:
    """A copy of ``cases`` with only the rows in ``keep`` (labels already re-indexed by the caller, -1 = not kept)."""
    out = Cases.__new__(Cases)
    out.offsets = np.concatenate([[0], np.cumsum(keep)])[cases.offsets]
    out.x, out.ids, out.lr = cases.x[keep], cases.ids[keep], cases.lr[keep]
    out.labels, out.meta, out.fixed = labels, cases.meta, cases.fixed
    return out


def _order_ranks(score: npt.NDArray[np.float64], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """1-based rank of every candidate by ``score`` (ties by id, the engine's order)."""
    order = np.lexsort((ids, -score))
    ranks = np.empty(len(score), dtype=np.int64)
    ranks[order] = np.arange(1, len(score) + 1)
    return ranks


def stages(args: argparse.Namespace) -> int:
    """Fifth round: re-order the ranker's list below its top N, out of fold (see ``--help``)."""
    names = args.features.split(",")
    cases = Cases(args.cache, [*names, *FULL_RANKS], pool=args.pool, cap=args.cap)
    full = cases.x[:, len(names):]
    cases.x = np.ascontiguousarray(cases.x[:, :len(names)])
    everyone = list(range(len(cases.meta)))
    folds = [[i for i in everyone if cases.meta[i]["fold5"] % 5 == k] for k in range(5)]
    fold_of = {i: k for k, members in enumerate(folds) for i in members}
    if args.scores and args.scores.exists():
        stored = np.load(args.scores)
        oof, weights = stored["oof"], list(stored["weights"])
        print(f"stage 1 (the ranker) loaded from {args.scores}")
    else:
        oof, weights = np.zeros(len(cases.x)), []
        for k in range(5):
            training = [i for i in everyone if fold_of[i] != k]
            w = fit_weights(cases, training, args.l2,
                            Objective(softmax=args.softmax_share, k=args.k, temperature=args.temperature))
            weights.append(w)
            for i in folds[k]:
                a, b = cases.offsets[i], cases.offsets[i + 1]
                oof[a:b] = cases.x[a:b] @ w
            print(f"stage 1 fold {k} fitted", file=sys.stderr)
        if args.scores:
            np.savez(args.scores, oof=oof, weights=np.vstack(weights))
    strata = [("all dev cases", everyone),
              ("independent annotation", [i for i in everyone if cases.meta[i]["stratum"] == "independent"]),
              ("annotation cites the case's paper", [i for i in everyone if cases.meta[i]["stratum"] == "cites"])]

    def report(title: str, ranks: dict[int, int | None]) -> None:
        print(f"{title}: " + " | ".join(f"{label} (n={len(m)}) {_line([ranks[i] for i in m])}"
                                        for label, m in strata), flush=True)

    def stage1_ranks(i: int, score: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        a, b = cases.offsets[i], cases.offsets[i + 1]
        return _order_ranks(score[a:b], cases.ids[a:b])

    first = {i: (int(stage1_ranks(i, oof)[cases.labels[i]]) if cases.labels[i] >= 0 else None) for i in everyone}
    report("ranker alone (out of fold)", first)
    print("  baseline on the same cases: " + " | ".join(
        f"{label} {_line([cases.meta[i]['baseline'] for i in m])}" for label, m in strata))

    # Rank fusion: the ranker's top M kept, the rest ordered by 1/(c + ranker rank) + 1/(c + enrichment rank).
    enrichment_rank = np.rint(10.0 ** full[:, 1]).astype(np.int64)
    for m_keep, c in [tuple(int(v) for v in spec.split(":")) for spec in args.fusion.split(",") if spec]:
        fused: dict[int, int | None] = {}
        for i in everyone:
            label = cases.labels[i]
            if label < 0:
                fused[i] = None
                continue
            a, b = cases.offsets[i], cases.offsets[i + 1]
            r1 = stage1_ranks(i, oof)
            if r1[label] <= m_keep:
                fused[i] = int(r1[label])
                continue
            rrf = 1.0 / (c + r1) + 1.0 / (c + enrichment_rank[a:b])
            rrf = np.where(r1 <= m_keep, np.inf, rrf)
            fused[i] = int(_order_ranks(rrf, cases.ids[a:b])[label])
        report(f"fusion: ranker top {m_keep} kept, then reciprocal ranks with enrichment (c = {c})", fused)

    # Two-stage: the ranker's top N kept; below it a second softmax, fitted (per outer fold, on the training folds
    # only) on the cases whose diagnosis the fold's stage-1 model leaves outside its top N, over the candidates
    # outside that top N.
    for n_keep in [int(v) for v in args.two_stage.split(",") if v]:
        result: dict[int, int | None] = {}
        for k in range(5):
            training = [i for i in everyone if fold_of[i] != k]
            in_sample = cases.x @ weights[k]
            keep = np.ones(len(cases.x), dtype=bool)
            labels = np.full(len(cases.labels), -1, dtype=np.int64)
            for i in everyone:
                a, b = cases.offsets[i], cases.offsets[i + 1]
                r1 = stage1_ranks(i, in_sample)  # for fold k's own cases this is their out-of-fold score
                keep[a:b] = r1 > n_keep
                label = cases.labels[i]
                if label >= 0 and r1[label] > n_keep:
                    labels[i] = int(np.sum(keep[a:a + label]))
            sub = _subset(cases, keep, labels)
            recall_cases = [i for i in training if labels[i] >= 0]
            w2 = fit_weights(sub, recall_cases, args.l2)
            print(f"stage 2 (top {n_keep}) fold {k}: fitted on {len(recall_cases)} cases", file=sys.stderr)
            for i in folds[k]:
                label = cases.labels[i]
                if label < 0:
                    result[i] = None
                    continue
                r1 = stage1_ranks(i, oof)
                if r1[label] <= n_keep:
                    result[i] = int(r1[label])
                    continue
                x, ids = sub.block(i)
                result[i] = n_keep + _rank(x @ w2, ids, int(labels[i]))
        report(f"two-stage: ranker top {n_keep} kept, then the recall model", result)

    # Hybrid: the ranker's top N kept, the rest in the order of a ranker fitted on a larger pool (its out-of-fold
    # scores from an earlier `stages --pool P --cap C --scores FILE` run).
    if args.tail:
        pool, cap, path = args.tail.split(":", 2)
        tail = Cases(args.cache, names, pool=int(pool), cap=int(cap))
        tail_oof = np.load(path)["oof"]
        for n_keep in [int(v) for v in args.tail_keep.split(",") if v]:
            hybrid: dict[int, int | None] = {}
            for i in everyone:
                label = cases.labels[i]
                r1 = stage1_ranks(i, oof) if label >= 0 or tail.labels[i] >= 0 else None
                if r1 is not None and label >= 0 and r1[label] <= n_keep:
                    hybrid[i] = int(r1[label])
                    continue
                if tail.labels[i] < 0 or r1 is None:
                    hybrid[i] = None
                    continue
                a, b = cases.offsets[i], cases.offsets[i + 1]
                kept = cases.ids[a:b][r1 <= n_keep]
                ta, tb = tail.offsets[i], tail.offsets[i + 1]
                score = np.where(np.isin(tail.ids[ta:tb], kept), -np.inf, tail_oof[ta:tb])
                hybrid[i] = n_keep + _rank(score, tail.ids[ta:tb], int(tail.labels[i]))
            report(f"hybrid: ranker top {n_keep} kept, then the pool-{pool} ranker", hybrid)
        # And a recall model over the larger pool: per outer fold, fitted on the training cases whose diagnosis
        # that fold's ranker leaves outside its top N, over their larger-pool candidates outside that top N.
        for n_keep in [int(v) for v in args.tail_recall.split(",") if v]:
            recall: dict[int, int | None] = {}
            for k in range(5):
                in_sample = cases.x @ weights[k]
                keep = np.ones(len(tail.x), dtype=bool)
                labels = np.full(len(tail.labels), -1, dtype=np.int64)
                first_rank: dict[int, int | None] = {}
                for i in everyone:
                    a, b = cases.offsets[i], cases.offsets[i + 1]
                    ta, tb = tail.offsets[i], tail.offsets[i + 1]
                    r1 = stage1_ranks(i, in_sample)
                    keep[ta:tb] = ~np.isin(tail.ids[ta:tb], cases.ids[a:b][r1 <= n_keep])
                    label = cases.labels[i]
                    first_rank[i] = int(r1[label]) if label >= 0 else None
                    t_label = tail.labels[i]
                    if t_label >= 0 and keep[ta + t_label]:
                        labels[i] = int(np.sum(keep[ta:ta + t_label]))
                sub = _subset(tail, keep, labels)
                recall_cases = [i for i in everyone if fold_of[i] != k and labels[i] >= 0]
                w2 = fit_weights(sub, recall_cases, args.l2)
                print(f"tail recall (top {n_keep}) fold {k}: fitted on {len(recall_cases)} cases", file=sys.stderr)
                for i in folds[k]:
                    r = first_rank[i]
                    if r is not None and r <= n_keep:
                        recall[i] = r
                    elif labels[i] < 0:
                        recall[i] = None
                    else:
                        x, ids = sub.block(i)
                        recall[i] = n_keep + _rank(x @ w2, ids, int(labels[i]))
            report(f"two-stage: ranker top {n_keep} kept, then a recall model over the pool-{pool} candidates", recall)
    return 0


def _tree_param(text: str) -> tuple[str, float | int]:
    name, value = text.split("=", 1)
    number = float(value)
    return name.strip(), int(number) if number.is_integer() and "." not in value else number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("extract", help="score the cases and store candidate features")
    ex.add_argument("folder", type=Path)
    ex.add_argument("--hpo-data", type=Path, default=None)
    ex.add_argument("--preset", type=Path, default=None)
    ex.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ex.add_argument("--limit", type=int, default=0, help="random sample of this many cases (0 = all)")
    ex.add_argument("--seed", type=int, default=1)
    ex.add_argument("--top", type=int, default=100, help="candidates: this many best by each signal")
    ex.add_argument("--no-resnik", action="store_true",
                    help="skip the Resnik features (stored as 0; they double the extraction time)")
    fi = commands.add_parser("fit", help="gene-grouped cross-validation, then the weights fitted on all cases")
    fi.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    fi.add_argument("--folds", type=int, default=5)
    fi.add_argument("--l2", type=float, default=0.001)
    fi.add_argument("--features", default="",
                    help="comma-separated subset of log10_lr and the ranker's features (default: all)")
    fi.add_argument("--lr-weight", type=float, default=0.0,
                    help="a fixed (not fitted) weight of the log10 likelihood ratio, in log10 units")
    fi.add_argument("--misses", type=Path, default=None, help="write per-case out-of-fold ranks to this TSV")
    fi.add_argument("--pool", type=int, default=0,
                    help="candidates: those within this many of the best by either signal (0 = all extracted)")
    fi.add_argument("--cap", type=int, default=0, help="re-cap the rank features at this rank (default RANK_CAP)")
    fi.add_argument("--softmax-share", type=float, default=1.0,
                    help="objective: this share of softmax cross-entropy, the rest a smoothed top-k loss")
    fi.add_argument("--k", type=float, default=10.0, help="the smoothed top-k loss's k")
    fi.add_argument("--temperature", type=float, default=0.5, help="the smoothed top-k loss's temperature")
    fi.add_argument("--trees", default="", help="fit LightGBM lambdarank instead, with these parameters "
                    "(name=value,...; e.g. rounds=300,learning_rate=0.05,num_leaves=15); benchmark-side only")
    fi.add_argument("--no-final", action="store_true", help="skip the fit on all cases")
    st = commands.add_parser("stages", help="fifth round: re-order below the ranker's top N, out of fold")
    st.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    st.add_argument("--features", required=True, help="the ranker's features (as for fit)")
    st.add_argument("--l2", type=float, default=0.001)
    st.add_argument("--pool", type=int, default=0)
    st.add_argument("--cap", type=int, default=0)
    st.add_argument("--scores", type=Path, default=None,
                    help="store (or reuse) the ranker's out-of-fold scores and per-fold weights in this .npz")
    st.add_argument("--fusion", default="3:60,5:60",
                    help="rank-fusion rules M:c (the ranker's top M kept, then 1/(c + rank) summed with enrichment)")
    st.add_argument("--two-stage", default="3,5", help="N values: the ranker's top N kept, a recall model below")
    st.add_argument("--tail", default="", help="POOL:CAP:SCORES: also keep the ranker's top N (each --tail-keep N) "
                    "and order the rest by a larger pool's ranker (out-of-fold scores from a stages run)")
    st.add_argument("--tail-keep", default="3,5", help="N values for --tail")
    st.add_argument("--softmax-share", type=float, default=1.0, help="the ranker's objective (as for fit)")
    st.add_argument("--k", type=float, default=10.0)
    st.add_argument("--temperature", type=float, default=0.5)
    st.add_argument("--tail-recall", default="", help="N values: a recall model over the --tail pool below the top N")
    args = parser.parse_args(argv)
    return {"extract": extract, "fit": fit, "stages": stages}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
