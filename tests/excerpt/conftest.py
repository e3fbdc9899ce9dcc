"""Fixtures for excerpt tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.excerpt.excerpt_support import ingest_chat, recorded
from tests.helpers import World


@pytest.fixture
def two_excerpts(world: World, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """An excerpt of one chat, and one of the same records of another chat."""
    mine = recorded(world, ingest_chat(world, tmp_path, name="a"), "2-4,10,40", tmp_path / "a")
    theirs = recorded(world, ingest_chat(world, tmp_path, name="b"), "2-4,10,40", tmp_path / "b")
    return (*mine, *theirs)


@pytest.fixture
def world(any_world: World) -> World:
    """Every excerpt test that uses a workspace runs on both ledger backends (SQLite and
    PostgreSQL, a throwaway cluster: tests/pgcluster.py)."""
    return any_world
