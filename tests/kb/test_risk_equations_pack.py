"""The risk-equations pack: it loads, every table has the shape the equations need, and a malformed copy is
refused with a KnowledgeError naming the file and the field."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tailormed.errors import KnowledgeError
from tailormed.kb.risk_equations import (
    FINDRISC_FILE,
    PCE_FILE,
    PREVENT_ADDONS_FILE,
    PREVENT_BASE_FILE,
    RISK_EQUATIONS_PACK,
    load_risk_equations,
)

ADDON_TERMS = {
    "uacr": ("ln_uacr",),
    "hba1c": ("hba1c_dm", "hba1c_no_dm"),
    "sdi": ("sdi_4_to_6", "sdi_7_to_10"),
    "full": ("ln_uacr", "hba1c_dm", "hba1c_no_dm", "sdi_4_to_6", "sdi_7_to_10", "missing_uacr", "missing_hba1c",
             "missing_sdi"),
}


def test_builtin_pack_loads_once() -> None:
    pack = load_risk_equations()
    assert pack.manifest.name == "risk-equations" and pack.manifest.kind == "risk"
    assert load_risk_equations() is pack  # read once per path


def test_every_table_has_the_expected_shape() -> None:
    pack = load_risk_equations()
    assert len(pack.pce.terms) == 13
    assert {(m.race_group, m.sex) for m in pack.pce.models} == {
        (race, sex) for race in ("white_or_other", "african_american") for sex in ("female", "male")}
    assert all(len(m.coefficients) == 13 and 0 < m.baseline_survival < 1 for m in pack.pce.models)
    assert len(pack.prevent_base.terms) == 24
    assert len(pack.prevent_base.models) == 12
    assert len({(m.sex, m.outcome, m.horizon_years) for m in pack.prevent_base.models}) == 12
    assert all(len(m.coefficients) == 24 for m in pack.prevent_base.models)
    assert pack.prevent_addons.terms == pack.prevent_base.terms
    assert len({(m.model, m.sex, m.outcome, m.horizon_years) for m in pack.prevent_addons.models}) == 48
    assert dict(pack.prevent_addons.addon_terms) == ADDON_TERMS
    for model in pack.prevent_addons.models:
        assert len(model.coefficients) == 24
        assert tuple(model.addon_coefficients) == ADDON_TERMS[model.model]
    assert [(b.max_points, b.category, b.risk_one_in) for b in pack.findrisc.bands] == [
        (6, "low", 100), (11, "slightly elevated", 25), (14, "moderate", 6), (20, "high", 3), (26, "very high", 2)]


def test_spot_values_and_citations() -> None:
    """A few numbers a reviewer can find in Goff 2014 Table A and Khan 2024 Table S12, and the citations beside them."""
    pack = load_risk_equations()
    white_women = next(m for m in pack.pce.models if (m.race_group, m.sex) == ("white_or_other", "female"))
    assert (white_women.coefficients[0], white_women.mean, white_women.baseline_survival) == (-29.799, -29.1817, 0.9665)
    assert pack.pce.ranges.age == (40.0, 79.0)
    women_cvd_10 = next(m for m in pack.prevent_base.models if (m.sex, m.outcome, m.horizon_years) ==
                        ("female", "total_cvd", 10))
    assert women_cvd_10.coefficients[:2] == (-3.307728, 0.7939329)
    assert pack.prevent_base.ranges.age_30y == (30.0, 59.0)
    assert pack.prevent_addons.optional_ranges.uacr_mg_g == (0.1, 25000.0)
    for equation in (pack.pce, pack.prevent_base, pack.prevent_addons, pack.findrisc):
        assert equation.source.citation and equation.source.date and equation.source.version
        assert equation.provenance
        assert set(equation.checked_against) <= set(pack.sources)
    assert pack.pce.source.citation.startswith("Goff DC Jr et al. 2013 ACC/AHA Guideline")
    assert "Khan SS et al." in pack.prevent_base.source.citation


def test_pack_ships_with_the_package() -> None:
    assert RISK_EQUATIONS_PACK.is_dir()
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():  # in a source checkout: package-data includes every file under kb/data
        assert '"kb/data/**/*"' in pyproject.read_text()


# --------------------------------------------------------------------------- malformed copies
def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "risk-equations"
    shutil.copytree(RISK_EQUATIONS_PACK, target)
    return target


def _edit(pack: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = pack / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=1))


def _refused(pack: Path, file_name: str, *fragments: str) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load_risk_equations(pack)
    error = caught.value
    assert error.source == str(pack / file_name), str(error)
    for fragment in fragments:
        assert fragment in str(error), str(error)
    return error


def test_missing_coefficient_set_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PCE_FILE, lambda d: d["models"].pop(1))
    error = _refused(pack, PCE_FILE, "no coefficients for (african_american, female)")
    assert error.location == "models"


def test_missing_field_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PCE_FILE, lambda d: d["models"][2].pop("baseline_survival"))
    error = _refused(pack, PCE_FILE, "Field required")
    assert error.location == "models.2.baseline_survival"


def test_missing_addon_coefficient_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_ADDONS_FILE, lambda d: d["models"][40]["addon_coefficients"].pop("missing_sdi"))
    error = _refused(pack, PREVENT_ADDONS_FILE, "do not match addon_terms.full")
    assert error.location == "models.40.addon_coefficients"


def test_missing_range_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_BASE_FILE, lambda d: d["ranges"].pop("egfr"))
    error = _refused(pack, PREVENT_BASE_FILE, "Field required")
    assert error.location == "ranges.egfr"


def test_wrong_length_tuple_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_BASE_FILE, lambda d: d["models"][5]["coefficients"].pop())
    error = _refused(pack, PREVENT_BASE_FILE, "23 coefficients for 24 terms")
    assert error.location == "models.5.coefficients"


def test_extra_coefficient_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_ADDONS_FILE, lambda d: d["models"][0]["coefficients"].append(0.5))
    error = _refused(pack, PREVENT_ADDONS_FILE, "25 coefficients for 24 terms")
    assert error.location == "models.0.coefficients"


@pytest.mark.parametrize("bad", ["0.661", True, None, [1.0]])
def test_non_number_is_refused(tmp_path: Path, bad: object) -> None:
    pack = _copy(tmp_path)

    def change(data: dict[str, Any]) -> None:
        data["models"][0]["coefficients"][12] = bad

    _edit(pack, PCE_FILE, change)
    error = _refused(pack, PCE_FILE, "valid number")
    assert error.location == "models.0.coefficients.12"


def test_non_finite_number_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    path = pack / PREVENT_BASE_FILE
    path.write_text(path.read_text().replace("-3.307728", "NaN", 1))
    _refused(pack, PREVENT_BASE_FILE, "NaN is not a number JSON allows")


def test_duplicate_model_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_BASE_FILE, lambda d: d["models"].__setitem__(1, d["models"][0]))
    error = _refused(pack, PREVENT_BASE_FILE, "given twice")
    assert error.location == "models.1"


def test_duplicate_json_key_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    path = pack / PCE_FILE
    path.write_text(path.read_text().replace('"mean": -29.1817,', '"mean": -29.1817, "mean": -29.18,', 1))
    _refused(pack, PCE_FILE, "duplicate key 'mean'")


def test_invalid_json_names_line(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    path = pack / FINDRISC_FILE
    path.write_text(path.read_text().replace('"bands": [', '"bands": [,', 1))
    error = _refused(pack, FINDRISC_FILE, "not valid JSON")
    assert error.location is not None and ":" in error.location


def test_unordered_range_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_ADDONS_FILE, lambda d: d["optional_ranges"].__setitem__("hba1c_percent", [15.0, 4.5]))
    error = _refused(pack, PREVENT_ADDONS_FILE, "range low 15 is above high 4.5")
    assert error.location == "optional_ranges.hba1c_percent"


def test_addon_terms_must_match_the_base_terms(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_ADDONS_FILE, lambda d: d["terms"].reverse())
    error = _refused(pack, PREVENT_ADDONS_FILE, f"terms differ from those of {PREVENT_BASE_FILE}")
    assert error.location == "terms"


def test_findrisc_bands_must_increase(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, FINDRISC_FILE, lambda d: d["bands"][2].__setitem__("max_points", 11))
    error = _refused(pack, FINDRISC_FILE, "not above the previous band's 11")
    assert error.location == "bands.2.max_points"


def test_citation_is_required(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PREVENT_BASE_FILE, lambda d: d["source"].pop("citation"))
    error = _refused(pack, PREVENT_BASE_FILE, "Field required")
    assert error.location == "source.citation"


def test_undeclared_reference_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _edit(pack, PCE_FILE, lambda d: d["checked_against"].append("no-such-implementation"))
    error = _refused(pack, PCE_FILE, "'no-such-implementation', which manifest.yaml does not declare")
    assert error.location == "checked_against.2"


def test_missing_file_is_refused(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    (pack / PREVENT_ADDONS_FILE).unlink()
    _refused(pack, PREVENT_ADDONS_FILE, "cannot read")


def test_other_kind_of_pack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="is a pgx pack, not a risk-equations pack"):
        load_risk_equations(RISK_EQUATIONS_PACK.parent / "pgx-core")
    with pytest.raises(KnowledgeError, match="no manifest.yaml"):
        load_risk_equations(tmp_path)
