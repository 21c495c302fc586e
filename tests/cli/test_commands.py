"""The command line: outputs, exit codes, and no half-written output on failure."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import reference_records
from typer.testing import CliRunner

from tailormed.cli import app

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient" / "patient.yaml"


def test_help_for_every_command():
    for args in (["--help"], ["analyze", "--help"], ["pgx", "call", "--help"], ["kb", "list", "--help"],
                 ["kb", "show", "--help"], ["kb", "validate", "--help"], ["kb", "import", "pharmcat", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_pgx_call_writes_calls_json_html(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19", n_samples=2), samples=("A", "B"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = (out / "calls.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["sample", "gene", "diplotype", "phenotype", "activity_score", "alternatives",
                                    "missing_positions", "source", "legacy_diplotype"]
    rows = [line.split("\t") for line in lines[1:]]
    cyp2c19 = [r for r in rows if r[1] == "CYP2C19"]
    assert [(r[0], r[2], r[3]) for r in cyp2c19] == [("A", "*38/*38", "Normal Metabolizer"),
                                                     ("B", "*38/*38", "Normal Metabolizer")]
    document = json.loads((out / "A.json").read_text())
    assert (document["schema_version"], document["detail"], document["sample"]) == ("2.2", "compact", "A")
    assert document["knowledge_file"] == "knowledge.json" and (out / "knowledge.json").is_file()
    html = (out / "A.html").read_text()
    assert html.index('id="pgx-h-meds"') < html.index('id="pgx-h-genes-called"') < html.index(
        'id="pgx-h-actionable"') < html.index('<h3 id="pgx-genes">Genes</h3>')
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_bad_input_exits_nonzero_and_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.vcf"
    bad.write_text("not a vcf\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["pgx", "call", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "bad.vcf" in result.output and "error" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_unknown_sample_error(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19"))
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--samples", "X", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "X" in result.output
    assert not (tmp_path / "o").exists()


def test_malformed_outside_calls(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19"))
    calls = tmp_path / "calls.tsv"
    calls.write_text("CYP2D6\tnot/a/diplotype\n")
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--outside-calls", str(calls), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "calls.tsv:line 1" in result.output
    assert not (tmp_path / "o").exists()


def test_missing_as_ref_is_recorded_as_assumption(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19"))
    out = tmp_path / "o"
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--missing-as-ref", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "S1.json").read_text())
    assert any("--missing-as-ref" in a for a in document["provenance"]["assumptions"])
    assert "--missing-as-ref" in (out / "S1.html").read_text()


def test_analyze_demo_patient(tmp_path, hpo_knowledge):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["analyze", str(DEMO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    document = json.loads((out / "pgx.json").read_text())
    # analyze writes the full, self-contained document: everything the report shows is in it
    assert document["detail"] == "full" and document["medications"][0] == "clopidogrel"
    cited = {c["id"] for c in document["citations"]}
    assert all(d["guideline"] in cited and d["evidence"]["record"] for d in document["drugs"])
    genes = {g["gene"]: g for g in document["genes"]}
    assert genes["CYP2C19"]["diplotypes"][0]["alleles"] == ["*1", "*2"]
    assert len(genes["CYP2C19"]["genotypes"]) == genes["CYP2C19"]["positions_examined"]
    assert genes["CYP2D6"]["source"] == "outside_call"
    abacavir = [d for d in document["drugs"] if d["drug"] == "abacavir"]
    assert abacavir[0]["status"] == "actionable" and abacavir[0]["in_medication_list"]
    # The demo patient takes paroxetine (strong CYP2D6 inhibitor) and codeine: phenoconversion.
    cyp2d6 = genes["CYP2D6"]
    assert (cyp2d6["phenotype"], cyp2d6["adjusted_phenotype"]) == ("Intermediate Metabolizer", "Poor Metabolizer")
    codeine = next(d for d in document["drugs"] if d["drug"] == "codeine")
    assert codeine["status"] == "actionable" and codeine["basis"][0]["phenotype_used"] == "adjusted"
    paroxetine = next(d for d in document["drugs"] if d["drug"] == "paroxetine")
    assert paroxetine["basis"][0]["phenotype_used"] == "genotype"
    assert "makes this intermediate metabolizer a poor metabolizer" in (out / "report.html").read_text()
    summary = json.loads((out / "analysis.json").read_text())
    assert set(summary["sections"]) == {"pgx", "rare", "risk", "onco"} and summary["not_analysed"] == []
    onco = json.loads((out / "onco" / "actionability.json").read_text())
    assert onco["tumour_type"] == "LUAD" and onco["therapies"][0]["tier"] == "I-A"
    assert any("osimertinib" in t["drugs"] for t in onco["therapies"])
    risk = json.loads((out / "risk" / "risk.json").read_text())
    assert risk["inputs_from"]["current_smoker"].endswith("observations.json:entry[3]")
    assert any(w["change"] == "stop smoking" for w in risk["what_ifs"])
    assert (out / "risk" / "report.html").is_file()
    rare = json.loads((out / "rare" / "result.json").read_text())
    top_genes = [g["gene"] for g in rare["genes"][:3]]
    assert top_genes[0] == "FBN1", top_genes
    fbn1 = rare["diseases"][0]["variants"][0]
    assert fbn1["gene"] == "FBN1" and fbn1["zygosity"] == "heterozygous"


def test_analyze_phenotype_only_when_the_germline_vcf_is_not_annotated(tmp_path, hpo_knowledge):
    manifest = tmp_path / "patient.yaml"
    demo = DEMO.parent
    manifest.write_text(f"id: P2\nphenopacket: {demo / 'phenopacket.json'}\n"
                        f"germline: {{vcf: {demo / 'demo.vcf'}, sample_id: DEMO001}}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rare = json.loads((out / "rare" / "result.json").read_text())
    assert any(w["code"] == "phenotype_only" for w in rare["warnings"])
    assert "FBN1" in [g["gene"] for g in rare["genes"][:5]]


def test_analyze_with_a_missing_fhir_bundle_says_so_and_writes_nothing(tmp_path):
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(f"id: P3\nfhir_bundle: bundle.json\n"
                        f"germline: {{vcf: {DEMO.parent / 'demo.vcf'}, sample_id: DEMO001}}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(manifest), "--out", str(out), "-q"])
    assert result.exit_code == 2
    assert "bundle.json: FHIR bundle not found" in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_kb_commands(tmp_path):
    assert "pgx-core" in runner.invoke(app, ["kb", "list"]).output
    shown = runner.invoke(app, ["kb", "show", "pgx-core", "--gene", "CYP2C19"])
    assert shown.exit_code == 0 and "*17" in shown.output
    pgx = runner.invoke(app, ["kb", "show", "pgx-core"])
    assert pgx.exit_code == 0 and "phenoconversion rule" in pgx.output
    assert "paroxetine" in pgx.output and "rifampicin" in pgx.output and "caution_only" in pgx.output
    core = runner.invoke(app, ["kb", "validate", "pgx-core"])
    assert core.exit_code == 0 and "15 phenoconversion perpetrators" in core.output
    result = runner.invoke(app, ["kb", "validate", str(tmp_path)])
    assert result.exit_code == 3 and "no knowledge pack" in result.output
    onco = runner.invoke(app, ["kb", "show", "onco-core"])
    assert onco.exit_code == 0 and "genes with roles (" in onco.output and "NTRK1" in onco.output
    validated = runner.invoke(app, ["kb", "validate", "onco-core"])
    assert validated.exit_code == 0 and "evidence records" in validated.output


def test_kb_commands_on_the_risk_equations_pack():
    listed = runner.invoke(app, ["kb", "list"])
    assert listed.exit_code == 0 and "│ risk │" in listed.output and "FINDRISC" in listed.output  # narrow table
    shown = runner.invoke(app, ["kb", "show", "risk-equations"])
    assert shown.exit_code == 0 and "prevent-addons.json" in shown.output and "goff-2014-pce" in shown.output
    validated = runner.invoke(app, ["kb", "validate", "risk-equations"])
    assert validated.exit_code == 0, validated.output
    assert "4 PCE + 12 PREVENT + 48 add-on coefficient sets, 5 FINDRISC bands" in " ".join(validated.output.split())


def test_header_only_vcf_exits_nonzero_without_output(write_vcf, tmp_path):
    vcf = write_vcf([])
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no records" in result.output
    assert not (tmp_path / "o").exists()


def test_grch37_vcf_exits_nonzero_without_output(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19"), contigs={"chr10": 135534747})
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "GRCh37" in result.output
    assert not (tmp_path / "o").exists()


def test_documented_json_schema_matches_the_model():
    """docs/pgx-*.schema.json are the schemas of the JSON the tool writes (full and compact result, the run's
    knowledge.json); regenerate them when the model changes (docs/output-schema.md)."""
    from tailormed.model.pgx import PgxCompactResult, PgxKnowledge, PgxResult

    for model, name in ((PgxResult, "pgx-result"), (PgxCompactResult, "pgx-compact-result"),
                        (PgxKnowledge, "pgx-knowledge")):
        documented = json.loads((Path(__file__).resolve().parents[2] / "docs" / f"{name}.schema.json").read_text())
        assert documented == json.loads(json.dumps(model.model_json_schema())), name


def test_documented_rare_json_schema_matches_the_model():
    """docs/rare-result.schema.json is the schema of rare-disease result.json; regenerate it when the model changes."""
    from tailormed.model.rare import RareResult

    documented = json.loads((Path(__file__).resolve().parents[2] / "docs" / "rare-result.schema.json").read_text())
    assert documented == json.loads(json.dumps(RareResult.model_json_schema()))


def test_pgx_call_applies_a_medication_list_for_one_sample(kb, write_vcf, tmp_path):
    calls = tmp_path / "calls.tsv"
    calls.write_text("gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t*1/*1\t\t\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["pgx", "call", "--outside-calls", str(calls), "--medications", "Paroxetine, codeine",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "sample.json").read_text())
    assert document["provenance"]["inputs"]["medications"] == "paroxetine, codeine"
    codeine = next(d for d in document["drugs"] if d["drug"] == "codeine")
    assert codeine["in_medication_list"] and codeine["basis"][0]["adjusted_phenotype"] == "Poor Metabolizer"
    without = tmp_path / "plain"
    plain_run = runner.invoke(app, ["pgx", "call", "--outside-calls", str(calls), "--out", str(without), "-q"])
    assert plain_run.exit_code == 0, plain_run.output
    plain = json.loads((without / "sample.json").read_text())
    # the compact document leaves out what is at its default: no phenoconversion without a medication list
    assert "phenoconversion" not in next(g for g in plain["genes"] if g["gene"] == "CYP2D6")
    assert all("phenoconversion" not in d and not d.get("in_medication_list") for d in plain["drugs"])
    vcf = write_vcf(reference_records(kb, "CYP2C19", n_samples=2), samples=("A", "B"))
    refused = runner.invoke(app, ["pgx", "call", str(vcf), "--medications", "paroxetine", "--out",
                                  str(tmp_path / "two"), "--quiet"])
    assert refused.exit_code != 0 and "one person's medication list" in refused.output
    assert not (tmp_path / "two").exists()


def test_pgx_call_with_several_report_processes_finishes(kb, write_vcf, tmp_path):
    """The command line (with its SIGTERM handler) writing reports with two processes returns with every report.
    An earlier version stopped its workers with SIGTERM, which ran the handler they inherited; now and then a worker
    then hung and the command never returned (a race, so this run would not always have caught it; the workers now
    get the default SIGTERM action and are closed, not terminated, when all is written)."""
    import subprocess
    import sys

    samples = tuple(f"S{i:03d}" for i in range(130))
    vcf = write_vcf(reference_records(kb, "CYP2C19", {"rs4244285": ("A", "0/1")}, n_samples=len(samples)),
                    samples=samples)
    out = tmp_path / "out"
    tailormed = Path(sys.executable).with_name("tailormed")
    done = subprocess.run([str(tailormed), "pgx", "call", str(vcf), "--workers", "2", "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob("S*.html"))) == len(samples) and len(list(out.glob("S*.json"))) == len(samples)


def test_kb_show_lists_the_guideline_of_each_drug_and_nat2_legacy_names():
    result = runner.invoke(app, ["kb", "show", "pgx-core"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    clopidogrel = next(line for line in result.output.splitlines() if line.strip("│ ").startswith("clopidogrel"))
    assert "cpic-cyp2c19-clopidogrel-2022" in clopidogrel and "dpwg-2011-update" in clopidogrel
    ivacaftor = next(line for line in result.output.splitlines() if line.strip("│ ").startswith("ivacaftor"))
    assert "dpwg" not in ivacaftor
    assert "DPWG beside CPIC for 35" in result.output
    nat2 = runner.invoke(app, ["kb", "show", "pgx-core", "--gene", "NAT2"], env={"COLUMNS": "250"})
    assert nat2.exit_code == 0 and "reference *1" in nat2.output
    star1 = next(line for line in nat2.output.splitlines() if line.strip("│ ").startswith("*1 "))
    assert "*12A" in star1 and "Increased function" in star1
