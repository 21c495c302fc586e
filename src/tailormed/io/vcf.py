"""Reading genotypes at pharmacogene defining positions from a VCF/BCF (cyvcf2).

The reader validates the file up front (readable, complete gzip, a header,
GT declared, the requested samples present, GRCh38) and then returns, per gene,
numpy arrays over samples x defining positions.  It reads only what it needs:
tabix/CSI region queries when the file is indexed, one streaming pass otherwise.

Allele codes at a defining position, per haplotype:
  ``0``  the reference base, ``k`` the k-th alt of the knowledge-base variant,
  ``MISSING`` (-1) no call, ``UNEXPECTED`` (-2) an allele the definition does not know,
  ``ABSENT`` (-3) no second haplotype (hemizygous).
"""

from __future__ import annotations

import bisect
import gzip
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from cyvcf2 import VCF

from tailormed.documents import check_file
from tailormed.errors import GenomeBuildError, InputError
from tailormed.model.genome import normalise_chrom, trim_alleles
from tailormed.model.genotypes import ABSENT, MISSING, UNEXPECTED, GeneGenotypes, PositionStatus
from tailormed.model.pack import GeneDefinition, VariantDefinition

# Contig lengths that tell the builds apart (GRCh37 vs GRCh38 primary assembly), by normalised name.
_GRCH38_LENGTHS = {
    "1": 248956422, "2": 242193529, "4": 190214555, "6": 170805979, "7": 159345973, "8": 145138636,
    "10": 133797422, "11": 135086622, "12": 133275309, "13": 114364328, "16": 90338345, "19": 58617616,
    "22": 50818468, "X": 156040895, "MT": 16569,
}
_GRCH37_LENGTHS = {
    "1": 249250621, "2": 243199373, "4": 191154276, "6": 171115067, "7": 159138663, "8": 146364022,
    "10": 135534747, "11": 135006516, "12": 133851895, "13": 115169878, "16": 90354753, "19": 59128983,
    "22": 51304566, "X": 155270560,
}
_GRCH37_WORDS = re.compile(r"GRCh37|hg19|b37|hs37d5|human_g1k_v37", re.IGNORECASE)



# cyvcf2 ships no type information: these protocols name the parts of its objects the reader uses.
class _Genotypes(Protocol):
    def array(self) -> npt.NDArray[np.int16]: ...


class _VcfRecord(Protocol):
    """A ``cyvcf2.Variant``."""

    CHROM: str
    POS: int
    REF: str
    ALT: list[str]
    FORMAT: list[str]
    FILTER: str | None
    genotype: _Genotypes

    def format(self, field: str) -> npt.NDArray[np.int32] | None: ...


class _HeaderRecord(Protocol):
    """A ``cyvcf2.HREC``."""

    type: str

    def info(self) -> dict[str, str]: ...


class _VcfReader(Protocol):
    """A ``cyvcf2.VCF``."""

    samples: list[str]
    seqnames: list[str]
    raw_header: str

    def __call__(self, region: str) -> Iterator[_VcfRecord]: ...

    def __iter__(self) -> Iterator[_VcfRecord]: ...

    def header_iter(self) -> Iterator[_HeaderRecord]: ...

    def close(self) -> None: ...



@contextmanager
def quiet_htslib() -> Iterator[None]:
    """Silence htslib's C-level warnings on stderr (we report problems ourselves, once, clearly)."""
    if os.environ.get("TAILORMED_HTSLIB_WARNINGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


COVERAGE_PAD = 5000
"""A file 'covers' a gene when it has records within this many bases of its defining positions. With
--missing-as-ref, reference is assumed only at defining positions that have records on both sides within
that window: a position beyond the end of the file's data (a region extract that stops short) stays missing."""

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def check_gzip_integrity(path: Path) -> None:
    """Fail clearly on a truncated or corrupt gzip/BGZF file (htslib would only print warnings).

    BGZF files end with a fixed empty block, so truncation is seen from the last 28 bytes;
    plain gzip files are decompressed once to find out.
    """
    with path.open("rb") as handle:
        head = handle.read(18)
        if head[:2] != b"\x1f\x8b":
            return
        is_bgzf = len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"
        if is_bgzf:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 28))
            if handle.read() != _BGZF_EOF:
                raise InputError("BGZF file is truncated (end-of-file marker missing)", source=str(path))
            return
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"compressed file is truncated or corrupt ({exc})", source=str(path)) from exc


def check_header_build(header_lines: Iterable[str], path: Path) -> None:
    """Refuse a header that shows GRCh37: a GRCh37 contig length or a GRCh37 assembly/reference name."""
    for line in header_lines:
        if line.startswith("##contig="):
            match_id = re.search(r"ID=([^,>]+)", line)
            match_len = re.search(r"length=(\d+)", line)
            if match_id and match_len:
                key, length = normalise_chrom(match_id.group(1)), int(match_len.group(1))
                if _GRCH37_LENGTHS.get(key) == length and _GRCH38_LENGTHS.get(key) != length:
                    raise GenomeBuildError(
                        f"contig {match_id.group(1)} has the GRCh37 length {length}; TailorMed needs GRCh38 "
                        "coordinates (lift the file over first)", source=str(path))
            if _GRCH37_WORDS.search(line):
                raise GenomeBuildError(f"header names a GRCh37 assembly ({line[:80]}); TailorMed needs GRCh38",
                                       source=str(path))
        elif line.startswith(("##reference=", "##assembly=")) and _GRCH37_WORDS.search(line):
            raise GenomeBuildError(f"header names a GRCh37 reference ({line[:80]}); TailorMed needs GRCh38",
                                   source=str(path))


CONTIG_NAME = re.compile(r"^[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*$")
"""A contig name as VCF 4.3 (section 1.4.7) allows it."""
STANDARD_CONTIGS = tuple(f"{prefix}{name}" for prefix in ("chr", "") for name in
                         [*map(str, range(1, 23)), "X", "Y", "M", "MT"])


def declare_contigs(reader: Any, names: Iterable[str]) -> None:
    """Declare to htslib every contig of ``names`` that the file's header does not declare.

    htslib adds an undeclared contig when a record first names it, and cyvcf2 (0.35) then returns that record
    even when the rest of its line failed to parse: reading its alleles or genotypes crashes the process
    (segmentation fault). With the contig declared, a malformed record raises an error as it should.
    """
    declared = set(re.findall(r"^##contig=<ID=([^,>]+)", reader.raw_header, flags=re.MULTILINE))
    for name in names:
        if name not in declared and CONTIG_NAME.match(name):
            reader.add_to_header(f"##contig=<ID={name}>")
            declared.add(name)


def check_sample_names(chrom_line: bytes, path: Path, line_number: int) -> None:
    """Refuse a ``#CHROM`` line whose sample names are not UTF-8 text, empty, or given twice (htslib
    would only say that the header cannot be parsed)."""
    where = f"line {line_number}"
    names = chrom_line.rstrip(b"\r\n").split(b"\t")[9:]
    first_column: dict[str, int] = {}
    for column, raw in enumerate(names, start=10):
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"the sample name in column {column} is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                             source=str(path), location=where) from None
        if not name.strip():
            raise InputError(f"the sample name in column {column} is empty (a tab too many?)", source=str(path),
                             location=where)
        if name in first_column:
            shown = name if len(name) <= 80 else name[:77] + "..."
            raise InputError(f"sample {shown!r} is named twice in the header (columns {first_column[name]} and "
                             f"{column}); sample names must be unique", source=str(path), location=where)
        first_column[name] = column


class VcfFile:
    """An opened, validated VCF; use as a context manager."""

    def __init__(self, path: Path | str, samples: Sequence[str] | None = None):
        self.path = check_file(Path(path))
        try:
            with self.path.open("rb"):
                pass
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror})", source=str(self.path)) from None
        check_gzip_integrity(self.path)
        self._check_header_text()
        try:
            with quiet_htslib():
                self._vcf: _VcfReader = VCF(str(self.path), gts012=False, lazy=True, threads=1)
        except (OSError, Exception) as exc:  # cyvcf2 raises plain Exception for unreadable headers
            raise InputError(f"not a readable VCF/BCF ({exc})", source=str(self.path)) from exc
        try:
            self.all_samples: list[str] = list(self._vcf.samples)
        except UnicodeDecodeError:  # a BCF (whose header we do not read ourselves) with a non-UTF-8 sample name
            self._vcf.close()
            raise InputError("a sample name in the header is not UTF-8 text", source=str(self.path)) from None
        if not self.all_samples:
            raise InputError("VCF has no sample columns", source=str(self.path))
        header_ids = {h.info()["ID"] for h in self._vcf.header_iter() if h.type == "FORMAT"}
        if "GT" not in header_ids:
            raise InputError("header declares no FORMAT/GT field: genotypes cannot be read", source=str(self.path))
        self.samples = self._select_samples(samples)
        column = {name: i for i, name in enumerate(self.all_samples)}
        self.sample_indices = np.array([column[s] for s in self.samples], dtype=np.int64)
        self._contigs = {normalise_chrom(c): c for c in self._vcf.seqnames} if self._has_index() else {}
        self._check_build_from_header()
        with quiet_htslib():
            declare_contigs(self._vcf, STANDARD_CONTIGS)  # pharmacogenes lie on standard chromosomes

    # -- validation ---------------------------------------------------------------------------
    def _check_header_text(self) -> None:
        """Read the header lines ourselves: htslib accepts some broken headers silently."""
        with self.path.open("rb") as probe:
            is_gzip = probe.read(2) == b"\x1f\x8b"
        opener = gzip.open if is_gzip else open
        saw_fileformat = saw_chrom = False
        self._header_lines: list[str] = []
        if self.path.suffix == ".bcf":
            return
        with opener(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.decode("utf-8", errors="replace")
                if number == 1:
                    saw_fileformat = line.startswith("##fileformat=VCF")
                    if line.startswith("\ufeff##fileformat=VCF"):
                        raise InputError("the file starts with a byte-order mark (BOM), which htslib cannot read; "
                                         "save it without one", source=str(self.path), location="line 1")
                    if not saw_fileformat:
                        raise InputError("first line is not '##fileformat=VCF...': not a VCF", source=str(self.path),
                                         location="line 1")
                if line.startswith("##"):
                    self._header_lines.append(line.rstrip("\r\n"))
                    continue
                if line.startswith("#CHROM"):
                    saw_chrom = True
                    columns = line.rstrip("\r\n").split("\t")
                    if len(columns) < 10 or columns[8] != "FORMAT":
                        raise InputError("header line has no FORMAT and sample columns", source=str(self.path),
                                         location=f"line {number}")
                    check_sample_names(raw, self.path, number)
                break
        if not saw_chrom:
            raise InputError("no '#CHROM' header line: file is truncated or not a VCF", source=str(self.path))

    def _check_build_from_header(self) -> None:
        # A BCF's header is binary: take its text from htslib instead of our own reading.
        lines = self._header_lines or self._vcf.raw_header.splitlines()
        check_header_build(lines, self.path)

    def _select_samples(self, wanted: Sequence[str] | None) -> list[str]:
        if not wanted:
            return list(self.all_samples)
        available = set(self.all_samples)
        missing = [s for s in wanted if s not in available]
        if missing:
            shown = ", ".join(self.all_samples[:5]) + (" ..." if len(self.all_samples) > 5 else "")
            raise InputError(f"sample(s) {', '.join(missing)} not in the VCF (it has: {shown})", source=str(self.path))
        return list(dict.fromkeys(wanted))

    def _index_hint(self) -> str:
        """What to suspect when an indexed file cannot be read: an index made for another file."""
        return ("; if the .tbi/.csi index beside it belongs to another or an older version of the file, index it "
                "again (tabix -p vcf)") if self._contigs else ""

    def _has_index(self) -> bool:
        return any(Path(str(self.path) + ext).is_file() for ext in (".tbi", ".csi")) or (
            self.path.suffix == ".bcf" and Path(str(self.path) + ".csi").is_file())

    # -- reading ------------------------------------------------------------------------------
    def close(self) -> None:
        self._vcf.close()

    def __enter__(self) -> VcfFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _windows(self, genes: Sequence[GeneDefinition]) -> dict[str, tuple[str, int, int]]:
        """Gene -> (chromosome key, start, end): the defining positions' span, padded."""
        out = {}
        for gene in genes:
            positions = [v.position for v in gene.variants]
            if positions:
                out[gene.gene] = (normalise_chrom(gene.chromosome), min(positions) - COVERAGE_PAD,
                                  max(positions) + COVERAGE_PAD)
        return out

    def _indexed_site_records(self, windows: dict[str, tuple[str, int, int]], builders: dict[str, _GeneBuilder],
                              by_site: dict[tuple[str, int], list[tuple[_GeneBuilder, int]]],
                              mark_span: bool = True) -> list[_VcfRecord]:
        """With an index: one query per cluster of defining positions; a one-record probe of each gene's window
        where no defining position has a record; with ``mark_span``, probes for the positions with records on
        both sides (see :func:`_mark_span`; each probe re-reads BGZF blocks, so the ones the defining positions'
        own records answer are not made)."""
        records: list[_VcfRecord] = []
        # Nearby defining positions are fetched with one query: each query re-parses its BGZF block.
        for chrom, start, end in _clusters(sorted(by_site), gap=2000):
            contig = self._contigs.get(chrom)
            if contig is None:
                continue
            records += [r for r in self._vcf(f"{contig}:{start}-{end}") if (chrom, r.POS) in by_site]
        with_record: dict[str, set[int]] = {}
        for record in records:
            for builder, _ in by_site[(normalise_chrom(record.CHROM), record.POS)]:
                with_record.setdefault(builder.gene.gene, set()).add(record.POS)
        for name, (chrom, start, end) in windows.items():
            contig = self._contigs.get(chrom)
            if contig is None:
                continue
            if name in with_record:  # a defining position's record lies in the window
                builders[name].records_in_window = 1
            else:
                probe = next(iter(self._vcf(f"{contig}:{max(1, start)}-{end}")), None)
                builders[name].records_in_window = int(probe is not None)
            if mark_span and builders[name].records_in_window:
                _mark_span(builders[name], start, end, partial(self._has_records, contig),
                           known=with_record.get(name, set()))
        return records

    def _has_records(self, contig: str, lo: int, hi: int) -> bool:
        """Whether the indexed file has any record in ``contig:lo-hi`` (a one-record probe)."""
        return next(iter(self._vcf(f"{contig}:{max(1, lo)}-{hi}")), None) is not None

    def read_genes(self, genes: Sequence[GeneDefinition], *,
                   missing_as_reference: bool = False) -> dict[str, GeneGenotypes]:
        """Genotypes of the selected samples at every defining position of ``genes``.

        ``GeneGenotypes.records_in_window`` counts the records seen around the gene, so a caller can
        tell "this file does not cover the gene" from "the gene has no variants here".
        """
        builders = {g.gene: _GeneBuilder(g, len(self.samples)) for g in genes if g.variants}
        windows = self._windows([b.gene for b in builders.values()])
        by_chrom: dict[str, list[tuple[str, int, int]]] = {}
        for name, (chrom, start, end) in windows.items():
            by_chrom.setdefault(chrom, []).append((name, start, end))
        by_site: dict[tuple[str, int], list[tuple[_GeneBuilder, int]]] = {}
        for builder in builders.values():
            for index, variant in enumerate(builder.variants):
                key = (normalise_chrom(builder.gene.chromosome), variant.position)
                by_site.setdefault(key, []).append((builder, index))
        seen_records = 0
        site_records: list[_VcfRecord] = []
        last = ("", 0)
        try:
            with quiet_htslib():
                if self._contigs:
                    site_records = self._indexed_site_records(windows, builders, by_site,
                                                              mark_span=missing_as_reference)
                else:
                    positions_seen: dict[str, list[int]] = {}
                    for record in self._vcf:
                        seen_records += 1
                        chrom, pos = normalise_chrom(record.CHROM), record.POS
                        if chrom in by_chrom:
                            positions_seen.setdefault(chrom, []).append(pos)
                        for name, start, end in by_chrom.get(chrom, ()):
                            if start <= pos <= end:
                                builders[name].records_in_window += 1
                        if (chrom, pos) in by_site:
                            site_records.append(record)
                        last = (record.CHROM, pos)
                    for name, (chrom, start, end) in windows.items():
                        seen_here = sorted(positions_seen.get(chrom, []))
                        _mark_span(builders[name], start, end, partial(_any_between, seen_here))
            for record in site_records:
                self._absorb(record, by_site[(normalise_chrom(record.CHROM), record.POS)])
        except InputError:
            raise
        except Exception as exc:  # htslib parse errors surface as generic exceptions
            where = f"after {last[0]}:{last[1]}" if last[0] else f"record {seen_records + 1}"
            problem = "a field is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise InputError(f"cannot parse VCF record ({problem}){self._index_hint()}", source=str(self.path),
                             location=where) from exc
        if not self._contigs and seen_records == 0:
            raise InputError("the VCF has a header but no records: nothing can be called (was the file filtered "
                             "to nothing, or cut after the header?)", source=str(self.path), location="end of header")
        if self._contigs and not site_records and not any(b.records_in_window for b in builders.values()):
            try:
                with quiet_htslib():
                    empty = next(iter(self._vcf), None) is None
            except Exception as exc:  # htslib parse errors surface as generic exceptions
                raise InputError(f"cannot parse VCF record ({exc}){self._index_hint()}", source=str(self.path),
                                 location="record 1") from exc
            if empty:
                raise InputError("the VCF has a header but no records: nothing can be called",
                                 source=str(self.path), location="end of header")
        return {name: b.finish(missing_as_reference) for name, b in builders.items()}

    def _absorb(self, record: _VcfRecord, targets: Iterable[tuple[_GeneBuilder, int]]) -> None:
        rec = record
        # Genotypes first: a record cut short (no REF, ALT or FORMAT) fails here with an exception, whereas
        # reading its REF crashes the process when its contig is not declared in the header (htslib via lazy
        # cyvcf2 0.35 leaves the alleles unset).
        try:
            gt = rec.genotype.array()[self.sample_indices]
        except Exception as exc:
            raise InputError("record has no readable GT (is the line cut short?)", source=str(self.path),
                             location=f"{rec.CHROM}:{rec.POS}") from exc
        ref = rec.REF.upper()  # bases are case-insensitive (VCF 4.3 section 1.6.1)
        alts = [a.upper() for a in rec.ALT]
        if gt.shape[1] > 1 and gt[:, :-1].max(initial=-1) > len(alts):
            row = int(np.argmax((gt[:, :-1] > len(alts)).any(axis=1)))
            raise InputError(f"sample {self.samples[row]!r} has genotype allele {int(gt[row, :-1].max())} but the "
                             f"record has {len(alts)} ALT allele(s)", source=str(self.path),
                             location=f"{rec.CHROM}:{rec.POS}")
        phase_set: npt.NDArray[np.int64] | None = None
        if rec.FORMAT and "PS" in rec.FORMAT:  # keep after .genotype: lazy cyvcf2 0.35 segfaults otherwise
            ps = rec.format("PS")
            if ps is not None:
                if ps.ndim != 2 or ps.dtype.kind not in "iu":
                    raise InputError("FORMAT/PS (phase set) must be declared Type=Integer, as the VCF specification "
                                     "says", source=str(self.path), location=f"{rec.CHROM}:{rec.POS}")
                phase_set = ps[self.sample_indices, 0].astype(np.int64)
        filt = rec.FILTER
        targets = list(targets)
        # Several definitions may share a site (an insertion and a deletion at one anchor base): an alt
        # that a sibling definition knows is "not this variant" (reference) for the others, not unexpected.
        sibling_known: set[tuple[str, str]] = set()
        if len(targets) > 1:
            for builder, index in targets:
                variant = builder.variants[index]
                sibling_known |= {trim_alleles(variant.ref, a) for a in variant.alt}
        for builder, index in targets:
            builder.absorb(index, ref, alts, gt, phase_set, filt, sibling_known)


def _clusters(sites: list[tuple[str, int]], gap: int) -> list[tuple[str, int, int]]:
    """Group sorted (chrom, pos) sites into intervals whose members are at most ``gap`` bases apart."""
    out: list[tuple[str, int, int]] = []
    for chrom, pos in sites:
        if out and out[-1][0] == chrom and pos - out[-1][2] <= gap:
            out[-1] = (chrom, out[-1][1], pos)
        else:
            out.append((chrom, pos, pos))
    return out


def _any_between(sorted_positions: list[int], lo: int, hi: int) -> bool:
    """Whether a sorted list holds a position in ``[lo, hi]``."""
    i = bisect.bisect_left(sorted_positions, lo)
    return i < len(sorted_positions) and sorted_positions[i] <= hi


def _mark_span(builder: _GeneBuilder, start: int, end: int, has_records: Callable[[int, int], bool],
               known: set[int] | frozenset[int] = frozenset()) -> None:
    """Flag the defining positions that have records on both sides within the gene window ``[start, end]``.

    "Has a record at or before p" holds for a suffix of the sorted positions and "at or after p" for a
    prefix, so two binary searches (a dozen probes) suffice, whatever ``has_records`` costs. ``known`` are
    positions known to have a record themselves: both hold there, so the searches need only the positions
    before the first and after the last of them.
    """
    order = sorted(range(len(builder.variants)), key=lambda i: builder.variants[i].position)
    positions = [builder.variants[i].position for i in order]
    known_at = [k for k, p in enumerate(positions) if p in known]
    lo, hi = 0, (known_at[0] if known_at else len(positions))
    while lo < hi:
        mid = (lo + hi) // 2
        if has_records(start, positions[mid]):
            hi = mid
        else:
            lo = mid + 1
    first_inside = lo
    lo, hi = (known_at[-1] + 1 if known_at else 0), len(positions)
    while lo < hi:
        mid = (lo + hi) // 2
        if has_records(positions[mid], end):
            lo = mid + 1
        else:
            hi = mid
    for k in range(first_inside, lo):
        builder.inside_span[order[k]] = True


class _GeneBuilder:
    """Accumulates one gene's arrays while records stream past."""

    def __init__(self, gene: GeneDefinition, n_samples: int):
        self.gene = gene
        self.variants = list(gene.variants)
        n_pos = len(self.variants)
        self.codes = np.full((n_samples, n_pos, 2), MISSING, dtype=np.int8)
        self.phased = np.zeros((n_samples, n_pos), dtype=bool)
        self.phase_set = np.zeros((n_samples, n_pos), dtype=np.int64)
        self.seen = np.zeros(n_pos, dtype=bool)
        self.records_in_window = 0
        self.inside_span = np.zeros(n_pos, dtype=bool)
        self.unexpected: dict[int, list[str]] = {}
        self.filtered: dict[int, str] = {}
        self.ref_mismatch: dict[int, str] = {}

    def absorb(self, index: int, ref: str, alts: list[str], gt: npt.NDArray[np.int16],
               phase_set: npt.NDArray[np.int64] | None, filt: str | None,
               sibling_known: set[tuple[str, str]] | None = None) -> None:
        variant = self.variants[index]
        allele_map = self._map_alleles(variant, ref, alts, index, sibling_known or set())
        if allele_map is None:
            return
        lookup = np.array(allele_map + [MISSING], dtype=np.int8)  # index -1 (missing) -> MISSING
        ploidy_cols = gt.shape[1] - 1
        first = gt[:, 0]
        second = gt[:, 1] if ploidy_cols >= 2 else np.full(gt.shape[0], -2, dtype=gt.dtype)
        code1 = np.where(first >= 0, lookup[np.clip(first, 0, len(allele_map) - 1)], MISSING)
        code2 = np.where(second >= 0, lookup[np.clip(second, 0, len(allele_map) - 1)],
                         np.where(second == -2, ABSENT, MISSING))
        code1 = code1.astype(np.int8)
        code2 = code2.astype(np.int8)
        if self.seen[index]:
            # A second record at the same site (split multi-allelic): a non-reference call wins.
            prev = self.codes[:, index, :]
            code1 = np.where(code1 > 0, np.where(prev[:, 0] > 0, UNEXPECTED, code1), prev[:, 0])
            code2 = np.where(code2 > 0, np.where(prev[:, 1] > 0, UNEXPECTED, code2), prev[:, 1])
        self.codes[:, index, 0] = code1
        self.codes[:, index, 1] = code2
        # A haploid call (chrM, male chrX) has no phase; cyvcf2's flag there is not reliable (it varied run to run).
        self.phased[:, index] = gt[:, -1].astype(bool) & (second != -2)
        if phase_set is not None:
            self.phase_set[:, index] = np.where(phase_set > 0, phase_set, 0)
        self.seen[index] = True
        if filt:
            self.filtered[index] = filt

    def _map_alleles(self, variant: VariantDefinition, ref: str, alts: list[str], index: int,
                     sibling_known: set[tuple[str, str]]) -> list[int] | None:
        """Map VCF allele indices to knowledge codes (0 ref, k alt k, UNEXPECTED otherwise)."""
        known = {trim_alleles(variant.ref, a): k for k, a in enumerate(variant.alt, start=1)}
        vcf_ref_core = ref[: len(variant.ref)]
        if not ref.startswith(variant.ref) and not variant.ref.startswith(ref):
            self.ref_mismatch[index] = ref
            return None
        del vcf_ref_core
        mapping = [0]
        for alt in alts:
            if alt in ("*", ".", "<NON_REF>", "<*>"):
                mapping.append(UNEXPECTED if alt == "*" else 0)
                continue
            pair = trim_alleles(ref, alt)
            code = known.get(pair, 0 if pair in sibling_known else UNEXPECTED)
            if code == UNEXPECTED:
                self.unexpected.setdefault(index, []).append(f"{ref}>{alt}")
            mapping.append(code)
        return mapping

    def finish(self, missing_as_reference: bool) -> GeneGenotypes:
        status: list[PositionStatus] = []
        for index, seen in enumerate(self.seen):
            if seen:
                status.append("called")
            elif missing_as_reference and self.inside_span[index]:
                self.codes[:, index, :] = 0
                status.append("assumed_reference")
            else:
                status.append("missing")
        return GeneGenotypes(
            gene=self.gene.gene, variants=self.variants, codes=self.codes, phased=self.phased,
            phase_set=self.phase_set, position_status=status, unexpected_alleles=self.unexpected,
            filtered=self.filtered, ref_mismatch=self.ref_mismatch, records_in_window=self.records_in_window,
        )


def check_reference_agreement(path: Path, genotypes: Iterable[GeneGenotypes]) -> None:
    """Refuse a file whose REF bases disagree with GRCh38 at most defining positions it lists.

    A GRCh37 file read with GRCh38 coordinates lands on unrelated bases, so most of the
    records that happen to sit at our positions show a different reference base.
    """
    compared = mismatched = 0
    examples = []
    for gene in genotypes:
        for index, status in enumerate(gene.position_status):
            if status == "called" or index in gene.ref_mismatch:
                compared += 1
            if index in gene.ref_mismatch:
                mismatched += 1
                v = gene.variants[index]
                examples.append(f"{gene.gene} {v.id} pos {v.position}: VCF REF {gene.ref_mismatch[index]}, "
                                f"GRCh38 {v.ref}")
    if compared >= 3 and mismatched / compared >= 0.5:
        raise GenomeBuildError(
            f"REF disagrees with GRCh38 at {mismatched} of {compared} defining positions "
            f"(e.g. {examples[0]}): the file looks like GRCh37 or another build", source=str(path))
