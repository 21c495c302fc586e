"""Renderings of a rare-disease result: ranking.tsv, the HTML report, a Phenopacket interpretation."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, TextIO

from tailormed.model.genome import split_variant_key
from tailormed.model.rare import DiseaseCandidate, RareResult, VariantEvidence
from tailormed.report.html import _ENV
from tailormed.report.tsv import tsv_field

RANKING_COLUMNS = ("rank", "disease_id", "disease_name", "gene", "score", "posttest_probability", "variants")


def _variants_cell(candidate: DiseaseCandidate) -> str:
    """``chr-pos-ref-alt:gene:hgvsc:zygosity:ACMG class`` joined by ``;``."""
    return ";".join(
        f"{v.variant}:{v.gene}:{v.hgvsc or ''}:{v.zygosity}:{v.acmg.classification}" for v in candidate.variants
    )


def write_ranking_tsv(handle: TextIO, result: RareResult) -> None:
    """``ranking.tsv``: one row per ranked disease, columns exactly :data:`RANKING_COLUMNS`."""
    handle.write("\t".join(RANKING_COLUMNS) + "\n")
    for c in result.diseases:
        row = [str(c.rank), c.disease_id, c.disease_name, c.gene or ";".join(c.genes), f"{c.score:.4f}",
               f"{c.posttest_probability:.6g}", _variants_cell(c)]
        handle.write("\t".join(tsv_field(f) for f in row) + "\n")


def iso_age(duration: str) -> str:
    """An ISO 8601 age as words (a phenopacket's ``P58Y``); anything else is shown as given.

    >>> iso_age("P58Y"), iso_age("P2Y3M"), iso_age("P10D"), iso_age("adult")
    ('58 years', '2 years 3 months', '10 days', 'adult')
    """
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", duration)
    if not match or not any(match.groups()):
        return duration
    units = ("year", "month", "week", "day")
    return " ".join(f"{n} {unit}{'s' if n != '1' else ''}" for n, unit in zip(match.groups(), units, strict=True)
                    if n is not None)


_SCORE_LABELS = {"fitted_ranker": "Ranker score", "likelihood_ratio_split_by_ranker": "Score (log10)"}


def score_label(score_basis: str) -> str:
    """What a candidate's ``score`` is, by the result's ``score_basis`` (the page's column, the interpretation's
    summary).

    >>> score_label("fitted_ranker"), score_label("likelihood_ratio")
    ('Ranker score', 'log10 LR')
    """
    return _SCORE_LABELS.get(score_basis, "log10 LR")


_ENV.filters["iso_age"] = iso_age
_ENV.filters["score_label"] = score_label


def variants_by_gene(candidates: list[DiseaseCandidate]) -> dict[str, list[VariantEvidence]]:
    """Each gene's candidate variants once (several diseases of one gene share them), in order of first mention."""
    genes: dict[str, dict[str, VariantEvidence]] = {}
    for c in candidates:
        for v in c.variants:
            genes.setdefault(v.gene, {}).setdefault(v.variant, v)
    return {gene: list(found.values()) for gene, found in genes.items()}


def first_listed(candidates: list[DiseaseCandidate]) -> dict[str, DiseaseCandidate]:
    """Each gene's first disease in the list (the disease whose variants are in that gene). With a VCF a gene is
    scored on its disease of highest likelihood ratio, while its diseases are listed in the ranker's order
    (docs/rare-disease.md, "The diseases of one gene"), so the two can differ: the gene table names both."""
    first: dict[str, DiseaseCandidate] = {}
    for candidate in candidates:
        if candidate.gene is not None and candidate.variants:
            first.setdefault(candidate.gene, candidate)
    return first


def rare_view(result: RareResult, *, top: int = 10) -> dict[str, Any]:
    """What the rare-disease section template needs (rare.html.j2)."""
    shown = result.diseases[:top]
    return {"r": result, "top": shown, "variant_genes": variants_by_gene(shown),
            "first_listed": first_listed(result.diseases)}


def render_rare_html(result: RareResult, *, top: int = 10) -> str:
    """The clinician-facing report: top candidates with supporting/contradicting terms, one variant table per gene."""
    return _ENV.get_template("rare_page.html.j2").render(**rare_view(result, top=top))


_ACMG_TO_GA4GH = {
    "Pathogenic": "PATHOGENIC",
    "Likely pathogenic": "LIKELY_PATHOGENIC",
    "Uncertain significance": "UNCERTAIN_SIGNIFICANCE",
    "Likely benign": "LIKELY_BENIGN",
    "Benign": "BENIGN",
}
_ZYGOSITY = {
    "heterozygous": ("GENO:0000135", "heterozygous"),
    "homozygous": ("GENO:0000136", "homozygous"),
    "hemizygous": ("GENO:0000134", "hemizygous"),
}


def phenopacket_interpretation(result: RareResult, phenopacket: dict[str, Any] | None, *,
                               top: int = 5) -> dict[str, Any]:
    """The input phenopacket with TailorMed's candidates appended as ``interpretations`` (schema v2).

    Each of the ``top`` diseases becomes one interpretation with progressStatus IN_PROGRESS (a
    candidate, not a confirmed diagnosis) and its variants as CANDIDATE genomic interpretations.
    """
    document = copy.deepcopy(phenopacket) if phenopacket else _minimal_phenopacket(result)
    # A Family message carries the interpretations on its proband.
    target = document["proband"] if isinstance(document.get("proband"), dict) else document
    subject = (target.get("subject") or {}).get("id", result.proband.id)
    interpretations = list(target.get("interpretations") or [])
    label = score_label(result.score_basis)
    label = label[:1].lower() + label[1:]  # "ranker score", "score (log10)", "log10 LR" inside a sentence
    for c in result.diseases[:top]:
        interpretations.append({
            "id": f"tailormed-{result.proband.id}-{c.rank}",
            "progressStatus": "IN_PROGRESS",
            "summary": f"TailorMed rank {c.rank}: {label} {c.score:.2f}, post-test probability "
                       f"{c.posttest_probability:.3g}",
            "diagnosis": {
                "disease": {"id": c.disease_id, "label": c.disease_name},
                "genomicInterpretations": [_genomic_interpretation(subject, v) for v in c.variants],
            },
        })
    target["interpretations"] = interpretations
    return document


def _genomic_interpretation(subject: str, v: Any) -> dict[str, Any]:
    chrom, pos, ref, alt = split_variant_key(v.variant)
    expressions = [{"syntax": "hgvs.c", "value": v.hgvsc}] if v.hgvsc else []
    if v.hgvsp:
        expressions.append({"syntax": "hgvs.p", "value": v.hgvsp})
    zygosity_id, zygosity_label = _ZYGOSITY.get(v.zygosity, ("GENO:0000137", "unspecified zygosity"))
    return {
        "subjectOrBiosampleId": subject,
        "interpretationStatus": "CANDIDATE",
        "variantInterpretation": {
            "acmgPathogenicityClassification": _ACMG_TO_GA4GH[v.acmg.classification],
            "variationDescriptor": {
                "id": v.variant,
                "geneContext": {"valueId": v.gene, "symbol": v.gene},
                "expressions": expressions,
                "vcfRecord": {"genomeAssembly": "GRCh38", "chrom": chrom, "pos": pos, "ref": ref, "alt": alt},
                "allelicState": {"id": zygosity_id, "label": zygosity_label},
            },
        },
    }


def _minimal_phenopacket(result: RareResult) -> dict[str, Any]:
    p = result.proband
    return {
        "id": p.id,
        "subject": {"id": p.proband_sample or p.id},
        "phenotypicFeatures": [{"type": {"id": t.id, "label": t.label or ""}, **({"excluded": True} if t.excluded
                                                                              else {})} for t in p.terms],
        "metaData": {"created": result.provenance.created, "createdBy": "TailorMed",
                     "phenopacketSchemaVersion": "2.0", "resources": []},
    }


def write_rare_outputs(folder: Path, result: RareResult, phenopacket: dict[str, Any] | None) -> None:
    """Write the four renderings of one result into ``folder`` (a staging folder)."""
    with (folder / "ranking.tsv").open("w", encoding="utf-8") as handle:
        write_ranking_tsv(handle, result)
    (folder / "result.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
    (folder / "report.html").write_text(render_rare_html(result), encoding="utf-8")
    interpretation = phenopacket_interpretation(result, phenopacket)
    (folder / "interpretation.json").write_text(json.dumps(interpretation, indent=1), encoding="utf-8")
