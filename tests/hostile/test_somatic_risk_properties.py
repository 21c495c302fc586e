"""Hostile documents and property tests for the oncology and risk readers: whatever the bytes, a reader returns a
parsed result or raises InputError, never another exception."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.documents import MAX_DEPTH, load_json, load_yaml
from tailormed.errors import InputError
from tailormed.io.bed import callable_mb_from_bed
from tailormed.io.fhir_observations import read_fhir_observations
from tailormed.io.genotypes import open_target
from tailormed.io.maf import read_maf
from tailormed.io.populations import read_populations
from tailormed.io.risk_profile import read_person
from tailormed.io.scoring_file import read_scoring_file
from tailormed.io.somatic_vcf import read_somatic_vcf
from tailormed.io.tumour_inputs import (
    read_clinical,
    read_copy_number,
    read_fusions,
    read_structural_variants,
    read_tumour_types,
)
from tailormed.kb.importers.ctgov import import_ctgov
from tailormed.kb.oncotree import load_oncotree
from tailormed.kb.trials import load_trials

# ----------------------------------------------------------------------------------------------- documents.py


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    with pytest.raises(InputError, match=r"bomb\.yaml: too large: more than .* values once its YAML aliases"):
        load_yaml(bomb)
    assert time.monotonic() - started < 10


def test_yaml_that_contains_itself_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match=r"loop\.yaml: refers to itself"):
        load_yaml(loop)


def test_shared_aliases_within_limits_are_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_text("base: &base {tmb: 5}\nfirst: *base\nsecond: *base\n")
    assert load_yaml(shared) == {"base": {"tmb": 5}, "first": {"tmb": 5}, "second": {"tmb": 5}}


def test_depth_limit_is_exact(tmp_path: Path) -> None:
    ok, deep = tmp_path / "ok.json", tmp_path / "deep.json"
    ok.write_text("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    deep.write_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    load_json(ok)
    with pytest.raises(InputError, match="nested too deeply"):
        load_json(deep)
    aliased = tmp_path / "aliased.yaml"  # depth reached through an alias counts too
    aliased.write_text("deep: &d " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\ntop: [[*d]]\n")
    with pytest.raises(InputError, match="nested too deeply"):
        load_yaml(aliased)


# ----------------------------------------------------------------------------------------------- the readers
#
# Whatever the bytes, each reader in scope returns a parsed result or raises InputError: never another exception.
# Inputs are arbitrary bytes, and near-valid files whose fields are drawn from hostile tokens (NaN, inf, huge and
# negative numbers, markup, control characters, bytes that are not UTF-8, CR, gzip magic), so the value checks are
# reached and not only the "not a table" ones.

TOKENS = [b"", b"0", b"1", b"-1", b"12.5", b"1e308", b"1e400", b"-1e400", b"nan", b"NaN", b"inf", b"-inf", b"NA",
          b".", b"2+", b"3+", b"100", b"150", b"99999999999999999999", b"GRCh38", b"GRCh37", b"KRAS", b"EGFR",
          b"p.G12C", b"p.V600E", b"G12C", b"EML4::ALK", b"ALK-EML4", b"FUSION", b"Missense_Mutation", b"S1",
          b"chr7", b"7", b"A", b"T", b"[bold]", b"\x00", b"\xff\xfe", b"\xc3\xa9", b"\r", b" ", b"#", b"\x1f\x8b",
          b"true", b"yes", b"{", b"[", b"- x", b"&a", b"*a", b"::", b"0/1", b"70,30", b"LUAD", b"MSI-H"]
FIELDS = st.lists(st.sampled_from(TOKENS), max_size=3).map(b"".join)
EXAMPLES = int(os.environ.get("TAILORMED_HOSTILE_EXAMPLES", "120"))  # raise it for a longer hunt
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows(header: bytes, width: int) -> st.SearchStrategy[bytes]:
    """A header line, then up to five rows of ``width`` hostile fields (sometimes one too many or too few)."""
    row = st.lists(FIELDS, min_size=max(width - 1, 0), max_size=width + 1).map(b"\t".join)
    return st.lists(row, max_size=5).map(lambda lines: header + b"\n" + b"\n".join(lines) + b"\n")


def check(read: Callable[[Path], object], folder: Path, name: str, data: bytes) -> None:
    path = folder / name
    path.write_bytes(data)
    try:
        read(path)
    except InputError as exc:
        assert exc.source, f"{type(exc).__name__} without a source: {exc}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


MAF_HEADER = (b"NCBI_Build\tHugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tChromosome\t"
              b"Start_Position\tReference_Allele\tTumor_Seq_Allele2\tt_depth\tt_alt_count\tt_ref_count")


@SETTINGS
@given(data=st.binary(max_size=300) | rows(MAF_HEADER, 12))
def test_maf(folder: Path, data: bytes) -> None:
    check(read_maf, folder, "t.maf", data)


@SETTINGS
@given(data=rows(b"gene\tcopy_number\tlog2\tcall\tsample", 5) | rows(b"Hugo_Symbol\tS1\tS2", 3)
       | rows(b"Tumor_Sample_Barcode\tHugo_Symbol\tCopy_Number_Alteration", 3) | st.binary(max_size=200))
def test_copy_number(folder: Path, data: bytes) -> None:
    check(read_copy_number, folder, "cna.tsv", data)


@SETTINGS
@given(data=rows(b"Fusion\tTumor_Sample_Barcode", 2) | rows(b"GeneA\tGeneB\tSv_Type\tTumor_Sample_Barcode", 4))
def test_fusions_and_structural_variants(folder: Path, data: bytes) -> None:
    check(read_fusions, folder, "fusions.tsv", data)
    check(read_structural_variants, folder, "sv.tsv", data)


@SETTINGS
@given(data=rows(b"key\tvalue", 2) | rows(b"SAMPLE_ID\tONCOTREE_CODE", 2) | st.binary(max_size=200))
def test_clinical_tsv_and_tumour_types(folder: Path, data: bytes) -> None:
    check(read_clinical, folder, "clinical.tsv", data)
    check(read_tumour_types, folder, "types.tsv", data)


SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats()
           | st.sampled_from(["1e308", "nan", "2+", "3+", "MSI-H", "female", "male", "[bold]x", "", "50%", "0"]))
CLINICAL_KEYS = ["msi_status", "mmr_status", "tmb", "pdl1_tps", "pdl1_cps", "pdl1_tc", "her2_ihc", "er", "hrd"]
PERSON_KEYS = ["age", "sex", "total_cholesterol_mg_dl", "hdl_mg_dl", "systolic_bp_mmhg", "current_smoker",
               "on_statin", "sdi_decile", "race_group", "family_history_diabetes", "pack_years", "egfr", "bmi"]


def documents(keys: list[str]) -> st.SearchStrategy[object]:
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(keys) | st.text(max_size=5), inner, max_size=6),
                        max_leaves=12)


def yaml_bytes(keys: list[str]) -> st.SearchStrategy[bytes]:
    return (st.dictionaries(st.sampled_from(keys), documents(keys), max_size=6)
            .map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode()))


@SETTINGS
@given(data=yaml_bytes(CLINICAL_KEYS) | st.binary(max_size=200)
       | st.lists(st.sampled_from([f"{k}: ".encode() for k in CLINICAL_KEYS] + TOKENS), max_size=8).map(b"".join))
def test_clinical_yaml(folder: Path, data: bytes) -> None:
    check(read_clinical, folder, "clinical.yaml", data)


@SETTINGS
@given(data=yaml_bytes(PERSON_KEYS) | st.binary(max_size=200)
       | st.lists(st.sampled_from([f"\n{k}: ".encode() for k in PERSON_KEYS] + TOKENS), max_size=10).map(b"".join))
def test_person_file(folder: Path, data: bytes) -> None:
    check(read_person, folder, "person.yaml", data)


FHIR_KEYS = ["resourceType", "entry", "resource", "code", "coding", "system", "valueQuantity", "value", "unit",
             "component", "status", "effectiveDateTime", "valueCodeableConcept"]
FHIR_SCALARS = st.sampled_from(["Bundle", "Observation", "http://loinc.org", "8480-6", "2093-3", "85354-9",
                                "72166-2", "mg/dL", "mmol/L", "mmHg", "449868002", "final"]) | SCALARS


@SETTINGS
@given(data=st.recursive(FHIR_SCALARS, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.sampled_from(FHIR_KEYS), inner, max_size=5), max_leaves=25))
def test_fhir_bundle(folder: Path, data: object) -> None:
    check(read_fhir_observations, folder, "bundle.json", json.dumps(data).encode())


@SETTINGS
@given(data=st.binary(max_size=300) | rows(b"chr\tstart\tend", 3))
def test_bed(folder: Path, data: bytes) -> None:
    check(callable_mb_from_bed, folder, "panel.bed", data)


@SETTINGS
@given(data=st.binary(max_size=300)
       | rows(b"#genome_build=GRCh38\nchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight", 5)
       | rows(b"ID\teffect_allele\tS1\tS2", 4) | rows(b"rsID\teffect_allele\tOR\tis_dominant\tis_haplotype", 5))
def test_scoring_file(folder: Path, data: bytes) -> None:
    check(read_scoring_file, folder, "score.txt", data)


@SETTINGS
@given(data=rows(b"sample\tpop\tsuper_pop", 3) | st.binary(max_size=200))
def test_populations(folder: Path, data: bytes) -> None:
    check(lambda path: read_populations(path, "super_pop"), folder, "panel.txt", data)


VCF_HEADER = (b"##fileformat=VCFv4.2\n##contig=<ID=chr12,length=133275309>\n"
              b'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: '
              b'Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|HGVSc|HGVSp|EXON|INTRON|CANONICAL">\n'
              b'##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
              b'##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
              b'##FORMAT=<ID=AF,Number=A,Type=Float,Description="AF">\n'
              b'##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
              b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOUR")
VCF_RECORD = st.tuples(st.sampled_from([b"chr12", b"12", b"\xff"]),  # "12": a contig the header does not declare
                       st.sampled_from([b"25245351", b"0", b"-5", b"x", b"1e3"]), st.just(b"."),
                       st.sampled_from([b"C", b"CA", b"\xff"]),
                       st.sampled_from([b"A", b"A,T", b"<DEL>", b".", b"\xff"]),
                       st.just(b"."), st.sampled_from([b"PASS", b"."]),
                       st.sampled_from([b"CSQ=A|missense_variant|MODERATE|KRAS|G|T|c.34G>T|p.Gly12Cys|2/5||YES",
                                        b".", b"CSQ=" + b"|" * 20]),
                       st.sampled_from([b"GT:AD:DP", b"GT:AF", b"GT"]), FIELDS).map(b"\t".join)


@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(VCF_RECORD, max_size=3))
def test_somatic_vcf_and_target_vcf(folder: Path, records: list[bytes]) -> None:
    data = VCF_HEADER + b"\n" + b"".join(record + b"\n" for record in records)
    check(read_somatic_vcf, folder, "tumour.vcf", data)
    check(open_target, folder, "target.vcf", data)


BIM_ROW = st.tuples(st.sampled_from([b"1", b"23", b"chrX", b"\xff"]), st.sampled_from([b"rs1", b".", b""]),
                    st.sampled_from([b"0", b"x"]),
                    st.sampled_from([b"1000", b"-5", b"0", b"1e3", b"2147483647", b"99999999999999999999"]),
                    st.sampled_from([b"A", b"G", b""]), st.sampled_from([b"C", b"T", b"\xff"])).map(b"\t".join)
FAM_ROW = st.tuples(st.sampled_from([b"F1", b"0"]), st.sampled_from([b"S1", b"S2", b"S1", b"\xff"]),
                    st.sampled_from([b"0", b"S2"]), st.just(b"0"), st.sampled_from([b"1", b"2", b"x"]),
                    st.sampled_from([b"-9", b"1"])).map(b" ".join)


@SETTINGS
@given(bim=st.lists(BIM_ROW, max_size=3), fam=st.lists(FAM_ROW, max_size=3), bed=st.binary(max_size=12),
       magic=st.booleans())
def test_plink_fileset(folder: Path, bim: list[bytes], fam: list[bytes], bed: bytes, magic: bool) -> None:
    (folder / "t.bim").write_bytes(b"\n".join(bim) + b"\n")
    (folder / "t.fam").write_bytes(b"\n".join(fam) + b"\n")
    check(open_target, folder, "t.bed", (b"\x6c\x1b\x01" if magic else b"") + bed)


TRIAL_KEYS = ["trials", "id", "title", "status", "conditions", "inclusion", "exclusion", "min_age", "max_age", "sex",
              "source", "phase"]


@SETTINGS
@given(data=st.dictionaries(st.just("trials"), st.lists(documents(TRIAL_KEYS), max_size=3), max_size=1)
       | documents(TRIAL_KEYS))
def test_trial_files(folder: Path, data: object) -> None:
    check(load_trials, folder, "trials.yaml", yaml.safe_dump(data).encode())
    check(load_trials, folder, "trials.json", json.dumps(data).encode())


CTGOV_KEYS = ["studies", "protocolSection", "identificationModule", "nctId", "statusModule", "overallStatus",
              "conditionsModule", "conditions", "keywords", "eligibilityModule", "eligibilityCriteria", "minimumAge",
              "maximumAge", "sex", "designModule", "phases", "briefTitle"]


@SETTINGS
@given(data=st.recursive(SCALARS | st.sampled_from(["NCT00000001", "RECRUITING", "PHASE2", "18 Years", "999 Years",
                                                    "Inclusion Criteria:\n* KRAS G12C\n", "Lung Cancer"]),
                         lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.sampled_from(CTGOV_KEYS), inner, max_size=5), max_leaves=25))
def test_clinicaltrials_gov_studies(folder: Path, data: object) -> None:
    check(lambda path: import_ctgov([path], retrieved="2026-01-01", genes={"KRAS", "EGFR"}), folder, "study.json",
          json.dumps(data).encode())


@SETTINGS
@given(data=st.binary(max_size=300) | rows(b"code\tparent\ttissue\tname\tmain_type", 5))
def test_oncotree_tsv(folder: Path, data: bytes) -> None:
    check(load_oncotree, folder, "tree.tsv", data)
