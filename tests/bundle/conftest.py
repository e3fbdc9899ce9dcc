"""Fixtures for bundle tests: a prosecutor key, evidence with a real custody history, a bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.custody import append_events, receive, transfer
from evidence.items import list_items
from evidence.keys import Signer
from tests.bundle.bundle_support import REQUEST, Built, unzip
from tests.bundle.fuzz_support import (
    Original,
    OriginalBundle,
    build_original,
    example_folders,
    make_original_bundle,
)
from tests.helpers import CASE, PASSPHRASE, World


@pytest.fixture
def prosecutor(world: World) -> Signer:
    """The prosecutor who signs the bundle."""
    record = world.ws.keys.create(
        "Н. Петрова", "Prosecutor General's Office", "BY", "prosecutor", PASSPHRASE
    )
    return world.ws.keys.unlock(record, PASSPHRASE)


@pytest.fixture
def seized(world: World, evidence_dir: Path) -> World:
    """The evidence folder ingested, handed to the custodian and analysed by the expert."""
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    transfer(world.ws.ledger, world.investigator, items, world.custodian.record)
    receive(world.ws.ledger, world.custodian, items)
    append_events(world.ws.ledger, world.expert, items[:1], "analysed", note="EXIF read")
    return world


@pytest.fixture
def built(seized: World, prosecutor: Signer, tmp_path: Path) -> Built:
    """A bundle of every item of the case, with the cover sheet hook given a stand-in PDF."""
    out = tmp_path / "request-0042.zip"
    result = build_bundle(
        seized.ws,
        prosecutor,
        CASE,
        out,
        REQUEST,
        cover=lambda manifest, digest, fp: b"%PDF-1.4 cover " + digest.encode() + fp.encode(),
    )
    return Built(seized, prosecutor, out, result)


@pytest.fixture
def bag(built: Built, tmp_path: Path) -> Path:
    """The built bundle unzipped; the bag folder."""
    return unzip(built.zip_path, tmp_path / "unzipped")


@pytest.fixture(scope="session")
def original_bundle(tmp_path_factory: pytest.TempPathFactory) -> OriginalBundle:
    """The fuzz tests' bundle, built once per test process (only read: bytes and keys)."""
    return make_original_bundle(tmp_path_factory)


@pytest.fixture(scope="module")
def original(
    tmp_path_factory: pytest.TempPathFactory, original_bundle: OriginalBundle
) -> Iterator[Original]:
    """For the verify fuzz tests: the bundle and a module's own folders (see fuzz_support)."""
    yield from build_original(tmp_path_factory, original_bundle)


@pytest.fixture
def example(original: Original) -> Iterator[Callable[[], Path]]:
    """For the verify fuzz tests: empty folders for examples, removed after the test."""
    yield from example_folders(original)
