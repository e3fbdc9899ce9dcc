"""Audit of `excerpted` events, full and incremental (--since-checkpoint): each must restate
its item's commitment and name records inside it; --fixity recomputes the commitments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.audit import AuditResult, audit
from evidence.audit.incremental import audit_since
from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events
from evidence.excerpt.disclose import Excerpt, open_excerpt, record_excerpt
from tests.excerpt.excerpt_support import cli_args, ingest_chat
from tests.helpers import PASSPHRASE, World


def _found(result: AuditResult) -> list[tuple[str, str, str]]:
    return [(f.check, f.subject, f.message) for f in result.findings]


def _both(world: World) -> tuple[AuditResult, AuditResult]:
    return audit(world.ws), audit_since(world.ws)


@pytest.fixture
def chosen(world: World, tmp_path: Path) -> Excerpt:
    """A chat of 40 messages, its records 1-2 chosen, and a checkpoint after its ingest."""
    made = open_excerpt(world.ws, ingest_chat(world, tmp_path), ranges="1-2")
    create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)
    return made


def _sign(world: World, chosen: Excerpt, **change: Any) -> str:
    details = {**chosen.details("why", None, 0), **change}
    event = append_events(
        world.ws.ledger, world.investigator, [chosen.item], "excerpted", details=details
    )[0]
    return f"item {chosen.item.item_id} event #{event.body['seq']}"


def test_a_good_excerpt_passes_both_audits(world: World, chosen: Excerpt) -> None:
    record_excerpt(world.ws, world.investigator, chosen, "messages about the transfer")
    full, since = _both(world)
    assert full.ok and since.ok, _found(full) + _found(since)
    line = next(c for c in since.checks if c.name == "profiles")
    assert line.detail == "1 new excerpt(s) restate their item's commitment"


def test_excerpt_naming_records_beyond_the_count(world: World, chosen: Excerpt) -> None:
    where = _sign(world, chosen, records="1-2,41", disclosed=3)
    expected = [
        ("profiles", where, "excerpt names records 1-2,41, beyond the 40 its commitment counts")
    ]
    full, since = _both(world)
    assert _found(full) == expected and _found(since) == expected


def test_excerpt_citing_another_root(world: World, chosen: Excerpt) -> None:
    other = {**chosen.commitment.to_json(), "root": "0" * 64}
    where = _sign(world, chosen, commitment=other)
    expected = [("profiles", where, "excerpt's commitment is not the one event #2 signs")]
    full, since = _both(world)
    assert _found(full) == expected and _found(since) == expected


def test_excerpt_with_counts_that_disagree(world: World, chosen: Excerpt) -> None:
    where = _sign(world, chosen, disclosed=5)
    expected = [("profiles", where, "excerpt's disclosed or record count differs from its records")]
    full, since = _both(world)
    assert _found(full) == expected and _found(since) == expected


def test_incremental_fixity_recomputes_what_was_touched(
    world: World, chosen: Excerpt, tmp_path: Path
) -> None:
    record_excerpt(world.ws, world.investigator, chosen, "why")
    clean = audit_since(world.ws, fixity=True)
    line = next(c for c in clean.checks if c.name == "fixity")
    assert clean.ok and line.detail == (
        "1 vault files of items with new events match their digests, "
        "1 record commitment(s) recomputed"
    )
    path = world.ws.vault.path_for(chosen.item.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(path.read_bytes().replace("сообщение 7".encode(), "сообщение 8".encode()))
    os.chmod(path, 0o400)
    found = [m for c, _, m in _found(audit_since(world.ws, fixity=True)) if c == "fixity"]
    assert len(found) == 2 and "SHA-256 is" in found[0]
    assert found[1].startswith("record commitment (40 records) does not match")
    runner = CliRunner()
    base = [*cli_args(world), "audit", "--since-checkpoint"]
    env = {"CUSTODY_PASSPHRASE": PASSPHRASE}
    assert runner.invoke(cli, base, env=env).exit_code == 0  # the vault is not read
    assert runner.invoke(cli, [*base, "--fixity"], env=env).exit_code == 1
