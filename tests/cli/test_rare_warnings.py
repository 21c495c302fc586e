"""rare rank: the result's warnings reach the terminal (stderr), not only result.json."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tailormed.cli import app


def test_an_unannotated_vcf_is_warned_about_on_stderr(tmp_path: Path, hpo_knowledge: object) -> None:
    packet = tmp_path / "case.json"
    packet.write_text(json.dumps({"id": "case-1", "subject": {"id": "P1"},
                                  "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}],
                                  "metaData": {"phenopacketSchemaVersion": "2.0", "created": "2026-01-01T00:00:00Z",
                                               "resources": []}}))
    vcf = tmp_path / "case.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr15,length=101991189>\n"
                   '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
                   "chr15\t48500000\t.\tG\tA\t50\tPASS\t.\tGT\t0/1\n")
    result = CliRunner().invoke(app, ["rare", "rank", "--phenopacket", str(packet), "--vcf", str(vcf),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert any("no VEP CSQ or snpEff ANN annotation" in line for line in warnings)
    assert "warning" not in result.stdout
