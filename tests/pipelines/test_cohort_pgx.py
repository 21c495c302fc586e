"""tailormed cohort pgx: calls as pgx call, counts that match the calls, and the same bytes whatever the workers,
chunks or scheduler."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import reference_records, shared_path

from tailormed.errors import InputError
from tailormed.pipelines.cohort_pgx import OUTPUT_FILES, run_cohort_pgx
from tailormed.pipelines.pgx import run_pgx_call

SAMPLES = tuple(f"S{i:02d}" for i in range(1, 13))
POPULATION = {s: ("EUR" if i % 3 else "EAS") for i, s in enumerate(SAMPLES)}
# CYP2C19 *2 (rs4244285 A with rs12769205 G, on c.991G = rs3758581 G, which every sample carries twice: *1 or
# *2) per sample: 0, 1 or 2 copies; SLCO1B1 rs4149056 C (*5/*15).
STAR2 = {s: (0, 1, 2, 0, 1, 0, 2, 0, 0, 1, 0, 2)[i] for i, s in enumerate(SAMPLES)}
RS4149056 = {s: (0, 0, 1, 0, 2, 0, 0, 1, 0, 0, 0, 0)[i] for i, s in enumerate(SAMPLES)}
GT = {0: "0/0", 1: "0/1", 2: "1/1"}


def _records(kb, gene: str, planted: dict[str, dict[str, int]]) -> list[tuple]:
    records = reference_records(kb, gene, n_samples=len(SAMPLES))
    ids = {v.position: v.id for v in kb.genes[gene].variants}
    out = []
    for chrom, pos, ref, alt, *gts in records:
        per_sample = planted.get(ids[pos])
        if per_sample is not None:
            gts = [GT[per_sample[s]] for s in SAMPLES]
        out.append((chrom, pos, ref, alt, *gts))
    return out


@pytest.fixture
def cohort(kb, write_vcf, tmp_path) -> tuple[list[Path], Path]:
    """Two gene files (as the 1000 Genomes set is laid out) and a panel."""
    cyp = write_vcf(_records(kb, "CYP2C19", {"rs4244285": STAR2, "rs12769205": STAR2,
                                               "rs3758581": dict.fromkeys(SAMPLES, 2)}), samples=SAMPLES,
                    name="CYP2C19.vcf")
    slco = write_vcf(_records(kb, "SLCO1B1", {"rs4149056": RS4149056}), samples=SAMPLES, name="SLCO1B1.vcf")
    panel = tmp_path / "panel.tsv"
    panel.write_text("sample\tpop\tsuper_pop\tgender\n" +
                     "".join(f"{s}\tX{POPULATION[s]}\t{POPULATION[s]}\tfemale\n" for s in SAMPLES))
    return [cyp, slco], panel


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".tailormed-output.json"}


@pytest.mark.parametrize("missing_as_reference", [True, False])
def test_calls_are_those_of_pgx_call_and_counts_match_them(cohort, tmp_path, missing_as_reference):
    vcfs, panel = cohort
    summary = run_cohort_pgx(vcfs, tmp_path / "cohort", populations_path=panel,
                             missing_as_reference=missing_as_reference, workers=2, chunk_samples=5)
    assert sorted(summary.files) == sorted(OUTPUT_FILES)
    run_pgx_call(vcfs, tmp_path / "single", missing_as_reference=missing_as_reference, formats=["tsv", "json"])
    assert (tmp_path / "cohort" / "calls.tsv").read_bytes() == (tmp_path / "single" / "calls.tsv").read_bytes()

    calls = _read(tmp_path / "cohort" / "calls.tsv")
    cyp = {r["sample"]: r for r in calls if r["gene"] == "CYP2C19"}
    assert {s for s, r in cyp.items() if r["phenotype"] == "Poor Metabolizer"} == {s for s in SAMPLES
                                                                                    if STAR2[s] == 2}
    frequencies = _read(tmp_path / "cohort" / "phenotype_frequencies.tsv")
    assert list(frequencies[0]) == ["gene", "phenotype", "population", "n", "count", "frequency"]
    for population in ("ALL", "EAS", "EUR"):
        members = [s for s in SAMPLES if population == "ALL" or POPULATION[s] == population]
        for gene in ("CYP2C19", "SLCO1B1", "HLA-B"):
            expected = Counter((r["phenotype"] or "not called") if r["source"] != "not tested" else "not tested"
                               for r in calls if r["gene"] == gene and r["sample"] in members)
            got = {r["phenotype"]: (int(r["count"]), int(r["n"]), r["frequency"]) for r in frequencies
                   if r["gene"] == gene and r["population"] == population}
            assert got == {k: (v, len(members), f"{v / len(members):.6f}") for k, v in expected.items()}
    alleles = {(r["allele"], r["population"]): r for r in _read(tmp_path / "cohort" / "allele_frequencies.tsv")
               if r["gene"] == "CYP2C19"}
    assert int(alleles[("*2", "ALL")]["count"]) == sum(STAR2.values())
    assert int(alleles[("*2", "ALL")]["n"]) == 2 * len(SAMPLES)

    impact = {(r["drug"], r["population"]): r for r in _read(tmp_path / "cohort" / "drug_impact.tsv")}
    # Clopidogrel (CPIC 2022): intermediate and poor metabolizers get an alternative antiplatelet.
    assert int(impact[("clopidogrel", "ALL")]["changed"]) == sum(1 for s in SAMPLES if STAR2[s] > 0)
    assert int(impact[("abacavir", "ALL")]["not_assessed"]) == len(SAMPLES)  # HLA-B was not tested
    actionable = {(r["population"], r["gene_set"]): r for r in _read(tmp_path / "cohort" / "actionable.tsv")}
    assert int(actionable[("ALL", "all")]["n"]) == len(SAMPLES)
    assert int(actionable[("ALL", "mcinnes2021")]["count"]) >= sum(1 for s in SAMPLES if STAR2[s] > 0)


def test_outputs_are_byte_identical_whatever_the_workers_and_chunks(cohort, tmp_path):
    vcfs, panel = cohort
    outputs = []
    for workers, chunk in [(1, 1000), (2, 5), (4, 3), (1, 1)]:
        out = tmp_path / f"w{workers}-c{chunk}"
        run_cohort_pgx(vcfs, out, populations_path=panel, missing_as_reference=True, workers=workers,
                       chunk_samples=chunk)
        outputs.append(_files(out))
    assert all(o == outputs[0] for o in outputs[1:])
    assert set(outputs[0]) == set(OUTPUT_FILES)


def test_a_dask_local_cluster_gives_the_same_bytes(cohort, tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] (the 'cohort' extra) not installed")
    vcfs, panel = cohort
    run_cohort_pgx(vcfs, tmp_path / "local", populations_path=panel, missing_as_reference=True, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        summary = run_cohort_pgx(vcfs, tmp_path / "dask", populations_path=panel, missing_as_reference=True,
                                 scheduler=cluster.scheduler_address, chunk_samples=5)
    assert summary.runner.startswith("Dask scheduler")
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")


def test_panel_must_cover_the_samples_unless_panel_only(cohort, tmp_path):
    vcfs, panel = cohort
    short = tmp_path / "short.panel"
    short.write_text("".join(panel.read_text().splitlines(keepends=True)[:5]))  # header + 4 samples
    with pytest.raises(InputError, match="8 of the VCF's 12 samples are not in the panel"):
        run_cohort_pgx(vcfs, tmp_path / "out", populations_path=short)
    assert not (tmp_path / "out").exists()
    summary = run_cohort_pgx(vcfs, tmp_path / "out", populations_path=short, panel_only=True)
    assert summary.samples == 4
    assert {r["sample"] for r in _read(tmp_path / "out" / "calls.tsv")} == set(SAMPLES[:4])


def test_a_population_named_all_is_refused(cohort, tmp_path):
    vcfs, _ = cohort
    panel = tmp_path / "all.panel"
    panel.write_text("sample\tsuper_pop\n" + "".join(f"{s}\tALL\n" for s in SAMPLES))
    with pytest.raises(InputError, match="may not be called 'ALL'"):
        run_cohort_pgx(vcfs, tmp_path / "out", populations_path=panel)


@pytest.mark.validation
def test_1000_genomes_cyp2c19_poor_metabolizers_by_superpopulation(tmp_path):
    data = shared_path("pgx", "1kgp-grch38")
    summary = run_cohort_pgx([data / "CYP2C19.vcf.gz"], tmp_path / "out", missing_as_reference=True,
                             populations_path=data / "integrated_call_samples_v3.20130502.ALL.panel",
                             panel_only=True, workers=2, chunk_samples=800)
    assert summary.populations["EAS"] > 400
    pm = {r["population"]: float(r["frequency"]) for r in _read(tmp_path / "out" / "phenotype_frequencies.tsv")
          if r["gene"] == "CYP2C19" and r["phenotype"] == "Poor Metabolizer"}
    # CPIC CYP2C19 frequency table: poor metabolizers ~2% in Europeans, ~13% in East Asians.
    assert 0.005 < pm["EUR"] < 0.04 and 0.08 < pm["EAS"] < 0.18


def test_files_with_other_samples_are_refused_before_any_work(cohort, kb, write_vcf, tmp_path):
    vcfs, _ = cohort
    other = write_vcf(reference_records(kb, "SLCO1B1", n_samples=2), samples=("S01", "X9"), name="other.vcf")
    with pytest.raises(InputError, match=r"other\.vcf: sample\(s\) S02, .* not in the VCF"):
        run_cohort_pgx([vcfs[0], other], tmp_path / "out", workers=2)
    assert not (tmp_path / "out").exists()


def test_an_error_found_by_a_worker_comes_back_as_the_same_input_error(kb, write_vcf, tmp_path):
    records = reference_records(kb, "CYP2C19", n_samples=4)
    chrom, pos, ref, alt, *gts = records[3]
    records[3] = (chrom, pos, ref, alt, *gts[:3], "0/2")  # allele 2 of a record with one ALT, in the second chunk
    vcf = write_vcf(records, samples=("A", "B", "C", "D"))
    expected = rf"{vcf.name}:{chrom}:{pos}: sample 'D' has genotype allele 2 but the record has 1 ALT"
    with pytest.raises(InputError, match=expected):
        run_cohort_pgx([vcf], tmp_path / "local", workers=2, chunk_samples=2)
    distributed = pytest.importorskip("distributed", reason="dask[distributed] (the 'cohort' extra) not installed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            pytest.raises(InputError, match=expected):
        run_cohort_pgx([vcf], tmp_path / "dask", scheduler=cluster.scheduler_address, chunk_samples=2)
    assert not (tmp_path / "local").exists() and not (tmp_path / "dask").exists()
