"""CIViC import (ClinicalEvidenceSummaries.tsv) into an oncology pack.

README: data/civic_sample.tsv is a SYNTHETIC fixture written for these tests (15 invented rows in the layout of
CIViC's nightly ClinicalEvidenceSummaries.tsv; citations and PMIDs are placeholders, not real publications, and
the rows are not CIViC content). No CIViC file is available offline.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.kb.importers.civic import CURRENT_COLUMNS, UnmappableError, import_civic, map_molecular_profile
from tailormed.kb.onco import load_onco_knowledge

SAMPLE = Path(__file__).parent / "data" / "civic_sample.tsv"


def _records(dest: Path) -> dict[str, object]:
    return {c.record.id: c.record for c in load_onco_knowledge(str(dest)).records}


def test_fixture_header_is_the_current_civic_layout() -> None:
    assert tuple(SAMPLE.read_text().splitlines()[0].split("\t")) == CURRENT_COLUMNS


def test_import_writes_expected_records(tmp_path: Path) -> None:
    summary = import_civic(SAMPLE, tmp_path / "civic")
    records = _records(tmp_path / "civic")
    assert summary.read == 15 and summary.records == len(records) == 10
    braf = records["civic-eid900001"]
    assert (braf.alterations, braf.tumour_types, braf.drugs, braf.response, braf.evidence) == (
        ["BRAF V600E"], ["MEL"], ["vemurafenib"], "sensitive", "guideline")
    both = records["civic-eid900002"]
    assert (both.alterations, both.tumour_types, both.response, both.evidence) == (
        ["EGFR L858R", "EGFR T790M"], ["NSCLC"], "resistant", "clinical-study")
    # Substitutes: one record per drug; Combination: one regimen.
    assert records["civic-eid900003-1"].drugs == ["crizotinib"]
    assert records["civic-eid900003-2"].drugs == ["alectinib"]
    assert records["civic-eid900003-1"].evidence == "case-report"
    combo = records["civic-eid900005"]
    assert (combo.therapy, combo.drugs, combo.tumour_types) == ("trastuzumab + pertuzumab",
                                                                ["trastuzumab", "pertuzumab"], ["BREAST"])
    assert records["civic-eid900004"].alterations == ["EML4::ALK fusion"]
    assert records["civic-eid900004"].evidence == "preclinical"
    assert records["civic-eid900006"].alterations == ["KRAS mutation"]
    assert records["civic-eid900006"].tumour_types == ["COADREAD"]
    assert records["civic-eid900007"].alterations == ["EGFR exon 19 deletion"]
    assert records["civic-eid900008"].alterations == ["MET exon 14 skipping"]
    assert records["civic-eid900009"].alterations == ["germline BRCA2 truncating"]


def test_skipped_rows_are_counted_by_reason(tmp_path: Path) -> None:
    summary = import_civic(SAMPLE, tmp_path / "civic")
    assert summary.skipped == {
        "evidence level E": 1,
        "expression, loss-of-function or other non-variant profile": 1,
        "disease not mapped to OncoTree: Glioblastoma": 1,
        "evidence type Prognostic": 1,
        "evidence status submitted": 1,
        "significance Reduced Sensitivity": 1,
    }
    assert summary.records - 1 + summary.skipped_total == summary.read   # EID900003 gave two records


def test_older_gene_variant_layout(tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    renamed = {"therapies": "drugs", "therapy_interaction_type": "drug_interaction_type",
               "significance": "clinical_significance", "citation_id": "pubmed_id"}
    header = [renamed.get(c, c) for c in lines[0].split("\t")]
    old = ["\t".join(["gene", "variant", *header[1:]])]
    for line in lines[1:]:
        fields = line.split("\t")
        gene, _, variant = fields[0].partition(" ")
        old.append("\t".join([gene, variant, *fields[1:]]))
    path = tmp_path / "01-Apr-2021-ClinicalEvidenceSummaries.tsv"
    path.write_text("\n".join(old) + "\n")
    summary = import_civic(path, tmp_path / "old")
    assert summary.version == "2021-04-01"
    records = _records(tmp_path / "old")
    assert records["civic-eid900001"].alterations == ["BRAF V600E"]
    assert records["civic-eid900005"].drugs == ["trastuzumab", "pertuzumab"]
    # 'EGFR L858R AND EGFR T790M' split as gene 'EGFR' + variant 'L858R AND EGFR T790M' reads back the same.
    assert records["civic-eid900002"].alterations == ["EGFR L858R", "EGFR T790M"]


@pytest.mark.parametrize(("profile", "expected"), [
    ("BRAF V600E OR BRAF V600K", ["BRAF V600E | BRAF V600K"]),
    ("KRAS G12", ["KRAS G12"]),
    ("ALK Fusion", ["ALK fusion"]),
    ("v::ALK", ["ALK fusion"]),
    ("EML4::ALK Fusion", ["EML4::ALK fusion"]),
    ("CDKN2A Deletion", ["CDKN2A deletion"]),
    ("EGFR Exon 20 Insertion", ["EGFR exon 20 insertion"]),
    ("FLT3 ITD", ["FLT3 ITD"]),
    ("NRAS Wildtype AND KRAS Wildtype", ["NRAS wildtype", "KRAS wildtype"]),
])
def test_map_molecular_profile(profile: str, expected: list[str]) -> None:
    assert map_molecular_profile(profile) == expected


@pytest.mark.parametrize("profile", ["EML4::ALK e6-e20", "BRAF V600E AND NOT KRAS G12", "ERBB2 Overexpression",
                                     "MGMT Promoter Methylation", "BRAF V600E/K", "PTEN Loss"])
def test_unmappable_profiles(profile: str) -> None:
    with pytest.raises(UnmappableError):
        map_molecular_profile(profile)


def test_not_a_civic_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.tsv"
    path.write_text("gene\tscore\nBRAF\t1\n")
    with pytest.raises(InputError, match="missing columns"):
        import_civic(path, tmp_path / "pack")
    with pytest.raises(InputError, match="no such file"):
        import_civic(tmp_path / "absent.tsv", tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_cli_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAILORMED_PACKS", str(tmp_path / "packs"))
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "import", "civic", str(SAMPLE), "--name", "civic-test"])
    assert result.exit_code == 0, result.output
    assert "10 evidence records" in result.output and "evidence level E" in result.output
    assert len(load_onco_knowledge("civic-test").records) == 10
    result = runner.invoke(app, ["kb", "import", "moalmanac", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    for command in ("civic", "moalmanac"):
        help_result = runner.invoke(app, ["kb", "import", command, "--help"])
        assert help_result.exit_code == 0 and "--dest" in help_result.output
