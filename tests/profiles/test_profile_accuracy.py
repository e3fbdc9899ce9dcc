"""Identifier recall and precision, record counts and periods on the format fixtures: the
accuracy table of docs/formats.md is this measurement, so a regression fails `make test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.profiles.accuracy_support import EXPECTED, Measured, measure

DOCS = Path(__file__).parents[2] / "docs" / "formats.md"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> list[Measured]:
    tmp = tmp_path_factory.mktemp("accuracy")
    return [measure(name, tmp) for name in EXPECTED]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_type_records_and_period(name: str, tmp_path: Path) -> None:
    m = measure(name, tmp_path)
    want = EXPECTED[name]
    assert m.evidence_type == want["type"]
    assert "error" not in m.profile
    assert m.records == want["records"]
    assert m.period == (want["first"], want["last"])
    assert m.profile["records"]["complete"] is True  # every record of these files is read


def test_independent_layouts_are_measured_apart(measured: list[Measured]) -> None:
    # the fixtures written from outside sources (tests/data/profiles/independent/README.md)
    # must hold on their own: they are the measure of layouts nobody here designed
    independent = [m for m in measured if EXPECTED[m.name]["source"] == "independent"]
    assert len(independent) >= 15 and all(m.name.startswith("independent/") for m in independent)
    expected = sum(len(m.expected) for m in independent)
    hits = sum(len(m.expected & m.found) for m in independent)
    found = sum(len(m.found) for m in independent)
    assert expected >= 60
    assert hits / expected >= 0.98, [(m.name, sorted(m.expected - m.found)) for m in independent]
    assert hits / found >= 0.99, [(m.name, sorted(m.found - m.expected)) for m in independent]


def test_recall_and_precision_over_all_fixtures(measured: list[Measured]) -> None:
    expected = sum(len(m.expected) for m in measured)
    found = sum(len(m.found) for m in measured)
    hits = sum(len(m.expected & m.found) for m in measured)
    assert expected >= 120  # the measurement means something only over enough identifiers
    assert hits / expected >= 0.98, [(m.name, sorted(m.expected - m.found)) for m in measured]
    assert hits / found >= 0.99, [(m.name, sorted(m.found - m.expected)) for m in measured]


def test_docs_table_is_the_measurement(measured: list[Measured]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for m in measured:
        assert m.row() in text, f"docs/formats.md lacks or misstates: {m.row()}"
