"""Every command that takes items takes them the same way: ids, unique prefixes, comma lists,
or --case CASE --all; every bad reference of a command line is named at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import CASE, Shell, _ingest

from .test_small_ones import many_problems


@pytest.fixture
def three(sh: Shell, photo: Path, tmp_path: Path) -> list[str]:
    for n in (1, 2):
        (tmp_path / f"statement-{n}.txt").write_text(f"QIWI statement {n}\n", encoding="utf-8")
    _ingest(sh, photo, tmp_path / "statement-1.txt", tmp_path / "statement-2.txt")
    return [i["item_id"] for i in json.loads(sh("item", "list", "--json").stdout)]


def _actions(sh: Shell, item: str) -> list[str]:
    events = json.loads(sh("log", item, "--json").stdout)[0]["events"]
    return [e["action"] for e in events]


def test_comma_lists_and_prefixes(sh: Shell, three: list[str]) -> None:
    a, b, c = three
    sh("event", f"{a[:6]},{b}", c[:5], "--action", "accessed", "--as", "A. Ivanov")
    assert all(_actions(sh, i) == ["ingested", "profiled", "accessed"] for i in three)
    logs = json.loads(sh("log", f"{a},{b[:4]}", "--json").stdout)
    assert [t["item_id"] for t in logs] == [a, b]


def test_transfer_and_receive_a_whole_case(sh: Shell, three: list[str]) -> None:
    sh("transfer", "--case", CASE, "--all", "--as", "A. Ivanov", "--to", "Evidence Room")
    sh("receive", "--case", CASE, "--all", "--as", "Evidence Room")
    for timeline in json.loads(sh("log", "--case", CASE, "--json").stdout):
        assert timeline["holder"] == "Evidence Room"
    assert len(json.loads(sh("log", "--case", CASE, "--all", "--json").stdout)) == 3


def test_receive_all_takes_what_is_pending_and_names_the_rest(sh: Shell, three: list[str]) -> None:
    a, b, c = three
    sh("transfer", a, b, "--as", "A. Ivanov", "--to", "Evidence Room")
    done = sh("receive", "--case", CASE, "--all", "--as", "Evidence Room")
    assert f"not received: item {c}: no pending transfer to Evidence Room" in done.stderr
    holders = {t["item_id"]: t["holder"] for t in json.loads(sh("log", a, b, c, "--json").stdout)}
    assert holders == {a: "Evidence Room", b: "Evidence Room", c: "A. Ivanov"}
    # Nothing pending at all: still a usage error, naming every item.
    nothing = sh("receive", "--case", CASE, "--all", "--as", "Evidence Room", code=2)
    assert "no pending transfer" in nothing.stderr
    # Named items (not --all) must all be pending, as before.
    sh("transfer", a, "--as", "Evidence Room", "--to", "P. Sidorov")
    sh("receive", a, c, "--as", "P. Sidorov", code=2)


def test_every_bad_reference_is_named_before_the_passphrase(sh: Shell, three: list[str]) -> None:
    result = many_problems(
        sh, "event", f"{three[0]},ffffffff", "ab", "--action", "analysed", "--as", "Nobody"
    )
    for what in ("'ffffffff'", "'ab' is too short", "unknown key 'Nobody'"):
        assert what in result.stderr
    assert _actions(sh, three[0]) == ["ingested", "profiled"]


def test_all_needs_a_case_and_excludes_ids(sh: Shell, three: list[str]) -> None:
    alone = sh("event", "--all", "--action", "accessed", "--as", "A. Ivanov", code=2)
    assert "--all needs --case" in alone.stderr
    both = sh(
        "event",
        three[0],
        "--case",
        CASE,
        "--all",
        "--action",
        "accessed",
        "--as",
        "A. Ivanov",
        code=2,
    )
    assert "not both" in both.stderr
    sh("case", "new", "BY-2026-0043", "--title", "other", "--jurisdiction", "BY")
    wrong = sh(
        "event",
        three[0],
        "--case",
        "BY-2026-0043",
        "--action",
        "accessed",
        "--as",
        "A. Ivanov",
        code=2,
    )
    assert "belongs to case BY-2026-0042" in wrong.stderr


def test_custody_rules_checked_before_the_passphrase(sh: Shell, three: list[str]) -> None:
    # Not the holder of any: every item named, no prompt.
    result = many_problems(
        sh, "transfer", ",".join(three), "--as", "P. Sidorov", "--to", "Evidence Room"
    )
    assert result.stderr.count("P. Sidorov is not its custodian (A. Ivanov is)") == 3
    nothing = many_problems(sh, "receive", three[0], three[1], "--as", "Evidence Room")
    assert nothing.stderr.count("no pending transfer to Evidence Room") == 2
    self_transfer = sh(
        "transfer",
        three[0],
        "--as",
        "A. Ivanov",
        "--to",
        "A. Ivanov",
        env={"CUSTODY_PASSPHRASE": None},  # type: ignore[dict-item]
        code=2,
    )
    assert "to oneself" in self_transfer.stderr and "assphrase" not in self_transfer.stderr
