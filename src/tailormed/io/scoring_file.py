"""Reading polygenic-score scoring files into a columnar :class:`~tailormed.model.prs.ScoringFile`.

Three layouts are accepted (plain text or gzip, detected from the bytes, not the name):

1. **PGS Catalog format 2.0** (``PGS000001.txt.gz``): ``#key=value`` header lines (``pgs_id``, ``pgs_name``,
   ``genome_build``, ``weight_type``, ``variants_number``, ``format_version`` ...; ``##`` lines are section
   titles), then one tab-separated column line and the rows. Columns used: ``rsID``, ``chr_name``,
   ``chr_position``, ``effect_allele``, ``other_allele``, ``effect_weight``, ``is_dominant``,
   ``is_recessive``; checked: ``is_haplotype``, ``is_diplotype``, ``is_interaction`` (refused when TRUE),
   ``OR``/``HR`` (see weights below), ``dosage_{0,1,2}_weight`` (non-additive: refused). Other columns
   (``locus_name``, ``imputation_method``, ``variant_description``, ``allelefrequency_effect`` ...) are ignored.
   pgsc_calc's own "custom scoring file" (the same header and columns, ``rsID`` optional) is this layout too,
   as are the files in pgsc_calc's ``assets/examples/scorefiles``.
   A *wide* file with several ``effect_weight_<name>`` columns holds one score per column (score id ``<name>``),
   as pygscatalog's ``detect_wide`` reads it.
2. **Harmonized PGS Catalog files** (``PGS000001_hmPOS_GRCh38.txt.gz``): the columns above plus ``hm_source``,
   ``hm_rsID``, ``hm_chr``, ``hm_pos``, ``hm_inferOtherAllele``, ``hm_match_chr``, ``hm_match_pos`` and the
   header line ``#HmPOS_build``. As in pygscatalog's ``remap_harmonised``, positions come from ``hm_chr``/
   ``hm_pos`` only (a row whose harmonization failed has no position), the build from ``#HmPOS_build``
   (else the ``_hmPOS_GRCh3x`` part of the file name), the ID from ``hm_rsID`` (else ``rsID``), and
   ``hm_inferOtherAllele`` fills ``other_allele`` where that is empty. ``hm_inferOtherAllele`` can list
   several alleles (``A/T``); the string is kept and the matcher treats it as "no other allele", as
   pygscatalog's ``assign_other_allele`` does.
3. **plink2 ``--score`` multi-score files** (``ID effect_allele SCORE1 SCORE2 ...``, pgsc_calc's
   ``multiscore.txt``/``test.scorefile``): every column after ``ID`` and ``effect_allele`` is one score named
   by its column. An ``ID`` of the form ``chr:pos:ref:alt`` gives the position, and the other allele is the
   one of ``ref``/``alt`` that is not the effect allele; any other ``ID`` is kept as the variant ID.

A line identical to the column line met again among the rows is skipped (files concatenated with their
headers). Blank lines and ``#`` lines among the rows are skipped.

Weights. ``effect_weight`` is the weight multiplied by the effect-allele dosage and summed (PGS Catalog
scoring-file documentation, "Formatted Files - Columns"). The Catalog stores log(OR)/log(HR) there when authors
gave only ratios ("If no other effect_weight is given the weight is calculated using the log(OR) or log(HR)").
So: a file with ``effect_weight`` is read as is; a file with only an ``OR`` (or ``HR``) column gets
``effect_weight = ln(OR)``, recorded in ``metadata['tailormed_weight_source']`` (pgsc_calc refuses such a file:
pygscatalog's ``check_effect_weights`` raises "All effect weight fields are missing"). A header
``#weight_type`` naming a raw ratio (``OR``, ``HR``, ``OR/HR``, "odds ratio"...) over an ``effect_weight``
column whose values are all positive is refused: ratios multiply, they cannot be summed, and such values
look like ratios rather than log-ratios. If an ``OR``/``HR`` column shows the weights are its logarithm, or
some weights are zero or negative (impossible for a ratio), the file is read and the finding noted in metadata.

Genome builds: ``GRCh37``/``hg19`` and ``GRCh38``/``hg38`` (any case) are normalised to ``GRCh37``/``GRCh38``;
``NR`` or no build gives ``None``; anything else (``NCBI36``...) is refused. pygscatalog's ``GenomeBuild.from_string``
accepts the same spellings (plus NCBI35/36, which pgsc_calc can only use through a harmonized file).

Refused with :class:`~tailormed.errors.InputError` (file and line named): an empty file or one without rows, no
``effect_allele`` or weight column, duplicated column names, a weight that is not a finite number (or is larger
than :data:`MAX_WEIGHT` = 1e6 in magnitude), an ``OR``/``HR`` that is not positive, haplotype/diplotype/
interaction rows (TailorMed scores single variants only; pgsc_calc merely warns that such "complex" files need
manual work), a row both dominant and recessive (pygscatalog: "Can't determine effect type"), non-additive
``dosage_*_weight`` scores (pygscatalog raises ``EffectTypeError``), a position that is not a positive integer, an
empty effect allele, and (outside harmonized files) a row with neither a position nor an ID (pygscatalog's
``check_position``).

Sources checked (search tool, code corpus): PGScatalog/pygscatalog ``pgscatalog.core/src/pgscatalog/core/lib/
models.py`` (column names and meanings, ``effect_type``, ``check_position``, header fields), ``_read.py``
(header lines, ``detect_wide``, duplicate columns), ``_normalise.py`` (``remap_harmonised``,
``assign_other_allele``, ``check_effect_type``), ``genomebuild.py``; the PGS Catalog download page text
(scoring-file and harmonized-file columns and header, ``#weight_type`` e.g. 'beta', 'OR/HR', default 'NR');
PGScatalog/pgsc_calc ``assets/examples/scorefiles`` (the shared copy under ``/work/shared/data/risk``).

Reading is columnar for speed: the text is split once into lines and fields, each column is converted to a
numpy array in one call, and rows are visited one by one only to find the line of an error.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.model.genome import normalise_chrom
from tailormed.model.prs import GenomeBuild, ScoringFile

__all__ = ["read_scoring_file", "parse_genome_build"]

_BUILDS: dict[str, GenomeBuild | None] = {
    "grch37": "GRCh37", "hg19": "GRCh37", "grch38": "GRCh38", "hg38": "GRCh38", "nr": None, "": None,
}
_TRUE = frozenset({"TRUE", "T", "1", "YES"})
_FALSE = frozenset({"FALSE", "F", "0", "NO", "", "NA", "."})
_MISSING = frozenset({"", "NA", ".", "NAN", "NONE", "NULL"})  # compared upper-cased
_MISSING_SPELLINGS = frozenset({"", "NA", "na", "Na", ".", "NaN", "nan", "NAN", "None", "none", "NONE", "NULL", "null"})
_COMPLEX_FLAGS = ("is_haplotype", "is_diplotype", "is_interaction")
_DOSAGE_WEIGHTS = ("dosage_0_weight", "dosage_1_weight", "dosage_2_weight")
_HARMONIZED_NAME = re.compile(r"_hmPOS_(GRCh3[78])", re.IGNORECASE)
_PLINK_ID = re.compile(r"^(?:chr)?([0-9A-Za-z]+):(\d+):([^:]+):([^:]+)$")
# '#weight_type' values naming a ratio that is not on the log scale ('OR', 'HR', 'OR/HR', 'odds ratio').
_RATIO_WORDS = re.compile(r"\bOR\b|\bHR\b|(?i:odds ratio|hazard ratio)")
_LOG_WORDS = re.compile(r"log|ln|beta", re.IGNORECASE)
_MAX_POSITION = 2**40
MAX_WEIGHT = 1e6
"""Largest magnitude of a weight (or OR/HR) read: far beyond any published per-allele effect, small enough that a
score summed over millions of variants stays finite."""


@dataclass
class _Rows:
    """The data rows of a file, column by column (values stripped), and the 1-based line of each row."""

    header: list[str]
    header_line: int
    columns: list[list[str]]
    lines: list[int]

    @property
    def n(self) -> int:
        return len(self.lines)


def parse_genome_build(value: str, *, source: str, location: str | None = None) -> GenomeBuild | None:
    """Normalise a build name: GRCh37/hg19 -> 'GRCh37', GRCh38/hg38 -> 'GRCh38', NR/'' -> None; else refuse.

    >>> parse_genome_build("hg19", source="x")
    'GRCh37'
    >>> parse_genome_build("NR", source="x") is None
    True
    """
    key = value.strip().lower()
    if key in _BUILDS:
        return _BUILDS[key]
    raise InputError(f"unknown genome build {value.strip()!r}: TailorMed reads scoring files on GRCh37 (hg19) or "
                     "GRCh38 (hg38); for other builds use the PGS Catalog's harmonized file "
                     "(*_hmPOS_GRCh38.txt.gz)", source=source, location=location)


def read_scoring_file(path: Path) -> ScoringFile:
    """Read a PGS Catalog (plain, wide or harmonized) or plink2 multi-score scoring file.

    Errors are :class:`~tailormed.errors.InputError` naming the file and line. See the module docstring for
    the accepted layouts and the rules.
    """
    path = Path(path)
    source = str(path)
    text = _read_text(path)
    metadata, meta_lines, rows = _split(text, source)
    columns = {name: i for i, name in enumerate(rows.header)}
    if "effect_allele" not in columns:
        raise InputError(f"no effect_allele column (columns: {', '.join(rows.header)[:200]})",
                         source=source, location=f"line {rows.header_line}")
    plink = "ID" in columns and not ({"chr_name", "chr_position", "rsID", "hm_chr"} & set(columns))
    if plink:
        return _read_plink(path, rows, columns, metadata)
    return _read_catalog(path, rows, columns, metadata, meta_lines)


# --- text and lines -------------------------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("file not found", source=source) from exc
    except IsADirectoryError as exc:
        raise InputError("is a folder, not a scoring file", source=source) from exc
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", source=source) from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"gzip data is damaged or truncated ({exc})", source=source) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=source) from exc


def _split(text: str, source: str) -> tuple[dict[str, str], dict[str, int], _Rows]:
    """Header metadata (key -> value, key -> line), the column line and the data rows split into columns."""
    metadata: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    start = 0
    number = 0
    header_text: str | None = None
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].rstrip("\r")
        start = end + 1
        number += 1
        if not line.strip():
            continue
        if line.startswith("#"):
            if not line.startswith("##") and "=" in line:
                key, _, value = line[1:].partition("=")
                metadata[key.strip()] = value.strip()
                meta_lines[key.strip()] = number
            continue
        header_text = line
        break
    if header_text is None:
        raise InputError("empty scoring file: no column line and no variants", source=source)
    header_line = number
    delimiter: str | None = "\t" if "\t" in header_text else None
    header = [name.strip() for name in header_text.split(delimiter)]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"column {name!r} appears twice", source=source, location=f"line {header_line}")
        seen.add(name)
    body = text[start:].rstrip("\n")
    columns = _fast_columns(body, header_text, len(header)) if delimiter == "\t" else None
    if columns is not None:
        lines = list(range(header_line + 1, header_line + 1 + len(columns[0])))
    else:
        columns, lines = _slow_columns(body, header_text, header_line, len(header), delimiter, source)
    if not lines:
        raise InputError("scoring file has a column line but no variant rows", source=source,
                         location=f"line {header_line}")
    return metadata, meta_lines, _Rows(header, header_line, columns, lines)


# Whitespace at either end of a field (ASCII bodies only; tab and newline delimit fields) sends a file to the
# slow path, which strips every field.
_PADDING = (" \t", "\t ", " \n", "\n ", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def _fast_columns(body: str, header_text: str, width: int) -> list[list[str]] | None:
    """Columns of a clean tab-separated body (one split of the whole text), or None when the body needs care:
    comment, blank or repeated header lines, carriage returns, padded fields or rows of another width."""
    if (not body or body[0] == " " or body[-1] == " " or "\r" in body or "\n\n" in body or "\n#" in body
            or body.startswith("#") or header_text in body or not body.isascii()
            or any(padding in body for padding in _PADDING)):
        return None
    blank_row = "\t" * (width - 1)  # a row of empty fields is a blank line, skipped by the slow path
    if width > 1 and (body == blank_row or body.startswith(blank_row + "\n") or body.endswith("\n" + blank_row)
                      or f"\n{blank_row}\n" in body):
        return None
    rows = body.count("\n") + 1
    if body.count("\t") != rows * (width - 1):
        return None
    if set(map(str.count, body.split("\n"), repeat("\t"))) != {width - 1}:
        return None
    flat = body.replace("\n", "\t").split("\t")
    return [flat[k::width] for k in range(width)]


def _slow_columns(body: str, header_text: str, header_line: int, width: int, delimiter: str | None,
                  source: str) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, raw in enumerate(body.split("\n"), start=header_line + 1):
        line = raw.rstrip("\r")
        if line == header_text or not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(delimiter)]
        if len(fields) != width:
            if len(fields) > width or delimiter != "\t":
                raise InputError(f"{len(fields)} fields but {width} columns" +
                                 (" (is it tab-separated?)" if delimiter == "\t" else ""),
                                 source=source, location=f"line {number}")
            fields.extend([""] * (width - len(fields)))  # a tab file may cut off its trailing empty fields
        rows.append(fields)
        numbers.append(number)
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
    return columns, numbers


def _column(rows: _Rows, index: int) -> list[str]:
    return rows.columns[index]


# --- value conversion (vectorised, with a row-by-row pass only to name the bad line) ---------------------------

def _floats(values: list[str], rows: _Rows, what: str, source: str) -> npt.NDArray[np.float64]:
    """Finite numbers of magnitude at most :data:`MAX_WEIGHT` (weights, ratios), or an error naming the line."""
    try:
        out = np.array(values, dtype=np.float64)
    except (ValueError, OverflowError, TypeError):
        out = np.empty(0)
    if len(out) == len(values) and bool((np.abs(out) <= MAX_WEIGHT).all()):
        return out
    out = np.empty(len(values), dtype=np.float64)
    for i, (value, number) in enumerate(zip(values, rows.lines, strict=True)):
        try:
            out[i] = float(value)
        except (ValueError, OverflowError):
            out[i] = math.nan
        if not math.isfinite(out[i]):
            raise InputError(f"{what} {value[:40]!r} is not a number", source=source, location=f"line {number}")
        if abs(out[i]) > MAX_WEIGHT:
            raise InputError(f"{what} {value[:40]} is outside -{MAX_WEIGHT:g} to {MAX_WEIGHT:g}: no score has "
                             "per-allele weights near that size (a wrong column or unit?), and summing them would "
                             "overflow",
                             source=source, location=f"line {number}")
    return out


def _positions(values: list[str], rows: _Rows, what: str, source: str) -> npt.NDArray[np.int64]:
    """Positions as int64, -1 where missing ('', 'NA', '.'); refuse anything else that is not a positive integer."""
    joined = "".join(values)
    if all(values) and joined.isascii() and joined.isdigit():
        try:
            out = np.array(list(map(int, values)), dtype=np.int64)
        except OverflowError:
            out = np.zeros(len(values), dtype=np.int64)
        if bool(((out > 0) & (out < _MAX_POSITION)).all()):
            return out
    out = np.empty(len(values), dtype=np.int64)
    for i, (value, number) in enumerate(zip(values, rows.lines, strict=True)):
        if value.upper() in _MISSING:
            out[i] = -1
        elif value.isascii() and value.isdigit() and 0 < int(value) < _MAX_POSITION:
            out[i] = int(value)
        else:
            raise InputError(f"{what} {value[:40]!r} is not a positive whole number", source=source,
                             location=f"line {number}")
    return out


def _flags(values: list[str], rows: _Rows, what: str, source: str) -> npt.NDArray[np.bool_]:
    meaning: dict[str, bool] = {}
    for value in set(values):
        if value.upper() in _TRUE:
            meaning[value] = True
        elif value.upper() in _FALSE:
            meaning[value] = False
        else:
            number = rows.lines[values.index(value)]
            raise InputError(f"{what} is {value[:40]!r}, expected TRUE or FALSE", source=source,
                             location=f"line {number}")
    if not any(meaning.values()):
        return np.zeros(len(values), dtype=np.bool_)
    return np.array([meaning[v] for v in values], dtype=np.bool_)


def _chromosomes(values: list[str]) -> npt.NDArray[np.str_]:
    names = {v: _chrom_name(v) for v in set(values)}
    if all(name == v for v, name in names.items()):
        return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="<U1")
    return np.array([names[v] for v in values], dtype=np.str_) if values else np.zeros(0, dtype="<U1")


def _chrom_name(value: str) -> str:
    return "" if value.upper() in _MISSING else normalise_chrom(value)


def _upper(values: list[str]) -> list[str]:
    """Upper-case values, converting each distinct value once."""
    changed = {v: v.upper() for v in set(values) if v != v.upper()}
    return [changed.get(v, v) for v in values] if changed else values


def _blank_missing(values: list[str], missing: frozenset[str]) -> list[str]:
    """Replace values that mean 'missing' ('NA', 'na', '.', ... as listed) by ''."""
    found = missing.intersection(values) - {""}
    return ["" if v in found else v for v in values] if found else values


def _alleles(values: list[str]) -> npt.NDArray[np.object_]:
    return _objects(_upper(values))


def _objects(values: Sequence[str]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _first_line(mask: npt.NDArray[np.bool_], rows: _Rows) -> str:
    return f"line {rows.lines[int(np.flatnonzero(mask)[0])]}"


# --- PGS Catalog layout ---------------------------------------------------------------------------------------

def _read_catalog(path: Path, rows: _Rows, columns: dict[str, int], metadata: dict[str, str],
                  meta_lines: dict[str, int]) -> ScoringFile:
    source = str(path)
    n = rows.n
    metadata = dict(metadata)
    metadata["tailormed_format"] = "pgs-catalog"

    for flag in _COMPLEX_FLAGS:
        if flag in columns:
            values = _flags(_column(rows, columns[flag]), rows, flag, source)
            if values.any():
                kind = {"is_haplotype": "a haplotype", "is_diplotype": "a diplotype",
                        "is_interaction": "an interaction term"}[flag]
                raise InputError(f"{flag} is TRUE: the effect allele is {kind}, which TailorMed does not score "
                                 "(only single variants are supported)", source=source,
                                 location=_first_line(values, rows))

    weights, score_ids = _catalog_weights(path, rows, columns, metadata, meta_lines)

    harmonized = "hm_chr" in columns and "hm_pos" in columns
    if harmonized:
        build_text = metadata.get("HmPOS_build")
        if build_text is None:
            found = _HARMONIZED_NAME.search(path.name)
            build_text = found.group(1) if found else ""
        build = parse_genome_build(build_text, source=source,
                                   location=f"line {meta_lines['HmPOS_build']}" if "HmPOS_build" in meta_lines
                                   else None)
        chrom_col, pos_col = "hm_chr", "hm_pos"
    else:
        if "HmPOS_build" in metadata:
            raise InputError("the header names a harmonized build (#HmPOS_build) but the hm_chr/hm_pos columns "
                             "are missing", source=source, location=f"line {meta_lines['HmPOS_build']}")
        build = parse_genome_build(metadata.get("genome_build", ""), source=source,
                                   location=f"line {meta_lines['genome_build']}" if "genome_build" in meta_lines
                                   else None)
        chrom_col, pos_col = "chr_name", "chr_position"

    if chrom_col in columns and pos_col in columns:
        chrom = _chromosomes(_column(rows, columns[chrom_col]))
        pos = _positions(_column(rows, columns[pos_col]), rows, pos_col, source)
        without_chrom = chrom == ""
        pos[without_chrom] = -1
        chrom[pos < 0] = ""
    else:
        chrom = np.full(n, "", dtype="<U2")
        pos = np.full(n, -1, dtype=np.int64)

    rsid_values = _column(rows, columns["rsID"]) if "rsID" in columns else [""] * n
    if harmonized and "hm_rsID" in columns:
        rsid_values = [hm or own for hm, own in zip(_column(rows, columns["hm_rsID"]), rsid_values, strict=True)]
    rsid_values = _blank_missing(rsid_values, _MISSING_SPELLINGS)

    effect = _column(rows, columns["effect_allele"])
    if not all(effect):
        missing = np.asarray([not v for v in effect], dtype=np.bool_)
        raise InputError("effect_allele is empty", source=source, location=_first_line(missing, rows))
    other = _column(rows, columns["other_allele"]) if "other_allele" in columns else [""] * n
    if "hm_inferOtherAllele" in columns:
        inferred = _column(rows, columns["hm_inferOtherAllele"])
        other = [own if own else hm for own, hm in zip(other, inferred, strict=True)]
    other = _blank_missing(other, frozenset({"NA", "na", "."}))

    if not harmonized:
        located = (pos >= 0) | np.asarray([bool(v) for v in rsid_values], dtype=np.bool_)
        if not located.all():
            raise InputError("row has neither a position (chr_name, chr_position) nor an rsID",
                             source=source, location=_first_line(~located, rows))

    dominant = (_flags(_column(rows, columns["is_dominant"]), rows, "is_dominant", source)
                if "is_dominant" in columns else np.zeros(n, dtype=np.bool_))
    recessive = (_flags(_column(rows, columns["is_recessive"]), rows, "is_recessive", source)
                 if "is_recessive" in columns else np.zeros(n, dtype=np.bool_))
    both = dominant & recessive
    if both.any():
        raise InputError("is_dominant and is_recessive are both TRUE: the effect type cannot be both",
                         source=source, location=_first_line(both, rows))

    return ScoringFile(
        path=source, score_ids=score_ids, genome_build=build, harmonized=harmonized, metadata=metadata,
        chrom=chrom, pos=pos, rsid=_objects(rsid_values), effect_allele=_alleles(effect),
        other_allele=_alleles(other), weights=weights, is_dominant=dominant, is_recessive=recessive,
        line=np.asarray(rows.lines, dtype=np.int64),
    )


def _score_name(path: Path, metadata: dict[str, str]) -> str:
    for key in ("pgs_id", "pgs_name"):
        if metadata.get(key):
            return metadata[key]
    name = path.name
    for suffix in (".gz", ".txt", ".tsv", ".scorefile"):
        name = name.removesuffix(suffix)
    return name or "score"


def _catalog_weights(path: Path, rows: _Rows, columns: dict[str, int], metadata: dict[str, str],
                     meta_lines: dict[str, int]) -> tuple[npt.NDArray[np.float64], list[str]]:
    source = str(path)
    wide = [name for name in columns if name.startswith("effect_weight_")]
    if "effect_weight" in columns or wide:
        names = ["effect_weight"] if "effect_weight" in columns else wide
        if "effect_weight" in columns and wide:
            raise InputError(f"both effect_weight and {wide[0]} columns: say which one is the score",
                             source=source, location=f"line {rows.header_line}")
        matrix = np.column_stack([_floats(_column(rows, columns[name]), rows, name, source) for name in names])
        score_ids = [_score_name(path, metadata)] if names == ["effect_weight"] else \
            [name.removeprefix("effect_weight_") or name for name in names]
        if wide:
            metadata["tailormed_format"] = "pgs-catalog-wide"
        metadata["tailormed_weight_source"] = ", ".join(names)
        _check_weight_type(matrix, rows, columns, metadata, meta_lines, source)
        return matrix, score_ids
    for ratio in ("OR", "HR"):
        if ratio in columns:
            values = _floats(_column(rows, columns[ratio]), rows, ratio, source)
            if (values <= 0).any():
                bad = values <= 0
                raise InputError(f"{ratio} {values[bad][0]:g} is not a positive ratio: its logarithm is undefined",
                                 source=source, location=_first_line(bad, rows))
            metadata["tailormed_weight_source"] = f"ln({ratio})"
            metadata["tailormed_weight_note"] = (
                f"no effect_weight column: each weight is the natural logarithm of the {ratio} column, as the PGS "
                "Catalog does for author-reported ratios (pgsc_calc refuses such a file)")
            return np.log(values).reshape(-1, 1), [_score_name(path, metadata)]
    if any(name in columns for name in _DOSAGE_WEIGHTS):
        raise InputError("the score gives dosage_0/1/2_weight instead of effect_weight: non-additive scores are not "
                         "supported (pgsc_calc refuses them too)", source=source,
                         location=f"line {rows.header_line}")
    raise InputError("no effect_weight column (nor OR/HR to derive it from)", source=source,
                     location=f"line {rows.header_line}")


def _check_weight_type(matrix: npt.NDArray[np.float64], rows: _Rows, columns: dict[str, int],
                       metadata: dict[str, str], meta_lines: dict[str, int], source: str) -> None:
    """Refuse weights the header calls raw odds/hazard ratios when the values look like ratios."""
    weight_type = metadata.get("weight_type", "")
    if not weight_type or not _RATIO_WORDS.search(weight_type) or _LOG_WORDS.search(weight_type):
        return
    where = f"line {meta_lines['weight_type']}" if "weight_type" in meta_lines else None
    for ratio in ("OR", "HR"):
        if ratio in columns and matrix.shape[1] == 1:
            values = np.asarray(_column(rows, columns[ratio]), dtype=np.str_)
            given = ~np.isin(np.char.upper(values), list(_MISSING))
            try:
                numbers = values[given].astype(np.float64)
            except ValueError:
                continue
            if given.any() and (numbers > 0).all() and np.allclose(np.log(numbers), matrix[given, 0],
                                                                   rtol=1e-3, atol=1e-4):
                metadata["tailormed_weight_note"] = (f"weight_type={weight_type}, but effect_weight is ln({ratio}) "
                                                     f"of the {ratio} column: read as log-scale weights")
                return
    if (matrix <= 0).any():
        metadata["tailormed_weight_note"] = (f"weight_type={weight_type}, but some weights are zero or negative, "
                                             "which a ratio cannot be: read as log-scale weights")
        return
    raise InputError(f"weight_type={weight_type} and every effect_weight is positive: these look like odds/hazard "
                     "ratios, which cannot be summed into a score. Give ln(ratio) in effect_weight (and "
                     "#weight_type=log(OR)), or provide the ratios in an OR column instead of effect_weight",
                     source=source, location=where)


# --- plink2 --score multi-score layout ------------------------------------------------------------------------

def _read_plink(path: Path, rows: _Rows, columns: dict[str, int], metadata: dict[str, str]) -> ScoringFile:
    source = str(path)
    skip = {"ID", "effect_allele", "other_allele"}
    score_names = [name for name in rows.header if name not in skip]
    if not score_names:
        raise InputError("no score column after ID and effect_allele", source=source,
                         location=f"line {rows.header_line}")
    if "" in score_names:
        raise InputError("a score column has no name", source=source, location=f"line {rows.header_line}")
    weights = np.column_stack([_floats(_column(rows, columns[name]), rows, f"weight of {name}", source)
                               for name in score_names])
    ids = _column(rows, columns["ID"])
    effect = _upper(_column(rows, columns["effect_allele"]))
    given_other = (_upper(_column(rows, columns["other_allele"])) if "other_allele" in columns
                   else None)
    chroms: list[str] = []
    positions: list[int] = []
    others: list[str] = []
    for i, (variant_id, allele) in enumerate(zip(ids, effect, strict=True)):
        if not allele:
            raise InputError("effect_allele is empty", source=source, location=f"line {rows.lines[i]}")
        if not variant_id:
            raise InputError("ID is empty", source=source, location=f"line {rows.lines[i]}")
        found = _PLINK_ID.match(variant_id)
        other = given_other[i] if given_other is not None else ""
        if found and 0 < int(found.group(2)) < _MAX_POSITION:
            first, second = found.group(3).upper(), found.group(4).upper()
            if allele not in (first, second):
                raise InputError(f"effect allele {allele[:20]} is neither allele of ID {variant_id[:60]}",
                                 source=source, location=f"line {rows.lines[i]}")
            chroms.append(_chrom_name(found.group(1)))
            positions.append(int(found.group(2)))
            if not other:
                other = second if allele == first else first
        else:
            chroms.append("")
            positions.append(-1)
        others.append(other)
    build = parse_genome_build(metadata.get("genome_build", ""), source=source)
    metadata = dict(metadata)
    metadata["tailormed_format"] = "plink2-score"
    metadata["tailormed_weight_source"] = ", ".join(score_names)
    n = len(ids)
    return ScoringFile(
        path=source, score_ids=score_names, genome_build=build, harmonized=False, metadata=metadata,
        chrom=np.asarray(chroms, dtype=np.str_), pos=np.asarray(positions, dtype=np.int64), rsid=_objects(ids),
        effect_allele=_alleles(effect), other_allele=_alleles(others), weights=weights,
        is_dominant=np.zeros(n, dtype=np.bool_), is_recessive=np.zeros(n, dtype=np.bool_),
        line=np.asarray(rows.lines, dtype=np.int64),
    )
