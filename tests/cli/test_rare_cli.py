"""End to end: `tailormed rare rank` and `rare batch` with the compiled HPO knowledge."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.io.phenopacket import hpo_ids_to_profile
from tailormed.kb.rare_preset import load_preset
from tailormed.output import MARKER
from tailormed.pipelines.rare import RareContext, rank_one
from tailormed.rare.engine import rank_case

runner = CliRunner()
# Marfan syndrome's cardinal features (Loeys et al. 2010 revised Ghent nosology).
MARFAN = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0001065", "HP:0000768"]
CSQ_FIELDS = "Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|EXON|CANONICAL|gnomADe_AF|REVEL"


def _phenopacket(tmp_path: Path, terms: list[str], excluded: tuple[str, ...] = (), subject: str = "P1") -> Path:
    features = [{"type": {"id": t}} for t in terms] + [{"type": {"id": t}, "excluded": True} for t in excluded]
    document = {"id": "case-1", "subject": {"id": subject, "sex": "FEMALE"}, "phenotypicFeatures": features,
                "metaData": {"phenopacketSchemaVersion": "2.0", "created": "2026-01-01T00:00:00Z", "resources": []}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(document))
    return path


def _vcf(tmp_path: Path, records: list[tuple[str, int, str, str, str, str]], samples: tuple[str, ...] = ("P1",),
         annotated: bool = True) -> Path:
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             "##contig=<ID=chr1,length=248956422>", "##contig=<ID=chr15,length=101991189>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    if annotated:
        lines.append(f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
                     f'Format: {CSQ_FIELDS}">')
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    for chrom, pos, ref, alt, csq, gts in records:
        info = f"CSQ={csq}" if annotated else "."
        lines.append("\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", info, "GT", *gts.split(",")]))
    path = tmp_path / "case.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


FBN1_STOP = ("chr15", 48500000, "G", "A", "A|stop_gained|HIGH|FBN1|NM_000138.5|NM_000138.5:c.1000C>T|"
             "NP_000129.3:p.Arg334Ter|10/66|YES||", "0/1")
DECOY = ("chr1", 1000000, "C", "T", "T|missense_variant|MODERATE|NOTCH2|NM_024408.4|NM_024408.4:c.100C>T|"
         "NP_077719.2:p.Arg34Cys|2/34|YES|0.00001|0.2", "0/1")


@pytest.fixture(scope="module")
def context(hpo_knowledge):  # type: ignore[no-untyped-def]
    return RareContext.load()


def test_marfan_features_rank_marfan_syndrome_first(context: RareContext) -> None:
    result = rank_one(context, hpo_ids_to_profile(MARFAN), source="test")
    # Orphanet's Marfan entry (ORPHA:558) has no gene link in the HPO files; OMIM's has FBN1. It carries OMIM's name
    # and no other gene, so it is folded into OMIM's entry rather than ranked beside it.
    assert result.diseases[0].disease_id == "OMIM:154700"
    assert "ORPHA:558" in result.diseases[0].folded_entries
    assert "ORPHA:558" not in {c.disease_id for c in result.diseases}
    marfan = next(c for c in result.diseases if c.disease_id == "OMIM:154700")
    assert marfan.genes == ["FBN1"] and result.genes[0].gene == "FBN1"
    assert "autosomal_dominant" in marfan.inheritance
    assert {t.term for t in marfan.supporting_terms} >= {"HP:0001166", "HP:0001083"}
    top = result.diseases[0]
    assert 0 < top.posttest_probability <= 1
    assert sum(c.posttest_probability for c in result.diseases) <= 1.0 + 1e-9


def test_excluded_cardinal_feature_lowers_the_disease(context: RareContext) -> None:
    present = rank_one(context, hpo_ids_to_profile(MARFAN[:3]), source="test")
    excluded = rank_one(context, hpo_ids_to_profile([*MARFAN[:3], "!HP:0002616"]), source="test")
    marfan = next(c for c in present.diseases if c.disease_id == "OMIM:154700")
    marfan_excl = next(c for c in excluded.diseases if c.disease_id == "OMIM:154700")
    assert marfan_excl.score <= marfan.score


def test_obsolete_term_is_replaced_with_a_warning_and_unknown_term_refused(context: RareContext) -> None:
    result = rank_one(context, hpo_ids_to_profile(["HP:0000057", "HP:0001166"]), source="test")
    assert any(w.code == "obsolete_hpo_term" and "HP:0008665" in w.message for w in result.warnings)
    from tailormed.errors import InputError

    with pytest.raises(InputError, match="HP:9999999 is not a term"):
        rank_one(context, hpo_ids_to_profile(["HP:9999999"]), source="test")
    newer = hpo_ids_to_profile(["HP:9999999", "HP:0001166"]).model_copy(update={"hpo_version": "2999-01-01"})
    result = rank_one(context, newer, source="test")
    assert any(w.code == "term_newer_than_ontology" for w in result.warnings)


def test_cli_rank_with_vcf_writes_all_outputs(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN[:3])
    vcf = _vcf(tmp_path, [DECOY, FBN1_STOP])
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == ["interpretation.json", "ranking.tsv",
                                                                         "report.html", "result.json"]
    rows = (out / "ranking.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["rank", "disease_id", "disease_name", "gene", "score", "posttest_probability",
                                   "variants"]
    first = rows[1].split("\t")
    assert first[3] == "FBN1" and "chr15-48500000-G-A" in first[6]
    saved = json.loads((out / "result.json").read_text())
    variant = saved["diseases"][0]["variants"][0]
    assert {c["code"] for c in variant["acmg"]["criteria"]} >= {"PVS1", "PM2"}
    interpretation = json.loads((out / "interpretation.json").read_text())
    first_interp = interpretation["interpretations"][0]
    assert first_interp["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"]["variationDescriptor"][
        "vcfRecord"]["pos"] == 48500000
    html = (out / "report.html").read_text()
    assert "FBN1" in html and "PVS1" in html and "Arachnodactyly" in html


def test_genotype_lifts_the_gene_with_the_variant(context: RareContext, tmp_path: Path) -> None:
    profile = hpo_ids_to_profile(["HP:0001166"])  # arachnodactyly alone: many candidates
    without = rank_one(context, profile, source="test")
    with_vcf = rank_one(context, profile, source="test", vcf=_vcf(tmp_path, [DECOY, FBN1_STOP], ("cli",)))
    rank_without = next((g.rank for g in without.genes if g.gene == "FBN1"), 99)
    assert with_vcf.genes[0].gene == "FBN1" and rank_without >= 1
    assert with_vcf.diseases[0].genotype_lr is not None and with_vcf.diseases[0].genotype_lr > 1


def test_unannotated_vcf_is_kept_and_flagged(context: RareContext, tmp_path: Path) -> None:
    vcf = _vcf(tmp_path, [DECOY, FBN1_STOP], ("cli",), annotated=False)
    result = rank_one(context, hpo_ids_to_profile(MARFAN), source="test", vcf=vcf)
    assert len(result.unannotated_variants) == 2
    assert {w.code for w in result.warnings} >= {"unannotated_vcf", "unannotated_variants"}


def test_ped_that_disagrees_with_the_vcf_is_refused(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN[:3])
    vcf = _vcf(tmp_path, [FBN1_STOP], ("P1",))
    ped = tmp_path / "family.ped"
    ped.write_text("F1\tP1\tDAD\tMUM\t2\t2\nF1\tDAD\t0\t0\t1\t1\nF1\tMUM\t0\t0\t2\t1\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf), "--ped", str(ped),
                                 "--out", str(out)])
    assert result.exit_code == 2
    assert "family.ped" in result.output and "DAD" in result.output
    assert not out.exists()


def test_bad_phenopacket_gives_one_line_error_and_no_output(tmp_path: Path, context: RareContext) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(bad), "--out", str(out)])
    assert result.exit_code == 2 and "bad.json:line 1" in result.output and not out.exists()


def test_batch_loads_once_and_lists_rejected_files(tmp_path: Path, context: RareContext) -> None:
    cases = tmp_path / "cases"
    (cases / "a").mkdir(parents=True)
    good = _phenopacket(cases / "a", MARFAN)
    good.rename(cases / "a" / "marfan.json")
    (cases / "broken.json").write_text("[]")
    out = tmp_path / "batch"
    result = runner.invoke(app, ["rare", "batch", str(cases), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.tsv").read_text().splitlines()
    assert len(summary) == 2 and summary[1].split("\t")[0] == "marfan"
    assert "broken.json" in (out / "failed.tsv").read_text()
    assert (out / "marfan" / "ranking.tsv").is_file()


def test_batch_lists_deep_non_utf8_folder_and_wrongly_typed_cases_and_ranks_the_rest(tmp_path: Path,
                                                                                      context: RareContext) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    _phenopacket(cases, MARFAN).rename(cases / "marfan.json")
    (cases / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (cases / "latin.json").write_bytes(b'{"id": "caf\xe9"}')
    (cases / "folder.json").mkdir()
    (cases / "typed.json").write_text(json.dumps({"id": "t", "subject": "P1", "metaData": {
        "phenopacketSchemaVersion": "2.0"}}))
    out = tmp_path / "batch"
    result = runner.invoke(app, ["rare", "batch", str(cases), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    failed = dict(line.split("\t") for line in (out / "failed.tsv").read_text().splitlines()[1:])
    assert failed == {
        str(cases / "deep.json"): f"{cases / 'deep.json'}: nested too deeply (more than 200 levels)",
        str(cases / "folder.json"): f"{cases / 'folder.json'}: is a folder, not a phenotype file",
        str(cases / "latin.json"): f"{cases / 'latin.json'}:line 1: not UTF-8 text (byte 0xe9)",
        str(cases / "typed.json"): f"{cases / 'typed.json'}:subject: must be a JSON object, not a string",
    }
    assert [line.split("\t")[0] for line in (out / "summary.tsv").read_text().splitlines()[1:]] == ["marfan"]


def test_preset_restricts_databases(context: RareContext, tmp_path: Path) -> None:
    path = tmp_path / "omim.yaml"
    path.write_text("name: omim-only\ndatabases: [OMIM]\nsteps:\n  - step: phenotype_prioritiser\n")
    preset = load_preset(path)
    result = rank_case(hpo_ids_to_profile(MARFAN), context.hpo, preset, source="t",
                       provenance=rank_one(context, hpo_ids_to_profile(MARFAN), source="t").provenance)
    assert all(c.disease_id.startswith("OMIM:") for c in result.diseases)
    assert [s.name for s in result.analysis] == ["phenotype_prioritiser"]


def test_no_phenotype_terms_still_ranks_on_genotypes(context: RareContext, tmp_path: Path) -> None:
    from tailormed.model.rare import PhenotypeProfile

    result = rank_one(context, PhenotypeProfile(id="genotype-only"), source="test",
                      vcf=_vcf(tmp_path, [DECOY, FBN1_STOP], ("cli",)))
    assert any(w.code == "no_present_terms" for w in result.warnings)
    assert result.genes[0].gene == "FBN1"


def test_family_phenopacket_pedigree_finds_a_de_novo_variant(tmp_path: Path, context: RareContext) -> None:
    family = {
        "id": "fam-1",
        "proband": {"id": "kid", "subject": {"id": "KID", "sex": "MALE"},
                    "phenotypicFeatures": [{"type": {"id": t}} for t in MARFAN[:3]]},
        "pedigree": {"persons": [
            {"familyId": "F", "individualId": "KID", "paternalId": "DAD", "maternalId": "MUM", "sex": "MALE",
             "affectedStatus": "AFFECTED"},
            {"familyId": "F", "individualId": "DAD", "sex": "MALE", "affectedStatus": "UNAFFECTED"},
            {"familyId": "F", "individualId": "MUM", "sex": "FEMALE", "affectedStatus": "UNAFFECTED"}]},
        "metaData": {"phenopacketSchemaVersion": "2.0", "created": "2026-01-01T00:00:00Z", "resources": []},
    }
    packet = tmp_path / "family.json"
    packet.write_text(json.dumps(family))
    chrom, pos, ref, alt, csq, _ = FBN1_STOP
    vcf = _vcf(tmp_path, [(chrom, pos, ref, alt, csq, "0/1,0/0,0/0")], ("KID", "DAD", "MUM"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "result.json").read_text())
    fbn1 = next(c for c in saved["diseases"] if c["disease_id"] == "OMIM:154700")
    assert "PM6" in {c["code"] for c in fbn1["variants"][0]["acmg"]["criteria"]}
    written = json.loads((out / "interpretation.json").read_text())
    assert written["proband"]["interpretations"] and "interpretations" not in written


def test_cli_rank_with_a_cnv_bed_scores_the_deleted_gene(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN)
    bed = tmp_path / "calls.bed"
    bed.write_text("chr15\t48400000\t48700000\tDEL\tFBN1\nchr2\t1000\t90000\tDUP\tMYT1L:partial\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--cnv", str(bed), "--out", str(out),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "result.json").read_text())
    top = document["genes"][0]
    assert top["gene"] == "FBN1" and top["variant_score"] > 0
    variant = document["diseases"][0]["variants"][0]
    assert variant["variant"].endswith("<DEL>")
    assert variant["acmg"]["cnv_class"] == "Pathogenic"  # FBN1 is an established haploinsufficient gene
    assert document["provenance"]["inputs"]["cnv"] == str(bed)


def test_cli_bad_cnv_bed_gives_one_line_error_and_no_output(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN)
    bed = tmp_path / "calls.bed"
    bed.write_text("chr15\t48400000\t48700000\tINV\tFBN1\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--cnv", str(bed), "--out", str(out)])
    assert result.exit_code != 0
    assert "calls.bed" in result.output and "line 1" in result.output and "INV" in result.output
    assert not out.exists()


def _cnv_trio(tmp_path: Path, info: str, genotypes: str) -> tuple[Path, Path]:
    header = ["##fileformat=VCFv4.2", "##contig=<ID=chr15,length=101991189>",
              '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
              '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">',
              f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
              f'Format: {CSQ_FIELDS}">', '##ALT=<ID=DEL,Description="Deletion">',
              '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
              "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "KID", "DAD", "MUM"])]
    csq = "deletion|transcript_ablation|HIGH|FBN1|NM_000138.5||||YES||"
    record = "\t".join(["chr15", "48400000", ".", "N", "<DEL>", "50", "PASS", f"{info};CSQ={csq}", "GT",
                        *genotypes.split(",")])
    vcf = tmp_path / "trio.vcf"
    vcf.write_text("\n".join([*header, record]) + "\n")
    ped = tmp_path / "trio.ped"
    ped.write_text("F\tKID\tDAD\tMUM\t2\t2\nF\tDAD\t0\t0\t1\t1\nF\tMUM\t0\t0\t2\t1\n")
    return vcf, ped


def test_cli_trio_de_novo_deletion_shows_cnv_points_and_section_5(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN, subject="KID")
    vcf, ped = _cnv_trio(tmp_path, "END=48700000;SVTYPE=DEL", "0/1,0/0,0/0")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf), "--ped", str(ped),
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    variant = json.loads((out / "result.json").read_text())["diseases"][0]["variants"][0]
    points = {c["code"]: c["cnv_points"] for c in variant["acmg"]["criteria"]}
    assert points["CNV-2A"] == 1.0 and points["CNV-5A"] == pytest.approx(0.10)
    assert variant["acmg"]["cnv_points"] == pytest.approx(1.10) and variant["acmg"]["cnv_class"] == "Pathogenic"
    page = (out / "report.html").read_text()
    assert "<strong>CNV-5A</strong> [CNV points +0.10]" in page and "CNV points +1.10: Pathogenic" in page


def test_cli_cnv_record_ending_before_it_starts_is_one_line_error(tmp_path: Path, context: RareContext) -> None:
    packet = _phenopacket(tmp_path, MARFAN, subject="KID")
    vcf, ped = _cnv_trio(tmp_path, "END=48000000;SVTYPE=DEL", "0/1,0/0,0/0")
    out = tmp_path / "out"
    result = runner.invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf), "--ped", str(ped),
                                 "--out", str(out)])
    assert result.exit_code != 0
    message = result.output.strip()
    assert "\n" not in message and "trio.vcf:line 9 (chr15:48400000)" in message and "END 48000000 is before POS" \
        in message
    assert not out.exists()
