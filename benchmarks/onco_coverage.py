"""Coverage of MOAlmanac's FDA biomarker-therapy indications by onco-core alone.

For every FDA statement in the Molecular Oncology Almanac (../shared/data/onco/moalmanac/referenced), this script
builds a synthetic tumour carrying that statement's biomarkers in that tumour type, interprets it with the
onco-core pack (no imported knowledge) and checks that the statement's regimen comes back as a sensitivity
option for this tumour type.

Scope: statements whose every biomarker TailorMed can express (variants, exon classes, fusions/rearrangements,
gene copy number, wild type, MSI/MMR, TMB, HRD, and the clinical markers ER, PR, HER2, PD-L1 TPS/CPS/TC/IC/TAP,
and the IHC markers FOLR1, CLDN18.2 and c-Met at the statement's cut-off). Out of scope, counted by reason: other
protein-expression markers (CD20, CD30, EGFR, ...), arm-level copy
number, a PD-L1 upper bound, tumour types without an OncoTree code.

A regimen is "found" when one option for this tumour type (tier I-A/I-B, response sensitive, every requirement met)
lists every drug of the regimen that MOAlmanac does not type as chemotherapy (corticosteroids ignored too):
chemotherapy backbones are written differently by different curators ("platinum-based chemotherapy"). An option
conditional on a status the statement does not give (a PD-L1 score, say) is a miss, shown with what it requires.

    .venv/bin/python benchmarks/onco_coverage.py [--moalmanac DIR] [--oncotree FILE] [--pack onco-core]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from tailormed.model.common import Provenance
from tailormed.model.onco import ClinicalBiomarkers, CopyNumberCall, Fusion, SomaticVariant, TumourProfile
from tailormed.onco.engine import interpret_tumour
from tailormed.pipelines.onco import OncoContext

HERE = Path(__file__).resolve().parent
NOT_CHEMOTHERAPY = {"mirvetuximab soravtansine"}
"""Antibody-drug conjugates MOAlmanac types as chemotherapy: required like any targeted drug (else a regimen of it
alone would need no drug at all and any option would 'find' it)."""
IHC_MARKERS = {"FOLR1": ("FOLR1", "2+"), "CLDN18.2": ("CLDN18.2", "2+"), "c-Met": ("c-MET", "3+")}
"""MOAlmanac protein marker -> our IHC marker and the intensity its label's cut-off is scored at."""
DEFAULT_MOALMANAC = HERE.parent.parent / "shared" / "data" / "onco" / "moalmanac" / "referenced"

NCIT_TO_ONCOTREE = {
    "ncit:C132146": "CHOL",  # any solid tumour: tested in a cholangiocarcinoma (any solid code would do)
    "ncit:C3163": "CLLSLL", "ncit:C135017": "LUAD", "ncit:C182151": "DMG", "ncit:C9385": "RCC",
    "ncit:C7007": "HMBL", "ncit:C27031": "PANET", "ncit:C3467": "MYCF", "ncit:C3696": "ASTR",
}
# MOAlmanac codes tumour types with OncoTree 2021; these codes were retired by 2025 (OncoTree's own history).
RETIRED_CODES = {"ALL": "BLL", "BALL": "BLL", "TALL": "TLL", "MM": "PCM", "MLN": "MLNER"}
FUSION_PARTNER = {"ALK": "EML4", "ROS1": "CD74", "RET": "KIF5B", "NTRK1": "TPM3", "NTRK2": "AGBL4", "NTRK3": "ETV6",
                  "NRG1": "CD74", "BRAF": "KIAA1549", "FGFR2": "BICC1", "FGFR1": "ZMYM2", "FGFR3": "TACC3",
                  "PDGFRA": "FIP1L1", "PDGFRB": "ETV6", "KMT2A": "MLLT3"}
# A representative variant for class biomarkers of oncogenes ("EGFR activating variants").
REPRESENTATIVE = {
    "EGFR": ("L858R", "missense", 21), "ERBB2": ("Y772_A775dupYVMA", "inframe_insertion", 20),
    "ESR1": ("Y537S", "missense", 8), "PIK3CA": ("H1047R", "missense", 21), "AKT1": ("E17K", "missense", 3),
    "RET": ("M918T", "missense", 16), "TP53": ("R273H", "missense", 8), "KIT": ("D816V", "missense", 17),
    "FLT3": ("E598_Y599insDVDFREYE", "inframe_insertion", 14),
}
# Statements our curators found to contradict the FDA label they cite (checked against the label; reasons printed).
NOT_BIOMARKER_DIRECTED = ("the label only asks that patients with EGFR/ALK aberrations first progress on targeted "
                          "therapy: not a biomarker-directed indication")
ERRATA: list[tuple[frozenset[str], str, str, str]] = [
    (frozenset({"CDK12 oncogenic variants"}), "Acute Myeloid Leukemia", "midostaurin",
     "midostaurin's AML indication is FLT3-mutated AML; CDK12 is no label biomarker"),
    (frozenset({"EGFR Exon 20 (Insertion)"}), "Invasive Breast Carcinoma", "datopotamab deruxtecan",
     "Datroway's breast indication is HR-positive/HER2-negative; the EGFR biomarker belongs to its NSCLC indication"),
    (frozenset({"HER2-negative", "PR positive"}), "Non-Small Cell Lung Cancer", "datopotamab deruxtecan",
     "receptor status belongs to Datroway's breast indication; its NSCLC indication is EGFR-mutated"),
    (frozenset({"FIP1L1::PDGFRA"}), "Gastrointestinal Stromal Tumor", "imatinib",
     "FIP1L1::PDGFRA is imatinib's hypereosinophilic syndrome / CEL indication, not GIST"),
    (frozenset({"HER2-positive"}), "Gastrointestinal Stromal Tumor", "trastuzumab",
     "trastuzumab has no GIST indication"),
    (frozenset({"KIT p.D816V"}), "Aggressive Systemic Mastocytosis", "imatinib",
     "the imatinib label is for ASM without the D816V mutation (or with unknown KIT status)"),
    (frozenset({"NPM1 p.W288Cfs*12"}), "Acute Leukemias of Ambiguous Lineage", "revumenib",
     "revumenib's NPM1 indication is AML only"),
    (frozenset({"NPM1 p.W288Cfs*12"}), "Burkitt Lymphoma", "revumenib", "Burkitt lymphoma is no revumenib indication"),
    (frozenset({"t(KMT2A;v)"}), "Burkitt Lymphoma", "revumenib", "Burkitt lymphoma is no revumenib indication"),
    (frozenset({"RAD51B oncogenic variants"}), "Prostate Adenocarcinoma", "talazoparib",
     "RAD51B is not among talazoparib's HRR genes (it is among olaparib's)"),
    (frozenset({"v::ALK"}), "Non-Small Cell Lung Cancer", "atezolizumab", NOT_BIOMARKER_DIRECTED),
    (frozenset({"EGFR somatic variants"}), "Non-Small Cell Lung Cancer", "atezolizumab", NOT_BIOMARKER_DIRECTED),
]
STEROIDS = {"prednisone", "prednisolone", "dexamethasone"}
ALIASES = {"abiraterone acetate": "abiraterone", "fam-trastuzumab deruxtecan": "trastuzumab deruxtecan",
           "ado-trastuzumab emtansine": "trastuzumab emtansine",
           "trastuzumab deruxtecan-nxki": "trastuzumab deruxtecan",
           "nab-paclitaxel": "paclitaxel protein-bound", "tretinoin": "tretinoin", "atra": "tretinoin"}


def normalise_drug(name: str) -> str:
    """Lower case, aliases resolved, FDA four-letter suffixes dropped."""
    lowered = re.sub(r"-[a-z]{4}$", "", name.strip().lower())
    return ALIASES.get(lowered, lowered)


class OutOfScopeError(Exception):
    """A biomarker or tumour type the synthetic tumour cannot carry."""


def _ext(item: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in item.get("extensions", [])}


def _gene_symbols(biomarker: dict[str, Any], genes: dict[int, str]) -> list[str]:
    return [genes[g] for g in biomarker.get("genes", [])]


def _variant(gene: str, change: str, consequence: str, exon: int | None, germline: bool, note: str,
             intron: int | None = None) -> SomaticVariant:
    return SomaticVariant(gene=gene, protein_change=change, consequence=consequence,  # type: ignore[arg-type]
                          exon=exon, intron=intron, vaf=0.4, depth=200, origin="germline" if germline else "somatic",
                          source=f"synthetic:{note}")


def _exon_number(text: Any) -> int | None:
    match = re.match(r"(\d+)", str(text or ""))
    return int(match.group(1)) if match else None


def add_variant_biomarker(name: str, ext: dict[str, Any], gene: str, germline: bool, tumour: dict[str, Any]) -> None:
    change = (ext.get("protein_change") or "").removeprefix("p.")
    annotation = (ext.get("variant_annotation") or "").lower()
    exon = _exon_number(ext.get("exon"))
    lowered = name.lower()
    if change:
        consequence = ("frameshift" if "fs" in change else "nonsense" if change.endswith("*") else
                       "inframe_deletion" if change.endswith("del") else "missense")
        tumour["variants"].append(_variant(gene, change, consequence, exon, germline, name))
    elif "exon 19 (deletion)" in lowered:
        tumour["variants"].append(_variant(gene, "E746_A750del", "inframe_deletion", 19, germline, name))
    elif "exon 20 (insertion)" in lowered:
        tumour["variants"].append(_variant(gene, "D770_N771insSVD", "inframe_insertion", 20, germline, name))
    elif "exon 14 (splice site)" in lowered:
        tumour["variants"].append(_variant(gene, "X1010_splice", "splice_site", None, germline, name, intron=14))
    elif "exon 14 (deletion)" in lowered:
        tumour["variants"].append(_variant(gene, "D1002_D1010del", "inframe_deletion", 14, germline, name))
    elif "itd" in lowered or "internal tandem" in annotation:
        tumour["variants"].append(_variant(gene, *REPRESENTATIVE["FLT3"], germline, name))
    elif annotation in ("nonsense",) or "nonsense" in lowered:
        tumour["variants"].append(_variant(gene, "R100*", "nonsense", None, germline, name))
    elif annotation == "frameshift" or "frameshift" in lowered:
        tumour["variants"].append(_variant(gene, "K100fs", "frameshift", None, germline, name))
    elif annotation == "splice site" or "splice site" in lowered:
        tumour["variants"].append(_variant(gene, "X100_splice", "splice_site", None, germline, name))
    elif gene in REPRESENTATIVE and ("activating" in lowered or "somatic variants" in lowered
                                     or ("oncogenic" in lowered and gene in ("RET", "KIT"))):
        tumour["variants"].append(_variant(gene, *REPRESENTATIVE[gene], germline, name))
    elif "oncogenic" in lowered or "pathogenic" in lowered or "somatic variants" in lowered:
        tumour["variants"].append(_variant(gene, "R100*", "nonsense", None, germline, name))
    else:
        raise OutOfScopeError(f"variant biomarker not modelled: {name}")


def add_protein_biomarker(name: str, ext: dict[str, Any], tumour: dict[str, Any]) -> None:
    marker, value, unit = str(ext.get("marker", "")), ext.get("value"), str(ext.get("unit", ""))
    clinical = tumour["clinical"]
    if "Estrogen" in marker:
        clinical["er"] = "positive" if value == "Positive" else "negative"
    elif "Progesterone" in marker:
        clinical["pr"] = "positive" if value == "Positive" else "negative"
    elif "HER2" in marker:
        clinical["her2_ihc"] = {"Positive": "3+", "Negative": "0", "Low": "1+", "Ultralow": "0-ultralow"}[value]
    elif marker == "PD-L1":
        if ext.get("equality") != ">=":
            raise OutOfScopeError(f"PD-L1 upper bound not expressible: {name}")
        scale = ("CPS" if "CPS" in unit else "TAP" if "TAP" in unit else "IC" if "TIIC" in unit or "immune" in unit
                 else "TPS")
        score = float(value) if scale == "CPS" else float(value) * 100
        clinical["pdl1"][scale] = score
    elif marker in IHC_MARKERS:
        # At the statement's cut-off (the label's): CLDN18.2 >= 75% at moderate-to-strong (2+) staining, c-Met >= 50%
        # at strong (3+); FOLR1 "positive" is the label's FRα-positive, >= 75% of viable tumour cells at 2+ or 3+.
        name_here, intensity = IHC_MARKERS[marker]
        share = 75.0 if value == "Positive" else float(value) * 100
        clinical.setdefault("ihc", {}).setdefault(name_here, {})[intensity] = share
    else:
        raise OutOfScopeError(f"protein marker {marker}")


def add_biomarker(biomarker: dict[str, Any], genes: dict[int, str], tumour: dict[str, Any]) -> None:
    """Give the synthetic tumour one MOAlmanac biomarker (or raise OutOfScopeError)."""
    ext = _ext(biomarker)
    kind, name = ext["biomarker_type"], biomarker["name"]
    symbols = _gene_symbols(biomarker, genes)
    if kind in ("Somatic Variant", "Germline Variant"):
        add_variant_biomarker(name, ext, symbols[0], kind == "Germline Variant", tumour)
    elif kind == "Rearrangement":
        pair = {"t(15;17)": ("PML", "RARA"), "t(KMT2A;v)": ("KMT2A", "MLLT3")}.get(name)
        if pair is None and len(symbols) == 2:
            pair = (symbols[0], symbols[1])
        elif pair is None:
            pair = (FUSION_PARTNER.get(symbols[0], "TPM3"), symbols[0])
        tumour["fusions"].append(Fusion(gene_a=pair[0], gene_b=pair[1], description=f"{pair[0]}::{pair[1]}",
                                        source=f"synthetic:{name}"))
    elif kind == "Copy Number":
        call = "amplification" if ext.get("direction") == "Amplification" else "deep_deletion"
        tumour["cna"].append(CopyNumberCall(gene=symbols[0], call=call, source=f"synthetic:{name}"))  # type: ignore[arg-type]
    elif kind == "Wild type":
        tumour["wildtype"].update(symbols)
    elif kind == "Microsatellite Stability":
        tumour["clinical"]["msi_status"] = "MSI-H" if "high" in ext["status"].lower() else "MSI-L"
    elif kind == "Mismatch Repair":
        tumour["clinical"]["mmr_status"] = "dMMR" if ext["status"] == "Deficient" else "pMMR"
    elif kind == "Tumor mutational burden":
        tumour["clinical"]["tmb"] = 20.0
    elif kind == "Homologous Recombination":
        tumour["clinical"]["hrd"] = "positive"
    elif kind == "Protein expression":
        add_protein_biomarker(name, ext, tumour)
    else:
        raise OutOfScopeError(f"{kind} ({name})")


def load(moalmanac: Path) -> dict[str, Any]:
    names = ("statements", "propositions", "biomarkers", "diseases", "therapies", "therapy_groups", "documents",
             "genes", "indications")
    data = {n: json.loads((moalmanac / f"{n}.json").read_text(encoding="utf-8")) for n in names}
    return data


def fda_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Unique (biomarkers, disease, regimen) FDA sensitivity statements, with their indication ids."""
    propositions = {p["id"]: p for p in data["propositions"]}
    biomarkers = {b["id"]: b for b in data["biomarkers"]}
    diseases = {d["id"]: d for d in data["diseases"]}
    therapies = {t["id"]: t for t in data["therapies"]}
    groups = {g["id"]: g for g in data["therapy_groups"]}
    documents = {d["id"]: d for d in data["documents"]}
    indications = {i["id"]: i.get("indication", "") for i in data["indications"]}
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for statement in data["statements"]:
        if documents[statement["reportedIn"][0]]["agent_id"] != "fda":
            continue
        proposition = propositions[statement["proposition_id"]]
        members = [therapies[proposition["therapy_id"]]] if proposition.get("therapy_id") is not None else [
            therapies[t] for t in groups[proposition["therapy_group_id"]]["therapies"]]
        regimen = tuple(sorted(t["name"] for t in members))
        key = (tuple(sorted(proposition["biomarkers"])), proposition["conditionQualifier_id"], regimen,
               proposition["predicate"])
        row = rows.setdefault(key, {"biomarkers": [biomarkers[b] for b in proposition["biomarkers"]],
                                    "disease": diseases[proposition["conditionQualifier_id"]], "members": members,
                                    "predicate": proposition["predicate"], "indications": set(),
                                    "indication_texts": []})
        row["indications"].add(statement.get("indication_id"))
        row["indication_texts"].append(indications.get(statement.get("indication_id"), ""))
    return list(rows.values())


def _disease_contradicts_indication(row: dict[str, Any]) -> bool:
    """MOAlmanac codes some AML indications (gilteritinib, revumenib NPM1) as acute lymphoid leukaemia."""
    disease = row["disease"]["name"].lower()
    texts = " ".join(row["indication_texts"]).lower()
    return "lymphoid" in disease and "myeloid leukemia" in texts and "lymphoblastic" not in texts


def erratum(row: dict[str, Any]) -> str | None:
    """The reason a statement contradicts its own label, if it is one of :data:`ERRATA`."""
    names = frozenset(b["name"] for b in row["biomarkers"])
    drugs = {normalise_drug(t["name"]) for t in row["members"]}
    for biomarkers, disease, drug, reason in ERRATA:
        if names == biomarkers and row["disease"]["name"] == disease and drug in drugs:
            return reason
    return None


def required_drugs(members: list[dict[str, Any]]) -> set[str]:
    """Regimen drugs that are not chemotherapy or corticosteroids."""
    needed = set()
    for therapy in members:
        kind = _ext(therapy).get("therapy_type")
        name = normalise_drug(therapy["name"])
        if (kind != "Chemotherapy" or name in NOT_CHEMOTHERAPY) and name not in STEROIDS:
            needed.add(name)
    return needed


def evaluate(row: dict[str, Any], context: OncoContext, genes: dict[int, str]) -> tuple[str, str]:
    """('found' | 'miss' | 'out of scope', detail)."""
    disease_code = row["disease"]["primary_coding_id"]
    code = disease_code.split(":", 1)[1] if disease_code.startswith("oncotree:") else NCIT_TO_ONCOTREE.get(disease_code)
    if code is None:
        return "out of scope", f"no OncoTree code for {row['disease']['name']}"
    code = RETIRED_CODES.get(code, code)
    if _disease_contradicts_indication(row):
        return "erratum", "disease coded lymphoid but the indication text is myeloid leukaemia"
    reason = erratum(row)
    if reason:
        return "erratum", reason
    tumour: dict[str, Any] = {"variants": [], "fusions": [], "cna": [], "wildtype": set(),
                              "clinical": {"pdl1": {}}}
    try:
        for biomarker in row["biomarkers"]:
            add_biomarker(biomarker, genes, tumour)
    except OutOfScopeError as exc:
        return "out of scope", str(exc)
    try:
        tumour_type = context.tree.resolve(code)
    except Exception as exc:  # noqa: BLE001 - reported as a miss with the reason
        return "miss", f"tumour type {code}: {exc}"
    profile = TumourProfile(sample_id="synthetic", tumour_type=tumour_type, variants=tumour["variants"],
                            copy_number=tumour["cna"], fusions=tumour["fusions"],
                            clinical=ClinicalBiomarkers.model_validate(tumour["clinical"]))
    result = interpret_tumour(profile, context.knowledge, context.tree, tumour_type_name=code,
                              provenance=Provenance(software="bench", software_version="0", knowledge=[],
                                                    created="now"))
    needed = required_drugs(row["members"])
    here = [o for o in result.therapies if o.tumour_match == "same" and o.response == "sensitive"
            and o.tier in ("I-A", "I-B")]
    # An option conditional on a status the synthetic tumour does not give is not "found": it is not met.
    for option in (o for o in here if not o.unknown_requirements):
        if needed <= {normalise_drug(d) for d in option.drugs}:
            return "found", option.record_id
    for option in (o for o in here if o.unknown_requirements):
        if needed <= {normalise_drug(d) for d in option.drugs}:
            unknown = "; ".join(f"{u.requirement} ({u.missing})" for u in option.unknown_requirements)
            return "miss", f"offered only conditionally ({option.record_id}): requires {unknown}"
    offered = "; ".join(sorted({o.therapy for o in here if not o.unknown_requirements})[:4]) or "no tier I option"
    return "miss", f"needs {sorted(needed)}; offered: {offered}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moalmanac", type=Path, default=DEFAULT_MOALMANAC)
    parser.add_argument("--oncotree", type=Path, default=None, help="OncoTree JSON (default: built-in copy)")
    parser.add_argument("--pack", default="onco-core")
    args = parser.parse_args(argv)
    if not (args.moalmanac / "statements.json").is_file():
        print(f"MOAlmanac not found at {args.moalmanac}", file=sys.stderr)
        return 2
    data = load(args.moalmanac)
    genes = {g["id"]: g["name"] for g in data["genes"]}
    context = OncoContext.load(args.pack, oncotree=args.oncotree)
    outcomes: Counter[str] = Counter()
    out_reasons: Counter[str] = Counter()
    misses: list[tuple[str, str]] = []
    errata: list[tuple[str, str]] = []
    by_indication: dict[str, set[str]] = defaultdict(set)
    for row in fda_rows(data):
        if row["predicate"] != "predictSensitivityTo":
            continue
        status, detail = evaluate(row, context, genes)
        outcomes[status] += 1
        for indication in row["indications"]:
            by_indication[indication].add(status)
        label = (f"{' + '.join(b['name'] for b in row['biomarkers'])} | {row['disease']['name']} | "
                 f"{' + '.join(t['name'] for t in row['members'])}")
        if status == "out of scope":
            out_reasons[re.sub(r":.*", "", detail)] += 1
        elif status == "miss":
            misses.append((label, detail))
        elif status == "erratum":
            errata.append((label, detail))
    print(f"knowledge: {context.knowledge.version_label}; OncoTree: {context.tree.version}")
    print("\nmisses (biomarkers | tumour type | regimen -> reason):")
    for label, detail in sorted(misses):
        print(f"  {label} -> {detail}")
    print("\nMOAlmanac statements that contradict the label they cite (excluded; reason):")
    for label, detail in sorted(errata):
        print(f"  {label} -> {detail}")
    print("\nout of scope by reason:")
    for reason, count in out_reasons.most_common():
        print(f"  {count:4d}  {reason}")
    in_scope = outcomes["found"] + outcomes["miss"]
    with_errata = in_scope + outcomes["erratum"]
    indications_in_scope = [s for s in by_indication.values() if s - {"out of scope", "erratum"}]
    indications_found = [s for s in indications_in_scope if "miss" not in s]
    print(f"\nstatements: {sum(outcomes.values())}, in scope {in_scope}, errata {outcomes['erratum']}, "
          f"out of scope {outcomes['out of scope']}")
    print(f"coverage counting errata as misses: {outcomes['found']}/{with_errata} "
          f"({100 * outcomes['found'] / max(1, with_errata):.1f}%)")
    print(f"indications in scope: {len(indications_in_scope)}, fully found: {len(indications_found)} "
          f"({100 * len(indications_found) / max(1, len(indications_in_scope)):.1f}%)")
    print(f"coverage: {outcomes['found']}/{in_scope} ({100 * outcomes['found'] / max(1, in_scope):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
