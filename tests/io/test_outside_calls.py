"""Outside-call TSV reader: valid files parse; malformed ones fail with file and line."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.errors import InputError
from tailormed.io.outside_calls import read_outside_calls

GENES = {"CYP2D6", "HLA-B", "HLA-A", "CYP2C19", "MT-RNR1"}


def test_headerless_file(tmp_path):
    path = tmp_path / "calls.tsv"
    path.write_text("# comment\nCYP2D6\t*1/*4\n\nHLA-B\t*57:01/*08:01\n")
    calls = read_outside_calls(path, GENES)
    assert [(c.gene, c.diplotype) for c in calls] == [("CYP2D6", "*1/*4"), ("HLA-B", "*57:01/*08:01")]


def test_header_with_sample_phenotype_and_score(tmp_path):
    path = tmp_path / "calls.tsv"
    path.write_text("sample\tgene\tdiplotype\tphenotype\tactivity_score\n"
                    "S1\tCYP2D6\t\t\t1.5\n"
                    "S2\tCYP2C19\t\tPoor Metabolizer\t\n")
    calls = read_outside_calls(path, GENES)
    assert calls[0].sample == "S1" and calls[0].activity_score == 1.5
    assert calls[1].phenotype == "Poor Metabolizer" and calls[1].diplotype is None


@pytest.mark.parametrize(("text", "message", "line"), [
    ("CYP2D6\t*1/*4\nCYP2D6\t*1/*1\n", "given twice", 2),
    ("NOTAGENE\t*1/*4\n", "not in the knowledge base", 1),
    ("CYP2D6\t\t\tabc\n", "not a number", 1),
    ("CYP2D6\n", "give a diplotype", 1),
    ("CYP2D6\t*1/*4/*5\n", "must be 'A/B'", 1),
    ("CYP2D6 *1/*4\n", "not a gene symbol", 1),
    ("gene\tdiplotype\tcolour\n", "unknown column", 1),
    ("CYP2D6\t*1/*4\tNormal Metabolizer\t1\textra\n", "fields but", 1),
])
def test_malformed_rows_name_the_line(tmp_path, text, message, line):
    path = tmp_path / "calls.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as error:
        read_outside_calls(path, GENES)
    assert f"{path}:line {line}" in str(error.value)


def test_binary_file(tmp_path):
    path = tmp_path / "calls.tsv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="UTF-8"):
        read_outside_calls(path, GENES)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.text(alphabet=st.sampled_from(list("CYP2D6HLA-B*:/0123456789.\t\n #abcPoorMetabolizer")), max_size=120))
def test_any_text_parses_or_raises_input_error(tmp_path, text):
    path = tmp_path / "fuzz.tsv"
    path.write_text(text)
    try:
        calls = read_outside_calls(path, GENES)
    except InputError as exc:
        assert str(path) in str(exc)
        return
    for call in calls:
        assert call.gene in GENES
        assert call.diplotype or call.phenotype or call.activity_score is not None


def test_folder_bom_crlf_and_huge_values(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a file of outside calls"):
        read_outside_calls(tmp_path, GENES)
    path = tmp_path / "calls.tsv"
    path.write_bytes(b"\xef\xbb\xbfgene\tdiplotype\r\nCYP2D6\t*1/*4\r\n")
    assert [(c.gene, c.diplotype) for c in read_outside_calls(path, GENES)] == [("CYP2D6", "*1/*4")]
    path.write_text("gene\tdiplotype\nCYP2D6\t" + "*1/" * 500_000 + "\n")
    with pytest.raises(InputError, match="must be 'A/B'") as error:
        read_outside_calls(path, GENES)
    assert len(str(error.value)) < 300


@pytest.mark.parametrize("score", ["nan", "inf", "-inf", "1e999"])
def test_non_finite_activity_scores_are_refused(tmp_path, score):
    path = tmp_path / "calls.tsv"
    path.write_text(f"gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t\t\t{score}\n")
    with pytest.raises(InputError, match="outside 0-10"):
        read_outside_calls(path, GENES)
