"""Batch runs name one sub-folder per case; names that escape, collide or take the run's own files are refused
before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.pipelines.onco import TumourInputs, run_onco_batch
from tailormed.pipelines.rare import run_rare_batch

MAF_HEADER = ("NCBI_Build\tHugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\tChromosome\t"
              "Start_Position\tReference_Allele\tTumor_Seq_Allele2\n")


def _maf(path: Path, samples: list[str]) -> Path:
    rows = "".join(f"GRCh38\tTP53\tMissense_Mutation\t{s}\tp.R273H\t17\t7673802\tC\tT\n" for s in samples)
    path.write_text(MAF_HEADER + rows)
    return path


@pytest.mark.parametrize(("samples", "message"), [
    (["..", "T1"], "'..' cannot name"),
    (["summary.tsv"], "the run writes itself"),
    (["A/B", "A_B"], "'A/B' and 'A_B'"),
])
def test_onco_batch_refuses_bad_sample_names_before_writing(tmp_path: Path, samples: list[str], message: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=message):
        run_onco_batch(out, TumourInputs(maf=_maf(tmp_path / "t.maf", samples)), "LUAD")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.maf"]


def _packet(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": path.stem, "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}]}))


@pytest.mark.parametrize(("names", "message"), [
    (["summary.tsv.json"], "the run writes itself"),
    (["failed.tsv.json"], "the run writes itself"),
    (["a:b.json", "a_b.json"], "'a:b' and 'a_b'"),
    (["..json"], "cannot name"),
])
def test_rare_batch_refuses_bad_case_names_before_writing(tmp_path: Path, names: list[str], message: str) -> None:
    cases = tmp_path / "cases"
    for name in names:
        _packet(cases / name)
    out = tmp_path / "out"
    with pytest.raises(InputError, match=message):
        run_rare_batch(cases, out)
    assert not out.exists()


def test_rare_batch_refuses_a_symlinked_case_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _packet(elsewhere / "p1.json")
    cases = tmp_path / "cases"
    _packet(cases / "p2.json")
    (cases / "linked").symlink_to(elsewhere)
    with pytest.raises(InputError, match="symbolic link"):
        run_rare_batch(cases, tmp_path / "out")
    assert not (tmp_path / "out").exists()
