"""OncoTree: the built-in compact copy, the OncoTree API JSON forms, the hierarchy and the SOLID/HEME/ANY groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.errors import InputError
from tailormed.kb.oncotree import COMPACT_TREE, GROUPS, OncoTree, TumourType, load_oncotree

SHARED_TREE = ("onco", "oncotree", "oncotree_2025_10_03.json")
TISSUES = {"ADRENAL_GLAND", "AMPULLA_OF_VATER", "BILIARY_TRACT", "BLADDER", "BONE", "BOWEL", "BRAIN", "BREAST",
           "CERVIX", "EYE", "HEAD_NECK", "KIDNEY", "LIVER", "LUNG", "LYMPH", "MYELOID", "OTHER", "OVARY", "PANCREAS",
           "PENIS", "PERITONEUM", "PLEURA", "PNS", "PROSTATE", "SKIN", "SOFT_TISSUE", "STOMACH", "TESTIS", "THYMUS",
           "THYROID", "UTERUS", "VULVA"}
"""The 32 tissue-level nodes of OncoTree oncotree_2025_10_03."""


@pytest.fixture(scope="module")
def tree() -> OncoTree:
    return load_oncotree()


def _node(code: str, name: str, parent: str | None, tissue: str, main_type: str, children: dict[str, Any] | None = None,
          **extra: Any) -> dict[str, Any]:
    """A node as the OncoTree API writes it (only the fields TailorMed reads, plus ``extra``)."""
    return {"code": code, "name": name, "parent": parent, "tissue": tissue, "mainType": main_type,
            "children": children or {}, **extra}


def nested_tree() -> dict[str, Any]:
    """A small tree in the nested release-file form (made up for the test, shaped like the real one)."""
    luad = _node("LUAD", "Lung Adenocarcinoma", "NSCLC", "Lung", "Non-Small Cell Lung Cancer")
    nsclc = _node("NSCLC", "Non-Small Cell Lung Cancer", "LUNG", "Lung", "Non-Small Cell Lung Cancer", {"LUAD": luad})
    lung = _node("LUNG", "Lung", "TISSUE", "Lung", "Lung Cancer", {"NSCLC": nsclc})
    pcm = _node("PCM", "Plasma Cell Myeloma", "LYMPH", "Lymphoid", "Mature B-Cell Neoplasms", history=["MM"])
    lymph = _node("LYMPH", "Lymphoid", "TISSUE", "Lymphoid", "Blood Cancer", {"PCM": pcm})
    root = {"code": "TISSUE", "name": "Tissue", "parent": None, "tissue": None, "mainType": None,
            "children": {"LUNG": lung, "LYMPH": lymph}}
    return {"TISSUE": root}


def flat_tree() -> list[dict[str, Any]]:
    """The same tree as /api/tumorTypes lists it: the root too, tissue-level parents 'TISSUE', empty children."""
    return [
        {"code": "TISSUE", "name": "Tissue", "parent": None, "tissue": None, "mainType": None, "level": 0},
        {"code": "LUAD", "name": "Lung Adenocarcinoma", "parent": "NSCLC", "tissue": "Lung",
         "mainType": "Non-Small Cell Lung Cancer", "level": 3, "history": [], "precursors": [], "revocations": []},
        {"code": "NSCLC", "name": "Non-Small Cell Lung Cancer", "parent": "LUNG", "tissue": "Lung",
         "mainType": "Non-Small Cell Lung Cancer", "level": 2},
        {"code": "LUNG", "name": "Lung", "parent": "TISSUE", "tissue": "Lung", "mainType": "Lung Cancer", "level": 1},
        {"code": "LYMPH", "name": "Lymphoid", "parent": "TISSUE", "tissue": "Lymphoid", "mainType": "Blood Cancer"},
        {"code": "PCM", "name": "Plasma Cell Myeloma", "parent": "LYMPH", "tissue": "Lymphoid",
         "mainType": "Mature B-Cell Neoplasms", "history": ["MM"]},
    ]


def write_json(tmp_path: Path, data: Any, name: str = "tree.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


# ---------------------------------------------------------------------------- the built-in compact copy


def test_builtin_tree_is_the_curated_subset(tree: OncoTree) -> None:
    assert 300 <= len(tree) <= 480
    assert tree.version.startswith("oncotree_2025_10_03 (TailorMed compact subset")
    assert tree.source == "built-in"
    assert {code for code in tree if tree.parent(code) is None} == TISSUES
    assert tree.get("LUAD") == TumourType(code="LUAD", name="Lung Adenocarcinoma", parent="NSCLC", tissue="Lung",
                                          main_type="Non-Small Cell Lung Cancer")
    assert load_oncotree() is tree  # cached


def test_builtin_file_names_release_licence_and_subset() -> None:
    header = [line for line in COMPACT_TREE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert "# release: oncotree_2025_10_03" in header
    assert "CC BY 4.0" in text and "Memorial Sloan Kettering" in text
    assert "subset" in text


@pytest.mark.parametrize("code", [
    "NSCLC", "LUAD", "LUSC", "SCLC", "BRCA", "IDC", "ILC", "COADREAD", "COAD", "READ", "STAD", "ESCA", "GEJ", "PAAD",
    "CHOL", "IHCH", "HCC", "PRAD", "BLCA", "UTUC", "CCRCC", "PRCC", "HGSOC", "UEC", "USC", "CESC", "MEL", "SKCM", "UM",
    "THPA", "THAP", "THME", "GB", "ASTR", "ODG", "DMG", "GIST", "HNSC", "NPC", "AML", "AMLNPM1", "APLPMLRARA", "CML",
    "CMLBCRABL1", "MDS", "CMML", "SM", "BLL", "BLLBCRABL1", "TLL", "CLLSLL", "DLBCLNOS", "FL", "MCL", "PCM", "HL",
    "ALCL", "LCH", "ECD",
])
def test_builtin_tree_has_the_common_codes(tree: OncoTree, code: str) -> None:
    assert code in tree


def test_every_code_within_its_ancestors_and_one_group(tree: OncoTree) -> None:
    for code in tree:
        assert tree.is_within(code, code)
        for ancestor in tree.ancestors(code):
            assert tree.is_within(code, ancestor)
            assert not tree.is_within(ancestor, code)
            assert tree.tissue(ancestor) == tree.tissue(code)
        assert tree.is_within(code, "SOLID") != tree.is_within(code, "HEME")
        assert tree.is_within(code, "ANY")


# ---------------------------------------------------------------------------- hierarchy and groups


def test_hierarchy(tree: OncoTree) -> None:
    assert tree.ancestors("LUAD") == ["NSCLC", "LUNG"]
    assert tree.is_within("LUAD", "NSCLC") and tree.is_within("NSCLC", "LUNG") and tree.is_within("LUAD", "LUNG")
    assert not tree.is_within("NSCLC", "LUAD")
    assert not tree.is_within("LUSC", "LUAD")
    assert not tree.is_within("SCLC", "NSCLC")
    assert tree.is_within("CMLBCRABL1", "CML") and tree.is_within("CMLBCRABL1", "MPN")
    assert not tree.is_within("CML", "CMLBCRABL1")
    assert tree.is_within("IDC", "BRCA") and tree.is_within("IDC", "BREAST")
    assert tree.is_within("READ", "COADREAD") and tree.is_within("COADREAD", "BOWEL")
    assert tree.children("NSCLC")[:2] == ["LCLC", "LUAD"]
    assert tree.main_type("LUAD") == "Non-Small Cell Lung Cancer"


def test_groups(tree: OncoTree) -> None:
    assert tree.is_within("BRCA", "SOLID") and not tree.is_within("BRCA", "HEME")
    assert tree.is_within("AML", "HEME") and not tree.is_within("AML", "SOLID")
    assert tree.is_within("CLLSLL", "HEME")               # Lymphoid tissue
    assert tree.is_within("LCH", "HEME")                  # histiocytic neoplasms sit in OncoTree's Myeloid tissue
    assert tree.is_within("GIST", "SOLID") and tree.is_within("CUP", "SOLID")
    assert tree.is_within("AML", "ANY") and tree.is_within("BRCA", "ANY")
    # a group given as the tumour's own type is within itself and ANY only
    assert tree.is_within("SOLID", "SOLID") and tree.is_within("SOLID", "ANY")
    assert not tree.is_within("SOLID", "HEME") and not tree.is_within("SOLID", "LUNG")
    assert tree.name("SOLID") == GROUPS["SOLID"] == "any solid tumour"


def test_case_insensitive_lookup(tree: OncoTree) -> None:
    assert tree.resolve("luad") == "LUAD"
    assert tree.resolve(" Nsclc ") == "NSCLC"
    assert tree.resolve("heme") == "HEME"
    assert tree.resolve("mds/mpn") == "MDS/MPN"
    assert tree.is_within("luad", "nsclc") and tree.is_within("aml", "heme")
    assert "luad" in tree and "LUADD" not in tree
    assert tree.name("luad") == "Lung Adenocarcinoma"


def test_unknown_code_suggests_the_closest(tree: OncoTree) -> None:
    with pytest.raises(InputError) as excinfo:
        tree.resolve("LUADD")
    message = str(excinfo.value)
    assert message.startswith("unknown OncoTree code 'LUADD'; did you mean LUAD (Lung Adenocarcinoma)")
    assert "compact subset" in message
    with pytest.raises(InputError, match=r"did you mean MEL \(Melanoma\)"):
        tree.resolve("melanoma")  # a name rather than a code
    with pytest.raises(InputError, match="unknown OncoTree code 'QQQQQQ' \\(codes: https://oncotree.mskcc.org\\)"):
        tree.resolve("QQQQQQ")


def test_unknown_tumour_is_an_error_but_unknown_ancestor_covers_nothing(tree: OncoTree) -> None:
    with pytest.raises(InputError, match="LUADD"):
        tree.is_within("LUADD", "LUNG")
    with pytest.raises(InputError):
        tree.ancestors("NOPE")
    assert not tree.is_within("LUAD", "NOT_A_CODE")


# ---------------------------------------------------------------------------- user-supplied files


def test_load_nested_json(tmp_path: Path) -> None:
    tree = load_oncotree(write_json(tmp_path, nested_tree(), "oncotree_2099_01_01.json"))
    assert set(tree) == {"LUNG", "NSCLC", "LUAD", "LYMPH", "PCM"}
    assert tree.version == "oncotree_2099_01_01"
    assert tree.parent("LUNG") is None            # the TISSUE root is not a tumour type
    assert tree.ancestors("LUAD") == ["NSCLC", "LUNG"]
    assert tree.is_within("PCM", "HEME") and tree.is_within("LUAD", "SOLID")
    with pytest.raises(InputError, match=r"'mm': a retired code, which OncoTree replaced by PCM \(Plasma Cell"):
        tree.resolve("mm")


def test_nested_json_without_parent_fields_takes_the_place_in_the_tree(tmp_path: Path) -> None:
    data = nested_tree()
    del data["TISSUE"]["children"]["LUNG"]["children"]["NSCLC"]["children"]["LUAD"]["parent"]
    assert load_oncotree(write_json(tmp_path, data)).parent("LUAD") == "NSCLC"


def test_load_flat_api_list(tmp_path: Path) -> None:
    tree = load_oncotree(write_json(tmp_path, flat_tree()))
    assert set(tree) == {"LUNG", "NSCLC", "LUAD", "LYMPH", "PCM"}
    assert tree.ancestors("LUAD") == ["NSCLC", "LUNG"]
    assert tree.tissue("PCM") == "Lymphoid" and tree.is_within("PCM", "HEME")
    assert tree.resolve("pcm") == "PCM"
    assert load_oncotree(tmp_path / "tree.json") is not tree  # only the built-in copy is cached


def test_load_user_compact_tsv(tmp_path: Path) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("# release: my_tree\ncode\tparent\ttissue\tname\tmain_type\nLUNG\t\tLung\tLung\tLung Cancer\n"
                    "NSCLC\tLUNG\tLung\tNon-Small Cell Lung Cancer\t\n")
    tree = load_oncotree(path)
    assert tree.version == "my_tree" and tree.is_within("NSCLC", "LUNG") and tree.main_type("NSCLC") is None


@pytest.mark.parametrize(("text", "message", "location"), [
    ('{"TISSUE": {"children": {', "not valid JSON", "line 1 column 26"),
    ('{"tumorTypes": []}', "not an OncoTree file", None),
    ("[]", "no tumour types", None),
    ('[{"code": "LUNG", "name": "Lung", "parent": "TISSUE", "tissue": "Lung"}, {"code": "X", "parent": "LUNG"}]',
     "tumour type lacks name, tissue", "item 1"),
    ('[{"code": "LUNG", "name": "Lung", "tissue": "Lung"}, {"code": "LUNG", "name": "Lung", "tissue": "Lung"}]',
     "LUNG appears twice", "item 1 (LUNG)"),
    ('[{"code": 7, "name": "Lung", "tissue": "Lung"}]', "field 'code' must be a string", "item 0"),
    ('[{"code": "LUAD", "name": "Lung Adenocarcinoma", "parent": "NSCLC", "tissue": "Lung"}]',
     "parent NSCLC of LUAD is not in the file", None),
    ('[{"code": "A", "name": "A", "parent": "B", "tissue": "Lung"}, {"code": "B", "name": "B", "parent": "A", '
     '"tissue": "Lung"}]', "cycle", None),
    ('{"TISSUE": {"code": "TISSUE", "children": {"LUNG": {"code": "LUNGX", "name": "Lung", "tissue": "Lung"}}}}',
     "child listed as 'LUNG' has code 'LUNGX'", "TISSUE > LUNG"),
    ('{"TISSUE": {"code": "TISSUE", "children": {"LUNG": {"code": "LUNG", "name": "Lung", "tissue": "Lung", '
     '"children": {"NSCLC": {"code": "NSCLC", "name": "NSCLC", "tissue": "Lung", "parent": "BREAST"}}}}}}',
     "parent field 'BREAST' disagrees with its place in the tree", "TISSUE > LUNG > NSCLC"),
    ('{"TISSUE": {"code": "TISSUE", "children": ["LUNG"]}}', "children must be an object", "TISSUE"),
])
def test_malformed_json_names_file_and_place(tmp_path: Path, text: str, message: str, location: str | None) -> None:
    path = tmp_path / "broken-tree.json"
    path.write_text(text)
    with pytest.raises(InputError) as excinfo:
        load_oncotree(path)
    error = excinfo.value
    assert error.source == str(path)
    assert str(path) in str(error)
    assert message in error.message
    assert error.location == location


@pytest.mark.parametrize(("text", "message", "location"), [
    ("code\tname\nLUNG\tLung\n", "expected the header code parent tissue name main_type", "line 1"),
    ("code\tparent\ttissue\tname\tmain_type\nLUNG\t\tLung\tLung\n", "expected 5 tab-separated fields", "line 2"),
    ("code\tparent\ttissue\tname\tmain_type\nNSCLC\tLUNG\tLung\tNSCLC\t\n", "parent LUNG of NSCLC is not listed",
     "line 2"),
    ("# only a comment\n", "lists no tumour types", None),
])
def test_malformed_tsv_names_file_and_line(tmp_path: Path, text: str, message: str, location: str | None) -> None:
    path = tmp_path / "broken.tsv"
    path.write_text(text)
    with pytest.raises(InputError) as excinfo:
        load_oncotree(path)
    assert excinfo.value.source == str(path) and message in excinfo.value.message
    assert excinfo.value.location == location


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="OncoTree file not found") as excinfo:
        load_oncotree(tmp_path / "absent.json")
    assert excinfo.value.source == str(tmp_path / "absent.json")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["TISSUE", "LUNG", "Lung", "code", ""]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["TISSUE", "code", "name", "tissue", "parent", "children", "history", "LUNG"]),
                      inner, max_size=5),
    max_leaves=20)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=JSON_VALUES)
def test_any_json_gives_a_tree_or_an_input_error(tmp_path: Path, data: Any) -> None:
    path = write_json(tmp_path, data, "fuzz.json")
    try:
        tree = load_oncotree(path)
    except InputError as exc:
        assert exc.source == str(path)
    else:
        for code in tree:
            tree.ancestors(code)


# ---------------------------------------------------------------------------- against the shared OncoTree release


@pytest.mark.validation
def test_compact_copy_agrees_with_the_oncotree_release(tree: OncoTree) -> None:
    full = load_oncotree(shared_path(*SHARED_TREE))
    assert full.version == "oncotree_2025_10_03" and len(full) > len(tree)
    disagreements = []
    for code, node in tree.nodes.items():
        if code not in full.nodes:
            disagreements.append(f"{code}: not in the release")
        elif full.nodes[code] != node:
            disagreements.append(f"{code}: {node} != {full.nodes[code]}")
    assert disagreements == []
    assert {code for code in full if full.parent(code) is None} == TISSUES


@pytest.mark.validation
def test_full_release_loads_with_history() -> None:
    full = load_oncotree(shared_path(*SHARED_TREE))
    assert full.ancestors("CMLBCRABL1") == ["CML", "MPN", "MNM", "MYELOID"]
    assert full.is_within("AMLNPM1", "HEME") and not full.is_within("AMLNPM1", "SOLID")
    with pytest.raises(InputError, match="'ALL': a retired code, which OncoTree replaced by BLL .* or TLL"):
        full.resolve("ALL")


@pytest.mark.validation
def test_moalmanac_tumour_codes_are_in_the_compact_copy(tree: OncoTree) -> None:
    """Every OncoTree code the MOAlmanac import produces (retired codes replaced) is in the built-in tree.

    Only diseases a proposition names count: MOAlmanac also lists an unused ``oncotree:LEUK`` (Leukemia).
    """
    from tailormed.kb.importers.moalmanac import UnmappableError, map_disease

    folder = shared_path("onco", "moalmanac", "referenced")
    used = {p.get("conditionQualifier_id") for p in json.loads((folder / "propositions.json").read_text())}
    diseases = [d for d in json.loads((folder / "diseases.json").read_text()) if d["id"] in used]
    assert len(diseases) > 50
    missing = set()
    for disease in diseases:
        try:
            codes = map_disease(disease)
        except UnmappableError:
            continue
        missing |= {code for code in codes if code not in GROUPS and code not in tree}
    assert missing == set()


def test_onco_core_and_importer_codes_are_in_the_compact_copy(tree: OncoTree) -> None:
    from tailormed.kb.importers.civic import DISEASE_TO_ONCOTREE
    from tailormed.kb.importers.moalmanac import NCIT_TO_ONCOTREE, RETIRED_ONCOTREE
    from tailormed.kb.onco import load_onco_knowledge

    codes = {code for compiled in load_onco_knowledge("onco-core").records
             for code in (*compiled.record.tumour_types, *compiled.record.excluded_tumour_types)}
    for table in (DISEASE_TO_ONCOTREE, NCIT_TO_ONCOTREE, RETIRED_ONCOTREE):
        codes |= {code for mapped in table.values() for code in mapped}
    assert sorted(code for code in codes if code not in GROUPS and code not in tree) == []
