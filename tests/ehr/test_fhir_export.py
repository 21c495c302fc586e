"""FHIR export of the demo analysis: every resource passes the IG check, and the Bundle says what the analysis
says (diplotypes, HGNC and RxNorm codes, phenotypes used, recommendations, sources, tumour and rare findings)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tailormed.errors import InputError

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"


@pytest.fixture(scope="module")
def bundle(demo_documents: dict[str, Any], checker: Any) -> dict[str, Any]:
    from tailormed.ehr.fhir_export import analysis_bundle

    return analysis_bundle(demo_documents)


def _by_profile(bundle: dict[str, Any], profile: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if IG + profile in e["resource"].get("meta", {}).get("profile", [])]


def _component(resource: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [c for c in resource.get("component", []) if any(x["code"] == code for x in c["code"]["coding"])]


def _resolve(bundle: dict[str, Any], reference: str) -> dict[str, Any]:
    found = [e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference]
    assert len(found) == 1, reference
    return found[0]


def _genotype(bundle: dict[str, Any], gene: str) -> dict[str, Any]:
    found = [g for g in _by_profile(bundle, "genotype")
             if _component(g, "48018-6")[0]["valueCodeableConcept"]["coding"][0]["display"] == gene]
    assert len(found) == 1
    return found[0]


def _implication(bundle: dict[str, Any], drug: str) -> list[dict[str, Any]]:
    return [t for t in _by_profile(bundle, "therapeutic-implication")
            if _component(t, "51963-7")[0]["valueCodeableConcept"]["text"] == drug]


def test_every_exported_resource_passes_the_ig_check(bundle: dict[str, Any], checker: Any) -> None:
    report = checker.check(bundle)
    assert [str(i) for i in report.errors] == []
    assert report.resources == len(bundle["entry"]) + 1
    profiles = {p.rsplit("/", 1)[-1] for p in report.profiles_checked}
    assert {"genomic-report", "genomic-study", "genomic-study-analysis", "genotype", "haplotype",
            "therapeutic-implication",
            "medication-recommendation", "variant", "diagnostic-implication"} <= profiles


def test_the_bundle_parses_with_the_fhir_resources_models(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    assert len(Bundle.model_validate(bundle).entry or []) == len(bundle["entry"])


def test_every_reference_resolves_inside_the_bundle(bundle: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                references.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)
    assert references and set(references) <= urls


def test_the_report_lists_every_result_the_study_and_the_recommended_actions(bundle: dict[str, Any]) -> None:
    report = bundle["entry"][0]["resource"]
    assert report["resourceType"] == "DiagnosticReport"
    assert report["code"]["coding"][0]["code"] == "51969-4"
    observations = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"}
    assert {r["reference"] for r in report["result"]} == observations
    tasks = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task"}
    actions = {x["valueReference"]["reference"] for x in report["extension"] if x["url"].endswith("recommended-action")}
    assert actions == tasks
    study = [x["valueReference"]["reference"] for x in report["extension"]
             if x["url"].endswith("genomic-study-reference")]
    assert _resolve(bundle, study[0])["resourceType"] == "Procedure"


def test_genotype_carries_the_diplotype_and_the_hgnc_gene(bundle: dict[str, Any],
                                                          demo_documents: dict[str, Any]) -> None:
    genes = {g["gene"]: g for g in demo_documents["pgx.json"]["genes"]}
    genotype = _genotype(bundle, "CYP2C19")
    expected = "/".join(genes["CYP2C19"]["diplotypes"][0]["alleles"])
    assert genotype["valueCodeableConcept"]["text"] == f"CYP2C19 {expected}"
    assert genotype["valueCodeableConcept"]["coding"][0] == {"system": "http://www.pharmvar.org",
                                                              "code": f"CYP2C19{expected}",
                                                              "display": f"CYP2C19 {expected}"}
    assert _component(genotype, "48018-6")[0]["valueCodeableConcept"]["coding"][0]["code"] == "HGNC:2621"
    haplotypes = [_resolve(bundle, r["reference"]) for r in genotype["derivedFrom"]]
    assert {h["valueCodeableConcept"]["text"] for h in haplotypes} == {
        f"CYP2C19 {a}" for a in genes["CYP2C19"]["diplotypes"][0]["alleles"]}
    assert all(h["code"]["coding"][0]["code"] == "84414-2" for h in haplotypes)


def test_a_gene_without_pharmvar_star_alleles_gets_no_pharmvar_code(bundle: dict[str, Any]) -> None:
    dpyd = _genotype(bundle, "DPYD")
    assert "coding" not in dpyd["valueCodeableConcept"]
    assert _component(dpyd, "48018-6")[0]["valueCodeableConcept"]["coding"][0]["code"] == "HGNC:3012"


def test_clopidogrel_implication_rxnorm_phenotype_context_and_cpic_source(bundle: dict[str, Any]) -> None:
    implications = _implication(bundle, "clopidogrel")
    assert implications
    acs = next(t for t in implications if "PCI" in _component(t, "81259-4")[0]["valueCodeableConcept"]["text"])
    assert _component(acs, "51963-7")[0]["valueCodeableConcept"]["coding"][0]["code"] == "32968"
    implication = _component(acs, "therapeutic-implication")[0]["valueCodeableConcept"]
    assert implication["coding"][0]["code"] == "LA10317-8"  # intermediate metabolizer
    assert implication["text"] == "CYP2C19 Intermediate Metabolizer"
    sources = [x["valueRelatedArtifact"] for x in acs["extension"]]
    assert any(s.get("url") == "https://doi.org/10.1002/cpt.2526" and s["type"] == "citation" for s in sources)
    assert [_resolve(bundle, r["reference"]) for r in acs["derivedFrom"]] == [_genotype(bundle, "CYP2C19")]
    assert "prasugrel or ticagrelor" in _component(acs, "conclusion-string")[0]["valueString"]


def test_the_phenotype_used_after_phenoconversion_is_the_one_coded(bundle: dict[str, Any],
                                                                    demo_documents: dict[str, Any]) -> None:
    codeine = next(d for d in demo_documents["pgx.json"]["drugs"] if d["drug"] == "codeine")
    assert codeine["basis"][0]["phenotype_used"] == "adjusted"  # paroxetine in the medication list
    implication = _implication(bundle, "codeine")[0]
    value = _component(implication, "therapeutic-implication")[0]["valueCodeableConcept"]
    assert value["text"] == f"CYP2D6 {codeine['basis'][0]['adjusted_phenotype']}"
    assert value["coding"][0]["code"] == "LA9657-3"  # poor metabolizer
    assert "paroxetine" in _component(implication, "conclusion-string")[0]["valueString"].lower()


def test_one_recommendation_task_per_care_changing_recommendation(bundle: dict[str, Any],
                                                                 demo_documents: dict[str, Any]) -> None:
    actionable = [d for d in demo_documents["pgx.json"]["drugs"] if d["status"] == "actionable" and d["recommendation"]]
    tasks = _by_profile(bundle, "medication-recommendation")
    assert len(tasks) == len(actionable)
    for task in tasks:
        assert (task["status"], task["intent"]) == ("requested", "proposal")
        drug = task["description"].split(":", 1)[0]
        reason = _resolve(bundle, task["reasonReference"]["reference"])
        assert _component(reason, "51963-7")[0]["valueCodeableConcept"]["text"] == drug
    standard = {d["drug"] for d in demo_documents["pgx.json"]["drugs"] if d["status"] == "standard"}
    assert not {t["description"].split(":", 1)[0] for t in tasks} & (standard - {d["drug"] for d in actionable})


def test_oncology_variants_and_their_therapy_implications(bundle: dict[str, Any]) -> None:
    variants = {_component(v, "81252-9")[0]["valueCodeableConcept"]["text"]: v for v in _by_profile(bundle, "variant")}
    egfr = variants["EGFR E746_A750del"]
    assert _component(egfr, "48002-0")[0]["valueCodeableConcept"]["coding"][0]["code"] == "LA6684-0"  # somatic
    assert _component(egfr, "81258-6")[0]["valueQuantity"]["value"] == pytest.approx(0.3665, abs=1e-4)
    onco = [t for t in _by_profile(bundle, "therapeutic-implication")
            if any(_resolve(bundle, r["reference"]) is egfr for r in t["derivedFrom"])]
    drugs = {c["valueCodeableConcept"]["text"] for t in onco for c in _component(t, "51963-7")}
    assert "osimertinib" in drugs
    responses = {_component(t, "therapeutic-implication")[0]["valueCodeableConcept"]["coding"][0]["code"]
                 for t in _by_profile(bundle, "therapeutic-implication") if not _component(t, "93044-6")[0][
                     "valueCodeableConcept"]["text"].startswith("classification")}
    assert responses == {"LA6677-4", "LA6676-6"}  # responsive and resistant (EGFR T790M)
    # The context component names a non-metastatic line so that adjuvant osimertinib is not read as first line, and
    # the caveats say the metastatic demo tumour is not its setting.
    contexts = {_component(t, "81259-4")[0]["valueCodeableConcept"]["text"]: t for t in onco}
    adjuvant = [text for text in contexts if "adjuvant/perioperative (non-metastatic disease)" in text]
    assert adjuvant and all("first line" not in text for text in adjuvant)
    assert all("not an option for metastatic disease" in _component(contexts[text], "conclusion-string")[0][
        "valueString"] for text in adjuvant)


def test_rare_disease_candidates_with_variants_become_diagnostic_implications(
        bundle: dict[str, Any], demo_documents: dict[str, Any]) -> None:
    rare = demo_documents["rare/result.json"]
    with_variants = [d for d in rare["diseases"] if d["variants"]]
    implications = _by_profile(bundle, "diagnostic-implication")
    assert len(implications) == len(with_variants)
    top = next(i for i in implications
               if with_variants[0]["disease_id"] in _component(i, "81259-4")[0]["valueCodeableConcept"]["text"])
    assert _component(top, "53037-8")[0]["valueCodeableConcept"]["text"] == with_variants[0]["variants"][0]["acmg"][
        "classification"]
    variant = _resolve(bundle, top["derivedFrom"][0]["reference"])
    assert _component(variant, "48004-6")[0]["valueCodeableConcept"]["coding"][0]["code"] == with_variants[0][
        "variants"][0]["hgvsc"]
    assert "phenotype alone" in bundle["entry"][0]["resource"]["conclusion"]


def test_the_export_is_deterministic_and_can_name_the_ehr_patient(demo_documents: dict[str, Any],
                                                                  bundle: dict[str, Any], checker: Any) -> None:
    from tailormed.ehr.fhir_export import analysis_bundle

    assert analysis_bundle(copy.deepcopy(demo_documents)) == bundle
    on_server = analysis_bundle(demo_documents, patient_reference="Patient/123")
    assert not [e for e in on_server["entry"] if e["resource"]["resourceType"] == "Patient"]
    subjects = {json.dumps(e["resource"].get("subject") or e["resource"].get("for")) for e in on_server["entry"]}
    assert subjects == {json.dumps({"reference": "Patient/123"})}
    assert checker.check(on_server).errors == []


def test_documents_of_the_wrong_shape_are_refused_naming_the_document(demo_documents: dict[str, Any]) -> None:
    from tailormed.ehr.fhir_export import analysis_bundle

    compact = dict(demo_documents["pgx.json"], detail="compact")
    with pytest.raises(InputError, match=r"out/pgx.json: a compact PGx document"):
        analysis_bundle({"analysis.json": {"patient": "P"}, "pgx.json": compact}, source="out")
    broken = copy.deepcopy(demo_documents["pgx.json"])
    del broken["genes"][0]["gene"]
    with pytest.raises(InputError, match=r"out/pgx.json:genes.0.gene: not a TailorMed pgx.json document"):
        analysis_bundle({"pgx.json": broken}, source="out")
    with pytest.raises(InputError, match="no analysis documents"):
        analysis_bundle({"analysis.json": {"patient": "P"}})


def test_a_compound_hla_phenotype_names_the_allele_the_advice_rests_on(bundle: dict[str, Any]) -> None:
    abacavir = _implication(bundle, "abacavir")[0]
    value = _component(abacavir, "therapeutic-implication")[0]["valueCodeableConcept"]
    assert value == {"text": "HLA-B *57:01 positive"}  # no LOINC metabolizer code for an HLA carrier status
    allopurinol = _implication(bundle, "allopurinol")[0]
    assert _component(allopurinol, "therapeutic-implication")[0]["valueCodeableConcept"]["text"] == (
        "HLA-B *58:01 negative")


def test_the_pgx_analysis_lists_the_genes_studied_called_and_not_called(bundle: dict[str, Any],
                                                                        demo_documents: dict[str, Any]) -> None:
    study = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
                 and e["resource"]["meta"]["profile"][0].endswith("/genomic-study"))
    analyses = [_resolve(bundle, x["valueReference"]["reference"]) for x in study["extension"]]
    titles = {next(x["valueString"] for x in a["extension"] if x["url"].endswith("-title")): a for a in analyses}
    assert set(titles) == {"TailorMed pharmacogenomics", "TailorMed rare-disease diagnostics",
                           "TailorMed tumour actionability"}
    regions = next(x["extension"] for x in titles["TailorMed pharmacogenomics"]["extension"]
                   if x["url"].endswith("-regions"))
    listed = {kind: {r["valueCodeableConcept"]["coding"][0]["display"] for r in regions if r["url"] == kind}
              for kind in ("studied", "called", "uncalled")}
    genes = demo_documents["pgx.json"]["genes"]
    assert listed["studied"] == {g["gene"] for g in genes}
    assert listed["called"] == {g["gene"] for g in genes if g["tested"] and (g["diplotypes"] or g["phenotype"])}
    assert listed["uncalled"] == listed["studied"] - listed["called"]
    build = next(x for x in titles["TailorMed tumour actionability"]["extension"] if x["url"].endswith("genome-build"))
    assert build["valueCodeableConcept"]["coding"][0]["code"] == "LA26806-2"
