"""``tailormed pgx call --sex``: one sample's recorded sex decides the note on advice written for another sex;
refused for several samples and for a value that is not a sex, with nothing written."""

from __future__ import annotations

import json

from conftest import reference_records
from typer.testing import CliRunner

from tailormed.cli import app

runner = CliRunner()
CALLS = "gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t*4/*4\t\t\n"


def _tamoxifen_rows(folder) -> tuple[dict, list[dict]]:  # noqa: ANN001
    document = json.loads((folder / "sample.json").read_text())
    return document, [d for d in document["drugs"] if d["drug"] == "tamoxifen"]


def test_sex_decides_the_written_for_note(tmp_path):
    calls = tmp_path / "calls.tsv"
    calls.write_text(CALLS)
    runs = {}
    for sex in ("male", "female", None):
        out = tmp_path / f"out-{sex}"
        result = runner.invoke(app, ["pgx", "call", "--outside-calls", str(calls), "--out", str(out), "-q",
                                     *(["--sex", sex] if sex else [])])
        assert result.exit_code == 0, result.output
        runs[sex] = _tamoxifen_rows(out)
    male, rows = runs["male"]
    assert male["sex"] == "male" and male["provenance"]["inputs"]["sex"] == "male"
    assert [r["rule"] for r in rows] == ["tamoxifen#5", "tamoxifen#dpwg1"]
    assert all(r["written_for_note"].startswith("The patient is male.") for r in rows)
    female, rows = runs["female"]
    assert female["sex"] == "female" and all("written_for_note" not in r for r in rows)
    unknown, rows = runs[None]
    assert "sex" not in unknown  # the compact form leaves out the default, unknown
    assert all(r["written_for_note"].startswith("The patient's sex is not recorded.") for r in rows)
    html = (tmp_path / "out-male" / "sample.html").read_text()
    assert "Written for women:" in html and "sex male" in html


def test_sex_is_one_persons_and_must_be_a_sex(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19", n_samples=2), samples=("A", "B"))
    refused = runner.invoke(app, ["pgx", "call", str(vcf), "--sex", "male", "--out", str(tmp_path / "two"), "-q"])
    assert refused.exit_code == 2 and "--sex is one person's" in refused.output
    assert not (tmp_path / "two").exists()
    bad = runner.invoke(app, ["pgx", "call", str(vcf), "--sex", "M", "--samples", "A", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "--sex 'M'" in bad.output and not (tmp_path / "b").exists()
    one = runner.invoke(app, ["pgx", "call", str(vcf), "--sex", "male", "--samples", "A", "--out",
                              str(tmp_path / "one"), "-q"])
    assert one.exit_code == 0, one.output
    assert json.loads((tmp_path / "one" / "A.json").read_text())["sex"] == "male"
