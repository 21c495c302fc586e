"""MOAlmanac import: the real moalmanac-db 'referenced' release (from ../shared) and small synthetic folders."""

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from tailormed.errors import InputError
from tailormed.kb.importers.moalmanac import UnmappableError, import_moalmanac, map_biomarker, map_disease
from tailormed.kb.importers.onco_pack import ImportSummary
from tailormed.kb.onco import OncoKnowledge, load_onco_knowledge


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportSummary, OncoKnowledge]:
    source = shared_path("onco", "moalmanac", "referenced")
    dest = tmp_path_factory.mktemp("packs") / "moalmanac"
    summary = import_moalmanac(source, dest)
    return summary, load_onco_knowledge(str(dest))


def _find(knowledge: OncoKnowledge, *, drugs: list[str], tumour: str, alterations: list[str],
          evidence: str) -> list[Any]:
    return [c.record for c in knowledge.records if c.record.drugs == drugs and tumour in c.record.tumour_types
            and c.record.alterations == alterations and c.record.evidence == evidence]


def test_real_release_loads_with_expected_records(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    summary, knowledge = imported
    assert summary.records == len(knowledge.records) > 1000
    assert knowledge.versions == ["2026-05-07"]
    vemurafenib = _find(knowledge, drugs=["vemurafenib"], tumour="MEL", alterations=["BRAF V600E"], evidence="fda")
    assert len(vemurafenib) == 1
    record = vemurafenib[0]
    assert record.response == "sensitive"
    assert record.approval_date == "2011-08-17"
    source = knowledge.sources[record.sources[0]]
    assert "Zelboraf" in source.citation and source.url and source.url.startswith("https://www.accessdata.fda.gov/")
    imatinib = _find(knowledge, drugs=["imatinib"], tumour="CML", alterations=["BCR::ABL1 fusion"], evidence="fda")
    assert imatinib and all(r.response == "sensitive" for r in imatinib)


def test_other_regulators_are_not_called_fda(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    _, knowledge = imported
    ema = _find(knowledge, drugs=["vemurafenib"], tumour="MEL", alterations=["BRAF V600E"], evidence="clinical-trial")
    assert ema and any("EMA" in r.summary for r in ema)
    for compiled in knowledge.records:
        cited = [knowledge.sources[s] for s in compiled.record.sources]
        is_fda_document = all("Food and Drug Administration" in s.citation for s in cited)
        assert (compiled.record.evidence == "fda") == is_fda_document, compiled.record.id


def test_biomarker_kinds_map_to_our_language(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    _, knowledge = imported
    by_alteration: dict[str, set[str]] = {}
    for compiled in knowledge.records:
        for text in compiled.record.alterations:
            by_alteration.setdefault(text, set()).update(compiled.record.tumour_types)
    assert "APLPMLRARA" in by_alteration["PML::RARA fusion"]           # t(15;17)
    assert {"BLL", "TLL"} <= by_alteration["KMT2A fusion"]              # t(KMT2A;v) in OncoTree-2021 'ALL'
    assert "NSCLC" in by_alteration["ALK fusion"]                        # v::ALK
    assert "NSCLC" in by_alteration["MET exon 14 skipping"]
    assert "NSCLC" in by_alteration["EGFR exon 19 deletion"]
    assert "NSCLC" in by_alteration["EGFR exon 20 insertion"]
    assert "SOLID" in by_alteration["NTRK1 fusion"] and "SOLID" in by_alteration["TMB-H"]
    assert "AML" in by_alteration["FLT3 ITD"]
    assert "germline BRCA1 oncogenic" in by_alteration and "BRCA1 oncogenic" in by_alteration
    assert "COADREAD" in by_alteration["KRAS wildtype"]
    assert "NSCLC" in by_alteration["PD-L1 TPS >= 50"]
    assert "PTEN truncating" in by_alteration and "ERBB2 amplification" in by_alteration
    assert "EZH2 A682G" in by_alteration and "EZH2 A862G" not in by_alteration   # name typo; protein_change wins


def test_unexpressible_statements_are_counted_not_dropped(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    summary, _ = imported
    assert summary.skipped["protein marker not supported: CD20 Positive"] > 0
    assert summary.skipped["arm-level copy number"] > 0
    assert summary.skipped["biomarker required to be absent (not expressible)"] > 0
    assert summary.records + summary.merged + summary.skipped_total == summary.read == 1944
    assert any("A682G" in note for note in summary.notes)


def test_miscoded_disease_statements_are_skipped(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    summary, knowledge = imported
    # MOAlmanac codes the gilteritinib (AML) label as acute lymphoid leukaemia: skipped, reported.
    assert summary.skipped["disease contradicts indication text (data-entry error)"] >= 8
    gilteritinib = [c.record for c in knowledge.records if c.record.drugs == ["gilteritinib"]]
    assert all(not {"BLL", "TLL"} & set(r.tumour_types) for r in gilteritinib)


def test_every_tumour_code_exists_in_current_oncotree(imported: tuple[ImportSummary, OncoKnowledge]) -> None:
    _, knowledge = imported
    tree = json.loads(shared_path("onco", "oncotree", "oncotree_2025_10_03.json").read_text())
    codes: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        codes.add(node["code"])
        children = node.get("children") or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(tree["TISSUE"])
    used = {code for c in knowledge.records for code in c.record.tumour_types}
    assert used - codes <= {"SOLID", "HEME", "ANY"}


# --------------------------------------------------------------------------- synthetic folders


def _biomarker(name: str, kind: str, **ext: Any) -> dict[str, Any]:
    extensions = [{"name": "biomarker_type", "value": kind}] + [{"name": k, "value": v} for k, v in ext.items()]
    return {"id": 0, "type": "CategoricalVariant", "name": name, "extensions": extensions}


@pytest.mark.parametrize(("biomarker", "genes", "expected"), [
    (_biomarker("BRAF p.V600E", "Somatic Variant", protein_change="p.V600E", variant_annotation="Missense",
                exon=15, _present=True), ["BRAF"], "BRAF V600E"),
    (_biomarker("BRCA2 pathogenic variants", "Germline Variant", requires_pathogenic=True, _present=True),
     ["BRCA2"], "germline BRCA2 oncogenic"),
    (_biomarker("EGFR somatic variants", "Somatic Variant", requires_oncogenic=False, _present=True), ["EGFR"],
     "EGFR mutation"),
    (_biomarker("MET Exon 14 (Deletion)", "Somatic Variant", variant_annotation="Deletion", exon=14,
                _present=True), ["MET"], "MET exon 14 skipping"),
    (_biomarker("PTEN nonsense variants", "Somatic Variant", variant_annotation="Nonsense", requires_oncogenic=True,
                _present=True), ["PTEN"], "PTEN truncating"),
    (_biomarker("FGFR2::v", "Rearrangement", rearrangement_type="Fusion", _present=True), ["FGFR2"],
     "FGFR2 fusion"),
    (_biomarker("FGFR1 rearrangements", "Rearrangement", rearrangement_type=None, _present=True), ["FGFR1"],
     "FGFR1 rearrangement"),
    (_biomarker("t(15;17)", "Rearrangement", rearrangement_type="Translocation", _present=True), [],
     "PML::RARA fusion"),
    (_biomarker("Wild type NRAS", "Wild type", _present=True), ["NRAS"], "NRAS wildtype"),
    (_biomarker("PTEN deletion", "Copy Number", direction="Deletion", _present=True), ["PTEN"], "PTEN deletion"),
    (_biomarker("pMMR", "Mismatch Repair", status="Proficient", _present=True), [], "pMMR"),
    (_biomarker("HRD", "Homologous Recombination", status="Deficient", _present=True), [], "HRD"),
    (_biomarker("HER2-low", "Protein expression", marker="Human epidermal growth factor receptor 2 (HER2)",
                unit="status", equality="=", value="Low", _present=True), [], "HER2-low"),
    (_biomarker("PD-L1 (TAP) >= 5%", "Protein expression", marker="PD-L1", unit="Tumor Area Positivity (TAP)",
                equality=">=", value=0.05, _present=True), [], "PD-L1 TAP >= 5"),
    (_biomarker("PD-L1 >= 10% TIIC", "Protein expression", marker="PD-L1",
                unit="Tumor-infiltrating immune cells (TIIC)", equality=">=", value=0.1, _present=True), [],
     "PD-L1 IC >= 10"),
])
def test_map_biomarker(biomarker: dict[str, Any], genes: list[str], expected: str) -> None:
    assert map_biomarker(biomarker, genes) == expected


@pytest.mark.parametrize(("biomarker", "genes", "reason"), [
    (_biomarker("CD20 +", "Protein expression", marker="CD20", unit="status", equality="=", value="Positive",
                _present=True), [], "CD20"),
    (_biomarker("17p deletion", "Copy Number (arm level)", arm="p", direction="Deletion", _present=True), [],
     "arm-level"),
    (_biomarker("KIT p.D816V", "Somatic Variant", protein_change="p.D816V", _present=False), ["KIT"], "absent"),
    (_biomarker("PD-L1 < 1%", "Protein expression", marker="PD-L1", unit="Tumor Proportion Score (TPS)",
                equality="<", value=0.01, _present=True), [], "lower bounds"),
    (_biomarker("ERBB2 TKD activating variants", "Somatic Variant", requires_oncogenic=True, _present=True),
     ["ERBB2"], "TKD"),
])
def test_unmappable_biomarkers_give_a_reason(biomarker: dict[str, Any], genes: list[str], reason: str) -> None:
    with pytest.raises(UnmappableError, match=reason):
        map_biomarker(biomarker, genes)


def test_map_disease() -> None:
    assert map_disease({"primary_coding_id": "oncotree:MEL"}) == ["MEL"]
    assert map_disease({"primary_coding_id": "oncotree:MM"}) == ["PCM"]
    assert map_disease({"primary_coding_id": "ncit:C132146"}) == ["SOLID"]
    with pytest.raises(UnmappableError, match="C3467"):
        map_disease({"primary_coding_id": "ncit:C3467", "name": "Cutaneous T-cell Lymphoma"})


def _write_release(folder: Path) -> Path:
    """A two-statement release in moalmanac-db's referenced layout (synthetic, not MOAlmanac content)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {
        "about": {"name": "Molecular Oncology Almanac", "license": "GPL-2.0", "release": "test",
                  "last_updated": "2030-01-01", "github": "https://github.com/vanallenlab/moalmanac-db"},
        "genes": [{"id": 0, "name": "BRAF"}],
        "biomarkers": [_biomarker("BRAF p.V600E", "Somatic Variant", protein_change="p.V600E", _present=True)
                       | {"id": 0, "genes": [0]},
                       _biomarker("CD20 +", "Protein expression", marker="CD20", unit="status", value="Positive",
                                  _present=True) | {"id": 1}],
        "diseases": [{"id": 0, "name": "Melanoma", "primary_coding_id": "oncotree:MEL"}],
        "therapies": [{"id": 0, "name": "Drugone"}, {"id": 1, "name": "Drugtwo"}],
        "therapy_groups": [{"id": 0, "membershipOperator": "AND", "therapies": [0, 1]}],
        "propositions": [
            {"id": 0, "predicate": "predictSensitivityTo", "biomarkers": [0], "conditionQualifier_id": 0,
             "therapy_id": None, "therapy_group_id": 0},
            {"id": 1, "predicate": "predictSensitivityTo", "biomarkers": [1], "conditionQualifier_id": 0,
             "therapy_id": 0, "therapy_group_id": None}],
        "documents": [{"id": "doc:fda.test", "documentType": "Regulatory approval", "name": "Test label. FDA.",
                       "description": "Synthetic test label, package insert, FDA.", "urls": ["url:fda.test"],
                       "agent_id": "fda", "publication_date": "2029-12-01", "status": "Active"}],
        "urls": [{"id": "url:fda.test", "url": "https://example.org/label.pdf"}],
        "indications": [{"id": "ind:0", "indication": "Synthetic indication text for testing only.",
                         "initial_approval_date": "2029-12-01", "raw_cancer_type": "melanoma"}],
        "strengths": [{"id": 0, "name": "Approval"}],
        "statements": [
            {"id": 10, "reportedIn": ["doc:fda.test"], "proposition_id": 0, "direction": "supports",
             "strength_id": 0, "indication_id": "ind:0"},
            {"id": 11, "reportedIn": ["doc:fda.test"], "proposition_id": 1, "direction": "supports",
             "strength_id": 0, "indication_id": "ind:0"}],
    }
    for key, value in files.items():
        (folder / f"{key}.json").write_text(json.dumps(value))
    return folder


def test_synthetic_release_round_trip(tmp_path: Path) -> None:
    source = _write_release(tmp_path / "referenced")
    summary = import_moalmanac(source.parent, tmp_path / "pack", name="moa-test")
    knowledge = load_onco_knowledge(str(tmp_path / "pack"))
    assert summary.records == 1 and summary.skipped == {"protein marker not supported: CD20 Positive": 1}
    record = knowledge.records[0].record
    assert (record.id, record.alterations, record.tumour_types) == ("moa-test-s10", ["BRAF V600E"], ["MEL"])
    assert (record.therapy, record.drugs, record.evidence) == ("drugone + drugtwo", ["drugone", "drugtwo"], "fda")
    assert record.approval_date == "2029-12-01"
    assert knowledge.sources[record.sources[0]].url == "https://example.org/label.pdf"


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    source = _write_release(tmp_path / "referenced")
    (source / "biomarkers.json").write_text('[{"id": 0, "name": "BRAF"')
    with pytest.raises(InputError) as error:
        import_moalmanac(source, tmp_path / "pack")
    assert "biomarkers.json" in str(error.value) and "not valid JSON" in str(error.value)
    assert not (tmp_path / "pack").exists()


def test_missing_file_and_dangling_id_are_named(tmp_path: Path) -> None:
    source = _write_release(tmp_path / "referenced")
    (source / "strengths.json").unlink()
    with pytest.raises(InputError, match="strengths.json"):
        import_moalmanac(source, tmp_path / "pack")
    source = _write_release(tmp_path / "again")
    statements = json.loads((source / "statements.json").read_text())
    statements[1]["proposition_id"] = 99
    (source / "statements.json").write_text(json.dumps(statements))
    with pytest.raises(InputError) as error:
        import_moalmanac(source, tmp_path / "pack")
    assert "statements.json" in str(error.value) and "statements[1]" in str(error.value) and "99" in str(error.value)
    source = _write_release(tmp_path / "third")
    biomarkers = json.loads((source / "biomarkers.json").read_text())
    biomarkers[0]["genes"] = [7]
    (source / "biomarkers.json").write_text(json.dumps(biomarkers))
    with pytest.raises(InputError) as error:
        import_moalmanac(source, tmp_path / "pack")
    assert "biomarkers.json:biomarkers id 0" in str(error.value) and "genes id 7" in str(error.value)


def test_failed_import_leaves_existing_pack_untouched(tmp_path: Path) -> None:
    source = _write_release(tmp_path / "referenced")
    dest = tmp_path / "pack"
    import_moalmanac(source, dest)
    before = (dest / "evidence" / "moalmanac.yaml").read_text()
    (source / "diseases.json").write_text("{not json")
    with pytest.raises(InputError):
        import_moalmanac(source, dest)
    assert (dest / "evidence" / "moalmanac.yaml").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack")] == []
