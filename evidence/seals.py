"""Seal state: which seal (if any) closes an item, replayed from its `sealed`/`unsealed` events.

`custody event --action sealed --seal NUMBER` records the seal number in the event's details;
`unsealed` names the seal it broke. An access, analysis or copy while the item is sealed is
marked wherever the chain is shown, and an inconsistent seal history (unsealed without being
sealed, another number broken than applied, sealed twice) is listed by the audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .message import Message

# Actions that need the item out of its seal: recorded while sealed, they are marked.
OPENING_ACTIONS = ("accessed", "analysed", "copied")


def seal_number(body: Mapping[str, Any]) -> str | None:
    """The seal number a sealed/unsealed event names, if any."""
    details = body.get("details")
    seal = details.get("seal") if isinstance(details, Mapping) else None
    return seal if isinstance(seal, str) and seal else None


def seal_states(bodies: Iterable[Mapping[str, Any]]) -> Iterator[str | None]:
    """For each event, the seal closing the item just before it (None: not sealed)."""
    current: str | None = None
    for body in bodies:
        yield current
        action = body.get("action")
        if action == "sealed":
            current = seal_number(body) or "?"
        elif action == "unsealed":
            current = None


def seal_problems(bodies: Iterable[Mapping[str, Any]]) -> list[tuple[int, Message]]:
    """(seq, problem) for every step of the seal history that does not follow from the last."""
    problems: list[tuple[int, Message]] = []
    listed = list(bodies)
    for body, before in zip(listed, seal_states(listed), strict=True):
        action, seq = body.get("action"), body.get("seq")
        if not isinstance(seq, int) or action not in ("sealed", "unsealed"):
            continue
        number = seal_number(body)
        if number is None:
            problems.append(
                (seq, Message("{action} without a seal number", action=Message.word(str(action))))
            )
        if action == "sealed" and before is not None:
            problems.append(
                (
                    seq,
                    Message(
                        "sealed again ({number}) while under seal {before}",
                        number=number,
                        before=before,
                    ),
                )
            )
        elif action == "unsealed" and before is None:
            problems.append(
                (seq, Message("unsealed ({number}) without having been sealed", number=number))
            )
        elif action == "unsealed" and number is not None and before not in (number, "?"):
            problems.append(
                (
                    seq,
                    Message(
                        "unsealed seal {number}, but the item was under seal {before}",
                        number=number,
                        before=before,
                    ),
                )
            )
    return problems


def seal_warnings(
    chains: Mapping[str, Sequence[Mapping[str, Any]]], action: str, seal: str | None
) -> list[str]:
    """What recording action (with seal) on items with these chains (item id -> event bodies)
    would make look wrong: recorded all the same, since the seal was handled in the real
    world, but said before signing."""
    out = []
    for item_id, bodies in chains.items():
        *_, before = seal_states([*bodies, {}])
        if action == "sealed" and before is not None:
            out.append(f"item {item_id} is already under seal {before}")
        elif action == "unsealed" and before is None:
            out.append(f"item {item_id} is not recorded as sealed (record `sealed` first?)")
        elif action == "unsealed" and before not in (seal, "?"):
            out.append(f"item {item_id} is under seal {before}, not {seal}")
        elif action in OPENING_ACTIONS and before is not None:
            out.append(
                f"item {item_id} is under seal {before}: this {action} event is marked as done "
                "under seal (record `unsealed` first if the seal was broken)"
            )
    return out
