"""Phenoconversion: current medications that inhibit or induce CYP2D6, CYP2C19 or CYP2C9.

A strong CYP2D6 inhibitor can make a genotype normal metabolizer behave as a poor metabolizer. The knowledge pack
lists the perpetrators (FDA's strong and moderate clinical inhibitors and inducers, ``phenoconversion.yaml``) and,
per enzyme, the cited rule that adjusts the phenotype, if any:

* ``activity_score_multiplier`` (CYP2D6, CPIC opioid guideline 2021): the genotype activity score is multiplied by 0
  for a strong inhibitor and by 0.5 for a moderate one, then converted to a phenotype. The adjusted phenotype is used
  for the advice of the drugs the rule covers (``applies_to_drugs``); other drugs of the gene keep the genotype
  phenotype and get a caution.
* ``caution_only`` (CYP2C19, CYP2C9): no cited rule adjusts the phenotype; the interaction is reported as a caution.

Three safety rules: a gene that was not tested never gets an adjusted phenotype (an inhibitor does not make a
phenotype out of nothing); a drug is never adjusted against itself; the genotype-predicted phenotype is always kept
(``GeneResult.phenotype``) next to the adjusted one.

Pure: it reads the loaded knowledge base and the result objects it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tailormed.kb.pack import KnowledgeBase
from tailormed.model.common import Warning
from tailormed.model.pack import DrugGuidance, Perpetrator, PhenoconversionRule
from tailormed.model.pgx import GeneResult, PhenoconversionEffect
from tailormed.model.pgx import format_activity_score as _score

WARNING_CODES = ("phenoconversion", "phenoconversion_caution", "phenoconversion_self")
"""Warning codes this module writes (and replaces when it runs again on the same results)."""


@dataclass(frozen=True)
class DrugAdjustment:
    """How one gene's result is read for one drug, given the current medications."""

    matching: GeneResult
    """The result the drug's rules are matched against: an adjusted copy, or the genotype result itself."""
    used_adjusted: bool
    adjusted_phenotype: str | None
    adjusted_activity_score: float | None
    note: str | None
    effects: tuple[PhenoconversionEffect, ...]
    warnings: tuple[Warning, ...]


def listed_perpetrators(kb: KnowledgeBase, medications: Sequence[str] | None) -> list[Perpetrator]:
    """The pack's perpetrator entries for the medications listed (names compared case-insensitively; a name the
    pack does not list is simply not a perpetrator)."""
    if kb.phenoconversion is None or not medications:
        return []
    names = {m.strip().lower() for m in medications if m and m.strip()}
    return [p for p in kb.phenoconversion.perpetrators if names & set(p.names)]


def apply_phenoconversion(kb: KnowledgeBase, results: dict[str, GeneResult],
                          medications: Sequence[str] | None) -> dict[str, GeneResult]:
    """Gene results with ``phenoconversion`` (and, where a cited rule applies, ``adjusted_phenotype`` and
    ``adjusted_activity_score``) filled in for the medication list.

    Returns a new dict of new result objects (results may be shared between samples); ``phenotype`` and
    ``activity_score`` keep the genotype-predicted values. Running it again on its own output gives the same result.
    """
    perpetrators = listed_perpetrators(kb, medications)
    out = dict(results)
    for gene, result in results.items():
        stale = bool(result.phenoconversion) or result.adjusted_phenotype is not None or any(
            w.code in WARNING_CODES for w in result.warnings)
        rule = kb.phenoconversion.rule(gene) if kb.phenoconversion is not None else None
        mine = [p for p in perpetrators if p.enzyme == gene]
        if rule is None or not mine:
            if stale:
                out[gene] = _cleared(result)
            continue
        base = _cleared(result)
        adjusted = _adjusted_score(rule, base, mine)
        applied = _strongest(rule, mine) if adjusted is not None else None
        effects = [_effect(kb, rule, p, applied=p is applied) for p in mine]
        update: dict[str, object] = {"phenoconversion": effects,
                                     "warnings": [*base.warnings, _gene_warning(rule, base, mine, adjusted)]}
        if adjusted is not None:
            update["adjusted_activity_score"], update["adjusted_phenotype"] = adjusted
        out[gene] = base.model_copy(update=update)
    return out


def adjustment_for_drug(kb: KnowledgeBase, drug: DrugGuidance, gene: str,
                        result: GeneResult | None) -> DrugAdjustment | None:
    """How ``gene``'s result is read for ``drug`` (None when no listed medication acts on the gene).

    The adjusted phenotype is used only when the gene's rule adjusts phenotypes, the drug is in the rule's scope,
    the gene was tested with an activity score, and a perpetrator other than the drug itself is an inhibitor the
    rule has a multiplier for. Everything else is a caution on the drug's row.
    """
    if result is None or not result.phenoconversion or kb.phenoconversion is None:
        return None
    rule = kb.phenoconversion.rule(gene)
    if rule is None:
        return None
    itself = {drug.drug.lower()}
    own = [e for e in result.phenoconversion if _names(kb, e) & itself]
    others = [e for e in result.phenoconversion if not _names(kb, e) & itself]
    warnings = [Warning(code="phenoconversion_self", gene=gene, severity="info",
                        message=f"{drug.drug} is itself a {e.strength} {e.enzyme} {e.effect}: it is not adjusted "
                                f"against itself; the guideline's advice for {drug.drug} is written for the "
                                "genotype-predicted phenotype") for e in own]
    in_scope = (rule.method == "activity_score_multiplier" and drug.drug in rule.applies_to_drugs and result.tested
                and result.activity_score is not None)
    applicable = [e for e in others if in_scope and e.effect == "inhibitor" and e.strength in rule.multipliers]
    cautions = [e for e in others if e not in applicable]
    warnings += [Warning(code="phenoconversion_caution", gene=gene,
                         message=_caution(rule, drug, result, e)) for e in cautions]
    strongest = min(applicable, key=lambda e: rule.multipliers[e.strength]) if applicable else None
    effects = tuple(e if e is strongest else _as_caution(e) for e in others)
    if strongest is None:
        return DrugAdjustment(matching=result, used_adjusted=False, adjusted_phenotype=None,
                              adjusted_activity_score=None, note=None, effects=effects, warnings=tuple(warnings))
    assert result.activity_score is not None and result.phenotype is not None
    score = result.activity_score * rule.multipliers[strongest.strength]
    phenotype = rule.phenotype_for(score)
    if phenotype is None:  # a gap in the rule's bands: never guess, keep the genotype phenotype
        warnings.append(Warning(code="phenoconversion_caution", gene=gene,
                                message=f"{strongest.perpetrator} lowers the {gene} activity score to "
                                        f"{_score(score)}, which no phenotype band of the rule holds; the advice "
                                        "uses the genotype-predicted phenotype"))
        return DrugAdjustment(matching=result, used_adjusted=False, adjusted_phenotype=None,
                              adjusted_activity_score=None, note=None,
                              effects=tuple(_as_caution(e) for e in others), warnings=tuple(warnings))
    note = _adjusted_sentence(drug.drug, gene, result.phenotype, result.activity_score, strongest,
                              rule.multipliers[strongest.strength], phenotype, score)
    if len(applicable) > 1:
        note += (f" Several {gene} inhibitors are listed ({', '.join(e.perpetrator for e in applicable)}); the "
                 f"strongest ({strongest.perpetrator}) was applied, and their combined effect is not modelled.")
    warnings.insert(0, Warning(code="phenoconversion", gene=gene, message=note))
    matching = result.model_copy(update={"phenotype": phenotype, "activity_score": score, "lookup_keys": [phenotype]})
    return DrugAdjustment(matching=matching, used_adjusted=True, adjusted_phenotype=phenotype,
                          adjusted_activity_score=score, note=note, effects=effects, warnings=tuple(warnings))


# --------------------------------------------------------------------------- helpers


def _cleared(result: GeneResult) -> GeneResult:
    """``result`` without anything this module wrote before."""
    if not result.phenoconversion and result.adjusted_phenotype is None and not any(
            w.code in WARNING_CODES for w in result.warnings):
        return result
    return result.model_copy(update={"phenoconversion": [], "adjusted_phenotype": None,
                                     "adjusted_activity_score": None,
                                     "warnings": [w for w in result.warnings if w.code not in WARNING_CODES]})


def _as_caution(effect: PhenoconversionEffect) -> PhenoconversionEffect:
    """The same effect, reported without adjusting anything."""
    if effect.adjustment == "caution_only":
        return effect
    return effect.model_copy(update={"adjustment": "caution_only", "multiplier": None})


def _strongest(rule: PhenoconversionRule, perpetrators: list[Perpetrator]) -> Perpetrator | None:
    """The perpetrator with the smallest multiplier (the first one listed on a tie), if any has one."""
    candidates = [p for p in perpetrators if _multiplier(rule, p) is not None]
    return min(candidates, key=lambda p: _multiplier(rule, p) or 0.0) if candidates else None


def _multiplier(rule: PhenoconversionRule, perpetrator: Perpetrator) -> float | None:
    if rule.method != "activity_score_multiplier" or perpetrator.effect != "inhibitor":
        return None
    return rule.multipliers.get(perpetrator.strength)


def _adjusted_score(rule: PhenoconversionRule, result: GeneResult,
                    perpetrators: list[Perpetrator]) -> tuple[float, str] | None:
    """(score, phenotype) after the strongest applicable inhibitor, or None when the rule cannot be applied."""
    factors = [f for f in (_multiplier(rule, p) for p in perpetrators) if f is not None]
    if not factors or not result.tested or result.activity_score is None:
        return None
    score = result.activity_score * min(factors)
    phenotype = rule.phenotype_for(score)
    return None if phenotype is None else (score, phenotype)


def _effect(kb: KnowledgeBase, rule: PhenoconversionRule, perpetrator: Perpetrator,
            applied: bool) -> PhenoconversionEffect:
    return PhenoconversionEffect(
        perpetrator=perpetrator.drug, enzyme=perpetrator.enzyme, effect=perpetrator.effect,
        strength=perpetrator.strength,
        adjustment="activity_score_multiplied" if applied else "caution_only",
        multiplier=_multiplier(rule, perpetrator) if applied else None,
        source=kb.sources[perpetrator.source].id, rule_sources=[kb.sources[s].id for s in rule.sources])


def _names(kb: KnowledgeBase, effect: PhenoconversionEffect) -> set[str]:
    """Every name of the effect's perpetrator (the pack's drug name and its aliases)."""
    assert kb.phenoconversion is not None
    for p in kb.phenoconversion.perpetrators:
        if p.drug == effect.perpetrator and p.enzyme == effect.enzyme:
            return set(p.names)
    return {effect.perpetrator}


def _a(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _lower(phenotype: str) -> str:
    return phenotype[:1].lower() + phenotype[1:].lower() if phenotype.endswith("Metabolizer") else phenotype


def _adjusted_sentence(drug: str, gene: str, phenotype: str, score: float, effect: PhenoconversionEffect,
                       factor: float, adjusted: str, adjusted_score: float) -> str:
    scores = (f"{gene} activity score {_score(score)} from the genotype, {_score(adjusted_score)} with "
              f"{effect.perpetrator}: {effect.strength} inhibitor, score x {factor:g}")
    if adjusted != phenotype:
        return (f"{effect.perpetrator}, {_a(effect.strength)} {gene} inhibitor, makes this {_lower(phenotype)} "
                f"{_a(_lower(adjusted))} for advice: the {drug} advice here is for {_a(_lower(adjusted))} "
                f"({scores}).")
    return (f"{effect.perpetrator}, {_a(effect.strength)} {gene} inhibitor, lowers the {gene} activity score; the "
            f"phenotype for {drug} advice stays {_lower(adjusted)} ({scores}).")


def _gene_warning(rule: PhenoconversionRule, result: GeneResult, perpetrators: list[Perpetrator],
                  adjusted: tuple[float, str] | None) -> Warning:
    listed = "; ".join(f"{p.drug} ({p.strength} {p.enzyme} {p.effect})" for p in perpetrators)
    if adjusted is not None and result.activity_score is not None:
        score, phenotype = adjusted
        drugs = ", ".join(rule.applies_to_drugs)
        return Warning(code="phenoconversion", gene=result.gene,
                       message=f"On the medication list: {listed}. For {drugs} the advice uses the adjusted "
                               f"phenotype {phenotype} (activity score {_score(result.activity_score)} -> "
                               f"{_score(score)}); other {result.gene} drugs keep the genotype-predicted "
                               f"phenotype ({result.phenotype}), with a caution")
    if not result.tested:
        reason = f"{result.gene} was not tested, so no adjusted phenotype is given"
    elif rule.method == "caution_only":
        reason = f"no cited rule adjusts the {result.gene} phenotype; advice uses the genotype-predicted phenotype"
    elif result.activity_score is None:
        reason = "there is no genotype activity score to adjust; advice uses the genotype-predicted phenotype"
    else:
        reason = "the rule has no adjustment for this kind of perpetrator; advice uses the genotype phenotype"
    return Warning(code="phenoconversion_caution", gene=result.gene,
                   message=f"On the medication list: {listed}. {reason[:1].upper()}{reason[1:]}")


def _caution(rule: PhenoconversionRule, drug: DrugGuidance, result: GeneResult,
             effect: PhenoconversionEffect) -> str:
    direction = "lower" if effect.effect == "inhibitor" else "higher"
    head = (f"{effect.perpetrator}, {_a(effect.strength)} {effect.enzyme} {effect.effect}, is on the medication "
            f"list: {effect.enzyme} activity may be {direction} than the genotype predicts.")
    if not result.tested:
        why = f"{result.gene} was not tested, so no phenotype is derived from the medication alone"
    elif rule.method == "caution_only":
        why = (f"No cited rule adjusts the {result.gene} phenotype, so this advice uses the genotype-predicted "
               "phenotype")
    elif drug.drug not in rule.applies_to_drugs:
        why = (f"The cited adjustment rule covers {', '.join(rule.applies_to_drugs)} only, so this {drug.drug} "
               "advice uses the genotype-predicted phenotype")
    elif result.activity_score is None:
        why = "There is no genotype activity score to adjust, so this advice uses the genotype-predicted phenotype"
    else:
        why = (f"The rule gives no adjustment for {_a(effect.strength)} {effect.effect}, so this advice uses the "
               "genotype-predicted phenotype")
    return f"{head} {why}; weigh the interaction clinically."
