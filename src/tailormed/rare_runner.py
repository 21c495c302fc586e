"""Orchestration of the rare-disease analysis: read inputs, rank (pure engine), write renderings.

Used by ``tailormed rare rank``, ``tailormed rare batch`` and ``tailormed analyze``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tailormed import __version__
from tailormed.errors import InputError
from tailormed.io.annotated_vcf import read_annotated_vcf
from tailormed.io.ped import Pedigree, read_ped
from tailormed.io.phenopacket import family_pedigree, hpo_ids_to_profile, read_phenotype_document
from tailormed.kb.hpo import HpoKnowledge, default_hpo_dir, load_hpo_knowledge
from tailormed.kb.importers.clingen_dosage import load_lof_table
from tailormed.kb.importers.clinvar import load_known_missense
from tailormed.model.common import Provenance
from tailormed.model.rare import PhenotypeProfile, RareResult
from tailormed.rare.acmg import GeneContext
from tailormed.rare.engine import GenotypeInput, gene_contexts, rank_case
from tailormed.rare.genotype import Family
from tailormed.rare.onset import onset_term_from_text
from tailormed.rare.preset import Preset, load_preset
from tailormed.report.output import atomic_output_dir
from tailormed.report.rare import phenopacket_interpretation, render_rare_html, write_ranking_tsv

RARE_FILES = ("ranking.tsv", "result.json", "report.html", "interpretation.json")


@dataclass
class RareContext:
    """What every case in a run shares: knowledge, gene contexts and the preset (loaded once)."""

    hpo: HpoKnowledge
    preset: Preset
    contexts: dict[str, GeneContext]
    sources: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, preset: Path | None = None, hpo_dir: Path | None = None) -> RareContext:
        folder = hpo_dir or default_hpo_dir()
        hpo = load_hpo_knowledge(folder)
        lof_table, lof_source = load_lof_table(folder)
        missense, variants, clinvar_source = load_known_missense(folder)
        sources = [f"LoF mechanism: {lof_source}"] if lof_source else []
        sources += [f"known pathogenic missense (PS1/PM5): {clinvar_source}"] if clinvar_source else []
        return cls(hpo=hpo, preset=load_preset(preset), contexts=gene_contexts(hpo, lof_table, missense, variants),
                   sources=sources)


def _provenance(context: RareContext, inputs: dict[str, str]) -> Provenance:
    knowledge = [context.hpo.version, *context.sources]
    return Provenance(software="TailorMed", software_version=__version__, knowledge=knowledge,
                      inputs=inputs, assumptions=[f"analysis preset: {context.preset.name}"],
                      created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def read_family(vcf_samples: Sequence[str], profile: PhenotypeProfile, *, ped: Path | None,
                sample: str | None, source: str, pedigree: Pedigree | None = None) -> Family:
    """Pick the proband column and, from a PED file (or a Family phenopacket's pedigree), the parents and
    who is affected."""
    if ped is None and pedigree is None:
        proband = sample or (profile.proband_sample if profile.proband_sample in vcf_samples else None)
        if proband is None:
            if len(vcf_samples) != 1:
                raise InputError(f"the VCF has {len(vcf_samples)} samples ({', '.join(vcf_samples[:5])}); name the "
                                 "proband with --sample or give a PED file", source=source)
            proband = vcf_samples[0]
        if proband not in vcf_samples:
            raise InputError(f"sample {proband!r} is not in the VCF (samples: {', '.join(vcf_samples[:10])})",
                             source=source)
        return Family(proband=proband, affected=frozenset({proband}), proband_sex=profile.sex)
    if ped is not None:
        pedigree = read_ped(ped)
    assert pedigree is not None
    pedigree.check_against_samples(vcf_samples, source)
    member = pedigree.proband(sample or profile.proband_sample)
    father, mother = pedigree.parents_of(member.individual_id)
    in_vcf = set(vcf_samples)
    affected = frozenset(m.individual_id for m in pedigree.members if m.affected)
    sex = member.sex if member.sex != "unknown" else profile.sex
    return Family(proband=member.individual_id, father=father if father in in_vcf else None,
                  mother=mother if mother in in_vcf else None, affected=affected | {member.individual_id},
                  proband_sex=sex)


def rank_one(context: RareContext, profile: PhenotypeProfile, *, source: str, vcf: Path | None = None,
             ped: Path | None = None, sample: str | None = None, pedigree: Pedigree | None = None) -> RareResult:
    """Rank one proband (phenotype only, or with a VCF and optional PED or Family pedigree)."""
    inputs = {"phenotype": source} | ({"vcf": str(vcf)} if vcf else {}) | ({"ped": str(ped)} if ped else {})
    genotypes = None
    if vcf is not None:
        annotated = read_annotated_vcf(vcf)
        family = read_family(annotated.samples, profile, ped=ped, sample=sample, source=str(vcf),
                             pedigree=pedigree)
        genotypes = GenotypeInput(variants=annotated.variants, family=family, source=str(vcf),
                                  unannotated=annotated.unannotated)
    result = rank_case(profile, context.hpo, context.preset, source=source, genotypes=genotypes,
                       contexts=context.contexts, provenance=_provenance(context, inputs))
    if vcf is not None:
        result.warnings.extend(annotated.warnings)
    return result


def write_rare_outputs(folder: Path, result: RareResult, phenopacket: dict[str, Any] | None) -> None:
    """Write the four renderings of one result into ``folder`` (a staging folder)."""
    with (folder / "ranking.tsv").open("w", encoding="utf-8") as handle:
        write_ranking_tsv(handle, result)
    (folder / "result.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
    (folder / "report.html").write_text(render_rare_html(result), encoding="utf-8")
    interpretation = phenopacket_interpretation(result, phenopacket)
    (folder / "interpretation.json").write_text(json.dumps(interpretation, indent=1), encoding="utf-8")


def _load_phenotype(phenopacket: Path | None, hpo_terms: Sequence[str]) -> tuple[PhenotypeProfile, str,
                                                                                   dict[str, Any] | None]:
    if phenopacket is not None and hpo_terms:
        raise InputError("give either --phenopacket or --hpo, not both")
    if phenopacket is not None:
        profile, document = read_phenotype_document(phenopacket)
        return profile, str(phenopacket), document
    if hpo_terms:
        return hpo_ids_to_profile(list(hpo_terms)), "--hpo", None
    raise InputError("no phenotype: give --phenopacket FILE (Phenopacket v2 JSON or an HPO id list) or --hpo IDS")


def run_rare_rank(out: Path, *, phenopacket: Path | None = None, hpo_terms: Sequence[str] = (),
                  vcf: Path | None = None, ped: Path | None = None, sample: str | None = None,
                  preset: Path | None = None, hpo_dir: Path | None = None, onset: str | None = None) -> RareResult:
    """``tailormed rare rank``: one proband into ``out`` (written atomically)."""
    if ped is not None and vcf is None:
        raise InputError("--ped needs --vcf (the family's genotypes)", source=str(ped))
    profile, source, document = _load_phenotype(phenopacket, hpo_terms)
    if onset is not None:
        profile = profile.model_copy(update={"onset": onset_term_from_text(onset, source="--onset")})
    context = RareContext.load(preset, hpo_dir)
    pedigree = family_pedigree(document, source=source) if document is not None and vcf is not None else None
    result = rank_one(context, profile, source=source, vcf=vcf, ped=ped, sample=sample, pedigree=pedigree)
    with atomic_output_dir(out) as staging:
        write_rare_outputs(staging, result, document)
    return result


@dataclass
class BatchSummary:
    """What a batch run wrote."""

    out: Path
    cases: int
    failed: list[tuple[str, str]]


def run_rare_batch(folder: Path, out: Path, *, preset: Path | None = None, hpo_dir: Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> BatchSummary:
    """Rank every phenopacket under ``folder`` (recursively) with the knowledge loaded once.

    Each case gets its own sub-folder; ``summary.tsv`` lists the top candidate of every case, and
    cases whose input is invalid are listed with the reason instead of stopping the batch.
    """
    if not folder.is_dir():
        raise InputError("not a folder", source=str(folder))
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise InputError("no phenopacket (*.json) files under this folder", source=str(folder))
    context = RareContext.load(preset, hpo_dir)
    failed: list[tuple[str, str]] = []
    with atomic_output_dir(out) as staging:
        lines = ["case\tfile\ttop_disease_id\ttop_disease_name\ttop_gene\tscore\tposttest_probability\n"]
        for done, path in enumerate(files, start=1):
            try:
                profile, source, document = _load_phenotype(path, ())
                result = rank_one(context, profile, source=source)
            except InputError as exc:
                failed.append((str(path), str(exc)))
                continue
            case_dir = staging / _unique_name(staging, path.stem)
            case_dir.mkdir()
            write_rare_outputs(case_dir, result, document)
            lines.append(_summary_line(case_dir.name, path, result))
            if progress:
                progress(done, len(files))
        (staging / "summary.tsv").write_text("".join(lines), encoding="utf-8")
        if failed:
            (staging / "failed.tsv").write_text("file\terror\n" + "".join(f"{f}\t{e}\n" for f, e in failed),
                                                encoding="utf-8")
    return BatchSummary(out=out, cases=len(files) - len(failed), failed=failed)


def _summary_line(case: str, path: Path, result: RareResult) -> str:
    top = result.diseases[0] if result.diseases else None
    if top is None:
        return f"{case}\t{path}\t\t\t\t\t\n"
    return "\t".join([case, str(path), top.disease_id, top.disease_name, top.gene or "", f"{top.score:.4f}",
                      f"{top.posttest_probability:.6g}"]) + "\n"


def _unique_name(parent: Path, stem: str) -> str:
    name, n = stem, 2
    while (parent / name).exists():
        name, n = f"{stem}-{n}", n + 1
    return name
