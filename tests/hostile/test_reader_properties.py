"""Property tests over every germline reader: whatever bytes or document it is given, it returns a result or
raises :class:`InputError` naming the file, never another exception.

Inputs are arbitrary bytes, arbitrary text, documents built from each format's own vocabulary (so the
generated input gets past the first check and reaches the field readers), and mutations (bytes flipped,
inserted, deleted, the file cut short) of the good files of ``germline/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.documents import load_json, load_yaml
from tailormed.errors import InputError
from tailormed.io.annotated_vcf import read_annotated_vcf
from tailormed.io.outside_calls import read_outside_calls
from tailormed.io.patient import load_patient
from tailormed.io.ped import read_ped
from tailormed.io.phenopacket import family_pedigree, phenopacket_to_profile, read_phenotype
from tailormed.io.vcf import VcfFile
from tailormed.kb.pack import load_knowledge_base
from tailormed.kb.rare_preset import load_preset

CORPUS = Path(__file__).resolve().parent / "germline"
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole module: each example overwrites its file (hypothesis runs examples in turn)."""
    return tmp_path_factory.mktemp("properties")


def reads_or_refuses(read: Callable[[Path], object], path: Path) -> None:
    """The property: ``read(path)`` returns, or raises an InputError whose message names the file."""
    try:
        read(path)
    except InputError as exc:
        assert path.name in str(exc), str(exc)
        assert "\n" not in exc.message or exc.message.count("\n") == 0


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return path


# -- mutations of a good file --------------------------------------------------------------------------------------
_edit = st.tuples(st.floats(0, 1), st.sampled_from(["flip", "insert", "delete", "cut"]), st.binary(min_size=1,
                                                                                                  max_size=4))


def _mutate(data: bytes, edits: list[tuple[float, str, bytes]]) -> bytes:
    for where, kind, chunk in edits:
        at = int(where * len(data))
        if kind == "flip":
            data = data[:at] + chunk + data[at + len(chunk):]
        elif kind == "insert":
            data = data[:at] + chunk + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(chunk) * 8:]
        else:
            data = data[:at]
    return data


mutations = st.lists(_edit, min_size=1, max_size=4)


# -- VCFs ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cyp2c19(scratch: Path) -> list[Any]:
    return [load_knowledge_base("pgx-core").genes["CYP2C19"]]


def _read_pgx(genes: list[Any]) -> Callable[[Path], object]:
    def read(path: Path) -> object:
        with VcfFile(path) as vcf:
            return vcf.read_genes(genes, missing_as_reference=True)
    return read


@PROPERTY
@given(edits=mutations)
def test_pgx_vcf_mutations(scratch: Path, cyp2c19: list[Any], edits: list[tuple[float, str, bytes]]) -> None:
    data = _mutate((CORPUS / "pgx-vcf" / "two-samples.vcf").read_bytes(), edits)
    reads_or_refuses(_read_pgx(cyp2c19), _write(scratch, "mutated.vcf", data))


@PROPERTY
@given(data=st.binary(max_size=400))
def test_pgx_vcf_arbitrary_bytes(scratch: Path, cyp2c19: list[Any], data: bytes) -> None:
    reads_or_refuses(_read_pgx(cyp2c19), _write(scratch, "bytes.vcf", data))


@PROPERTY
@given(edits=mutations)
def test_annotated_vcf_mutations(scratch: Path, edits: list[tuple[float, str, bytes]]) -> None:
    data = _mutate((CORPUS / "exome-vcf" / "good.vep.vcf").read_bytes(), edits)
    reads_or_refuses(read_annotated_vcf, _write(scratch, "mutated.vep.vcf", data))


_csq_value = st.one_of(st.sampled_from(["", ".", "-", "nan", "inf", "-1", "1e999", "0.5", "HIGH", "YES", "A", "&",
                                        "|", ",", "%3D", "12-14", "?", "\x00", "é", "[b]"]), st.text(max_size=8))


@PROPERTY
@given(values=st.lists(_csq_value, min_size=19, max_size=19), gt=st.sampled_from(["0/1", "1/1", "./.", "0|1",
                                                                                   "1", "0/2", "9/9", "./1"]))
def test_annotated_vcf_any_csq_values(scratch: Path, values: list[str], gt: str) -> None:
    good = (CORPUS / "exome-vcf" / "good.vep.vcf").read_text()
    head, _, records = good.partition("\nchr1\t")
    record = "chr1\t" + records.splitlines()[0]
    fields = record.split("\t")
    csq = "|".join(v.replace(",", "").replace(";", "").replace("\t", "").replace("\n", "") for v in values)
    fields[7] = "CSQ=" + csq
    fields[9] = gt + ":41:99"
    reads_or_refuses(read_annotated_vcf, _write(scratch, "csq.vep.vcf", head + "\n" + "\t".join(fields) + "\n"))


# -- phenopackets and HPO lists ------------------------------------------------------------------------------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from(["HP:0001166", "HP:123", "MALE", "P7Y", "seven", "2.0", "1.0", "[bold]",
                                      "\x1b[2J", "OMIM:154700"]), st.text(max_size=10))
_keys = st.sampled_from(["id", "subject", "sex", "timeAtLastEncounter", "age", "iso8601duration",
                         "phenotypicFeatures", "type", "label", "excluded", "negated", "onset", "ontologyClass",
                         "gestationalAge", "diseases", "term", "interpretations", "diagnosis", "disease", "metaData",
                         "phenopacketSchemaVersion", "resources", "version", "proband", "pedigree", "persons",
                         "individualId", "paternalId", "maternalId", "affectedStatus", "familyId", "genes"])
_documents = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(_keys, inner, max_size=6)),
                          max_leaves=30)


@PROPERTY
@given(document=_documents, version=st.sampled_from(["2.0", "2.0.2", 2, None]))
def test_phenopacket_any_document(document: Any, version: Any) -> None:
    if isinstance(document, dict) and version is not None:
        document = {**document, "metaData": {**(document.get("metaData") if isinstance(document.get("metaData"),
                                                                                        dict) else {}),
                                             "phenopacketSchemaVersion": version}}
    for read in (lambda: phenopacket_to_profile(document, source="case.json"),
                 lambda: family_pedigree(document, source="case.json")):
        try:
            read()
        except InputError as exc:
            assert "case.json" in str(exc)


@PROPERTY
@given(document=_documents)
def test_phenopacket_file_any_document(scratch: Path, document: Any) -> None:
    reads_or_refuses(read_phenotype, _write(scratch, "case.json", json.dumps(document)))


@PROPERTY
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".json", ".txt"]))
def test_phenotype_file_arbitrary_bytes(scratch: Path, data: bytes, suffix: str) -> None:
    reads_or_refuses(read_phenotype, _write(scratch, f"bytes{suffix}", data))


@PROPERTY
@given(edits=mutations)
def test_phenopacket_mutations(scratch: Path, edits: list[tuple[float, str, bytes]]) -> None:
    data = _mutate((CORPUS / "phenopackets" / "good.json").read_bytes(), edits)
    reads_or_refuses(read_phenotype, _write(scratch, "mutated.json", data))


@PROPERTY
@given(text=st.text(alphabet=st.sampled_from(list("HP:0123456789!-#, \t\n\r[]\x00é")), max_size=120))
def test_hpo_list_any_text(scratch: Path, text: str) -> None:
    reads_or_refuses(read_phenotype, _write(scratch, "terms.txt", text))


# -- PED and outside calls -----------------------------------------------------------------------------------------
@PROPERTY
@given(text=st.text(alphabet=st.sampled_from(list("F1kiddamu0129- \t\n\r#x\x00é")), max_size=150))
def test_ped_any_text(scratch: Path, text: str) -> None:
    reads_or_refuses(read_ped, _write(scratch, "family.ped", text))


@PROPERTY
@given(data=st.binary(max_size=300))
def test_ped_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    reads_or_refuses(read_ped, _write(scratch, "family.ped", data))


@PROPERTY
@given(data=st.binary(max_size=300))
def test_outside_calls_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    reads_or_refuses(lambda p: read_outside_calls(p, {"CYP2D6", "HLA-B"}), _write(scratch, "calls.tsv", data))


_call_cells = st.sampled_from(["gene", "sample", "diplotype", "phenotype", "activity_score", "CYP2D6", "HLA-B",
                               "*1/*4", "*1", "/", "nan", "inf", "1e999", "-1", "2.5", "", "Poor Metabolizer",
                               "\ufeffgene", "[b]", "S1"])


@PROPERTY
@given(rows=st.lists(st.lists(_call_cells, max_size=6), max_size=6), crlf=st.booleans())
def test_outside_calls_any_table(scratch: Path, rows: list[list[str]], crlf: bool) -> None:
    text = ("\r\n" if crlf else "\n").join("\t".join(row) for row in rows)
    reads_or_refuses(lambda p: read_outside_calls(p, {"CYP2D6", "HLA-B"}), _write(scratch, "calls.tsv", text))


# -- the patient manifest and rare-disease presets -----------------------------------------------------------------
_manifest_keys = st.sampled_from(["id", "demographics", "sex", "age_years", "birth_date", "germline", "vcf",
                                  "sample_id", "outside_calls", "medications", "missing_as_reference",
                                  "phenopacket", "exome_vcf", "pedigree", "tumour_files", "tumour_type", "maf",
                                  "polygenic", "scores", "fhir_bundle", "colour"])
_yaml_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(["P1", "", "male", "a.vcf"]),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_manifest_keys, inner, max_size=5)),
    max_leaves=20)


@PROPERTY
@given(document=_yaml_documents)
def test_manifest_any_document(scratch: Path, document: Any) -> None:
    reads_or_refuses(load_patient, _write(scratch, "patient.yaml", yaml.safe_dump(document)))


@PROPERTY
@given(data=st.binary(max_size=300))
def test_manifest_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    reads_or_refuses(load_patient, _write(scratch, "patient.yaml", data))


_step_names = st.sampled_from(["quality_filter", "consequence_filter", "frequency_filter", "acmg_classification",
                               "inheritance_prioritiser", "phenotype_prioritiser", "magic"])
_parameter_names = st.sampled_from(["require_pass", "min_depth", "min_genotype_quality", "max_af_dominant",
                                    "exclude_consequences", "keep_if_spliceai_at_least", "miss_lr", "chance_rate",
                                    "background_floor", "onset_mismatch_rate", "weight", "drop_redundant_ancestors",
                                    "unknown"])
_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**30), st.floats(), st.text(max_size=5),
                    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
                    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@PROPERTY
@given(name=st.one_of(st.text(max_size=5), st.integers()),
       steps=st.lists(st.tuples(_step_names, st.dictionaries(_parameter_names, _values, max_size=3)), max_size=5),
       databases=st.one_of(st.just(["OMIM"]), st.lists(st.text(max_size=5), max_size=2), st.text(max_size=5)),
       top=st.one_of(st.integers(-1, 20_000), st.floats(), st.text(max_size=3)))
def test_preset_any_document(scratch: Path, name: Any, steps: list[tuple[str, dict[str, Any]]], databases: Any,
                             top: Any) -> None:
    document = {"name": name, "databases": databases, "output": {"top": top},
                "steps": [{"step": step, **parameters} for step, parameters in steps]}
    path = _write(scratch, "preset.yaml", yaml.safe_dump(document))
    try:
        preset = load_preset(path)
    except InputError as exc:
        assert "preset.yaml" in str(exc)
        return
    preset.echo()  # a preset that loads can be reported


@PROPERTY
@given(data=st.binary(max_size=300), reader=st.sampled_from([load_json, load_yaml]))
def test_documents_arbitrary_bytes(scratch: Path, data: bytes, reader: Callable[[Path], object]) -> None:
    reads_or_refuses(reader, _write(scratch, "document.txt", data))
