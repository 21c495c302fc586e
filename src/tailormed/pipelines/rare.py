"""Orchestration of the rare-disease analysis: read inputs, rank (pure engine), write renderings.

Used by ``tailormed rare rank``, ``tailormed rare batch`` and ``tailormed analyze``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.io.annotated_vcf import read_annotated_vcf
from tailormed.io.cnv_bed import read_cnv_bed
from tailormed.io.ped import Pedigree, read_ped
from tailormed.io.phenopacket import family_pedigree, hpo_ids_to_profile, read_phenotype_document
from tailormed.kb.gene_evidence import (
    builtin_lof_table,
    builtin_triplosensitive_table,
    load_dosage_genes,
    load_known_missense,
    load_lof_table,
)
from tailormed.kb.genes import GeneTable, load_gene_table
from tailormed.kb.hpo import HpoKnowledge, default_hpo_dir, load_hpo_knowledge
from tailormed.kb.rare_preset import Preset, load_preset
from tailormed.model.common import Provenance
from tailormed.model.onset import onset_term_from_text
from tailormed.model.rare import PhenotypeProfile, RareResult
from tailormed.output import atomic_output_dir, case_file_names
from tailormed.pipelines.progress import ProgressCallback
from tailormed.pipelines.provenance import make_provenance
from tailormed.rare.acmg import GeneContext
from tailormed.rare.cnv import with_gene_structures
from tailormed.rare.engine import GenotypeInput, gene_contexts, rank_case
from tailormed.rare.genotype import Family
from tailormed.report.rare import write_rare_outputs

RARE_FILES = ("ranking.tsv", "result.json", "report.html", "interpretation.json")
RESERVED_BATCH_FILES = ("summary.tsv", "failed.tsv")


@dataclass
class RareContext:
    """What every case in a run shares: knowledge, gene contexts and the preset (loaded once)."""

    hpo: HpoKnowledge
    preset: Preset
    contexts: dict[str, GeneContext]
    sources: list[str] = field(default_factory=list)
    gene_table: GeneTable | None = None

    @classmethod
    def load(cls, preset: Path | None = None, hpo_dir: Path | None = None) -> RareContext:
        folder = hpo_dir or default_hpo_dir()
        hpo = load_hpo_knowledge(folder)
        lof_table, lof_source = load_lof_table(folder)
        missense, variants, clinvar_source = load_known_missense(folder)
        sources = [f"LoF mechanism: {lof_source}"] if lof_source else []
        sources += [f"known pathogenic missense (PS1/PM5): {clinvar_source}"] if clinvar_source else []
        builtin = builtin_lof_table()
        sources += [f"loss-of-function mechanism: TailorMed curation of {len(builtin)} gene(s) from ClinGen"]
        haploinsufficient, triplosensitive = load_dosage_genes(folder)
        builtin_ts = builtin_triplosensitive_table() if triplosensitive is None else {}
        sources += [f"triplosensitivity: TailorMed curation of {len(builtin_ts)} gene(s) from ClinGen"] \
            if builtin_ts else []
        contexts = gene_contexts(hpo, lof_table, missense, variants, lof_source=f"ClinGen dosage: {lof_source}",
                                 builtin_lof=builtin, haploinsufficient=haploinsufficient,
                                 triplosensitive=triplosensitive, builtin_ts=builtin_ts)
        loaded = load_preset(preset)
        # The gene table serves the per-gene background rate (when the preset asks for it) and, whenever it is
        # installed, the exon structure that tells which part of a gene a partial deletion removes.
        table = load_gene_table()
        contexts = with_gene_structures(contexts, table)
        by_length = loaded.genotype_settings().gene_background == "exonic_length"
        sources += [f"per-gene background: {table.version_label}"] if table and by_length else []
        if table is not None:
            sources += [f"exons for partial deletions: {table.version_label}" if table.has_exons else
                        "exons for partial deletions: none (the installed gene table predates exon coordinates; "
                        "run `tailormed kb import genes` again)"]
        return cls(hpo=hpo, preset=loaded, contexts=contexts, sources=sources,
                   gene_table=table if by_length else None)


def _provenance(context: RareContext, inputs: dict[str, str]) -> Provenance:
    return make_provenance([context.hpo.version, *context.sources], inputs,
                           [f"analysis preset: {context.preset.name}"])


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
             ped: Path | None = None, sample: str | None = None, pedigree: Pedigree | None = None,
             cnv: Path | None = None) -> RareResult:
    """Rank one proband (phenotype only, or with a VCF and optional PED or Family pedigree, and/or CNV calls)."""
    inputs = {"phenotype": source} | ({"vcf": str(vcf)} if vcf else {}) | ({"ped": str(ped)} if ped else {})
    inputs |= {"cnv": str(cnv)} if cnv else {}
    genotypes = None
    if vcf is not None:
        annotated = read_annotated_vcf(vcf)
        family = read_family(annotated.samples, profile, ped=ped, sample=sample, source=str(vcf),
                             pedigree=pedigree)
        genotypes = GenotypeInput(variants=annotated.variants, family=family, source=str(vcf),
                                  unannotated=annotated.unannotated)
    if cnv is not None:
        if genotypes is None:
            proband = sample or profile.proband_sample or profile.id
            genotypes = GenotypeInput(variants=[], family=Family(proband=proband, affected=frozenset({proband}),
                                                                 proband_sex=profile.sex),
                                      source=str(cnv), unannotated=[])
        genotypes.variants = [*genotypes.variants, *read_cnv_bed(cnv, genotypes.family.proband)]
    result = rank_case(profile, context.hpo, context.preset, source=source, genotypes=genotypes,
                       contexts=context.contexts, gene_table=context.gene_table,
                       provenance=_provenance(context, inputs))
    if vcf is not None:
        result.warnings.extend(annotated.warnings)
    return result



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
                  preset: Path | None = None, hpo_dir: Path | None = None, onset: str | None = None,
                  cnv: Path | None = None) -> RareResult:
    """``tailormed rare rank``: one proband into ``out`` (written atomically)."""
    if ped is not None and vcf is None:
        raise InputError("--ped needs --vcf (the family's genotypes)", source=str(ped))
    profile, source, document = _load_phenotype(phenopacket, hpo_terms)
    if onset is not None:
        profile = profile.model_copy(update={"onset": onset_term_from_text(onset, source="--onset")})
    context = RareContext.load(preset, hpo_dir)
    pedigree = family_pedigree(document, source=source) if document is not None and vcf is not None else None
    result = rank_one(context, profile, source=source, vcf=vcf, ped=ped, sample=sample, pedigree=pedigree, cnv=cnv)
    with atomic_output_dir(out, description="tailormed rare rank") as staging:
        write_rare_outputs(staging, result, document)
    return result


@dataclass
class BatchSummary:
    """What a batch run wrote."""

    out: Path
    cases: int
    failed: list[tuple[str, str]]


def run_rare_batch(folder: Path, out: Path, *, preset: Path | None = None, hpo_dir: Path | None = None,
                   progress: ProgressCallback | None = None) -> BatchSummary:
    """Rank every phenopacket under ``folder`` (recursively) with the knowledge loaded once.

    Each case gets its own sub-folder; ``summary.tsv`` lists the top candidate of every case, and
    cases whose input is invalid are listed with the reason instead of stopping the batch.
    """
    if not folder.is_dir():
        raise InputError("not a folder", source=str(folder))
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise InputError("no phenopacket (*.json) files under this folder", source=str(folder))
    case_names = _case_folder_names(folder, files)
    context = RareContext.load(preset, hpo_dir)
    failed: list[tuple[str, str]] = []
    with atomic_output_dir(out, description="tailormed rare batch") as staging:
        lines = ["case\tfile\ttop_disease_id\ttop_disease_name\ttop_gene\tscore\tposttest_probability\n"]
        for done, path in enumerate(files, start=1):
            try:
                profile, source, document = _load_phenotype(path, ())
                result = rank_one(context, profile, source=source)
            except InputError as exc:
                failed.append((str(path), _one_line(str(exc))))
                continue
            case_dir = staging / case_names[path]
            case_dir.mkdir()
            write_rare_outputs(case_dir, result, document)
            lines.append(_summary_line(case_dir.name, path, result))
            if progress:
                progress("ranking cases", done, len(files))
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


def _case_folder_names(folder: Path, files: list[Path]) -> dict[Path, str]:
    """One output sub-folder per phenopacket, named after the file; the same file name in two sub-folders
    gets ``-2``, ``-3``. Refused before anything is written: a symlinked folder under ``folder``, a name
    that is not a name (``..json``), one that would take ``summary.tsv``/``failed.tsv``, and two different
    names that map to one folder (``A:B`` and ``A_B``)."""
    for entry in folder.rglob("*"):
        if entry.is_symlink() and entry.is_dir():
            raise InputError("a folder under the batch folder is a symbolic link; give real folders",
                             source=str(entry))
    stems = list(dict.fromkeys(path.stem for path in files))
    base = dict(zip(stems, case_file_names(stems, reserved=RESERVED_BATCH_FILES), strict=True))
    used = {name.lower() for name in base.values()}
    names: dict[Path, str] = {}
    seen: set[str] = set()
    for path in files:
        name, n = base[path.stem], 2
        if name in seen:
            while f"{name}-{n}".lower() in used:
                n += 1
            name = f"{name}-{n}"
            used.add(name.lower())
        seen.add(name)
        names[path] = name
    return names


def _one_line(text: str) -> str:
    """A message as one TSV field: tabs and line breaks become spaces."""
    return " ".join(text.split())
