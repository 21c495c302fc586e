"""ClinVar import: reviewed pathogenic missense changes drive PS1 and PM5."""

import gzip
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import load_known_missense
from tailormed.kb.importers.clinvar import import_clinvar, read_clinvar_missense
from tailormed.model.rare import TranscriptConsequence, Variant
from tailormed.rare.acmg import classify_variant
from tailormed.rare.engine import gene_contexts

HEADER = ("#AlleleID\tType\tName\tGeneID\tGeneSymbol\tHGNC_ID\tClinicalSignificance\tClinSigSimple\tLastEvaluated\t"
          "RS# (dbSNP)\tnsv/esv (dbVar)\tRCVaccession\tPhenotypeIDS\tPhenotypeList\tOrigin\tOriginSimple\tAssembly\t"
          "ChromosomeAccession\tChromosome\tStart\tStop\tReferenceAllele\tAlternateAllele\tCytogenetic\tReviewStatus\t"
          "NumberSubmitters\tGuidelines\tTestedInGTR\tOtherIDs\tSubmitterCategories\tVariationID\tPositionVCF\t"
          "ReferenceAlleleVCF\tAlternateAlleleVCF\n")


def _row(name: str, gene: str, significance: str, *, assembly: str = "GRCh38", kind: str = "single nucleotide variant",
         review: str = "criteria provided, multiple submitters, no conflicts", pos: int = 48500000) -> str:
    fields = ["1", kind, name, "2200", gene, "HGNC:3603", significance, "1", "-", "1", "-", "RCV1", "-", "-",
              "germline", "germline", assembly, "NC_000015.10", "15", str(pos), str(pos), "na", "na", "15q21.1", review,
              "2", "-", "N", "-", "3", "10", str(pos), "C", "T"]
    return "\t".join(fields) + "\n"


@pytest.fixture
def clinvar_file(tmp_path: Path) -> Path:
    path = tmp_path / "variant_summary.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(HEADER)
        handle.write(_row("NM_000138.5(FBN1):c.1585C>T (p.Arg529Trp)", "FBN1", "Pathogenic"))
        handle.write(_row("NM_000138.5(FBN1):c.1586G>A (p.Arg529Gln)", "FBN1", "Likely pathogenic", pos=48500001))
        handle.write(_row("NM_000138.5(FBN1):c.1000C>T (p.Arg334Ter)", "FBN1", "Pathogenic", pos=48500002))
        handle.write(_row("NM_000138.5(FBN1):c.2000A>G (p.Asp667Gly)", "FBN1", "Pathogenic", assembly="GRCh37"))
        handle.write(_row("NM_000138.5(FBN1):c.2100A>G (p.Asp700Gly)", "FBN1", "Pathogenic",
                          review="no assertion criteria provided"))
        handle.write(_row("NM_000138.5(FBN1):c.2200A>G (p.Asp734Gly)", "FBN1", "Uncertain significance"))
    return path


def test_only_reviewed_grch38_pathogenic_missense_is_kept(clinvar_file: Path) -> None:
    changes, keys = read_clinvar_missense(clinvar_file)
    assert changes == {"FBN1": {"p.Arg529Trp": "pathogenic", "p.Arg529Gln": "likely pathogenic"}}
    assert keys == {"15-48500000-C-T", "15-48500001-C-T"}


def test_import_round_trip_and_bad_file(clinvar_file: Path, tmp_path: Path) -> None:
    target, genes, changes = import_clinvar(clinvar_file, dest=tmp_path / "hpo")
    assert (genes, changes) == (1, 2)
    loaded, keys, source = load_known_missense(tmp_path / "hpo")
    assert loaded["FBN1"]["p.Arg529Trp"] == "pathogenic" and source == "variant_summary.txt.gz"
    other = tmp_path / "other.tsv"
    other.write_text("gene\tsignificance\n")
    with pytest.raises(InputError, match="not a ClinVar variant_summary"):
        read_clinvar_missense(other)


def _missense(pos: int, hgvsp: str) -> Variant:
    return Variant(chrom="chr15", pos=pos, ref="C", alt="G", source="t", annotated=True, annotations=[
        TranscriptConsequence(gene="FBN1", transcript="ENST00000316623", consequences=["missense_variant"],
                              impact="MODERATE", hgvsp=f"ENSP00000325527.5:{hgvsp}", canonical=True)])


def test_ps1_and_pm5_from_the_imported_table(clinvar_file: Path, hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    changes, keys = read_clinvar_missense(clinvar_file)
    fbn1 = gene_contexts(hpo_knowledge, None, changes, frozenset(keys))["FBN1"]
    same_amino_acid = classify_variant(_missense(48500003, "p.Arg529Trp"), fbn1)  # different nucleotide change
    same_residue = classify_variant(_missense(48500004, "p.Arg529Leu"), fbn1)
    assert "PS1" in {c.code for c in same_amino_acid.criteria}
    assert "PM5" in {c.code for c in same_residue.criteria}
    itself = Variant(chrom="chr15", pos=48500000, ref="C", alt="T", source="t", annotated=True,
                     annotations=_missense(48500000, "p.Arg529Trp").annotations)
    assert "PS1" not in {c.code for c in classify_variant(itself, fbn1).criteria}
