"""Reference population tables: read, and refused with the file and line named."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.populations import read_populations


def test_panel_layout_is_read(tmp_path: Path) -> None:
    path = tmp_path / "panel.txt"
    path.write_text("sample\tpop\tsuper_pop\tgender\r\nHG00096\tGBR\tEUR\tmale\r\n\r\nNA18486\tYRI\tAFR\tmale\r\n")
    assert read_populations(path, "super_pop") == {"HG00096": "EUR", "NA18486": "AFR"}


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty population file"),
    (b"sample\tsuper_pop\n", "no samples: the population file has a header but no rows"),
    (b"sample\tsuper_pop\nA\tEUR\nA\tAFR\n", r"line 3: sample 'A' is listed twice \(first on line 2\)"),
    (b"sample\tsuper_pop\nA\tEUR\tx\n", "line 2: expected 2 columns, found 3"),
    (b"name\tsuper_pop\nA\tEUR\n", "line 1: no sample/IID column"),
    (b"sample\tsuper_pop\nA\tEUR\xff\n", "line 2: not UTF-8 text"),
])
def test_bad_population_tables(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "panel.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as error:
        read_populations(path, "super_pop")
    assert error.value.source == str(path)
    with pytest.raises(InputError, match="is a folder"):
        read_populations(tmp_path, "super_pop")
