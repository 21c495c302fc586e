"""Tumour profile + oncology knowledge → tiered, cited therapy options (pure; no file access).

Tiers follow the AMP/ASCO/CAP 2017 joint consensus (Li et al., J Mol Diagn 2017;19:4-23):

=====================================  ===================  ===================
evidence of the record                 this tumour type     another tumour type
=====================================  ===================  ===================
fda (approved indication), guideline   I-A                  II-C
clinical-trial (well-powered)          I-B                  II-C
clinical-study (smaller studies)       II-C                 II-D
case-report, preclinical               II-D                 II-D
=====================================  ===================  ===================

A record covers this tumour type when one of its OncoTree codes is the tumour's code or an ancestor of it
(``SOLID``, ``HEME`` and ``ANY`` cover groups), or a subtype of it (then with a caveat to confirm the
subtype). Records from other tumour types are only carried over when they
rest on a transferable molecular alteration: requirements that are tumour-specific assays or absences (PD-L1
scores, hormone receptors, HER2-low/negative, wild-type genes, MSS/pMMR) do not transfer, and resistance records
never do (BRAF V600E predicts resistance to vemurafenib alone in colorectal cancer, not in melanoma). How resistance
meets the sensitivity options (caveat, combination note, suppression) is in :func:`_weigh_resistance`; options
resting on a status the inputs do not give are conditional (:func:`find_therapy_options`). An alteration's tier
is the best tier of the options it supports; protein-altering alterations with no option are Tier III.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

from tailormed.kb.onco import TUMOUR_GROUPS, CompiledRecord, OncoKnowledge
from tailormed.model.alterations import (
    IHC_INTENSITIES,
    CopyNumberLevel,
    ExonClass,
    FusionPair,
    GeneClass,
    ProteinChange,
    Signature,
    parse_alteration,
)
from tailormed.model.common import Citation, Provenance, Warning
from tailormed.model.onco import (
    NON_METASTATIC_LINES,
    TIER_ORDER,
    ClinicalBiomarkers,
    CopyNumberCall,
    ImmunotherapySummary,
    LineOfTherapy,
    MatchedEvidence,
    OncoResult,
    ReportedAlteration,
    ResistanceLevel,
    SomaticVariant,
    TherapyOption,
    Tier,
    TmbResult,
    TrialMatch,
    TumourProfile,
    UnknownRequirement,
)
from tailormed.onco.matching import (
    TumourFacts,
    build_facts,
    is_oncogenic_variant,
    match_pattern,
    undecided_findings,
    unknown_status,
)

CHECKPOINT_INHIBITORS = frozenset({
    "pembrolizumab", "nivolumab", "ipilimumab", "atezolizumab", "durvalumab", "avelumab", "cemiplimab",
    "dostarlimab", "tremelimumab", "tislelizumab", "toripalimab", "retifanlimab", "relatlimab", "cosibelimab",
})
TRANSFERABLE_SIGNATURES = frozenset({"MSI-H", "dMMR", "TMB-H", "HRD", "HER2-positive", "HER2 IHC 3+"})
POLYMERASE_EXONUCLEASE_CODONS = {"POLE": (268, 471), "POLD1": (304, 517)}
"""Exonuclease-domain codon ranges (POLE: Rayner et al. Nat Rev Cancer 2016; POLD1: Church et al. Hum Mol Genet
2013). Pathogenic POLE exonuclease-domain mutations give an ultramutated, immunogenic phenotype."""
_EVIDENCE_RANK = {"fda": 0, "guideline": 1, "clinical-trial": 2, "clinical-study": 3, "case-report": 4,
                  "preclinical": 5}
_RESISTANCE_LEVELS: dict[str, ResistanceLevel] = {
    "fda": "R1", "guideline": "R1", "clinical-trial": "R2", "clinical-study": "R2", "case-report": "R3",
    "preclinical": "R3"}
_RESISTANCE_RANK = {None: 0, "R3": 1, "R2": 2, "R1": 3}
_LINE_RANK: dict[str | None, int] = {"first": 0, None: 1, "later": 2, "adjuvant": 3, "consolidation": 3}
"""Order of lines when the patient's disease setting is not given or is metastatic: the non-metastatic settings
last, so that no adjuvant option sits among first-line ones."""
_LINE_RANK_NON_METASTATIC: dict[str | None, int] = {"adjuvant": 0, "consolidation": 0, "first": 1, None: 2,
                                                    "later": 3}
_FIRST_LINE = re.compile(
    r"first[- ]line|(?<!not for )newly diagnosed|not previously treated|previously untreated|-na[iï]ve\b|\bno prior\b|"
    r"including first|\binitial\b|without progression", re.IGNORECASE)
_LATER_LINE = re.compile(
    r"\bafter (?!surgery|complete|resection)|previously treated|progress|relapsed|(?<!iodine )refractory|"
    r"second[- ]line|subsequent|(?<!castration-)resistan|pretreated|\bprior\b|failure|"
    r"\bin (?:complete or partial )?response to\b|recurrence (?:on|during)", re.IGNORECASE)
_EARLY_DISEASE = re.compile(
    r"^(?:extended )?(?:neo)?adjuvant\b|perioperative|^resectable|\bearly\b|before and after surgery", re.IGNORECASE)
"""A clause of a setting (settings separate clauses with '; ') for resectable, non-metastatic disease."""
_NON_METASTATIC_USE = {
    "adjuvant": "(neo)adjuvant or perioperative treatment of resectable, non-metastatic disease",
    "consolidation": "consolidation after chemoradiation of unresectable, non-metastatic disease"}
_CONSOLIDATION = re.compile(r"without progression\b.*\bchemoradiation", re.IGNORECASE)
_METASTATIC = re.compile(r"metastatic|\badvanced\b|unresectable|recurrent", re.IGNORECASE)
_NOT_METASTATIC = re.compile(
    r"unresectable|locally advanced|\badvanced\b|not (?:suitable for|amenable to|curatively|safely) resect|"
    r"resection would|not amenable to (?:complete )?resection|stage III|recurrent|\brecurrence\b", re.IGNORECASE)


class TumourTypeTree(Protocol):
    """What the engine needs from the OncoTree hierarchy."""

    def is_within(self, code: str, ancestor: str) -> bool: ...


def assign_tier(evidence: str, same_tumour: bool) -> Tier:
    """AMP/ASCO/CAP tier of one record for this tumour (table in the module docstring)."""
    if evidence in ("fda", "guideline"):
        return "I-A" if same_tumour else "II-C"
    if evidence == "clinical-trial":
        return "I-B" if same_tumour else "II-C"
    if evidence == "clinical-study":
        return "II-C" if same_tumour else "II-D"
    return "II-D"


def resistance_level(evidence: str) -> ResistanceLevel:
    """Our resistance level of a record's evidence (docs/onco.md; after OncoKB's R1/R2, in this tumour type only).

    >>> [resistance_level(e) for e in ("fda", "guideline", "clinical-study", "preclinical")]
    ['R1', 'R1', 'R2', 'R3']
    """
    return _RESISTANCE_LEVELS.get(evidence, "R3")


def line_of_therapy(setting: str | None) -> LineOfTherapy | None:
    """The line of therapy a record's setting states (docs/onco.md).

    'adjuvant' when every clause of the setting is (neo)adjuvant, perioperative or early-disease use (resectable,
    non-metastatic disease), 'consolidation' for use after chemoradiation without progression (unresectable,
    non-metastatic disease), otherwise 'first' when it includes first-line or newly diagnosed use, 'later' when
    it asks for prior therapy, None when it does not say.

    >>> [line_of_therapy(s) for s in ("first-line metastatic", "metastatic, after prior therapy", "metastatic",
    ...                                "newly diagnosed chronic phase; after resistance to prior TKI therapy",
    ...                                "adjuvant after complete tumour resection (early-stage NSCLC)",
    ...                                "first-line advanced/metastatic; adjuvant after resection of high-risk tumours")]
    ['first', 'later', None, 'first', 'adjuvant', 'first']
    """
    if not setting:
        return None
    if _CONSOLIDATION.search(setting):
        return "consolidation"
    other = _without_early_disease(setting)
    if _FIRST_LINE.search(other):
        return "first"
    if _LATER_LINE.search(other):
        return "later"
    return "adjuvant" if len(other) < len(setting) and not _METASTATIC.search(other) else None


def _without_early_disease(setting: str) -> str:
    """A record's setting without its clauses (separated by '; ') for resectable, non-metastatic disease."""
    return "; ".join(clause for clause in setting.split("; ") if not _EARLY_DISEASE.search(clause))


def disease_settings(setting: str | None, line: str | None) -> frozenset[str] | None:
    """The disease settings ('metastatic', 'non-metastatic') a record's setting covers; None when it does not say.

    >>> sorted(disease_settings("adjuvant, stage II-IIIA after resection", "adjuvant"))
    ['non-metastatic']
    >>> sorted(disease_settings("metastatic, after chemotherapy", "later"))
    ['metastatic']
    >>> sorted(disease_settings("unresectable or metastatic", None))
    ['metastatic', 'non-metastatic']
    >>> disease_settings("newly diagnosed chronic phase", "first") is None
    True
    """
    if not setting:
        return None
    if line in NON_METASTATIC_LINES:
        return frozenset({"non-metastatic"})
    other = _without_early_disease(setting)
    covered = set()
    if len(other) < len(setting) or _NOT_METASTATIC.search(other):
        covered.add("non-metastatic")
    if _METASTATIC.search(other):
        covered.add("metastatic")
    return frozenset(covered) or None


def _setting_match(record_setting: str | None, line: str | None, patient: str | None) -> tuple[bool | None, str]:
    """Whether a sensitivity record covers the patient's disease setting, and the caveat when it does not."""
    covered = disease_settings(record_setting, line)
    if patient is None or covered is None:
        return None, ""
    if patient in covered:
        return True, ""
    if patient == "metastatic":
        what = _NON_METASTATIC_USE.get(line or "", "treatment of non-metastatic disease")
        return False, (f"not an option for metastatic disease: the record is for {what}, and the disease setting "
                       "given is metastatic")
    return False, ("for metastatic disease only, and the disease setting given is non-metastatic: not an option "
                   "unless the disease progresses")


def _transferable(compiled: CompiledRecord) -> bool:
    for pattern in compiled.patterns:
        for alt in pattern.alternatives:
            if isinstance(alt, ProteinChange | ExonClass | FusionPair | CopyNumberLevel):
                return True
            if isinstance(alt, GeneClass) and alt.kind != "wildtype":
                return True
            if isinstance(alt, Signature) and alt.name in TRANSFERABLE_SIGNATURES:
                return True
    return False


def _covers(compiled: CompiledRecord, tumour_type: str, tree: TumourTypeTree) -> tuple[bool, str | None]:
    """Whether the record covers this tumour type, and a caveat when only a subtype of it is covered.

    A tumour typed less specifically than the record (an astrocytoma of unstated grade, a record for grade 2)
    is treated as this tumour type with a caveat to confirm the subtype, rather than hidden.
    """
    record = compiled.record
    excluded = [code for code in record.excluded_tumour_types if tree.is_within(tumour_type, code)]
    if excluded:
        return False, (f"the source excludes this tumour type ({', '.join(excluded)}) from the indication: "
                       "evidence elsewhere does not carry over")
    if any(tree.is_within(tumour_type, code) for code in record.tumour_types):
        return True, None
    narrower = [code for code in record.tumour_types if code not in TUMOUR_GROUPS
                and tree.is_within(code, tumour_type)]
    if narrower:
        return True, (f"indicated for the subtype(s) {', '.join(narrower)} of this tumour type: confirm the "
                      "tumour's subtype")
    return False, None


def _candidates(knowledge: OncoKnowledge, facts: TumourFacts) -> list[CompiledRecord]:
    chosen: dict[int, CompiledRecord] = {}
    for compiled in knowledge.gene_free:
        chosen[id(compiled)] = compiled
    for gene in facts.altered_genes:
        for compiled in knowledge.by_gene.get(gene, []):
            chosen[id(compiled)] = compiled
    return list(chosen.values())


def _caveats(matched: list[MatchedEvidence], facts: TumourFacts) -> list[str]:
    notes = []
    for item in matched:
        if item.inferred:
            notes.append(f"'{item.requirement}' inferred: {'; '.join(item.satisfied_by)}; confirm before acting")
        if any("(germline)" in s for s in item.satisfied_by):
            notes.append("rests on a germline variant: refer for genetic counselling and cascade testing")
    return notes


def _option(compiled: CompiledRecord, matched: list[MatchedEvidence], same: bool, facts: TumourFacts,
            knowledge: OncoKnowledge, pack_label: str) -> TherapyOption:
    record = compiled.record
    line, _, _ = _line_and_setting(compiled, facts)
    citations = [Citation(id=s, citation=knowledge.sources[s].citation, url=knowledge.sources[s].url,
                          version=knowledge.sources[s].version or knowledge.sources[s].date) for s in record.sources]
    return TherapyOption(
        therapy=record.therapy, drugs=list(record.drugs), response=record.response,
        tier=assign_tier(record.evidence, same), evidence=record.evidence,
        tumour_match="same" if same else "other", record_tumour_types=list(record.tumour_types),
        record_id=record.id, knowledge_pack=pack_label, matched=matched, setting=record.setting,
        summary=record.summary, approval_date=record.approval_date, citations=citations,
        caveats=_caveats(matched, facts),
        resistance_level=resistance_level(record.evidence) if record.response == "resistant" else None,
        line_of_therapy=line)


def _line_and_setting(compiled: CompiledRecord, facts: TumourFacts) -> tuple[LineOfTherapy | None, bool | None,
                                                                               str]:
    record = compiled.record
    if record.response != "sensitive":
        return None, None, ""
    line = record.line_of_therapy or line_of_therapy(record.setting)
    match, caveat = _setting_match(record.setting, line, facts.profile.clinical.disease_setting)
    return line, match, caveat


def find_therapy_options(facts: TumourFacts, knowledge: OncoKnowledge, tree: TumourTypeTree,
                         untested: dict[str, list[str]] | None = None) -> list[TherapyOption]:
    """Every record whose requirements the tumour meets, tiered, best first.

    A record for this tumour type whose unmet requirements are only statuses the inputs do not give (receptors,
    HER2, PD-L1, MSI/MMR, TMB, HRD) is listed as conditional (``unknown_requirements``) when the tumour's own
    findings meet another of its requirements; a record resting on untold statuses alone is counted in
    ``untested`` (missing status -> therapies) instead. A resistance record is used only in the tumour types it
    covers. Within a tier: options whose drugs no other alteration of this tumour resists first; among resisted ones,
    weaker resistance first and, at one level, those whose resistance no other listed option overcomes
    (:func:`_mark_overcome`); then stronger evidence, first line before later lines, then name.
    """
    options = []
    tumour_type = facts.profile.tumour_type
    for compiled in _candidates(knowledge, facts):
        matched: list[MatchedEvidence] = []
        unknown: list[UnknownRequirement] = []
        for pattern, written in zip(compiled.patterns, compiled.record.alterations, strict=True):
            found = match_pattern(pattern, facts)
            if found is not None:
                found.context = written in compiled.record.context
                matched.append(found)
                continue
            missing = unknown_status(pattern, facts)
            if missing is None:
                break
            unknown.append(UnknownRequirement(requirement=pattern.text, missing=missing,
                                              concerns=undecided_findings(pattern, facts)))
        else:
            same, subtype_caveat = _covers(compiled, tumour_type, tree)
            if not same and (compiled.record.response == "resistant" or not _transferable(compiled)):
                continue  # resistance is tumour-type specific (BRAF V600E: vemurafenib in melanoma, not colorectal)
            if unknown:
                if not same or compiled.record.response == "resistant":
                    continue
                # nothing the tumour carries points to it (an amplification of unknown level does)
                if all(item.inferred for item in matched) and not any(item.concerns for item in unknown):
                    if untested is not None:
                        for item in unknown:
                            untested.setdefault(item.missing, []).append(compiled.record.therapy)
                    continue
            label = f"{compiled.pack} {knowledge.versions[knowledge.names.index(compiled.pack)]}"
            option = _option(compiled, matched, same, facts, knowledge, label)
            option.unknown_requirements = unknown
            if subtype_caveat:  # a subtype record, or a record whose source excludes this tumour type
                option.caveats.insert(0, subtype_caveat)
            _, option.disease_setting_match, setting_caveat = _line_and_setting(compiled, facts)
            if setting_caveat:
                option.caveats.insert(0, setting_caveat)
            options.append(option)
    rationale = {c.record.id: c.record.rationale for c in knowledge.records if c.record.rationale}
    options = _weigh_resistance(options, rationale)
    overcome = _mark_overcome(options)
    ranks = _LINE_RANK_NON_METASTATIC if facts.profile.clinical.disease_setting == "non-metastatic" else _LINE_RANK
    options.sort(key=lambda option: _option_order(option, ranks, overcome))
    return options


def _option_order(option: TherapyOption, line_rank: dict[str | None, int] = _LINE_RANK,
                  overcome: frozenset[int] = frozenset()) -> tuple[object, ...]:
    resisted = _RESISTANCE_RANK[option.resistance_level] if option.response == "sensitive" else 0
    return (bool(option.unknown_requirements), option.disease_setting_match is False, TIER_ORDER[option.tier],
            option.tumour_match != "same", option.response != "sensitive", resisted, id(option) in overcome,
            _EVIDENCE_RANK.get(option.evidence, 9), line_rank[option.line_of_therapy], option.therapy,
            option.record_id)


def _resisting_labels(resistance: TherapyOption) -> set[str]:
    """What resists in a resistance option: its matched alterations, less those that only set the scene (context)."""
    return {label for item in resistance.matched if not item.inferred and not item.context
            for label in item.satisfied_by}


def _qualifying_labels(option: TherapyOption, *, specific_only: bool = False) -> set[str]:
    """The alterations an option rests on; ``specific_only``: only through requirements naming a change (``EGFR
    T790M``), not a broad class (``EGFR activating``) that merely includes it."""
    return {label for item in option.matched if not item.inferred and not item.context
            and (not specific_only or _specific(item.requirement)) for label in item.satisfied_by}


def _mark_overcome(options: list[TherapyOption]) -> frozenset[int]:
    """The sensitivity options resisted by an alteration that another option of this tumour type is built on.

    Afatinib for an EGFR exon 19 deletion is resisted by EGFR T790M, and osimertinib's T790M record rests on that
    very alteration: the tumour board's choice is the option that overcomes the resistance, so the resisted option
    sorts after it (within its tier and resistance level) and says why. An option resisted only by alterations no
    listed option targets (osimertinib and an acquired MET amplification without a matched MET option) keeps its place.
    Returns the ``id()`` of the options moved down.
    """
    by_record = {o.record_id: o for o in options if o.response == "resistant"}
    usable = [o for o in options if o.response == "sensitive" and o.tumour_match == "same"
              and not o.unknown_requirements and o.disease_setting_match is not False]

    def resisted_by(option: TherapyOption) -> set[str]:
        labels = [_resisting_labels(by_record[r]) for r in option.resisted_by if r in by_record]
        return set().union(*labels) - _qualifying_labels(option)

    against = {id(o): resisted_by(o) for o in usable}
    built_on = {id(o): _qualifying_labels(o, specific_only=True) for o in usable}
    moved: set[int] = set()
    for option in usable:
        for label in sorted(against[id(option)]):
            overcoming = [p for p in usable if p is not option and label in built_on[id(p)]
                          and label not in against[id(p)]]
            if overcoming:
                moved.add(id(option))
                names = ", ".join(sorted({p.therapy for p in overcoming}))
                kind = "an option" if len(overcoming) == 1 else "options"
                _add(option.caveats, f"listed after {names}: {kind} for the {label} that resists this one")
    return frozenset(moved)


def _weigh_resistance(options: list[TherapyOption], rationale: dict[str, str]) -> list[TherapyOption]:
    """Set each resistance option of this tumour type against the sensitivity options sharing one of its drugs.

    - Another alteration of the tumour resists a drug of the option (afatinib for an EGFR exon 19 deletion when
      EGFR T790M is present): the option keeps its tier but carries a caveat and the resistance level, so the two
      are never read apart.
    - The alteration that qualifies an option for this tumour type is the one the resistance record names: it
      never "predicts resistance" to that option. A combination built around it (KRAS G12C: sotorasib +
      panitumumab, while KRAS G12C resists panitumumab alone) gets a note on why the combination exists; the same
      drugs for the same alteration is a conflict between records, said as such. An option carried over from
      another tumour type gets the caveat and level instead: resistance evidence in this tumour type outweighs it
      (vemurafenib from the melanoma labels for a BRAF V600E colorectal cancer).
    - A resistance record naming the alteration specifically suppresses a sensitivity option for the same
      drug(s) that a broader class (``KIT activating``) inferred from that alteration alone (imatinib for KIT D816V
      mastocytosis); the resistance option says what it suppressed.
    - A resistance record's ``context`` requirements (``MatchedEvidence.context``) set the scene and resist
      nothing: an acquired MET amplification resists osimertinib in an EGFR-mutant tumour, and the EGFR exon 19
      deletion that record also requires is what the osimertinib option rests on, not a conflict.
    """
    resistant = [o for o in options if o.response == "resistant"]
    suppressed: set[int] = set()
    for option in options:
        if option.response != "sensitive":
            continue
        for other in resistant:
            shared = sorted(set(option.drugs) & set(other.drugs))
            if not shared:
                continue
            resisting = _resisting_labels(other)
            # What the option rests on; an alteration met only through a broad class ('KIT activating') does not
            # count against a record naming it specifically as resistant (KIT D816V).
            specific = all(_specific(m.requirement) for m in other.matched if not m.context)
            qualifying = {label for m in option.matched if not m.inferred and (_specific(m.requirement) or not specific)
                          for label in m.satisfied_by}
            drugs = ", ".join(shared)
            if set(shared) == set(option.drugs) and _only_by_broader_class(option, resisting, other):
                suppressed.add(id(option))
                generic = "; ".join(f"'{m.requirement}'" for m in option.matched if not _specific(m.requirement))
                other.caveats.append(
                    f"{option.therapy} ({option.record_id}, {', '.join(option.record_tumour_types)}) is not listed as "
                    f"an option: only the broader class {generic} pointed to it, and this record names "
                    f"{', '.join(sorted(resisting))} as resistant to {drugs}")
                break
            via_own = sorted(resisting & qualifying)
            if via_own and option.tumour_match == "other":
                # Evidence from another tumour type yields to resistance evidence in this one (vemurafenib from the
                # melanoma labels for a BRAF V600E colorectal cancer): a caveat with the level.
                _add(option.caveats, f"in this tumour type {', '.join(via_own)} predicts resistance to {drugs} "
                                     f"(Tier {other.tier}, {other.resistance_level}, {other.record_id}; see "
                                     f"Resistance): this option rests on evidence from "
                                     f"{', '.join(option.record_tumour_types)}")
                _raise_level(option, other)
            elif via_own and set(shared) < set(option.drugs):
                note = (f"why {drugs} here: {', '.join(via_own)} predicts resistance to {drugs} given alone "
                        f"({other.resistance_level}, {other.record_id}), but this combination is designed for "
                        f"{', '.join(via_own)}")
                reason = rationale.get(option.record_id)
                _add(option.caveats, f"{note}: {reason}" if reason else f"{note}, so that is no caveat here")
            elif via_own:
                _add(option.caveats, f"records conflict: {other.record_id} lists {', '.join(via_own)} as predicting "
                                     f"resistance to {drugs} in this tumour type; review both")
                _add(other.caveats, f"records conflict: {option.record_id} lists {', '.join(via_own)} as "
                                    f"qualifying for {option.therapy}; review both")
            others = sorted(resisting - qualifying)
            if others:
                _add(option.caveats, f"this tumour also carries {', '.join(others)}, which predicts resistance to "
                                     f"{drugs} (Tier {other.tier}, {other.resistance_level}, {other.record_id}; "
                                     "see Resistance)")
                _raise_level(option, other)
    return [o for o in options if id(o) not in suppressed]


def _raise_level(option: TherapyOption, resistance: TherapyOption) -> None:
    if _RESISTANCE_RANK[resistance.resistance_level] > _RESISTANCE_RANK[option.resistance_level]:
        option.resistance_level = resistance.resistance_level
    _add(option.resisted_by, resistance.record_id)


def _only_by_broader_class(option: TherapyOption, resisting: set[str], resistance: TherapyOption) -> bool:
    """The option rests on a generic class met only by alterations that a specific resistance record names."""
    if not resisting or not all(_specific(m.requirement) for m in resistance.matched):
        return False
    return any(not _specific(m.requirement) and not m.inferred and set(m.satisfied_by) <= resisting
               for m in option.matched)


def _add(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


#: Alteration classes broad enough to be met by a passenger variant (a VUS can be "a mutation").
_GENERIC_KINDS = frozenset({"mutation", "missense", "wildtype", "oncogenic", "activating", "truncating"})


@lru_cache(maxsize=4096)
def _specific(requirement: str) -> bool:
    """True when no alternative of a requirement (a pack's validated alteration text) is a generic gene or exon
    class: it names a change, codon, exon deletion/insertion/skipping, fusion, amplification..."""
    return not any(isinstance(alt, GeneClass | ExonClass) and alt.kind in _GENERIC_KINDS
                   for alt in parse_alteration(requirement).alternatives)


def _variant_label(variant: SomaticVariant) -> str:
    what = variant.protein_change or variant.hgvsc or variant.consequence
    return f"{variant.gene} {what}" + (" (germline)" if variant.origin == "germline" else "")


def _alterations(facts: TumourFacts, options: list[TherapyOption]) -> list[ReportedAlteration]:
    support: dict[str, list[TherapyOption]] = {}
    # An alteration an undecided requirement is about (a MET amplification of unknown level) lists the conditional
    # options but takes no tier from them: whether it meets them is the open question.
    undecided: dict[str, list[TherapyOption]] = {}
    for option in options:
        for item in option.matched:
            for label in item.satisfied_by:
                support.setdefault(label, []).append(option)
        for requirement in option.unknown_requirements:
            for label in requirement.concerns:
                undecided.setdefault(label, []).append(option)

    def actionable_driver(label: str) -> bool:
        """Named specifically (not by a generic class) by a Tier I/II sensitivity record."""
        return any(o.response == "sensitive" and TIER_ORDER[o.tier] <= TIER_ORDER["II-D"]
                   and any(label in item.satisfied_by and not item.inferred
                           and _specific(item.requirement) for item in o.matched)
                   for o in support.get(label, []))

    def tier_of(label: str) -> Tier:
        tiers = [o.tier for o in support.get(label, []) if o.response == "sensitive"] or \
                [o.tier for o in support.get(label, [])]
        return min(tiers, key=TIER_ORDER.__getitem__) if tiers else "III"

    out: list[ReportedAlteration] = []
    for gene, variants in facts.variants_by_gene.items():
        role = facts.genes.get(gene)
        for variant in variants:
            label = _variant_label(variant)
            out.append(ReportedAlteration(
                label=label, gene=gene, kind="variant", tier=tier_of(label),
                oncogenic=is_oncogenic_variant(variant, role) or actionable_driver(label),
                vaf=variant.vaf, depth=variant.depth,
                details={"consequence": variant.consequence, "origin": variant.origin, "source": variant.source},
                therapies=sorted({o.record_id for o in support.get(label, [])})))
    measured: dict[tuple[str, str], CopyNumberCall] = {(c.gene, c.call): c for c in facts.profile.copy_number}
    for gene, calls in facts.cna_by_gene.items():
        role = facts.genes.get(gene)
        for call in sorted(calls):
            label = f"{gene} {'amplification' if call == 'amplification' else 'deep deletion'}"
            oncogenic = (call == "amplification" and role is not None and role.role != "tumour_suppressor") or (
                call == "deep_deletion" and (role is None or role.role != "oncogene"))
            source = measured.get((gene, call))
            linked = support.get(label, []) + undecided.get(label, [])
            out.append(ReportedAlteration(label=label, gene=gene, kind="copy_number", tier=tier_of(label),
                                          oncogenic=oncogenic,
                                          copy_number=source.copy_number if source else None,
                                          log2_ratio=source.log2_ratio if source else None,
                                          details={"source": source.source} if source else {},
                                          therapies=sorted({o.record_id for o in linked})))
    for fusion in facts.profile.fusions:
        out.append(ReportedAlteration(
            label=fusion.description, gene=fusion.gene_a, kind="fusion", tier=tier_of(fusion.description),
            oncogenic=fusion.kind == "fusion", details={"partner": fusion.gene_b, "source": fusion.source},
            therapies=sorted({o.record_id for o in support.get(fusion.description, [])})))
    for name, reason in facts.signatures.items():
        if name in ("MSS", "pMMR", "HER2-negative", "ER-negative", "PR-negative"):
            continue
        out.append(ReportedAlteration(label=name, gene=None, kind="signature", tier=tier_of(reason), oncogenic=False,
                                      details={"basis": reason},
                                      therapies=sorted({o.record_id for o in support.get(reason, [])})))
    out.sort(key=lambda a: (TIER_ORDER[a.tier], not a.oncogenic, a.label))
    return out


def _immunotherapy(facts: TumourFacts, tmb: TmbResult | None, options: list[TherapyOption]) -> ImmunotherapySummary:
    clinical = facts.profile.clinical
    mmr_alterations = [f"{_variant_label(v)}" for gene, role in facts.genes.items() if role.mmr
                       for v in facts.variants_by_gene.get(gene, [])]
    mmr_alterations += [f"{gene} deep deletion" for gene, role in facts.genes.items()
                        if role.mmr and "deep_deletion" in facts.cna_by_gene.get(gene, set())]
    polymerase = []
    for gene, (low, high) in POLYMERASE_EXONUCLEASE_CODONS.items():
        for variant in facts.variants_by_gene.get(gene, []):
            position = _codon(variant.protein_change)
            if variant.consequence == "missense" and position is not None and low <= position <= high:
                polymerase.append(f"{_variant_label(variant)} (exonuclease domain)")
    findings = []
    if tmb is not None:
        findings.append(f"TMB {tmb.tmb:.1f} mut/Mb (95% CI {tmb.ci95_low:.1f}-{tmb.ci95_high:.1f}; "
                        f"{tmb.eligible_mutations} mutations over {tmb.callable_mb:g} Mb): "
                        f"{'high' if tmb.high else 'not high'} at {tmb.threshold:g} mut/Mb")
    if clinical.tmb is not None:
        findings.append(f"TMB reported by the laboratory: {clinical.tmb:g} mut/Mb (used for matching)")
    if "MSI-H" in facts.signatures or "dMMR" in facts.signatures:
        findings.append("; ".join(facts.signatures[k] for k in ("MSI-H", "dMMR") if k in facts.signatures))
    elif mmr_alterations:
        findings.append(f"MMR-gene alterations without evidence of biallelic loss ({', '.join(mmr_alterations)}): "
                        "MSI/MMR testing advised")
    if polymerase:
        findings.append(f"polymerase proofreading mutation: {', '.join(polymerase)}; associated with an ultramutated "
                        "phenotype and checkpoint-inhibitor response (investigational)")
    for scale, score in sorted(clinical.pdl1.items()):
        findings.append(f"PD-L1 {scale} {score:g}")
    return ImmunotherapySummary(
        tmb=tmb, tmb_reported=clinical.tmb, msi_status=clinical.msi_status,
        mmr_status=clinical.mmr_status or ("dMMR (inferred)" if "dMMR" in facts.inferred_signatures else None),
        mmr_gene_alterations=mmr_alterations,
        mmr_inference=facts.signatures.get("dMMR") if "dMMR" in facts.inferred_signatures else None,
        polymerase_mutations=polymerase, pdl1=dict(clinical.pdl1), findings=findings,
        checkpoint_options=[o.record_id for o in options if CHECKPOINT_INHIBITORS & set(o.drugs)])


def _codon(protein_change: str | None) -> int | None:
    digits = ""
    for char in (protein_change or "")[1:]:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None


def _untested_warning(untested: dict[str, list[str]]) -> Warning:
    """One line naming the statuses the inputs leave out and how many options of this tumour type rest on each."""
    groups: dict[str, set[str]] = {}
    for missing, therapies in untested.items():
        group = ("ER/PR status" if missing.startswith(("ER", "PR")) else
                 "HER2 status" if missing.startswith("HER2") else missing.split(" not ")[0])
        groups.setdefault(group, set()).update(therapies)
    # A few therapies are named (a protein marker or HLA type points to one or two); many are counted.
    listed = ", ".join(f"{group} ({len(therapies)}" + (f": {'; '.join(sorted(therapies))})" if len(therapies) <= 3
                                                        else ")") for group, therapies in sorted(groups.items()))
    return Warning(code="status_not_given", severity="info", message=(
        f"Not listed: options for this tumour type that rest only on a status not given here, by status (number of "
        f"therapies): {listed}. Give the results (--clinical) to have them checked."))


def marker_statements(clinical: ClinicalBiomarkers) -> list[str]:
    """The protein (IHC) and HLA markers given, as plain statements for the report.

    >>> marker_statements(ClinicalBiomarkers(ihc={"FOLR1": {"2+": 80}}, hla=["A*02:01", "A*24:02"]))
    ['FOLR1 IHC: 80% of tumour cells at 2+ or stronger', 'HLA typing: A*02:01, A*24:02']
    """
    statements = [f"{marker} IHC: " + ", ".join(f"{scores[i]:g}% of tumour cells at {i} or stronger"
                                                  for i in IHC_INTENSITIES if i in scores)
                  for marker, scores in sorted(clinical.ihc.items())]
    if clinical.hla:
        statements.append(f"HLA typing: {', '.join(clinical.hla)}")
    return statements


def interpret_tumour(profile: TumourProfile, knowledge: OncoKnowledge, tree: TumourTypeTree, *,
                     tumour_type_name: str, provenance: Provenance, tmb: TmbResult | None = None,
                     match_trials: Callable[[TumourFacts], Sequence[TrialMatch]] | None = None,
                     warnings: Sequence[Warning] = ()) -> OncoResult:
    """Interpret one tumour: alterations, therapy options, immunotherapy biomarkers, trials."""
    facts = build_facts(profile, knowledge.genes, computed_tmb=tmb.tmb if tmb else None,
                        tmb_threshold=tmb.threshold if tmb else 10.0)
    untested: dict[str, list[str]] = {}
    options = find_therapy_options(facts, knowledge, tree, untested)
    if untested:
        warnings = [*warnings, _untested_warning(untested)]
    counts = {"variants": len(profile.variants),
              "protein_altering": sum(len(v) for v in facts.variants_by_gene.values()),
              "copy_number_calls": len(profile.copy_number), "fusions": len(profile.fusions)}
    return OncoResult(
        sample_id=profile.sample_id, tumour_type=profile.tumour_type, tumour_type_name=tumour_type_name,
        alterations=_alterations(facts, options), therapies=options,
        immunotherapy=_immunotherapy(facts, tmb, options),
        trials=list(match_trials(facts)) if match_trials else [], markers=marker_statements(profile.clinical),
        disease_setting=profile.clinical.disease_setting,
        input_counts=counts, warnings=list(warnings),
        provenance=provenance)
