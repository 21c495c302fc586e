"""The compiled HPO knowledge is found without $TAILORMED_HPO: the user folder, else the checkout's .data/hpo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.kb.hpo import checkout_hpo_dir, default_hpo_dir, hpo_install_dir


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAILORMED_HPO", str(tmp_path / "mine"))
    assert default_hpo_dir() == hpo_install_dir() == tmp_path / "mine"


def test_without_it_the_checkouts_compiled_knowledge_is_found(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.delenv("TAILORMED_HPO", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # an empty user data folder
    checkout = checkout_hpo_dir()
    if checkout is None or not (checkout / "meta.json").is_file():
        pytest.skip("this checkout has no compiled .data/hpo (make hpo-data)")
    assert default_hpo_dir() == checkout
    assert hpo_install_dir() == tmp_path / "tailormed" / "hpo"  # imports still go to the user folder


def test_the_user_folder_comes_first_when_it_holds_a_release(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.delenv("TAILORMED_HPO", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    (tmp_path / "tailormed" / "hpo").mkdir(parents=True)
    (tmp_path / "tailormed" / "hpo" / "meta.json").write_text("{}")
    assert default_hpo_dir() == tmp_path / "tailormed" / "hpo"
