"""Analysis presets: the default loads, user presets are validated, parameters are echoed."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.rare_preset import load_preset


def test_default_preset_declares_every_step_in_order() -> None:
    preset = load_preset()
    assert [s.step for s in preset.steps] == ["quality_filter", "consequence_filter", "frequency_filter",
                                              "acmg_classification", "inheritance_prioritiser",
                                              "phenotype_prioritiser"]
    assert "synonymous_variant" in preset.genotype_settings().exclude_consequences
    assert preset.databases == ["OMIM", "ORPHA"]
    assert preset.genotype_settings().max_af_dominant == 0.001
    echoed = {s.name: s.parameters for s in preset.echo()}
    assert echoed["frequency_filter"] == {"max_af_dominant": 0.001, "max_af_recessive": 0.01}
    assert echoed["phenotype_prioritiser"]["related_discount"] == 0.1


def test_user_preset_changes_parameters(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text("name: strict\ndatabases: [OMIM]\nsteps:\n"
                    "  - step: frequency_filter\n    max_af_dominant: 0.0001\n"
                    "  - step: phenotype_prioritiser\n    unrelated_lr: 0.05\n")
    preset = load_preset(path)
    assert preset.genotype_settings().max_af_dominant == 0.0001
    assert preset.phenotype_settings().unrelated_lr == 0.05
    assert not preset.has("acmg_classification")


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nsteps:\n  - step: frequency_filter\n    max_af: 0.1\n  - step: phenotype_prioritiser\n",
     "unknown parameter"),
    ("name: x\nsteps:\n  - step: frequency_filter\n", "phenotype_prioritiser"),
    ("name: x\nsteps:\n  - step: magic\n  - step: phenotype_prioritiser\n", "invalid preset"),
    ("name: x\nsteps: [\n", "not valid YAML"),
])
def test_bad_presets_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_preset(path)
