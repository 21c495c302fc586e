"""The oncology and risk commands against a corpus of hostile inputs, run as a user runs them.

Each case runs the ``tailormed`` command line as a real process (forked by ``forked_cli.py`` from one warm
interpreter, see ``cli_runs.py``) on a file from ``tests/hostile/somatic/`` (small files written for this
corpus) or on one generated here (binary, big or oddly named files) and checks what a user sees: the exit code
(2 for input errors), exactly one line on stderr starting with ``error:`` and naming the file, no traceback, and
no output folder (nor a ``.NAME.partial-*`` staging folder beside it). A few hostile but valid inputs (CRLF line
ends, markup in a sample name) must succeed.

The cases run together once per module (``results``); each test then checks one case.
"""

from __future__ import annotations

import gzip
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runs import run_all

CORPUS = Path(__file__).parent / "somatic"
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)]} | {0x0A: "\\n"}


@dataclass(frozen=True)
class Case:
    """One command line. ``{c}/NAME`` is a corpus file, ``{g}/NAME`` a file generated here, ``{out}`` the output
    folder. ``names`` is the path the error line must name (default: the last corpus/generated file argument);
    ``says`` what the line must also contain."""

    id: str
    args: tuple[str, ...]
    says: str
    code: int = 2
    names: str | None = None
    succeeds: bool = False
    stdout_has: str | None = None


def interpret(maf: str, *more: str) -> tuple[str, ...]:
    return ("onco", "interpret", "--maf", maf, "--tumour-type", "LUAD", "--panel-size-mb", "1.1", "--out", "{out}",
            *more)


OK_MAF = "{c}/onco-maf-ok.maf"
OK_VCF = "{c}/risk-genotypes-ok.vcf"
OK_SCORE = "{c}/risk-score-ok.txt"


def assess(person: str, *more: str) -> tuple[str, ...]:
    return ("risk", "assess", person, "--out", "{out}", *more)


def prs(score: str, genotypes: str, *more: str) -> tuple[str, ...]:
    return ("risk", "prs", "--scores", score, "--genotypes", genotypes, "--out", "{out}", *more)


CASES = [
    # --- MAF ----------------------------------------------------------------------------------------------------
    Case("maf-t_depth-nan", interpret("{c}/onco-maf-t_depth-nan.maf"),
         "line 2: t_depth must be a whole number of reads"),
    Case("maf-alt-above-depth", interpret("{c}/onco-maf-alt-above-depth.maf"), "t_alt_count 5 exceeds depth 0"),
    Case("maf-position-not-whole", interpret("{c}/onco-maf-position-not-whole.maf"),
         "Start_Position must be a whole-number GRCh38 position, 1-248956422"),
    Case("maf-grch37", interpret("{c}/onco-maf-grch37.maf"), "NCBI_Build is GRCh37"),
    Case("maf-header-only", interpret("{c}/onco-maf-header-only.maf"), "the MAF has no variant rows"),
    Case("maf-empty", interpret("{c}/onco-maf-empty.maf"), "empty file: no header line"),
    Case("maf-markup-protein", interpret("{c}/onco-maf-markup-protein.maf"), "malformed protein change '[bold]p.G12C"),
    Case("maf-crlf-nan-depth", interpret("{c}/onco-maf-crlf-nan-depth.maf"), "t_depth must be a whole number"),
    Case("maf-latin1", interpret("{c}/onco-maf-latin1.maf"), "not a UTF-8 text table"),
    Case("maf-truncated-gzip", interpret("{g}/tumour.maf.gz"), "cannot read"),
    Case("maf-binary", interpret("{g}/random.maf"), "not a UTF-8 text table"),
    Case("maf-huge-field", interpret("{g}/huge-field.maf"), "field larger than field limit"),
    Case("maf-folder", interpret("{g}/folder.maf"), "is a folder, not a file"),
    Case("maf-control-characters-in-name", interpret("{g}/evil\x1b[2J\nname.maf"), "t_depth must be a whole number"),
    Case("maf-markup-and-dots-in-name", interpret("{g}/[bold]..x y.maf"), "t_depth must be a whole number"),
    Case("maf-crlf-valid", interpret("{c}/onco-maf-crlf-valid.maf"), "", code=0, succeeds=True),
    Case("maf-markup-sample-valid", ("onco", "interpret", "--maf", "{c}/onco-maf-markup-sample.maf", "--tumour-type",
                                     "LUAD", "--out", "{out}"), "", code=0, succeeds=True,
         stdout_has="[bold]T1[/bold] (Lung Adenocarcinoma)"),
    # --- somatic VCF --------------------------------------------------------------------------------------------
    Case("vcf-af-above-1", ("onco", "interpret", "--vcf", "{c}/onco-vcf-af-above-1.vcf", "--tumour-type", "LUAD",
                            "--out", "{out}"), "record chr12:25245351: FORMAT/AF of TUMOUR is 2.5"),
    Case("vcf-undeclared-contig-bad-genotype", ("onco", "interpret", "--vcf",
                                                "{c}/onco-vcf-undeclared-contig-bad-genotype.vcf", "--tumour-type",
                                                "LUAD", "--out", "{out}"), "record 1: htslib could not parse"),
    Case("vcf-grch37", ("onco", "interpret", "--vcf", "{c}/onco-vcf-grch37.vcf", "--tumour-type", "LUAD", "--out",
                        "{out}"), "GRCh37 length"),
    Case("vcf-header-only", ("onco", "interpret", "--vcf", "{c}/onco-vcf-header-only.vcf", "--tumour-type", "LUAD",
                             "--out", "{out}"), "header but no records"),
    Case("vcf-truncated-bgzip", ("onco", "interpret", "--vcf", "{g}/tumour.vcf.gz", "--tumour-type", "LUAD", "--out",
                                 "{out}"), "truncated"),
    # --- clinical biomarkers, copy number, fusions, SVs, BED ----------------------------------------------------
    Case("clinical-pdl1-nan", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-pdl1-nan.yaml"),
         "pdl1_tps: must be a number 0-100 (a percentage; CPS is capped at 100), got nan"),
    Case("clinical-pdl1-150", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-pdl1-150.yaml"),
         "pdl1_tps: must be a number 0-100"),
    Case("clinical-cps-1e308", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-cps-1e308.yaml"),
         "pdl1_cps: must be a number 0-100"),
    Case("clinical-tmb-negative", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-tmb-negative.yaml"),
         "tmb: must be a number 0-1000 mutations/Mb, got -3"),
    Case("clinical-her2-4plus", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-her2-4plus.yaml"),
         "her2_ihc: Input should be '0', '0-ultralow', '1+', '2+' or '3+'"),
    Case("clinical-wrong-type-list", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-wrong-type-list.yaml"),
         "msi_status: Input should be 'MSI-H', 'MSI-L' or 'MSS'"),
    Case("clinical-alias-bomb", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-alias-bomb.yaml"),
         "once its YAML aliases are expanded"),
    Case("clinical-duplicate-key", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-duplicate-key.tsv"),
         "line 3: biomarker 'tmb' is given twice"),
    Case("clinical-binary", interpret(OK_MAF, "--clinical", "{g}/random.yaml"), "not UTF-8 text"),
    Case("clinical-crlf-valid", interpret(OK_MAF, "--clinical", "{c}/onco-clinical-crlf-valid.tsv"), "", code=0,
         succeeds=True),
    Case("cna-copy-number-inf", interpret(OK_MAF, "--cna", "{c}/onco-cna-copy-number-inf.tsv"),
         "copy_number must be a finite number, got 'inf'"),
    Case("fusions-markup", interpret(OK_MAF, "--fusions", "{c}/onco-fusions-markup.tsv"),
         "cannot read fusion '[bold]EML4::ALK[/bold]'"),
    Case("sv-unknown-type", interpret(OK_MAF, "--sv", "{c}/onco-sv-unknown-type.tsv"), "unknown Sv_Type"),
    Case("bed-end-beyond-chr1", ("onco", "interpret", "--maf", OK_MAF, "--tumour-type", "LUAD", "--callable-bed",
                                 "{c}/onco-bed-end-beyond-chr1.bed", "--out", "{out}"), "line 1: expected chrom"),
    Case("bed-truncated-gzip", ("onco", "interpret", "--maf", OK_MAF, "--tumour-type", "LUAD", "--callable-bed",
                                "{g}/panel.bed.gz", "--out", "{out}"), "cannot read"),
    # --- trials, OncoTree, tumour types, ClinicalTrials.gov -----------------------------------------------------
    Case("trials-age-inf", interpret(OK_MAF, "--trials", "{c}/onco-trials-age-inf.yaml"),
         "trials.0 (NCT99999999).max_age: Input should be a finite number"),
    Case("trials-unknown-condition", interpret(OK_MAF, "--trials", "{c}/onco-trials-unknown-condition.yaml"),
         "trials.0 (NCT99999999).conditions.0: unknown OncoTree code 'NOTACODE'"),
    Case("trials-nested-too-deep", interpret(OK_MAF, "--trials", "{c}/onco-trials-nested-too-deep.json"),
         "nested too deeply"),
    Case("oncotree-cycle", interpret(OK_MAF, "--oncotree", "{c}/onco-oncotree-cycle.json"), "has a cycle"),
    Case("oncotree-lacks-pack-codes", interpret(OK_MAF, "--oncotree", "{c}/onco-oncotree-lacks-pack-codes.json"),
         "tumour type(s) the knowledge pack"),
    Case("batch-tumour-types-duplicate", ("onco", "batch", "--maf", OK_MAF, "--tumor-types",
                                          "{c}/onco-tumour-types-duplicate.tsv", "--out", "{out}"),
         "line 3: sample 'T1' is listed twice"),
    Case("trials-import-bad-id", ("onco", "trials-import", "{c}/onco-ctgov-bad-id.json", "--out", "{out}/trials.yaml"),
         "study (NCT 9999 [bold]).id: String should match pattern"),
    Case("trials-import-age-999", ("onco", "trials-import", "{c}/onco-ctgov-age-999.json", "--out",
                                   "{out}/trials.yaml"), "max_age: Input should be less than or equal to 130"),
    # --- analyze with tumour and risk sections ------------------------------------------------------------------
    Case("analyze-panel-inf", ("analyze", "{c}/onco-manifest-panel-inf.yaml", "--out", "{out}"),
         "tumour_panel_size_mb must be above 0 and at most 3100 Mb"),
    Case("analyze-person-age-500", ("analyze", "{c}/risk-manifest-person-age-500.yaml", "--out", "{out}"),
         "age = 500 years is not a possible value (expected 0-120 years)", names="{c}/risk-person-age-500.yaml"),
    # --- risk assess: person files and their FHIR bundles ------------------------------------------------------
    Case("person-age-500", assess("{c}/risk-person-age-500.yaml"), "age = 500 years is not a possible value"),
    Case("person-age-1e308", assess("{c}/risk-person-age-1e308.yaml"),
         "age = 1e+308 years is not a possible value (expected 0-120 years)"),
    Case("person-cholesterol-negative", assess("{c}/risk-person-cholesterol-negative.yaml"),
         "total_cholesterol_mg_dl = -200 mg/dL is not a possible value (expected 1-2000 mg/dL)"),
    Case("person-bmi-nan", assess("{c}/risk-person-bmi-nan.yaml"), "bmi must be a finite number, got nan"),
    Case("person-egfr-inf", assess("{c}/risk-person-egfr-inf.yaml"), "egfr must be a finite number, got inf"),
    Case("person-smoker-1", assess("{c}/risk-person-smoker-1.yaml"), "current_smoker must be true or false, got 1"),
    Case("person-hdl-above-total", assess("{c}/risk-person-hdl-above-total.yaml"),
         "hdl_mg_dl = 250 mg/dL is not below total_cholesterol_mg_dl = 200 mg/dL"),
    Case("person-sex-wrong-type", assess("{c}/risk-person-sex-wrong-type.yaml"),
         "sex must be one of female, male, got ['female']"),
    Case("person-bundle-sbp-1000", assess("{c}/risk-person-bundle-sbp-1000.yaml"),
         "systolic_bp_mmhg = 1000 mmHg is not a possible value (expected 60-300 mmHg)",
         names="{c}/risk-fhir-sbp-1000.json"),
    Case("person-bundle-too-deep", assess("{c}/risk-person-bundle-too-deep.yaml"), "nested too deeply",
         names="{c}/risk-fhir-too-deep.json"),
    Case("person-bundle-value-true", assess("{c}/risk-person-bundle-value-true.yaml"),
         "LOINC 2093-3 has no numeric valueQuantity", names="{c}/risk-fhir-value-true.json"),
    Case("person-binary", assess("{g}/random.yaml"), "not UTF-8 text"),
    # --- risk prs: scoring files, genotypes, populations -------------------------------------------------------
    Case("score-weight-nan", prs("{c}/risk-score-weight-nan.txt", OK_VCF),
         "line 3: effect_weight 'nan' is not a number",
         names="{c}/risk-score-weight-nan.txt"),
    Case("score-weight-1e308", prs("{c}/risk-score-weight-1e308.txt", OK_VCF), "is outside -1e+06 to 1e+06",
         names="{c}/risk-score-weight-1e308.txt"),
    Case("score-header-only", prs("{c}/risk-score-header-only.txt", OK_VCF), "no variant rows",
         names="{c}/risk-score-header-only.txt"),
    Case("score-truncated-gzip", prs("{g}/score.txt.gz", OK_VCF), "gzip data is damaged or truncated",
         names="{g}/score.txt.gz"),
    Case("genotypes-undeclared-contig-bad-position",
         prs(OK_SCORE, "{c}/risk-genotypes-undeclared-contig-bad-position.vcf"),
         "record 1: htslib could not parse this record"),
    Case("genotypes-header-only", prs(OK_SCORE, "{c}/risk-genotypes-header-only.vcf"), "header but no variant records"),
    Case("populations-duplicate", prs(OK_SCORE, OK_VCF, "--reference", "{g}/panel.vcf", "--populations",
                                      "{c}/risk-populations-duplicate.txt", "--population", "EUR"),
         "line 4: sample 'S1' is listed twice"),
    # --- options ------------------------------------------------------------------------------------------------
    *[Case(f"{command}-panel-size-{size}", ("onco", command, "--maf", OK_MAF, "--tumor-type", "LUAD",
                                            f"--panel-size-mb={size}", "--out", "{out}"),
           "--panel-size-mb must be above 0 and at most 3100 Mb (the whole GRCh38 genome)", names="")
      for command, size in (("interpret", "-1"), ("batch", "nan"))],
]


def _generate(folder: Path) -> None:
    """Binary, big and oddly named inputs, written at test time."""
    maf = (CORPUS / "onco-maf-ok.maf").read_bytes()
    nan_maf = (CORPUS / "onco-maf-t_depth-nan.maf").read_bytes()
    (folder / "tumour.maf.gz").write_bytes(gzip.compress(maf)[:40])
    noise = random.Random(20261125).randbytes
    (folder / "random.maf").write_bytes(noise(4096).replace(b"\n", b"\xff") + b"\xff")
    (folder / "random.yaml").write_bytes(b"\xff\xfe" + noise(512))
    header, _, rest = maf.partition(b"T1")
    (folder / "huge-field.maf").write_bytes(header + b"T" * 10_000_000 + rest)
    (folder / "evil\x1b[2J\nname.maf").write_bytes(nan_maf)
    (folder / "[bold]..x y.maf").write_bytes(nan_maf)
    (folder / "folder.maf").mkdir()
    vcf = (CORPUS / "onco-vcf-af-above-1.vcf").read_bytes()
    (folder / "tumour.vcf.gz").write_bytes(gzip.compress(vcf)[:-30])
    (folder / "panel.bed.gz").write_bytes(gzip.compress(b"chr1\t0\t1000000\n" * 1000)[:50])
    (folder / "score.txt.gz").write_bytes(gzip.compress((CORPUS / "risk-score-ok.txt").read_bytes())[:30])
    samples = [f"R{i}" for i in range(3)]
    panel = (CORPUS / "risk-genotypes-ok.vcf").read_text().replace("\tS1\tS2", "\t" + "\t".join(samples))
    (folder / "panel.vcf").write_text(panel.replace("\t0/1\t1/1\n", "\t0/1\t1/1\t0/0\n")
                                      .replace("\t0/0\t0/1\n", "\t0/0\t0/1\t0/0\n")
                                      .replace("\t1/1\t0/1\n", "\t1/1\t0/1\t0/0\n"))


def _plain(text: str) -> str:
    """A path as the CLI prints it: control characters escaped (``cli/console.plain``)."""
    return text.translate(_CONTROL)


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    out: Path
    names: str


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    generated = tmp_path_factory.mktemp("generated")
    _generate(generated)
    runs = tmp_path_factory.mktemp("runs")

    def expand(text: str) -> str:
        return text.replace("{c}", str(CORPUS)).replace("{g}", str(generated))

    requests, outs, names = {}, {}, {}
    for case in CASES:
        outs[case.id] = runs / case.id / "out"
        outs[case.id].parent.mkdir()
        args = [expand(a).replace("{out}", str(outs[case.id])) for a in case.args]
        files = [a for a in case.args if a.startswith(("{c}/", "{g}/"))]
        names[case.id] = expand(case.names) if case.names is not None else expand(files[-1]) if files else ""
        requests[case.id] = (args, outs[case.id].parent)
    done = run_all(requests, {**os.environ, "COLUMNS": "200"}, timeout=300)
    return {case_id: Outcome(subprocess.CompletedProcess(requests[case_id][0], code, stdout, stderr), outs[case_id],
                             names[case_id])
            for case_id, (code, stdout, stderr) in done.items()}


def test_the_corpus_is_there() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if not p.name.startswith("."))
    assert len(files) >= 25 and all(name.startswith(("onco-", "risk-")) for name in files)
    used = {a.split("/", 1)[1] for case in CASES for a in case.args if a.startswith("{c}/")}
    used |= {case.names.split("/", 1)[1] for case in CASES if case.names and case.names.startswith("{c}/")}
    referenced = {"risk-person-age-500.yaml", "risk-fhir-sbp-1000.json", "risk-fhir-too-deep.json",
                  "risk-fhir-value-true.json", "onco-maf-ok.maf"}
    assert set(files) <= used | referenced, f"corpus files no case uses: {sorted(set(files) - used - referenced)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, results: dict[str, Outcome]) -> None:
    outcome = results[case.id]
    result, out = outcome.result, outcome.out
    shown = f"exit {result.returncode}\nstdout: {result.stdout[-1500:]}\nstderr: {result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert result.returncode == case.code, shown
    leftovers = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))
    assert leftovers == [], shown  # no .out.partial-* staging folder, no lock, no retired folder
    if case.succeeds:
        assert out.is_dir() and result.stderr == "", shown
        if case.stdout_has:
            assert case.stdout_has in result.stdout, shown
        return
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), shown
    line = lines[0]
    assert line.startswith("error: "), shown
    assert case.says in line, shown
    if outcome.names:
        assert _plain(outcome.names) in line, shown
    assert not out.exists(), shown
