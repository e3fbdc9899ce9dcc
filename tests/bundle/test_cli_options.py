"""`custody bundle` checks its whole command line before the passphrase, reports every problem
at once (exit 2), takes comma lists in --items, and --dry-run signs and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from evidence.events import item_events
from evidence.items import list_items
from evidence.keys import Signer
from tests.bundle.bundle_support import REQUEST_ARGS, invoke
from tests.helpers import CASE, PASSPHRASE, World


def _events(world: World) -> int:
    return sum(
        len(item_events(world.ws.ledger, i.item_id)) for i in list_items(world.ws.ledger, CASE)
    )


def test_every_missing_option_is_named_at_once_before_any_passphrase(seized: World) -> None:
    code, result = invoke(["-w", str(seized.ws.root), "bundle", CASE, "--as", "x"], env={})
    assert code == 2
    for option in (
        "-o/--output",
        "--request-ref",
        "--legal-basis",
        "--requesting-authority",
        "--requested-state",
        "--addressee",
    ):
        assert f"missing option {option}" in result.output
    assert "assphrase" not in result.output


def test_a_bad_output_name_and_a_bad_state_together_before_the_passphrase(
    seized: World, tmp_path: Path
) -> None:
    args = [a if a != "RU" else "Russia" for a in REQUEST_ARGS]
    out = tmp_path / "Запрос 12-4-2026.zip"
    code, result = invoke(
        ["-w", str(seized.ws.root), "bundle", CASE, "--as", "x", "-o", str(out), *args], env={}
    )
    assert code == 2, result.output
    assert "Запрос 12-4-2026.zip" in result.output and "Latin letters" in result.output
    assert "--requested-state 'RUSSIA'" in result.output
    assert "assphrase" not in result.output


def test_items_take_comma_lists(seized: World, prosecutor: Signer, tmp_path: Path) -> None:
    items = list_items(seized.ws.ledger, CASE)
    out = tmp_path / "subset.zip"
    code, result = invoke(
        [
            "-w",
            str(seized.ws.root),
            "bundle",
            CASE,
            "--as",
            "Н. Петрова",
            "-o",
            str(out),
            "--items",
            f"{items[0].item_id},{items[1].item_id[:8]}",
            "--json",
            *REQUEST_ARGS,
        ],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE},
    )
    assert code == 0, result.output
    assert {i["item_id"] for i in json.loads(result.stdout)["items"]} == {
        items[0].item_id,
        items[1].item_id,
    }


def test_dry_run_signs_and_writes_nothing(seized: World, tmp_path: Path) -> None:
    before = _events(seized)
    out = tmp_path / "request-0042.zip"
    base = ["-w", str(seized.ws.root), "bundle", CASE, "-o", str(out), *REQUEST_ARGS]
    code, result = invoke([*base, "--dry-run"], env={})
    assert code == 0, result.output
    assert "audit" in result.stdout and "passed" in result.stdout
    assert "nothing was signed" in result.stderr
    code, result = invoke([*base, "--dry-run", "--json"], env={})
    plan = json.loads(result.stdout)
    assert plan["audit"]["ok"] is True
    assert len(plan["items"]) == len(list_items(seized.ws.ledger, CASE))
    assert plan["size"] == sum(i.size for i in list_items(seized.ws.ledger, CASE))
    assert not out.exists() and not list(tmp_path.glob(".*.part"))
    assert _events(seized) == before
