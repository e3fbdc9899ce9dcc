"""Re-profiling brings today's parsers (versions 3 to 5) to evidence already held, as signed
`profiled` events: a Telegram Desktop HTML page an older parser left empty gets its messages
and identifiers, a Viber history its chat profile, an ERC-20 export its own address, an
Etherscan export its fees."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import evidence.ingest
from evidence.analysis import reprofile
from evidence.audit import audit
from evidence.events import item_events
from evidence.identifiers import collect_identifiers
from evidence.items import get_item, list_items
from evidence.profiles import PROFILE_VERSION, read_summary
from tests.helpers import CASE, World
from tests.profiles.profile_support import DATA

PAGE = DATA / "telegram" / "ChatExport_2026-11-05" / "messages.html"


def _version_2(path: Path, evidence_type: str, **kwargs: Any) -> dict[str, Any]:
    # what parser version 2 said about a Telegram Desktop HTML page: nothing
    return {"kind": "none", "profile_version": 2}


def test_reprofile_reads_a_telegram_html_page_held_before(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    shutil.copy(PAGE, seized / "messages.html")
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "build_profile", _version_2)
        world.ingest(seized)
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.profile == {"kind": "none", "profile_version": 2}

    report = reprofile(world.ws, world.expert, CASE)
    assert report.count("changed") == 1
    now = get_item(world.ws.ledger, item.item_id)
    assert now.profile is not None and now.profile["profile_version"] == PROFILE_VERSION
    assert (now.evidence_type, now.profile["kind"]) == ("chat-export", "telegram-chat")
    assert now.profile["detection"]["format"] == "telegram-html"
    values = {r.value for r in collect_identifiers([(now.item_id, now.profile)])}
    assert {"TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs", "+375291112233"} <= values
    # one page of a two-page export: the profile says the other page is not in this item
    summary = read_summary(now.profile)
    assert summary is not None and "messages2.html" in summary
    actions = [e.body["action"] for e in item_events(world.ws.ledger, item.item_id)]
    assert actions == ["ingested", "profiled", "profiled"]
    assert audit(world.ws).ok


def _version_3(path: Path, evidence_type: str, **kwargs: Any) -> dict[str, Any]:
    # what parser version 3 said of a Viber history and an ERC-20 export: a generic CSV scan
    return {"kind": "wallet-record", "profile_version": 3, "rows": 4}


def test_reprofile_brings_version_4_layouts_to_items_held(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    independent = DATA / "independent"
    shutil.copy(independent / "viber" / "Marina-all.csv", seized / "Marina-all.csv")
    erc20 = "export-tokentxns-0x4a006be1d90224207e56720befe445e52291c32c.csv"
    shutil.copy(independent / "etherscan" / erc20, seized / erc20)
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "build_profile", _version_3)
        world.ingest(seized)
    before = {i.original_name: i for i in list_items(world.ws.ledger, CASE)}
    assert {i.profile["profile_version"] for i in before.values() if i.profile} == {3}

    report = reprofile(world.ws, world.expert, CASE)
    assert report.count("changed") == 2
    viber = get_item(world.ws.ledger, before["Marina-all.csv"].item_id)
    assert viber.profile is not None and viber.profile["profile_version"] == PROFILE_VERSION >= 4
    assert (viber.evidence_type, viber.profile["kind"]) == ("chat-export", "viber-chat")
    tokens = get_item(world.ws.ledger, before[erc20].item_id)
    assert tokens.profile is not None
    assert tokens.profile["own_address"]["address"] == "0x4a006be1d90224207e56720befe445e52291c32c"
    values = {r.value for r in collect_identifiers([(viber.item_id, viber.profile)])}
    assert {"+79161234567", "TK982xib4ryh41U4JfGiwixgmv6Zvc93TE"} <= values
    # the version 3 profiles stay in the chain as they were signed; audit checks both
    assert audit(world.ws).ok
    assert [e.body["action"] for e in item_events(world.ws.ledger, viber.item_id)] == [
        "ingested",
        "profiled",
        "profiled",
    ]


def test_reprofile_brings_fee_totals_to_items_held_under_version_4(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = evidence.ingest.build_profile

    def version_4(path: Path, evidence_type: str, **kwargs: Any) -> dict[str, Any]:
        # what parser version 4 said: the same profile without fees
        profile = real(path, evidence_type, **kwargs)
        profile.pop("fees_by_currency", None)
        return profile | {"profile_version": 4}

    seized = tmp_path / "seized"
    seized.mkdir()
    name = "export-0x4a006be1d90224207e56720befe445e52291c32c.csv"
    shutil.copy(DATA / "independent" / "etherscan" / name, seized / name)
    shutil.copy(DATA / "independent" / "viber" / "Marina-all.csv", seized / "Marina-all.csv")
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "build_profile", version_4)
        world.ingest(seized)
    before = {i.original_name: i for i in list_items(world.ws.ledger, CASE)}
    assert "fees_by_currency" not in (before[name].profile or {})

    report = reprofile(world.ws, world.expert, CASE)
    # only the export with a fee column says something new; the chat is re-signed as nothing
    assert (report.count("changed"), report.count("unchanged")) == (1, 1)
    now = get_item(world.ws.ledger, before[name].item_id)
    assert now.profile is not None and now.profile["profile_version"] == PROFILE_VERSION == 5
    paid = {(f["currency"], f["paid_by"]): f["total"] for f in now.profile["fees_by_currency"]}
    assert paid == {("ETH", "other side"): "0.000378", ("ETH", "own address"): "0.001513"}
    # the version 4 event stays in the chain as it was signed, and audit accepts both
    actions = [e.body["action"] for e in item_events(world.ws.ledger, now.item_id)]
    assert actions == ["ingested", "profiled", "profiled"]
    assert audit(world.ws).ok
