"""The full audit: every event, chain, checkpoint and (on request) vault file of a workspace.

Per-event work (the chain rule's per-event half) is spread over processes, one per core, each
reading its own slice of the ledger; the cheap chain checks run here. Every problem is collected
(`Collector`) as a Finding naming the item, event and what is wrong; nothing stops at the first.

Events stream: slices are checked a few at a time per worker and consumed in ledger order, each
event's facts fed to the chain check (one head per item: chains.ChainStream) and the signer
check, then forgotten, except the few the profile, correction and seal checks read (each
item's ingest, analyses and corrections). Memory does not grow with the number of events.
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cases import list_cases
from ..errors import Check, CheckStatus, Finding, os_reason
from ..hashing import hash_file
from ..items import ANALYSIS_ACTIONS, Item
from ..message import Message
from ..progress import Reporter, Silent
from ..timeorder import workspace_rules
from ..tlog.cosignature import CosignatureVerifier
from ..workspace import Workspace
from .analyses import check_analyses
from .chains import ChainStream, load_items
from .checkpoints import check_checkpoints
from .corrections import check_corrections, seal_notices
from .events import DETAILED, EventFacts, verify_items, verify_slice
from .files import check_vault_entries, check_workspace, orphan_notices
from .log import WitnessView, audit_log
from .records import check_commitments, check_excerpt_events
from .rows import check_anchor_row, check_key_rows
from .times import TimeStream
from .trust import SignerCheck, audit_trust, signer_problem

if TYPE_CHECKING:
    from concurrent.futures import Future

TIME_DETAIL = Message(
    "every event dated after the event before it and after each checkpoint not covering it"
)
SLICE = 1000  # small enough that two workers finish together
AHEAD = 3  # slices in flight per worker: results wait in memory no longer than that
# Facts the profile, correction and seal checks read; every other event is forgotten.
_KEPT_ACTIONS = frozenset((*ANALYSIS_ACTIONS, *DETAILED))
_FIRST_ROWID = -(2**63)  # SQLite takes any rowid, negative ones included


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit checked and everything it found wrong."""

    checks: list[Check]
    findings: list[Finding]
    events_checked: int
    items_checked: int
    checkpoint_root: str | None
    checkpoint_seq: int | None
    # (item_id, seq) of every event whose signature did not verify, for reports to mark.
    unverified: frozenset[tuple[str, int]] = frozenset()
    # Fingerprint of the workspace's trust root (None: no root).
    anchor: str | None = None
    # Facts a reader must see that are not integrity failures (seal history, vault files no
    # item names).
    notices: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.findings and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "ok": self.ok,
            "items_checked": self.items_checked,
            "events_checked": self.events_checked,
            "checkpoint": {"seq": self.checkpoint_seq, "root": self.checkpoint_root},
            "anchor": self.anchor,
            "checks": [c.to_json() for c in self.checks],
            "findings": [f.to_json() for f in self.findings],
            "notices": [f.to_json() for f in self.notices],
        }


@dataclass
class Collector:
    """Findings by check, and the one line per check of the verdict."""

    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))

    def add(self, check: str, subject: str, message: Message) -> None:
        """Record one finding."""
        self.findings[check].append(Finding(check, subject, message))

    def extend(self, found: Iterable[Finding]) -> None:
        """Record findings made elsewhere (worker processes)."""
        for f in found:
            self.findings[f.check].append(f)

    def check(self, name: str, passed_detail: Message) -> Check:
        """The verdict line of one check: failed with a count, or passed with the detail."""
        found = self.findings.get(name, [])
        if found:
            return Check(name, CheckStatus.FAILED, "", Message("{n} problem(s)", n=len(found)))
        return Check(name, CheckStatus.OK, "", passed_detail)

    def verdict(self, lines: Iterable[tuple[str, Message]], witnessed: bool) -> list[Check]:
        """A verdict line per (check, detail if it passed), in order; then the witness line
        when witnesses were asked (`witnessed`) or one was found at fault."""
        checks = [self.check(name, detail) for name, detail in lines]
        if witnessed or self.findings.get("witness"):
            checks.append(
                self.check("witness", Message("the ledger extends what every witness cosigned"))
            )
        return checks

    def findings_of(self, checks: Iterable[Check]) -> list[Finding]:
        """The findings of these checks, in their order."""
        return [f for c in checks for f in self.findings.get(c.name, [])]


def _slices(ws: Workspace, hi: int | None, after: int | None) -> list[tuple[int, int]]:
    # No lower bound for a full audit: SQLite takes any rowid, negative ones included.
    bound = (_FIRST_ROWID if after is None else after + 1,)
    lo = ws.ledger.rows("SELECT MIN(rowid) AS lo FROM events WHERE rowid >= $1", bound)[0]["lo"]
    if lo is None or hi is None:
        return []
    return [(start, min(start + SLICE - 1, hi)) for start in range(lo, hi + 1, SLICE)]


def _event_stream(
    ws: Workspace,
    item_ids: set[str] | None,
    last: int | None,
    workers: int,
    reporter: Reporter,
    after: int | None = None,
) -> Iterator[tuple[list[Finding], list[EventFacts]]]:
    """(findings, facts) of each slice of events with rowid in (after, last], in ledger order,
    with at most AHEAD slices per worker checked ahead of the one consumed."""
    slices = _slices(ws, last, after)
    total = ws.ledger.rows(
        "SELECT COUNT(*) AS n FROM events WHERE rowid >= $1 AND rowid <= $2",
        (_FIRST_ROWID if after is None else after + 1, last or 0),
    )[0]["n"]
    reporter.start(total, "verifying events")
    db = ws.ledger.source()
    wanted = None if item_ids is None else sorted(item_ids)
    try:
        if workers <= 1 or len(slices) <= 1:
            for lo, hi in slices:
                found, got = verify_slice(db, lo, hi, wanted)
                reporter.advance(len(got))
                yield found, got
            return
        # Imported here: multiprocessing costs an audit of a few new events (one slice, checked
        # in this process) a thirtieth of a second to import.
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            todo = iter(slices)
            running: deque[Future[tuple[list[Finding], list[EventFacts]]]] = deque()
            for lo, hi in todo:
                running.append(pool.submit(verify_slice, db, lo, hi, wanted))
                if len(running) >= workers * AHEAD:
                    break
            while running:
                found, got = running.popleft().result()
                following = next(todo, None)
                if following is not None:
                    running.append(pool.submit(verify_slice, db, *following, wanted))
                reporter.advance(len(got))
                yield found, got
    finally:
        reporter.finish()


def verify_events(
    ws: Workspace,
    item_ids: set[str] | None,
    last: int | None,
    workers: int,
    reporter: Reporter,
    out: Collector,
    after: int | None = None,
) -> list[EventFacts]:
    """Verify events with rowid in (after, last] in worker processes; their facts, held (the
    incremental audit's new events: the full audit streams them instead)."""
    facts: list[EventFacts] = []
    for found, got in _event_stream(ws, item_ids, last, workers, reporter, after):
        out.extend(found)
        facts.extend(got)
    return facts


@dataclass
class _Streamed:
    """What the full audit keeps of the event stream."""

    count: int = 0
    kept: list[EventFacts] = field(default_factory=list)
    unverified: set[tuple[str, int]] = field(default_factory=set)


def _stream_events(
    ws: Workspace,
    item_ids: set[str] | None,
    last: int | None,
    workers: int,
    reporter: Reporter,
    signers: SignerCheck,
    chains: ChainStream,
    times: TimeStream,
    out: Collector,
) -> _Streamed:
    streamed = _Streamed()
    for found, got in _event_stream(ws, item_ids, last, workers, reporter):
        out.extend(found)
        for f in got:
            streamed.count += 1
            signers.feed(f)
            chains.feed(f)  # first: it sets aside an item met out of order
            times.feed(f)
            if f.seq == 1 or f.action in _KEPT_ACTIONS:
                streamed.kept.append(f)
            if not f.signature_ok:
                streamed.unverified.add((f.item_id, f.seq))
    return streamed


def fixity_detail(files: int, commitments: int, new_events: bool = False) -> Message:
    """The fixity line of a verdict: vault files re-hashed, record commitments recomputed."""
    also = (
        Message(", {n} record commitment(s) recomputed", n=commitments)
        if commitments
        else Message("")
    )
    if new_events:
        return Message(
            "{n} vault files of items with new events match their digests{also}",
            n=files,
            also=also,
        )
    return Message("{n} vault files match their digests{also}", n=files, also=also)


def check_fixity(ws: Workspace, items: list[Item], reporter: Reporter, out: Collector) -> None:
    """Re-hash the items' vault files (SHA-256 and SHA-512) against their recorded digests."""
    reporter.start(sum(i.size for i in items), "re-hashing vault")
    try:
        for item in items:
            path = ws.vault.path_for(item.sha256)
            subject = Message(
                "item {item_id} ({original_name})",
                item_id=item.item_id,
                original_name=item.original_name,
            )
            if path.is_symlink() or not path.is_file():
                continue  # reported by the vault entry check, never followed
            try:
                digests = hash_file(path, hasher=ws.vault.hasher)
            except OSError as exc:
                out.add(
                    "fixity",
                    subject,
                    Message("vault file unreadable: {strerror}", strerror=os_reason(exc)),
                )
                continue
            reporter.advance(item.size)
            if digests.sha256 != item.sha256:
                out.add(
                    "fixity",
                    subject,
                    Message(
                        "vault file SHA-256 is {sha256}, expected {expected}",
                        sha256=digests.sha256,
                        expected=item.sha256,
                    ),
                )
            elif digests.sha512 != item.digests.sha512:
                out.add(
                    "fixity", subject, Message("vault file SHA-512 differs from the recorded one")
                )
    finally:
        reporter.finish()


def audit(
    ws: Workspace,
    case: str | None = None,
    *,
    fixity: bool = False,
    checkpoint_file: Path | None = None,
    reporter: Reporter | None = None,
    workers: int | None = None,
    anchor: str | None = None,
    witnesses: Sequence[WitnessView] = (),
    cosigners: Sequence[CosignatureVerifier] = (),
) -> AuditResult:
    """Verify the workspace (or one case) and return every finding; never raises on tampering.

    anchor: the root's fingerprint as pinned from outside (seizure protocol); without it, the
    root stored in the workspace is used and named in the verdict. witnesses: what each
    witness last cosigned (fetched by the caller), checked with the `cosigners`' keys.
    """
    reporter = reporter or Silent()
    workers = workers or os.cpu_count() or 1
    out = Collector()
    # One read snapshot for the whole audit (worker processes share it on PostgreSQL, where
    # row ids are taken at insert, not at commit): an ingest running meanwhile must not show
    # up as events without an item, or as an item without events.
    with ws.ledger.snapshot():
        items = load_items(ws.ledger, case, out.add)
        last = ws.ledger.rows("SELECT MAX(rowid) AS hi FROM events")[0]["hi"]
        item_ids = None if case is None else {i.item_id for i in items}
        trust = audit_trust(ws.ledger, anchor, out.add)
        certs, state, view, root_detail = trust.certs, trust.state, trust.view, trust.detail
        check_anchor_row(ws.ledger, state.records, out.add)
        records = state.records if state.anchor is not None else None
        check_key_rows(ws.ledger, certs, records, out.add)
        chains = ChainStream(items, case is None)
        signers = SignerCheck(view, out.add)
        times = TimeStream(workspace_rules(ws.ledger, view, state.records), chains.out_of_order)
        streamed = _stream_events(
            ws, item_ids, last, workers, reporter, signers, chains, times, out
        )
        cases = {c.number: c for c in list_cases(ws.ledger)}
        # Items whose events the ledger lists out of seq order: re-read, checked whole.
        again = verify_items(ws.ledger.source(), sorted(chains.out_of_order))
        chains.finish(cases, again, out.add)
        facts = streamed.kept
        check_analyses(items, facts, out.add)
        check_excerpt_events(facts, out.add)
        check_corrections(facts, out.add)
        times.finish(again, out.add)
        checkpoint = check_checkpoints(ws, item_ids, checkpoint_file, out.add, signer_problem(view))
        anchor_fp = None if state.anchor is None else state.anchor.fingerprint
        log_detail = audit_log(
            ws.ledger, anchor_fp, certs, ws.checkpoint_dir, out.add, witnesses, cosigners
        )
    check_workspace(ws.root.resolve(), out.add)  # a workspace reached through a link is fine
    check_vault_entries(
        [
            (
                Message(
                    "item {item_id} ({original_name})",
                    item_id=i.item_id,
                    original_name=i.original_name,
                ),
                ws.vault.path_for(i.sha256),
            )
            for i in items
        ],
        out.add,
    )
    orphans: tuple[Finding, ...] = ()
    if case is None:  # a case's audit does not know which files the other cases name
        named = (ws.vault.path_for(i.sha256) for i in items)
        orphans = tuple(orphan_notices(ws.vault.root, named))
    lines = [
        ("trust", Message("every signer established: {root}", root=root_detail)),
        ("ledger", Message("append-only triggers in place")),
        ("schema", Message("every event valid against its custody-event schema")),
        ("hashes", Message("every event hash matches its canonical bytes")),
        ("certificates", Message("every certificate and key row matches what was signed")),
        ("signatures", Message("{n} signatures valid", n=streamed.count)),
        ("chains", Message("{n} chains unbroken", n=len(items))),
        ("profiles", Message("every profile matches the event that signs it")),
        ("corrections", Message("every correction applies to the facts it corrects")),
        ("checkpoint", checkpoint.detail),
        ("time", TIME_DETAIL),
        ("log", log_detail),
        ("files", Message("workspace private to its owner; vault folders closed")),
    ]
    checks = out.verdict(lines, bool(witnesses))
    if fixity:
        check_fixity(ws, items, reporter, out)
        commitments = check_commitments(ws.vault, items, facts, out.add)
        checks.append(out.check("fixity", fixity_detail(len(items), commitments)))
    elif out.findings.get("fixity"):
        checks.append(out.check("fixity", Message("")))
    return AuditResult(
        checks,
        out.findings_of(checks),
        streamed.count,
        len(items),
        checkpoint.root,
        checkpoint.seq,
        frozenset(streamed.unverified),
        None if state.anchor is None else state.anchor.fingerprint,
        tuple(seal_notices(facts)) + orphans,
    )
