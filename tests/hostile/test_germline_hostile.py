"""Hostile inputs on the germline side (pharmacogenomics, rare disease, the patient manifest), run through the
real command line, one process per input.

Every file under ``germline/`` is listed once in :data:`CASES` with the command that reads it and what must
happen; :data:`MADE` lists inputs made at test time in a temporary folder (big or binary files, a folder or a
FIFO given for a file, a loop of links, a name too long, a truncated bgzipped VCF). A refused input must give
exit code 2, exactly one stderr line that starts with ``error:`` and names the file, no traceback, and no output
folder (nor a ``.out.partial-*`` staging folder or lock file beside it). An input that is odd but valid (CRLF, a
byte-order mark, markup or escapes in an id) must give exit 0 and keep its ids as written.

All cases run together when the first is asked for: ``forked_cli.py`` imports the command line once and forks
one process per case, a few at a time (a real process with its own exit code and stderr, without paying the
imports 170 times). The few tests at the end run ``python -m tailormed.cli`` itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cli_runs import run_all

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "germline"
SHARED = HERE.parents[1].parent / "shared" / "data"
TIMEOUT = 120

PGX = ("pgx", "call", "{file}")
OUTSIDE = ("pgx", "call", "--outside-calls", "{file}")
RANK = ("rare", "rank", "--phenopacket", "{file}")
RANK_VCF = ("rare", "rank", "--hpo", "HP:0001166", "--vcf", "{file}")
RANK_PED = ("rare", "rank", "--hpo", "HP:0001166", "--vcf", str(CORPUS / "exome-vcf" / "good.vep.vcf"), "--ped",
            "{file}")
RANK_PRESET = ("rare", "rank", "--hpo", "HP:0001166", "--preset", "{file}")
ANALYZE = ("analyze", "{file}")


@dataclass(frozen=True)
class Run:
    """One finished command: its exit code, output streams and the folder it was given as --out."""

    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


Check = Callable[[Run], None]
Maker = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """An input file, the command that reads it, and what must happen."""

    file: str
    """The input, relative to ``germline/`` (or, for a made input, to the folder it is made in)."""
    command: tuple[str, ...]
    code: int = 2
    message: str = ""
    """A regular expression the error line must match (refused inputs)."""
    names: str | None = None
    """What the error line must name (default: ``file``)."""
    hpo: bool = False
    """Needs the compiled HPO knowledge (``make hpo-data``)."""
    quiet: bool = True
    """Run with ``-q`` (no summary on stdout)."""
    check: Check | None = field(default=None, compare=False)
    """More checks on the run."""
    make: Maker | None = field(default=None, compare=False)
    """Makes the input in the folder given (a made input); None for a corpus file."""
    label: str = ""
    """Test id when one file serves several cases."""

    @property
    def id(self) -> str:
        return self.label or self.file


def _out_has(*names: str) -> Check:
    def check(run: Run) -> None:
        written = {p.name for p in run.out.iterdir()}
        assert set(names) <= written, (names, written)
    return check


def _stdout_has(text: str) -> Check:
    def check(run: Run) -> None:
        assert text in run.stdout, run.stdout[:500]
    return check


def _calls(run: Run) -> dict[tuple[str, str], list[str]]:
    rows = [line.split("\t") for line in (run.out / "calls.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return {(row[0], row[1]): row[2:] for row in rows}


def _same_calls_as_good(run: Run) -> None:
    calls = _calls(run)
    assert calls[("P1", "CYP2C19")][:2] == ["*1/*2", "Intermediate Metabolizer"], calls[("P1", "CYP2C19")]


def _shortened_file_name(run: Run) -> None:
    documents = [p for p in run.out.glob("*.json") if not p.name.startswith(".") and p.name != "knowledge.json"]
    assert len(documents) == 1 and len(documents[0].name) < 140
    assert json.loads(documents[0].read_text(encoding="utf-8"))["sample"] == "S" * 300


def _ranked_with_id(case_id: str) -> Check:
    def check(run: Run) -> None:
        assert json.loads((run.out / "result.json").read_text(encoding="utf-8"))["proband"]["id"] == case_id
    return check


def _all(*checks: Check) -> Check:
    def check(run: Run) -> None:
        for one in checks:
            one(run)
    return check


def _html_escaped(run: Run) -> None:
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


NOT_UTF8 = r"not UTF-8 text \(byte 0x[0-9a-f]{2}\)"

CASES: list[Case] = [
    # -- pharmacogenomics VCFs (tailormed pgx call) ------------------------------------------------------------
    Case("pgx-vcf/good.vcf", PGX, 0, check=_same_calls_as_good),
    Case("pgx-vcf/two-samples.vcf", PGX, 0, check=_out_has("A.json", "B.json", "calls.tsv")),
    Case("pgx-vcf/crlf.vcf", PGX, 0, check=_same_calls_as_good),
    Case("pgx-vcf/lower-case-bases.vcf", PGX, 0, check=_same_calls_as_good),
    Case("pgx-vcf/sample-300-chars.vcf", PGX, 0, check=_shortened_file_name),
    Case("pgx-vcf/sample-markup.vcf", PGX, 0, check=_out_has("_bold_x__bold_.json")),
    Case("pgx-vcf/sample-ansi.vcf", PGX, 0, check=_out_has("x__2Jy.json")),
    Case("pgx-vcf/sample-path.vcf", PGX, 0, check=_out_has("_.._etc_passwd.json")),
    Case("pgx-vcf/filter-escape.vcf", PGX, 0, check=_out_has("P1.json")),
    Case("pgx-vcf/covers-no-gene.vcf", PGX, 0, check=_out_has("P1.json")),
    Case("pgx-vcf/sample-latin1.vcf", PGX, message=rf"line 6: the sample name in column 10 is {NOT_UTF8}"),
    Case("pgx-vcf/samples-duplicated.vcf", PGX, message=r"sample 'A' is named twice in the header \(columns 10 and 12"),
    Case("pgx-vcf/sample-trailing-tab.vcf", PGX, message="the sample name in column 11 is empty"),
    Case("pgx-vcf/sample-dotdot.vcf", PGX, message=r"sample '\.\.' cannot name an output file"),
    Case("pgx-vcf/bom.vcf", PGX, message="starts with a byte-order mark"),
    Case("pgx-vcf/grch37-reference.vcf", PGX, message="GRCh37"),
    Case("pgx-vcf/grch37-contig-length.vcf", PGX, message="GRCh37 length"),
    Case("pgx-vcf/empty.vcf", PGX, message="no '#CHROM' header line"),
    Case("pgx-vcf/header-only.vcf", PGX, message="header but no records"),
    Case("pgx-vcf/no-chrom-line.vcf", PGX, message="no '#CHROM' header line"),
    Case("pgx-vcf/not-a-vcf.vcf", PGX, message="not a VCF"),
    Case("pgx-vcf/record-cut-short.vcf", PGX, message="cannot parse VCF record"),
    Case("pgx-vcf/gt-allele-beyond-alts.vcf", PGX, message="'P1' has genotype allele 2 but the record has 1 ALT"),
    Case("pgx-vcf/ps-declared-string.vcf", PGX, message="FORMAT/PS .* Type=Integer"),
    Case("pgx-vcf/nul-byte.vcf", PGX, message="cannot parse VCF record"),
    Case("pgx-vcf/no-gt-declared.vcf", PGX, message="no FORMAT/GT field"),
    Case("pgx-vcf/pos-not-a-number.vcf", PGX, message="cannot parse VCF record"),
    Case("pgx-vcf/no-contig-lines-record-cut-after-id.vcf", PGX, message="record 1: cannot parse"),  # segfaulted
    Case("pgx-vcf/no-contig-lines-genotype-cut.vcf", PGX, message="record 1: cannot parse"),  # segfaulted
    # -- annotated exome VCFs (tailormed rare rank --vcf) -------------------------------------------------------
    Case("exome-vcf/good.vep.vcf", RANK_VCF, 0, hpo=True, check=_out_has("ranking.tsv", "result.json")),
    Case("exome-vcf/crlf.vep.vcf", RANK_VCF, 0, hpo=True, check=_out_has("ranking.tsv")),
    Case("exome-vcf/csq-af-nan.vep.vcf", RANK_VCF, 0, hpo=True, check=_out_has("ranking.tsv")),  # NaN: no AF
    Case("exome-vcf/csq-markup.vep.vcf", RANK_VCF, 0, hpo=True, check=_out_has("report.html")),
    Case("exome-vcf/csq-af-inf.vep.vcf", RANK_VCF, hpo=True, message=r"line 14 \(chr1:94010000\): .*not a finite"),
    Case("exome-vcf/csq-af-above-one.vep.vcf", RANK_VCF, hpo=True, message="not an allele frequency between 0 and 1"),
    Case("exome-vcf/csq-not-utf8.vep.vcf", RANK_VCF, hpo=True, message="the CSQ annotation is not UTF-8 text"),
    Case("exome-vcf/csq-no-format-list.vep.vcf", RANK_VCF, hpo=True, message="no 'Format: Allele"),
    Case("exome-vcf/csq-protein-position-junk.vep.vcf", RANK_VCF, hpo=True, message="Protein_position: '9x5'"),
    Case("exome-vcf/csq-impact-junk.vep.vcf", RANK_VCF, hpo=True, message="IMPACT: 'SEVERE'"),
    Case("exome-vcf/gt-allele-beyond-alts.vep.vcf", RANK_VCF, hpo=True, message="genotype allele 3 but the record"),
    Case("exome-vcf/grch37.vep.vcf", RANK_VCF, hpo=True, message="GRCh37"),
    Case("exome-vcf/sample-latin1.vep.vcf", RANK_VCF, hpo=True, message=f"column 10 is {NOT_UTF8}"),
    Case("exome-vcf/samples-duplicated.vep.vcf", RANK_VCF, hpo=True, message="'DEMO001' is named twice"),
    Case("exome-vcf/too-few-columns.vep.vcf", RANK_VCF, hpo=True, message="8 tab-separated columns, the header has 10"),
    Case("exome-vcf/pos-negative.vep.vcf", RANK_VCF, hpo=True, message="POS '-5' is not a position"),
    Case("exome-vcf/depth-not-a-number.vep.vcf", RANK_VCF, hpo=True, message="line 14: cannot parse VCF record"),
    Case("exome-vcf/no-contig-lines-genotype-cut.vep.vcf", RANK_VCF, hpo=True, message="cannot parse VCF record"),
    # -- phenopackets (tailormed rare rank --phenopacket) -------------------------------------------------------
    Case("phenopackets/good.json", RANK, 0, hpo=True, check=_ranked_with_id("DEMO001-phenotype")),
    Case("phenopackets/bom-crlf.json", RANK, 0, hpo=True, check=_ranked_with_id("DEMO001-phenotype")),
    Case("phenopackets/id-markup.json", RANK, 0, hpo=True, quiet=False,
         check=_all(_ranked_with_id("[bold]x[/bold]"), _stdout_has("[bold]x[/bold]: top candidates"))),
    Case("phenopackets/id-markup-close.json", RANK, 0, hpo=True, quiet=False,
         check=_all(_ranked_with_id("x[/]"), _stdout_has("x[/]: top candidates"))),
    Case("phenopackets/id-ansi.json", RANK, 0, hpo=True, quiet=False,
         check=_all(_ranked_with_id("x\x1b[2Jy\x1b]8;;http://example.invalid\x07z"),
                    _stdout_has("x\\x1b[2Jy\\x1b]8;;http://example.invalid\\x07z: top candidates"))),
    Case("phenopackets/id-html.json", RANK, 0, hpo=True, check=_html_escaped),
    Case("phenopackets/nested-201.json", RANK, message=r"nested too deeply \(more than 200 levels\)"),
    Case("phenopackets/not-utf8.json", RANK, message=f"line 1: {NOT_UTF8}"),
    Case("phenopackets/empty.json", RANK, message="line 1 column 1: not valid JSON"),
    Case("phenopackets/truncated.json", RANK, message="not valid JSON"),
    Case("phenopackets/array.json", RANK, message="a phenopacket is a JSON object"),
    Case("phenopackets/v1.json", RANK, message="Phenopacket v1"),
    Case("phenopackets/no-metadata.json", RANK, message="no metaData object"),
    Case("phenopackets/subject-string.json", RANK, message="subject: must be a JSON object, not a string"),
    Case("phenopackets/age-number.json", RANK, message="iso8601duration: must be a string, not a number"),
    Case("phenopackets/age-nan.json", RANK, message="iso8601duration: must be a string, not a number"),
    Case("phenopackets/excluded-string.json", RANK, message=r"\[0\].excluded: must be true or false"),
    Case("phenopackets/features-object.json", RANK, message="phenotypicFeatures: must be a JSON array"),
    Case("phenopackets/onset-array.json", RANK, message=r"\[0\].onset: must be a JSON object, not an array"),
    Case("phenopackets/onset-not-iso.json", RANK, message="'seven years' is not an ISO 8601 age"),
    Case("phenopackets/interpretation-string.json", RANK, message=r"interpretations\[0\].diagnosis: must be"),
    Case("phenopackets/hpo-id-malformed.json", RANK, message="'HP:123' is not an HPO id"),
    Case("phenopackets/id-object.json", RANK, message="id: must be a string, not an object"),
    # -- HPO id lists (tailormed rare rank --phenopacket FILE.txt) ---------------------------------------------
    Case("hpo-lists/good.txt", RANK, 0, hpo=True, check=_ranked_with_id("good")),
    Case("hpo-lists/bom-crlf.txt", RANK, 0, hpo=True, check=_ranked_with_id("bom-crlf")),
    Case("hpo-lists/not-utf8.txt", RANK, message=f"line 2: {NOT_UTF8}"),
    Case("hpo-lists/empty.txt", RANK, message="no HPO ids in this file"),
    Case("hpo-lists/markup.txt", RANK, message=r"'\[bold\]HP:0001166\[/bold\]' is not an HPO id"),
    Case("hpo-lists/nul.txt", RANK, message=r"'HP:0001166\\x00' is not an HPO id"),
    Case("hpo-lists/unknown-term.txt", RANK, hpo=True, message="HP:9999999 is not a term of HPO"),
    # -- PED files (tailormed rare rank --vcf --ped) -----------------------------------------------------------
    Case("ped/good.ped", RANK_PED, 0, hpo=True, check=_out_has("ranking.tsv")),
    Case("ped/crlf.ped", RANK_PED, 0, hpo=True, check=_out_has("ranking.tsv")),
    Case("ped/not-utf8.ped", RANK_PED, hpo=True, message=f"line 1: {NOT_UTF8}"),
    Case("ped/five-columns.ped", RANK_PED, hpo=True, message="expected 6 whitespace-separated columns"),
    Case("ped/empty.ped", RANK_PED, hpo=True, message="no pedigree lines"),
    Case("ped/markup-id.ped", RANK_PED, hpo=True, message=r"none of the pedigree's members \(\[bold\]DEMO001"),
    Case("ped/phenotype-nan.ped", RANK_PED, hpo=True, message="phenotype 'nan' is not 2"),
    Case("ped/own-parent.ped", RANK_PED, hpo=True, message="given as their own parent"),
    # -- outside calls (tailormed pgx call --outside-calls) ----------------------------------------------------
    Case("outside-calls/good.tsv", OUTSIDE, 0, check=_out_has("sample.json", "calls.tsv")),
    Case("outside-calls/bom-crlf.tsv", OUTSIDE, 0, check=_out_has("sample.json")),
    Case("outside-calls/not-utf8.tsv", OUTSIDE, message=f"line 2: {NOT_UTF8}"),
    Case("outside-calls/score-nan.tsv", OUTSIDE, message="activity score nan is outside 0-10"),
    Case("outside-calls/score-inf.tsv", OUTSIDE, message="activity score inf is outside 0-10"),
    Case("outside-calls/empty.tsv", OUTSIDE, message="holds no calls"),
    Case("outside-calls/header-only.tsv", OUTSIDE, message="holds no calls"),
    Case("outside-calls/markup-diplotype.tsv", OUTSIDE, message=r"diplotype '\[bold\]\*1\[/bold\]/\*4' must be"),
    Case("outside-calls/unknown-gene.tsv", OUTSIDE, message="gene CYP9Z9 is not in the knowledge base"),
    Case("outside-calls/unknown-column.tsv", OUTSIDE, message=r"unknown column\(s\) \['colour'\]"),
    Case("outside-calls/three-alleles.tsv", OUTSIDE, message=r"diplotype '\*1/\*4/\*5' must be 'A/B'"),
    Case("outside-calls/unknown-sample.tsv", ("pgx", "call", str(CORPUS / "pgx-vcf" / "good.vcf"), "--outside-calls",
                                              "{file}"), message=r"line 2: outside calls name sample\(s\) not"),
    # -- rare-disease presets (tailormed rare rank --preset) ---------------------------------------------------
    Case("presets/ratio-nan.yaml", RANK_PRESET, hpo=True, message=r"steps\[4\].miss_lr: must be a finite number"),
    Case("presets/ratio-inf.yaml", RANK_PRESET, hpo=True, message=r"steps\[4\].miss_lr: must be a finite number"),
    Case("presets/ratio-zero.yaml", RANK_PRESET, hpo=True, message=r"chance_rate: must lie in \(0, 1\]"),
    Case("presets/ratio-string.yaml", RANK_PRESET, hpo=True, message="miss_lr: must be a finite number, not 'lots'"),
    Case("presets/ratio-mapping.yaml", RANK_PRESET, hpo=True, message="miss_lr: must be a finite number"),
    Case("presets/flag-maybe.yaml", RANK_PRESET, hpo=True, message="require_pass: must be true or false"),
    Case("presets/consequences-string.yaml", RANK_PRESET, hpo=True, message="must be a list of terms"),
    Case("presets/not-utf8.yaml", RANK_PRESET, hpo=True, message=NOT_UTF8),
    Case("presets/python-tag.yaml", RANK_PRESET, hpo=True, message="could not determine a constructor"),
    Case("presets/alias-bomb.yaml", RANK_PRESET, hpo=True, message="once its YAML aliases are expanded"),
    Case("presets/duplicate-key.yaml", RANK_PRESET, hpo=True, message="key 'name' is given twice"),
    Case("presets/steps-string.yaml", RANK_PRESET, hpo=True, message="steps: must be a list of steps"),
    Case("presets/tab-indent.yaml", RANK_PRESET, hpo=True, message="not valid YAML"),
    Case("presets/empty.yaml", RANK_PRESET, hpo=True, message="a preset is a YAML mapping"),
    # -- patient manifests (tailormed analyze) -----------------------------------------------------------------
    Case("manifests/good.yaml", ANALYZE, 0, check=_out_has("pgx.json", "analysis.json")),
    Case("manifests/crlf.yaml", ANALYZE, 0, check=_out_has("pgx.json")),
    Case("manifests/manifest.json", ANALYZE, 0, check=_out_has("pgx.json")),
    Case("manifests/fhir-bundle.yaml", ANALYZE, names="manifests/bundle.json", message="FHIR bundle not found"),
    Case("manifests/unknown-key.yaml", ANALYZE, message="colour: unknown key"),
    Case("manifests/misspelt-key.yaml", ANALYZE, message="germline.vfc: unknown key"),
    Case("manifests/id-list.yaml", ANALYZE, message="id: Input should be a valid string"),
    Case("manifests/medications-string.yaml", ANALYZE, message="medications: Input should be a valid list"),
    Case("manifests/age-nan.yaml", ANALYZE, message=r"demographics.age_years: .*\(got nan\)"),
    Case("manifests/birth-date-invalid.yaml", ANALYZE, message=r"not valid YAML \(month must be in 1..12\)"),
    Case("manifests/duplicate-key.yaml", ANALYZE, message="key 'id' is given twice"),
    Case("manifests/not-utf8.yaml", ANALYZE, message=f"line 5: {NOT_UTF8}"),
    Case("manifests/alias-bomb.yaml", ANALYZE, message="once its YAML aliases are expanded"),
    Case("manifests/nested-201.yaml", ANALYZE, message="nested too deeply"),
    Case("manifests/list.yaml", ANALYZE, message="a patient manifest must be a mapping"),
    Case("manifests/vcf-empty-path.yaml", ANALYZE, message="germline.vcf: an empty path"),
    Case("manifests/vcf-missing.yaml", ANALYZE, names="pgx-vcf/no-such-file.vcf", message="file not found"),
    Case("manifests/vcf-grch37.yaml", ANALYZE, names="pgx-vcf/grch37-reference.vcf", message="GRCh37"),
    Case("manifests/vcf-samples-duplicated.yaml", ANALYZE, names="pgx-vcf/samples-duplicated.vcf",
         message="named twice"),
    Case("manifests/phenopacket-nested.yaml", ANALYZE, names="phenopackets/nested-201.json",
         message="nested too deeply"),
    Case("manifests/outside-calls-not-utf8.yaml", ANALYZE, names="outside-calls/not-utf8.tsv", message=NOT_UTF8),
]



# -- made at test time: big, binary and file-system inputs --------------------------------------------------------
NOISE = bytes((i * 197 + 13) % 256 for i in range(20_000))
"""Bytes that are no text (every byte value, no line structure)."""


def _write(name: str, data: bytes | str) -> Maker:
    def make(folder: Path) -> None:
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return make


def _folder(name: str) -> Maker:
    def make(folder: Path) -> None:
        (folder / name).mkdir()
    return make


def _bgzip(plain: Path, out: Path) -> Path:
    """A BGZF-compressed copy (htslib's writer, through cyvcf2)."""
    from cyvcf2 import VCF, Writer

    reader = VCF(str(plain))
    writer = Writer(str(out), reader, mode="wz")
    for record in reader:
        writer.write_record(record)
    writer.close()
    reader.close()
    return out


def _bgzipped(name: str, cut: int = 0) -> Maker:
    """The corpus's good PGx VCF, bgzipped; ``cut`` bytes removed from its end (the BGZF end-of-file block is 28)."""
    def make(folder: Path) -> None:
        data = _bgzip(CORPUS / "pgx-vcf" / "good.vcf", folder / f".{name}.whole").read_bytes()
        (folder / name).write_bytes(data[: len(data) - cut])
    return make


def _fifo(name: str) -> Maker:
    def make(folder: Path) -> None:
        os.mkfifo(folder / name)
    return make


def _link_loop(name: str) -> Maker:
    def make(folder: Path) -> None:
        (folder / name).symlink_to(folder / f"{name}.other")
        (folder / f"{name}.other").symlink_to(folder / name)
    return make


def _manifest_naming(name: str, key: str, target: str) -> Maker:
    """A manifest whose ``key`` names ``target``, a folder made beside it."""
    def make(folder: Path) -> None:
        (folder / target).mkdir()
        value = f"{{vcf: {target}}}" if key == "germline" else target
        (folder / name).write_text(f"id: P1\n{key}: {value}\n")
    return make


def _big_info_vcf(folder: Path) -> None:
    text = (CORPUS / "pgx-vcf" / "good.vcf").read_text()
    big = "\tPASS\tNOTE=" + "x" * 2_000_000 + "\tGT\t"
    (folder / "big-info.vcf").write_text(text.replace("\tPASS\t.\tGT\t", big, 1))


def _big_id_phenopacket(folder: Path) -> None:
    document = json.loads((CORPUS / "phenopackets" / "good.json").read_text())
    document["id"] = "I" * 1_000_000
    (folder / "big-id.json").write_text(json.dumps(document))


def _batch_folder(folder: Path) -> None:
    """Every corpus phenopacket, and one nested 100,000 levels deep."""
    shutil.copytree(CORPUS / "phenopackets", folder / "cases")
    (folder / "cases" / "deep.json").write_text("[" * 100_000 + "]" * 100_000)


def _short_error(run: Run) -> None:
    assert len(run.stderr) < 1000, len(run.stderr)


def _one_sample(sample: str) -> Check:
    def check(run: Run) -> None:
        assert {s for s, _ in _calls(run)} == {sample}
    return check


def _genes_not_covered(expected: bool) -> Check:
    """No gene called; every gene 'not covered' (--missing-as-ref) or read with all positions missing."""
    def check(run: Run) -> None:
        document = json.loads((run.out / "P1.json").read_text())
        assert all(not gene.get("diplotypes") for gene in document["genes"])  # compact JSON leaves empty lists out
        codes = {w["code"] for gene in document["genes"] for w in gene.get("warnings", [])}
        assert ("not_covered" in codes) == expected and ("missing_positions" in codes) != expected
    return check


def _batch_lists_the_refused(run: Run) -> None:
    phenopackets = [case for case in CASES if case.file.startswith("phenopackets/")]
    refused = {Path(case.file).name for case in phenopackets if case.code} | {"deep.json"}
    failed = [line.split("\t") for line in (run.out / "failed.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert {Path(path).name for path, _ in failed} == refused
    assert all(error.startswith(path) for path, error in failed)  # each reason names its file
    ranked = [line.split("\t") for line in (run.out / "summary.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert {Path(row[1]).name for row in ranked} == {Path(case.file).name for case in phenopackets if not case.code}


PGX_GOOD = str(CORPUS / "pgx-vcf" / "good.vcf")
TWO_SAMPLES = str(CORPUS / "pgx-vcf" / "two-samples.vcf")
NO_GENE = str(CORPUS / "pgx-vcf" / "covers-no-gene.vcf")
FOLDER = "is a folder, not a"

MADE: list[Case] = [
    Case("whole.vcf.gz", PGX, 0, make=_bgzipped("whole.vcf.gz"), check=_same_calls_as_good),
    Case("cut.vcf.gz", PGX, message="BGZF file is truncated", make=_bgzipped("cut.vcf.gz", cut=30)),
    Case("noise.vcf", PGX, message="not a VCF", make=_write("noise.vcf", NOISE)),
    Case("noise.vcf.gz", PGX, make=_write("noise.vcf.gz", b"\x1f\x8b" + NOISE)),
    Case("noise.json", RANK, message="not UTF-8 text", make=_write("noise.json", NOISE)),
    Case("noise.txt", RANK, message="not UTF-8 text", make=_write("noise.txt", NOISE)),
    Case("noise.yaml", ANALYZE, message="not UTF-8 text", make=_write("noise.yaml", NOISE)),
    Case("noise.tsv", OUTSIDE, message="not UTF-8 text", make=_write("noise.tsv", NOISE)),
    Case("noise.ped", RANK_PED, hpo=True, message="not UTF-8 text", make=_write("noise.ped", NOISE)),
    Case("noise-preset.yaml", RANK_PRESET, hpo=True, message="not UTF-8 text", make=_write("noise-preset.yaml", NOISE)),
    Case("folder.vcf", PGX, message=FOLDER, make=_folder("folder.vcf")),
    Case("folder.vep.vcf", RANK_VCF, hpo=True, message=FOLDER, make=_folder("folder.vep.vcf")),
    Case("folder.json", RANK, message=FOLDER, make=_folder("folder.json")),
    Case("folder.txt", RANK, message=FOLDER, make=_folder("folder.txt")),
    Case("folder.yaml", ANALYZE, message=FOLDER, make=_folder("folder.yaml")),
    Case("folder.tsv", OUTSIDE, message=FOLDER, make=_folder("folder.tsv")),
    Case("folder.ped", RANK_PED, hpo=True, message=FOLDER, make=_folder("folder.ped")),
    Case("folder-preset.yaml", RANK_PRESET, hpo=True, message=FOLDER, make=_folder("folder-preset.yaml")),
    Case("names-folder-vcf.yaml", ANALYZE, names="exome.vcf", message=FOLDER,
         make=_manifest_naming("names-folder-vcf.yaml", "germline", "exome.vcf")),
    Case("names-folder-calls.yaml", ANALYZE, names="calls.tsv", message=FOLDER,
         make=_manifest_naming("names-folder-calls.yaml", "outside_calls", "calls.tsv")),
    Case("names-folder-phenopacket.yaml", ANALYZE, names="case.json", message=FOLDER,
         make=_manifest_naming("names-folder-phenopacket.yaml", "phenopacket", "case.json")),
    Case("pipe.vcf", PGX, message="is not a regular file", make=_fifo("pipe.vcf")),
    Case("pipe.json", RANK, message="is not a regular phenotype file", make=_fifo("pipe.json")),
    Case("loop.vcf", PGX, message="cannot open the file", make=_link_loop("loop.vcf")),
    Case("x" * 300 + ".json", RANK, names="xxxx", message=r"cannot open the phenotype file \(File name too long\)",
         make=lambda folder: None, label="name-too-long.json"),
    Case("deep.json", RANK, message="nested too deeply", make=_write("deep.json", "[" * 100_000 + "]" * 100_000)),
    Case("big-info.vcf", PGX, 0, make=_big_info_vcf, check=_same_calls_as_good),
    Case("big-id.json", RANK, 0, hpo=True, make=_big_id_phenopacket, check=_ranked_with_id("I" * 1_000_000)),
    Case("huge.ped", RANK_PED, hpo=True, message="none of the pedigree's members", check=_short_error,
         make=_write("huge.ped", "F1 " + "X" * 1_000_000 + " 0 0 2 2\n")),
    Case("cases", ("rare", "batch", "{file}"), 0, hpo=True, make=_batch_folder, check=_batch_lists_the_refused,
         label="rare-batch-of-the-corpus-phenopackets"),
    # a sample named twice on the command line; a VCF that covers no gene of the pack
    Case("", ("pgx", "call", TWO_SAMPLES, "--samples", "A,A"), 0, check=_one_sample("A"), label="samples-A,A"),
    Case("", ("pgx", "call", TWO_SAMPLES, "--samples", ",,"), names="--samples", message="names no sample",
         label="samples-none"),
    Case("", ("pgx", "call", NO_GENE), 0, check=_genes_not_covered(False), label="covers-no-gene"),
    Case("", ("pgx", "call", NO_GENE, "--missing-as-ref"), 0, check=_genes_not_covered(True),
         label="covers-no-gene-missing-as-ref"),
]

def _hpo_available() -> bool:
    from tailormed.kb.hpo import default_hpo_dir

    return (default_hpo_dir() / "meta.json").is_file()


NO_HPO = "compiled HPO knowledge not available; `make hpo-data` builds it"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    env.update(TERM="dumb", NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return env


def run_cli(args: list[str], out: Path) -> Run:
    """``python -m tailormed.cli ARGS --out OUT -q`` as a real subprocess."""
    done = subprocess.run([sys.executable, "-m", "tailormed.cli", *args, "--out", str(out), "-q"],
                          capture_output=True, timeout=TIMEOUT, env=_environment(), check=False)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"), out)


def _arguments(case: Case, out: Path, made: Path) -> list[str]:
    where = str((made if case.make else CORPUS) / case.file)
    return [*(part.replace("{file}", where) for part in case.command), "--out", str(out),
            *(["-q"] if case.quiet else [])]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every case's run (cases needing absent HPO knowledge left out), made by ``forked_cli.py``."""
    with_hpo = _hpo_available()
    made = tmp_path_factory.mktemp("made")
    requests, outs = {}, {}
    for case in CASES + MADE:
        if case.hpo and not with_hpo:
            continue
        if case.make:
            case.make(made)
        folder = tmp_path_factory.mktemp("case")
        (folder / "run").mkdir()
        outs[case.id] = folder / "run" / "out"
        requests[case.id] = (_arguments(case, outs[case.id], made), folder)
    return {case_id: Run(code, stdout, stderr, outs[case_id])
            for case_id, (code, stdout, stderr) in run_all(requests, _environment(), TIMEOUT).items()}


def assert_refused(run: Run, names: str, message: str = "", code: int = 2) -> None:
    """Exit ``code``, one stderr line ``error: ...`` naming ``names`` (and matching ``message``), no traceback,
    no output folder and nothing left beside it."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == code, (run.code, run.stderr)
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    assert line.startswith("error: "), line
    assert names in line, (names, line[:300])
    if message:
        assert re.search(message, line), (message, line[:300])
    assert not run.out.exists()
    assert list(run.out.parent.iterdir()) == [], list(run.out.parent.iterdir())  # no .out.partial-*, no lock


def assert_accepted(run: Run) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 0, (run.code, run.stderr)
    assert "error:" not in run.stderr, run.stderr
    assert run.out.is_dir()
    assert [p.name for p in run.out.parent.iterdir()] == [run.out.name]


def _check(case: Case, runs: dict[str, Run]) -> None:
    if case.id not in runs:
        pytest.skip("compiled HPO knowledge not available; `make hpo-data` builds it")
    run = runs[case.id]
    if case.code == 0:
        assert_accepted(run)
    else:
        assert_refused(run, case.names or case.file, case.message, case.code)
    if case.check:
        case.check(run)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_file(case: Case, runs: dict[str, Run]) -> None:
    _check(case, runs)


@pytest.mark.parametrize("case", MADE, ids=[case.id for case in MADE])
def test_made_input(case: Case, runs: dict[str, Run]) -> None:
    _check(case, runs)


def test_every_corpus_file_has_a_case() -> None:
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    assert files == {case.file for case in CASES}
    assert len(files) >= 25
    assert len({case.id for case in CASES + MADE}) == len(CASES) + len(MADE)


# -- through `python -m tailormed.cli` itself ---------------------------------------------------------------------
@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    return folder


def test_python_m_tailormed_cli_refuses_like_the_forked_runs(run_dir: Path) -> None:
    run = run_cli(["pgx", "call", str(CORPUS / "pgx-vcf" / "samples-duplicated.vcf")], run_dir / "out")
    assert_refused(run, "pgx-vcf/samples-duplicated.vcf", "named twice")
    run = run_cli(["pgx", "call", PGX_GOOD], run_dir / "out")
    assert_accepted(run)
    _same_calls_as_good(run)


@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0,
                    reason="runs as root, where chmod 000 does not stop reading (tests/io/test_vcf_reader.py "
                           "simulates an unreadable VCF in-process instead)")
def test_an_unreadable_vcf_named_by_a_manifest(tmp_path: Path, run_dir: Path) -> None:
    vcf = tmp_path / "locked.vcf"
    shutil.copy(CORPUS / "pgx-vcf" / "good.vcf", vcf)
    vcf.chmod(0)
    manifest = tmp_path / "patient.yaml"
    manifest.write_text("id: P1\ngermline: {vcf: locked.vcf}\n")
    try:
        assert_refused(run_cli(["analyze", str(manifest)], run_dir / "out"), "locked.vcf", "Permission denied")
    finally:
        vcf.chmod(0o644)


@pytest.mark.validation
@pytest.mark.parametrize("missing_as_ref", [False, True])
def test_the_1kgp_cyp2c8_file_alone(run_dir: Path, missing_as_ref: bool) -> None:
    """A real cohort file that covers no gene of the pack (was 'zip() argument 2 is shorter' with
    --missing-as-ref)."""
    vcf = SHARED / "pgx" / "1kgp-grch38" / "CYP2C8.vcf.gz"
    if not vcf.is_file():
        pytest.skip(f"reference data not present: {vcf}")
    run = run_cli(["pgx", "call", str(vcf), "--formats", "tsv", *(["--missing-as-ref"] if missing_as_ref else [])],
                  run_dir / "out")
    assert_accepted(run)
    calls = _calls(run)
    assert len({sample for sample, _ in calls}) > 3000
    assert all(not row[0] for row in calls.values())  # no diplotype anywhere
    # With --missing-as-ref no gene is assumed reference; without it every defining position is missing. Either
    # way no gene was examined, so every gene is "not tested" (never a call, never a reason to change care).
    assert {row[5] for row in calls.values()} == {"not tested"}  # the source column (calls.tsv column 8)


def test_an_output_folder_name_too_long_is_an_output_error(run_dir: Path) -> None:
    run = run_cli(["pgx", "call", PGX_GOOD], run_dir / ("o" * 300))
    assert "Traceback" not in run.stderr and run.code == 4, run.stderr
    assert len(run.error_lines) == 1 and run.error_lines[0].startswith("error: ")
    assert "cannot use this output folder (File name too long)" in run.error_lines[0]
    assert list(run_dir.iterdir()) == []
