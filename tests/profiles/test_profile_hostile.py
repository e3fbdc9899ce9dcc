"""Hostile input: every parser returns an error or a bounded result, never raises or hangs."""

from __future__ import annotations

import json
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.profiles import (
    DEFAULT_LIMITS,
    EVIDENCE_TYPES,
    PROFILE_VERSION,
    build_profile,
    build_profile_with_limits,
    detect_evidence_type,
)
from evidence.profiles.textscan import IdentifierScanner
from tests.profiles.profile_support import assert_json_types

ANDROID_LINE = "02.11.2026, 10:15 - Алесь: Скінь нумар +375 29 765-43-21\n"


def run(path: Path, evidence_type: str, name: str | None = None, **limits: Any) -> dict[str, Any]:
    return build_profile_with_limits(
        path,
        evidence_type,
        original_name=name or path.name,
        media_type="",
        metadata={},
        limits=replace(DEFAULT_LIMITS, **limits),
    )


def test_malformed_json_falls_back_to_a_line_scan_that_says_why(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"type": "personal_chat", "messages": [{"id": 1, "text": "+375 29 765 43'
                    ' 21"', "utf-8")  # fmt: skip
    p = run(path, "chat-export")
    assert p["kind"] == "telegram-chat" and "error" not in p
    assert p["notices"][0].startswith("malformed JSON")
    assert p["notices"][0].endswith(
        "every line scanned for identifiers instead (generic text scan)"
    )
    assert {i["value"] for i in p["identifiers"]} == {"+375297654321"}
    assert p["records"] == {"unit": "lines", "read": 1, "not_read": 0, "not_read_list": [],
                            "complete": True}  # fmt: skip


def test_cut_off_telegram_export_keeps_what_it_read_and_says_so(tmp_path: Path) -> None:
    # streamed: the messages before the damage are read, the rest is named as not read
    path = tmp_path / "result.json"
    message = {"id": 1, "type": "message", "date": "2026-11-02T10:15:00", "from": "A",
               "text": "+375 29 765 43 21"}  # fmt: skip
    whole = json.dumps({"name": "x", "type": "personal_chat", "messages": [message, message]})
    path.write_text(whole[: whole.rindex("{") + 8], "utf-8")
    p = run(path, "chat-export")
    assert (p["kind"], p["message_count"]) == ("telegram-chat", 1)
    assert p["records"]["complete"] is False
    assert p["notices"][0].startswith("malformed JSON")
    assert "+375297654321" in {i["value"] for i in p["identifiers"]}


def test_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    path.write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    p = run(path, "wallet-record")
    assert p["kind"] == "wallet-record" and p["identifiers"] == []
    assert p["notices"][0].startswith(("JSON nested too deeply", "input nested too deeply"))


def test_json_over_size_limit_refused(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"type": "personal_chat", "messages": [], "pad": "x" * 5000}))
    p = run(path, "wallet-record", max_json_bytes=1000)
    assert "over the 1000-byte limit" in p["notices"][0]  # then read line by line instead
    # Telegram exports are streamed: their bound is the text size, not the JSON size
    p = run(path, "chat-export", max_text_bytes=1000)
    assert "over the 1000-byte limit" in p["notices"][0]
    assert p["records"]["complete"] is False  # the line scan stops at the same bound


def test_binary_junk_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(bytes(range(256)) * 100)
    assert detect_evidence_type(path, "WhatsApp Chat.txt", "text/plain") == "other"
    p = run(path, "chat-export", "WhatsApp Chat.txt")
    assert p["kind"] == "none"
    assert "error" in p


def test_big_chat_export_bounded_by_size(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    line = ANDROID_LINE.encode()
    with path.open("wb") as handle:
        block = line * (1024 * 1024 // len(line))
        for _ in range(200):  # ~200 MB
            handle.write(block)
    # CPU time: the work is bounded whatever else the shared machine is doing
    started = time.process_time()
    p = run(path, "chat-export", max_text_bytes=2 * 1024 * 1024)
    assert time.process_time() - started < 10
    assert p["kind"] == "whatsapp-chat" and p["truncated"] is True
    assert "size limit" in p["stopped"]
    assert 0 < p["message_count"] < 100_000


def test_chat_export_bounded_by_time(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(ANDROID_LINE * 50_000, "utf-8")
    p = run(path, "chat-export", max_seconds=0.0)
    assert p["stopped"] == "stopped at the time limit"
    assert p["message_count"] < 50_000


def test_single_huge_line_read_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(ANDROID_LINE + "x" * 5_000_000, "utf-8")
    p = run(path, "chat-export", max_line_bytes=64 * 1024)
    assert p["message_count"] == 1


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_with_dotdot_members_reported_not_followed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = _zip(
        tmp_path / "chat.zip",
        {
            "_chat.txt": ANDROID_LINE.encode(),
            "../../evil.sh": b"rm -rf /",
            "/etc/cron.d/x": b"* * * * * root x",
        },
    )
    p = run(path, "chat-export")
    assert p["kind"] == "whatsapp-chat" and p["message_count"] == 1
    assert sorted(p["unsafe_member_names"]) == ["../../evil.sh", "/etc/cron.d/x"]
    problems = {m["name"]: m["problem"] for m in p["members"]}
    assert "'..'" in problems["../../evil.sh"]
    assert "absolute" in problems["/etc/cron.d/x"]
    assert not (tmp_path / "evil.sh").exists() and list(work.iterdir()) == []


def test_zip_bomb_member_not_inflated(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "chat.zip",
        {"_chat.txt": ANDROID_LINE.encode(), "IMG-1.jpg": b"\0" * (50 * 1024 * 1024)},
    )
    p = run(path, "chat-export")
    bomb = next(m for m in p["members"] if m["name"] == "IMG-1.jpg")
    assert bomb["sha256"] is None and "compression ratio" in bomb["problem"]


def test_zip_too_many_members(tmp_path: Path) -> None:
    members = {f"m{i}.jpg": b"" for i in range(50)} | {"_chat.txt": ANDROID_LINE.encode()}
    p = run(_zip(tmp_path / "c.zip", members), "chat-export", max_zip_members=20)
    assert "51 members, over the limit of 20" in p["error"]


def test_zip_declared_total_too_big(tmp_path: Path) -> None:
    path = _zip(tmp_path / "c.zip", {"_chat.txt": ANDROID_LINE.encode() * 100})
    p = run(path, "chat-export", max_zip_total=100)
    assert "over the limit of 100" in p["error"]


def test_results_capped(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "".join(f"02.11.2026, 10:15 - User {i}: +375 29 {i:07d}\n" for i in range(1500)), "utf-8"
    )
    p = run(path, "chat-export", max_list=100)
    assert len(p["participants"]) == 100 and p["participants_truncated"] is True
    assert len(p["identifiers"]) == 100 and p["identifiers_total"] == 1500
    assert p["truncated"] is True and p["message_count"] == 1500


def test_phone_regex_does_not_backtrack() -> None:
    scanner = IdentifierScanner(10)
    started = time.process_time()  # CPU time, not the shared machine's load
    scanner.scan(" ".join(["1" * 60] * 2000) + " " + "1 " * 50_000 + "a@b." * 20_000)
    assert time.process_time() - started < 2


def test_unknown_evidence_type(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello")
    assert run(path, "firmware")["error"] == "unknown evidence type 'firmware'"


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    for evidence_type in EVIDENCE_TYPES:
        p = run(tmp_path / "gone.txt", evidence_type)
        assert p["profile_version"] == PROFILE_VERSION
        assert_json_types(p)
    assert detect_evidence_type(tmp_path / "gone.txt", "gone.txt", "") in EVIDENCE_TYPES


NAMES = ["chat.txt", "result.json", "messages.json", "x.csv", "x.zip", "m.html", "a.jpg", "x",
         "_chat.txt", "signal.jsonl"]  # fmt: skip
SMALL = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SMALL
@given(data=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_never_raises_on_bytes(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / "vault-copy"
    path.write_bytes(data)
    detected = detect_evidence_type(path, name, "")
    assert detected in EVIDENCE_TYPES
    for evidence_type in EVIDENCE_TYPES:
        p = build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
        assert isinstance(p["kind"], str) and p["profile_version"] == PROFILE_VERSION
        assert "internal parser failure" not in p.get("error", ""), p["error"]
        assert_json_types(p)


CHATTY = st.text(
    alphabet=st.sampled_from(list("0123456789./,:-[] APMамxyz@+\n\u200e<>()")), max_size=2000
)


@SMALL
@given(text=st.one_of(CHATTY, st.text(max_size=2000)))
def test_never_raises_on_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "vault-copy"
    path.write_text(text, "utf-8")
    for evidence_type in ("chat-export", "wallet-record", "document"):
        p = build_profile(path, evidence_type, original_name="chat.txt", media_type="", metadata={})
        assert_json_types(p)


KEYS = st.sampled_from(
    [
        "messages",
        "type",
        "text",
        "from",
        "date",
        "chats",
        "list",
        "conversations",
        "MessageList",
        "content",
        "date_unixtime",
        "time",
        "originalarrivaltime",
        "photo",
    ]
)
JSON_TREES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


@SMALL
@given(tree=JSON_TREES, name=st.sampled_from(["result.json", "messages.json", "w.json"]))
def test_never_raises_on_json_trees(tmp_path: Path, tree: object, name: str) -> None:
    path = tmp_path / "vault-copy"
    path.write_text(json.dumps(tree), "utf-8")
    for evidence_type in ("chat-export", "wallet-record"):
        p = build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
        assert_json_types(p)


@SMALL
@given(meta=st.dictionaries(st.text(max_size=30), JSON_TREES, max_size=10))
def test_image_profile_never_raises(meta: dict[str, Any]) -> None:
    p = build_profile(
        Path("/nonexistent"), "screenshot", original_name="", media_type="", metadata=meta
    )
    assert p["kind"] == "image"
    assert_json_types(p)


@pytest.mark.parametrize(
    "telegram",
    [
        {"type": "personal_chat", "messages": [{"type": "message", "text": [{"type": "link"}]}]},
        {"chats": {"list": [None, 5, {"messages": "x"}]}, "personal_information": []},
        {"type": "x", "messages": [{"type": "message", "date_unixtime": "9" * 40, "from": 5}]},
    ],
)
def test_odd_telegram_shapes(tmp_path: Path, telegram: dict[str, Any]) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(telegram))
    p = run(path, "chat-export")
    assert p["kind"] == "telegram-chat" and "error" not in p
