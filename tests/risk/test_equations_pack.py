"""The equations take their numbers from the risk-equations pack, and refuse a pack that does not fit them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tailormed.errors import KnowledgeError
from tailormed.kb.risk_equations import RISK_EQUATIONS_PACK, load_risk_equations
from tailormed.risk import equations as eq


def test_tables_come_from_the_builtin_pack() -> None:
    pack = load_risk_equations()
    assert eq._PACK is pack
    assert pack.pce.terms == eq._PCE_TERMS and pack.prevent_base.terms == eq._PREVENT_TERMS
    assert pack.pce.source.citation == eq.PCE_SOURCE and pack.findrisc.source.citation == eq.FINDRISC_SOURCE
    assert eq.PCE_RANGES == {"age": (40.0, 79.0), "total_cholesterol_mg_dl": (130.0, 320.0),
                             "hdl_mg_dl": (20.0, 100.0), "systolic_bp_mmhg": (90.0, 200.0)}
    assert eq.PREVENT_OPTIONAL_RANGES == {"uacr_mg_g": (0.1, 25000.0), "hba1c_percent": (4.5, 15.0),
                                          "sdi_decile": (1.0, 10.0)}
    assert eq._FINDRISC_BANDS[2] == (14, "moderate", 1 / 6)
    eq.check_pack_fits_equations(pack)


def _modified(tmp_path: Path, names: tuple[str, ...], change: Callable[[dict[str, Any]], None]) -> Path:
    pack = tmp_path / "risk-equations"
    shutil.copytree(RISK_EQUATIONS_PACK, pack)
    for name in names:
        data = json.loads((pack / name).read_text())
        change(data)
        (pack / name).write_text(json.dumps(data))
    return pack


def _rename_pce_term(data: dict[str, Any]) -> None:
    data["terms"][1] = "ln_age_cubed"


def _rename_prevent_term(data: dict[str, Any]) -> None:
    data["terms"][0] = "intercept"


def _rename_addon_term(data: dict[str, Any]) -> None:
    data["addon_terms"]["uacr"] = ["log_uacr"]
    for model in data["models"]:
        if model["model"] == "uacr":
            model["addon_coefficients"] = {"log_uacr": model["addon_coefficients"]["ln_uacr"]}


def _shorten_findrisc(data: dict[str, Any]) -> None:
    data["bands"].pop()


@pytest.mark.parametrize(("names", "change", "location", "message"), [
    (("pce.json",), _rename_pce_term, "terms",
     "not computed: ['ln_age_cubed']; computed but not listed: ['ln_age_sq']"),
    # the add-on file lists the same base terms, so both files are changed
    (("prevent-base.json", "prevent-addons.json"), _rename_prevent_term, "terms", "not computed: ['intercept']"),
    (("prevent-addons.json",), _rename_addon_term, "addon_terms.uacr", "add-on terms ['log_uacr']"),
    (("findrisc.json",), _shorten_findrisc, "bands", "max_points must be 26"),
])
def test_pack_that_does_not_fit_the_equations_is_refused(
    tmp_path: Path, names: tuple[str, ...], change: Callable[[dict[str, Any]], None], location: str, message: str,
) -> None:
    pack_path = _modified(tmp_path, names, change)
    pack = load_risk_equations(pack_path)  # well-formed: the loader accepts it
    with pytest.raises(KnowledgeError) as caught:
        eq.check_pack_fits_equations(pack)
    assert caught.value.source == str(pack_path / names[0]) and caught.value.location == location
    assert message in str(caught.value)
