"""`custody event --from FILE.csv`: many custody events, one row each, all checked first.

The file is UTF-8 CSV (a byte-order mark is allowed) with a header row naming its columns:
`item` and `action` are required; `seal`, `location`, `purpose` and `note` are optional (an
empty or absent cell takes the command line's value for location, purpose and note). Rows are
recorded in file order, so two rows on one item chain one after the other.

Every row is checked before the passphrase is asked for: the item exists (id or unique prefix),
the action is one `custody event` may record, a seal number goes with sealed/unsealed and only
there, and the event the row describes is valid against the event schema. Nothing is written
unless every row passes. Recording then goes in batches (custody.record_requests).
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .custody import EventRequest
from .errors import InputRejected
from .events import MANUAL_ACTIONS, new_body
from .items import Item
from .ledger import Ledger, marks, select_all
from .validation import event_errors

COLUMNS = ("item", "action", "seal", "location", "purpose", "note")
REQUIRED = ("item", "action")
MAX_BYTES = 256 << 20  # a million short rows; anything larger is not a list of events
MAX_ROWS = 1_000_000
SHOWN_PROBLEMS = 20
SEALING = ("sealed", "unsealed")
_PER_QUERY = 500


@dataclass(frozen=True)
class EventRow:
    """One row of the file, as written (line: its line number, for messages)."""

    line: int
    item: str
    action: str
    seal: str
    location: str
    purpose: str
    note: str


@dataclass(frozen=True)
class _Stated:
    """The actor the events will name, known before the key is unlocked."""

    actor: dict[str, str]


class EventFileProblems(InputRejected):
    """Rows of an event file that cannot be recorded (exit 2: nothing was written)."""

    exit_code = 2

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        super().__init__(
            f"{path}: {len(problems)} row(s) cannot be recorded; nothing was written",
            "correct the file and run the command again",
        )
        self.problems = list(problems)

    def diagnostics(self) -> str:
        """The headline, then the first problems, one per line."""
        shown = [f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        more = len(self.problems) - SHOWN_PROBLEMS
        tail = [f"  ... and {more} more"] if more > 0 else []
        return "\n".join([super().diagnostics(), *shown, *tail])


def read_rows(path: Path) -> list[EventRow]:
    """The rows of an event file; a file that is not such a CSV is refused, naming why."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputRejected(f"{path}: {size} bytes is too large for an event file")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRejected(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputRejected(f"{path}: cannot read ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        unknown = [h for h in header if h not in COLUMNS]
        missing = [c for c in REQUIRED if c not in header]
        if unknown or missing or len(set(header)) != len(header):
            raise InputRejected(
                f"{path}: the header must name the columns {', '.join(REQUIRED)} and may add "
                f"{', '.join(c for c in COLUMNS if c not in REQUIRED)}, each once "
                f"(found: {', '.join(header) or 'nothing'})"
            )
        rows: list[EventRow] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(rows) >= MAX_ROWS:
                raise InputRejected(f"{path}: more than {MAX_ROWS} rows")
            if len(cells) != len(header):
                raise InputRejected(
                    f"{path} line {reader.line_num}: {len(cells)} cells, the header names "
                    f"{len(header)}"
                )
            values = dict(zip(header, cells, strict=True))
            rows.append(
                EventRow(
                    reader.line_num,
                    values["item"].strip(),
                    values["action"].strip(),
                    values.get("seal", "").strip(),
                    values.get("location", ""),
                    values.get("purpose", ""),
                    values.get("note", ""),
                )
            )
    except csv.Error as exc:
        raise InputRejected(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None
    if not rows:
        raise InputRejected(f"{path}: no events in the file")
    return rows


def check_rows(
    ledger: Ledger,
    path: Path,
    rows: Sequence[EventRow],
    actor: Mapping[str, str],
    defaults: Mapping[str, str],
) -> list[EventRequest]:
    """The events the rows describe; EventFileProblems naming every row that cannot be one."""
    items = _resolve(ledger, [r.item for r in rows])
    stated = _Stated(dict(actor))
    problems: list[str] = []
    requests: list[EventRequest] = []
    for row in rows:
        where = f"line {row.line}"
        found = items[row.item]
        if isinstance(found, str):
            problems.append(f"{where}: {found}")
            continue
        if row.action not in MANUAL_ACTIONS:
            problems.append(
                f"{where}: action {row.action!r} is not one of {', '.join(MANUAL_ACTIONS)}"
            )
            continue
        if row.action in SEALING and not row.seal:
            problems.append(f"{where}: {row.action} needs a seal number in the seal column")
            continue
        if row.action not in SEALING and row.seal:
            problems.append(f"{where}: a seal number goes only with sealed or unsealed")
            continue
        fields: dict[str, Any] = {
            name: getattr(row, name) or defaults.get(name, "")
            for name in ("location", "purpose", "note")
        }
        fields["details"] = {"seal": row.seal} if row.seal else None
        wrong = _body_problems(stated, found, row.action, fields)
        if wrong:
            problems.append(f"{where}: {wrong}")
            continue
        requests.append(EventRequest(found, row.action, fields))
    if problems:
        raise EventFileProblems(path, problems)
    return requests


# Stand-ins for what the append writes itself (valid by construction: the signing checks the
# body again with the real ones), so that checking a row costs no random id nor clock reading.
_STAND_IN_ID = "0" * 32
_STAND_IN_AT = "2000-01-01T00:00:00.000000Z"


def _body_problems(stated: _Stated, item: Item, action: str, fields: dict[str, Any]) -> str:
    # The event as it will be signed, with stand-ins for what only the append knows (its place
    # in the chain, its id and time): a row that fails here would fail at signing, batches
    # later.
    body = new_body(
        stated,
        item_id=item.item_id,
        case=item.case_number,
        seq=1,
        prev=item.sha256,
        item_sha256=item.sha256,
        action=action,
        at=_STAND_IN_AT,
        event_id=_STAND_IN_ID,
        **fields,
    )
    errors = event_errors(body)
    return errors[0] if errors else ""


def _resolve(ledger: Ledger, refs: Sequence[str]) -> dict[str, Item | str]:
    """Each reference's item (id or unique prefix of 4+ characters), or why there is none:
    one query for the ids, one per 500 items for their rows."""
    ids = sorted(r["item_id"] for r in ledger.rows("SELECT item_id FROM items"))
    out: dict[str, Item | str] = {}
    chosen: dict[str, str] = {}
    for ref in set(refs):
        prefix = ref.lower()
        at = bisect.bisect_left(ids, prefix)
        matches = [m for m in ids[at : at + 2] if m.startswith(prefix)]
        if len(prefix) < 4:
            out[ref] = f"item id {ref!r} is too short (give at least 4 characters)"
        elif not matches:
            out[ref] = f"unknown item {ref!r}"
        elif len(matches) > 1:
            out[ref] = f"item id {ref!r} is ambiguous (give more characters)"
        else:
            chosen[ref] = matches[0]
    wanted = sorted(set(chosen.values()))
    found: dict[str, Item] = {}
    for start in range(0, len(wanted), _PER_QUERY):
        chunk = tuple(wanted[start : start + _PER_QUERY])
        query = select_all("items") + f" WHERE item_id IN ({marks(len(chunk))})"
        for row in ledger.rows(query, chunk):
            found[row["item_id"]] = Item.from_row(row)
    out.update((ref, found[item_id]) for ref, item_id in chosen.items())
    return out
