"""Precision of onco-core's FDA records: does each one correspond to an FDA indication in MOAlmanac?

onco_coverage.py checks recall (every MOAlmanac FDA indication is found by onco-core). This script checks the
other direction: every onco-core record with ``evidence: fda`` (sensitivity and resistance) is looked up among the
FDA-approval statements of the Molecular Oncology Almanac (../shared/data/onco/moalmanac/referenced), grouped as in
onco_coverage.py (one row per biomarkers x disease x regimen), minus the statements onco_coverage.py lists as
contradicting their own label (``ERRATA`` and lymphoid/myeloid coding errors; not the erratum about a biomarker
that must be *absent*, which onco_coverage.py cannot read: imatinib's ASM statement is "without KIT D816V", as the
label says).

A statement *matches* a record when all three agree:

- **drugs**: the regimens minus chemotherapy (as MOAlmanac types it) and corticosteroids, since chemotherapy
  backbones are written differently by different curators, are equal, or one is a subset of the other (the record
  lists several endocrine partners, say). The relation is reported: ``same``, ``superset`` (the record names more
  drugs than the statement) or ``subset``.
- **tumour type**: an OncoTree code of the record (or ``SOLID``/``HEME``/``ANY``) is the statement's code, an
  ancestor (the record is broader) or a descendant (the record is narrower) of it; the record's excluded types
  must not contain the statement's type. MOAlmanac diseases are mapped as the MOAlmanac importer maps them.
- **biomarkers**: MOAlmanac biomarkers are mapped to the alteration language by the importer's ``map_biomarker``
  and both sides are reduced to classes: gene + variant / fusion / amplification / deletion, wild type (the same
  class as "the gene's variant is absent"), signatures (MSI-H = dMMR, MSS = pMMR, HR-positive = ER- or
  PR-positive, HER2-positive = HER2 IHC 3+ = ERBB2 amplification), PD-L1 scale and threshold (TPS = TC). A
  statement is compatible when every one of its classes is among the record's and every requirement of the record
  has one of its alternatives among the statement's; and the record's alternatives (``EGFR exon 19 deletion |
  EGFR L858R``) must each appear in some compatible statement, since MOAlmanac writes one statement per
  alternative. Finer differences inside a class (``BRAF V600`` for ``BRAF V600E``), and confirmed records whose
  tumour type is broader than every matching statement's, are listed as notes.

MOAlmanac has no FDA resistance statements. A resistance record (RAS-mutant colorectal cancer and cetuximab) is
matched through its complement: a sensitivity statement requiring the same gene's variant to be absent (wild type)
for the same drug and tumour type.

Each record is then ``confirmed`` (a matching statement), ``partial`` (drug and tumour type match but the
biomarker differs, or drug and biomarker match but the tumour type differs) or ``unmatched`` (no FDA statement
names the drug at all, or none is compatible). Partial and unmatched records are listed with the closest
statements: they are what a curator must check against the label (MOAlmanac can lack newer approvals or code an
indication differently).

    .venv/bin/python benchmarks/onco_precision.py [--moalmanac DIR] [--oncotree FILE] [--pack onco-core]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from onco_coverage import (  # noqa: E402 - benchmarks are scripts, not a package
    DEFAULT_MOALMANAC,
    NCIT_TO_ONCOTREE,
    NOT_CHEMOTHERAPY,
    STEROIDS,
    _disease_contradicts_indication,
    erratum,
    fda_rows,
    load,
    normalise_drug,
)

from tailormed.errors import InputError  # noqa: E402
from tailormed.kb.importers.moalmanac import UnmappableError, map_biomarker, map_disease  # noqa: E402
from tailormed.kb.onco import CompiledRecord, load_onco_knowledge  # noqa: E402
from tailormed.kb.oncotree import OncoTree, load_oncotree  # noqa: E402
from tailormed.model.alterations import (  # noqa: E402
    ExonClass,
    FusionPair,
    GeneClass,
    HlaPattern,
    ProteinChange,
    ScoredMarker,
    Signature,
    SinglePattern,
    parse_alteration,
)

Key = tuple[str, ...]
"""A biomarker class: ('gene', GENE, 'variant'|'fusion'|'amplification'|'deletion'), ('absent', GENE),
('sig', NAME), ('pdl1', SCALE, THRESHOLD), ('ihc', MARKER), ('hla', ALLELE) or ('other', TEXT)."""

SIGNATURE_CLASS = {"dMMR": "MSI-H/dMMR", "MSI-H": "MSI-H/dMMR", "pMMR": "MSS/pMMR", "MSS": "MSS/pMMR",
                   "MSI-L": "MSS/pMMR",  # MOAlmanac's "MSI-L" stands for "not MSI-H" (pembrolizumab + lenvatinib)
                   "ER-positive": "HR-positive", "PR-positive": "HR-positive", "HR-positive": "HR-positive",
                   "HER2 IHC 3+": "HER2-positive", "HER2-positive": "HER2-positive"}
IHC_MARKER_NAMES = {"FOLR1": "FOLR1", "CLDN18.2": "CLDN18.2", "c-Met": "c-MET"}
"""MOAlmanac protein markers that records write as IHC markers (compared by marker: MOAlmanac's FOLR1 is "positive",
the label's cut-off)."""
VARIANT_KINDS = {"mutation", "missense", "truncating", "oncogenic", "activating", "ITD"}
BROAD_KINDS = {"mutation", "oncogenic", "activating"}
PDL1_FAMILY = {"TC": "TPS/TC", "TPS": "TPS/TC"}
EXTRA_NCIT = {"ncit:C135017": "NSCLC", "ncit:C3696": "ASTR"}  # non-squamous NSCLC; SEGA (astrocytoma, as coverage)
DRUG_RELATIONS = ("same", "superset", "subset")
EXTRA_CHEMOTHERAPY = {"leucovorin", "levoleucovorin", "paclitaxel protein-bound"}
"""Chemotherapy that MOAlmanac's therapy list lacks (so it has no type there)."""


# ---------------------------------------------------------------------------- biomarker classes


def single_key(single: SinglePattern) -> Key:
    """The class of one alternative of the alteration language."""
    if isinstance(single, Signature):
        return ("sig", SIGNATURE_CLASS.get(single.name, single.name))
    if isinstance(single, ScoredMarker) and single.is_ihc:
        return ("ihc", single.marker)
    if isinstance(single, ScoredMarker):
        return ("pdl1", PDL1_FAMILY.get(single.scale, single.scale), f"{single.minimum:g}")
    if isinstance(single, HlaPattern):
        return ("hla", ("" if single.present else "not ") + single.allele.name)
    if isinstance(single, FusionPair):
        return ("fusion", *sorted((single.gene_a, single.gene_b)))
    if isinstance(single, ProteinChange | ExonClass):
        return ("gene", single.gene, "variant")
    kind = single.kind
    if isinstance(single, GeneClass) and kind in VARIANT_KINDS:
        return ("gene", single.gene, "variant")
    if kind == "rearrangement":
        return ("gene", single.gene, "fusion")
    if kind == "wildtype":
        return ("absent", single.gene)
    if single.gene == "ERBB2" and kind == "amplification":
        return ("sig", "HER2-positive")
    return ("gene", single.gene, kind)


def keys_match(record_key: Key, statement_key: Key) -> bool:
    """Equal classes; a fusion pair matches a one-gene fusion class of either partner."""
    if record_key == statement_key:
        return True
    pair, one = (record_key, statement_key) if record_key[0] == "fusion" else (statement_key, record_key)
    return pair[0] == "fusion" and one[:1] == ("gene",) and one[2] == "fusion" and one[1] in pair[1:]


def fine_relation(record_alt: SinglePattern, statement_alt: SinglePattern) -> str:
    """Within one class: 'same', 'narrower' (the record asks for less than the statement allows), 'broader'
    (the record allows more than the statement names) or 'class' (different wording of the same class)."""
    strip = _plain
    if strip(record_alt) == strip(statement_alt):
        return "same"
    if _contains(statement_alt, record_alt):
        return "narrower"
    if _contains(record_alt, statement_alt):
        return "broader"
    return "class"


def _plain(single: SinglePattern) -> Any:
    """The alternative without its germline/somatic restriction."""
    if isinstance(single, ProteinChange | ExonClass | GeneClass):
        return (type(single).__name__, *[v for k, v in vars(single).items() if k != "origin"])
    return single


def _contains(wide: SinglePattern, narrow: SinglePattern) -> bool:
    """Whether ``wide`` names a superset of ``narrow`` (a codon and its changes, a broad gene class)."""
    if isinstance(wide, GeneClass) and wide.kind in BROAD_KINDS:
        return isinstance(narrow, ProteinChange | ExonClass) and narrow.gene == wide.gene
    if isinstance(wide, ProteinChange) and wide.alt is None and isinstance(narrow, ProteinChange):
        return (wide.gene, wide.position) == (narrow.gene, narrow.position)
    return False


@dataclass
class Biomarker:
    """One MOAlmanac biomarker: its name, its alternative in our language (None when not expressible), its class."""

    name: str
    single: SinglePattern | None
    key: Key


def statement_biomarker(biomarker: dict[str, Any], genes: dict[int, str]) -> Biomarker:
    """A MOAlmanac biomarker as a class (kept as ``other`` when the alteration language cannot express it)."""
    symbols = [genes[g] for g in biomarker.get("genes", [])]
    extensions = {e["name"]: e["value"] for e in biomarker.get("extensions", [])}
    name = biomarker["name"]
    if extensions.get("_present") is False:
        inner = statement_biomarker({**biomarker, "extensions": [e for e in biomarker.get("extensions", [])
                                                                  if e["name"] != "_present"]}, genes)
        if inner.key[:1] == ("gene",) and inner.key[2] == "variant":
            return Biomarker(f"absent {name}", None, ("absent", inner.key[1]))
        return Biomarker(f"absent {name}", None, ("other", f"absent {name}"))
    if " TKD " in f" {name} " and len(symbols) == 1:  # no kinase-domain class: still a variant of the gene
        return Biomarker(name, GeneClass(symbols[0], "activating"), ("gene", symbols[0], "variant"))
    if extensions.get("marker") in IHC_MARKER_NAMES:  # the importer does not map IHC markers: compared by marker
        return Biomarker(name, None, ("ihc", IHC_MARKER_NAMES[extensions["marker"]]))
    if name in ("PR negative", "MSI-L"):
        signature = Signature("PR-negative" if name == "PR negative" else "MSS")
        return Biomarker(name, signature, ("sig", SIGNATURE_CLASS.get(name, signature.name)))
    try:
        pattern = parse_alteration(map_biomarker(biomarker, symbols))
    except (UnmappableError, InputError):
        return Biomarker(name, None, ("other", name))
    single = pattern.alternatives[0]
    return Biomarker(name, single, single_key(single))


# ---------------------------------------------------------------------------- statements and records


@dataclass
class Statement:
    """One MOAlmanac FDA row (biomarkers x disease x regimen) in comparable form."""

    label: str
    biomarkers: list[Biomarker]
    codes: list[str]
    core: frozenset[str]
    drugs: frozenset[str]
    indications: list[str]


def disease_codes(disease: dict[str, Any]) -> list[str]:
    """OncoTree codes of a MOAlmanac disease (importer mapping, then the benchmarks' NCIt fallbacks)."""
    try:
        return map_disease(disease)
    except UnmappableError:
        code = disease["primary_coding_id"]
        mapped = EXTRA_NCIT.get(code) or NCIT_TO_ONCOTREE.get(code)
        return [mapped] if mapped else []


def load_statements(data: dict[str, Any]) -> tuple[list[Statement], set[str], int]:
    """MOAlmanac FDA rows as statements, the chemotherapy names, and how many rows were left out as errata."""
    genes = {g["id"]: g["name"] for g in data["genes"]}
    chemotherapy = {normalise_drug(t["name"]) for t in data["therapies"]
                    if {e["name"]: e["value"] for e in t.get("extensions", [])}.get("therapy_type")
                    == "Chemotherapy"} - NOT_CHEMOTHERAPY | STEROIDS | EXTRA_CHEMOTHERAPY
    statements, errata = [], 0
    for row in fda_rows(data):
        if _disease_contradicts_indication(row) or (erratum(row) and not _has_absence(row)):
            errata += 1
            continue
        drugs = frozenset(normalise_drug(t["name"]) for t in row["members"])
        label = (f"{' + '.join(b['name'] for b in row['biomarkers'])} | {row['disease']['name']} | "
                 f"{' + '.join(t['name'] for t in row['members'])}")
        statements.append(Statement(label, [statement_biomarker(b, genes) for b in row["biomarkers"]],
                                    disease_codes(row["disease"]), frozenset(drugs - chemotherapy), drugs,
                                    sorted(i for i in row["indications"] if i)))
    return statements, chemotherapy, errata


def _has_absence(row: dict[str, Any]) -> bool:
    """Whether a biomarker must be absent: onco_coverage.py cannot read these, so its errata do not apply
    (imatinib's ASM statement is "without KIT D816V", as the label says)."""
    return any(e["name"] == "_present" and e["value"] is False for b in row["biomarkers"]
               for e in b.get("extensions", []))


@dataclass
class Requirement:
    """One requirement of a record: its alternatives and their classes."""

    text: str
    alternatives: list[SinglePattern]
    keys: list[Key]


def record_requirements(compiled: CompiledRecord) -> list[Requirement]:
    """The record's requirements; for a resistance record, their complement (the variant absent)."""
    requirements = []
    for pattern in compiled.patterns:
        keys = [single_key(a) for a in pattern.alternatives]
        if compiled.record.response == "resistant":
            keys = [("absent", k[1]) if k[:1] == ("gene",) and k[2] == "variant" else k for k in keys]
        requirements.append(Requirement(pattern.text, list(pattern.alternatives), keys))
    return requirements


# ---------------------------------------------------------------------------- comparisons


def drug_relation(record_core: frozenset[str], statement_core: frozenset[str]) -> str | None:
    """'same', 'superset' (record names more), 'subset', or None (disjoint or only overlapping)."""
    if not record_core or not statement_core:
        return None
    if record_core == statement_core:
        return "same"
    if record_core > statement_core:
        return "superset"
    if record_core < statement_core:
        return "subset"
    return None


def tumour_relation(tree: OncoTree, record_codes: list[str], excluded: list[str], codes: list[str]) -> str | None:
    """'same', 'broader' (a record code is an ancestor), 'narrower' (a descendant), or None."""
    found = None
    for code in codes:
        if any(_within(tree, code, ex) for ex in excluded):
            continue
        for mine in record_codes:
            if mine == code:
                return "same"
            if _within(tree, code, mine):
                found = found or "broader"
            elif _within(tree, mine, code):
                found = found or "narrower"
    return found


def _within(tree: OncoTree, code: str, ancestor: str) -> bool:
    try:
        return tree.is_within(code, ancestor)
    except InputError:  # a code the (compact) tree does not know: only equality
        return code == ancestor


def biomarker_fit(requirements: list[Requirement], statement: Statement) -> tuple[list[str], list[str]]:
    """(statement biomarkers the record does not require, record requirements the statement does not name)."""
    record_keys = [k for r in requirements for k in r.keys]
    extra = [b.name for b in statement.biomarkers if not any(keys_match(k, b.key) for k in record_keys)]
    unmet = [r.text for r in requirements
             if not any(keys_match(k, b.key) for k in r.keys for b in statement.biomarkers)]
    return extra, unmet


@dataclass
class Candidate:
    """A statement compared with a record."""

    statement: Statement
    drugs: str | None
    tumour: str | None
    extra: list[str]
    unmet: list[str]

    @property
    def biomarker_ok(self) -> bool:
        """Whether the biomarkers agree class for class."""
        return not self.extra and not self.unmet

    def describe(self) -> str:
        """One line: the statement, and how it differs."""
        issues = [f"drugs {self.drugs or 'differ'}", f"tumour {self.tumour or 'differs'}"]
        if self.extra:
            issues.append(f"statement also needs {', '.join(self.extra)}")
        if self.unmet:
            issues.append(f"statement lacks {', '.join(self.unmet)}")
        indication = f" [{self.statement.indications[0]}]" if self.statement.indications else ""
        return f"{self.statement.label}{indication} ({'; '.join(issues)})"


@dataclass
class Verdict:
    """The classification of one record."""

    record: CompiledRecord
    status: str
    reason: str
    drugs: str | None = None
    closest: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compare(compiled: CompiledRecord, statements: list[Statement], chemotherapy: set[str],
            tree: OncoTree) -> list[Candidate]:
    """Every statement sharing at least one non-chemotherapy drug with the record, compared."""
    record = compiled.record
    core = frozenset(normalise_drug(d) for d in record.drugs) - chemotherapy
    requirements = record_requirements(compiled)
    candidates = []
    for statement in statements:
        if not core & statement.core:
            continue
        extra, unmet = biomarker_fit(requirements, statement)
        candidates.append(Candidate(statement, drug_relation(core, statement.core),
                                    tumour_relation(tree, record.tumour_types, record.excluded_tumour_types,
                                                    statement.codes), extra, unmet))
    return candidates


def uncovered_alternatives(requirements: list[Requirement], matches: list[Candidate]) -> list[str]:
    """Record alternatives that no matching statement names (by class)."""
    missing = []
    for requirement in requirements:
        for alternative, key in zip(requirement.alternatives, requirement.keys, strict=True):
            if not any(keys_match(key, b.key) for c in matches for b in c.statement.biomarkers):
                missing.append(str(_alternative_text(alternative)))
    return missing


def _alternative_text(single: SinglePattern) -> str:
    if isinstance(single, ProteinChange):
        return f"{single.gene} {single.change}"
    if isinstance(single, ExonClass):
        return f"{single.gene} exon {single.exon} {single.kind}"
    if isinstance(single, GeneClass):
        return f"{single.gene} {single.kind}"
    if isinstance(single, FusionPair):
        return f"{single.gene_a}::{single.gene_b} fusion"
    if isinstance(single, ScoredMarker):
        return f"{single.marker} {'IHC ' if single.is_ihc else ''}{single.scale} >= {single.minimum:g}"
    if isinstance(single, HlaPattern):
        return ("" if single.present else "not ") + f"HLA-{single.allele.name}"
    return single.name


def fine_notes(requirements: list[Requirement], matches: list[Candidate]) -> list[str]:
    """Record alternatives whose closest statement wording is only the same class, or narrower than ours."""
    order = {"same": 0, "narrower": 1, "broader": 2, "class": 3}
    notes = []
    for requirement in requirements:
        for alternative, key in zip(requirement.alternatives, requirement.keys, strict=True):
            if key[0] in ("absent", "pdl1", "ihc", "hla"):
                continue
            found = [(fine_relation(alternative, b.single), b.name) for c in matches for b in c.statement.biomarkers
                     if b.single is not None and keys_match(key, b.key)]
            if not found:
                continue
            relation, name = min(found, key=lambda f: order[f[0]])
            if relation in ("class", "broader"):
                how = "record broader" if relation == "broader" else "same class, other wording"
                notes.append(f"{_alternative_text(alternative)} ~ {name} ({how})")
    return notes


def tumour_notes(matches: list[Candidate]) -> list[str]:
    """A note when every matching statement is for a narrower tumour type than the record's."""
    if any(c.tumour in ("same", "narrower") for c in matches):
        return []
    names = sorted({c.statement.label.split(" | ")[-2] for c in matches})
    return [f"tumour type broader than MOAlmanac's ({', '.join(names)})"]


def classify(compiled: CompiledRecord, statements: list[Statement], chemotherapy: set[str],
             tree: OncoTree) -> Verdict:
    """confirmed / partial / unmatched, with the reason and the closest statements."""
    candidates = compare(compiled, statements, chemotherapy, tree)
    requirements = record_requirements(compiled)
    if not candidates:
        return Verdict(compiled, "unmatched", "no MOAlmanac FDA statement names these drugs")
    drug_ok = [c for c in candidates if c.drugs in DRUG_RELATIONS]
    full = [c for c in drug_ok if c.tumour and c.biomarker_ok]
    if full:
        best = min(full, key=lambda c: DRUG_RELATIONS.index(c.drugs or "same"))
        missing = uncovered_alternatives(requirements, full)
        if not missing:
            notes = fine_notes(requirements, full) + tumour_notes(full)
            return Verdict(compiled, "confirmed", "", best.drugs, notes=notes)
        return Verdict(compiled, "partial", f"biomarker: alternatives {', '.join(missing)} in no matching statement",
                       best.drugs, closest=_rank(full)[:3])
    same_tumour = [c for c in drug_ok if c.tumour]
    if same_tumour:
        return Verdict(compiled, "partial", "biomarker differs", closest=_rank(same_tumour)[:3])
    same_biomarker = [c for c in drug_ok if c.biomarker_ok]
    if same_biomarker:
        return Verdict(compiled, "partial", "tumour type differs", closest=_rank(same_biomarker)[:3])
    return Verdict(compiled, "unmatched", "no compatible statement for these drugs", closest=_rank(candidates)[:3])


def _rank(candidates: list[Candidate]) -> list[Candidate]:
    """Closest first: drugs equal, tumour compatible, fewest biomarker differences."""
    return sorted(candidates, key=lambda c: (c.drugs != "same", c.tumour is None, len(c.extra) + len(c.unmet),
                                             c.statement.label))


# ---------------------------------------------------------------------------- report


def describe_record(compiled: CompiledRecord) -> str:
    """``alterations | tumour types | drugs (response)``."""
    record = compiled.record
    excluded = f" excl. {','.join(record.excluded_tumour_types)}" if record.excluded_tumour_types else ""
    return (f"{' + '.join(record.alterations)} | {','.join(record.tumour_types)}{excluded} | "
            f"{' + '.join(record.drugs)} ({record.response})")


def print_report(verdicts: list[Verdict], header: str) -> None:
    """The table of partial and unmatched records, drug relations of confirmed ones, notes, then the summary."""
    print(header)
    for status in ("partial", "unmatched"):
        chosen = [v for v in verdicts if v.status == status]
        print(f"\n{status} records ({len(chosen)}): id | alterations | tumour types | drugs -> reason; closest "
              "MOAlmanac FDA statements")
        for verdict in chosen:
            print(f"  {verdict.record.record.id} | {describe_record(verdict.record)}")
            print(f"      -> {verdict.reason}")
            for candidate in verdict.closest:
                print(f"         ~ {candidate.describe()}")
    confirmed = [v for v in verdicts if v.status == "confirmed"]
    relations = Counter(v.drugs for v in confirmed)
    print("\nconfirmed by drug relation: " + ", ".join(f"{r} {relations[r]}" for r in DRUG_RELATIONS))
    for verdict in confirmed:
        if verdict.drugs != "same":
            print(f"  {verdict.drugs:8s} {verdict.record.record.id}: {' + '.join(verdict.record.record.drugs)}")
    noted = [v for v in confirmed if v.notes]
    print(f"\nconfirmed with finer differences ({len(noted)}): record alternative ~ MOAlmanac biomarker; tumour type")
    for verdict in noted:
        print(f"  {verdict.record.record.id}: {'; '.join(verdict.notes)}")
    counts = Counter(v.status for v in verdicts)
    print(f"\nonco_precision: confirmed {counts['confirmed']}, partial {counts['partial']}, "
          f"unmatched {counts['unmatched']} of {len(verdicts)} fda records")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--moalmanac", type=Path, default=DEFAULT_MOALMANAC,
                        help="moalmanac-db referenced/ folder (default: %(default)s)")
    parser.add_argument("--oncotree", type=Path, default=None, help="OncoTree JSON (default: built-in copy)")
    parser.add_argument("--pack", default="onco-core", help="oncology pack to audit (default: %(default)s)")
    args = parser.parse_args(argv)
    if not (args.moalmanac / "statements.json").is_file():
        print(f"skipped: MOAlmanac reference data not found at {args.moalmanac} (../shared is not part of the "
              "project; pass --moalmanac DIR)", file=sys.stderr)
        return 0
    data = load(args.moalmanac)
    statements, chemotherapy, errata = load_statements(data)
    tree = load_oncotree(args.oncotree)
    knowledge = load_onco_knowledge(args.pack)
    records = [c for c in knowledge.records if c.record.evidence == "fda"]
    verdicts = [classify(c, statements, chemotherapy, tree) for c in records]
    about = json.loads((args.moalmanac / "about.json").read_text(encoding="utf-8")) \
        if (args.moalmanac / "about.json").is_file() else {}
    resistance = sum(row["predicate"] == "predictResistanceTo" for row in fda_rows(data))
    header = (f"knowledge: {knowledge.version_label}; OncoTree: {tree.version}; MOAlmanac: {args.moalmanac} "
              f"(last updated {about.get('last_updated', '?')})\nMOAlmanac FDA rows compared: {len(statements)} "
              f"(left out as errata: {errata}; resistance rows: {resistance}, so resistance records are matched "
              "through their complement)")
    print_report(verdicts, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
