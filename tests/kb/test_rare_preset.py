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
    assert echoed["frequency_filter"] == {"max_af_dominant": 0.001, "max_af_recessive": 0.01,
                                          "keep_clinvar_pathogenic": True}
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


DEFAULT = (Path(__file__).resolve().parents[2] / "src" / "tailormed" / "kb" / "data" / "rare-presets"
           / "default.yaml").read_text()


@pytest.mark.parametrize(("old", "new", "place", "message"), [
    ("require_pass: true", "require_pass: maybe", r"steps\[0\].require_pass", "must be true or false, not 'maybe'"),
    ("min_depth: 8", "min_depth: 8.7", r"steps\[0\].min_depth", "must be a whole number"),
    ("min_depth: 8", "min_depth: -1", r"steps\[0\].min_depth", "must be a whole number of 0 or more"),
    ("min_depth: 8", "min_depth: true", r"steps\[0\].min_depth", "must be a whole number"),
    ("miss_lr: 0.05", "miss_lr: .nan", r"steps\[4\].miss_lr", "must be a finite number, not nan"),
    ("miss_lr: 0.05", "miss_lr: .inf", r"steps\[4\].miss_lr", "must be a finite number, not inf"),
    ("miss_lr: 0.05", "miss_lr: 0", r"steps\[4\].miss_lr", r"must lie in \(0, inf\], not 0"),
    ("miss_lr: 0.05", "miss_lr: lots", r"steps\[4\].miss_lr", "must be a finite number, not 'lots'"),
    ("miss_lr: 0.05", "miss_lr: [1, 2]", r"steps\[4\].miss_lr", "must be a finite number"),
    ("miss_lr: 0.05", "miss_lr: {a: 1}", r"steps\[4\].miss_lr", "must be a finite number"),
    ("chance_rate: 0.02", "chance_rate: 0", r"steps\[4\].chance_rate", r"must lie in \(0, 1\]"),
    ("max_af_dominant: 0.001", "max_af_dominant: 1.5", r"steps\[2\].max_af_dominant", r"must lie in \[0, 1\]"),
    ("onset_mismatch_rate: 0.2", "onset_mismatch_rate: high", r"steps\[5\].onset_mismatch_rate",
     "must be a finite number"),
    ("exclude_consequences: [synonymous_variant,", "exclude_consequences: [5,", r"steps\[1\].exclude_consequences",
     "must be a list of terms"),
    ("top: 50", "top: 1e999", "output.top", "invalid preset"),
    ("- step: acmg_classification", "- step: 5", r"steps\[3\].step", "invalid preset"),
])
def test_parameters_of_the_wrong_type_or_range_name_the_step(tmp_path: Path, old: str, new: str, place: str,
                                                             message: str) -> None:
    assert old in DEFAULT
    path = tmp_path / "preset.yaml"
    path.write_text(DEFAULT.replace(old, new, 1))
    with pytest.raises(InputError, match=rf"preset.yaml:{place}: {message}"):
        load_preset(path)


def test_a_string_of_consequences_is_not_a_list(tmp_path: Path) -> None:
    """A string would make the consequence filter a substring test."""
    path = tmp_path / "preset.yaml"
    path.write_text("name: x\nsteps:\n  - step: consequence_filter\n    exclude_consequences: intron_variant\n"
                    "  - step: phenotype_prioritiser\n")
    with pytest.raises(InputError, match=r"steps\[0\].exclude_consequences: must be a list of terms"):
        load_preset(path)


def test_null_onset_rate_turns_onset_off(tmp_path: Path) -> None:
    path = tmp_path / "preset.yaml"
    path.write_text(DEFAULT.replace("onset_mismatch_rate: 0.2", "onset_mismatch_rate: null"))
    assert load_preset(path).phenotype_settings().onset_mismatch_rate is None


def test_unknown_parameter_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "preset.yaml"
    path.write_text("name: x\nsteps:\n  - step: frequency_filter\n    max_af: 0.1\n  - step: phenotype_prioritiser\n")
    with pytest.raises(InputError, match=r"preset.yaml: step frequency_filter: unknown parameter"):
        load_preset(path)


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nsteps: phenotype_prioritiser\n", "steps: must be a list of steps"),
    ("name:\tx\n", "not valid YAML"),
    ("!!python/object/apply:os.system ['echo pwned']\n", "could not determine a constructor"),
    ("name: x\nname: y\nsteps: []\n", "key 'name' is given twice"),
])
def test_malformed_preset_documents(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "preset.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_preset(path)


def test_folder_and_non_utf8_preset(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a preset file"):
        load_preset(tmp_path)
    path = tmp_path / "preset.yaml"
    path.write_bytes(DEFAULT.encode() + b"# \xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_preset(path)
