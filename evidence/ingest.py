"""Forensic ingest: files into the vault, each with its item row and signed first event.

Order of work, so that a crash at any moment leaves nothing half-done:
1. scan every input first; a named path that is missing, unreadable or not a regular file or
   folder stops everything before anything is written;
2. per chunk of a few dozen files: copy each file into the vault while hashing it (one read),
   refuse a file that changed meanwhile, ask the ledger once which of the chunk's digests the
   case already holds, and hand the chunk to exiftool (images, documents and binaries only: on
   text exports exiftool adds nothing, and a 2 MB nested JSON file once took it to 4.7 GB of
   memory). exiftool runs in up to one long-lived process per core while the next chunks are
   copied; as each chunk's metadata arrives, its profiles are built;
3. as each chunk is profiled, its events are dated and signed (while exiftool reads the next
   chunks): the item's signed `ingested` event (the file: digests, size, names, source,
   acquisition, the original file's modification and birth times) and its signed `profiled`
   event (the evidence type and profile, conclusions of this parser version, which later
   `profiled`/`retyped` events may supersede);
4. per batch of up to 1,000 files: one durability barrier for the batch's new vault files, then
   one ledger transaction (one commit) with every item row and its two events. Under its
   lock, the time rules are checked again as they stand now: if a checkpoint was made after
   the batch's first event was dated (it does not cover these events, so none may claim an
   earlier time), the batch's events are dated and signed again there, under the lock, as
   they all were before events were signed ahead (rare: a checkpoint during an ingest).
A vault file without a row (crash between 2 and 3) is harmless: re-running finds the same
digest, reuses the file and writes the rows.
"""

from __future__ import annotations

import mimetypes
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from .canonical import canonical_sha256
from .cases import get_case
from .corrections import check_acquired_at, current_facts, offset_of
from .errors import UsageError
from .events import SignedEvent, new_body, sign_event, write_events
from .excerpt import commit_vault_file
from .hashing import Hasher, Progress
from .items import Item, analysis_details, find_item, held_digests, ingest_facts, item_id_for
from .keys import Signer
from .ledger import Ledger
from .metadata import ExiftoolProcess, MetadataPool, exiftool_pool
from .profiles import (
    EVIDENCE_TYPES,
    MEDIA_TYPE_FREE,
    build_profile,
    detect_evidence_type,
    needs_exiftool,
    sniff,
)
from .progress import Reporter, Silent
from .scan import Candidate, Outcome, display_name, read_scanned, scan
from .timefmt import format_utc, parse_rfc3339, utc_now
from .timeorder import require_clock, signing_clock_problem
from .unlocking import SignerSource, failed_early, settled
from .vault import Stored
from .workspace import Workspace

BATCH_FILES = 1000  # files per ledger transaction (one vault barrier, one commit)
BATCH_BYTES = 1 << 30
CHUNK_FILES = 32  # files per exiftool request: exiftool starts on the first chunk
CHUNK_BYTES = 64 << 20
# Chunks copied ahead of their metadata before the copying waits: enough that exiftool (up to
# one process per core) still has work while this thread commits a batch.
AHEAD = 32
# Small files are copied into the vault by COPIERS threads, COPY_AHEAD chunks ahead of the
# chunk being recorded: creating a file waits on the file system's journal (0.5-2 ms each on a
# busy disk), and those waits overlap each other and the signing instead of adding up.
# Files of Hasher.SMALL bytes or more are copied one at a time (each already uses two cores).
COPIERS = 4
COPY_AHEAD = 2


@dataclass(frozen=True)
class IngestOptions:
    """What the investigator says about the files being ingested."""

    case: str
    source: str
    evidence_type: str = "auto"
    acquired_at: str | None = None
    method: str | None = None
    legacy_digests: bool = False
    strict: bool = False  # refuse an implausible acquisition time instead of warning

    def check(self) -> tuple[list[str], list[str]]:
        """(problems, warnings) of these options, found before any file is read.

        A warning (an acquisition time in the future) is a problem under strict.
        """
        problems: list[str] = []
        warnings: list[str] = []
        if self.evidence_type != "auto" and self.evidence_type not in EVIDENCE_TYPES:
            problems.append(
                f"evidence type {self.evidence_type!r} is not one of auto, "
                + ", ".join(EVIDENCE_TYPES)
            )
        if not self.source.strip():
            problems.append("--source must describe where the evidence came from")
        if self.acquired_at is not None:
            try:
                implausible = check_acquired_at(self.acquired_at, None)
            except UsageError as exc:
                problems.append(exc.diagnostics())
            else:
                if implausible:
                    (problems if self.strict else warnings).append(
                        f"{implausible}; check the seizure protocol"
                    )
        return problems, warnings

    def differences(self, held: Item) -> list[str]:
        """Which stated facts differ from those of an item already held (current values)."""
        acquired = (
            None
            if self.acquired_at is None
            else format_utc(parse_rfc3339(self.acquired_at, "--acquired-at"))
        )
        stated = (
            ("source", self.source, held.source),
            ("acquired-at", acquired, held.acquired_at),
            ("method", self.method, held.acquisition_method),
        )
        return [name for name, given, have in stated if given is not None and given != have]


@dataclass
class IngestReport:
    """Every input's outcome, in order."""

    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

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
            "warnings": self.warnings,
        }


def media_type_of(metadata: dict[str, Any], name: str) -> str:
    """The media type exiftool found, else guessed from the name."""
    mime = metadata.get("File:MIMEType")
    if isinstance(mime, str) and "/" in mime:
        return mime
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _chunks(candidates: list[Candidate]) -> Iterator[list[Candidate]]:
    chunk: list[Candidate] = []
    size = 0
    for cand in candidates:
        chunk.append(cand)
        size += cand.size
        if len(chunk) >= CHUNK_FILES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


@dataclass
class _Pending:
    candidate: Candidate
    stored: Stored
    item_id: str
    original_times: dict[str, str | None]
    # The format tag sniffed before exiftool (no media type): reused when it cannot depend on
    # one, so a file's head is read once, not three times (needs_exiftool, the evidence type,
    # the excerpt layout).
    sniffed: str | None = None


# A file copied into the vault with the original's times, or why it was refused.
_Copied = tuple[Stored, dict[str, str | None]] | str


@dataclass
class _Ready:
    """An item ready for the ledger: profiled, and its two events signed (see _commit)."""

    pending: _Pending
    item: Item
    events: tuple[SignedEvent, ...]


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
    """Runs one ingest: holds the workspace, the signer and the exiftool processes."""

    def __init__(
        self,
        ws: Workspace,
        signer: SignerSource,
        options: IngestOptions,
        metadata: MetadataPool,
        progress: Progress | None,
    ) -> None:
        self.ws = ws
        self._signer = signer
        self.options = options
        self.metadata = metadata
        self.progress = progress
        self.case = get_case(ws.ledger, options.case)
        self.case_sha256 = canonical_sha256(self.case.to_json())  # stated by every item
        # record commitments of text items (evidence.excerpt), made beside their profiles
        self.commitments: dict[str, dict[str, Any] | None] = {}
        self.acquired_at = (
            None
            if options.acquired_at is None
            else format_utc(parse_rfc3339(options.acquired_at, "--acquired-at"))
        )

    @property
    def signer(self) -> Signer:
        """The signer: awaited here, when the first item is about to be signed."""
        return settled(self._signer)

    def run(self, candidates: list[Candidate], report: IngestReport) -> None:
        """Copy chunk after chunk while exiftool reads the ones before; profile and sign each
        chunk as its metadata arrives; commit every BATCH_FILES files."""
        seen: dict[str, _Pending] = {}
        waiting: deque[tuple[list[_Pending], Future[list[dict[str, Any]]]]] = deque()
        ready: list[_Ready] = []

        def settle(*, wait: bool) -> None:
            # In order: a chunk is profiled only after the chunks before it.
            while waiting and (wait or waiting[0][1].done() or len(waiting) > AHEAD):
                pending, metadata = waiting.popleft()
                for p, md in zip(pending, metadata.result(), strict=True):
                    ready.append(self._signed(p, self._item(p, md)))
                if len(ready) >= BATCH_FILES or sum(r.item.size for r in ready) >= BATCH_BYTES:
                    self._commit(ready, report)
                    ready.clear()

        copiers = ThreadPoolExecutor(COPIERS, thread_name_prefix="copy")
        try:
            chunks = _chunks(candidates)
            copying: deque[tuple[list[Candidate], list[Future[_Copied] | None]]] = deque()
            while True:
                while len(copying) < COPY_AHEAD and (chunk := next(chunks, None)) is not None:
                    failed_early(self._signer)  # a wrong passphrase stops the copying at once
                    copying.append((chunk, [self._copy_ahead(copiers, c) for c in chunk]))
                if not copying:
                    break
                chunk, copies = copying.popleft()
                pending = self._store(chunk, copies, report, seen)
                waiting.append((pending, self._metadata(pending)))
                settle(wait=False)
        finally:
            copiers.shutdown(wait=True, cancel_futures=True)
        settle(wait=True)
        if ready:
            self._commit(ready, report)

    def _metadata(self, pending: list[_Pending]) -> Future[list[dict[str, Any]]]:
        # exiftool only where it adds something: text exports get {} (see needs_exiftool)
        for p in pending:
            p.sniffed = sniff(p.stored.path, display_name(p.candidate.path.name))
        wanted = [
            p
            for p in pending
            if needs_exiftool(p.stored.path, display_name(p.candidate.path.name), sniffed=p.sniffed)
        ]
        read = self.metadata.submit([p.stored.path for p in wanted])
        chosen = {id(p) for p in wanted}
        merged: Future[list[dict[str, Any]]] = Future()

        def merge(done: Future[list[dict[str, Any]]]) -> None:
            try:
                found = iter(done.result())
                merged.set_result([next(found) if id(p) in chosen else {} for p in pending])
            except BaseException as exc:
                merged.set_exception(exc)

        read.add_done_callback(merge)
        return merged

    def _copy(
        self, cand: Candidate, hasher: Hasher | None = None, progress: Progress | None = None
    ) -> _Copied:
        """Copy and hash one scanned file into the vault (or why it was refused, a str)."""

        def copy(fh: BinaryIO) -> tuple[Stored, dict[str, str | None]]:
            # The original file's times from the very descriptor that is read.
            times = original_times(os.fstat(fh.fileno()))
            stored = self.ws.vault.store(
                fh,
                display_name(cand.path),
                legacy=self.options.legacy_digests,
                progress=progress,
                hasher=hasher,
            )
            return stored, times

        return read_scanned(cand.path, copy)

    def _copy_ahead(self, copiers: ThreadPoolExecutor, cand: Candidate) -> Future[_Copied] | None:
        # A small file goes to a copier thread with a hasher of its own; None: copied in turn.
        if cand.size >= Hasher.SMALL:
            return None

        def copy() -> _Copied:
            with Hasher() as hasher:
                return self._copy(cand, hasher)

        return copiers.submit(copy)

    def _store(
        self,
        batch: list[Candidate],
        copies: list[Future[_Copied] | None],
        report: IngestReport,
        seen: dict[str, _Pending],
    ) -> list[_Pending]:
        # Each file copied and hashed into the vault; note files this case already holds.
        pending: list[_Pending] = []
        stored: list[tuple[Candidate, str, Stored, dict[str, str | None]]] = []
        case = self.options.case
        for cand, ahead in zip(batch, copies, strict=True):
            failed_early(self._signer)  # a wrong passphrase stops the copying at once
            name = display_name(cand.path)
            if ahead is None:
                read = self._copy(cand, progress=self.progress)
            else:
                read = ahead.result()
                if self.progress is not None and not isinstance(read, str):
                    self.progress(read[0].size)
            if isinstance(read, str):
                report.outcomes.append(Outcome(name, "refused", reason=read))
                continue
            stored.append((cand, name, *read))
        # One query for the chunk: which of these digests the case holds already.
        held = held_digests(self.ws.ledger, case, [s.digests.sha256 for _, _, s, _ in stored])
        for cand, name, copy_of, times in stored:
            sha = copy_of.digests.sha256
            if sha in held or sha in seen:
                existing = find_item(self.ws.ledger, case, sha) if sha in held else None
                outcome = already_held(
                    self.ws.ledger, self.options, name, sha, copy_of.size, existing
                )
                report.outcomes.append(outcome)
                continue
            entry = _Pending(cand, copy_of, item_id_for(case, sha), times)
            seen[sha] = entry
            pending.append(entry)
        return pending

    def _commit(self, ready: list[_Ready], report: IngestReport) -> None:
        # One durability barrier, then one transaction for the batch's rows and events.
        # Reused copies too: one that a crash left unsynced must be durable before rows use it.
        self.ws.vault.barrier([r.pending.stored.path for r in ready])
        case = self.options.case
        # The item locks make a second workstation ingesting the same bytes wait, then see them.
        ledger = self.ws.ledger
        with ledger.atomic(lock=[r.item.item_id for r in ready]):
            # Another process may have ingested the same bytes since we looked.
            held = held_digests(ledger, case, [r.item.sha256 for r in ready])
            new = [r for r in ready if r.item.sha256 not in held]
            # A checkpoint waits for this transaction, so the latest one now is the latest one
            # at the commit. If it was made after the first of these events was dated, it does
            # not cover them and none may claim an earlier time: date and sign them again now,
            # under the lock (these items are new: no other chain event can precede them).
            earliest = min((r.item.ingested_at for r in new), default=None)
            if earliest is not None and signing_clock_problem(ledger, (), earliest) is not None:
                new = [self._signed(r.pending, r.item) for r in new]
                # Still earlier: this computer's clock is behind the checkpoint; refuse.
                require_clock(ledger, (), min(r.item.ingested_at for r in new))
            ledger.insert_many("items", [r.item.to_row() for r in new])
            write_events(ledger, [e for r in new for e in r.events])
        for r in ready:
            item = r.item
            if item.sha256 in held:
                report.outcomes.append(
                    Outcome(
                        item.original_name,
                        "existing",
                        item.item_id,
                        item.sha256,
                        evidence_type=item.evidence_type,
                    )
                )
                continue
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
        media_type = media_type_of(metadata, name)
        # One sniff with the media type for both the evidence type and the excerpt layout (the
        # same call each would make), or the one made before exiftool where that is the same.
        # (None if it failed: each of them then sniffs, and copes, on its own, as before.)
        sniffed = (
            p.sniffed if p.sniffed in MEDIA_TYPE_FREE else sniff(p.stored.path, name, media_type)
        )
        evidence_type = self.options.evidence_type
        if evidence_type == "auto":
            evidence_type = detect_evidence_type(
                p.stored.path, name, media_type, metadata, sniffed=sniffed
            )
        profile = build_profile(
            p.stored.path,
            evidence_type,
            original_name=name,
            media_type=media_type,
            metadata=metadata,
        )
        self.commitments[p.item_id] = commit_vault_file(
            self.ws.vault.root,
            p.stored.path,
            name,
            media_type,
            p.stored.digests.sha256,
            sniffed=sniffed,
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

    def _signed(self, p: _Pending, item: Item) -> _Ready:
        """The item dated now, with its two events signed at that time (not yet recorded)."""
        dated = replace(item, ingested_at=utc_now())
        return _Ready(p, dated, self._events(dated, p.original_times))

    def _events(self, item: Item, times: dict[str, str | None]) -> tuple[SignedEvent, ...]:
        """#1 states the file; #2, chained to it, the type and profile (an analysis)."""
        first = self._first_event(item, times)
        detected = self.options.evidence_type == "auto"
        analysis = analysis_details(
            item.evidence_type,
            item.profile or {},
            "at ingest" + (" (type detected)" if detected else " (type given)"),
            type_source="detected" if detected else "given",
            records=self.commitments.get(item.item_id),
        )
        body = new_body(
            self.signer,
            item_id=item.item_id,
            case=item.case_number,
            seq=2,
            prev=first.hash,
            item_sha256=item.sha256,
            action="profiled",
            purpose="content profile by the parsers of this version",
            details=analysis,
        )
        return first, sign_event(self.signer, body)

    def _first_event(self, item: Item, times: dict[str, str | None]) -> SignedEvent:
        facts = ingest_facts(item, self.case, case_sha256=self.case_sha256)
        details = {**facts, "original_times": times}
        # Signed beside the UTC value (which the row holds) so people see the time as given.
        offset = offset_of(self.options.acquired_at or "")
        if offset:
            details["acquired_offset"] = offset
        body = new_body(
            self.signer,
            item_id=item.item_id,
            case=item.case_number,
            seq=1,
            prev=item.sha256,
            item_sha256=item.sha256,
            action="ingested",
            purpose="ingest into the evidence vault",
            details=details,
            at=item.ingested_at,  # one time for row and event, so audit can bind the column
        )
        return sign_event(self.signer, body)


def already_held(
    ledger: Ledger, options: IngestOptions, name: str, sha: str, size: int, held: Item | None
) -> Outcome:
    """The outcome of a file whose bytes the case holds (held) or this run took already (None),
    naming the stated facts that differ from the held item's current ones."""
    current = None if held is None else current_facts(ledger, held).item
    differs = () if current is None else tuple(options.differences(current))
    item_id = item_id_for(options.case, sha)
    kind = None if current is None else current.evidence_type  # its type now, as corrected
    return Outcome(name, "existing", item_id, sha, size, kind, reason="same bytes", differs=differs)


def begin(
    ws: Workspace, paths: list[Path], options: IngestOptions
) -> tuple[list[Candidate], IngestReport]:
    """Check the options and scan the paths: the files to read, and a report that already
    names what was passed over (shared by the ingest and its dry run)."""
    if not paths:
        raise UsageError("no files to ingest", "name at least one file or folder")
    get_case(ws.ledger, options.case)
    problems, warnings = options.check()
    if problems:
        raise UsageError(problems[0])
    candidates, passed_over = scan(paths)
    return candidates, IngestReport(list(passed_over), warnings)


def ingest(
    ws: Workspace,
    signer: SignerSource,
    paths: list[Path],
    options: IngestOptions,
    reporter: Reporter | None = None,
    exiftool: ExiftoolProcess | None = None,
) -> IngestReport:
    """Ingest files and folders into a case; see the module docstring for the guarantees.

    signer may be still being unlocked (unlocking.unlock_in_background): scanning, copying and
    hashing start meanwhile, and nothing is signed before it is ready. exiftool: a process
    the caller started early (metadata.start_early); this ingest uses it and stops it.
    """
    with exiftool_pool(started=[exiftool]) as metadata:
        candidates, report = begin(ws, paths, options)
        ws.vault.create()
        ws.vault.sweep()
        reporter = reporter or Silent()
        reporter.start(sum(c.size for c in candidates), "ingest")
        try:
            Ingester(ws, signer, options, metadata, reporter.advance).run(candidates, report)
        finally:
            reporter.finish()
    return report
