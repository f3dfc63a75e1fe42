"""The `muni` command line: a missing or bad setting is one line that names it, exit 2, no traceback."""

from __future__ import annotations

import pytest

from ops.cli import main


def test_a_missing_secret_is_named_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MUNI_SECRET_KEY", raising=False)
    assert main(["rasa-token"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("muni: MUNI_SECRET_KEY is required") and "Traceback" not in err


def test_the_rasa_token_is_derived_from_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUNI_SECRET_KEY", "s" * 40)
    assert main(["rasa-token"]) == 0
    first = capsys.readouterr().out.strip()
    monkeypatch.setenv("MUNI_SECRET_KEY", "t" * 40)
    main(["rasa-token"])
    second = capsys.readouterr().out.strip()
    assert len(first) >= 32 and first != second and "s" * 40 not in first
