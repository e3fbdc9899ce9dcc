"""The time rules as pure functions (the attacks that exercise them end to end are in
test_time_attacks.py)."""

from __future__ import annotations

from evidence.timerules import (
    CheckpointTime,
    Revocation,
    Timed,
    TimeRules,
    chain_problem,
    checkpoint_order_problem,
    clock_problem,
)

KEY = "k" * 64


def _cp(
    seq: int, at: str, heads: dict[str, int], gen: str | None = None, records: int | None = None
) -> CheckpointTime:
    return CheckpointTime(seq, at, gen, heads, records)


def _t(item: str, seq: int, at: str, signer: str | None = None) -> Timed:
    return Timed(item, seq, at, signer)


def test_chain_rule_compares_instants_not_text() -> None:
    previous = _t("a", 1, "2026-11-02T10:00:00+03:00")
    assert chain_problem(previous, _t("a", 2, "2026-11-02T07:00:00Z")) is None
    problem = chain_problem(previous, _t("a", 2, "2026-11-02T06:59:59Z"))
    assert problem is not None and "before event #1 that precedes it in its chain" in problem


def test_the_latest_checkpoint_not_covering_an_event_binds_it() -> None:
    rules = TimeRules(
        [
            _cp(1, "2026-11-02T10:00:00Z", {"a": 2}),
            _cp(2, "2026-11-02T11:00:00Z", {"a": 3}, gen="2026-11-02T11:00:05Z"),
            _cp(3, "2026-11-02T12:00:00Z", {"a": 5}),
        ]
    )
    # #3 covers event 4: only #2 (with its genTime) binds it.
    assert rules.checkpoint_problem(_t("a", 4, "2026-11-02T11:00:06Z")) is None
    problem = rules.checkpoint_problem(_t("a", 4, "2026-11-02T11:00:04Z"))
    assert problem is not None and "checkpoint #2 (2026-11-02T11:00:00Z, RFC 3161 time" in problem
    # Covered by #1: nothing binds event 2.
    assert rules.checkpoint_problem(_t("a", 2, "2026-11-02T09:00:00Z")) is None
    # Not covered by any: the latest of them.
    problem = rules.checkpoint_problem(_t("a", 6, "2026-11-02T11:59:00Z"))
    assert problem is not None and "checkpoint #3" in problem


def test_an_item_a_checkpoint_does_not_name_is_not_covered_by_it() -> None:
    rules = TimeRules([_cp(1, "2026-11-02T10:00:00Z", {"a": 2})])
    problem = rules.checkpoint_problem(_t("b", 1, "2026-11-02T09:00:00Z"))
    assert problem is not None and "checkpoint #1" in problem


def test_a_covered_revocation_applies_to_every_event_the_checkpoint_does_not_cover() -> None:
    revocation = Revocation(KEY, 4, "2026-11-02T10:30:00.000000Z")
    rules = TimeRules(
        [
            _cp(1, "2026-11-02T10:00:00Z", {"a": 2}, records=3),  # before the revocation
            _cp(2, "2026-11-02T11:00:00Z", {"a": 3}, records=4),  # covers it
        ],
        [revocation],
    )
    assert rules.revocation_problem(_t("a", 3, "2026-11-02T10:10:00Z", KEY)) is None
    problem = rules.revocation_problem(_t("a", 4, "2026-11-02T10:10:00Z", KEY))
    assert problem is not None and "trust record #4" in problem and "checkpoint #2" in problem
    assert rules.revocation_problem(_t("a", 4, "2026-11-02T10:10:00Z", "other")) is None


def test_an_uncovered_revocation_is_left_to_its_date() -> None:
    rules = TimeRules(
        [_cp(1, "2026-11-02T10:00:00Z", {"a": 2}, records=3)],
        [Revocation(KEY, 4, "2026-11-02T10:30:00.000000Z")],
    )
    assert rules.revocation_problem(_t("a", 3, "2026-11-02T10:10:00Z", KEY)) is None


def test_checkpoint_order_and_the_clock() -> None:
    first = _cp(1, "2026-11-02T10:00:00Z", {}, gen="2026-11-02T10:00:02Z")
    later = _cp(2, "2026-11-02T10:00:01Z", {})
    problem = checkpoint_order_problem(first, later)
    assert problem is not None and "before checkpoint #1" in problem
    assert clock_problem("2026-11-02T10:00:03Z", first, {}) is None
    problem = clock_problem("2026-11-02T10:00:01Z", first, {})
    assert problem is not None and "earlier than the latest checkpoint #1" in problem
    last = {"a": _t("a", 7, "2026-11-02T10:05:00Z")}
    problem = clock_problem("2026-11-02T10:04:00Z", first, last)
    assert problem is not None and "the last event of item a (#7, 2026-11-02T10:05:00Z)" in problem
