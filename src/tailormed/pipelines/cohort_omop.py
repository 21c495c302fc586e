"""``tailormed cohort omop``: an OMOP CDM + genomes -> a new-user cohort with PGx phenotypes as effect modifiers
-> the same estimation and outputs as ``cohort effects``.

Steps: read the CDM rows (io.omop), build the new-user cohort (cohort.new_user), join persons to genomes through
the person-id mapping file, call the genes with the PGx pipeline (:func:`tailormed.pipelines.pgx.call_pgx`), and
estimate the effects with each gene's phenotype as an effect modifier (cohort.effects).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.cohort.effects import EffectsSettings, estimate_effects, prepare_table
from tailormed.cohort.new_user import NewUserCohort, build_new_user_cohort
from tailormed.documents import read_text
from tailormed.errors import InputError
from tailormed.io.omop import OmopDatabase
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.effects import EffectsResult
from tailormed.pipelines.cohort_effects import write_effects_outputs
from tailormed.pipelines.pgx import call_pgx, pgx_provenance
from tailormed.pipelines.progress import ProgressCallback

NOT_CALLED = "not called"


@dataclass(frozen=True)
class OmopRun:
    out: Path
    result: EffectsResult
    cohort: NewUserCohort


def read_person_map(path: Path) -> dict[int, str]:
    """The person-id mapping file: a header with ``person_id`` and ``sample`` columns (tab- or comma-separated)."""
    text = read_text(path, "person-id mapping file")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("the person-id mapping file is empty", source=str(path))
    delimiter = "\t" if "\t" in lines[0] else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    if "person_id" not in header or "sample" not in header:
        raise InputError(f"the header needs the columns person_id and sample (found {', '.join(header)})",
                         source=str(path), location="line 1")
    mapping: dict[int, str] = {}
    for number, row in enumerate(reader, start=2):
        person, sample = (row.get("person_id") or "").strip(), (row.get("sample") or "").strip()
        if not person.lstrip("-").isdigit() or not sample:
            raise InputError(f"person_id must be an integer and sample non-empty (got {person!r}, {sample!r})",
                             source=str(path), location=f"line {number}")
        if int(person) in mapping and mapping[int(person)] != sample:
            raise InputError(f"person {person} is mapped to two samples", source=str(path), location=f"line {number}")
        mapping[int(person)] = sample
    return mapping


def modifier_genes(kb: KnowledgeBase, ingredient: str, genes: Sequence[str] | None) -> list[str]:
    """The genes whose phenotypes modify the exposure: given, or those of the knowledge pack's guidance for it."""
    if genes:
        unknown = [g for g in genes if g not in kb.genes]
        if unknown:
            raise InputError(f"--genes: {', '.join(unknown)} not in the knowledge pack")
        return list(genes)
    drug = kb.drugs.get(ingredient.lower())
    if drug is None or not drug.genes:
        raise InputError(f"the knowledge pack has no pharmacogenomic guidance for {ingredient!r}; name the genes "
                         "with --genes")
    return list(drug.genes)


def phenotypes_by_sample(vcfs: Sequence[Path], kb: KnowledgeBase, samples: Sequence[str], genes: Sequence[str],
                         missing_as_reference: bool) -> dict[str, dict[str, str]]:
    """gene -> phenotype per sample, from the PGx pipeline's calls ('not called' when none was made)."""
    sample_ids, per_sample = call_pgx(list(vcfs), kb, samples=list(samples), missing_as_reference=missing_as_reference,
                                      position_detail="none")
    found: dict[str, dict[str, str]] = {}
    for sample, results in zip(sample_ids, per_sample, strict=True):
        found[sample] = {g: _phenotype(results, g) for g in genes}
    return found


def modifier_level(phenotype: str) -> str:
    """The level a phenotype is analysed at: 'Likely X' as X; an indeterminate call as not called.

    >>> modifier_level("Likely Poor Metabolizer"), modifier_level("Indeterminate")
    ('Poor Metabolizer', 'not called')
    """
    if phenotype.lower().startswith("indeterminate"):
        return NOT_CALLED
    return phenotype.removeprefix("Likely ")


def _phenotype(results: dict[str, Any], gene: str) -> str:
    phenotype = results[gene].phenotype if gene in results else None
    return str(phenotype) if phenotype else NOT_CALLED


def build_omop_table(db: OmopDatabase, *, exposure: str, outcomes: Sequence[str], comparator: str | None,
                     history: Sequence[str], washout_days: int, window_days: int, seed: int) -> tuple[NewUserCohort,
                                                                                                       str, str]:
    """The new-user cohort read from the CDM; returns it with the exposure and comparator labels."""
    exposure_id, exposure_name = db.ingredient_concept(exposure)
    exposure_rows = db.drug_starts(db.descendants([exposure_id]))
    comparator_rows = None
    comparator_name = "non-user"
    if comparator:
        comparator_id, comparator_name = db.ingredient_concept(comparator)
        comparator_rows = db.drug_starts(db.descendants([comparator_id]))
    outcome_ids = [_concept_id(c, "--outcome") for c in outcomes]
    outcome_rows = db.condition_starts(db.descendants(outcome_ids))
    history_rows = {str(_concept_id(c, "--history")): db.condition_starts(db.descendants([_concept_id(c, "--history")]))
                    for c in history}
    cohort = build_new_user_cohort(persons=db.persons(), periods=db.observation_periods(), exposure=exposure_rows,
                                   outcomes=outcome_rows, comparator=comparator_rows, history=history_rows,
                                   washout_days=washout_days, window_days=window_days, seed=seed,
                                   exposure_label=exposure_name, comparator_label=comparator_name)
    return cohort, exposure_name, comparator_name


def _concept_id(value: str, option: str) -> int:
    if not value.strip().isdigit():
        raise InputError(f"{option} {value!r} is not a concept id")
    return int(value)


def attach_genomes(cohort: NewUserCohort, mapping: dict[int, str], calls: dict[str, dict[str, str]],
                   genes: Sequence[str]) -> tuple[Any, list[str]]:
    """The cohort rows with a genome, each gene's phenotype as a column; notes on who was left out."""
    frame = cohort.frame
    notes = []
    has_genome = frame["person_id"].map(lambda p: mapping.get(int(p)) in calls)
    without = int((~has_genome).sum())
    if without:
        notes.append(f"{without} of {len(frame)} cohort persons have no genome (not in the mapping file or not in "
                     "the VCFs) and were left out")
    frame = frame[has_genome].copy()
    if not len(frame):
        raise InputError("no person of the cohort has a genome: check the person-id mapping file and the VCF samples")
    for gene in genes:
        column = f"{gene} phenotype"
        frame[column] = frame["person_id"].map(lambda p, g=gene: modifier_level(calls[mapping[int(p)]][g]))
        likely = int(frame["person_id"].map(lambda p, g=gene: calls[mapping[int(p)]][g].startswith("Likely ")).sum())
        if likely:
            notes.append(f"{gene}: {likely} 'Likely ...' phenotype(s) analysed with the phenotype they name (CPIC "
                         "gives them the same recommendations)")
        uncalled = int((frame[column] == NOT_CALLED).sum())
        if uncalled:
            notes.append(f"{gene}: no phenotype (not called or indeterminate) for {uncalled} person(s); they were "
                         "left out")
            frame = frame[frame[column] != NOT_CALLED]
    cohort.attrition["with_genome_and_phenotype"] = len(frame)
    return frame, notes


def run_cohort_omop(cdm: str, genomes: Sequence[Path], person_map: Path, out: Path, *, exposure: str,
                    outcomes: Sequence[str], comparator: str | None = None, history: Sequence[str] = (),
                    washout_days: int = 365, window_days: int = 365, genes: Sequence[str] | None = None,
                    cdm_schema: str | None = None, kb_name: str = "pgx-core", missing_as_reference: bool = False,
                    settings: EffectsSettings = EffectsSettings(), progress: ProgressCallback | None = None) -> OmopRun:
    """Build the cohort, call the genomes, estimate, write effects.json and report.html."""
    if not genomes:
        raise InputError("give the genomes (--genomes VCF...)")
    if not outcomes:
        raise InputError("give at least one outcome concept (--outcome CONCEPT_ID)")
    kb = load_knowledge_base(kb_name)
    if progress:
        progress("reading the OMOP database", 0, None)
    with OmopDatabase(cdm, cdm_schema) as db:
        chosen_genes = modifier_genes(kb, db.ingredient_concept(exposure)[1], genes)
        cohort, exposure_name, comparator_name = build_omop_table(
            db, exposure=exposure, outcomes=outcomes, comparator=comparator, history=history,
            washout_days=washout_days, window_days=window_days, seed=settings.seed)
    mapping = read_person_map(person_map)
    wanted = sorted({mapping[int(p)] for p in cohort.frame["person_id"] if int(p) in mapping})
    if not wanted:
        raise InputError("no person of the cohort is in the person-id mapping file", source=str(person_map))
    if progress:
        progress(f"calling {', '.join(chosen_genes)} for {len(wanted)} genomes", 0, None)
    calls = phenotypes_by_sample(genomes, kb, wanted, chosen_genes, missing_as_reference)
    frame, notes = attach_genomes(cohort, mapping, calls, chosen_genes)
    covariates = ["age", "female", "race", "prior_outcome", *[c for c in frame.columns if c.startswith("history_")]]
    covariates = [c for c in covariates if frame[c].nunique() > 1]
    modifiers = [f"{g} phenotype" for g in chosen_genes if frame[f"{g} phenotype"].nunique() > 1]
    if progress:
        progress("estimating effects", 0, None)
    table = prepare_table(frame, treatment="exposure", outcome="time", event="event", horizon_days=float(window_days),
                          covariates=covariates, modifiers=modifiers, treated_value=exposure_name)
    table.warnings.extend(notes)
    result = estimate_effects(table, settings)
    limits = [*result.limits, "Persons are analysed only if they have a genome and a called phenotype: if that "
              "depends on health or treatment, the genotyped cohort is not the whole cohort."]
    if comparator is None:
        limits.append("The comparator is non-users indexed at a random date of their observation time: they differ "
                      "from new users in ways the covariates may not capture; an active comparator (--comparator) "
                      "is the stronger design.")
    inputs = {"cdm": _redact(cdm), "genomes": ", ".join(str(g) for g in genomes), "person_map": str(person_map)}
    cohort_record: dict[str, int | str] = {**cohort.attrition, "exposure": exposure_name, "comparator": comparator_name,
                                           "washout_days": washout_days, "window_days": window_days,
                                           "modifier_genes": ", ".join(chosen_genes)}
    result = result.model_copy(update={"limits": limits, "cohort": cohort_record,
                                       "provenance": pgx_provenance(kb, inputs, [])})
    write_effects_outputs(out, result, f"New users of {exposure_name} vs {comparator_name}: outcome "
                          f"{', '.join(outcomes)}", "tailormed cohort omop")
    return OmopRun(out=out, result=result, cohort=cohort)


def _redact(url: str) -> str:
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
