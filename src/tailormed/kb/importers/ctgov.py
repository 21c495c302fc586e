"""ClinicalTrials.gov API v2 study JSON into TailorMed trials (``tailormed onco trials-import``).

Conditions are mapped through a small table of names to OncoTree codes; biomarkers come from the condition and
keyword fields and, by conservative patterns, from the Inclusion/Exclusion sections of the eligibility text.
What cannot be mapped is reported as warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from tailormed.documents import load_json
from tailormed.errors import InputError, first_validation_problem
from tailormed.model.alterations import (
    parse_alteration,
)
from tailormed.model.trials import Phase, Sex, Trial, TrialStatus, TumourTypeTree

# --------------------------------------------------------------------------- ClinicalTrials.gov import

_BUILTIN_GENE_TEXT = """
ABL1 AKT1 ALK APC AR ARID1A ARID2 ASXL1 ATM ATR BAP1 BARD1 BCL2 BCR BRAF BRCA1 BRCA2 BRIP1 BTK CALR CCND1 CDH1
CDK12 CDK4 CDK6 CDKN2A CHEK1 CHEK2 CTNNB1 DDR2 DNMT3A EGFR EPCAM ERBB2 ERBB3 ERBB4 ESR1 EZH2 FANCA FBXW7 FGFR1
FGFR2 FGFR3 FGFR4 FLT3 GNA11 GNAQ HRAS IDH1 IDH2 JAK2 KDR KEAP1 KIT KMT2A KRAS MAP2K1 MDM2 MET MLH1 MPL MSH2 MSH6
MTOR MYC NF1 NF2 NOTCH1 NPM1 NRAS NRG1 NTRK1 NTRK2 NTRK3 PALB2 PDGFRA PIK3CA PIK3R1 PMS2 POLD1 POLE PTEN RAD51B
RAD51C RAD51D RAF1 RB1 RET ROS1 RUNX1 SF3B1 SMAD4 SMARCA4 SMARCB1 SRSF2 STK11 TERT TET2 TP53 TSC1 TSC2 U2AF1 VHL
"""
BUILTIN_CANCER_GENES = frozenset(_BUILTIN_GENE_TEXT.split())
"""Common cancer genes whose symbols the importer accepts (with the onco-core pack's ``genes.yaml`` when present)."""
GENE_ALIASES: dict[str, tuple[str, ...]] = {
    "HER2": ("ERBB2",), "HER-2": ("ERBB2",), "HER3": ("ERBB3",), "c-MET": ("MET",), "c-KIT": ("KIT",),
    "NTRK": ("NTRK1", "NTRK2", "NTRK3"), "NTRK1/2/3": ("NTRK1", "NTRK2", "NTRK3"),
    "NTRK1-3": ("NTRK1", "NTRK2", "NTRK3"),
}
PACK_GENES = Path(__file__).resolve().parents[1] / "data" / "onco-core" / "genes.yaml"

CONDITION_CODES: tuple[tuple[str, str], ...] = (
    # phrase in the normalised condition name -> OncoTree code; the longest phrase found wins
    ("non small cell lung", "NSCLC"), ("nsclc", "NSCLC"), ("lung adenocarcinoma", "LUAD"),
    ("adenocarcinoma of the lung", "LUAD"), ("lung squamous cell", "LUSC"), ("squamous cell lung", "LUSC"),
    ("squamous non small cell lung", "LUSC"), ("small cell lung", "SCLC"), ("sclc", "SCLC"), ("lung cancer", "LUNG"),
    ("lung carcinoma", "LUNG"), ("lung neoplasm", "LUNG"),
    ("colorectal", "COADREAD"), ("crc", "COADREAD"), ("mcrc", "COADREAD"), ("colon cancer", "COAD"),
    ("colon adenocarcinoma", "COAD"), ("colon carcinoma", "COAD"), ("rectal cancer", "READ"),
    ("rectal adenocarcinoma", "READ"),
    ("breast", "BRCA"),
    ("melanoma", "MEL"), ("cutaneous melanoma", "SKCM"), ("uveal melanoma", "UM"),
    ("pancreatic cancer", "PANCREAS"), ("pancreatic neoplasm", "PANCREAS"), ("pancreatic adenocarcinoma", "PAAD"),
    ("pancreatic ductal adenocarcinoma", "PAAD"), ("pdac", "PAAD"),
    ("thyroid cancer", "THYROID"), ("thyroid carcinoma", "THYROID"), ("papillary thyroid", "THPA"),
    ("anaplastic thyroid", "THAP"), ("medullary thyroid", "THME"),
    ("prostate cancer", "PRAD"), ("prostate adenocarcinoma", "PRAD"), ("prostatic neoplasm", "PRAD"),
    ("crpc", "PRAD"), ("mcrpc", "PRAD"),
    ("ovarian cancer", "OVARY"), ("ovarian carcinoma", "OVARY"), ("ovarian neoplasm", "OVARY"),
    ("high grade serous", "HGSOC"),
    ("endometrial cancer", "UCEC"), ("endometrial carcinoma", "UCEC"),
    ("gastric cancer", "STAD"), ("gastric adenocarcinoma", "STAD"), ("stomach cancer", "STAD"),
    ("gastroesophageal junction", "STOMACH"), ("esophageal", "STOMACH"),
    ("cholangiocarcinoma", "CHOL"), ("biliary tract cancer", "BILIARY_TRACT"),
    ("bladder cancer", "BLCA"), ("urothelial", "BLADDER"),
    ("glioma", "BRAIN"), ("glioblastoma", "BRAIN"),
    ("head and neck squamous", "HNSC"), ("hnscc", "HNSC"), ("head and neck cancer", "HEAD_NECK"),
    ("renal cell", "RCC"), ("clear cell renal", "CCRCC"), ("hepatocellular", "HCC"),
    ("gastrointestinal stromal", "GIST"), ("gist", "GIST"),
    ("acute myeloid leukemia", "AML"), ("aml", "AML"),
    ("solid tumor", "SOLID"), ("solid neoplasm", "SOLID"), ("solid cancer", "SOLID"),
    ("solid malignancy", "SOLID"),
    ("hematologic malignancy", "HEME"), ("hematologic neoplasm", "HEME"), ("hematologic cancer", "HEME"),
)
"""Condition names (as written in ClinicalTrials.gov, normalised) to OncoTree codes; see docs/onco-trials.md."""

_NORMALISE = (
    (r"tumours?\b", "tumor"), (r"\btumors\b", "tumor"), (r"haemato", "hemato"), (r"leukaemia", "leukemia"),
    (r"oesophag", "esophag"), (r"\bhematological\b", "hematologic"), (r"\bcancers\b", "cancer"),
    (r"\bcarcinomas\b", "carcinoma"), (r"\bneoplasms\b", "neoplasm"), (r"\bmalignancies\b", "malignancy"),
    (r"\badenocarcinomas\b", "adenocarcinoma"), (r"\bgliomas\b", "glioma"),
)
_CTGOV_PHASE = {"EARLY_PHASE1": 0.5, "PHASE1": 1, "PHASE2": 2, "PHASE3": 3, "PHASE4": 4}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.I)
_AGE_UNIT_YEARS = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, "hour": 1 / 8766,
                   "minute": 1 / 525960}
_SECTION = re.compile(r"^\W*(?:key\s+|main\s+|general\s+)?(inclusion|exclusion)\s+criteria\b[^:]*:?\s*(.*)$", re.I)
_BULLET = re.compile(r"^\s*(?:[*\u2022\-\u2013+]|\d{1,2}[.)]|[a-z][.)])\s+")

# Biomarker phrases (conservative: a validated gene followed by an explicit alteration, or a named signature).
_EXON_ITEM = re.compile(r"(?:exon|ex)\s*(\d{1,2})\s*-?\s*(deletions?|del|insertions?|ins|skipping|skip)"
                        r"(?![A-Za-z0-9])", re.I)
_AA = "ACDEFGHIKLMNPQRSTVWY"
_PROTEIN_ITEM = re.compile(rf"(?:p\.)?\(?((?:[{_AA}]|[A-Z][a-z]{{2}})\d{{1,4}}(?:[{_AA}*X](?![a-z])|[A-Z][a-z]{{2}}|"
                           rf"fs(?:\*\d+)?|del|dup)?)\)?((?:/[{_AA}](?![A-Za-z0-9]))*)(?![A-Za-z0-9])")
_CLASS_ITEM = re.compile(r"(?:gene\s+)?(fusions?|rearrangements?|rearranged|translocations?|amplifications?|"
                         r"amplified)(?![A-Za-z0-9])", re.I)
_LEAD = re.compile(r"[\s:^-]*(?:(?:gene|genes|mutations?|mutant|mutated|alterations?|variants?|activating|"
                   r"sensiti[sz]ing)\b[\s,:(-]*)*\(?\s*", re.I)
_CONNECT = re.compile(r"\s*(?:,\s*(?:and/or|or|and)?|/|\band/or\b|\bor\b|\band\b)\s*(?:(?:an?|the)\s+)?", re.I)
_SUFFIX = re.compile(r"[\s-]*(?:mutations?|mutant|mutated|positive|alterations?|variants?)\b", re.I)
_THERAPY_AFTER = re.compile(r"^\)?[\s-]*(?:(?:tyrosine\s+kinase|small[- ]molecule)\s+)?(?:inhibitors?|TKIs?|"
                            r"targeted|targeting|directed|therap(?:y|ies)|agents?|antibod(?:y|ies)|drugs?|"
                            r"vaccines?|degraders?|blockers?)\b", re.I)
_THERAPY_BEFORE = re.compile(r"(?:\btarget(?:ing|ed)?|\binhibitors?(?:\s+of)?|\bdirected\s+(?:against|at)|"
                             r"\bagainst|\bTKIs?\s+for|\banti-?)\s*(?:the\s+|an?\s+)?$", re.I)
_NEGATION = re.compile(r"\b(?:no|not|without|negative|absence|absent|lack(?:ing|s)?|wild[- ]?type|excluding|"
                       r"except|other than|unless|excluded|ineligible)\b", re.I)
_NEGATION_AFTER = re.compile(r"^\)?[\s-]*(?:mutations?\s+|status\s+)?(?:negative|not\s+detected|absent|"
                             r"wild[- ]?type)\b", re.I)
_PRIOR = re.compile(r"\b(?:prior|previous(?:ly)?|received|progress(?:ed|ion)\s+on)\b", re.I)
_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("MSI-H", re.compile(r"\bMSI[- ]?H(?:igh)?\b|microsatellite[- ]instability[- ]high\b|"
                         r"high[- ](?:level\s+)?microsatellite[- ]instability", re.I)),
    ("dMMR", re.compile(r"\bdMMR\b|\bMMR[- ]deficien(?:t|cy)|mismatch[- ]repair[- ]deficien(?:t|cy)|"
                        r"deficien(?:t|cy)\s+(?:in\s+)?(?:DNA\s+)?mismatch[- ]repair", re.I)),
    ("MSS", re.compile(r"\bMSS\b|microsatellite[- ]stable", re.I)),
    ("pMMR", re.compile(r"\bpMMR\b|mismatch[- ]repair[- ]proficient|proficient\s+mismatch[- ]repair", re.I)),
    ("TMB-H", re.compile(r"\bTMB[- ]?H(?:igh)?\b|\bhigh\s+(?:tumou?r\s+)?mutational\s+burden|"
                         r"tumou?r\s+mutational\s+burden[- ]high", re.I)),
    ("HER2-positive", re.compile(r"\bHER-?2[- ]?(?:positive|\+)(?![A-Za-z0-9])", re.I)),
)
_TMB_THRESHOLD = re.compile(r"(?:\bTMB\b|tumou?r\s+mutational\s+burden)(?:\s*\(TMB\))?\s*(?:of\s+)?"
                            r"(≥|>=|≧|>|greater\s+than\s+or\s+equal\s+to|at\s+least)\s*(\d+(?:\.\d+)?)", re.I)


def known_gene_symbols() -> frozenset[str]:
    """The built-in cancer genes plus the genes of the onco-core pack's ``genes.yaml`` (when present)."""
    genes = set(BUILTIN_CANCER_GENES)
    if PACK_GENES.is_file():
        try:
            data = yaml.safe_load(PACK_GENES.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        if isinstance(data, dict) and isinstance(data.get("genes"), dict):
            genes |= {str(g) for g in data["genes"]}
    return frozenset(genes)


@dataclass(frozen=True)
class FoundBiomarker:
    """An alteration string found in a piece of registry text, with where it was and why it may be unusable."""

    alteration: str
    start: int
    end: int
    problem: str | None = None


class BiomarkerExtractor:
    """Finds biomarkers written in registry free text, for validated gene symbols only."""

    def __init__(self, genes: Iterable[str]):
        self.genes = frozenset(genes)
        symbols = {g for g in self.genes if re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", g)} | set(GENE_ALIASES)
        alternation = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True))
        one = rf"(?<![A-Za-z0-9-])(?:{alternation})(?:(?![A-Za-z0-9])|(?=[A-Z]\d))"
        self._one = re.compile(one)
        self._list = re.compile(rf"{one}(?:\s*(?:,|/|\band/or\b|\bor\b|\band\b)\s*{one})*")

    def _genes(self, text: str) -> list[str]:
        found: list[str] = []
        for token in self._one.findall(text):
            found += GENE_ALIASES.get(token, (token,))
        return list(dict.fromkeys(found))

    def _items(self, text: str, pos: int, genes: list[str]) -> tuple[list[str], int, str | None]:
        """Alterations written after a gene (list) from ``pos``; returns them, the end, and a problem if any."""
        found: list[str] = []
        problem = None
        lead = _LEAD.match(text, pos)
        cursor = lead.end() if lead else pos
        end = pos
        while True:
            if (exon := _EXON_ITEM.match(text, cursor)) is not None:
                kind = exon[2].lower()
                word = "deletion" if kind.startswith("del") else "insertion" if kind.startswith("ins") else "skipping"
                if len(genes) == 1:
                    found.append(f"{genes[0]} exon {int(exon[1])} {word}")
                else:
                    problem = "exon change written after several genes"
                end = exon.end()
            elif (protein := _PROTEIN_ITEM.match(text, cursor)) is not None:
                if len(genes) == 1:
                    change = protein[1]
                    found.append(f"{genes[0]} {change}")
                    codon = re.match(r"^([A-Z](?:[a-z]{2})?\d+)", change)
                    for extra in (protein[2] or "").split("/")[1:]:
                        if codon:
                            found.append(f"{genes[0]} {codon[1]}{extra}")
                else:
                    problem = "protein change written after several genes"
                end = protein.end()
            elif (klass := _CLASS_ITEM.match(text, cursor)) is not None:
                word = klass[1].lower()
                kind = ("fusion" if word.startswith("fusion") else "amplification" if word.startswith("amplif")
                        else "rearrangement")
                found += [f"{gene} {kind}" for gene in genes]
                end = klass.end()
            else:
                break
            connector = _CONNECT.match(text, end)
            if connector is None or connector.end() == end:
                break
            cursor = connector.end()
        suffix = _SUFFIX.match(text, end)
        return found, suffix.end() if suffix else end, problem

    def find(self, text: str) -> tuple[list[FoundBiomarker], list[str]]:
        """Biomarkers in ``text`` and the validated genes it names without a recognised alteration."""
        found: list[FoundBiomarker] = []
        bare_genes: list[str] = []
        for mention in self._list.finditer(text):
            genes = self._genes(mention.group())
            alterations, end, problem = self._items(text, mention.end(), genes)
            if not alterations:
                bare_genes += genes
                continue
            for alteration in alterations:
                found.append(FoundBiomarker(alteration, mention.start(), end, problem))
        for name, pattern in _SIGNATURES:
            found += [FoundBiomarker(name, m.start(), m.end()) for m in pattern.finditer(text)]
        for match in _TMB_THRESHOLD.finditer(text):
            operator, value = match[1], float(match[2])
            ok = value == 10 and operator != ">"
            found.append(FoundBiomarker("TMB-H", match.start(), match.end(), None if ok else
                                        f"TMB threshold {operator} {value:g} differs from TMB-H (>= 10 mut/Mb)"))
        found.sort(key=lambda f: f.start)
        return found, list(dict.fromkeys(bare_genes))


def _check_context(line: str, item: FoundBiomarker, section: str) -> str | None:
    """Why a biomarker found in an eligibility line should not be imported (None: import it)."""
    if item.problem:
        return item.problem
    before = re.split(r"[;.](?:\s|$)", line[:item.start])[-1]
    after = line[item.end:]
    if _THERAPY_AFTER.match(after) or _THERAPY_BEFORE.search(before[-30:]):
        return "names a therapy, not a tumour biomarker"
    if re.search(r"\bnon[- ]?$", before, re.I) or _NEGATION.search(before[-60:]) or _NEGATION_AFTER.match(after):
        return "negated"
    if section == "exclusion" and _PRIOR.search(before[-60:]):
        return "refers to prior treatment"
    return None


def _normalise_condition(name: str) -> str:
    text = name.lower()
    for pattern, replacement in _NORMALISE:
        text = re.sub(pattern, replacement, text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def map_condition(name: str) -> list[str]:
    """OncoTree codes for a ClinicalTrials.gov condition name by :data:`CONDITION_CODES` (empty: not mapped)."""
    text = f" {_normalise_condition(name)} "
    taken = [False] * len(text)
    codes: list[str] = []
    for phrase, code in sorted(CONDITION_CODES, key=lambda pc: len(pc[0]), reverse=True):
        for match in re.finditer(rf"(?<=[ ]){re.escape(phrase)}(?=[ ])", text):
            if any(taken[match.start():match.end()]):
                continue
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            codes.append(code)
    return list(dict.fromkeys(codes))


def _age_years(text: object, what: str, warn: list[str], nct: str) -> float | None:
    if text is None or (isinstance(text, str) and text.strip().upper() in ("", "N/A", "NA")):
        return None
    match = _AGE.match(str(text))
    if match is None:
        warn.append(f"{nct}: {what} {text!r} not understood; left empty")
        return None
    return round(float(match[1]) * _AGE_UNIT_YEARS[match[2].lower()], 2)


def _phase(phases: object) -> Phase | None:
    if not isinstance(phases, list):
        return None
    ranks = sorted({_CTGOV_PHASE[p] for p in phases if isinstance(p, str) and p in _CTGOV_PHASE})
    if not ranks:
        return None
    if ranks == [0.5]:
        return "early 1"
    whole = [int(r) for r in ranks if r >= 1]
    label = "/".join(str(r) for r in whole) if len(whole) > 1 else str(whole[0])
    for phase in get_args(Phase):
        if phase == label:
            return phase  # type: ignore[no-any-return]
    return str(whole[-1])  # type: ignore[return-value]


def _eligibility_lines(text: str) -> list[tuple[str, int, str]]:
    """(section, line number, line without bullet) for each non-empty line; section 'preamble' before a header."""
    section = "preamble"
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = _SECTION.match(line) if len(line) < 120 else None
        if header:
            section = header[1].lower()
            line = header[2].strip()
        line = _BULLET.sub("", line).strip()
        if line:
            lines.append((section, number, line))
    return lines


def _read_studies(path: Path) -> list[tuple[str, dict[str, Any]]]:
    data = load_json(Path(path), "ClinicalTrials.gov study file")
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        items = [(f"studies.{i}", s) for i, s in enumerate(data["studies"])]
    elif isinstance(data, list):
        items = [(f"[{i}]", s) for i, s in enumerate(data)]
    elif isinstance(data, dict) and "protocolSection" in data:
        items = [("study", data)]
    elif isinstance(data, dict) and ("FullStudiesResponse" in data or "FullStudy" in data):
        raise InputError("this is the retired classic API format; save study records from the API v2 "
                         "(https://clinicaltrials.gov/api/v2/studies/NCT...)", source=str(path))
    else:
        raise InputError("not ClinicalTrials.gov API v2 study JSON: expected a study with 'protocolSection' or "
                         "{'studies': [...]}", source=str(path))
    for location, study in items:
        if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
            raise InputError("study has no 'protocolSection'", source=str(path), location=location)
    return items


def _module(section: dict[str, Any], name: str) -> dict[str, Any]:
    module = section.get(name)
    return module if isinstance(module, dict) else {}


def _strings(value: object) -> list[str]:
    return [str(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _study_to_trial(study: dict[str, Any], path: Path, location: str, extractor: BiomarkerExtractor,
                    retrieved: str | None, tree: TumourTypeTree | None) -> tuple[Trial, list[str]]:
    protocol = study["protocolSection"]
    identification = _module(protocol, "identificationModule")
    nct = identification.get("nctId")
    if not isinstance(nct, str) or not nct.strip():
        raise InputError("study has no protocolSection.identificationModule.nctId", source=str(path),
                         location=location)
    warn: list[str] = []
    status_module = _module(protocol, "statusModule")
    status = str(status_module.get("overallStatus") or "UNKNOWN").lower()
    if status not in get_args(TrialStatus):
        warn.append(f"{nct}: overall status {status_module.get('overallStatus')!r} not recognised; set to unknown")
        status = "unknown"
    design = _module(protocol, "designModule")
    conditions_module = _module(protocol, "conditionsModule")
    eligibility = _module(protocol, "eligibilityModule")

    inclusion: dict[str, str] = {}
    exclusion: dict[str, str] = {}
    bare: list[str] = []

    def take(text: str, section: str, where: str) -> None:
        found, genes = extractor.find(text)
        bare.extend(genes)
        for item in found:
            problem = _check_context(text, item, section)
            if problem:
                warn.append(f"{nct}: {where}: {item.alteration!r} not imported ({problem}): {text[:160]!r}")
            elif section == "exclusion":
                exclusion.setdefault(item.alteration, where)
            elif section == "inclusion":
                inclusion.setdefault(item.alteration, where)
            else:
                warn.append(f"{nct}: {where}: {item.alteration!r} outside the Inclusion/Exclusion sections; "
                            "not imported")

    codes: list[str] = []
    unmapped: list[str] = []
    for name in _strings(conditions_module.get("conditions")):
        mapped = map_condition(name)
        codes += mapped
        before = len(inclusion) + len(warn)
        take(name, "inclusion", "condition")
        if not mapped and len(inclusion) + len(warn) == before:
            unmapped.append(name)
    for keyword in _strings(conditions_module.get("keywords")):
        take(keyword, "inclusion", "keyword")
    for section, number, line in _eligibility_lines(str(eligibility.get("eligibilityCriteria") or "")):
        take(line, section, f"eligibility line {number} ({section})")

    if tree is not None:
        for code in list(codes):
            try:
                tree.resolve(code)
            except InputError:
                codes.remove(code)
                warn.append(f"{nct}: condition code {code} is not in the OncoTree in use; dropped")
    codes = list(dict.fromkeys(codes))
    if unmapped:
        warn.append(f"{nct}: condition(s) not mapped to OncoTree: {', '.join(repr(c) for c in unmapped)}")
    if not codes:
        warn.append(f"{nct}: no condition mapped to an OncoTree code; kept with conditions [] (it never matches "
                    "on tumour type): add codes by hand")

    for alteration in [a for a in inclusion if a in exclusion]:
        del inclusion[alteration]
        warn.append(f"{nct}: {alteration!r} found in both inclusion and exclusion text; kept as exclusion only")
    for kind, found in (("inclusion", inclusion), ("exclusion", exclusion)):
        for alteration in list(found):
            try:
                parse_alteration(alteration)
            except InputError as exc:
                del found[alteration]
                warn.append(f"{nct}: {kind} biomarker {alteration!r} not imported ({exc.message})")
    if len(inclusion) > 1:
        warn.append(f"{nct}: {len(inclusion)} inclusion biomarkers joined as alternatives (any one qualifies): "
                    f"{' | '.join(inclusion)}; edit the file if the trial needs them together or per cohort")
    if not inclusion:
        warn.append(f"{nct}: no biomarker inclusion criterion recognised; the trial will not be listed by matching")
    named = {g for g in bare if g not in {a.split()[0] for a in (*inclusion, *exclusion)}}
    if "HER2-positive" in inclusion or "HER2-positive" in exclusion:
        named.discard("ERBB2")
    if named:
        warn.append(f"{nct}: gene(s) named without a recognised alteration: {', '.join(sorted(named))} "
                    "(check the eligibility text by hand)")

    sex = str(eligibility.get("sex") or "ALL").lower()
    if sex not in get_args(Sex):
        warn.append(f"{nct}: sex {eligibility.get('sex')!r} not recognised; set to all")
        sex = "all"
    min_age = _age_years(eligibility.get("minimumAge"), "minimum age", warn, nct)
    max_age = _age_years(eligibility.get("maximumAge"), "maximum age", warn, nct)
    when = f"retrieved {retrieved}" if retrieved else f"file dated {date.fromtimestamp(path.stat().st_mtime)}"
    updated = _module(status_module, "lastUpdatePostDateStruct").get("date")
    source = (f"ClinicalTrials.gov API v2 record {nct} (https://clinicaltrials.gov/study/{nct}), {when}"
              + (f", record last updated {updated}" if updated else ""))
    notes = ("Imported by tailormed onco trials-import: conditions and biomarker criteria were extracted "
             "automatically from the registry record; read the full eligibility criteria before referral.")
    if design.get("studyType") and design.get("studyType") != "INTERVENTIONAL":
        notes += f" Study type: {str(design['studyType']).lower().replace('_', ' ')}."
    title = identification.get("briefTitle") or identification.get("officialTitle") or nct
    try:
        trial = Trial.model_validate({
            "id": nct.strip(), "title": str(title), "phase": _phase(design.get("phases")), "status": status,
            "conditions": codes, "inclusion": [" | ".join(inclusion)] if inclusion else [],
            "exclusion": list(exclusion), "min_age": min_age, "max_age": max_age, "sex": sex, "source": source,
            "notes": notes})
    except ValidationError as exc:  # an id or age the trial format cannot hold: name the study
        first = first_validation_problem(exc)
        field = first.dotted()
        shown = f" (got {first.input!r})" if field else ""
        raise InputError(f"{first.msg}{shown}", source=str(path),
                         location=f"{location} ({nct.strip()[:40]})" + (f".{field}" if field else "")) from None
    return trial, warn


def import_ctgov(paths: Sequence[Path], *, retrieved: str | None = None, tree: TumourTypeTree | None = None,
                 genes: Iterable[str] | None = None) -> tuple[list[Trial], list[str]]:
    """Trials from ClinicalTrials.gov API v2 study JSON files, and warnings about what could not be mapped.

    Each file holds one study (``/api/v2/studies/NCT...``) or ``{"studies": [...]}`` (``/api/v2/studies``).
    ``retrieved`` (YYYY-MM-DD) goes into each trial's ``source``; without it the file's date is used. With
    ``tree``, mapped condition codes absent from that OncoTree are dropped with a warning. ``genes`` replaces the
    gene symbols accepted in free text (default: :func:`known_gene_symbols`). A study whose id was already
    imported is skipped with a warning.
    """
    if retrieved is not None:
        try:
            date.fromisoformat(retrieved)
        except ValueError as exc:
            raise InputError(f"retrieved date must be YYYY-MM-DD, not {retrieved!r}") from exc
    extractor = BiomarkerExtractor(known_gene_symbols() if genes is None else genes)
    trials: list[Trial] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for path in paths:
        path = Path(path)
        for location, study in _read_studies(path):
            trial, trial_warnings = _study_to_trial(study, path, location, extractor, retrieved, tree)
            if trial.id in seen:
                warnings.append(f"{trial.id}: also in {path.name} ({location}); the first copy is kept")
                continue
            seen.add(trial.id)
            trials.append(trial)
            warnings += trial_warnings
    return trials, warnings
