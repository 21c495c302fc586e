"""Output folders and the file names made from sample ids."""

from __future__ import annotations

import pytest

from tailormed.errors import InputError, OutputError
from tailormed.output import MAX_NAME_BYTES, atomic_output_dir, case_file_names, safe_file_name


def test_long_ids_are_shortened_with_a_digest_and_stay_distinct():
    names = case_file_names(["S" * 300 + "1", "S" * 300 + "2", "short"], suffix=".json")
    assert names[2] == "short.json" and names[0] != names[1]
    assert all(len(n.encode()) <= MAX_NAME_BYTES + len(".json") for n in names)


def test_multibyte_ids_are_cut_on_a_character_boundary():
    name = safe_file_name("é" * 200)
    assert len(name.encode()) <= MAX_NAME_BYTES
    name.encode("utf-8").decode("utf-8")  # no half character


def test_an_id_that_names_no_file_names_its_source():
    with pytest.raises(InputError, match=r"^in.vcf: sample '\.\.' cannot name an output file"):
        case_file_names([".."], source="in.vcf")


def test_an_output_folder_name_too_long_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot use this output folder"), \
            atomic_output_dir(tmp_path / ("o" * 300)):
        pass
    assert list(tmp_path.iterdir()) == []
