"""A busy workspace to attack: items transferred, received, analysed, and a checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events, receive, transfer
from evidence.items import list_items
from tests.helpers import CASE, World


@pytest.fixture
def busy(world: World, evidence_dir: Path) -> Iterator[World]:
    """Four items; two transferred and received, one analysed; checkpoint #1 at the end."""
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    transfer(world.ws.ledger, world.investigator, items[:2], world.custodian.record)
    receive(world.ws.ledger, world.custodian, items[:2], location="Evidence room 214")
    append_events(world.ws.ledger, world.expert, items[:1], "analysed", purpose="EXIF exam")
    create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)
    yield world
