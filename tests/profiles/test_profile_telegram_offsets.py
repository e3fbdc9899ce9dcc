"""Telegram's `date` (the exporting computer's local time) against `date_unixtime` (UTC)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.profiles.profile_support import profile_of


def test_local_time_offset_tells_the_exporting_device_zone(tmp_path: Path) -> None:
    messages = [
        # 1793610900 is 2026-11-02T09:15:00Z; the export says 12:15 local: Minsk, UTC+3
        {"id": 1, "type": "message", "date": "2026-11-02T12:15:00", "date_unixtime": "1793610900",
         "from": "Алесь", "from_id": "user5123456789", "text": "прывітанне"},
        {"id": 2, "type": "message", "date": "2026-11-02T12:16:00", "date_unixtime": "1793610960",
         "from": "Алесь", "from_id": "user5123456789", "text": "ты тут?"},
        # an edited clock: 3 hours 30 minutes, reported apart, not averaged away
        {"id": 3, "type": "message", "date": "2026-11-02T12:47:00", "date_unixtime": "1793611020",
         "from": "Алесь", "from_id": "user5123456789", "text": "?"},
    ]  # fmt: skip
    path = tmp_path / "result.json"
    chat = {"name": "Алесь", "type": "personal_chat", "id": 5123456789, "messages": messages}
    path.write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")
    p = profile_of(path)
    assert p["kind"] == "telegram-chat"
    assert p["local_time_offsets"] == [
        {"offset": "+03:00", "messages": 2},
        {"offset": "+03:30", "messages": 1},
    ]
