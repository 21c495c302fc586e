"""`tailormed onco interpret|batch` end to end: outputs, content, and bad input leaving nothing behind."""

import json
from pathlib import Path

import pytest
from conftest import shared_path
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.model.onco import OncoResult
from tailormed.output import MARKER

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


def interpret(out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["onco", "interpret", "--out", str(out), "-q", *args])
    return result.exit_code, result.output


def test_demo_tumour_gives_tiered_cited_options(tmp_path: Path) -> None:
    out = tmp_path / "onco"
    code, output = interpret(out, "--maf", str(DEMO / "tumour.maf"), "--cna", str(DEMO / "tumour-cna.tsv"),
                             "--clinical", str(DEMO / "tumour-clinical.yaml"), "--tumor-type", "LUAD",
                             "--panel-size-mb", "1.1", "--trials", str(DEMO.parent / "trials" / "demo-trials.yaml"))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == ["actionability.json", "alterations.tsv",
                                                                     "report.html", "therapies.tsv"]
    result = OncoResult.model_validate_json((out / "actionability.json").read_text())
    by_id = {o.record_id: o for o in result.therapies}
    osimertinib = [o for o in result.therapies if o.drugs == ["osimertinib"] and o.tumour_match == "same"
                   and o.response == "sensitive"]
    assert osimertinib and all(o.tier == "I-A" and o.citations for o in osimertinib)
    assert any(o.response == "resistant" and "erlotinib" in o.drugs for o in by_id.values())  # EGFR T790M
    # MET 9 copies beside the EGFR exon 19 deletion: acquired resistance to osimertinib, R2, on every osimertinib option
    assert by_id["nsclc-egfr-met-amplification-osimertinib-resistance"].response == "resistant"
    assert all(o.resistance_level == "R2" for o in osimertinib)
    # The demo tumour is metastatic: adjuvant osimertinib is there, but marked as for another setting.
    assert result.disease_setting == "metastatic"
    assert by_id["nsclc-egfr-ex19del-l858r-osimertinib-adjuvant"].disease_setting_match is False
    assert result.alterations[0].tier == "I-A"
    assert result.immunotherapy.tmb is not None and result.immunotherapy.tmb.eligible_mutations == 10
    assert any(t.trial_id.startswith("NCT999999") for t in result.trials)
    html = (out / "report.html").read_text()
    assert "Therapies in this tumour type" in html and "osimertinib" in html
    header = (out / "therapies.tsv").read_text().splitlines()[0]
    assert header.split("\t")[:3] == ["tier", "response", "therapy"]


@pytest.mark.parametrize(("args", "message"), [
    (["--tumor-type", "LUADD"], "did you mean LUAD"),
    (["--tumor-type", "LUAD", "--cna", "__missing__.tsv"], "file not found"),
])
def test_bad_arguments_exit_2_without_output(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    code, output = interpret(out, "--maf", str(DEMO / "tumour.maf"), *args)
    assert code == 2 and message in output.replace("\n", " ")
    assert not out.exists()


@pytest.mark.parametrize("size", ["-1", "0", "nan", "inf", "-inf", "1e400", "3101"])
@pytest.mark.parametrize("command", ["interpret", "batch"])
def test_panel_size_outside_0_to_the_genome_is_refused(tmp_path: Path, size: str, command: str) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["onco", command, "--maf", str(DEMO / "tumour.maf"), "--tumor-type", "LUAD",
                                 f"--panel-size-mb={size}", "--out", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "--panel-size-mb must be above 0 and at most 3100 Mb (the whole GRCh38 genome)" in result.output
    assert not out.exists()


def test_panel_size_and_bed_together_are_refused(tmp_path: Path) -> None:
    bed = tmp_path / "panel.bed"
    bed.write_text("chr7\t0\t1000000\n")
    code, output = interpret(tmp_path / "never", "--maf", str(DEMO / "tumour.maf"), "--tumor-type", "LUAD",
                             "--panel-size-mb", "1.1", "--callable-bed", str(bed))
    assert code == 2 and "give the callable territory once" in output
    assert not (tmp_path / "never").exists()


def test_manifest_panel_size_names_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(f"id: P1\ntumour_type: LUAD\ntumour_panel_size_mb: .inf\n"
                        f"tumour_files: {{maf: {DEMO / 'tumour.maf'}}}\n")
    result = runner.invoke(app, ["analyze", str(manifest), "--out", str(tmp_path / "never"), "-q"])
    assert result.exit_code == 2
    assert f"{manifest}: tumour_panel_size_mb must be above 0" in result.output
    assert not (tmp_path / "never").exists()


def test_malformed_and_wrong_build_mafs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.maf"
    bad.write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
                   "KRAS\tMissense_Mutation\tS1\tp.G12C\nBRAF\tMissense_Mutation\tS1\tp.V600E%\n")
    code, output = interpret(tmp_path / "o1", "--maf", str(bad), "--tumor-type", "COADREAD")
    assert code == 2 and "bad.maf:line 3" in output and "malformed protein change" in output
    cols = tmp_path / "cols.maf"
    cols.write_text("Hugo_Symbol\tTumor_Sample_Barcode\nKRAS\tS1\n")
    code, output = interpret(tmp_path / "o2", "--maf", str(cols), "--tumor-type", "COADREAD")
    assert code == 2 and "Variant_Classification" in output
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_header_only_maf_needs_a_named_sample_then_means_no_mutations(tmp_path: Path) -> None:
    """A fusion-driven tumour may have no somatic mutations: allowed when the sample is named, with a warning."""
    empty = tmp_path / "empty.maf"
    empty.write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n")
    fusions = tmp_path / "fusions.tsv"
    fusions.write_text("Tumor_Sample_Barcode\tFusion\nT1\tEML4::ALK\n")
    code, output = interpret(tmp_path / "o1", "--maf", str(empty), "--tumor-type", "LUAD")
    assert code == 2 and "no variant rows" in output and "--sample" in output
    assert not (tmp_path / "o1").exists()
    code, output = interpret(tmp_path / "o2", "--maf", str(empty), "--fusions", str(fusions), "--sample", "T1",
                             "--tumor-type", "LUAD", "--panel-size-mb", "1.0")
    assert code == 0, output
    result = OncoResult.model_validate_json((tmp_path / "o2" / "actionability.json").read_text())
    assert any(w.code == "no_somatic_variants" for w in result.warnings)
    assert result.immunotherapy.tmb is not None and result.immunotherapy.tmb.eligible_mutations == 0
    assert any("alectinib" in o.drugs and o.tier == "I-A" for o in result.therapies)


@pytest.mark.parametrize(("code", "expected"), [("ASM", True), ("ISM", False), ("SMMCL", False)])
def test_imatinib_for_kit_wildtype_sm_only_in_aggressive_sm(tmp_path: Path, code: str, expected: bool) -> None:
    """Gleevec's mastocytosis indication is aggressive SM without KIT D816V, not every SM subtype."""
    empty = tmp_path / "empty.maf"
    empty.write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n")
    code_, output = interpret(tmp_path / "o", "--maf", str(empty), "--sample", "T1", "--tumor-type", code)
    assert code_ == 0, output
    result = OncoResult.model_validate_json((tmp_path / "o" / "actionability.json").read_text())
    imatinib = [o for o in result.therapies if o.drugs == ["imatinib"] and o.tier == "I-A"]
    assert bool(imatinib) is expected


def test_batch_over_the_oncokb_annotator_examples(tmp_path: Path) -> None:
    folder = shared_path("onco/example-inputs")
    out = tmp_path / "batch"
    result = runner.invoke(app, ["onco", "batch", "--maf", str(folder / "example_maf_grch38.txt"), "--tumor-types",
                                 str(folder / "example_clinical.txt"), "--fusions", str(folder / "example_fusions.txt"),
                                 "--cna", str(folder / "example_cna.txt"), "--out", str(out), "-q",
                                 "--oncotree", str(shared_path("onco/oncotree/oncotree_2025_10_03.json"))])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.tsv").read_text().splitlines()
    assert summary[0].startswith("sample\ttumour_type\tbest_tier")
    rows = {line.split("\t")[0]: line.split("\t") for line in summary[1:]}
    lung = json.loads((out / "TCGA-05-4417-01" / "actionability.json").read_text())
    assert rows["TCGA-05-4417-01"][1] == "LUAD"
    # The example lung tumour carries an ALK-EML4 fusion: ALK inhibitors at tier I-A.
    assert any("alectinib" in o["drugs"] and o["tier"] == "I-A" for o in lung["therapies"])


def test_result_schema_document_matches_the_model() -> None:
    documented = json.loads((Path(__file__).resolve().parents[2] / "docs" / "onco-result.schema.json").read_text())
    assert documented == json.loads(json.dumps(OncoResult.model_json_schema()))


def test_oncotree_file_missing_pack_codes_is_refused_naming_it(tmp_path: Path) -> None:
    tree = tmp_path / "small.json"
    tree.write_text(json.dumps([{"code": "LUNG", "name": "Lung", "tissue": "Lung"},
                                {"code": "LUAD", "name": "Lung Adenocarcinoma", "tissue": "Lung", "parent": "LUNG"}]))
    code, output = interpret(tmp_path / "never", "--maf", str(DEMO / "tumour.maf"), "--tumor-type", "LUAD",
                             "--oncotree", str(tree))
    assert code == 2 and "small.json: lacks" in output and "give a full OncoTree release" in output
    assert not (tmp_path / "never").exists()


def test_a_trial_in_two_trial_files_is_refused(tmp_path: Path) -> None:
    trials = str(DEMO.parent / "trials" / "demo-trials.yaml")
    code, output = interpret(tmp_path / "never", "--maf", str(DEMO / "tumour.maf"), "--tumor-type", "LUAD",
                             "--trials", trials, "--trials", trials)
    assert code == 2 and "trial NCT99999911 is also in" in output.replace("\n", " ")
    assert not (tmp_path / "never").exists()
