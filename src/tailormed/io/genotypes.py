"""Target genotypes for polygenic scoring: VCF/BCF, PLINK 1 (.bed/.bim/.fam) and PLINK 2 (.pgen/.pvar/.psam).

:func:`open_target` validates the files up front and returns a :class:`TargetReader`:

* ``reader.variants`` is the variant table (:class:`~tailormed.model.prs.TargetVariants`), one row per
  biallelic record or per ALT of a multi-allelic one (``multiallelic=True``);
* ``reader.dosages(rows)`` streams ALT dosages for the requested rows as float64 ``(len(rows), n_samples)``
  (0, 1, 2, or a fractional dosage from a .pgen that stores dosages; NaN for a missing genotype);
* ``reader.ref_dosages(rows)`` gives REF-allele counts (differs from ``2 - dosage`` only on multi-allelic rows);
* ``reader.dosages_raw(rows)`` is the scorer's fast read: ALT dosages with :data:`MISSING_DOSAGE` (-9) at missing
  calls, in a buffer the reader reuses; ``reader.reader_for_thread()`` opens a second reader over the same files
  (sharing the variant table) so that two threads can decode different rows at once (PLINK formats only);
* ``reader.sex`` (1 male, 2 female, 0 unknown) and ``reader.founders`` come from the .fam/.psam, which plink2
  uses for chrX/chrY handling and for the allele frequencies of mean imputation.

Allele conventions follow plink2 exactly, so scores agree with ``plink2 --score`` on the same files:

* a PLINK 1 .bim lists A1 then A2; plink2 reads A1 as ALT and A2 as REF (it does not know the reference), and
  the .bed's genotype codes count A1 copies;
* a VCF haploid call (``1`` on a male chrX) is stored by plink2 as a homozygous diploid call, so it reads here
  as dosage 2 (ALT) or 0 (REF); a genotype with any missing allele (``./1``) is missing. Only GT is read:
  plink2 ignores FORMAT/DS unless told ``dosage=DS``, and so do we;
* PLINK chromosome codes 23/24/25/26 are X/Y/XY/MT; names are normalised without a ``chr`` prefix.

The sample id is the IID (the VCF sample name); when IIDs repeat across families the id is ``FID_IID``.
A founder is a sample whose father and mother are both ``0`` (plink2 counts a sample whose parent is named
but absent from the file as a non-founder too; checked against plink2 v2.00a3.5).
"""

from __future__ import annotations

import copy
import gzip
import math
import os
import re
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from cyvcf2 import VCF

from tailormed.documents import check_file
from tailormed.errors import GenomeBuildError, InputError
from tailormed.io.vcf import check_gzip_integrity, check_header_build, quiet_htslib
from tailormed.model.genome import normalise_chrom
from tailormed.model.prs import GenomeBuild, MissingCalls, TargetVariants

TargetFormat = Literal["vcf", "bed", "pgen"]

"""Dosages with 0 at missing calls, and the row and sample index of every missing call."""
MISSING_DOSAGE = -9.0
"""What :meth:`TargetReader.dosages_raw` holds at a missing call (pgenlib's own code; any real dosage is >= 0)."""

_PLINK_CHROM_CODES = {"23": "X", "24": "Y", "25": "XY", "26": "MT"}
_GRCH38_WORDS = re.compile(r"GRCh38|hg38", re.IGNORECASE)
_BED_MAGIC = b"\x6c\x1b\x01"
_MAX_PLINK_POSITION = 2**31 - 2  # plink2 stores positions as 32-bit integers
_VCF_SUFFIXES = (".vcf.gz", ".vcf.bgz", ".vcf", ".bcf")


# --------------------------------------------------------------------------------------------- helpers
def chrom_name(raw: str) -> str:
    """A target chromosome name as the PRS types use it: :func:`~tailormed.model.genome.normalise_chrom`, and PLINK's
    numeric codes 23..26 as X, Y, XY, MT.

    >>> chrom_name("chrx"), chrom_name("23"), chrom_name("chrM"), chrom_name("26")
    ('X', 'X', 'MT', 'MT')
    """
    name = normalise_chrom(raw)
    return _PLINK_CHROM_CODES.get(name, name)


def header_genome_build(header_lines: Iterable[str], path: Path) -> GenomeBuild | None:
    """The build a VCF/.pvar header shows: GRCh37 by :func:`tailormed.io.vcf.check_header_build`'s tables and
    assembly names, GRCh38 when an assembly/reference/contig line names it, else None."""
    lines = list(header_lines)
    try:
        check_header_build(lines, path)
    except GenomeBuildError:
        return "GRCh37"
    for line in lines:
        if line.startswith(("##reference=", "##assembly=", "##contig=")) and _GRCH38_WORDS.search(line):
            return "GRCh38"
    return None


class _VariantArrays(NamedTuple):
    """The variant table of a target as arrays, one row per ALT allele, with its record and allele index."""

    chrom: npt.NDArray[np.str_]
    pos: npt.NDArray[np.int64]
    ids: npt.NDArray[np.object_]
    ref: npt.NDArray[np.object_]
    alt: npt.NDArray[np.object_]
    multi: npt.NDArray[np.bool_]
    record: npt.NDArray[np.int64]
    allele: npt.NDArray[np.int32]

    @property
    def n_records(self) -> int:
        return int(self.record[-1]) + 1 if len(self.record) else 0

    def finish(self, path: Path, fmt: TargetFormat, samples: list[str],
               build: GenomeBuild | None) -> tuple[TargetVariants, npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        variants = TargetVariants(path=str(path), format=fmt, samples=samples, chrom=self.chrom, pos=self.pos,
                                  variant_id=self.ids, ref=self.ref, alt=self.alt, multiallelic=self.multi,
                                  genome_build=build)
        return variants, self.record, self.allele


class _VariantTable:
    """Column lists filled while reading a variant file line by line, turned into :class:`_VariantArrays`."""

    def __init__(self) -> None:
        self.chrom: list[str] = []
        self.pos: list[int] = []
        self.ids: list[str] = []
        self.ref: list[str] = []
        self.alt: list[str] = []
        self.multi: list[bool] = []
        self.record: list[int] = []
        self.allele: list[int] = []

    def add_record(self, record: int, chrom: str, pos: int, vid: str, ref: str, alts: Sequence[str]) -> None:
        multi = len(alts) > 1
        for k, alt in enumerate(alts, start=1):
            self.chrom.append(chrom)
            self.pos.append(pos)
            self.ids.append(vid)
            self.ref.append(ref)
            self.alt.append(alt)
            self.multi.append(multi)
            self.record.append(record)
            self.allele.append(k)

    def arrays(self) -> _VariantArrays:
        return _VariantArrays(
            chrom=np.array(self.chrom, dtype=np.str_), pos=np.array(self.pos, dtype=np.int64),
            ids=np.array(self.ids, dtype=object), ref=np.array(self.ref, dtype=object),
            alt=np.array(self.alt, dtype=object), multi=np.array(self.multi, dtype=np.bool_),
            record=np.array(self.record, dtype=np.int64), allele=np.array(self.allele, dtype=np.int32))


def _bulk_arrays(chrom: list[str], pos: list[str], ids: list[str], ref: list[str], alt: list[str], *,
                 split_alt: bool) -> _VariantArrays | None:
    """Arrays of biallelic records from whole columns, or None when a row needs the line reader (a multi-allelic
    ALT list, a position that is not a non-negative integer): that reader then says exactly which line is wrong."""
    if split_alt and "," in "\t".join(alt):
        return None
    try:
        positions = np.array(list(map(int, pos)), dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    if (positions < 0).any() or (positions > _MAX_PLINK_POSITION).any():
        return None
    names = {raw: chrom_name(raw) for raw in set(chrom)}
    n = len(positions)
    return _VariantArrays(chrom=np.array([names[c] for c in chrom], dtype=np.str_), pos=positions,
                          ids=np.array(ids, dtype=object), ref=np.array(ref, dtype=object),
                          alt=np.array(alt, dtype=object), multi=np.zeros(n, dtype=np.bool_),
                          record=np.arange(n, dtype=np.int64), allele=np.ones(n, dtype=np.int32))


_BULK_BLOCK_BYTES = 4 << 20  # text split per block, so that the transient strings stay small


def _bulk_table(raw: bytes, n_columns: int, wanted: Sequence[int], *,
                split_alt: bool) -> _VariantArrays | None:
    """Tab-separated variant lines split in bulk, block by block: ``wanted`` gives the CHROM, POS, ID, REF and ALT
    columns. None when anything needs the line reader (see :func:`_tab_columns` and :func:`_bulk_arrays`)."""
    if not raw or b"\r" in raw or n_columns < 2:
        return None
    if not raw.endswith(b"\n"):
        raw += b"\n"
    blocks: list[_VariantArrays] = []
    start = 0
    while start < len(raw):
        stop = raw.find(b"\n", min(start + _BULK_BLOCK_BYTES, len(raw) - 1)) + 1
        columns = _tab_columns(raw[start:stop], n_columns, wanted)
        if columns is None:
            return None
        block = _bulk_arrays(*columns, split_alt=split_alt)
        if block is None:
            return None
        blocks.append(block)
        start = stop
    if len(blocks) == 1:
        return blocks[0]
    n = sum(len(block.pos) for block in blocks)
    def joined(name: str) -> Any:
        return np.concatenate([getattr(block, name) for block in blocks])

    return _VariantArrays(chrom=joined("chrom"), pos=joined("pos"), ids=joined("ids"), ref=joined("ref"),
                          alt=joined("alt"), multi=joined("multi"), record=np.arange(n, dtype=np.int64),
                          allele=np.ones(n, dtype=np.int32))


def _tab_columns(raw: bytes, n_columns: int, wanted: Sequence[int]) -> list[list[str]] | None:
    """The ``wanted`` columns of newline-terminated, tab-separated lines; None unless every line has exactly
    ``n_columns`` fields (and no line is blank), so that the line reader handles anything unusual."""
    buffer = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    starts = np.concatenate([[0], ends[:-1] + 1])
    if (ends == starts).any():
        return None
    tabs = np.flatnonzero(buffer == ord("\t"))
    if len(tabs) != len(ends) * (n_columns - 1):
        return None
    if ((np.searchsorted(tabs, ends) - np.searchsorted(tabs, starts)) != n_columns - 1).any():
        return None
    tokens = raw.decode("utf-8", errors="replace").replace("\n", "\t").split("\t")
    tokens.pop()  # the empty string after the last newline
    return [tokens[k::n_columns] for k in wanted]


@contextmanager
def htslib_log() -> Iterator[Callable[[], str | None]]:
    """Keep htslib's messages (written to file descriptor 2) off the terminal, in a temporary file; yields a
    function that returns the first error line (``[E::...``) logged since its previous call, or None.

    htslib reports some broken records only there: on a contig the header does not declare, it returns a record
    whose POS or FORMAT field it failed to parse, and reading that record's REF or genotypes crashes the process.
    """
    sys.stderr.flush()
    with tempfile.TemporaryFile() as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        seen = 0

        def new_error() -> str | None:
            nonlocal seen
            size = os.fstat(log.fileno()).st_size
            if size == seen:
                return None
            log.seek(seen)
            text = log.read(size - seen).decode("utf-8", errors="replace")
            seen = size
            return next((line for line in text.splitlines() if line.startswith("[E::")), None)

        try:
            yield new_error
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def check_parsed_record(record: Any, path: Path, number: int, htslib_error: str | None = None) -> None:
    """Refuse a record htslib could not parse but handed over anyway (see :func:`htslib_log`), before anything
    but its CHROM is read: one for which htslib logged an error, or one without alleles (no ALT and a REF printed
    as ``.``; a real record always has a REF)."""
    where = {"source": str(path), "location": f"record {number}"}
    if htslib_error is not None:
        detail = htslib_error.split("] ", 1)[-1][:160]
        raise InputError(f"htslib could not parse this record ({detail})", **where)
    if not record.ALT and str(record).split("\t", 4)[3:4] == ["."]:
        raise InputError("htslib could not parse this record (is POS a whole number?)", **where)


# --------------------------------------------------------------------------------------------- readers
class TargetReader(ABC):
    """An opened, validated target genotype file set; use as a context manager."""

    path: Path
    format: TargetFormat
    samples: list[str]
    sex: npt.NDArray[np.int8]  # 1 male, 2 female, 0 unknown (per sample)
    founders: npt.NDArray[np.bool_]
    has_sex: bool  # the files gave a sex for at least one sample
    _variants: TargetVariants
    _record: npt.NDArray[np.int64]  # row -> record (variant) index in the genotype file
    _allele: npt.NDArray[np.int32]  # row -> ALT index (1-based) within its record

    @property
    def variants(self) -> TargetVariants:
        return self._variants

    @property
    def n_samples(self) -> int:
        return len(self.samples)

    def dosages(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """ALT dosages of the given variant rows: float64 ``(len(rows), n_samples)``, NaN where missing."""
        values, missing_rows, missing_cols = self._read(self._check_rows(rows), ref=False)
        values = values.copy()  # the reader may reuse its buffer on the next call
        values[missing_rows, missing_cols] = np.nan
        return values

    def ref_dosages(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """REF-allele dosages of the given rows (``2 - dosage`` except on multi-allelic records)."""
        values, missing_rows, missing_cols = self._read(self._check_rows(rows), ref=True)
        values = values.copy()
        values[missing_rows, missing_cols] = np.nan
        return values

    def dosages_filled(self, rows: npt.ArrayLike, *, ref: bool = False) -> MissingCalls:
        """ALT (or REF) dosages with 0 at missing calls, and the (row, sample) coordinates of the missing calls.

        The scorer's fast path: missing calls are usually rare, so they are listed rather than masked. The
        returned array may be a reused buffer (one for ALT, one for REF), valid until the next call.
        """
        return self._read(self._check_rows(rows), ref=ref)

    def dosages_raw(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """ALT dosages of the given rows with :data:`MISSING_DOSAGE` at missing calls, in a reused buffer.

        The scorer's fastest read (no copy, no listing of the missing calls); the buffer is the one
        :meth:`dosages_filled` returns for ALT and stays valid until the next call of either.
        """
        values, missing_rows, missing_cols = self._read(self._check_rows(rows), ref=False)
        values[missing_rows, missing_cols] = MISSING_DOSAGE
        return values

    def reader_for_thread(self) -> TargetReader | None:
        """A second reader over the same files (sharing the variant and sample tables) for decoding other rows in
        another thread, or None when the format is read sequentially (VCF). Close it after use."""
        return None

    def _check_rows(self, rows: npt.ArrayLike) -> npt.NDArray[np.int64]:
        index = np.asarray(rows, dtype=np.int64).reshape(-1)
        if index.size and (index.min() < 0 or index.max() >= self._variants.n_variants):
            raise IndexError(f"variant rows must be in 0..{self._variants.n_variants - 1}")
        return index

    def _scratch(self, n_rows: int, ref: bool) -> npt.NDArray[np.float64]:
        """A reused output buffer: a fresh 20 MB array per chunk costs more in page faults than decoding it."""
        buffers: dict[bool, npt.NDArray[np.float64]] = self.__dict__.setdefault("_buffers", {})
        buffer = buffers.get(ref)
        if buffer is None or buffer.shape[0] < n_rows:
            buffer = buffers[ref] = np.empty((max(n_rows, 1), len(self.samples)), dtype=np.float64)
        return buffer[:n_rows]

    @abstractmethod
    def _read(self, rows: npt.NDArray[np.int64], ref: bool) -> MissingCalls: ...

    def close(self) -> None:  # noqa: B027 - readers without resources need nothing
        pass

    def __enter__(self) -> TargetReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class VcfTarget(TargetReader):
    """A VCF/BCF read with cyvcf2. Dosage requests are served by one forward pass over the records."""

    def __init__(self, path: Path):
        self.path = path
        self.format = "vcf"
        check_file(path, "VCF")
        check_gzip_integrity(path)
        self._vcf = self._open()
        try:
            self._read_header_and_variants(path)
        except UnicodeDecodeError:  # cyvcf2 decodes sample names, CHROM, REF and ALT as UTF-8
            self._vcf.close()
            raise InputError("not UTF-8 text: a sample name, chromosome or allele holds bytes that are not UTF-8",
                             source=str(path)) from None
        self._cursor: Iterator[Any] | None = None
        self._cursor_next = 0  # index of the record the cursor yields next

    def _read_header_and_variants(self, path: Path) -> None:
        self.samples = list(self._vcf.samples)
        if not self.samples:
            raise InputError("VCF has no sample columns", source=str(path))
        header_ids = {h.info().get("ID") for h in self._vcf.header_iter() if h.type == "FORMAT"}
        if "GT" not in header_ids:
            raise InputError("header declares no FORMAT/GT field: genotypes cannot be read", source=str(path))
        n = len(self.samples)
        self.sex = np.zeros(n, dtype=np.int8)
        self.founders = np.ones(n, dtype=np.bool_)
        self.has_sex = False
        build = header_genome_build(self._vcf.raw_header.splitlines(), path)
        table = _VariantTable()
        with htslib_log() as htslib_error:  # every record is checked here, so dosage reads never meet a bad one
            for number, record in enumerate(self._records(self._vcf, quiet=False)):
                check_parsed_record(record, path, number + 1, htslib_error())
                alts = list(record.ALT)
                table.add_record(number, chrom_name(record.CHROM), int(record.POS), record.ID or ".", record.REF,
                                 alts or ["."])
        if not table.record:
            raise InputError("the VCF has a header but no variant records", source=str(path))
        self._variants, self._record, self._allele = table.arrays().finish(path, "vcf", self.samples, build)
        self._vcf.close()

    def _open(self) -> Any:
        try:
            with quiet_htslib():
                return VCF(str(self.path), gts012=False, lazy=True, threads=1)
        except Exception as exc:  # cyvcf2 raises plain Exception for unreadable headers
            raise InputError(f"not a readable VCF/BCF ({exc})", source=str(self.path)) from exc

    def _records(self, vcf: Any, *, quiet: bool = True) -> Iterator[Any]:
        number = 0
        try:
            with quiet_htslib() if quiet else nullcontext():
                for record in vcf:
                    yield record
                    number += 1
        except Exception as exc:
            raise InputError(f"unreadable record after record {number} ({exc})", source=str(self.path),
                             location=f"record {number + 1}") from exc

    def _seek(self, record: int) -> Any:
        if self._cursor is None or record < self._cursor_next:
            if self._cursor is not None:
                self._vcf.close()
            self._vcf = self._open()
            self._cursor = self._records(self._vcf)
            self._cursor_next = 0
        while True:
            try:
                current = next(self._cursor)
            except StopIteration:
                raise InputError("the file changed while it was read: fewer records than before",
                                 source=str(self.path), location=f"record {record + 1}") from None
            self._cursor_next += 1
            if self._cursor_next - 1 == record:
                return current

    def _read(self, rows: npt.NDArray[np.int64], ref: bool) -> MissingCalls:
        out = self._scratch(len(rows), ref)
        order = np.argsort(self._record[rows], kind="stable")
        cached_record = -1
        alleles: npt.NDArray[np.int16] = np.empty((0, 0), dtype=np.int16)
        for position in order:
            row = rows[position]
            record = int(self._record[row])
            if record != cached_record:
                alleles = self._seek(record).genotype.array()[:, :-1]
                cached_record = record
            out[position] = _allele_dosage(alleles, 0 if ref else int(self._allele[row]))
        return _fill_missing(out, np.isnan(out))

    def close(self) -> None:
        if self._cursor is not None:
            self._vcf.close()
            self._cursor = None


def _fill_missing(values: npt.NDArray[np.float64], missing: npt.NDArray[np.bool_]) -> MissingCalls:
    """Zero the missing calls and list their coordinates (flatnonzero is the fastest scan numpy offers)."""
    flat = np.flatnonzero(missing)
    values.reshape(-1)[flat] = 0.0
    missing_rows, missing_cols = np.divmod(flat, max(values.shape[1], 1))
    return values, missing_rows, missing_cols


def _allele_dosage(alleles: npt.NDArray[np.int16], allele: int) -> npt.NDArray[np.float64]:
    """Copies of ``allele`` per sample from a cyvcf2 allele array (-1 missing, -2 absent haplotype).

    A haploid call counts twice (plink2 stores it as homozygous); any missing allele makes the call missing.
    """
    present = alleles != -2
    copies: npt.NDArray[np.float64] = ((alleles == allele) & present).sum(axis=1).astype(np.float64)
    ploidy = present.sum(axis=1)
    copies[ploidy == 1] *= 2.0
    copies[(alleles == -1).any(axis=1) | (ploidy == 0)] = np.nan
    return copies


class _PgenlibTarget(TargetReader):
    """Shared part of the .bed and .pgen readers: genotypes decoded by pgenlib's PgenReader."""

    _reader: Any
    _genotype_path: Path
    _pgenlib_options: dict[str, Any]

    def _read(self, rows: npt.NDArray[np.int64], ref: bool) -> MissingCalls:
        out = self._decode(rows, ref)
        return _fill_missing(out, out < 0.0)  # pgenlib writes -9 for a missing call

    def dosages_raw(self, rows: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return self._decode(self._check_rows(rows), ref=False)

    def _decode(self, rows: npt.NDArray[np.int64], ref: bool) -> npt.NDArray[np.float64]:
        """pgenlib's dosages (-9 at missing calls) into the reused buffer; one range read for consecutive
        records of one allele index (the scorer's usual request), else list reads per allele index."""
        out = self._scratch(len(rows), ref)
        if not len(rows):
            return out
        allele_index = np.zeros(len(rows), dtype=np.int32) if ref else self._allele[rows]
        records = self._record[rows]
        first, last = int(records[0]), int(records[-1])
        try:
            if (last - first == len(rows) - 1 and allele_index[0] == allele_index[-1]
                    and (len(rows) < 3 or bool((np.diff(records) == 1).all()))
                    and bool((allele_index == allele_index[0]).all())):
                self._reader.read_dosages_range(first, last + 1, out, allele_idx=int(allele_index[0]))
                return out
            for allele in np.unique(allele_index):
                pick = np.flatnonzero(allele_index == allele)
                buffer = out if len(pick) == len(rows) else np.empty((len(pick), len(self.samples)))
                self._reader.read_dosages_list(np.ascontiguousarray(records[pick], dtype=np.uint32), buffer,
                                               allele_idx=int(allele))
                if buffer is not out:
                    out[pick] = buffer
        except Exception as exc:  # pgenlib raises RuntimeError on corrupt data
            raise InputError(f"cannot decode genotypes ({exc})", source=str(self.path)) from exc
        return out

    def reader_for_thread(self) -> TargetReader:
        twin = copy.copy(self)  # shares the variant/sample tables (read-only), not the decoder or its buffers
        twin.__dict__.pop("_buffers", None)
        twin._open_pgenlib(self._genotype_path, **self._pgenlib_options)
        return twin

    def _open_pgenlib(self, genotype_path: Path, **kwargs: Any) -> None:
        import pgenlib  # type: ignore[import-untyped, unused-ignore]  # local import: only PLINK inputs need it

        self._genotype_path, self._pgenlib_options = genotype_path, kwargs
        try:
            self._reader = pgenlib.PgenReader(bytes(str(genotype_path), "utf-8"), **kwargs)
        except Exception as exc:
            raise InputError(f"not a readable PLINK genotype file ({exc})", source=str(genotype_path)) from exc

    def close(self) -> None:
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.close()
            self._reader = None


class BedTarget(_PgenlibTarget):
    """PLINK 1 binary fileset: .bed genotypes, .bim variants (A1 = ALT, A2 = REF), .fam samples."""

    def __init__(self, bed: Path):
        self.path = bed
        self.format = "bed"
        prefix = bed.with_suffix("")
        bim, fam = prefix.with_suffix(".bim"), prefix.with_suffix(".fam")
        for needed in (bed, bim, fam):
            if not needed.is_file():
                raise InputError(f"missing PLINK 1 file {needed.name} (a .bed needs its .bim and .fam)",
                                 source=str(needed))
        self.samples, self.sex, self.founders, self.has_sex = _read_fam(fam)
        table = _read_bim(bim)
        self._variants, self._record, self._allele = table.finish(bed, "bed", self.samples, None)
        n_variants = table.n_records
        _check_bed(bed, len(self.samples), n_variants)
        self._open_pgenlib(bed, raw_sample_ct=len(self.samples), variant_ct=n_variants)


class PgenTarget(_PgenlibTarget):
    """PLINK 2 binary fileset: .pgen genotypes, .pvar (or .pvar.zst) variants, .psam samples."""

    def __init__(self, pgen: Path):
        self.path = pgen
        self.format = "pgen"
        prefix = pgen.with_suffix("")
        psam = prefix.with_suffix(".psam")
        pvar = prefix.with_suffix(".pvar")
        if not pvar.is_file() and Path(str(pvar) + ".zst").is_file():
            pvar = Path(str(pvar) + ".zst")
        for needed in (pgen, pvar, psam):
            if not needed.is_file():
                raise InputError(f"missing PLINK 2 file {needed.name} (a .pgen needs its .pvar and .psam)",
                                 source=str(needed))
        self.samples, self.sex, self.founders, self.has_sex = _read_psam(psam)
        table, build = _read_pvar_zst(pvar) if pvar.suffix == ".zst" else _read_pvar(pvar)
        self._variants, self._record, self._allele = table.finish(pgen, "pgen", self.samples, build)
        n_records = table.n_records
        self._open_pgenlib(pgen, allele_idx_offsets=_allele_offsets(table))
        raw_samples, raw_variants = self._reader.get_raw_sample_ct(), self._reader.get_variant_ct()
        if raw_samples != len(self.samples):
            self.close()
            raise InputError(f"{pgen.name} holds {raw_samples} samples but {psam.name} lists {len(self.samples)}",
                             source=str(pgen))
        if raw_variants != n_records:
            self.close()
            raise InputError(f"{pgen.name} holds {raw_variants} variants but {pvar.name} lists {n_records}",
                             source=str(pgen))


def _allele_offsets(table: _VariantArrays) -> npt.NDArray[np.uintp] | None:
    if not table.multi.any():
        return None
    counts = np.bincount(table.record) + 1  # ALTs per record + REF
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.uintp)


# --------------------------------------------------------------------------------------------- PLINK text files
def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except OSError as exc:
        raise InputError(f"cannot read ({exc})", source=str(path)) from exc


def _position(value: str, path: Path, number: int) -> int:
    try:
        pos = int(value)
    except ValueError:
        raise InputError(f"position {value!r} is not an integer", source=str(path), location=f"line {number}") from None
    if pos < 0:
        raise InputError(f"position {pos} is negative", source=str(path), location=f"line {number}")
    if pos > _MAX_PLINK_POSITION:
        raise InputError(f"position {value[:30]} is beyond {_MAX_PLINK_POSITION}, the largest PLINK stores",
                         source=str(path), location=f"line {number}")
    return pos


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc})", source=str(path)) from exc


def _read_bim(path: Path) -> _VariantArrays:
    raw = _read_bytes(path)
    # bulk split of a plain tab-separated ASCII .bim; the line reader splits on any whitespace and reports errors
    if raw.isascii() and re.search(rb"[ \x0b\x0c\x1c-\x1f]", raw) is None:
        arrays = _bulk_table(raw, 6, (0, 3, 1, 5, 4), split_alt=False)  # chrom id cM pos A1(ALT) A2(REF)
        if arrays is not None:
            return arrays
    table = _VariantTable()
    record = 0
    for number, line in _read_lines(path):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 6:
            raise InputError(f"expected 6 columns (chrom, id, cM, position, A1, A2), found {len(fields)}",
                             source=str(path), location=f"line {number}")
        chrom, vid, _cm, pos, a1, a2 = fields
        table.add_record(record, chrom_name(chrom), _position(pos, path, number), vid, a2, [a1])
        record += 1
    if not record:
        raise InputError("no variants", source=str(path))
    return table.arrays()


def _check_bed(path: Path, n_samples: int, n_variants: int) -> None:
    """Magic number and exact size: 3 bytes + ceil(samples / 4) bytes per variant (variant-major)."""
    with path.open("rb") as handle:
        magic = handle.read(3)
    if magic[:2] != _BED_MAGIC[:2]:
        raise InputError("not a PLINK 1 .bed file (bad magic number)", source=str(path), location="byte 0")
    if magic[2:3] != _BED_MAGIC[2:3]:
        raise InputError("sample-major .bed files are not supported (rewrite with plink --make-bed)",
                         source=str(path), location="byte 2")
    expected = 3 + math.ceil(n_samples / 4) * n_variants
    size = path.stat().st_size
    if size != expected:
        state = "truncated" if size < expected else "longer than expected"
        raise InputError(f"file is {state}: {size} bytes, but {n_variants} variants x {n_samples} samples need "
                         f"{expected} (does the .bed belong to this .bim/.fam?)", source=str(path))


def _read_pvar_bulk(path: Path) -> tuple[_VariantArrays, GenomeBuild | None] | None:
    """A plain biallelic .pvar split in bulk (header lines first, then tab-separated records), or None."""
    raw = _read_bytes(path)
    offset = 0
    meta: list[str] = []
    header = ["CHROM", "ID", "CM", "POS", "ALT", "REF"]  # no header line: the .bim column order
    while raw.startswith(b"#", offset):
        end = raw.find(b"\n", offset)
        if end < 0:
            return None
        line = raw[offset:end].decode("utf-8", errors="replace")
        offset = end + 1
        if line.startswith("##"):
            meta.append(line)
            continue
        header = line[1:].split("\t")
        break
    columns = {name: k for k, name in enumerate(header)}
    if "\r" in "".join(header) or any(c not in columns for c in ("CHROM", "POS", "ID", "REF", "ALT")):
        return None
    arrays = _bulk_table(raw[offset:], len(header), [columns[c] for c in ("CHROM", "POS", "ID", "REF", "ALT")],
                         split_alt=True)
    if arrays is None:
        return None
    return arrays, header_genome_build(meta, path) if meta else None


def _read_pvar(path: Path) -> tuple[_VariantArrays, GenomeBuild | None]:
    bulk = _read_pvar_bulk(path)
    if bulk is not None:
        return bulk
    table = _VariantTable()
    header: list[str] | None = None
    meta: list[str] = []
    columns: dict[str, int] = {}
    record = 0
    for number, line in _read_lines(path):
        if not line.strip():
            continue
        if line.startswith("##"):
            meta.append(line)
            continue
        if header is None and line.startswith("#"):
            header = line[1:].split("\t")
            columns = {name: k for k, name in enumerate(header)}
            missing = [c for c in ("CHROM", "POS", "ID", "REF", "ALT") if c not in columns]
            if missing:
                raise InputError(f"header line lacks column(s) {', '.join(missing)}", source=str(path),
                                 location=f"line {number}")
            continue
        if header is None:  # no header line: the .bim column order
            header = ["CHROM", "ID", "CM", "POS", "ALT", "REF"]
            columns = {name: k for k, name in enumerate(header)}
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(fields)}", source=str(path),
                             location=f"line {number}")
        pos = _position(fields[columns["POS"]], path, number)
        alts = fields[columns["ALT"]].split(",")
        table.add_record(record, chrom_name(fields[columns["CHROM"]]), pos, fields[columns["ID"]],
                         fields[columns["REF"]], alts)
        record += 1
    if not record:
        raise InputError("no variants", source=str(path))
    return table.arrays(), header_genome_build(meta, path) if meta else None


def _read_pvar_zst(path: Path) -> tuple[_VariantArrays, GenomeBuild | None]:
    """A Zstandard-compressed .pvar, read with pgenlib's PvarReader (no header lines, so no build)."""
    import pgenlib  # type: ignore[import-untyped, unused-ignore]

    try:
        reader = pgenlib.PvarReader(bytes(str(path), "utf-8"))
    except Exception as exc:
        raise InputError(f"not a readable .pvar.zst ({exc})", source=str(path)) from exc
    table = _VariantTable()
    try:
        for k in range(reader.get_variant_ct()):
            n_alleles = reader.get_allele_ct(k)
            alts = [reader.get_allele_code(k, a).decode() for a in range(1, n_alleles)]
            table.add_record(k, chrom_name(reader.get_variant_chrom(k).decode()), int(reader.get_variant_pos(k)),
                             reader.get_variant_id(k).decode(), reader.get_allele_code(k, 0).decode(), alts)
    finally:
        reader.close()
    if not table.record:
        raise InputError("no variants", source=str(path))
    return table.arrays(), None


_SampleInfo = tuple[list[str], npt.NDArray[np.int8], npt.NDArray[np.bool_], bool]


def _sex_code(value: str) -> int:
    return {"1": 1, "m": 1, "M": 1, "2": 2, "f": 2, "F": 2}.get(value, 0)


def _finish_samples(fids: list[str], iids: list[str], sexes: list[int], founders: list[bool],
                    path: Path) -> _SampleInfo:
    if not iids:
        raise InputError("no samples", source=str(path))
    ids = iids
    if len(set(iids)) != len(iids):
        ids = [f"{f}_{i}" for f, i in zip(fids, iids, strict=True)]
        if len(set(ids)) != len(ids):
            raise InputError("sample ids (FID, IID) repeat", source=str(path))
    sex = np.array(sexes, dtype=np.int8)
    return ids, sex, np.array(founders, dtype=np.bool_), bool((sex != 0).any())


def _read_fam(path: Path) -> _SampleInfo:
    fids: list[str] = []
    iids: list[str] = []
    sexes: list[int] = []
    founders: list[bool] = []
    for number, line in _read_lines(path):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) < 6:
            raise InputError(f"expected 6 columns (family, individual, father, mother, sex, phenotype), found "
                             f"{len(fields)}", source=str(path), location=f"line {number}")
        fids.append(fields[0])
        iids.append(fields[1])
        founders.append(fields[2] == "0" and fields[3] == "0")
        sexes.append(_sex_code(fields[4]))
    return _finish_samples(fids, iids, sexes, founders, path)


def _read_psam(path: Path) -> _SampleInfo:
    fids: list[str] = []
    iids: list[str] = []
    sexes: list[int] = []
    founders: list[bool] = []
    columns: dict[str, int] | None = None
    width = 0
    for number, line in _read_lines(path):
        if not line.strip() or line.startswith("##"):
            continue
        if columns is None:
            if line.startswith(("#FID", "#IID")):
                names = line[1:].split()
                columns = {name.upper(): k for k, name in enumerate(names)}
                width = len(names)
                continue
            columns = {"FID": 0, "IID": 1, "PAT": 2, "MAT": 3, "SEX": 4}  # no header line: .fam order
            width = 6
        fields = line.split()
        if len(fields) != width:
            raise InputError(f"expected {width} columns, found {len(fields)}", source=str(path),
                             location=f"line {number}")
        iids.append(fields[columns["IID"]])
        fids.append(fields[columns["FID"]] if "FID" in columns else "0")
        founders.append(all(fields[columns[c]] == "0" for c in ("PAT", "MAT") if c in columns))
        sexes.append(_sex_code(fields[columns["SEX"]]) if "SEX" in columns else 0)
    if columns is None:
        raise InputError("no samples", source=str(path))
    return _finish_samples(fids, iids, sexes, founders, path)


# --------------------------------------------------------------------------------------------- entry point
def _resolve(path: Path) -> tuple[TargetFormat, Path]:
    name = path.name
    if name.endswith(_VCF_SUFFIXES):
        return "vcf", path
    if path.suffix in (".pgen", ".pvar", ".psam") or name.endswith(".pvar.zst"):
        return "pgen", Path(re.sub(r"\.(pgen|pvar|psam|pvar\.zst)$", "", str(path)) + ".pgen")
    if path.suffix in (".bed", ".bim", ".fam"):
        return "bed", path.with_suffix(".bed")
    for fmt, ext in (("pgen", ".pgen"), ("bed", ".bed")):
        candidate = Path(str(path) + ext)
        if candidate.is_file():
            return fmt, candidate  # type: ignore[return-value]
    for ext in _VCF_SUFFIXES:
        candidate = Path(str(path) + ext)
        if candidate.is_file():
            return "vcf", candidate
    if path.is_dir():
        raise InputError("is a folder, not genotypes: give a VCF/BCF file or the prefix of a PLINK fileset",
                         source=str(path))
    raise InputError("no target genotype file: looked for .pgen, .bed and .vcf[.gz]/.bcf with this prefix",
                     source=str(path))


def open_target(path_or_prefix: str | Path) -> TargetReader:
    """Open a target genotype file (VCF/BCF, .bed fileset, .pgen fileset) or a PLINK prefix.

    A prefix without extension picks ``prefix.pgen``, then ``prefix.bed``, then ``prefix.vcf.gz``/``.vcf``/``.bcf``.
    Raises :class:`~tailormed.errors.InputError` naming the file (and line) for missing companions, sample or
    variant count mismatches, a truncated .bed and malformed .bim/.pvar/.fam/.psam lines.
    """
    fmt, path = _resolve(Path(path_or_prefix))
    if fmt == "vcf":
        return VcfTarget(path)
    if fmt == "bed":
        return BedTarget(path)
    return PgenTarget(path)
