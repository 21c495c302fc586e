"""CYP2D6 from every defined allele: the PyPGx-table importer, core-variant matching (phased and unphased), the
"structural variation not assessed" rule, copy-number completion and CYP2D6 caller outputs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.io.copy_number import read_cyp2d6_structural
from tailormed.io.outside_calls import read_outside_calls
from tailormed.kb.cyp2d6 import CORE_ONLY_NOTE, find_cyp2d6_dir
from tailormed.kb.importers.pypgx_cyp2d6 import import_cyp2d6
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.pgx import GeneResult
from tailormed.pgx.copy_number import complete_with_copy_number
from tailormed.pgx.engine import STRUCTURAL_WARNING, merge_outside_calls
from tailormed.pipelines.pgx import call_pgx, run_pgx_call
from tests.conftest import shared_path

runner = CliRunner()


@pytest.fixture(scope="module")
def full_kb() -> KnowledgeBase:
    if find_cyp2d6_dir() is None:
        pytest.skip("the full CYP2D6 allele set is not built (make cyp2d6-data builds it; make test does)")
    return load_knowledge_base("pgx-core")


def _records(kb: KnowledgeBase, calls: dict[tuple[int, str], str]) -> list[tuple]:
    """Every CYP2D6 defining position hom-ref, except ``calls``: (position, alt) -> GT."""
    gene = kb.genes["CYP2D6"]
    records, seen = [], set()
    for variant in gene.variants:
        if variant.position in seen:
            continue
        seen.add(variant.position)
        chosen = [(alt, gt) for (pos, alt), gt in calls.items() if pos == variant.position]
        alt, gt = chosen[0] if chosen else (variant.alt[0], "0/0")
        records.append(("chr22", variant.position, variant.ref, alt, gt))
    return records


def _call(kb: KnowledgeBase, write_vcf, calls: dict[tuple[int, str], str], **kw) -> GeneResult:  # type: ignore[no-untyped-def]
    _, results = call_pgx(write_vcf(_records(kb, calls)), kb, **kw)
    return results[0]["CYP2D6"]


# GRCh38 positions (PharmVar core variants as PyPGx lists them)
C100T, C1847, C2851, C2989, C4181 = (42130692, "A"), (42128945, "T"), (42127941, "A"), (42127803, "T"), (42126611, "G")
C14, C1022 = (42129033, "T"), (42129770, "A")


# --------------------------------------------------------------------------- the allele set


def test_full_set_has_every_snv_allele_and_the_structural_ones(full_kb):
    gene = full_kb.genes["CYP2D6"]
    names = {a.name for a in gene.alleles}
    assert gene.matching == "core_variants" and len(names) > 120
    assert {"*14", "*15", "*21", "*22", "*28", "*31", "*40", "*46", "*59", "*82", "*99", "*106", "*111"} <= names
    structural = {a.name for a in gene.alleles if a.structural}
    assert {"*5", "*13", "*36", "*68"} <= structural and all(not a.defining for a in gene.alleles if a.structural)
    assert any("full allele set" in line for line in full_kb.extra_knowledge)


def test_full_set_keeps_cpic_values_of_the_curated_core_alleles(full_kb):
    core = load_knowledge_base("pgx-core", full_cyp2d6=False).genes["CYP2D6"]
    full = {a.name: a for a in full_kb.genes["CYP2D6"].alleles}
    for allele in core.alleles:
        assert (full[allele.name].function, full[allele.name].activity_value) == (allele.function,
                                                                                  allele.activity_value), allele.name
    assert full["*10"].activity_value == 0.25 and full["*14"].activity_value == 0.5
    assert full["*40"].function == "No function" and full["*22"].activity_value is None


_IUPAC = {"R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT",
          "V": "ACG", "N": "ACGT"}


@pytest.mark.parametrize("parts", [("pgx", "pharmcat", "cyp2d6", "NamedAlleleMatcher-cyp2d6.json"),
                                   ("pgx", "pharmcat", "definition", "alleles", "CYP2D6_translation.json")])
def test_full_set_core_variants_lie_inside_pharmcat_definitions(full_kb, parts):
    """Each allele's core SNVs are part of PharmCAT's definition of the same allele (its CYP2D6 test definitions, and
    the release's CYP2D6_translation.json), an IUPAC code there accepting the base."""
    pharmcat = json.loads(shared_path(*parts).read_text())
    positions = [v["position"] for v in pharmcat["variants"]]
    theirs = {a["name"]: {positions[i]: base for i, base in enumerate(a["alleles"]) if base}
              for a in pharmcat["namedAlleles"]}
    gene = full_kb.genes["CYP2D6"]
    by_id = {v.id: v for v in gene.variants}
    compared, disagree = 0, []
    for allele in gene.alleles:
        if allele.name not in theirs or not allele.defining:
            continue
        for vid, base in allele.defining.items():
            if len(base) != 1 or len(by_id[vid].ref) != 1:
                continue  # indels are written differently (anchor bases)
            found = theirs[allele.name].get(by_id[vid].position)
            if found is None or base not in _IUPAC.get(found, found):
                disagree.append(f"{allele.name} {by_id[vid].position}{base} (PharmCAT {found})")
        compared += 1
    assert compared > 100 and not disagree, disagree


def test_without_the_full_set_every_cyp2d6_call_says_core_alleles_only(monkeypatch, write_vcf):
    monkeypatch.setenv("TAILORMED_CYP2D6", "none")
    core_kb = load_knowledge_base("pgx-core")
    assert core_kb.genes["CYP2D6"].matching == "haplotype"
    result = _call(core_kb, write_vcf, {})
    assert any(CORE_ONLY_NOTE in w.message for w in result.warnings)
    assert core_kb.extra_knowledge == ("CYP2D6: pgx-core core alleles only (full allele set not installed)",)


def _wheel(tmp_path: Path, alleles: str, variants: str) -> Path:
    wheel = tmp_path / "pypgx-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pypgx/api/data/allele-table.csv", alleles)
        archive.writestr("pypgx/api/data/variant-table.csv", variants)
    return wheel


_HEADER = "Gene,StarAllele,ActivityScore,Function,GRCh37Core,GRCh37Tag,GRCh38Core,GRCh38Tag,SV\n"
_VHEADER = ("Gene,GRCh37Name,GRCh38Name,rsID,Chromosome,GRCh37Position,GRCh38Position,GRCh37Allele,GRCh38Allele,"
            "Variant,Impact,GRCh37Synonym,GRCh38Synonym\n")


def test_importer_builds_a_set_and_keeps_cpic_where_the_tables_differ(tmp_path):
    alleles = (_HEADER + "CYP2D6,*1,1,Normal Function,N/A,N/A,N/A,N/A,FALSE\n"
               "CYP2D6,*4,0.5,Decreased Function,x,N/A,22-42128945-C-T,N/A,FALSE\n"  # CPIC: no function, 0
               "CYP2D6,*14,0.5,Decreased Function,x,N/A,22-42129033-C-T,N/A,FALSE\n"
               "CYP2D6,*5,0,No Function,N/A,N/A,N/A,N/A,TRUE\n"
               "CYP2C9,*2,0.5,Decreased Function,x,N/A,10-94942290-C-T,N/A,FALSE\n")
    variants = (_VHEADER + "CYP2D6,x,22-42128945-C-T,rs3892097,22,1,42128945,C,C,T,splice,N/A,N/A\n"
                "CYP2D6,x,22-42129033-C-T,rs5030865,22,1,42129033,C,C,T,G169R,N/A,N/A\n")
    report = import_cyp2d6(_wheel(tmp_path, alleles, variants), out=tmp_path / "set")
    assert report.alleles >= 4 and "*5" in report.structural
    assert any(o.startswith("*4:") for o in report.cpic_overrides)
    meta = json.loads((tmp_path / "set" / "meta.json").read_text())
    assert meta["pypgx_version"] == "9.9.9" and meta["cpic_overrides"]
    from tailormed.kb.cyp2d6 import load_cyp2d6_definition

    gene, sources, _ = load_cyp2d6_definition(tmp_path / "set")
    four = next(a for a in gene.alleles if a.name == "*4")
    assert (four.function, four.activity_value) == ("No function", 0.0)
    assert next(a for a in gene.alleles if a.name == "*14").defining == {"rs5030865": "T"}
    assert "pypgx-allele-tables" in sources


@pytest.mark.parametrize(("content", "message"), [
    (b"not a zip", "not a wheel"),
    (None, "not a PyPGx wheel"),
])
def test_importer_refuses_what_is_not_a_pypgx_wheel(tmp_path, content, message):
    wheel = tmp_path / "pypgx-1.0-py3-none-any.whl"
    if content is None:
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr("other/file.txt", "x")
    else:
        wheel.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_cyp2d6(wheel, out=tmp_path / "set")


# --------------------------------------------------------------------------- calling


@pytest.mark.parametrize(("calls", "expected", "phenotype"), [
    ({C14: "0|1"}, ["*1", "*14"], "Normal Metabolizer"),
    ({(42130654, "CA"): "0|1", C100T: "0|0"}, ["*1", "*15"], "Intermediate Metabolizer"),
    ({(42128211, "CG"): "1|0", C2851: "1|0", C4181: "1|0"}, ["*1", "*21"], "Intermediate Metabolizer"),
    ({(42128927, "TGGGGCGAAAGGGGCGAAA"): "0|1", C1022: "0|1"}, ["*1", "*40"], "Intermediate Metabolizer"),
    ({C2989: "0|1", C2851: "0|1", C4181: "0|1"}, ["*1", "*41"], "Normal Metabolizer"),
    # *4 on its usual *10-like background (100C>T, 4181G>C) against *41: the no-function allele wins
    ({C100T: "1|0", C1847: "1|0", C4181: "1|1", C2989: "0|1", C2851: "0|1"}, ["*4", "*41"],
     "Intermediate Metabolizer"),
])
def test_phased_alleles_outside_the_core_set(full_kb, write_vcf, calls, expected, phenotype):
    result = _call(full_kb, write_vcf, calls)
    assert [d.alleles for d in result.diplotypes] == [expected]
    assert result.phenotype == phenotype
    assert any(w.code == STRUCTURAL_WARNING and "not assessed" in w.message for w in result.warnings)


def test_core_set_calls_them_as_a_core_allele_or_nothing(write_vcf, monkeypatch):
    monkeypatch.setenv("TAILORMED_CYP2D6", "none")
    core_kb = load_knowledge_base("pgx-core")
    result = _call(core_kb, write_vcf, {C2851: "1|0", C4181: "1|0"})
    assert [d.alleles for d in result.diplotypes] == [["*1", "*2"]]


def test_unphased_genotypes_give_the_alternatives_most_parsimonious_first(full_kb, write_vcf):
    result = _call(full_kb, write_vcf, {C100T: "0/1", C1847: "0/1", C4181: "0/1"})
    labels = [d.label for d in result.diplotypes]
    assert labels[0] == "*1/*4" and "*4/*10" in labels
    ambiguity = next(w for w in result.warnings if w.code == "ambiguous_diplotype")
    assert "phase unknown" in ambiguity.message and "*4/*10 (Intermediate Metabolizer, activity score 0.25)" in \
        ambiguity.message
    # alternatives with different activity scores: no single score is claimed
    assert result.activity_score is None


def test_unphased_alternatives_with_different_phenotypes_give_indeterminate(full_kb, write_vcf):
    # *3 and *6 without phase: one chromosome with both (*1/*3 or *1/*6 reading) or one each (*3/*6, poor)
    result = _call(full_kb, write_vcf, {(42128241, "C"): "0/1", (42129083, "C"): "0/1"})
    labels = {d.label for d in result.diplotypes}
    assert "*3/*6" in labels and len(labels) > 1
    assert result.phenotype == "Indeterminate"


def test_phased_genotypes_resolve_what_unphased_ones_cannot(full_kb, write_vcf):
    result = _call(full_kb, write_vcf, {(42128241, "C"): "0|1", (42129083, "C"): "1|0"})
    assert [d.label for d in result.diplotypes] == ["*3/*6"] and result.phenotype == "Poor Metabolizer"


def test_missing_core_position_is_reported_and_its_alleles_not_excluded(full_kb, write_vcf):
    records = [r for r in _records(full_kb, {}) if r[1] != C14[0]]
    _, results = call_pgx(write_vcf(records), full_kb)
    result = results[0]["CYP2D6"]
    assert result.uncertain_due_to_missing
    missing = next(w for w in result.warnings if w.code == "missing_positions")
    assert "*14" in missing.message


def test_an_incomplete_allele_is_flagged_not_hidden(full_kb, write_vcf):
    # two of *82's six core variants: no allele explains 42129765T>C
    result = _call(full_kb, write_vcf, {(42129765, "C"): "0|1", (42129779, "G"): "0|1"})
    assert any(w.code == "unexplained_variants" for w in result.warnings)


# --------------------------------------------------------------------------- copy number


@pytest.mark.parametrize(("calls", "copies", "labels", "phenotype", "score"), [
    ({C1847: "1|1", C100T: "1|1", C4181: "1|1"}, 1, ["*4/*5"], "Poor Metabolizer", 0.0),
    ({}, 0, ["*5/*5"], "Poor Metabolizer", 0.0),
    ({}, 3, ["*1/*1x2"], "Ultrarapid Metabolizer", 3.0),
    ({C2851: "0|1", C4181: "0|1"}, 3, ["*1x2/*2", "*1/*2x2"], "Ultrarapid Metabolizer", 3.0),
    ({C1847: "0|1"}, 3, ["*1x2/*4", "*1/*4x2"], "Indeterminate", None),
    ({C2851: "0|1", C4181: "0|1"}, 2, ["*1/*2"], "Normal Metabolizer", 2.0),
])
def test_copy_number_completes_the_diplotype_and_the_score(full_kb, write_vcf, calls, copies, labels, phenotype,
                                                           score):
    result = complete_with_copy_number(full_kb, _call(full_kb, write_vcf, calls), copies, "test")
    assert [d.label for d in result.diplotypes] == labels
    assert result.phenotype == phenotype and result.activity_score == score and result.copy_number == copies
    assert not any(w.code == STRUCTURAL_WARNING for w in result.warnings)
    assert any(w.code == "copy_number" and "hybrid" in w.message for w in result.warnings)


def test_one_copy_against_a_heterozygous_call_is_reported(full_kb, write_vcf):
    result = complete_with_copy_number(full_kb, _call(full_kb, write_vcf, {C1847: "0|1"}), 1, "test")
    assert any(w.code == "copy_number_disagrees" for w in result.warnings)
    assert {d.label for d in result.diplotypes} == {"*1/*5", "*4/*5"}


def test_copy_number_file_through_the_pipeline(full_kb, write_vcf, tmp_path):
    vcf = write_vcf(_records(full_kb, {C1847: "1|1", C100T: "1|1", C4181: "1|1"}), samples=("S1",))
    cn = tmp_path / "cn.tsv"
    cn.write_text("sample\tcopy_number\nS1\t1\n")
    out = tmp_path / "out"
    run_pgx_call(vcf, out, cyp2d6_copy_number_path=cn, formats=["tsv", "json"], full_evidence=True)
    row = next(line.split("\t") for line in (out / "calls.tsv").read_text().splitlines() if "\tCYP2D6\t" in line)
    assert row[2] == "*4/*5" and row[3] == "Poor Metabolizer"
    document = json.loads((out / "S1.json").read_text())
    assert "cyp2d6_copy_number" in document["provenance"]["inputs"]


def test_cyrius_and_stellarpgx_outputs_become_outside_calls(full_kb, tmp_path):
    cyrius = tmp_path / "cyrius.tsv"
    cyrius.write_text("Sample\tGenotype\tFilter\nS1\t*1/*2x2\tPASS\nS2\tNone\tNone\nS3\t*1/*2;*1/*3\t"
                      "More_than_one_possible_genotype\n")
    parsed = read_cyp2d6_structural(cyrius)
    assert parsed.format == "Cyrius" and [c.diplotype for c in parsed.outside_calls] == ["*1/*2x2", None, None]
    result = merge_outside_calls(full_kb, {}, [parsed.outside_calls[0]])["CYP2D6"]
    assert result.diplotypes[0].alleles == ["*1", "*2x2"]
    assert (result.phenotype, result.activity_score) == ("Ultrarapid Metabolizer", 3.0)
    no_call = merge_outside_calls(full_kb, {}, [parsed.outside_calls[1]])["CYP2D6"]
    assert no_call.phenotype == "Indeterminate" and any(w.code == "outside_call_note" for w in no_call.warnings)
    stellar = tmp_path / "summary.txt"
    stellar.write_text("HG01190\t*5/*68+*4\nHG01086\t[*1/*31]\tPossible novel allele or suballele present\n")
    parsed = read_cyp2d6_structural(stellar)
    assert parsed.format == "StellarPGx" and parsed.outside_calls[1].note
    tandem = merge_outside_calls(full_kb, {}, [parsed.outside_calls[0]])["CYP2D6"]
    assert tandem.diplotypes[0].alleles == ["*5", "*68+*4"] and tandem.phenotype == "Poor Metabolizer"


def test_pharmcat_style_outside_call_names_are_understood(full_kb, tmp_path):
    path = tmp_path / "outside.tsv"
    path.write_text("CYP2D6\tCYP2D6*3/CYP2D6*4\n")
    call = read_outside_calls(path, set(full_kb.genes))[0]
    assert call.diplotype == "*3/*4"
    assert merge_outside_calls(full_kb, {}, [call])["CYP2D6"].phenotype == "Poor Metabolizer"


@pytest.mark.parametrize(("text", "message", "line"), [
    ("sample\tcopy_number\nS1\ttwo\n", "not a whole number", 2),
    ("sample\tcopy_number\nS1\t11\n", "above 10", 2),
    ("sample\tcopy_number\nS1\t2\nS1\t3\n", "given twice", 3),
    ("sample\tcopy_number\tcolour\nS1\t2\tred\n", "unknown column", 1),
    ("sample\tgene\tcopy_number\nS1\tCYP2C19\t2\n", "CYP2D6 only", 2),
    ("sample\tcopy_number\nS1 2\n", "tab-separated", 2),
    ("Sample\tGenotype\tFilter\nS1\tstar one\tPASS\n", "not a CYP2D6 diplotype", 2),
    ("hello\tworld\n", "not a CYP2D6 copy-number TSV", 1),
])
def test_bad_copy_number_files_fail_with_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "cn.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        read_cyp2d6_structural(path)
    assert caught.value.location == f"line {line}" and str(path) in str(caught.value)


def test_cli_bad_copy_number_file_is_one_line_and_exit_2(full_kb, write_vcf, tmp_path):
    vcf = write_vcf(_records(full_kb, {}))
    cn = tmp_path / "cn.tsv"
    cn.write_text("sample\tcopy_number\nS9\t2\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["pgx", "call", str(vcf), "--cyp2d6-copy-number", str(cn), "--out", str(out), "-q"])
    assert result.exit_code == 2 and not out.exists()
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "S9" in lines[0] and "cn.tsv" in lines[0]


def test_pharmcat_cyp2d6_test_vcf_is_reference(full_kb):
    vcf = shared_path("pgx", "pharmcat", "cyp2d6", "NamedAlleleMatcher-cyp2d6.vcf")
    _, results = call_pgx(vcf, full_kb)
    result = results[0]["CYP2D6"]
    assert [d.label for d in result.diplotypes] == ["*1/*1"] and result.phenotype == "Normal Metabolizer"


def test_patient_manifest_copy_number_completes_the_call(full_kb, write_vcf, tmp_path):
    from tailormed.pipelines.analyze import run_analyze

    vcf = write_vcf(_records(full_kb, {C1847: "1|1", C100T: "1|1", C4181: "1|1"}), samples=("P1",))
    (tmp_path / "cn.tsv").write_text("copy_number\n1\n")
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(f"id: P1\ngermline:\n  vcf: {vcf}\n  sample_id: P1\ncyp2d6_copy_number: cn.tsv\n")
    run_analyze(manifest, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "pgx.json").read_text())
    cyp2d6 = next(g for g in document["genes"] if g["gene"] == "CYP2D6")
    assert [d["alleles"] for d in cyp2d6["diplotypes"]] == [["*4", "*5"]] and cyp2d6["copy_number"] == 1
    assert "cyp2d6_copy_number" in document["provenance"]["inputs"]
