"""evidence.corrections and evidence.seals: the one replay of corrections, hostile input to it,
and corrections decided on the ledger's state at write time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.audit import audit
from evidence.corrections import amend_item, current_facts, offset_of, replay
from evidence.items import list_items
from evidence.seals import seal_problems
from tests.helpers import World

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
ACTIONS = st.sampled_from(["amended", "digests-added", "sealed", "unsealed", "analysed", None])
CHANGE = st.fixed_dictionaries({"from": JSON, "to": JSON, "offset": JSON}) | JSON
BODY = st.fixed_dictionaries(
    {
        "action": ACTIONS,
        "seq": st.integers(1, 5) | JSON,
        "details": st.fixed_dictionaries(
            {
                "changes": st.dictionaries(
                    st.sampled_from(
                        ["source", "acquired_at", "acquisition_method", "digests", "x"]
                    ),
                    CHANGE,
                    max_size=3,
                )
                | JSON,
                "digests": st.dictionaries(st.sampled_from(["md5", "sha1", "sha256"]), JSON) | JSON,
                "seal": JSON,
            }
        )
        | JSON,
        "actor": JSON,
        "at": JSON,
        "purpose": JSON,
    }
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), JSON, max_size=5), st.lists(BODY, max_size=6))
def test_replay_and_seal_history_never_crash_on_hostile_chains(
    first: dict[str, Any], bodies: list[dict[str, Any]]
) -> None:
    # A manifest from abroad or an edited ledger feeds these: findings, never exceptions.
    done = replay(first, bodies)
    assert all(isinstance(seq, int) and isinstance(p, str) for seq, p in done.problems)
    for seq, problem in seal_problems(bodies):
        assert isinstance(seq, int) and problem


def test_replay_applies_corrections_in_order_and_checks_each_from() -> None:
    first = {"source": "a", "acquired_at": None, "acquisition_method": "m", "digests": {}}
    bodies = [
        {
            "action": "amended",
            "seq": 2,
            "details": {"changes": {"source": {"from": "a", "to": "b"}}},
        },
        {
            "action": "amended",
            "seq": 3,
            "details": {"changes": {"source": {"from": "a", "to": "c"}}},
        },
        {"action": "digests-added", "seq": 4, "details": {"digests": {"md5": "0" * 32}}},
        {"action": "digests-added", "seq": 5, "details": {"digests": {"md5": "1" * 32}}},
    ]
    done = replay(first, bodies)
    assert done.values["source"] == "c" and done.values["digests"] == {"md5": "0" * 32}
    assert done.problems == (
        (3, "source amended from 'a', but it was 'b'"),
        (5, "digests-added: the item already has md5"),
    )


def test_seal_history_problems() -> None:
    def ev(seq: int, action: str, seal: str | None) -> dict[str, Any]:
        return {"seq": seq, "action": action, "details": {} if seal is None else {"seal": seal}}

    assert (
        seal_problems([ev(1, "ingested", None), ev(2, "sealed", "A"), ev(3, "unsealed", "A")]) == []
    )
    assert seal_problems([ev(2, "sealed", "A"), ev(3, "sealed", "B"), ev(4, "unsealed", None)]) == [
        (3, "sealed again (B) while under seal A"),
        (4, "unsealed without a seal number"),
    ]


def test_offsets_kept_for_display() -> None:
    assert offset_of("2026-11-02T14:30:00+03:00") == "+03:00"
    assert offset_of("2026-11-02T14:30:00-05:30") == "-05:30"
    assert offset_of("2026-11-02T14:30:00Z") is None
    assert offset_of("2026-11-02T14:30:00+00:00") is None


def test_a_correction_reads_the_values_at_write_time(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    stale = list_items(world.ws.ledger)[0]  # read once, as a second process would have
    ledger, signer = world.ws.ledger, world.investigator
    amend_item(ledger, signer, stale, reason="first", source="Samsung A51, SIM 1")
    event = amend_item(ledger, signer, stale, reason="second", source="Samsung A51, SIM 2")
    assert event.body["details"]["changes"]["source"]["from"] == "Samsung A51, SIM 1"
    facts = current_facts(ledger, stale)
    assert facts.item.source == "Samsung A51, SIM 2"
    assert [(c.old, c.new, c.reason) for c in facts.history] == [
        ("Samsung A51, IMEI 356938035643809", "Samsung A51, SIM 1", "first"),
        ("Samsung A51, SIM 1", "Samsung A51, SIM 2", "second"),
    ]
    assert audit(world.ws).ok
