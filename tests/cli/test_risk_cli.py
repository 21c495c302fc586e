"""End to end: `tailormed risk prs` on the pgsc_calc example genomes (../shared)."""

import csv
import math
from pathlib import Path

import pytest
from conftest import shared_path
from typer.testing import CliRunner

from tailormed.cli import app

runner = CliRunner()


def _examples() -> Path:
    return shared_path("risk", "pgsc-examples")


def _scores(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open() as handle:
        return {(r["sample"], r["score_id"]): r for r in csv.DictReader(handle, delimiter="\t")}


def test_same_scores_from_pgen_bed_and_vcf(tmp_path: Path) -> None:
    data = _examples()
    score = data / "scorefiles" / "PGS001229_22.txt"
    prefix = data / "target_genomes" / "cineca_synthetic_subset"
    results = {}
    for name, genotypes in (("pgen", f"{prefix}.pgen"), ("bed", f"{prefix}.bed"), ("vcf", f"{prefix}.vcf.gz")):
        out = tmp_path / name
        result = runner.invoke(app, ["risk", "prs", "--scores", str(score), "--genotypes", genotypes, "--out", str(out),
                                     "-q"])
        assert result.exit_code == 0, result.output
        results[name] = _scores(out / "scores.tsv")
    with (tmp_path / "pgen" / "scores.tsv").open() as handle:
        header = handle.readline().rstrip("\n").split("\t")
    assert header == ["sample", "score_id", "sum", "average", "matched", "total", "z", "percentile"]
    pgen = results["pgen"][("HG00096", "PGS001229")]
    vcf = results["vcf"][("HG00096_HG00096", "PGS001229")]  # the VCF names samples FID_IID
    bed = results["bed"][("HG00096", "PGS001229")]
    assert (pgen["matched"], pgen["total"]) == ("782", "835")
    assert float(pgen["sum"]) == pytest.approx(float(bed["sum"]), rel=1e-12)
    assert float(pgen["sum"]) == pytest.approx(float(vcf["sum"]), rel=1e-12)


def test_reference_standardisation_gives_z_and_percentile(tmp_path: Path) -> None:
    data = _examples()
    panel = shared_path("pgx", "1kgp-grch38", "integrated_call_samples_v3.20130502.ALL.panel")
    prefix = data / "target_genomes" / "cineca_synthetic_subset"
    out = tmp_path / "std"
    result = runner.invoke(app, ["risk", "prs", "--scores", str(data / "scorefiles" / "PGS001229_22.txt"),
                                 "--genotypes", str(prefix), "--reference", str(prefix), "--populations", str(panel),
                                 "--population", "EUR", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = list(_scores(out / "scores.tsv").values())
    eur_z = [float(r["z"]) for r in rows]
    assert all(r["percentile"] != "" for r in rows)
    assert -1.0 < sum(eur_z) / len(eur_z) < 1.0  # the panel's own mix is centred near the EUR mean
    assert "EUR" in (out / "match_report.tsv").read_text()


def test_no_overlap_is_refused_unless_overridden(tmp_path: Path) -> None:
    data = _examples()
    score = data / "scorefiles" / "customgrch38.txt"  # chr1 variants against a chr22 target
    genotypes = str(data / "target_genomes" / "cineca_synthetic_subset")
    out = tmp_path / "refused"
    result = runner.invoke(app, ["risk", "prs", "--scores", str(score), "--genotypes", genotypes, "--out", str(out)])
    assert result.exit_code == 2 and "customgrch38.txt" in result.output and not out.exists()
    partial = runner.invoke(app, ["risk", "prs", "--scores", str(score), "--genotypes", genotypes, "--out",
                                  str(tmp_path / "forced"), "--override-overlap", "-q"])
    assert partial.exit_code == 0, partial.output
    assert {r["matched"] for r in _scores(tmp_path / "forced" / "scores.tsv").values()} == {"0"}


def test_standardising_needs_all_three_options(tmp_path: Path) -> None:
    data = _examples()
    result = runner.invoke(app, ["risk", "prs", "--scores", str(data / "scorefiles" / "scorefile.txt"), "--genotypes",
                                 str(data / "target_genomes" / "cineca_synthetic_subset"), "--population", "EUR",
                                 "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--reference" in result.output


def test_single_sample_vcf_is_scored_without_imputation(tmp_path: Path) -> None:
    import gzip

    data = _examples()
    one = tmp_path / "one.vcf"
    with gzip.open(data / "target_genomes" / "cineca_synthetic_subset.vcf.gz", "rt") as source, one.open("w") as sink:
        for line in source:
            sink.write(line if line.startswith("##") else "\t".join(line.rstrip("\n").split("\t")[:10]) + "\n")
    out = tmp_path / "one"
    result = runner.invoke(app, ["risk", "prs", "--scores", str(data / "scorefiles" / "PGS001229_22.txt"),
                                 "--genotypes", str(one), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = _scores(out / "scores.tsv")
    assert list(rows) == [("HG00096_HG00096", "PGS001229")]
    assert float(rows[("HG00096_HG00096", "PGS001229")]["sum"]) == pytest.approx(0.545020143916, rel=1e-9)
    assert "not imputed" in (out / "match_report.tsv").read_text()


def test_analyze_scores_the_patient_and_adjusts_the_clinical_risk(tmp_path: Path) -> None:
    import json

    data = _examples()
    panel = shared_path("pgx", "1kgp-grch38", "integrated_call_samples_v3.20130502.ALL.panel")
    prefix = data / "target_genomes" / "cineca_synthetic_subset"
    (tmp_path / "risk.yaml").write_text("age: 55\nsex: male\ntotal_cholesterol_mg_dl: 213\nhdl_mg_dl: 50\n"
                                        "systolic_bp_mmhg: 140\ncurrent_smoker: true\n")
    (tmp_path / "patient.yaml").write_text(
        f"id: PRS1\ngermline: {{vcf: {prefix}.vcf.gz, sample_id: HG00096_HG00096}}\nrisk_profile: risk.yaml\n"
        f"polygenic:\n  scores: [{data / 'scorefiles' / 'PGS001229_22.txt'}]\n  reference: {prefix}\n"
        f"  populations: {panel}\n  population: EUR\n  hazard_ratio_per_sd: 1.3\n  hazard_ratio_source: test\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(tmp_path / "patient.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    risk = json.loads((out / "risk" / "risk.json").read_text())
    (score,) = risk["polygenic_scores"]
    assert score["matched"] == 782 and score["reference"]["population"] == "EUR" and score["reference"]["n"] > 400
    pce = risk["estimates"][0]
    # proportional hazards, the multiplier centred on its population mean exp(ln(1.3)**2 / 2); ASCVD estimates only
    expected = 1 - (1 - pce["risk"]) ** (1.3 ** score["z"] / math.exp(math.log(1.3) ** 2 / 2))
    assert pce["with_polygenic_score"] == pytest.approx(expected)
    assert all(e["with_polygenic_score"] is None for e in risk["estimates"] if "ASCVD" not in e["name"]
               and not e["name"].startswith("Pooled Cohort"))
    assert "this person" in (out / "risk" / "report.html").read_text()
