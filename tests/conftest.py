"""Shared fixtures: the built-in knowledge base and a writer for small, exact VCFs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tailormed.kb.pack import KnowledgeBase, load_knowledge_base

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

GRCH38_CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chr4": 190214555, "chr6": 170805979, "chr7": 159345973,
                  "chr8": 145138636, "chr10": 133797422, "chr12": 133275309, "chr13": 114364328, "chr16": 90338345,
                  "chr19": 58617616, "chr22": 50818468, "chrX": 156040895, "chrM": 16569}


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base("pgx-core")


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not present: {path} (../shared is only available in CI and dev machines)")
    return path


VcfWriter = Callable[..., Path]


@pytest.fixture
def write_vcf(tmp_path: Path) -> VcfWriter:
    """Write a VCF: records are (chrom, pos, ref, alt, gt-per-sample...) tuples; extra FORMAT via fmt."""

    def write(records: list[tuple], samples: tuple[str, ...] = ("S1",), name: str = "test.vcf",
              header_extra: str = "", fmt: str = "GT", contigs: dict[str, int] | None = None) -> Path:
        lines = ["##fileformat=VCFv4.2"]
        for chrom, length in (contigs or GRCH38_CONTIGS).items():
            lines.append(f"##contig=<ID={chrom},length={length}>")
        lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
        if "PS" in fmt:
            lines.append('##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">')
        if header_extra:
            lines.append(header_extra)
        lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
        for record in records:
            chrom, pos, ref, alt, *gts = record
            lines.append("\t".join([chrom, str(pos), ".", ref, alt, ".", "PASS", ".", fmt, *gts]))
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


def reference_records(kb: KnowledgeBase, gene: str, overrides: dict[str, tuple[str, str]] | None = None,
                      n_samples: int = 1) -> list[tuple]:
    """Every defining position of ``gene`` as hom-ref records; ``overrides`` maps variant id -> (alt, GT)."""
    definition = kb.genes[gene]
    overrides = overrides or {}
    records = []
    seen = set()
    for variant in definition.variants:
        if variant.position in seen:
            continue
        seen.add(variant.position)
        alt, gt = overrides.get(variant.id, (variant.alt[0], "0/0"))
        records.append((definition.chromosome, variant.position, variant.ref, alt, *([gt] * n_samples)))
    return records


@pytest.fixture(scope="session")
def hpo_knowledge():  # type: ignore[no-untyped-def]
    """The compiled HPO knowledge (``make hpo-data`` builds it), or skip with the reason."""
    from tailormed.errors import KnowledgeError
    from tailormed.kb.hpo import default_hpo_dir, load_hpo_knowledge

    try:
        return load_hpo_knowledge(default_hpo_dir())
    except KnowledgeError as exc:
        pytest.skip(f"compiled HPO knowledge not available ({exc}); `make test` builds it with `make hpo-data`")
