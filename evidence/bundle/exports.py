"""Exports that survive `kill -9`: no `exported` event without its bundle, no stray `.part`.

An export is a journal entry in the workspace (exports/<id>.json), written and flushed before
anything else, naming the temporary zip and the output. The order of work is then:

1. sign the `exported` events in memory (evidence.custody.prepare_events), not recording them;
2. write the zip to the temporary `.part` file beside the output and flush it to disk;
3. record the events (one transaction: this is the moment the export happened);
4. move the `.part` into place and remove the journal entry.

Whatever the moment a process dies, the next command that opens the workspace finishes the
work (`recover_exports`): events recorded means the bundle exists complete in the `.part`, so
it is moved into place; no events recorded means no export happened, so the `.part` is removed.
An export still running holds an advisory lock on exports/<id>.lock (released by the kernel
when its process dies, however it dies), and is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..events import item_events
from ..privacy import write_private
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
        if recorded and part.is_file():
            target = output
            if output.exists():
                target = output.with_name(f"{output.stem}.recovered-{journal.stem[:8]}.zip")
            place(part, target)
            done.append(f"bundle {target} completed (its export events were recorded)")
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
