"""Forensic ingest: files into the vault, each with its item row and signed first event.

Order of work, so that a crash at any moment leaves nothing half-done:
1. scan every input first; a named path that is missing, unreadable or not a regular file or
   folder stops everything before anything is written;
2. per batch: copy each file into the vault while hashing it (one read), refuse a file that
   changed meanwhile, read exiftool metadata for the batch in one call (images, documents and
   binaries only: on text exports exiftool adds nothing, and a 2 MB nested JSON file once took
   it to 4.7 GB of memory), build profiles;
3. one durability barrier for the batch's new vault files, then one ledger transaction with
   every item row, its signed `ingested` event (the file: digests, size, names, source,
   acquisition, the original file's modification and birth times) and its signed `profiled`
   event (the evidence type and profile, conclusions of this parser version, which later
   `profiled`/`retyped` events may supersede).
A vault file without a row (crash between 2 and 3) is harmless: re-running finds the same
digest, reuses the file and writes the rows.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cases import get_case
from .errors import InputRejected, NotFoundError, OperationalError, UsageError
from .events import SignedEvent, new_body, sign_event, write_event
from .hashing import Progress
from .items import Item, analysis_details, find_item, ingest_facts, item_id_for
from .keys import Signer
from .metadata import MetadataReader, exiftool_session
from .profiles import EVIDENCE_TYPES, build_profile, detect_evidence_type, needs_exiftool
from .progress import Reporter, Silent
from .timefmt import format_utc, parse_rfc3339, utc_now
from .vault import Stored
from .workspace import Workspace

BATCH_FILES = 1000
BATCH_BYTES = 1 << 30


def display_name(path: Path | str) -> str:
    """A file name safe to store and print: undecodable bytes shown as \\xNN escapes."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class IngestOptions:
    """What the investigator says about the files being ingested."""

    case: str
    source: str
    evidence_type: str = "auto"
    acquired_at: str | None = None
    method: str | None = None
    legacy_digests: bool = False


@dataclass(frozen=True)
class Outcome:
    """What happened to one input file."""

    path: str
    status: str  # "ingested" | "existing" | "refused" | "skipped"
    item_id: str | None = None
    sha256: str | None = None
    size: int | None = None
    evidence_type: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class IngestReport:
    """Every input's outcome, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes have this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    def to_json(self) -> dict[str, Any]:
        """Summary and per-file outcomes."""
        return {
            "ingested": self.count("ingested"),
            "existing": self.count("existing"),
            "refused": self.count("refused"),
            "skipped": self.count("skipped"),
            "files": [o.to_json() for o in self.outcomes],
        }


@dataclass(frozen=True)
class _Candidate:
    path: Path
    size: int


def _check_named(path: Path) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise NotFoundError(f"{display_name(path)}: no such file or folder") from None
    except OSError as exc:
        raise OperationalError(f"{display_name(path)}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InputRejected(
            f"{display_name(path)}: is a symbolic link; links are not followed",
            "ingest the file it points to by its real path",
        )
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise InputRejected(f"{display_name(path)}: not a regular file or folder (fifo, device?)")
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(st.st_mode) else 0)):
        raise OperationalError(f"{display_name(path)}: permission denied")


def scan(paths: list[Path]) -> tuple[list[_Candidate], list[Outcome]]:
    """Every regular file under paths (links not followed), and what was passed over and why.

    Links, fifos, sockets and devices are "skipped" (not evidence files); a file or folder we
    could not read is "refused" (evidence we failed to take, so the run ends with exit 3).
    The walk is iterative: a folder nested thousands deep must not exhaust the stack.
    """
    for path in paths:
        _check_named(path)
    found: list[_Candidate] = []
    passed_over: list[Outcome] = []
    stack = list(reversed(paths))
    while stack:
        path = stack.pop()
        try:
            st = path.lstat()
        except OSError as exc:
            passed_over.append(Outcome(display_name(path), "refused", reason=str(exc.strerror)))
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                children = sorted(os.scandir(path), key=lambda e: e.name, reverse=True)
            except OSError as exc:
                reason = f"folder not readable: {exc.strerror}"
                passed_over.append(Outcome(display_name(path), "refused", reason=reason))
                continue
            stack.extend(Path(child.path) for child in children)
        elif stat.S_ISLNK(st.st_mode):
            passed_over.append(
                Outcome(display_name(path), "skipped", reason="symbolic link, not followed")
            )
        elif not stat.S_ISREG(st.st_mode):
            reason = "not a regular file (fifo, socket or device)"
            passed_over.append(Outcome(display_name(path), "skipped", reason=reason))
        elif not os.access(path, os.R_OK):
            passed_over.append(Outcome(display_name(path), "refused", reason="permission denied"))
        else:
            found.append(_Candidate(path, st.st_size))
    return found, passed_over


def _open_regular(path: Path) -> int:
    # O_NOFOLLOW and O_NONBLOCK: a path swapped for a link or a fifo after the scan cannot
    # make us follow it or hang on it.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputRejected(f"{display_name(path)}: no longer a regular file")
    return fd


def _media_type(metadata: dict[str, Any], name: str) -> str:
    mime = metadata.get("File:MIMEType")
    if isinstance(mime, str) and "/" in mime:
        return mime
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _batches(candidates: list[_Candidate]) -> Iterator[list[_Candidate]]:
    batch: list[_Candidate] = []
    size = 0
    for cand in candidates:
        batch.append(cand)
        size += cand.size
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass
class _Pending:
    candidate: _Candidate
    stored: Stored
    item_id: str
    original_times: dict[str, str | None]


def original_times(st: os.stat_result) -> dict[str, str | None]:
    """The original file's modification time and, where the OS reports one, its birth time.

    For a screenshot without EXIF the modification time may be the only date there is. Linux
    reports no birth time through stat (it needs statx), so there it is null.
    """
    birth = getattr(st, "st_birthtime", None)
    return {
        "mtime": format_utc(datetime.fromtimestamp(st.st_mtime_ns / 1e9, UTC)),
        "birthtime": None if birth is None else format_utc(datetime.fromtimestamp(birth, UTC)),
    }


class Ingester:
    """Runs one ingest: holds the workspace, the signer and the exiftool process."""

    def __init__(
        self,
        ws: Workspace,
        signer: Signer,
        options: IngestOptions,
        reader: MetadataReader,
        progress: Progress | None,
    ) -> None:
        self.ws = ws
        self.signer = signer
        self.options = options
        self.reader = reader
        self.progress = progress
        self.case = get_case(ws.ledger, options.case)
        self.acquired_at = (
            None
            if options.acquired_at is None
            else format_utc(parse_rfc3339(options.acquired_at, "--acquired-at"))
        )

    def run(self, candidates: list[_Candidate], report: IngestReport) -> None:
        """Ingest candidates batch by batch, exiftool reading one batch while we copy the next."""
        seen: dict[str, _Pending] = {}
        with ThreadPoolExecutor(1, thread_name_prefix="exiftool") as metadata_pool:
            previous: tuple[list[_Pending], Future[list[dict[str, Any]]]] | None = None
            for batch in _batches(candidates):
                pending = self._store(batch, report, seen)
                current = (pending, metadata_pool.submit(self._metadata, pending))
                if previous is not None:
                    self._commit(*previous, report)
                previous = current
            if previous is not None:
                self._commit(*previous, report)

    def _metadata(self, pending: list[_Pending]) -> list[dict[str, Any]]:
        # exiftool only where it adds something: text exports get {} (see needs_exiftool)
        wanted = [
            p for p in pending if needs_exiftool(p.stored.path, display_name(p.candidate.path.name))
        ]
        read = iter(self.reader.read([p.stored.path for p in wanted]))
        chosen = {id(p) for p in wanted}
        return [next(read) if id(p) in chosen else {} for p in pending]

    def _store(
        self, batch: list[_Candidate], report: IngestReport, seen: dict[str, _Pending]
    ) -> list[_Pending]:
        # Copy and hash each file into the vault; note files this case already holds.
        pending: list[_Pending] = []
        case = self.options.case
        for cand in batch:
            name = display_name(cand.path)
            try:
                fd = _open_regular(cand.path)
                times = original_times(os.fstat(fd))
                with os.fdopen(fd, "rb", buffering=0) as fh:
                    stored = self.ws.vault.store(
                        fh, name, legacy=self.options.legacy_digests, progress=self.progress
                    )
            except InputRejected as exc:
                report.outcomes.append(Outcome(name, "refused", reason=exc.message))
                continue
            except OSError as exc:
                report.outcomes.append(Outcome(name, "refused", reason=str(exc.strerror)))
                continue
            sha = stored.digests.sha256
            existing = find_item(self.ws.ledger, case, sha)
            if existing is not None or sha in seen:
                item_id = existing.item_id if existing else seen[sha].item_id
                report.outcomes.append(
                    Outcome(name, "existing", item_id, sha, stored.size, reason="same bytes")
                )
                continue
            entry = _Pending(cand, stored, item_id_for(case, sha), times)
            seen[sha] = entry
            pending.append(entry)
        return pending

    def _commit(
        self,
        pending: list[_Pending],
        metadata: Future[list[dict[str, Any]]],
        report: IngestReport,
    ) -> None:
        # Profiles, one durability barrier, then one transaction for the batch's rows and events.
        if not pending:
            return
        items = [(p, self._item(p, md)) for p, md in zip(pending, metadata.result(), strict=True)]
        # Reused copies too: one that a crash left unsynced must be durable before rows use it.
        self.ws.vault.barrier([p.stored.path for p in pending])
        case = self.options.case
        with self.ws.ledger.atomic():
            for p, item in items:
                # Another process may have ingested the same bytes since we looked.
                if find_item(self.ws.ledger, case, item.sha256) is not None:
                    report.outcomes.append(
                        Outcome(item.original_name, "existing", item.item_id, item.sha256)
                    )
                    continue
                self.ws.ledger.insert("items", item.to_row())
                for event in self._events(item, p.original_times):
                    write_event(self.ws.ledger, event)
                report.outcomes.append(
                    Outcome(
                        display_name(item.original_path or item.original_name),
                        "ingested",
                        item.item_id,
                        item.sha256,
                        item.size,
                        item.evidence_type,
                    )
                )

    def _item(self, p: _Pending, metadata: dict[str, Any]) -> Item:
        name = display_name(p.candidate.path.name)
        media_type = _media_type(metadata, name)
        evidence_type = self.options.evidence_type
        if evidence_type == "auto":
            evidence_type = detect_evidence_type(p.stored.path, name, media_type, metadata)
        profile = build_profile(
            p.stored.path,
            evidence_type,
            original_name=name,
            media_type=media_type,
            metadata=metadata,
        )
        return Item(
            item_id=p.item_id,
            case_number=self.options.case,
            digests=p.stored.digests,
            size=p.stored.size,
            media_type=media_type,
            evidence_type=evidence_type,
            original_name=name,
            original_path=display_name(p.candidate.path.absolute()),
            source=self.options.source,
            acquired_at=self.acquired_at,
            acquisition_method=self.options.method,
            metadata=metadata,
            profile=profile,
            ingested_at=utc_now(),
            ingested_by=self.signer.record.fingerprint,
        )

    def _events(self, item: Item, times: dict[str, str | None]) -> tuple[SignedEvent, ...]:
        # #1 states the file; #2, chained to it, the type and profile (an analysis)
        detected = self.options.evidence_type == "auto"
        analysis = analysis_details(
            item.evidence_type,
            item.profile or {},
            "at ingest" + (" (type detected)" if detected else " (type given)"),
            type_source="detected" if detected else "given",
        )
        steps = (
            ("ingested", "ingest into the evidence vault",
             {**ingest_facts(item, self.case), "original_times": times}),
            ("profiled", "content profile by the parsers of this version", analysis),
        )  # fmt: skip
        events: list[SignedEvent] = []
        for seq, (action, purpose, details) in enumerate(steps, start=1):
            body = new_body(
                self.signer,
                item_id=item.item_id,
                case=item.case_number,
                seq=seq,
                prev=events[-1].hash if events else item.sha256,
                item_sha256=item.sha256,
                action=action,
                purpose=purpose,
                details=details,
            )
            events.append(sign_event(self.signer, body))
        return tuple(events)


def ingest(
    ws: Workspace,
    signer: Signer,
    paths: list[Path],
    options: IngestOptions,
    reporter: Reporter | None = None,
) -> IngestReport:
    """Ingest files and folders into a case; see the module docstring for the guarantees."""
    if not paths:
        raise UsageError("no files to ingest", "name at least one file or folder")
    get_case(ws.ledger, options.case)
    if options.evidence_type != "auto" and options.evidence_type not in EVIDENCE_TYPES:
        raise UsageError(
            f"evidence type {options.evidence_type!r} is not one of auto, "
            + ", ".join(EVIDENCE_TYPES)
        )
    if not options.source.strip():
        raise UsageError("--source must describe where the evidence came from")
    candidates, skipped = scan(paths)
    report = IngestReport(list(skipped))
    ws.vault.create()
    ws.vault.sweep()
    reporter = reporter or Silent()
    reporter.start(sum(c.size for c in candidates), "ingest")
    try:
        with exiftool_session() as reader:
            Ingester(ws, signer, options, reader, reporter.advance).run(candidates, report)
    finally:
        reporter.finish()
    return report
