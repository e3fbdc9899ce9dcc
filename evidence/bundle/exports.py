"""Exports that survive `kill -9`: no stray `.part`, and no `exported` event that stands
unexplained when its bundle was never produced.

A bundle carries an inclusion proof of every event it holds, its own `exported` events
included, so those are recorded (with the checkpoint that proves them) before the zip is
written. An export is a journal entry in the workspace (exports/<id>.json), written and
flushed before anything else, naming the temporary zip and the output. The order of work:

1. sign the `exported` events in memory (evidence.custody.prepare_events), note their ids;
2. in one transaction: record them, sign the checkpoint that covers them (stamped and cosigned
   as configured) and, before it commits, sign a `note` event on top of each (in memory)
   saying that the bundle was not produced, kept in the journal: the moment of the commit is
   the moment the export happened;
3. write the zip to the temporary `.part` file beside the output, flush it to disk, and mark
   the journal entry complete;
4. move the `.part` into place and remove the journal entry.

Whatever the moment a process dies, the next command that opens the workspace finishes the
work (`recover_exports`): no events recorded means no export happened, so the `.part` is
removed; events recorded and the zip complete means it is moved into place; events recorded
and no complete zip means the bundle was never produced, so the `.part` is removed and the
journalled notes are recorded (they need no key: they were signed in step 2), and each chain
says so. An export still running holds an advisory lock on exports/<id>.lock (released by the
kernel when its process dies, however it dies), and is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..custody import commit_prepared
from ..errors import EvidenceError
from ..events import SignedEvent, event_row, item_events
from ..privacy import write_private
from ..timeorder import require_prepared_after_checkpoints
from ..workspace import Workspace

JOURNAL = "exports"


@dataclass(frozen=True)
class Export:
    """One export in progress: its journal file, temporary zip and output."""

    journal: Path
    part: Path
    output: Path
    lock_fd: int

    def record_events(self, events: list[tuple[str, str]]) -> None:
        """Note which events (item id, event id) mean this export happened, durably."""
        _write_json(self.journal, {**_read(self.journal), "events": events})

    def prepare_failure(self, notes: Sequence[SignedEvent]) -> None:
        """Keep, durably, the signed notes to record if the bundle is never produced."""
        rows = [event_row(ev) for ev in notes]
        _write_json(self.journal, {**_read(self.journal), "failure": rows})

    def completed(self) -> None:
        """The zip in `part` is complete and on disk: recovery moves it into place."""
        _write_json(self.journal, {**_read(self.journal), "complete": True})

    def keep_for_recovery(self) -> None:
        """The bundle failed and its note could not be recorded now: remove the temporary zip
        and leave the journal, so that the next command records the journalled notes."""
        self.part.unlink(missing_ok=True)
        self._unlock()

    def finish(self) -> None:
        """The bundle is in place: forget the export."""
        self.journal.unlink(missing_ok=True)
        self._unlock()

    def abandon(self) -> None:
        """Nothing was recorded: remove the temporary zip and forget the export."""
        self.part.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)
        self._unlock()

    def _unlock(self) -> None:
        if not self.journal.exists():
            self.journal.with_suffix(".lock").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            os.close(self.lock_fd)


def _write_json(path: Path, value: dict[str, object]) -> None:
    write_private(path, json.dumps(value).encode())


def _read(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def start_export(ws: Workspace, output: Path) -> Export:
    """Journal a new export to output before anything is written."""
    folder = ws.root / JOURNAL
    folder.mkdir(mode=0o700, exist_ok=True)
    export_id = uuid.uuid4().hex
    part = output.parent / f".{output.name}.{export_id}.part"
    import fcntl  # here: `custody verify` imports this module and must run where fcntl is absent

    lock_fd = os.open(folder / f"{export_id}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    export = Export(folder / f"{export_id}.json", part, output, lock_fd)
    _write_json(export.journal, {"part": str(part.absolute()), "output": str(output.absolute())})
    return export


def place(part: Path, output: Path) -> None:
    """Move a finished zip into place without ever replacing a file that appeared meanwhile."""
    from ..errors import UsageError

    try:
        os.link(part, output)
    except FileExistsError:
        raise UsageError(f"{output}: appeared while the bundle was written; not replaced") from None
    except OSError:
        # File systems without hard links (FAT, exFAT on a USB stick): rename instead.
        if output.exists():
            raise UsageError(f"{output}: exists already; not replaced") from None
        os.replace(part, output)
        return
    part.unlink()


def recover_exports(ws: Workspace) -> list[str]:
    """Finish or undo every export a killed process left; returns what was done, for people."""
    folder = ws.root / JOURNAL
    if not folder.is_dir():
        return []
    done = []
    for journal in sorted(folder.glob("*.json")):
        if _running(journal.with_suffix(".lock")):
            continue
        entry = _read(journal)
        part = Path(str(entry.get("part", "")))
        output = Path(str(entry.get("output", "")))
        events = entry.get("events")
        recorded = isinstance(events, list) and bool(events) and _all_recorded(ws, events)
        # A journal written before the notes were (an older version) is complete once recorded.
        complete = entry.get("complete", "failure" not in entry) is True
        if recorded and complete and part.is_file():
            target = output
            if output.exists():
                target = output.with_name(f"{output.stem}.recovered-{journal.stem[:8]}.zip")
            place(part, target)
            done.append(f"bundle {target} completed (its export events were recorded)")
        elif recorded:
            part.unlink(missing_ok=True)
            done.append(_record_notes(ws, output, entry.get("failure")))
        elif part.exists():
            part.unlink()
            done.append(f"unfinished bundle {part} removed (no export was recorded)")
        journal.unlink()
        journal.with_suffix(".lock").unlink(missing_ok=True)
    for stray in folder.glob("*.tmp"):
        if not _running(stray.with_suffix(".lock")):
            with contextlib.suppress(OSError):
                stray.unlink()
    return done


def _record_notes(ws: Workspace, output: Path, rows: object) -> str:
    """Record the journalled notes of an export whose bundle was never produced."""
    unfinished = f"bundle {output} was never produced, though its export events were recorded"
    try:
        if not isinstance(rows, list) or not rows:
            raise EvidenceError("the export journal holds no note to record")
        notes = [SignedEvent.from_row(r) for r in rows if isinstance(r, dict)]
        for note in notes:
            if (
                len(notes) != len(rows)
                or note.body.get("action") != "note"
                or hashlib.sha256(note.canonical).hexdigest() != note.hash
            ):
                raise EvidenceError("the export journal's notes are not the ones it signed")
        commit_prepared(
            ws.ledger, notes, guard=partial(require_prepared_after_checkpoints, ws.ledger)
        )
    except EvidenceError as exc:
        return (
            f"{unfinished}; the note saying so could not be recorded ({exc.message}): record "
            "one with `custody event ITEM note --note ...` on each of its items"
        )
    return f"{unfinished}; a signed note saying so now follows each of them"


def _running(lock: Path) -> bool:
    """True while the process that journalled this export still holds its lock."""
    import fcntl

    try:
        fd = os.open(lock, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _all_recorded(ws: Workspace, events: list[object]) -> bool:
    for pair in events:
        if not isinstance(pair, list) or len(pair) != 2:
            return False
        item_id, event_id = pair
        if not any(ev.body["event_id"] == event_id for ev in item_events(ws.ledger, str(item_id))):
            return False
    return True
