"""Signal: signal-cli JSON output (plain and JSON-RPC lines), as signal-cli writes it."""

from __future__ import annotations

from tests.profiles.profile_support import DATA, profile_of, values


def test_signal_cli_receive_output() -> None:
    p = profile_of(DATA / "signal" / "signal-cli-receive.jsonl")
    assert (p["kind"], p["platform"], p["format"]) == ("signal-chat", "Signal", "signal-cli json")
    # 2 received (one a group photo), 1 sent from a linked device; typing and receipt are not
    assert p["message_count"] == 3 and p["system_message_count"] == 2
    assert p["unparsed_lines"] == 1  # the cut-off last line, counted not fatal
    assert {x["name"]: x["messages"] for x in p["participants"]} == {
        "Алесь": 2,
        "+375291112233": 1,
    }
    assert p["first_message_utc"] == "2026-11-02T10:15:33Z"
    assert p["last_message_utc"] == "2026-11-02T10:18:20Z"
    assert [a["name"] for a in p["attachments"]] == ["signal-2026-11-02-101640.jpg"]
    assert p["group_count"] == 1
    assert values(p, "phone") == {"+375291112233", "+375297654321", "+79161234567"}
    assert values(p, "email") == {"ivan.petrov@mail.ru"}
    assert values(p, "bitcoin-address") == {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}
