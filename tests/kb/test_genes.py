"""The gene table: import from SpliceAI's annotation table (or its wheel), refusal of bad input, the loader."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.genes import GENES_FILE, checkout_genes_dir, find_genes_dir, load_gene_table, read_gene_table
from tailormed.kb.importers.genes import TABLE_MEMBER, import_genes

HEADER = "#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n"
# Made-up genes: G1 has two exons (100 + 50 bp), G2 one exon of 30 bp.
ROWS = ["G1\t1\t+\t1000\t2000\t1000,1950,\t1100,2000,\n", "G2\tchrX\t-\t500\t530\t500,\t530,\n"]


def _table(tmp_path: Path, rows: list[str] = ROWS, header: str = HEADER) -> Path:
    path = tmp_path / "grch38.txt"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_import_from_a_table_keeps_exonic_length_and_1_based_spans(tmp_path: Path) -> None:
    report = import_genes(_table(tmp_path), out=tmp_path / "genes")
    table = read_gene_table(tmp_path / "genes")
    g1, g2 = table.genes["G1"], table.genes["G2"]
    assert (g1.chrom, g1.strand, g1.tx_start, g1.tx_end, g1.exonic_length) == ("1", "+", 1001, 2000, 150)
    assert (g2.chrom, g2.strand, g2.tx_start, g2.tx_end, g2.exonic_length) == ("X", "-", 501, 530, 30)
    assert g1.span == 1000
    assert table.mean_exonic_length == 90.0 and report.table.genes.keys() == table.genes.keys()
    assert table.provenance["licence"].startswith("GPL-3.0") and table.provenance["version"] == "spliceai local table"
    assert "2 genes" in table.version_label


def test_import_from_a_wheel_reads_the_bundled_table(tmp_path: Path) -> None:
    wheel = tmp_path / "spliceai-1.3.1-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(TABLE_MEMBER, HEADER + "".join(ROWS))
    import_genes(wheel, out=tmp_path / "genes")
    table = read_gene_table(tmp_path / "genes")
    assert table.provenance["version"] == "spliceai 1.3.1" and set(table.genes) == {"G1", "G2"}


@pytest.mark.parametrize(("header", "rows", "message", "location"), [
    ("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\n", ROWS, "missing EXON_END", "line 1"),
    (HEADER, [ROWS[0], "G2\tX\t-\t5x0\t530\t500,\t530,\n"], "unparsable coordinates for G2", "line 3"),
    (HEADER, [ROWS[0], "G2\tX\t-\t500\t530\t500,510,\t530,\n"], "2 exon starts but 1 exon ends", "line 3"),
    (HEADER, [ROWS[0], "G2\tX\t-\t500\t530\t400,\t530,\n"], "outside the transcript", "line 3"),
    (HEADER, [ROWS[0], "G2\tX\t-\t500\t530\n"], "expected 7 tab-separated columns, found 5", "line 3"),
    (HEADER, [ROWS[0], "G2\tchr99\t-\t500\t530\t500,\t530,\n"], "unknown chromosome", "line 3"),
    (HEADER, [ROWS[0], ROWS[0]], "G1 appears twice", "line 3"),
    (HEADER, [ROWS[0], "G2\tX\t-\t500\t5"], "truncated", "line 3"),
])
def test_bad_tables_are_refused_naming_file_and_line_and_write_nothing(tmp_path: Path, header: str, rows: list[str],
                                                                       message: str, location: str) -> None:
    source = _table(tmp_path, rows, header)
    with pytest.raises(InputError) as caught:
        import_genes(source, out=tmp_path / "genes")
    assert message in caught.value.message
    assert caught.value.source == str(source) and caught.value.location == location
    assert not (tmp_path / "genes").exists()


def test_a_failed_import_leaves_the_previous_table_in_place(tmp_path: Path) -> None:
    import_genes(_table(tmp_path), out=tmp_path / "genes")
    before = (tmp_path / "genes" / GENES_FILE).read_text()
    with pytest.raises(InputError):
        import_genes(_table(tmp_path, [ROWS[0], "G2\tX\t-\tfive\t530\t500,\t530,\n"]), out=tmp_path / "genes")
    assert (tmp_path / "genes" / GENES_FILE).read_text() == before


def test_a_wheel_without_the_table_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "other-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("other/__init__.py", "")
    with pytest.raises(InputError, match="does not bundle spliceai/annotations/grch38.txt"):
        import_genes(wheel, out=tmp_path / "genes")


def test_loader_refuses_a_damaged_table(tmp_path: Path) -> None:
    import_genes(_table(tmp_path), out=tmp_path / "genes")
    path = tmp_path / "genes" / GENES_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")  # one gene lost
    with pytest.raises(KnowledgeError, match="holds 1 genes, its meta.json says 2"):
        read_gene_table(tmp_path / "genes")
    path.write_text("\n".join([*lines[:-1], "G2\tX\t-\t501\tend\t30"]) + "\n")
    with pytest.raises(KnowledgeError) as caught:
        read_gene_table(tmp_path / "genes")
    assert caught.value.location == "line 3"


def test_the_table_is_found_through_the_environment_or_turned_off(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import_genes(_table(tmp_path), out=tmp_path / "genes")
    monkeypatch.setenv("TAILORMED_GENES", str(tmp_path / "genes"))
    assert find_genes_dir() == tmp_path / "genes"
    monkeypatch.setenv("TAILORMED_GENES", "none")
    assert find_genes_dir() is None and load_gene_table.__wrapped__() is None


def test_cli_imports_and_refuses_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["kb", "import", "genes", "--from", str(_table(tmp_path)), "--dest",
                               str(tmp_path / "genes")])
    assert done.exit_code == 0 and "2 genes" in done.output
    bad = tmp_path / "bad.txt"
    bad.write_text("NAME\tCHROM\n")
    refused = runner.invoke(app, ["kb", "import", "genes", "--from", str(bad), "--dest", str(tmp_path / "other")])
    assert refused.exit_code == 2
    assert len(refused.output.strip().splitlines()) == 1 and str(bad) in refused.output
    assert not (tmp_path / "other").exists()
    assert runner.invoke(app, ["kb", "import", "genes", "--help"]).exit_code == 0


def test_the_built_table_matches_spliceai_release() -> None:
    """The table `make gene-data` builds from the pinned wheel (skipped when it was not built)."""
    folder = checkout_genes_dir()
    if folder is None or not (folder / GENES_FILE).is_file():
        pytest.skip("no gene table in .data/genes (run `make gene-data`)")
    table = read_gene_table(folder)
    assert len(table.genes) == 19_305
    fbn1 = table.genes["FBN1"]
    assert fbn1.chrom == "15" and fbn1.strand == "-"
    # FBN1's transcript is about 11.7 kb of exons over a 230-kb locus; TTN is the longest gene
    assert 11_000 < fbn1.exonic_length < 12_500 and fbn1.span > 200_000
    assert max(table.genes.values(), key=lambda g: g.exonic_length).symbol == "TTN"
    assert 3_000 < table.mean_exonic_length < 3_600
    if table.has_exons:  # format 2: the exons are kept, in genomic order, summing to the exonic length
        assert len(fbn1.exons) == 66 and fbn1.exons[0][0] == fbn1.tx_start and fbn1.exons[-1][1] == fbn1.tx_end
        assert sum(end - start + 1 for start, end in fbn1.exons) == fbn1.exonic_length


def test_import_keeps_the_exons_1_based_and_refuses_them_out_of_order(tmp_path: Path) -> None:
    import_genes(_table(tmp_path), out=tmp_path / "genes")
    table = read_gene_table(tmp_path / "genes")
    assert table.has_exons and table.genes["G1"].exons == ((1001, 1100), (1951, 2000))
    assert table.genes["G2"].exons == ((501, 530),)
    with pytest.raises(InputError, match="G1: exon 1000-1100 is out of order") as caught:
        import_genes(_table(tmp_path, ["G1\t1\t+\t1000\t2000\t1950,1000,\t2000,1100,\n"]), out=tmp_path / "x")
    assert caught.value.location == "line 2"


V1_HEADER = "symbol\tchrom\tstrand\ttx_start\ttx_end\texonic_length\n"
V2_HEADER = "symbol\tchrom\tstrand\ttx_start\ttx_end\texonic_length\texon_starts\texon_ends\n"


@pytest.mark.parametrize(("meta_format", "text", "message"), [
    (3, None, "another format"),
    (2, V2_HEADER + "G1\t1\t+\t1001\t2000\t150\t1001,1951\t1100\n", "two exon lists of the same length"),
    (2, V2_HEADER + "G1\t1\t+\t1001\t2000\t150\n", "two exon lists"),
    (1, V2_HEADER + "G1\t1\t+\t1001\t2000\t150\t1001\t1100\n", "expected the header"),
    (1, V1_HEADER + "G1\t1\t+\t1001\t2000\tlong\n", "three whole numbers; run"),
])
def test_a_damaged_or_foreign_compiled_table_names_the_file(tmp_path: Path, meta_format: int, text: str | None,
                                                            message: str) -> None:
    folder = tmp_path / "genes"
    import_genes(_table(tmp_path), out=folder)
    (folder / "meta.json").write_text(json.dumps({"format": meta_format, "genes": 1}))
    if text is not None:
        (folder / GENES_FILE).write_text(text)
    with pytest.raises(KnowledgeError, match=message):
        read_gene_table(folder)
