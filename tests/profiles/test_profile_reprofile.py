"""Re-profiling brings parser version 3 to evidence already held, as signed `profiled` events:
a Telegram Desktop HTML page an older parser left empty gets its messages and identifiers."""

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
