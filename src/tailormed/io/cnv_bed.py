"""CNV calls as a BED file, for the rare-disease ranking (``tailormed rare rank --cnv``).

Tab-separated, 0-based half-open, GRCh38; ``#`` lines and a ``track``/``browser`` line are skipped. Columns:

1. chromosome (``chr1``/``1``, ``chrX``, ...), 2. start, 3. end;
4. type: ``DEL`` (copy-number loss) or ``DUP`` (gain);
5. the genes the call overlaps, comma-separated HGNC symbols as a CNV annotator writes them (AnnotSV,
   ClassifyCNV); ``GENE`` means the whole gene lies inside the call, ``GENE:partial`` that a breakpoint falls in
   it; ``.`` for none. The genes must come with the calls (the engine's gene table is not used to find them).
6. (optional) copies of the event in the proband: ``1`` (heterozygous, the default) or ``2`` (homozygous).

Each row becomes one symbolic ``<DEL>``/``<DUP>`` variant carried by the proband, annotated the way VEP annotates a
structural variant (``transcript_ablation``/``transcript_amplification`` for a whole gene, ``feature_truncation``/
``feature_elongation`` for a partial one: which part of the gene, coding or UTR, the row does not say), so the
engine treats VCF and BED calls alike (``tailormed.rare.cnv``). Like a VCF record, the variant's ``pos`` is the base
before the event (the BED start, 0-based, is that base's 1-based position) and its ``end`` the event's last base (the
BED end): the classifier reads which exons of a partially deleted gene the call removes from these and the gene
table. A malformed row (an end not after its start included) is an error naming the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from tailormed.documents import check_file
from tailormed.errors import InputError
from tailormed.io.maf import open_text
from tailormed.model.genome import ucsc_chrom
from tailormed.model.onco import LONGEST_GRCH38_CHROMOSOME
from tailormed.model.rare import SampleGenotype, TranscriptConsequence, Variant

_COORDINATE = re.compile(r"^[0-9]{1,10}$")
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _annotation(symbol: str, kind: str, whole: bool) -> TranscriptConsequence:
    if whole:
        terms = ["transcript_ablation"] if kind == "DEL" else ["transcript_amplification"]
    else:
        terms = ["feature_truncation"] if kind == "DEL" else ["feature_elongation"]
    return TranscriptConsequence(gene=symbol, consequences=terms, impact="HIGH" if whole else "MODIFIER",
                                 canonical=True)


def read_cnv_bed(path: Path | str, sample: str) -> list[Variant]:
    """The CNV calls of ``path`` as variants carried by ``sample``."""
    path = check_file(Path(path), "CNV BED file")
    variants: list[Variant] = []
    try:
        with open_text(path) as handle:
            for number, raw in enumerate(handle, 1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                variants.append(_row(line.split("\t"), sample, source=str(path), number=number))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", source=str(path)) from None
    if not variants:
        raise InputError("no CNV calls in this BED file", source=str(path))
    return variants


def _row(fields: list[str], sample: str, *, source: str, number: int) -> Variant:
    where = f"line {number}"
    if len(fields) < 5:
        raise InputError(f"expected at least 5 tab-separated columns (chrom, start, end, DEL/DUP, genes), found "
                         f"{len(fields)}", source=source, location=where)
    chrom, start, end, kind, genes = (f.strip() for f in fields[:5])
    if not _COORDINATE.match(start) or not _COORDINATE.match(end):
        raise InputError(f"start/end {start!r}/{end!r} are not whole numbers", source=source, location=where)
    begin, finish = int(start), int(end)
    if begin >= finish or finish > LONGEST_GRCH38_CHROMOSOME:
        raise InputError(f"interval {begin}-{finish} is empty, reversed or beyond GRCh38", source=source,
                         location=where)
    kind = kind.upper()
    if kind not in ("DEL", "DUP"):
        raise InputError(f"type {kind!r} is not DEL or DUP", source=source, location=where)
    copies = 1
    if len(fields) > 5 and fields[5].strip():
        if fields[5].strip() not in ("1", "2"):
            raise InputError(f"copies {fields[5].strip()!r} is not 1 or 2", source=source, location=where)
        copies = int(fields[5])
    annotations = []
    for item in ([] if genes in ("", ".") else genes.split(",")):
        symbol, _, extent = item.strip().partition(":")
        if not _SYMBOL.match(symbol) or extent not in ("", "partial", "whole"):
            raise InputError(f"gene {item.strip()!r} is not SYMBOL, SYMBOL:partial or SYMBOL:whole", source=source,
                             location=where)
        annotations.append(_annotation(symbol, kind, extent != "partial"))
    return Variant(chrom=ucsc_chrom(chrom), pos=begin, ref="N", alt=f"<{kind}>", source=f"{source}:{number}",
                   end=finish, annotated=True, annotations=annotations,
                   genotypes={sample: SampleGenotype(alt_count=copies)})
