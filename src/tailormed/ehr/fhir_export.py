"""One patient's analysis as a FHIR R4 Bundle following the HL7 Genomics Reporting IG STU3 (3.0.0).

:func:`analysis_bundle` takes the JSON documents ``tailormed analyze`` writes (``analysis.json``, ``pgx.json``,
``rare/result.json``, ``onco/actionability.json``, ``risk/risk.json``), keyed by their path relative to the output
folder and already parsed, and returns a ``collection`` Bundle (a JSON-ready dict):

- a **genomics DiagnosticReport** (``genomic-report``, LOINC 51969-4) listing every result, the genomic study and
  the recommended actions;
- a **GenomicStudy** (the IG's ``genomic-study`` Procedure profile) saying what was analysed and with what
  software and knowledge;
- PGx: one **Genotype** Observation (``genotype``, 84413-4) per called gene, valued with the diplotype (a PharmVar
  coding for genes whose definitions cite PharmVar) and a gene-studied component (48018-6, HGNC code); one
  **Haplotype** Observation (``haplotype``, 84414-2) per distinct allele; one **Therapeutic Implication**
  (``therapeutic-implication``) per drug recommendation, with medication-assessed (51963-7, RxNorm when the
  pgx-core map has the ingredient), the phenotype as the implication (the IG's LOINC metabolizer/function codes
  where one fits), phenotypic treatment context (81259-4: the guideline's population), the implication text and
  the CPIC (or label) source cited through ``workflow-relatedArtifact``; and one **MedicationRecommendation**
  (the IG's ``medication-recommendation`` Task) per recommendation that changes care;
- oncology: a **Variant** Observation per somatic variant or copy-number change and a Therapeutic Implication per
  therapy option resting on them (response coded Responsive/Resistant);
- rare disease: a **Variant** Observation per candidate variant and a **Diagnostic Implication** per ranked
  disease that has variants (ACMG classification, the disease as predicted phenotype, mode of inheritance).

What has no FHIR form yet (clinical risk, polygenic scores, phenotype-only rare-disease candidates, tumour
biomarkers such as TMB, MSI and PD-L1, trials) is listed in ``docs/fhir.md``; the DiagnosticReport's
``conclusion`` says which sections were left out.

Ids are deterministic (UUID 5 of the patient id and the result), so exporting the same analysis twice gives the
same Bundle and a store can upsert it.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tailormed.errors import InputError, first_validation_problem
from tailormed.kb.gene_codes import HGNC_SYSTEM, hgnc_id
from tailormed.model.onco import LINE_LABELS, OncoResult, TherapyOption
from tailormed.model.pgx import DrugRecommendation, GeneResult, PgxResult
from tailormed.model.rare import DiseaseCandidate, RareResult, VariantEvidence

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
LOINC = "http://loinc.org"
PHARMVAR = "http://www.pharmvar.org"
HGVS = "http://varnomen.hgvs.org"
HPO = "http://human-phenotype-ontology.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
RELATED_ARTIFACT = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
NAMESPACE = uuid.UUID("6f1c7f0e-2b8a-5c55-9d1e-7a4f3c2b1d00")

DOCUMENTS = ("analysis.json", "pgx.json", "rare/result.json", "onco/actionability.json", "risk/risk.json")
"""The documents :func:`analysis_bundle` reads, by their path in an ``analyze`` output folder."""

_CATEGORIES = [
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE"}]},
]
# LOINC answers of the IG's genetic-therapeutic-implications value set, by our phenotype words (lower case).
_IMPLICATION_CODES = {
    "ultrarapid metabolizer": ("LA10315-2", "Ultrarapid metabolizer"),
    "rapid metabolizer": ("LA25390-8", "Rapid metabolizer"),
    "normal metabolizer": ("LA25391-6", "Normal metabolizer"),
    "intermediate metabolizer": ("LA10317-8", "Intermediate metabolizer"),
    "poor metabolizer": ("LA9657-3", "Poor metabolizer"),
    "increased function": ("LA25392-4", "Increased function"),
    "normal function": ("LA25393-2", "Normal function"),
    "decreased function": ("LA25395-7", "Decreased function"),
    "poor function": ("LA25394-0", "Poor function"),
}
_RESPONSE_CODES = {"sensitive": ("LA6677-4", "Responsive"), "resistant": ("LA6676-6", "Resistant")}
# ACMG classes with the LOINC answers (LL4034-6) the IG's own examples use.
_SIGNIFICANCE_CODES = {
    "pathogenic": ("LA6668-3", "Pathogenic"),
    "likely pathogenic": ("LA26332-9", "Likely Pathogenic"),
    "uncertain significance": ("LA26333-7", "Uncertain Significance"),
    "benign": ("LA6675-8", "Benign"),
}
_ZYGOSITY_CODES = {"heterozygous": ("LA6706-1", "Heterozygous"), "homozygous": ("LA6705-3", "Homozygous")}
_INHERITANCE_CODES = {
    "autosomal_dominant": ("HP:0000006", "Autosomal dominant inheritance"),
    "autosomal_recessive": ("HP:0000007", "Autosomal recessive inheritance"),
    "x_linked": ("HP:0001417", "X-linked inheritance"),
    "x_linked_recessive": ("HP:0001419", "X-linked recessive inheritance"),
    "x_linked_dominant": ("HP:0001423", "X-linked dominant inheritance"),
    "mitochondrial": ("HP:0001427", "Mitochondrial inheritance"),
    "y_linked": ("HP:0001450", "Y-linked inheritance"),
}
PRESENT = {"coding": [{"system": LOINC, "code": "LA9633-4", "display": "Present"}]}


@dataclass
class _Builder:
    patient_id: str
    subject: dict[str, Any]
    issued: str | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def reference(self, key: str) -> str:
        return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{self.patient_id}/{key}')}"

    def add(self, key: str, resource: dict[str, Any], *, result: bool = False) -> str:
        full_url = self.reference(key)
        resource_type = resource.pop("resourceType")
        head: dict[str, Any] = {"resourceType": resource_type, "id": full_url.rsplit(":", 1)[1]}
        if "meta" in resource:
            head["meta"] = resource.pop("meta")
        head["text"] = _narrative(resource_type, resource)
        resource = {**head, **resource}
        self.entries.append({"fullUrl": full_url, "resource": resource})
        if result:
            self.results.append({"reference": full_url})
        return full_url

    def observation(self, profile: str, code: dict[str, Any], **rest: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"resourceType": "Observation", "meta": {"profile": [IG + profile]},
                                "status": "final", "category": _CATEGORIES, "code": code, "subject": self.subject}
        if self.issued:
            body["issued"] = self.issued
        body.update(rest)
        return body


def analysis_bundle(documents: Mapping[str, Any], *, patient_reference: str | None = None,
                    source: str = "analysis") -> dict[str, Any]:
    """The FHIR R4 Bundle (``type: collection``) of one ``tailormed analyze`` result.

    ``documents`` maps paths relative to the output folder (:data:`DOCUMENTS`) to their parsed JSON; absent
    sections are simply left out. ``patient_reference`` (``Patient/123`` on the EHR's server) is used as the
    subject of every resource; without it the Bundle holds a Patient resource identified by the analysis'
    patient id. ``source`` names the analysis in error messages.

    Raises :class:`~tailormed.errors.InputError` naming the document and field when a document does not have
    the shape ``analyze`` writes (a compact ``pgx call`` document, another schema version, a missing key).
    """
    summary = documents.get("analysis.json")
    pgx = _parse(documents, "pgx.json", PgxResult, source)
    rare = _parse(documents, "rare/result.json", RareResult, source)
    onco = _parse(documents, "onco/actionability.json", OncoResult, source)
    if pgx is None and rare is None and onco is None and "risk/risk.json" not in documents:
        raise InputError("no analysis documents (pgx.json, rare/result.json, onco/actionability.json, "
                         "risk/risk.json) to export", source=source)
    patient_id = _patient_id(summary, pgx, rare, onco, source)
    subject = {"reference": patient_reference} if patient_reference else None
    created = _created(pgx, rare, onco)
    builder = _Builder(patient_id, subject or {}, created)
    if subject is None:
        builder.subject = {"reference": builder.reference("patient")}
        builder.add("patient", {"resourceType": "Patient", "identifier": [{"value": patient_id}]})
    study_ref = builder.reference("genomic-study")
    if pgx is not None:
        _export_pgx(builder, pgx)
    if onco is not None:
        _export_onco(builder, onco)
    if rare is not None:
        _export_rare(builder, rare)
    if "risk/risk.json" in documents:
        builder.left_out.append("clinical risk estimates (risk/risk.json): no Genomics Reporting form")
    analyses = _analyses(builder, pgx, rare, onco, created)
    builder.add("genomic-study", _genomic_study(builder, pgx, rare, onco, created, analyses))
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport", "meta": {"profile": [IG + "genomic-report"]},
        "extension": [{"url": IG + "genomic-study-reference", "valueReference": {"reference": study_ref}}]
        + [{"url": IG + "recommended-action", "valueReference": a} for a in builder.actions],
        "status": "final", "category": [_CATEGORIES[1]],
        "code": {"coding": [{"system": LOINC, "code": "51969-4", "display": "Genetic analysis report"}]},
        "subject": builder.subject}
    if created:
        report["effectiveDateTime"] = created
        report["issued"] = created
    if builder.results:
        report["result"] = builder.results
    report["conclusion"] = _conclusion(builder, pgx, rare, onco)
    builder.add("report", report)
    builder.entries.insert(0, builder.entries.pop())
    bundle: dict[str, Any] = {"resourceType": "Bundle", "id": builder.reference("bundle").rsplit(":", 1)[1],
                              "type": "collection", "entry": builder.entries}
    if created:
        bundle["timestamp"] = created
    return bundle


def _narrative(resource_type: str, resource: dict[str, Any]) -> dict[str, str]:
    """A one-paragraph generated narrative (dom-6): what the resource says, in the words it carries."""
    words: list[str] = []
    code = resource.get("code")
    if isinstance(code, dict):
        coding = (code.get("coding") or [{}])[0]
        words.append(str(code.get("text") or coding.get("display") or coding.get("code") or resource_type))
    else:
        words.append(resource_type)
    words += [str(x["valueString"]) for x in resource.get("extension", []) if str(x.get("url", "")).endswith("-title")]
    value = resource.get("valueCodeableConcept")
    if isinstance(value, dict) and value.get("text"):
        words.append(str(value["text"]))
    for component in resource.get("component", []):
        concept = component.get("valueCodeableConcept")
        if isinstance(concept, dict) and concept.get("text"):
            words.append(str(concept["text"]))
        elif isinstance(component.get("valueString"), str):
            words.append(component["valueString"])
    for key in ("description", "conclusion"):
        if isinstance(resource.get(key), str):
            words.append(resource[key])
    if resource_type == "Patient":
        words.append(f"patient {resource.get('identifier', [{}])[0].get('value', '')}")
    text = html.escape(": ".join(w for w in words[:1]) + (" - " + "; ".join(words[1:]) if len(words) > 1 else ""))
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'}


# --- reading the documents ------------------------------------------------------------------------------


def _parse(documents: Mapping[str, Any], name: str, model: Any, source: str) -> Any:
    document = documents.get(name)
    if document is None:
        return None
    if name == "pgx.json" and isinstance(document, dict) and document.get("detail") == "compact":
        raise InputError("a compact PGx document (from `pgx call`) cannot be exported on its own; export the "
                         "pgx.json of `tailormed analyze` (or rerun pgx call with --full-evidence)",
                         source=f"{source}/{name}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = first_validation_problem(exc)
        raise InputError(f"not a TailorMed {name} document ({first.msg})", source=f"{source}/{name}",
                         location=first.dotted() or None) from None


def _patient_id(summary: Any, pgx: PgxResult | None, rare: RareResult | None, onco: OncoResult | None,
                source: str) -> str:
    if isinstance(summary, dict) and isinstance(summary.get("patient"), str) and summary["patient"]:
        return str(summary["patient"])
    for candidate in (pgx.sample if pgx else None, rare.proband.id if rare else None,
                      onco.sample_id if onco else None):
        if candidate:
            return candidate
    raise InputError("no patient id (analysis.json 'patient')", source=source)


def _created(*results: Any) -> str | None:
    for result in results:
        if result is not None and result.provenance.created:
            return str(result.provenance.created)
    return None


# --- pharmacogenomics -----------------------------------------------------------------------------------


def _gene_concept(gene: str) -> dict[str, Any]:
    code = hgnc_id(gene)
    if code is None:
        return {"text": gene}
    return {"coding": [{"system": HGNC_SYSTEM, "code": code, "display": gene}]}


def _gene_component(gene: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": LOINC, "code": "48018-6", "display": "Gene studied [ID]"}]},
            "valueCodeableConcept": _gene_concept(gene)}


def _conclusion_component(text: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": TBD, "code": "conclusion-string"}]}, "valueString": text}


def _star_coded(gene: GeneResult) -> bool:
    citations = gene.evidence.citations if gene.evidence else []
    return "pharmvar" in citations and bool(gene.diplotypes) and all(
        a.startswith("*") for a in gene.diplotypes[0].alleles)


def _diplotype_text(gene: GeneResult) -> str | None:
    if not gene.diplotypes:
        return None
    return "/".join(gene.diplotypes[0].alleles)


def _export_pgx(builder: _Builder, pgx: PgxResult) -> None:
    genotype_refs: dict[str, str] = {}
    for gene in pgx.genes:
        if not gene.tested or (not gene.diplotypes and not gene.phenotype):
            continue
        genotype_refs[gene.gene] = _export_genotype(builder, gene)
    citations = {c.id: c for c in pgx.citations}
    for position, drug in enumerate(pgx.drugs):
        if drug.status not in ("actionable", "standard", "no_recommendation") or not drug.basis:
            continue
        derived = [{"reference": genotype_refs[b.gene]} for b in drug.basis if b.gene in genotype_refs]
        if not derived:
            continue
        implication_ref = _export_implication(builder, drug, position, derived, citations)
        if drug.status == "actionable" and drug.recommendation:
            _export_recommendation(builder, drug, position, implication_ref)


def _export_genotype(builder: _Builder, gene: GeneResult) -> str:
    diplotype = _diplotype_text(gene)
    haplotype_refs = []
    if diplotype is not None:
        for allele in dict.fromkeys(gene.diplotypes[0].alleles):
            value: dict[str, Any] = {"text": f"{gene.gene} {allele}"}
            if _star_coded(gene):
                value["coding"] = [{"system": PHARMVAR, "code": f"{gene.gene}{allele}",
                                    "display": f"{gene.gene} {allele}"}]
            haplotype_refs.append({"reference": builder.add(f"haplotype/{gene.gene}/{allele}", builder.observation(
                "haplotype", {"coding": [{"system": LOINC, "code": "84414-2", "display": "Haplotype name"}]},
                valueCodeableConcept=value, component=[_gene_component(gene.gene)]), result=True)})
    if diplotype is not None:
        value = {"text": f"{gene.gene} {diplotype}"}
        if _star_coded(gene):
            value["coding"] = [{"system": PHARMVAR, "code": f"{gene.gene}{diplotype}",
                                "display": f"{gene.gene} {diplotype}"}]
    else:
        value = {"text": f"{gene.gene}: diplotype not reported"}
    interpretation = [f"phenotype: {gene.phenotype}" if gene.phenotype else "phenotype: not assigned"]
    if gene.activity_score is not None:
        interpretation.append(f"activity score {gene.activity_score:g}")
    if gene.adjusted_phenotype:
        interpretation.append(f"phenotype used for advice: {gene.adjusted_phenotype} (phenoconversion by current "
                              "medications)")
    if len(gene.diplotypes) > 1:
        others = ", ".join("/".join(d.alleles) for d in gene.diplotypes[1:])
        interpretation.append(f"equally likely: {others}")
    if gene.missing_positions:
        interpretation.append(f"{len(gene.missing_positions)} defining position(s) not called")
    if gene.source == "outside_call":
        interpretation.append("reported by an outside call")
    body = builder.observation("genotype", {"coding": [{"system": LOINC, "code": "84413-4",
                                                        "display": "Genotype display name"}]},
                               valueCodeableConcept=value,
                               component=[_gene_component(gene.gene), _conclusion_component("; ".join(interpretation))])
    if haplotype_refs:
        body["derivedFrom"] = haplotype_refs
    return builder.add(f"genotype/{gene.gene}", body, result=True)


def _citation_extension(citation_ids: list[str], citations: Mapping[str, Any]) -> list[dict[str, Any]]:
    extensions = []
    for cid in dict.fromkeys(citation_ids):
        citation = citations.get(cid)
        if citation is None:
            continue
        artifact: dict[str, Any] = {"type": "citation", "label": cid, "citation": citation.citation}
        if citation.url:
            artifact["url"] = citation.url
        extensions.append({"url": RELATED_ARTIFACT, "valueRelatedArtifact": artifact})
    return extensions


def _medication_concept(drug: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": drug}
    code = _rxnorm_code(drug)
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": drug}]
    return concept


def _rxnorm_code(drug: str) -> str | None:
    from tailormed.kb.rxnorm import load_rxnorm_map

    rxnorm = _RXNORM_CACHE.get("map")
    if rxnorm is None:
        rxnorm = _RXNORM_CACHE["map"] = load_rxnorm_map()
    code: str | None = rxnorm.ingredient_rxcui(drug)
    return code


_RXNORM_CACHE: dict[str, Any] = {}


def _export_implication(builder: _Builder, drug: DrugRecommendation, position: int, derived: list[dict[str, str]],
                        citations: Mapping[str, Any]) -> str:
    components: list[dict[str, Any]] = [{
        "code": {"coding": [{"system": LOINC, "code": "51963-7", "display": "Medication assessed [ID]"}]},
        "valueCodeableConcept": _medication_concept(drug.drug)}]
    for basis in drug.basis:
        phenotype = basis.adjusted_phenotype if basis.phenotype_used == "adjusted" else basis.phenotype
        value: dict[str, Any] = {"text": f"{basis.gene} {_phenotype_words(phenotype, basis.matched_on)}"}
        code = _IMPLICATION_CODES.get((phenotype or "").lower())
        if code:
            value["coding"] = [{"system": LOINC, "code": code[0], "display": code[1]}]
        components.append({"code": {"coding": [{"system": TBD, "code": "therapeutic-implication"}]},
                           "valueCodeableConcept": value})
    if drug.population:
        components.append({"code": {"coding": [{"system": LOINC, "code": "81259-4",
                                                 "display": "Associated phenotype"}]},
                           "valueCodeableConcept": {"text": drug.population}})
    if drug.strength:
        components.append({"code": {"coding": [{"system": LOINC, "code": "93044-6",
                                                 "display": "Level of evidence"}]},
                           "valueCodeableConcept": {"text": f"classification of recommendation: {drug.strength}"}})
    elif drug.guideline_body != "CPIC":
        components.append({"code": {"coding": [{"system": LOINC, "code": "93044-6",
                                                 "display": "Level of evidence"}]},
                           "valueCodeableConcept": {"text": f"classification of recommendation: not graded "
                                                            f"({drug.guideline_body} guideline)"}})
    text = [f"{drug.guideline_body} guideline." if drug.guideline_body != "CPIC" else "", drug.implication or ""]
    if drug.difference:
        text.append(f"Differs from CPIC: {drug.difference}")
    if drug.recommendation:
        text.append(f"Recommendation: {drug.recommendation}")
    if drug.written_for_note and drug.written_for is not None:
        text.append(f"{_written_for_label(drug)}: {drug.written_for_note}")
    notes = [b.phenoconversion_note for b in drug.basis if b.phenoconversion_note]
    text.extend(notes)
    if drug.agreeing_rules:
        text.append(f"DPWG gives the same action ({', '.join(drug.agreeing_rules)}).")
    status_words = {"actionable": "changes care", "standard": "usual care", "no_recommendation": "no recommendation"}
    text.append(f"TailorMed status: {status_words.get(drug.status, drug.status)} (rule {drug.rule}).")
    components.append(_conclusion_component(" ".join(t for t in text if t)))
    citation_ids = ([drug.guideline] if drug.guideline else []) + (drug.evidence.citations if drug.evidence else [])
    if drug.written_for_note and drug.written_for is not None:
        citation_ids += drug.written_for.sources
    body = builder.observation("therapeutic-implication",
                               {"coding": [{"system": TBD, "code": "therapeutic-implication",
                                            "display": "Therapeutic Implication"}]},
                               derivedFrom=derived, component=components)
    extensions = _citation_extension(citation_ids, citations)
    if extensions:
        body = {"resourceType": body.pop("resourceType"), "extension": extensions, **body}
    return builder.add(f"implication/pgx/{drug.drug}/{drug.rule or position}", body, result=True)


def _phenotype_words(phenotype: str | None, matched_on: str) -> str:
    """The phenotype a recommendation rests on: the gene's phenotype, with the activity score it was matched on, or
    only the part of a compound phenotype that matched (HLA-B ``*57:01 positive`` of ``*57:01 positive; *58:01
    negative; *15:02 negative``).

    >>> _phenotype_words("Intermediate Metabolizer", "activity score 1")
    'Intermediate Metabolizer (activity score 1)'
    >>> _phenotype_words("*57:01 positive; *58:01 negative; *15:02 negative", "*58:01 negative")
    '*58:01 negative'
    >>> _phenotype_words("Poor Metabolizer", "Poor Metabolizer")
    'Poor Metabolizer'
    """
    if not phenotype:
        return matched_on
    if matched_on.startswith("activity score"):
        return f"{phenotype} ({matched_on})"
    if matched_on != phenotype and matched_on in [p.strip() for p in phenotype.split(";")]:
        return matched_on
    return phenotype


def _written_for_label(drug: DrugRecommendation) -> str:
    return f"Written for {drug.written_for.people if drug.written_for is not None else 'men'}"


def _export_recommendation(builder: _Builder, drug: DrugRecommendation, position: int, reason: str) -> None:
    note = f" {_written_for_label(drug)}: {drug.written_for_note}" if drug.written_for_note else ""
    task: dict[str, Any] = {
        "resourceType": "Task", "meta": {"profile": [IG + "medication-recommendation"]},
        "status": "requested", "intent": "proposal",
        "description": f"{drug.drug}: {drug.recommendation}{note}",
        "for": builder.subject, "reasonReference": {"reference": reason},
    }
    if builder.issued:
        task["authoredOn"] = builder.issued
    reference = builder.add(f"task/pgx/{drug.drug}/{drug.rule or position}", task)
    builder.actions.append({"reference": reference})


# --- oncology -------------------------------------------------------------------------------------------


def _export_onco(builder: _Builder, onco: OncoResult) -> None:
    variant_refs: dict[str, str] = {}
    for alteration in onco.alterations:
        if alteration.kind not in ("variant", "copy_number"):
            continue
        components: list[dict[str, Any]] = []
        if alteration.gene:
            components.append(_gene_component(alteration.gene))
        components.append({"code": {"coding": [{"system": LOINC, "code": "81252-9",
                                                 "display": "Discrete genetic variant"}]},
                           "valueCodeableConcept": {"text": alteration.label}})
        origin = str(alteration.details.get("origin") or "somatic")
        if origin in ("somatic", "germline"):
            code, display = ("LA6684-0", "Somatic") if origin == "somatic" else ("LA6683-2", "Germline")
            components.append({"code": {"coding": [{"system": LOINC, "code": "48002-0",
                                                     "display": "Genomic source class"}]},
                               "valueCodeableConcept": {"coding": [{"system": LOINC, "code": code,
                                                                    "display": display}]}})
        if alteration.vaf is not None:
            components.append({"code": {"coding": [{"system": LOINC, "code": "81258-6",
                                                     "display": "Sample variant allelic frequency"}]},
                               "valueQuantity": {"value": round(alteration.vaf, 4), "system":
                                                 "http://unitsofmeasure.org", "code": "1"}})
        if alteration.depth is not None:
            components.append({"code": {"coding": [{"system": LOINC, "code": "82121-5",
                                                     "display": "Allelic read depth"}]},
                               "valueQuantity": {"value": alteration.depth, "system": "http://unitsofmeasure.org",
                                                 "code": "1"}})
        if alteration.copy_number is not None:
            components.append({"code": {"coding": [{"system": LOINC, "code": "82155-3",
                                                     "display": "Genomic structural variant copy number"}]},
                               "valueQuantity": {"value": alteration.copy_number, "system":
                                                 "http://unitsofmeasure.org", "code": "1"}})
        components.append(_conclusion_component(f"AMP/ASCO/CAP tier {alteration.tier}"
                                                + ("; oncogenic" if alteration.oncogenic else "")))
        variant_refs[alteration.label] = builder.add(
            f"variant/onco/{alteration.label}", builder.observation(
                "variant", {"coding": [{"system": LOINC, "code": "69548-6", "display": "Genetic variant assessment"}]},
                valueCodeableConcept=PRESENT, component=components), result=True)
    skipped = 0
    for therapy in onco.therapies:
        derived = [{"reference": variant_refs[label]} for m in therapy.matched for label in m.satisfied_by
                   if label in variant_refs]
        if not derived:
            skipped += 1
            continue
        _export_onco_implication(builder, onco, therapy, list({d["reference"]: d for d in derived}.values()))
    if skipped:
        builder.left_out.append(f"{skipped} oncology therapy option(s) resting only on biomarkers (TMB, MSI, MMR, "
                                "PD-L1, IHC, fusions): no FHIR form yet")
    if onco.immunotherapy.findings:
        builder.left_out.append("immunotherapy biomarkers (TMB, MSI, PD-L1): no FHIR form yet")
    if onco.trials:
        builder.left_out.append(f"{len(onco.trials)} clinical trial match(es): no FHIR form yet")


def _export_onco_implication(builder: _Builder, onco: OncoResult, therapy: TherapyOption,
                             derived: list[dict[str, str]]) -> None:
    components: list[dict[str, Any]] = [
        {"code": {"coding": [{"system": LOINC, "code": "51963-7", "display": "Medication assessed [ID]"}]},
         "valueCodeableConcept": _medication_concept(d)} for d in therapy.drugs]
    code, display = _RESPONSE_CODES[therapy.response]
    components.append({"code": {"coding": [{"system": TBD, "code": "therapeutic-implication"}]},
                       "valueCodeableConcept": {"coding": [{"system": LOINC, "code": code, "display": display}],
                                                "text": f"{therapy.therapy}: {therapy.response}"}})
    line = LINE_LABELS.get(therapy.line_of_therapy or "")
    context = onco.tumour_type_name + (f"; {line}" if line else "") + (f"; {therapy.setting}" if therapy.setting
                                                                       else "")
    components.append({"code": {"coding": [{"system": LOINC, "code": "81259-4", "display": "Associated phenotype"}]},
                       "valueCodeableConcept": {"text": context}})
    components.append({"code": {"coding": [{"system": LOINC, "code": "93044-6", "display": "Level of evidence"}]},
                       "valueCodeableConcept": {"text": f"AMP/ASCO/CAP tier {therapy.tier}; evidence: "
                                                        f"{therapy.evidence}"}})
    text = therapy.summary + ("" if therapy.tumour_match == "same" else
                              " (evidence from another tumour type)")
    if therapy.caveats:
        text += " Caveats: " + " ".join(therapy.caveats)
    components.append(_conclusion_component(text))
    body = builder.observation("therapeutic-implication",
                               {"coding": [{"system": TBD, "code": "therapeutic-implication",
                                            "display": "Therapeutic Implication"}]},
                               derivedFrom=derived, component=components)
    citations = {c.id: c for c in therapy.citations}
    extensions = _citation_extension(list(citations), citations)
    if extensions:
        body = {"resourceType": body.pop("resourceType"), "extension": extensions, **body}
    builder.add(f"implication/onco/{therapy.record_id}", body, result=True)


# --- rare disease ---------------------------------------------------------------------------------------


def _export_rare(builder: _Builder, rare: RareResult) -> None:
    variant_refs: dict[str, str] = {}
    exported = 0
    for disease in rare.diseases:
        if not disease.variants:
            continue
        derived = []
        for evidence in disease.variants:
            if evidence.variant not in variant_refs:
                variant_refs[evidence.variant] = _export_rare_variant(builder, evidence)
            derived.append({"reference": variant_refs[evidence.variant]})
        _export_diagnostic_implication(builder, disease, list({d["reference"]: d for d in derived}.values()))
        exported += 1
    without = sum(1 for d in rare.diseases if not d.variants)
    if without:
        builder.left_out.append(f"{without} rare-disease candidate(s) ranked on phenotype alone (no variant): no "
                                "FHIR form (see rare/interpretation.json, a GA4GH phenopacket)")


def _export_rare_variant(builder: _Builder, evidence: VariantEvidence) -> str:
    components: list[dict[str, Any]] = [_gene_component(evidence.gene), {
        "code": {"coding": [{"system": LOINC, "code": "81252-9", "display": "Discrete genetic variant"}]},
        "valueCodeableConcept": {"text": f"{evidence.variant} (GRCh38)"}}]
    if evidence.hgvsc:
        components.append({"code": {"coding": [{"system": LOINC, "code": "48004-6",
                                                 "display": "DNA change (c.HGVS)"}]},
                           "valueCodeableConcept": {"coding": [{"system": HGVS, "code": evidence.hgvsc}]}})
    if evidence.hgvsp:
        components.append({"code": {"coding": [{"system": LOINC, "code": "48005-3",
                                                 "display": "Amino acid change (pHGVS)"}]},
                           "valueCodeableConcept": {"coding": [{"system": HGVS, "code": evidence.hgvsp}]}})
    components.append({"code": {"coding": [{"system": LOINC, "code": "48002-0", "display": "Genomic source class"}]},
                       "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA6683-2",
                                                            "display": "Germline"}]}})
    zygosity = _ZYGOSITY_CODES.get(evidence.zygosity.lower())
    components.append({"code": {"coding": [{"system": LOINC, "code": "53034-5", "display": "Allelic state"}]},
                       "valueCodeableConcept": {"coding": [{"system": LOINC, "code": zygosity[0],
                                                            "display": zygosity[1]}]} if zygosity else
                       {"text": evidence.zygosity}})
    return builder.add(f"variant/rare/{evidence.variant}", builder.observation(
        "variant", {"coding": [{"system": LOINC, "code": "69548-6", "display": "Genetic variant assessment"}]},
        valueCodeableConcept=PRESENT, component=components), result=True)


def _export_diagnostic_implication(builder: _Builder, disease: DiseaseCandidate,
                                   derived: list[dict[str, str]]) -> None:
    classes = [v.acmg.classification for v in disease.variants]
    worst = _most_severe(classes)
    significance = _SIGNIFICANCE_CODES.get(worst.lower())
    components: list[dict[str, Any]] = [
        {"code": {"coding": [{"system": LOINC, "code": "53037-8", "display": "Genetic variation clinical "
                                                                             "significance"}]},
         "valueCodeableConcept": ({"coding": [{"system": LOINC, "code": significance[0], "display": significance[1]}],
                                   "text": worst} if significance else {"text": worst})},
        {"code": {"coding": [{"system": LOINC, "code": "81259-4", "display": "Associated phenotype"}]},
         "valueCodeableConcept": {"text": f"{disease.disease_name} ({disease.disease_id})"}}]
    for mode in disease.inheritance[:1]:
        coded = _INHERITANCE_CODES.get(str(mode))
        components.append({"code": {"coding": [{"system": TBD, "code": "condition-inheritance"}]},
                           "valueCodeableConcept": {"coding": [{"system": HPO, "code": coded[0], "display": coded[1]}]}
                           if coded else {"text": str(mode)}})
    summary = (f"Rank {disease.rank}: {disease.disease_name} ({disease.disease_id}), gene {disease.gene or '-'}; "
               f"post-test probability {disease.posttest_probability:.3g} (phenotype LR {disease.phenotype_lr:.3g}"
               + (f", genotype LR {disease.genotype_lr:.3g}" if disease.genotype_lr is not None else "") + ")"
               + (f"; {disease.inheritance_fit}" if disease.inheritance_fit else "")
               + ". ACMG/AMP criteria: " + "; ".join(
                   f"{v.variant}: {v.acmg.classification} ({', '.join(c.code for c in v.acmg.criteria) or 'none'})"
                   for v in disease.variants) + ". A ranked candidate for review, not a diagnosis.")
    components.append(_conclusion_component(summary))
    builder.add(f"implication/rare/{disease.disease_id}", builder.observation(
        "diagnostic-implication", {"coding": [{"system": TBD, "code": "diagnostic-implication",
                                               "display": "Diagnostic Implication"}]},
        derivedFrom=derived, component=components), result=True)


_SEVERITY_ORDER = ["pathogenic", "likely pathogenic", "uncertain significance", "likely benign", "benign"]


def _most_severe(classes: Sequence[str]) -> str:
    ranked = sorted(classes, key=lambda c: _SEVERITY_ORDER.index(c.lower()) if c.lower() in _SEVERITY_ORDER else 2)
    return ranked[0] if ranked else "Uncertain significance"


# --- the study and the report ---------------------------------------------------------------------------


_GRCH38 = {"coding": [{"system": LOINC, "code": "LA26806-2", "display": "GRCh38"}]}
_SOURCE_CLASS = {"germline": {"coding": [{"system": LOINC, "code": "LA6683-2", "display": "Germline"}]},
                 "somatic": {"coding": [{"system": LOINC, "code": "LA6684-0", "display": "Somatic"}]}}


def _analyses(builder: _Builder, pgx: PgxResult | None, rare: RareResult | None, onco: OncoResult | None,
              created: str | None) -> list[str]:
    """One GenomicStudyAnalysis (the IG's ``genomic-study-analysis`` Procedure) per section: title, GRCh38, the
    genomic source class, and for PGx the genes studied, called and not called."""
    references = []
    for key, title, source_class, result in (("pgx", "pharmacogenomics", "germline", pgx),
                                             ("rare", "rare-disease diagnostics", "germline", rare),
                                             ("onco", "tumour actionability", "somatic", onco)):
        if result is None:
            continue
        extensions: list[dict[str, Any]] = [
            {"url": IG + "genomic-study-analysis-title", "valueString": f"TailorMed {title}"},
            {"url": IG + "genomic-study-analysis-genome-build", "valueCodeableConcept": _GRCH38},
            {"url": IG + "genomic-study-analysis-genomic-source-class",
             "valueCodeableConcept": _SOURCE_CLASS[source_class]}]
        if isinstance(result, PgxResult):
            called = [g.gene for g in result.genes if g.tested and (g.diplotypes or g.phenotype)]
            regions: list[dict[str, Any]] = [{"url": "description", "valueString": "the defining positions of each "
                                              "gene's star alleles in the knowledge pack (calls made elsewhere for "
                                              "genes reported by an outside call)"}]
            regions += [{"url": "studied", "valueCodeableConcept": _gene_concept(g.gene)} for g in result.genes]
            regions += [{"url": "called", "valueCodeableConcept": _gene_concept(g)} for g in called]
            regions += [{"url": "uncalled", "valueCodeableConcept": _gene_concept(g.gene)} for g in result.genes
                        if g.gene not in called]
            extensions.append({"url": IG + "genomic-study-analysis-regions", "extension": regions})
        analysis: dict[str, Any] = {
            "resourceType": "Procedure", "meta": {"profile": [IG + "genomic-study-analysis"]},
            "extension": extensions, "status": "completed",
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                     "code": "laboratory"}]},
            "subject": builder.subject}
        if created:
            analysis["performedDateTime"] = created
        references.append(builder.add(f"genomic-study-analysis/{key}", analysis))
    return references


def _genomic_study(builder: _Builder, pgx: PgxResult | None, rare: RareResult | None, onco: OncoResult | None,
                   created: str | None, analyses: list[str]) -> dict[str, Any]:
    notes = []
    for name, result in (("pharmacogenomics", pgx), ("rare disease", rare), ("oncology", onco)):
        if result is None:
            continue
        provenance = result.provenance
        notes.append({"text": f"{name}: {provenance.software} {provenance.software_version}; knowledge "
                              f"{', '.join(provenance.knowledge)}"
                              + (f"; assumptions: {'; '.join(provenance.assumptions)}" if provenance.assumptions
                                 else "")})
    study: dict[str, Any] = {
        "resourceType": "Procedure", "meta": {"profile": [IG + "genomic-study"]},
        "extension": [{"url": IG + "genomic-study-analysis-ext", "valueReference": {"reference": r}} for r in analyses],
        "status": "completed",
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                 "code": "laboratory"}]},
        "code": {"text": "TailorMed analysis: " + ", ".join(
            n for n, r in (("pharmacogenomics", pgx), ("rare disease", rare), ("oncology", onco)) if r is not None)},
        "subject": builder.subject}
    if created:
        study["performedDateTime"] = created
    if notes:
        study["note"] = notes
    return study


def _conclusion(builder: _Builder, pgx: PgxResult | None, rare: RareResult | None, onco: OncoResult | None) -> str:
    parts = []
    if pgx is not None:
        called = [g.gene for g in pgx.genes if g.tested and (g.diplotypes or g.phenotype)]
        untested = [g.gene for g in pgx.genes if g.gene not in called]
        changes = sorted({d.drug for d in pgx.drugs if d.status == "actionable"})
        parts.append(f"Pharmacogenomics: {len(called)} of {len(pgx.genes)} genes called"
                     + (f" (not tested or not called: {', '.join(untested)})" if untested else "")
                     + (f"; genotype-guided changes advised for {', '.join(changes)}" if changes else ""))
    if onco is not None:
        parts.append(f"Oncology ({onco.tumour_type_name}): {len(onco.alterations)} alteration(s), "
                     f"{len(onco.therapies)} therapy option(s)")
    if rare is not None and rare.diseases:
        top = rare.diseases[0]
        parts.append(f"Rare disease: top candidate {top.disease_name} ({top.disease_id}), post-test probability "
                     f"{top.posttest_probability:.2g}")
    if builder.left_out:
        parts.append("Not in this Bundle: " + "; ".join(builder.left_out))
    return ". ".join(parts) + "."

