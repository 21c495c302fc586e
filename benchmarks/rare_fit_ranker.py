"""Fit and judge the phenotype ranker: a few weights that adjust the log10 likelihood ratio with other signals.

    python benchmarks/rare_fit_ranker.py extract ../shared/data/rare/phenopackets-dev --hpo-data .data/hpo
        [--cache .data/bench/rare-ranker.npz] [--limit N] [--top 100]
    python benchmarks/rare_fit_ranker.py fit [--cache ...] [--folds 5] [--l2 0.01] [--features a,b,...]

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
phenotype_prioritiser step (the default preset's came from the command in benchmarks/README.md, third round).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import logsumexp

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
    ranker_features,
    resolve_terms,
    score_phenotype,
)

KS = (1, 3, 10)
NAMES = ["log10_lr", *RANKER_FEATURES]
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
            signals = ranker_features(resolved, scores, hpo, settings, mask)
            lr = np.where(mask, scores.total_log10_lr, -np.inf)
            enrichment = np.where(mask, signals["enrichment"], -np.inf)
            candidates = np.union1d(np.argsort(-lr, kind="stable")[:args.top],
                                    np.argsort(-enrichment, kind="stable")[:args.top])
            candidates = candidates[mask[candidates]]
            if row >= 0 and mask[row]:
                today = _rank(lr, order_ids, row)
                hit = np.nonzero(candidates == row)[0]
                label = int(hit[0]) if len(hit) else -1
            block = np.column_stack([scores.total_log10_lr[candidates]] +
                                    [signals[name][candidates] for name in RANKER_FEATURES])
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
    """The extracted candidates, case by case."""

    def __init__(self, cache: Path, names: list[str]) -> None:
        data = np.load(cache)
        stored = list(data["names"])
        columns = [stored.index(n if n in stored else DERIVED[n]) for n in names]
        self.x = data["features"][:, columns]
        self.offsets = data["offsets"]
        self.labels = data["labels"]
        self.ids = data["ids"]
        self.meta = json.loads(str(data["meta"]))
        self.x = np.where(np.isfinite(self.x), self.x, -50.0)
        lr = data["features"][:, stored.index("log10_lr")]
        self.lr = np.where(np.isfinite(lr), lr, -300.0)  # for a fixed --lr-weight (not fitted)
        self.fixed = 0.0
        derived = [n for n in names if n in DERIVED and n not in stored]
        if derived:
            raw = {n: data["features"][:, list(data["names"]).index(DERIVED[n])] for n in derived}
            extra = np.zeros((len(self.x), len(derived)))
            for i in range(len(self.offsets) - 1):
                a, b = self.offsets[i], self.offsets[i + 1]
                for j, n in enumerate(derived):
                    extra[a:b, j] = _block_log_rank(raw[n][a:b], self.ids[a:b])
            self.x[:, [names.index(n) for n in derived]] = extra

    def block(self, i: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        return self.x[self.offsets[i]:self.offsets[i + 1]], self.ids[self.offsets[i]:self.offsets[i + 1]]

    def offset(self, i: int) -> npt.NDArray[np.float64]:
        """The fixed part of each candidate's logit: ``--lr-weight`` x log10 LR, in natural-log units."""
        return np.asarray(self.fixed * np.log(10.0) * self.lr[self.offsets[i]:self.offsets[i + 1]])


def _loss(w: npt.NDArray[np.float64], cases: Cases, members: list[int], scale: npt.NDArray[np.float64],
          l2: float) -> tuple[float, npt.NDArray[np.float64]]:
    """Mean softmax cross-entropy of the diagnosis over each case's candidates, plus L2, and its gradient."""
    total, gradient = 0.0, np.zeros_like(w)
    for i in members:
        x, _ = cases.block(i)
        x = x / scale
        logits = x @ w + cases.offset(i)
        norm = logsumexp(logits)
        p = np.exp(logits - norm)
        label = cases.labels[i]
        total += norm - logits[label]
        gradient += p @ x - x[label]
    n = max(len(members), 1)
    return total / n + l2 * float(w @ w), gradient / n + 2 * l2 * w


def fit_weights(cases: Cases, members: list[int], l2: float) -> npt.NDArray[np.float64]:
    """Weights in the features' own units (the fit runs on features scaled by their spread)."""
    trainable = [i for i in members if cases.labels[i] >= 0]
    rows = np.concatenate([np.arange(cases.offsets[i], cases.offsets[i + 1]) for i in trainable])
    scale = np.maximum(cases.x[rows].std(axis=0), 1e-6)
    start = np.zeros(cases.x.shape[1])
    result = minimize(_loss, start, args=(cases, trainable, scale, l2), jac=True, method="L-BFGS-B")
    return np.asarray(result.x / scale, dtype=np.float64)


def ranks_with(cases: Cases, members: list[int], w: npt.NDArray[np.float64]) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for i in members:
        if cases.labels[i] < 0:
            out[i] = None
            continue
        x, ids = cases.block(i)
        out[i] = _rank(x @ w + cases.offset(i), ids, int(cases.labels[i]))
    return out


def _line(ranks: list[int | None]) -> str:
    n = max(len(ranks), 1)
    return " ".join(f"{100.0 * sum(1 for r in ranks if r is not None and r <= k) / n:.1f}" for k in KS)


def fit(args: argparse.Namespace) -> int:
    names = args.features.split(",") if args.features else ["log10_lr", *RANKER_FEATURES]
    cases = Cases(args.cache, names)
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
        w = fit_weights(cases, training, args.l2)
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
    print(f"features: {', '.join(names)}; l2 {args.l2}; fixed lr_weight {args.lr_weight}; {args.folds} gene-grouped "
          "folds; out-of-fold figures")
    print("disease top1 top3 top10: ranker (out of fold) | today's model | hpo3 enrichment baseline")
    for label, members in strata:
        print(f"  {label} (n={len(members)}): {_line([oof[i] for i in members])} | "
              f"{_line([cases.meta[i]['today'] for i in members])} | "
              f"{_line([cases.meta[i]['baseline'] for i in members])}")
    if args.misses:
        args.misses.write_text("case\tgroup\tfold\tstratum\tranker\ttoday\tbaseline\n" + "".join(
            f"{m['case']}\t{m['group']}\t{m['fold5']}\t{m['stratum']}\t{oof[i]}\t{m['today']}\t{m['baseline']}\n"
            for i, m in enumerate(cases.meta)), encoding="utf-8")
    spread = np.std(np.vstack(per_fold), axis=0)
    final = fit_weights(cases, everyone, args.l2) / np.log(10.0)
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
    fi = commands.add_parser("fit", help="gene-grouped cross-validation, then the weights fitted on all cases")
    fi.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    fi.add_argument("--folds", type=int, default=5)
    fi.add_argument("--l2", type=float, default=0.001)
    fi.add_argument("--features", default="",
                    help="comma-separated subset of log10_lr and the ranker's features (default: all)")
    fi.add_argument("--lr-weight", type=float, default=0.0,
                    help="a fixed (not fitted) weight of the log10 likelihood ratio, in log10 units")
    fi.add_argument("--misses", type=Path, default=None, help="write per-case out-of-fold ranks to this TSV")
    args = parser.parse_args(argv)
    return extract(args) if args.command == "extract" else fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
