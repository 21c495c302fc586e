"""The importers' shared pinned-wheel download."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.importers import wheels


def test_a_failed_download_is_one_line_naming_the_requirement_and_what_to_do(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Failed:
        returncode, stderr = 1, "ERROR: No matching distribution found for nosuch==1.0\n"

    monkeypatch.setattr(wheels.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(InputError) as caught:
        wheels.download_pinned_wheel("nosuch==1.0", tmp_path, instead="pass it with --from")
    message = str(caught.value)
    assert "nosuch==1.0" in message and "No matching distribution" in message and message.endswith("--from")


def test_the_downloaded_wheel_is_returned(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Done:
        returncode, stderr = 0, ""

    def fake_pip(command, **_):  # type: ignore[no-untyped-def]
        assert command[-1] == "spliceai==1.3.1" and "--no-deps" in command
        (tmp_path / "spliceai-1.3.1-py2.py3-none-any.whl").write_bytes(b"")
        return Done()

    monkeypatch.setattr(wheels.subprocess, "run", fake_pip)
    assert wheels.download_pinned_wheel("spliceai==1.3.1", tmp_path, instead="x").name.startswith("spliceai-1.3.1")
