"""Corrections of recorded facts: signed `amended` and `digests-added` events, never edits.

The item row and its ingest event keep what was recorded at ingest. An `amended` event states
which facts change, from what, to what (its purpose says why); `digests-added` adds MD5/SHA-1
computed later from the vault copy. The current facts are the ingest facts with the item's
corrections applied in chain order: one replay (`replay`), used by `item show`, manifests,
reports, the audit and the bundle verifier alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .custody import append_locked
from .errors import InputRejected, UsageError
from .events import SignedEvent, item_events
from .hashing import Hasher, hash_file
from .items import Item
from .keys import Signer
from .ledger import Ledger, marks, select_all
from .message import Message
from .timefmt import format_utc, parse_rfc3339

# The facts an investigator states at ingest and may later correct (ingest-details names).
AMENDABLE = ("source", "acquired_at", "acquisition_method")
_OFFSET = re.compile(r"[+-]\d{2}:\d{2}")
_HEX = {"md5": re.compile(r"[0-9a-f]{32}"), "sha1": re.compile(r"[0-9a-f]{40}")}


@dataclass(frozen=True)
class Correction:
    """One corrected fact: who changed it, when, from what, to what and why."""

    seq: int
    at: str
    actor: str
    fingerprint: str
    field: str
    old: str | None
    new: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Facts:
    """An item's facts as they stand after every correction, and the corrections themselves."""

    item: Item  # the item with current source, acquisition and digests
    acquired_offset: str | None  # the UTC offset the acquisition time was given in
    history: tuple[Correction, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output: current values and the history."""
        return {
            "source": self.item.source,
            "acquired_at": self.item.acquired_at,
            "acquired_offset": self.acquired_offset,
            "acquisition_method": self.item.acquisition_method,
            "digests": self.item.digests.to_json(),
            "corrections": [c.to_json() for c in self.history],
        }


@dataclass(frozen=True)
class Replayed:
    """What a replay of a chain found: the current values, the history and any problem."""

    values: dict[str, Any]
    history: tuple[Correction, ...]
    problems: tuple[tuple[int, Message], ...]  # (event seq, what is wrong)


def offset_of(given: str) -> str | None:
    """The UTC offset a time was written with ("+03:00"), or None for Z / +00:00."""
    match = _OFFSET.search(given[10:]) if len(given) > 10 else None
    offset = match.group() if match else None
    return None if offset in (None, "+00:00", "-00:00") else offset


def replay(first: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> Replayed:
    """Apply the corrections among events (bodies, chain order) to the signed ingest details.

    Checks what an honest tool always writes: every changed fact is amendable, its "from" is
    the value it replaces, a time is RFC 3339 UTC, added digests are well formed and new.
    """
    digests = first.get("digests")
    values: dict[str, Any] = {k: first.get(k) for k in AMENDABLE}
    values["acquired_offset"] = first.get("acquired_offset")
    values["digests"] = dict(digests) if isinstance(digests, Mapping) else {}
    history: list[Correction] = []
    problems: list[tuple[int, Message]] = []
    for body in events:
        action, seq = body.get("action"), body.get("seq")
        details = body.get("details")
        if action not in ("amended", "digests-added") or not isinstance(seq, int):
            continue
        if not isinstance(details, Mapping):
            problems.append(
                (seq, Message("{action} event without details", action=Message.word(str(action))))
            )
            continue
        actor = body.get("actor")
        if not isinstance(actor, Mapping):
            actor = {}
        stamp = (seq, str(body.get("at")), str(actor.get("name")), str(actor.get("fingerprint")))
        if action == "amended":
            _amend(values, details, stamp, str(body.get("purpose", "")), history, problems)
        else:
            _add_digests(values, details, seq, history, stamp, problems)
    return Replayed(values, tuple(history), tuple(problems))


def _amend(
    values: dict[str, Any],
    details: Mapping[str, Any],
    stamp: tuple[int, str, str, str],
    reason: str,
    history: list[Correction],
    problems: list[tuple[int, Message]],
) -> None:
    seq = stamp[0]
    changes = details.get("changes")
    if not isinstance(changes, Mapping) or not changes:
        problems.append((seq, Message("amended event names no changed fact")))
        return
    for name, change in changes.items():
        if name not in AMENDABLE or not isinstance(change, Mapping):
            problems.append(
                (seq, Message("amended event changes {name!r}, which cannot be amended", name=name))
            )
            continue
        old, new = change.get("from"), change.get("to")
        if old != values[name]:
            problems.append(
                (
                    seq,
                    Message(
                        "{name} amended from {old!r}, but it was {was!r}",
                        name=name,
                        old=old,
                        was=values[name],
                    ),
                )
            )
        if new is not None and not isinstance(new, str):
            problems.append((seq, Message("{name} amended to a non-text value", name=name)))
            continue
        if name == "acquired_at" and new is not None and not _is_utc(new):
            problems.append(
                (seq, Message("acquired_at amended to {new!r}, not an RFC 3339 UTC time", new=new))
            )
        values[name] = new
        if name == "acquired_at":
            offset = change.get("offset")
            values["acquired_offset"] = offset if isinstance(offset, str) else None
        history.append(Correction(*stamp[:4], name, old, new, reason))


def _add_digests(
    values: dict[str, Any],
    details: Mapping[str, Any],
    seq: int,
    history: list[Correction],
    stamp: tuple[int, str, str, str],
    problems: list[tuple[int, Message]],
) -> None:
    added = details.get("digests")
    if not isinstance(added, Mapping) or not added:
        problems.append((seq, Message("digests-added event adds no digest")))
        return
    for name, value in added.items():
        pattern = _HEX.get(name)
        if pattern is None or not isinstance(value, str) or not pattern.fullmatch(value):
            problems.append(
                (seq, Message("digests-added: {name!r} is not an MD5 or SHA-1 digest", name=name))
            )
            continue
        if name in values["digests"]:
            problems.append((seq, Message("digests-added: the item already has {name}", name=name)))
            continue
        values["digests"][name] = value
        history.append(Correction(*stamp[:4], name, None, value, "legacy digest added"))


def _is_utc(text: str) -> bool:
    try:
        return format_utc(datetime.fromisoformat(text.replace("Z", "+00:00"))) == text
    except (ValueError, OverflowError):
        return False


def facts_of(item: Item, chain: Sequence[SignedEvent]) -> Facts:
    """The item's current facts from its chain (see replay); the row supplies the rest."""
    first = dict(chain[0].body.get("details") or {}) if chain else {}
    # The row is what the ingest event signed (audit checks it), so start from the row's values.
    first.update(
        source=item.source,
        acquired_at=item.acquired_at,
        acquisition_method=item.acquisition_method,
        digests=item.digests.to_json(),
    )
    done = replay(first, (e.body for e in chain))
    v = done.values
    digests = replace(item.digests, md5=v["digests"].get("md5"), sha1=v["digests"].get("sha1"))
    current = replace(
        item,
        source=v["source"] if isinstance(v["source"], str) else item.source,
        acquired_at=v["acquired_at"],
        acquisition_method=v["acquisition_method"],
        digests=digests,
    )
    offset = v["acquired_offset"] if isinstance(v["acquired_offset"], str) else None
    return Facts(current, offset, done.history)


def current_facts(ledger: Ledger, item: Item) -> Facts:
    """An item's current facts (source, acquisition, digests) and who corrected what, when, why."""
    return facts_of(item, item_events(ledger, item.item_id))


def current_items(ledger: Ledger, items: Sequence[Item]) -> list[Item]:
    """Many items with their facts as corrected, from one query for their corrections."""
    wanted = {i.item_id for i in items}
    cases = sorted({i.case_number for i in items})
    if not cases:
        return []
    # Canonical JSON writes `"action":"amended"` exactly so: a cheap filter (replay checks the
    # action again), which spares reading every event of the case.
    rows = ledger.rows(
        select_all("events") + " WHERE item_id IN (SELECT item_id FROM items WHERE case_number IN "
        f"({marks(len(cases))})) AND (seq = 1 "
        f"""OR body {ledger.like} '%"action":"amended"%' """
        f"""OR body {ledger.like} '%"action":"digests-added"%') """
        "ORDER BY item_id, seq",
        tuple(cases),
    )
    chains: dict[str, list[SignedEvent]] = {}
    for row in rows:
        if row["item_id"] in wanted:
            chains.setdefault(row["item_id"], []).append(SignedEvent.from_row(row))
    return [facts_of(i, chains.get(i.item_id, [])).item for i in items]


def amend_item(
    ledger: Ledger,
    signer: Signer,
    item: Item,
    *,
    reason: str,
    source: str | None = None,
    acquired_at: str | None = None,
    method: str | None = None,
) -> SignedEvent:
    """Append a signed `amended` event correcting source, acquisition time and/or method.

    acquired_at is RFC 3339 with an offset; it is stored in UTC and its offset kept for display.
    A value equal to the current one is not a change; a time after the ingest is refused. The
    current values are read under the write lock, so two corrections made at once cannot both
    claim to correct the same old value.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the facts are corrected")
    if source is not None and not source.strip():
        raise UsageError("--source must not be empty")
    utc = offset = None
    if acquired_at is not None:
        implausible = check_acquired_at(acquired_at, item.ingested_at)
        if implausible:
            raise UsageError(f"item {item.item_id}: {implausible}", "a seizure precedes its ingest")
        utc = format_utc(parse_rfc3339(acquired_at, "--acquired-at"))
        offset = offset_of(acquired_at)
    with ledger.atomic(lock=[item.item_id]):
        now = current_facts(ledger, item)
        changes: dict[str, dict[str, Any]] = {}
        for name, new, old in (
            ("source", source, now.item.source),
            ("acquired_at", utc, now.item.acquired_at),
            ("acquisition_method", method, now.item.acquisition_method),
        ):
            if new is not None and new != old:
                changes[name] = {"from": old, "to": new}
        if "acquired_at" in changes and offset:
            changes["acquired_at"]["offset"] = offset
        if not changes:
            raise UsageError(
                f"item {item.item_id}: nothing to correct",
                "give --source, --acquired-at or --method with a value that differs from the "
                "current one",
            )
        return append_locked(
            ledger, signer, item, "amended", purpose=reason, details={"changes": changes}
        )


def check_acquired_at(given: str, ingested_at: str | None) -> str | None:
    """Why an acquisition time is implausible (in the future, after the ingest), or None."""
    moment = parse_rfc3339(given, "--acquired-at")
    now = datetime.now(moment.tzinfo)
    if moment > now:
        return f"--acquired-at {given} is in the future"
    if ingested_at is not None and moment > parse_rfc3339(ingested_at):
        return f"--acquired-at {given} is after the item was ingested ({ingested_at[:19]}Z)"
    return None


def add_legacy_digests(
    ledger: Ledger, signer: Signer, item: Item, vault_path: Path, hasher: Hasher | None = None
) -> SignedEvent:
    """Re-read the vault copy, check its SHA-256 and SHA-512, and sign its MD5 and SHA-1.

    The file is read before the write lock is taken (a large file must not hold up every other
    writer); whether the digests are still missing is decided under the lock.
    """
    if _missing_legacy(ledger, item) is None:
        raise UsageError(f"item {item.item_id} already has MD5 and SHA-1 digests")
    digests = hash_file(vault_path, legacy=True, hasher=hasher)
    if digests.sha256 != item.sha256 or digests.sha512 != item.digests.sha512:
        raise InputRejected(
            f"item {item.item_id}: vault copy {vault_path} does not match its recorded digests",
            "run `custody audit --fixity`; no digests were added",
        )
    computed = {"md5": digests.md5, "sha1": digests.sha1}
    with ledger.atomic(lock=[item.item_id]):
        missing = _missing_legacy(ledger, item)
        if missing is None:
            raise UsageError(f"item {item.item_id} already has MD5 and SHA-1 digests")
        added = {name: computed[name] for name in missing}
        return append_locked(
            ledger,
            signer,
            item,
            "digests-added",
            purpose="legacy digests for a recipient's tools",
            details={"digests": added},
        )


def _missing_legacy(ledger: Ledger, item: Item) -> list[str] | None:
    held = current_facts(ledger, item).item.digests
    missing = [name for name in ("md5", "sha1") if getattr(held, name) is None]
    return missing or None
