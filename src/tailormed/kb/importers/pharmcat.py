"""Import PharmCAT-format allele definitions into a TailorMed pack.

Reads ``definition/alleles/<GENE>_translation.json`` (named alleles over GRCh38
positions, VCF-form bases) and, where present, ``phenotype/<GENE>.json`` (allele
function, activity values and CPIC diplotype -> phenotype tables). The result is
a pack whose manifest names ``base: pgx-core``, so the imported alleles replace
the curated ones while drug guidance, phenotype vocabulary and matching mode
still come from the base pack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tailormed.errors import InputError, KnowledgeError, first_validation_problem
from tailormed.kb.pack import load_knowledge_base, user_packs_dir
from tailormed.model.pack import GeneDefinition
from tailormed.output import atomic_output_dir

_IUPAC_LETTER = re.compile(r"^[RYSWKMBDHVN]$")


@dataclass
class ImportReport:
    """What an import wrote and what it could not use."""

    path: Path
    genes: int = 0
    alleles: int = 0
    skipped: list[str] = field(default_factory=list)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), location=f"line {exc.lineno}") from exc


def _variant_id(variant: dict[str, Any]) -> str:
    return str(variant.get("rsid") or f"g.{variant['position']}{variant['ref']}>{'/'.join(variant['alts'])}")


_VALUE_LABELS = {0.0: "No function", 0.25: "Decreased function", 0.5: "Decreased function", 1.0: "Normal function"}


def _function_label(raw: str | None) -> str | None:
    """PharmCAT writes activity-score genes' 'function' as the value (e.g. '0.5'): turn it into CPIC's label."""
    if raw is None:
        return None
    try:
        return _VALUE_LABELS.get(float(raw), "Uncertain function")
    except ValueError:
        return raw


def _phenotype_rules(functions: dict[str, str], table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Function-pair rules implied by a CPIC diplotype table (first phenotype wins on conflict)."""
    rules: dict[tuple[str, ...], str] = {}
    for row in table:
        key = row.get("diplotypekey") or {}
        names = [n for n, count in key.items() for _ in range(int(count))]
        if not names or any(n not in functions for n in names) or not row.get("generesult"):
            continue
        pair = tuple(sorted(functions[n] for n in names))
        rules.setdefault(pair, str(row["generesult"]))
    return [{"functions": list(k), "phenotype": v} for k, v in sorted(rules.items())]


def convert_gene(translation: dict[str, Any], phenotype: dict[str, Any] | None,
                 base: GeneDefinition | None, source_id: str) -> tuple[dict[str, Any], list[str]]:
    """One PharmCAT translation (+ phenotype map) -> our gene-file dict, and notes on what was skipped."""
    gene = translation["gene"]
    skipped: list[str] = []
    variants = translation.get("variants") or []
    ids = [_variant_id(v) for v in variants]
    functions: dict[str, str] = {name: _function_label(label) or "Unknown function"
                                 for name, label in ((phenotype or {}).get("haplotypes") or {}).items()}
    activity: dict[str, str] = dict((phenotype or {}).get("activityValues") or {})
    base_alleles = {a.name: a for a in base.alleles} if base else {}
    alleles = []
    reference = None
    for named in translation.get("namedAlleles") or []:
        if named.get("structuralVariant"):
            skipped.append(f"{gene} {named['name']}: structural variant")
            continue
        defining = {}
        for vid, base_call in zip(ids, named.get("alleles") or [], strict=False):
            if base_call is None:
                continue
            if len(base_call) > 1 and _IUPAC_LETTER.match(base_call[0] or ""):
                skipped.append(f"{gene} {named['name']}: unsupported allele code {base_call}")
                break
            defining[vid] = base_call
        else:
            name = named["name"]
            if named.get("reference"):
                reference = name
                defining = {}
            function = _function_label(functions.get(name)) or (
                base_alleles[name].function if name in base_alleles else None)
            value: str | float | None = activity.get(name)
            if value is None and name in base_alleles:
                value = base_alleles[name].activity_value
            allele: dict[str, Any] = {"name": name, "defining": defining,
                                      "function": function or "Unknown function", "sources": [source_id]}
            try:
                allele["activity_value"] = float(value) if value not in (None, "", "n/a") else None
            except ValueError:
                allele["activity_value"] = None
            alleles.append(allele)
    method = base.phenotype_method if base else ("activity_score" if activity else "function")
    if method == "activity_score" and any(a["activity_value"] is None for a in alleles):
        for a in alleles:
            if a["activity_value"] is None:
                skipped.append(f"{gene} {a['name']}: no activity value, treated as Indeterminate")
        method = "activity_score"
    rules = [r.model_dump() for r in base.phenotype_rules] if base else []
    known_pairs = {tuple(sorted(r["functions"])) for r in rules}
    for rule in _phenotype_rules(functions, (phenotype or {}).get("diplotypes") or []):
        if tuple(rule["functions"]) not in known_pairs:
            rules.append(rule)
    data: dict[str, Any] = {
        "gene": gene,
        "chromosome": translation["chromosome"],
        "inheritance": base.inheritance if base else ("mitochondrial" if translation["chromosome"] == "chrM"
                                                      else "x_linked" if translation["chromosome"] == "chrX"
                                                      else "autosomal"),
        "phenotype_method": method,
        "matching": base.matching if base else "haplotype",
        "reference_allele": reference,
        "description": f"Imported from PharmCAT definitions version {translation.get('version')}",
        "sources": [source_id],
        "variants": [{"id": vid, "rsid": v.get("rsid"), "position": int(v["position"]), "ref": v["ref"],
                      "alt": list(v["alts"]), "label": v.get("chromosomeHgvsName")}
                     for vid, v in zip(ids, variants, strict=True)],
        "alleles": alleles,
        "phenotype_rules": rules,
        "activity_phenotypes": [r.model_dump() for r in base.activity_phenotypes] if base else [],
    }
    if method == "activity_score" and not data["activity_phenotypes"]:
        raise KnowledgeError(f"{gene}: activity-score gene and the base pack has no score ranges for it")
    return data, skipped


def import_pharmcat(directory: Path, *, dest: Path | None = None, name: str = "pharmcat-alleles",
                    base: str = "pgx-core") -> ImportReport:
    """Import every ``*_translation.json`` under ``directory`` into a pack folder and validate it."""
    directory = Path(directory)
    allele_dir = directory / "definition" / "alleles" if (directory / "definition").is_dir() else directory
    translations = sorted(allele_dir.glob("*_translation.json"))
    if not translations:
        raise InputError("no *_translation.json files found (expected definition/alleles/ inside)",
                         source=str(directory))
    base_kb = load_knowledge_base(base) if base else None
    phenotype_dir = directory / "phenotype"
    target = Path(dest) if dest else user_packs_dir() / name
    report = ImportReport(path=target)
    source_id = "pharmcat-definitions"
    version = None
    genes: dict[str, dict[str, Any]] = {}
    for path in translations:
        translation = _load_json(path)
        if translation.get("genomeBuild", "GRCh38").split(".")[0] != "GRCh38":
            report.skipped.append(f"{path.name}: genome build {translation.get('genomeBuild')}")
            continue
        gene = translation["gene"]
        version = version or translation.get("version")
        pheno_path = phenotype_dir / f"{gene.replace('-', '_')}.json"
        phenotype = _load_json(pheno_path) if pheno_path.is_file() else None
        try:
            base_gene = base_kb.genes.get(gene) if base_kb else None
            data, skipped = convert_gene(translation, phenotype, base_gene, source_id)
        except KnowledgeError as exc:
            report.skipped.append(exc.message)
            continue
        report.skipped += skipped
        try:
            GeneDefinition.model_validate(data)
        except ValidationError as exc:
            report.skipped.append(f"{gene}: {first_validation_problem(exc).msg}")
            continue
        genes[gene] = data
        report.alleles += len(data["alleles"])
    commit_file = directory / "SOURCE"
    provenance = commit_file.read_text(encoding="utf-8").strip() if commit_file.is_file() else "PharmCAT data folder"
    manifest = {
        "name": name, "version": str(version or "unknown"), "date": date.today().isoformat(), "kind": "pgx",
        "base": base or None,
        "description": "Allele definitions and functions imported by `tailormed kb import pharmcat` "
                       f"from {provenance}.",
        "licence": "MPL-2.0 (PharmCAT data; content from CPIC and PharmVar)",
        "sources": [{"id": source_id, "citation": f"PharmCAT allele definitions and phenotype maps ({provenance}). "
                     "Sangkuhl K, et al. Clin Pharmacol Ther. 2020;107(1):203-210.",
                     "url": "https://pharmcat.clinpgx.org/", "version": str(version or ""),
                     "licence": "MPL-2.0"}],
    }
    with atomic_output_dir(target) as staging:
        (staging / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        (staging / "genes").mkdir()
        for gene, data in genes.items():
            (staging / "genes" / f"{gene}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        load_knowledge_base(str(staging))  # validate the whole pack over its base before it lands
        if target.is_dir() and (target / "genes").is_dir():
            for stale in (target / "genes").glob("*.yaml"):
                stale.unlink()
    report.genes = len(genes)
    return report
