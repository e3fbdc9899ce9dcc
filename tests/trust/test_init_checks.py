"""`custody init` checks the authority's identity once and its passphrase once, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import keys
from evidence.errors import UsageError, UsageProblems
from evidence.keys import Identity, NewPassphrase
from evidence.workspace import AuthoritySetup, Workspace
from tests.helpers import PASSPHRASE


def test_a_bad_identity_is_refused_before_the_passphrase_is_asked(tmp_path: Path) -> None:
    asked: list[str] = []

    def prompt() -> str:
        asked.append("passphrase")
        return PASSPHRASE

    with pytest.raises(UsageProblems) as caught:
        Workspace.init(tmp_path / "ws", AuthoritySetup("", prompt, "", "XX"))
    assert asked == []
    assert caught.value.exit_code == 2 and len(caught.value.problems) == 3
    with pytest.raises(UsageError, match="one non-empty line"):
        Workspace.init(tmp_path / "ws", AuthoritySetup("Room\nTwo", prompt))
    assert asked == [] and not (tmp_path / "ws").exists()


def test_identity_and_passphrase_are_each_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"identity": 0, "passphrase": 0, "asked": 0}
    identity_problems, check_passphrase = keys.identity_problems, keys.check_passphrase

    def counted_identity(*args: str) -> list[str]:
        calls["identity"] += 1
        return identity_problems(*args)

    def counted_passphrase(text: str) -> None:
        calls["passphrase"] += 1
        check_passphrase(text)

    def prompt() -> str:
        calls["asked"] += 1
        return PASSPHRASE

    monkeypatch.setattr(keys, "identity_problems", counted_identity)
    monkeypatch.setattr(keys, "check_passphrase", counted_passphrase)
    Workspace.init(tmp_path / "ws", AuthoritySetup("Evidence Room", prompt, "", "BY")).close()
    assert calls == {"identity": 1, "passphrase": 1, "asked": 1}


def test_checked_values_say_what_is_wrong_and_hide_the_passphrase() -> None:
    with pytest.raises(UsageError, match="passphrase too short"):
        NewPassphrase("short")
    assert PASSPHRASE not in repr(NewPassphrase(PASSPHRASE))
    with pytest.raises(UsageProblems) as caught:
        Identity("", "", "XX", "nobody")
    assert len(caught.value.problems) == 4
    assert "4 problems" in caught.value.diagnostics()
