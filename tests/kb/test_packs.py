"""Knowledge packs: the built-in pack validates; broken packs fail with file and place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tailormed.errors import KnowledgeError
from tailormed.kb.pack import BUILTIN_PACKS_DIR, NOT_TESTED, load_knowledge_base, load_pack, possible_phenotypes

CORE = BUILTIN_PACKS_DIR / "pgx-core"
ISSUE_GENES = {"CYP2B6", "CYP2C9", "CYP2C19", "CYP3A5", "CYP4F2", "VKORC1", "DPYD", "TPMT", "NUDT15", "SLCO1B1",
               "ABCG2", "UGT1A1", "IFNL3", "G6PD", "RYR1", "CACNA1S", "NAT2", "CFTR", "CYP2D6", "MT-RNR1",
               "HLA-A", "HLA-B"}


def test_core_pack_covers_the_issue_genes(kb):
    assert set(kb.genes) >= ISSUE_GENES


def test_every_drug_cites_a_declared_guideline(kb):
    for drug in kb.drugs.values():
        assert drug.guideline in kb.sources, drug.drug
        assert kb.sources[drug.guideline].citation


def test_every_drug_rule_can_fire(kb):
    """Each recommendation's phenotype values are ones its gene can produce, or 'Not tested' (checked by the loader
    too), and no rule rests on untested genes alone."""
    for drug in kb.drugs.values():
        for rec in drug.recommendations:
            for gene, condition in rec.when.items():
                if condition.phenotype:
                    assert set(condition.phenotype) <= possible_phenotypes(kb.genes[gene]) | {NOT_TESTED}, (
                        drug.drug, gene)
            assert any(c.phenotype != [NOT_TESTED] for c in rec.when.values()), drug.drug


def test_every_recommendation_row_states_whether_it_changes_care():
    """Read as plain YAML (not through the model, which would refuse the pack): every row carries changes_care."""
    files = sorted((CORE / "drugs").glob("*.yaml"))
    assert len(files) == 88
    rows = 0
    for path in files:
        for i, rec in enumerate(yaml.safe_load(path.read_text())["recommendations"]):
            assert isinstance(rec.get("changes_care"), bool), f"{path.name} recommendation {i} lacks changes_care"
            rows += 1
    assert rows == 492


def test_usual_care_wording_is_never_marked_as_a_change(kb):
    """Rows whose text keeps usual care ('no reason to avoid', 'standard dosing', ...) say changes_care: false."""
    usual = ("genotype gives no reason to avoid", "genotype gives no reason to change", "no change from usual dosing")
    whole = ("start with the usual starting dose.", "start with the usual recommended starting dose.",
             "use standard dosing.", "start with the standard-of-care dose.")
    checked = 0
    for drug in kb.drugs.values():
        for rec in drug.recommendations:
            text = rec.recommendation.lower()
            if text.startswith(usual) or text in whole or text.endswith("can be used with standard dosing."):
                assert rec.changes_care is False, (drug.drug, rec.recommendation)
                checked += 1
    assert checked >= 20


def test_recommendation_without_changes_care_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "atazanavir.yaml"
    text = path.read_text()
    assert text.count("  changes_care: false\n") == 2
    path.write_text(text.replace("  changes_care: false\n", "", 1))
    with pytest.raises(KnowledgeError, match="changes_care") as error:
        load_pack(pack)
    assert "atazanavir.yaml" in str(error.value)


def test_test_before_prescribing_must_cite_a_declared_source_and_a_drug_gene(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "abacavir.yaml"
    original = path.read_text()
    path.write_text(original.replace("  sources:\n  - fda-label-abacavir\n", "  sources:\n  - no-such-label\n"))
    with pytest.raises(KnowledgeError, match="no-such-label"):
        load_pack(pack)
    path.write_text(original.replace("  genes:\n  - HLA-B\n  advice:", "  genes:\n  - HLA-A\n  advice:"))
    with pytest.raises(KnowledgeError, match="test_before_prescribing names genes"):
        load_pack(pack)


def test_rule_resting_only_on_untested_genes_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "abacavir.yaml"
    path.write_text(path.read_text().replace("      allele_status:\n      - '*57:01 positive'",
                                             "      phenotype:\n      - Not tested", 1))
    with pytest.raises(KnowledgeError, match="only on untested genes"):
        load_knowledge_base(str(pack))


def test_key_cpic_facts(kb):
    """Spot checks of facts a reviewer can verify in the guidelines."""
    cyp2c19 = kb.genes["CYP2C19"]
    variants = {v.id: v for v in cyp2c19.variants}
    assert (variants["rs4244285"].position, variants["rs4244285"].ref,
            variants["rs4244285"].alt) == (94781859, "G", ["A"])
    assert (variants["rs12248560"].position, variants["rs12248560"].alt) == (94761900, ["T"])
    functions = {a.name: a.function for a in cyp2c19.alleles}
    assert functions["*2"] == "No function" and functions["*17"] == "Increased function"
    cyp2c9 = {a.name: a.activity_value for a in kb.genes["CYP2C9"].alleles}
    assert (cyp2c9["*1"], cyp2c9["*2"], cyp2c9["*3"]) == (1.0, 0.5, 0.0)
    dpyd = {a.name: a.activity_value for a in kb.genes["DPYD"].alleles}
    assert dpyd[next(n for n in dpyd if n.startswith("c.1905+1G>A"))] == 0.0
    assert dpyd[next(n for n in dpyd if n.startswith("c.2846A>T"))] == 0.5


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(CORE, target)
    return target


def test_invalid_yaml_names_file_and_line(tmp_path):
    pack = _copy(tmp_path)
    (pack / "genes" / "CYP2C19.yaml").write_text("gene: CYP2C19\n  bad: [indent\n")
    with pytest.raises(KnowledgeError) as error:
        load_pack(pack)
    assert "CYP2C19.yaml" in str(error.value) and "not valid YAML" in str(error.value)


def test_unknown_source_id_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "clopidogrel.yaml"
    text = path.read_text()
    path.write_text(text.replace("guideline: ", "guideline: no-such-source-", 1))
    with pytest.raises(KnowledgeError, match="which no file of the pack declares"):
        load_pack(pack)


def test_drug_rule_with_impossible_phenotype_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "drugs" / "clopidogrel.yaml"
    path.write_text(path.read_text().replace("Poor Metabolizer", "Very Poor Metabolizer", 1))
    with pytest.raises(KnowledgeError, match="cannot be produced"):
        load_knowledge_base(str(pack))


def test_allele_with_unknown_variant_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "genes" / "CYP2C19.yaml"
    path.write_text(path.read_text().replace("rs4244285: A", "rs0000000: A", 1))
    with pytest.raises(KnowledgeError, match="unknown variant id"):
        load_pack(pack)


def test_not_a_pack(tmp_path):
    with pytest.raises(KnowledgeError, match="manifest.yaml"):
        load_pack(tmp_path)


# --------------------------------------------------------------------------- phenoconversion.yaml


def test_core_pack_lists_cited_perpetrators_and_rules(kb):
    """Every listed perpetrator is an FDA-classed strong/moderate inhibitor or inducer with a declared source and a
    note on how it was checked; CYP2D6 has the CPIC opioid-guideline multiplier rule, CYP2C19/CYP2C9 caution only."""
    knowledge = kb.phenoconversion
    assert knowledge is not None and kb.phenoconversion_file.endswith("pgx-core/phenoconversion.yaml")
    assert len(knowledge.perpetrators) == 15
    for p in knowledge.perpetrators:
        assert p.source in kb.sources and p.source.startswith("fda-"), p.drug
        assert p.enzyme in {"CYP2D6", "CYP2C19", "CYP2C9"} and p.strength in {"strong", "moderate"}
        assert len(p.checked) > 20, p.drug
    strong_2d6 = {p.drug for p in knowledge.perpetrators if (p.enzyme, p.effect, p.strength) ==
                  ("CYP2D6", "inhibitor", "strong")}
    assert strong_2d6 == {"bupropion", "fluoxetine", "paroxetine", "quinidine", "terbinafine"}
    assert not [p for p in knowledge.perpetrators if p.enzyme == "CYP2D6" and p.effect == "inducer"]
    cyp2d6 = knowledge.rule("CYP2D6")
    assert cyp2d6 is not None and cyp2d6.method == "activity_score_multiplier"
    assert cyp2d6.multipliers == {"strong": 0.0, "moderate": 0.5}
    assert cyp2d6.applies_to_drugs == ["codeine", "tramadol", "hydrocodone"]
    assert "cpic-opioids-2021" in cyp2d6.sources
    assert [cyp2d6.phenotype_for(s) for s in (0.0, 0.125, 0.625, 1.0, 1.25, 2.25, 2.5)] == [
        "Poor Metabolizer", "Intermediate Metabolizer", "Intermediate Metabolizer", "Intermediate Metabolizer",
        "Normal Metabolizer", "Normal Metabolizer", "Ultrarapid Metabolizer"]
    for enzyme in ("CYP2C19", "CYP2C9"):
        rule = knowledge.rule(enzyme)
        assert rule is not None and rule.method == "caution_only" and not rule.multipliers


@pytest.mark.parametrize(("old", "new", "field"), [
    ("- drug: quinidine\n  enzyme: CYP2D6\n", "- drug: quinidine\n  enzyme: CYP3A4\n", "perpetrators.3.enzyme"),
    ("- drug: cinacalcet\n  enzyme: CYP2D6\n  effect: inhibitor\n  strength: moderate\n",
     "- drug: cinacalcet\n  enzyme: CYP2D6\n  effect: inhibitor\n  strength: weak\n", "perpetrators.6.strength"),
    ("- drug: duloxetine\n  enzyme: CYP2D6\n  effect: inhibitor\n",
     "- drug: duloxetine\n  enzyme: CYP2D6\n  effect: substrate\n", "perpetrators.7.effect"),
    ("  method: caution_only\n  sources: [cpic-ssri-snri-2023]\n  notes:\n  - \"CPIC's CYP2C19",
     "  method: adjust_somehow\n  sources: [cpic-ssri-snri-2023]\n  notes:\n  - \"CPIC's CYP2C19", "rules.1.method"),
])
def test_unknown_enzyme_strength_effect_or_method_is_refused_with_file_and_field(tmp_path, old, new, field):
    pack = _copy(tmp_path)
    path = pack / "phenoconversion.yaml"
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    with pytest.raises(KnowledgeError) as error:
        load_pack(pack)
    assert "phenoconversion.yaml" in str(error.value) and field in str(error.value)


def test_perpetrator_citing_an_undeclared_source_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "phenoconversion.yaml"
    text = path.read_text()
    path.write_text(text.replace("- drug: terbinafine\n  enzyme: CYP2D6\n  effect: inhibitor\n  strength: strong\n"
                                 "  source: fda-cyp-interaction-examples\n",
                                 "- drug: terbinafine\n  enzyme: CYP2D6\n  effect: inhibitor\n  strength: strong\n"
                                 "  source: some-blog\n"))
    with pytest.raises(KnowledgeError, match="some-blog") as error:
        load_pack(pack)
    assert "phenoconversion.yaml" in str(error.value)


def test_rule_scope_must_name_drugs_of_the_enzyme(tmp_path):
    """applies_to_drugs is checked against the drug files: a CYP2C19 drug cannot be in the CYP2D6 rule's scope."""
    pack = _copy(tmp_path)
    path = pack / "phenoconversion.yaml"
    text = path.read_text()
    path.write_text(text.replace("applies_to_drugs: [codeine, tramadol, hydrocodone]",
                                 "applies_to_drugs: [codeine, clopidogrel]"))
    with pytest.raises(KnowledgeError, match="clopidogrel") as error:
        load_knowledge_base(str(pack))
    assert "phenoconversion.yaml" in str(error.value) and "rules.0.applies_to_drugs" in str(error.value)


def test_caution_only_rule_cannot_carry_a_multiplier(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "phenoconversion.yaml"
    text = path.read_text()
    path.write_text(text.replace("- enzyme: CYP2C9\n  method: caution_only\n",
                                 "- enzyme: CYP2C9\n  method: caution_only\n  multipliers: {strong: 0.0}\n"))
    with pytest.raises(KnowledgeError, match="caution_only takes no multipliers") as error:
        load_pack(pack)
    assert "phenoconversion.yaml" in str(error.value)


def test_a_drug_listed_twice_for_one_enzyme_is_refused(tmp_path):
    pack = _copy(tmp_path)
    path = pack / "phenoconversion.yaml"
    path.write_text(path.read_text().replace("- drug: lorcaserin\n", "- drug: duloxetine\n"))
    with pytest.raises(KnowledgeError, match="duloxetine listed twice"):
        load_pack(pack)


def _with_alternative(tmp_path: Path, entry: object) -> Path:
    pack = _copy(tmp_path)
    path = pack / "drugs" / "codeine.yaml"
    data = yaml.safe_load(path.read_text())
    row = next(r for r in data["recommendations"] if r["changes_care"])
    row["alternatives"] = [entry]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return pack


def test_alternatives_resolve_to_rxnorm_codes(kb):
    named = [(d.drug, a) for d in kb.drugs.values() for r in d.recommendations for a in r.alternatives]
    assert {("amitriptyline", "nortriptyline"), ("clopidogrel", "prasugrel")} <= {(d, a.drug) for d, a in named}
    for _, alternative in named:  # a pack drug with a cited code, or a code with its source
        assert (alternative.rxnorm and alternative.source) or alternative.drug in kb.ingredient_codes


def test_unknown_alternative_is_a_knowledge_error_naming_the_file(tmp_path):
    pack = _with_alternative(tmp_path, "no-such-opioid")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge_base(str(pack))
    assert "codeine.yaml" in str(error.value) and "no-such-opioid" in str(error.value)
    assert "alternatives.0" in str(error.value)


def test_an_alternative_outside_the_pack_needs_its_code_and_source(tmp_path):
    with pytest.raises(KnowledgeError, match="needs a source"):
        load_knowledge_base(str(_with_alternative(tmp_path / "a", {"drug": "morphine", "rxnorm": "7052"})))
    kb = load_knowledge_base(str(_with_alternative(tmp_path / "b", {
        "drug": "morphine", "rxnorm": "7052", "source": "CPIC drug table (cpicpgx/cpic-schema drug.sql)"})))
    assert any(a.rxnorm == "7052" for r in kb.drugs["codeine"].recommendations for a in r.alternatives)
