"""Does a tumour carry an alteration pattern?  The semantics of the alteration language.

- Exact protein change: the variant's normalised one-letter change equals the pattern's (``V600E``).
- Codon (``KRAS G12``): any protein-altering change whose first residue and position are ``G12``.
- Exon classes use the exon number from the annotation (VEP ``EXON``, MAF ``Exon_Number``); when absent, the
  codon range of that exon from the pack's ``genes.yaml`` (``exon_codons``). ``deletion`` = in-frame deletion
  (deletion-insertions with net loss included), ``insertion`` = in-frame insertion or duplication,
  ``skipping`` (MET exon 14) = a splice-site change in the exon or its flanking introns, a deletion there, or
  a fusion/SV reported as exon-14 skipping.
- ``truncating``: nonsense, frameshift, canonical splice-site, start-lost.
- ``oncogenic``: truncating or deep deletion in a tumour suppressor (or a gene of unknown role), a hotspot from
  ``genes.yaml``, or a variant the input marks pathogenic/likely pathogenic (ClinVar CLIN_SIG).
- ``wildtype``: no protein-altering variant, fusion or amplification/deep deletion of the gene in the
  input. Satisfied *by inference* (the panel may not cover the gene), which the result says.
- Signatures come from the clinical biomarkers and the computed TMB; dMMR is also inferred from
  biallelic (two hits, or one hit at VAF >= 0.8, or a deep deletion) inactivation of an MMR gene.
- IHC markers (``FOLR1 IHC 2+ >= 75%``): the percentage of tumour cells staining at that intensity or stronger.
  A percentage given at a stronger intensity is a lower bound (80% at 3+ means at least 80% at 2+ or stronger),
  one at a weaker intensity an upper bound; a marker not given, or bounds that do not decide, leave the
  requirement undecided (:func:`marker_undecided`), never met.
- HLA (``HLA-A*02:01``, ``not HLA-A*02:05P``): the patient's typing (:func:`tailormed.model.hla.carries`). Absence
  is known only when both alleles of the locus are typed (a homozygous allele listed twice) and neither can be the
  required one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tailormed.kb.onco import GeneRole
from tailormed.model.alterations import (
    IHC_INTENSITIES,
    AlterationPattern,
    CopyNumberLevel,
    ExonClass,
    FusionPair,
    GeneClass,
    HlaPattern,
    ProteinChange,
    ScoredMarker,
    Signature,
    SinglePattern,
    ihc_key,
    normalise_protein_change,
)
from tailormed.model.hla import carries, parse_hla_allele
from tailormed.model.onco import (
    PROTEIN_ALTERING,
    TRUNCATING,
    ClinicalBiomarkers,
    MatchedEvidence,
    SomaticVariant,
    TumourProfile,
)

TMB_HIGH = 10.0
_PATHOGENIC = ("pathogenic", "likely_pathogenic", "likely pathogenic", "oncogenic", "likely oncogenic")
_PROTEIN_START = re.compile(r"^([A-Z*])(\d+)")


@dataclass
class TumourFacts:
    """A tumour profile indexed for matching, plus derived signatures."""

    profile: TumourProfile
    genes: dict[str, GeneRole]
    variants_by_gene: dict[str, list[SomaticVariant]] = field(default_factory=dict)
    cna_by_gene: dict[str, set[str]] = field(default_factory=dict)
    fusion_genes: dict[str, list[str]] = field(default_factory=dict)
    fusion_pairs: dict[frozenset[str], list[str]] = field(default_factory=dict)
    rearranged_genes: dict[str, list[str]] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    inferred_signatures: set[str] = field(default_factory=set)
    tmb: float | None = None

    @property
    def altered_genes(self) -> set[str]:
        """Genes with any protein-altering variant, fusion, rearrangement or copy-number call."""
        return set(self.variants_by_gene) | set(self.cna_by_gene) | set(self.rearranged_genes)


def build_facts(profile: TumourProfile, genes: dict[str, GeneRole], *, computed_tmb: float | None = None,
                tmb_threshold: float = TMB_HIGH) -> TumourFacts:
    """Index a profile and derive its signatures (MSI, MMR, TMB, HER2, hormone receptors, HRD)."""
    facts = TumourFacts(profile=profile, genes=genes)
    for variant in profile.variants:
        if variant.consequence in PROTEIN_ALTERING:
            facts.variants_by_gene.setdefault(variant.gene, []).append(variant)
    for call in profile.copy_number:
        if call.call in ("amplification", "deep_deletion"):
            facts.cna_by_gene.setdefault(call.gene, set()).add(call.call)
    for fusion in profile.fusions:
        genes_involved = [g for g in (fusion.gene_a, fusion.gene_b) if g]
        for gene in genes_involved:
            facts.rearranged_genes.setdefault(gene, []).append(fusion.description)
        if fusion.kind == "fusion" and fusion.gene_b:
            for gene in genes_involved:
                facts.fusion_genes.setdefault(gene, []).append(fusion.description)
            facts.fusion_pairs.setdefault(frozenset((fusion.gene_a, fusion.gene_b)), []).append(fusion.description)
    facts.tmb = profile.clinical.tmb if profile.clinical.tmb is not None else computed_tmb
    _derive_signatures(facts, tmb_threshold)
    return facts


def _derive_signatures(facts: TumourFacts, tmb_threshold: float) -> None:
    clinical = facts.profile.clinical
    add = facts.signatures.__setitem__
    if clinical.msi_status == "MSI-H":
        add("MSI-H", "MSI-H (reported)")
    elif clinical.msi_status in ("MSS", "MSI-L"):
        add("MSS", f"{clinical.msi_status} (reported)")
    if clinical.mmr_status == "dMMR":
        add("dMMR", "dMMR (reported)")
    elif clinical.mmr_status == "pMMR":
        add("pMMR", "pMMR (reported)")
    elif clinical.mmr_status is None:
        inference = biallelic_mmr_inactivation(facts)
        if inference:
            add("dMMR", inference)
            facts.inferred_signatures.add("dMMR")
    if facts.tmb is not None and facts.tmb >= tmb_threshold:
        add("TMB-H", f"TMB {facts.tmb:.1f} mut/Mb >= {tmb_threshold:g}")
    _her2(facts)
    for receptor, value in (("ER", clinical.er), ("PR", clinical.pr)):
        if value == "positive":
            add(f"{receptor}-positive", f"{receptor} positive (reported)")
            add("HR-positive", f"{receptor} positive (reported)")
    if clinical.er == "negative":
        add("ER-negative", "ER negative (reported)")
    if clinical.pr == "negative":
        add("PR-negative", "PR negative (reported)")
    if clinical.hrd == "positive":
        add("HRD", "HRD positive (reported)")


def _her2(facts: TumourFacts) -> None:
    clinical = facts.profile.clinical
    amplified = "amplification" in facts.cna_by_gene.get("ERBB2", set())
    ihc, ish = clinical.her2_ihc, clinical.her2_ish
    if ihc == "3+" or (ihc == "2+" and ish == "amplified") or amplified or (ihc is None and ish == "amplified"):
        reason = f"HER2 IHC {ihc}" if ihc == "3+" else "ERBB2 amplification" if amplified else "HER2 ISH amplified"
        facts.signatures["HER2-positive"] = reason
        if ihc == "3+":
            facts.signatures["HER2 IHC 3+"] = "HER2 IHC 3+ (reported)"
        return
    if ihc == "2+" and ish is None:
        return  # equivocal (ASCO/CAP): positive, low or negative only once ISH is known; see _missing_status
    if ihc in ("1+", "2+"):
        facts.signatures["HER2-low"] = f"HER2 IHC {ihc}" + (", ISH not amplified" if ish else "")
    if ihc == "0-ultralow":
        facts.signatures["HER2-ultralow"] = "HER2 IHC 0 with faint staining (ultralow)"
    if ihc is not None:
        facts.signatures["HER2-negative"] = f"HER2 IHC {ihc}" + (", ISH not amplified" if ish else "")


def _hits(variant: SomaticVariant, role: GeneRole | None) -> bool:
    return variant.consequence in TRUNCATING or is_oncogenic_variant(variant, role)


def biallelic_mmr_inactivation(facts: TumourFacts) -> str | None:
    """Describe biallelic loss of an MMR gene, or None: two damaging hits, one at VAF >= 0.8, or deep deletion."""
    for gene, role in facts.genes.items():
        if not role.mmr:
            continue
        damaging = [v for v in facts.variants_by_gene.get(gene, []) if _hits(v, role)]
        deleted = "deep_deletion" in facts.cna_by_gene.get(gene, set())
        high_vaf = [v for v in damaging if v.vaf is not None and v.vaf >= 0.8]
        if deleted or len(damaging) >= 2 or high_vaf:
            what = "deep deletion" if deleted else ", ".join(v.protein_change or v.consequence for v in damaging)
            return f"dMMR inferred from biallelic {gene} inactivation ({what}); confirm with MMR IHC or MSI testing"
    return None


def is_oncogenic_variant(variant: SomaticVariant, role: GeneRole | None) -> bool:
    """Hotspot, pathogenic by the input, or truncating in a gene that is not purely an oncogene."""
    significance = (variant.clinical_significance or "").lower()
    if any(term in significance for term in _PATHOGENIC) and "conflicting" not in significance:
        return True
    if role is not None and variant.protein_change:
        for hotspot in role.hotspots:
            if _protein_matches(variant.protein_change, normalise_protein_change(hotspot)):
                return True
    if variant.consequence in TRUNCATING:
        return role is None or role.role != "oncogene"
    return False


def _protein_matches(change: str, pattern: str) -> bool:
    """Exact change, or codon pattern (``G12``) against the change's first residue and position."""
    if change == pattern:
        return True
    start = _PROTEIN_START.match(change)
    if start is None:
        return False
    return pattern == f"{start.group(1)}{start.group(2)}" and change[len(pattern):] not in ("", "=")


def _variant_label(variant: SomaticVariant) -> str:
    what = variant.protein_change or variant.hgvsc or variant.consequence
    origin = " (germline)" if variant.origin == "germline" else ""
    return f"{variant.gene} {what}{origin}"


def _origin_ok(variant: SomaticVariant, origin: str) -> bool:
    return origin == "any" or variant.origin == origin


def _in_exon(variant: SomaticVariant, exon: int, role: GeneRole | None) -> bool:
    if variant.exon is not None:
        return variant.exon == exon
    if role is None or exon not in role.exon_codons or not variant.protein_change:
        return False
    start = _PROTEIN_START.match(variant.protein_change)
    if not start:
        return False
    low, high = role.exon_codons[exon]
    return low <= int(start.group(2)) <= high


def _exon_class(pattern: ExonClass, facts: TumourFacts) -> list[str]:
    role = facts.genes.get(pattern.gene)
    found = []
    for variant in facts.variants_by_gene.get(pattern.gene, []):
        if not _origin_ok(variant, pattern.origin):
            continue
        change = variant.protein_change or ""
        if pattern.kind == "skipping":
            near = variant.exon == pattern.exon or variant.intron in (pattern.exon - 1, pattern.exon) or \
                _in_exon(variant, pattern.exon, role) or change.endswith("_splice")
            ok = near and variant.consequence in ("splice_site", "inframe_deletion", "splice_region")
        elif not _in_exon(variant, pattern.exon, role):
            ok = False
        elif pattern.kind == "deletion":
            ok = variant.consequence == "inframe_deletion" or ("delins" in change and variant.consequence.startswith(
                "inframe"))
        elif pattern.kind == "insertion":
            ok = variant.consequence == "inframe_insertion" or change.endswith("dup")
        elif pattern.kind == "missense":
            ok = variant.consequence == "missense"
        else:
            ok = True
        if ok:
            found.append(_variant_label(variant))
    if pattern.kind == "skipping":
        found += [d for d in facts.rearranged_genes.get(pattern.gene, []) if f"exon {pattern.exon}" in d.lower()
                  or f"ex{pattern.exon}" in d.lower()]
    return found


def _gene_class(pattern: GeneClass, facts: TumourFacts) -> tuple[list[str], bool]:
    gene, kind = pattern.gene, pattern.kind
    role = facts.genes.get(gene)
    variants = [v for v in facts.variants_by_gene.get(gene, []) if _origin_ok(v, pattern.origin)]
    cna = facts.cna_by_gene.get(gene, set())
    somatic_ok = pattern.origin != "germline"
    if kind == "mutation":
        return [_variant_label(v) for v in variants], False
    if kind == "missense":
        return [_variant_label(v) for v in variants if v.consequence == "missense"], False
    if kind == "truncating":
        return [_variant_label(v) for v in variants if v.consequence in TRUNCATING], False
    if kind == "oncogenic":
        found = [_variant_label(v) for v in variants if is_oncogenic_variant(v, role)]
        if somatic_ok and "deep_deletion" in cna and (role is None or role.role != "oncogene"):
            found.append(f"{gene} deep deletion")
        return found, False
    if kind == "activating":
        return [_variant_label(v) for v in variants if is_oncogenic_variant(v, role)
                and v.consequence not in TRUNCATING], False
    if kind == "ITD":
        return [_variant_label(v) for v in variants if v.consequence == "inframe_insertion"
                or (v.protein_change or "").endswith("dup") or "ins" in (v.protein_change or "")], False
    if kind == "fusion":
        return (list(facts.fusion_genes.get(gene, [])) if somatic_ok else []), False
    if kind == "rearrangement":
        return (list(facts.rearranged_genes.get(gene, [])) if somatic_ok else []), False
    if kind == "amplification":
        return ([f"{gene} amplification"] if "amplification" in cna and somatic_ok else []), False
    if kind == "deletion":
        return ([f"{gene} deep deletion"] if "deep_deletion" in cna and somatic_ok else []), False
    # wildtype
    if gene in facts.altered_genes:
        return [], False
    return [f"no alteration of {gene} reported"], True


def match_single(pattern: SinglePattern, facts: TumourFacts) -> tuple[list[str], bool]:
    """What in the tumour satisfies one alternative (empty list: not satisfied), and whether by inference."""
    if isinstance(pattern, ProteinChange):
        return [_variant_label(v) for v in facts.variants_by_gene.get(pattern.gene, [])
                if _origin_ok(v, pattern.origin) and v.protein_change
                and _protein_matches(v.protein_change, pattern.change)], False
    if isinstance(pattern, ExonClass):
        return _exon_class(pattern, facts), False
    if isinstance(pattern, GeneClass):
        return _gene_class(pattern, facts)
    if isinstance(pattern, FusionPair):
        return list(facts.fusion_pairs.get(frozenset((pattern.gene_a, pattern.gene_b)), [])), False
    if isinstance(pattern, Signature):
        reason = facts.signatures.get(pattern.name)
        return ([reason] if reason else []), pattern.name in facts.inferred_signatures
    if isinstance(pattern, HlaPattern):
        met, text = hla_status(pattern, facts.profile.clinical)
        return ([text] if met else []), False
    if isinstance(pattern, CopyNumberLevel):
        met, _ = copy_number_level(pattern, facts.profile)
        return ([f"{pattern.gene} amplification"] if met else []), False
    assert isinstance(pattern, ScoredMarker)
    if pattern.is_ihc:
        met, text = ihc_status(pattern, facts.profile.clinical)
        return ([text] if met else []), False
    score = facts.profile.clinical.pdl1.get(pattern.scale)
    if score is not None and score >= pattern.minimum:
        return [f"PD-L1 {pattern.scale} {score:g}"], False
    return [], False


def ihc_status(pattern: ScoredMarker, clinical: ClinicalBiomarkers) -> tuple[bool | None, str]:
    """Whether an IHC requirement holds (True, False, None: not decided by what was given) and what says so.

    >>> marker = ScoredMarker("FOLR1", "2+", 75)
    >>> ihc_status(marker, ClinicalBiomarkers(ihc={"FOLR1": {"3+": 80}}))
    (True, 'FOLR1 IHC: 80% of tumour cells at 3+ or stronger (so at least 80% at 2+ or stronger)')
    >>> ihc_status(marker, ClinicalBiomarkers(ihc={"FOLR1": {"1+": 60}}))
    (False, 'FOLR1 IHC: 60% of tumour cells at 1+ or stronger')
    >>> ihc_status(marker, ClinicalBiomarkers())
    (None, 'FOLR1 IHC not given (folr1_ihc_2plus)')
    """
    scores = clinical.ihc.get(pattern.marker, {})
    level = IHC_INTENSITIES.index(pattern.scale)
    stronger = [(scores[i], i) for i in IHC_INTENSITIES[level:] if i in scores]
    weaker = [(scores[i], i) for i in IHC_INTENSITIES[: level + 1] if i in scores]
    if stronger:
        low, at = max(stronger)
        if low >= pattern.minimum:
            bound = "" if at == pattern.scale else f" (so at least {low:g}% at {pattern.scale} or stronger)"
            return True, f"{pattern.marker} IHC: {low:g}% of tumour cells at {at} or stronger{bound}"
    if weaker:
        high, at = min(weaker)
        if high < pattern.minimum:
            return False, f"{pattern.marker} IHC: {high:g}% of tumour cells at {at} or stronger"
    key = ihc_key(pattern.marker, pattern.scale)
    if not scores:
        return None, f"{pattern.marker} IHC not given ({key})"
    given = ", ".join(f"{scores[i]:g}% at {i}" for i in IHC_INTENSITIES if i in scores)
    return None, f"{pattern.marker} IHC at {pattern.scale} or stronger not given ({key}; given: {given})"


def copy_number_level(pattern: CopyNumberLevel, profile: TumourProfile) -> tuple[bool | None, str]:
    """Whether the tumour carries an amplification of the gene with at least ``pattern.minimum_copies`` copies
    (True, False, None: an amplification is reported but its level cannot be told) and what says so.

    The absolute copy number decides when the input gives it. A log2 ratio alone decides only upwards:
    ``2 * 2**log2`` is the copy number of a diploid tumour at 100% purity, and impurity or a higher ploidy only
    lowers the ratio a given copy number produces, so it is a lower bound. A call without numbers (a discrete
    GISTIC +2, ``call: amplification``) cannot tell, and is not over-called: the requirement stays undecided.

    >>> from tailormed.model.onco import CopyNumberCall
    >>> level = CopyNumberLevel("MET", 10)
    >>> def tumour(**call): return TumourProfile(sample_id="T", tumour_type="LUAD", copy_number=[
    ...     CopyNumberCall(gene="MET", call="amplification", source="cna.tsv:2", **call)])
    >>> copy_number_level(level, tumour(copy_number=12))
    (True, 'MET amplification: 12 copies (at least 10)')
    >>> copy_number_level(level, tumour(copy_number=7))[0]
    False
    >>> copy_number_level(level, tumour())
    (None, 'MET amplification reported without a copy number: whether it reaches 10 copies is not known')
    """
    gene, wanted = pattern.gene, pattern.minimum_copies
    calls = [c for c in profile.copy_number if c.gene == gene and c.call == "amplification"]
    if not calls:
        return False, f"no {gene} amplification reported"
    counted = [c.copy_number for c in calls if c.copy_number is not None]
    if counted:
        copies = max(counted)
        if copies >= wanted:
            return True, f"{gene} amplification: {copies:g} copies (at least {wanted:g})"
        return False, f"{gene} amplification: {copies:g} copies (below {wanted:g})"
    ratios = [c.log2_ratio for c in calls if c.log2_ratio is not None]
    if ratios:
        bound = 2 * 2 ** max(ratios)
        if bound >= wanted:
            return True, (f"{gene} amplification: log2 ratio {max(ratios):+.2f}, at least {bound:.1f} copies "
                          f"(at least {wanted:g})")
        return None, (f"{gene} amplification reported as log2 ratio {max(ratios):+.2f} (at least {bound:.1f} copies "
                      f"at 100% tumour purity) without an absolute copy number: whether it reaches {wanted:g} "
                      "copies is not known")
    return None, (f"{gene} amplification reported without a copy number: whether it reaches {wanted:g} copies is "
                  "not known")


def hla_status(pattern: HlaPattern, clinical: ClinicalBiomarkers) -> tuple[bool | None, str]:
    """Whether an HLA requirement holds for the patient's typing (True, False, None: the typing cannot tell) and
    what says so.

    >>> from tailormed.model.alterations import parse_alteration
    >>> a0201 = parse_alteration("HLA-A*02:01").alternatives[0]
    >>> hla_status(a0201, ClinicalBiomarkers(hla=["A*03:01", "A*24:02"]))
    (False, 'HLA-A typed A*03:01, A*24:02: no HLA-A*02:01')
    >>> hla_status(a0201, ClinicalBiomarkers(hla=["A*03:01"]))[0] is None
    True
    """
    assert isinstance(pattern, HlaPattern)
    wanted, locus = pattern.allele, pattern.allele.locus
    typed = [parse_hla_allele(name) for name in clinical.hla]
    at_locus = [allele for allele in typed if allele.locus == locus]
    verdicts = [carries(wanted, allele) for allele in at_locus]
    names = ", ".join(allele.name for allele in at_locus)
    carried = [allele.name for allele, verdict in zip(at_locus, verdicts, strict=True) if verdict]
    present: bool | None
    if carried:
        present, text = True, f"HLA-{wanted.name} (typed {', '.join(carried)})"
    elif len(at_locus) == 2 and not any(verdict is None for verdict in verdicts):
        present, text = False, f"HLA-{locus} typed {names}: no HLA-{wanted.name}"
    elif not at_locus:
        present, text = None, f"HLA-{locus} typing not given (hla)"
    elif len(at_locus) == 1:
        present, text = None, (f"HLA-{locus} typing lists one allele ({names}): give both (a homozygous allele "
                               "twice) to tell whether HLA-" + wanted.name + " is absent")
    else:
        present, text = None, (f"HLA-{locus} typed {names}: cannot tell whether this is HLA-{wanted.name} "
                               "(typing resolution, expression or P-group membership); confirm with the test the "
                               "label names")
    if pattern.present:
        return present, text
    if present is None:
        return None, text
    return (not present), (f"no HLA-{wanted.name} (HLA-{locus} typed {names})" if not present else
                           f"HLA-{wanted.name} present (typed {', '.join(carried)})")


def marker_undecided(alternative: SinglePattern, clinical: ClinicalBiomarkers) -> str | None:
    """For an IHC or HLA requirement the inputs do not decide: why (a marker not given, a typing that cannot
    tell). None for a decided one and for every other kind of requirement."""
    if isinstance(alternative, HlaPattern):
        met, text = hla_status(alternative, clinical)
    elif isinstance(alternative, ScoredMarker) and alternative.is_ihc:
        met, text = ihc_status(alternative, clinical)
    else:
        return None
    return text if met is None else None


_MMR_SIGNATURES = frozenset({"MSI-H", "MSS", "dMMR", "pMMR"})
_HER2_IHC_SIGNATURES = frozenset({"HER2-low", "HER2-ultralow", "HER2-negative", "HER2 IHC 3+"})


def _missing_status(alternative: SinglePattern, facts: TumourFacts) -> str | None:
    """For an alternative the tumour does not meet: the status the inputs leave untold (None: known not met)."""
    clinical = facts.profile.clinical
    if isinstance(alternative, HlaPattern) or (isinstance(alternative, ScoredMarker) and alternative.is_ihc):
        return marker_undecided(alternative, clinical)
    if isinstance(alternative, CopyNumberLevel):
        met, text = copy_number_level(alternative, facts.profile)
        return text if met is None else None
    if isinstance(alternative, ScoredMarker):
        # A laboratory that reports some PD-L1 score reports the one it measured: other scales then count as unmet.
        return None if clinical.pdl1 else "PD-L1 score not given"
    if not isinstance(alternative, Signature):
        return None
    name = alternative.name
    if name in _MMR_SIGNATURES:
        # MSI and MMR testing answer the same question (concordant in > 90% of tumours); either one decides both.
        untested = clinical.msi_status is None and clinical.mmr_status is None and "dMMR" not in facts.signatures
        return "MSI/MMR status not given" if untested else None
    if name == "TMB-H":
        return "TMB not given (no callable territory, no laboratory TMB)" if facts.tmb is None else None
    if name == "HRD":
        return "HRD status not given" if clinical.hrd is None else None
    her2_positive = "HER2-positive" in facts.signatures
    equivocal = clinical.her2_ihc == "2+" and clinical.her2_ish is None and not her2_positive
    if equivocal and (name == "HER2-positive" or name in _HER2_IHC_SIGNATURES - {"HER2 IHC 3+"}):
        return "HER2 IHC 2+ is equivocal: the ISH result is not given"
    if name == "HER2-positive":
        return "HER2 status (IHC/ISH) not given" if clinical.her2_ihc is None and clinical.her2_ish is None else None
    if name in _HER2_IHC_SIGNATURES:
        return "HER2 IHC score not given" if clinical.her2_ihc is None and not her2_positive else None
    receptors = {"ER": clinical.er, "PR": clinical.pr}
    if name == "HR-positive":
        untold = [receptor for receptor, value in receptors.items() if value is None]
        return f"{'/'.join(untold)} status not given" if untold else None
    for receptor, value in receptors.items():
        if name.startswith(f"{receptor}-"):
            return f"{receptor} status not given" if value is None else None
    return None


def unknown_status(pattern: AlterationPattern, facts: TumourFacts) -> str | None:
    """For a requirement the tumour does not meet: which status the inputs do not give (a receptor, HER2, PD-L1,
    MSI/MMR, TMB, HRD status, an IHC marker, an HLA typing that cannot tell, or the level of a reported
    amplification), so that the requirement may yet be met; None when it is known not to be met.

    Only tumour-level assays can be unknown this way: a variant, fusion or copy-number change that the input does
    not report counts as absent, as everywhere else.
    """
    missing = [m for alt in pattern.alternatives if (m := _missing_status(alt, facts)) is not None]
    return "; ".join(dict.fromkeys(missing)) if missing else None


def undecided_findings(pattern: AlterationPattern, facts: TumourFacts) -> list[str]:
    """What the tumour carries that an undecided requirement is about: an amplification whose level the input does
    not give (``MET amplification >= 10 copies`` with a MET amplification reported without copy number) points to
    the record although it cannot yet be said to meet it."""
    return [f"{alt.gene} amplification" for alt in pattern.alternatives
            if isinstance(alt, CopyNumberLevel) and copy_number_level(alt, facts.profile)[0] is None]


def match_pattern(pattern: AlterationPattern, facts: TumourFacts) -> MatchedEvidence | None:
    """What satisfies a requirement: every finding that meets one of its alternatives (a tumour with KRAS G12C and
    NRAS Q61K meets 'KRAS G12 | NRAS Q61' twice, and resistance caveats need both); else the first inference; else
    None."""
    findings: list[str] = []
    fallback: MatchedEvidence | None = None
    for alternative in pattern.alternatives:
        found, inferred = match_single(alternative, facts)
        if found and not inferred:
            findings += [label for label in found if label not in findings]
        elif found and fallback is None:
            fallback = MatchedEvidence(requirement=pattern.text, satisfied_by=found, inferred=True)
    return MatchedEvidence(requirement=pattern.text, satisfied_by=findings) if findings else fallback
