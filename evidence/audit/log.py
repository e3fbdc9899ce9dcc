"""Log audit: every signed record a leaf in one append-only tree, every checkpoint's signed
tree head consistent with the next and with today's tree, and (with witnesses) no rollback
below what a witness cosigned.

The tree is rebuilt from the records themselves (each leaf recomputed from its record's hash,
which the hashes and signatures checks bind to the signed bytes); `log_leaves` contributes only
the order. A record removed, reordered or altered below a checkpoint's size changes the root
that checkpoint signed; removed above it (a tail cut), only a witness that cosigned a larger
tree, or a checkpoint copy kept elsewhere, still tells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ..checkpoint import Checkpoint, from_row
from ..checkpoint import rows as checkpoint_rows
from ..errors import EvidenceError, Malformed
from ..ledger import SCHEMA_VERSION, Ledger, marks
from ..message import Command, Message
from ..timerules import instant
from ..timestamp.checkpoints import REQUIRED_WITHIN
from ..tlog import Frontier, ProofError, StreamedTree, verify_consistency
from ..tlog.cosignature import CosignatureVerifier, cosigned_times
from ..tlog.ledgerlog import (
    LogCommitment,
    hash_leaf,
    leaf_rows,
    note_file,
    note_rows,
    origin,
    stored_note,
)
from ..tlog.note import Note, NoteSignature, ecdsa_verify
from ..tlog.signedhead import SignedHead

Add = Callable[[str, str, Message], None]

# leaf kind: (table, reference column)
_RECORDS = {
    "event": ("events", "event_id"),
    "trust": ("trust_records", "seq"),
    "checkpoint": ("checkpoints", "seq"),
}


@dataclass(frozen=True)
class WitnessView:
    """What a witness said it cosigned, fetched before the audit: its URL and note."""

    url: str
    note: Note | None


# Leaves read per query: the log is streamed, never held as rows (a million records).
PAGE = 10_000
# An event leaf's record hash comes with its leaf row (events are most of the log); the few
# trust records and checkpoints are looked up in memory.
_LEAVES = (
    "SELECT l.idx, l.kind, l.ref, l.leaf, e.hash AS event_hash FROM log_leaves l"
    " LEFT JOIN events e ON l.kind = 'event' AND e.event_id = l.ref"
    " WHERE l.idx >= $1 ORDER BY l.idx, l.rowid LIMIT $2"
)


def _record_hashes(ledger: Ledger, kinds: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for kind in kinds:
        table, ref = _RECORDS[kind]
        if not ledger.has_table(table):
            out[kind] = {}
            continue
        rows = ledger.rows(f"SELECT {ref} AS ref, hash FROM {table}")
        out[kind] = {str(r["ref"]): str(r["hash"]) for r in rows}
    return out


def _leaf_pages(ledger: Ledger) -> Iterator[list[tuple[Any, ...]]]:
    """The log's rows in order, page by page, as (idx, kind, ref, leaf, event_hash) tuples
    (no dict a row: a million of them), each event leaf with its event's hash (None when no
    event has that id). Inside the audit's snapshot, so the pages see one state."""
    # Keyset pages (from the last index read on), not OFFSET, which would redo the join for
    # every row skipped. Rows sharing an index (a renumbered log) are each read once: those
    # already yielded at the boundary index are skipped.
    last, done = -(2**63), 0  # the smallest 64-bit integer: every index
    while True:
        page = ledger.tuples(_LEAVES, (last, PAGE + done))[done:]
        if not page:
            return
        yield page
        top = page[-1][0]
        at_top = sum(1 for row in page if row[0] == top)
        done = at_top + (done if top == last else 0)
        last = top


def rebuild(ledger: Ledger, add: Add, tree: StreamedTree | None = None) -> StreamedTree:
    """The log's tree from the records in `log_leaves` order (streamed into `tree`, which
    keeps what the sizes it was told of need); every gap, stranger, duplicate, altered leaf
    and record without a leaf is a finding."""
    records = _record_hashes(ledger, ("trust", "checkpoint"))
    # Only (kind, ref) pairs the log holds more than once need remembering while streaming.
    doubled = {
        (str(r["kind"]), str(r["ref"])): False
        for r in ledger.rows(
            "SELECT kind, ref FROM log_leaves GROUP BY kind, ref HAVING COUNT(*) > 1"
        )
    }
    seen = {kind: set[str]() for kind in records}  # the few trust and checkpoint leaves
    event_leaves = 0
    tree = tree if tree is not None else StreamedTree()

    def flag(n: int, problem: Message) -> None:
        add("log", Message("log leaf #{n}", n=n), problem)

    for page in _leaf_pages(ledger):
        for idx, raw_kind, raw_ref, stored_leaf, event_hash in page:
            n = tree.size
            kind, ref = str(raw_kind), str(raw_ref)
            if idx != n:
                flag(
                    n,
                    Message("missing: the next leaf is #{idx} (deleted or renumbered?)", idx=idx),
                )
            known = records.get(kind, {})
            digest = event_hash if kind == "event" else known.get(ref)
            if digest is None:
                flag(
                    n,
                    Message(
                        "names {kind} {ref}, which the ledger does not hold (deleted?)",
                        kind=Message.word(kind),
                        ref=ref,
                    ),
                )
                # Keep the stored leaf in its place: the roots then show what else changed.
                try:
                    stored = bytes.fromhex(str(stored_leaf))
                except ValueError:
                    stored = b""
                tree.append(stored if len(stored) == 32 else bytes(32))
                continue
            key = (kind, ref)
            again = doubled.get(key, False)
            if again:
                flag(
                    n,
                    Message("{kind} {ref} is in the log twice", kind=Message.word(kind), ref=ref),
                )
            elif key in doubled:
                doubled[key] = True
            if kind == "event":
                event_leaves += 0 if again else 1
            elif kind in seen:
                seen[kind].add(ref)
            try:
                leaf = hash_leaf(str(digest))
            except ValueError:
                flag(
                    n,
                    Message("{kind} {ref} has no valid hash", kind=Message.word(kind), ref=ref),
                )
                leaf = bytes(32)
            if stored_leaf != leaf.hex():
                flag(
                    n,
                    Message(
                        "stored leaf differs from {kind} {ref} (edited?)",
                        kind=Message.word(kind),
                        ref=ref,
                    ),
                )
            tree.append(leaf)
    # Events without a leaf: every leaf counted above names a distinct event the ledger
    # holds, so equal counts say none is missing; otherwise the database lists them.
    total = ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    if total != event_leaves:
        missing = ledger.rows(
            "SELECT event_id FROM events WHERE event_id NOT IN"
            " (SELECT ref FROM log_leaves WHERE kind = 'event') ORDER BY event_id"
        )
        for row in missing:
            add(
                "log",
                Message("event {event_id}", event_id=row["event_id"]),
                Message("is not in the log (slipped in without a leaf?)"),
            )
    for kind, refs in records.items():
        for ref in sorted(set(refs) - seen[kind]):
            add(
                "log",
                Message("{kind} {ref}", kind=Message.word(kind), ref=ref),
                Message("is not in the log (slipped in without a leaf?)"),
            )
    return tree


def _logged(ledger: Ledger, add: Add) -> list[tuple[Checkpoint, LogCommitment]]:
    out: list[tuple[Checkpoint, LogCommitment]] = []
    for row in checkpoint_rows(ledger):
        try:
            cp = from_row(row)
            log = cp.log
        except (EvidenceError, TypeError, ValueError):
            continue  # reported by the checkpoint check
        if log is not None:
            out.append((cp, log))
        elif out:
            # Once a checkpoint signed the log, every later one must: none may step around it.
            add(
                "log",
                Message("checkpoint #{seq}", seq=cp.seq),
                Message("signs no log, though #{seq} did", seq=out[-1][0].seq),
            )
    return out


def _consistent(
    tree: StreamedTree, a: LogCommitment, b: SignedHead, add: Add, subject: str
) -> None:
    if a.size == 0 or b.size > tree.size or a.size > b.size:
        return
    try:
        proof = tree.consistency_proof(a.size, b.size)
        verify_consistency(a.size, b.size, proof, a.root, b.root)
    except ProofError as exc:
        add("log", subject, exc.wording)


def check_checkpoint_logs(
    ledger: Ledger,
    tree: StreamedTree,
    logged: list[tuple[Checkpoint, LogCommitment]],
    anchor: str | None,
    certs: Mapping[str, x509.Certificate],
    directory: Path,
    add: Add,
    cosigners: Sequence[CosignatureVerifier] = (),
) -> None:
    """Each version-3 checkpoint (`logged`) against the rebuilt tree, its successor and
    today's tree; its C2SP note (log signature, note file, cosignatures by `cosigners`)."""
    previous: LogCommitment | None = None
    for cp, log in logged:
        subject = Message("checkpoint #{seq}", seq=cp.seq)
        if anchor is not None and log.origin != origin(anchor):
            add(
                "log",
                subject,
                Message("origin {origin} is not this workspace's", origin=log.origin),
            )
        if log.size > tree.size:
            add(
                "log",
                subject,
                Message(
                    "signed a log of {size} records; the ledger holds {held} (records removed "
                    "since)",
                    size=log.size,
                    held=tree.size,
                ),
            )
        elif tree.root(log.size) != log.root:
            add(
                "log",
                subject,
                Message(
                    "the log's first {size} records differ from what it signed (removed, "
                    "reordered or altered)",
                    size=log.size,
                ),
            )
        elif tree.frontier(log.size) != log.frontier:
            add("log", subject, Message("frontier does not match its log"))
        if log.size < tree.size and not _own_leaf(ledger, cp.seq, log.size):
            add("log", subject, Message("its own leaf is not leaf #{size}", size=log.size))
        if previous is not None:
            if log.size <= previous.size:
                add("log", subject, Message("its log is not larger than the previous checkpoint's"))
            _consistent(tree, previous, log.head, add, subject)
        previous = log
        _check_note(ledger, cp, log, certs, directory, add, cosigners)
    if previous is not None and previous.size <= tree.size:
        _consistent(tree, previous, SignedHead(previous.origin, tree.size, tree.root()), add, "log")


def _own_leaf(ledger: Ledger, seq: int, idx: int) -> bool:
    rows = ledger.rows("SELECT kind, ref FROM log_leaves WHERE idx = $1", (idx,))
    return bool(rows) and rows[0]["kind"] == "checkpoint" and rows[0]["ref"] == str(seq)


def _check_note(
    ledger: Ledger,
    cp: Checkpoint,
    log: LogCommitment,
    certs: Mapping[str, x509.Certificate],
    directory: Path,
    add: Add,
    cosigners: Sequence[CosignatureVerifier],
) -> None:
    subject = Message("checkpoint #{seq} note", seq=cp.seq)
    try:
        note = stored_note(ledger, cp.seq, log)
    except Malformed as exc:
        add(
            "log",
            subject,
            Message("stored signature line is malformed: {message}", message=exc.message),
        )
        return
    rows = note_rows(ledger, cp.seq)
    cert = certs.get(cp.body["actor"]["fingerprint"])
    key = cert.public_key() if cert is not None else None
    key = key if isinstance(key, ec.EllipticCurvePublicKey) else None
    own = [r for r in rows if r["witness"] == "" and _is_own(r, log, key)]
    if not own:
        add("log", subject, Message("no valid signature by the checkpoint's key"))
    for row in rows:
        for problem in note_row_problems(row, cp, log, key):
            add("log", subject, problem)
    path = note_file(directory, cp.seq)
    if note is not None:
        if not path.is_file():
            add("log", subject, Message("file {name} is missing", name=path.name))
        elif path.read_bytes() != note.to_bytes():
            add(
                "log",
                subject,
                Message("file {name} differs from the ledger (edited?)", name=path.name),
            )
        for problem in cosigned_times(note, cosigners)[1]:
            add("witness", subject, problem)


# Note lines are stored inside the checkpoint's transaction (the log's own signature, then
# each witness's cosignature): within the window a required RFC 3161 token has.
NOTE_WINDOW = REQUIRED_WITHIN


def _is_own(
    row: Mapping[str, Any], log: LogCommitment, key: ec.EllipticCurvePublicKey | None
) -> bool:
    """Whether the row's line is the log's own signature, by the checkpoint's key."""
    try:
        line = NoteSignature.parse_line(str(row["line"]).rstrip("\n"))
    except EvidenceError:
        return False  # reported as malformed by stored_note
    return key is not None and ecdsa_verify(log.origin, key, log.head.text(), line)


def note_row_problems(
    row: Mapping[str, Any],
    cp: Checkpoint,
    log: LogCommitment,
    key: ec.EllipticCurvePublicKey | None,
) -> list[Message]:
    """What binds a checkpoint_notes row's bookkeeping columns: `witness` is "" exactly for the
    log's own signature and otherwise a witness URL as the client stores it; `added_at` lies in
    the checkpoint's transaction (from its signed time to NOTE_WINDOW after)."""
    out: list[Message] = []
    witness, added = row.get("witness"), row.get("added_at")
    own = _is_own(row, log, key)
    if witness == "" and not own:
        out.append(Message('a line stored as the log\'s own signature (witness "") is not one'))
    elif witness != "" and own:
        out.append(
            Message(
                "the log's own signature is stored as witness {witness!r}'s (edited?)",
                witness=witness,
            )
        )
    elif witness != "" and not _is_witness_url(witness):
        out.append(Message("witness {witness!r} is not a witness URL (edited?)", witness=witness))
    start, at = instant(cp.body.get("created_at")), instant(added)
    if at is None or not isinstance(added, str) or not added.endswith("Z"):
        out.append(Message("added_at {added!r} is not an RFC 3339 UTC time (edited?)", added=added))
    elif start is not None and not start <= at <= start + NOTE_WINDOW:
        out.append(
            Message(
                "added_at {added} lies outside checkpoint #{seq}'s transaction (its signed time "
                "{at} to {minutes} minutes after): edited?",
                added=Message.moment(added),
                seq=cp.seq,
                at=Message.moment(cp.body.get("created_at")),
                minutes=int(NOTE_WINDOW.total_seconds() // 60),
            )
        )
    return out


def _is_witness_url(value: Any) -> bool:
    # As evidence.witness.client.check_url stores it: http(s), no trailing slash, printable.
    return (
        isinstance(value, str)
        and value.startswith(("http://", "https://"))
        and not value.endswith("/")
        and value.isprintable()
        and " " not in value
    )


class RootSource(Protocol):
    """A tree's size and its root at a size (None where unknown)."""

    @property
    def size(self) -> int:
        """Number of leaves."""

    def root(self, size: int | None = None) -> bytes | None:
        """The root at that size."""


def check_witness(
    tree: RootSource,
    view: WitnessView,
    anchor: str | None,
    cosigners: Sequence[CosignatureVerifier],
    add: Add,
) -> Message:
    """The ledger still extends what the witness cosigned: no rollback, no fork."""
    subject = Message("witness {url}", url=view.url)
    if view.note is None:
        add("witness", subject, Message("holds no checkpoint of this ledger (never cosigned one?)"))
        return Message("nothing cosigned")
    note = view.note
    try:
        head = SignedHead.parse(note.text, subject)
    except Malformed as exc:
        add("witness", subject, exc.message)
        return Message("unreadable")
    if anchor is not None and head.origin != origin(anchor):
        add(
            "witness",
            subject,
            Message("served a checkpoint of another log ({origin})", origin=head.origin),
        )
        return Message("another log")
    found, problems = cosigned_times(note, cosigners)
    for problem in problems:
        add("witness", subject, problem)
    if not any(found.values()):
        add(
            "witness",
            subject,
            Message(
                "its checkpoint carries no valid cosignature{command}",
                command=Command(" by --witness-key"),
            ),
        )
        return Message("not cosigned")
    if head.size > tree.size:
        add(
            "witness",
            subject,
            Message(
                "rollback: it cosigned a log of {size} records; the ledger holds {held} "
                "({removed} removed since)",
                size=head.size,
                held=tree.size,
                removed=head.size - tree.size,
            ),
        )
    elif (root := tree.root(head.size)) is None:
        add(
            "witness",
            subject,
            Message("cosigned size {size} is no checkpoint's: run a full audit", size=head.size),
        )
    elif root != head.root:
        add(
            "witness",
            subject,
            Message(
                "fork: the ledger's first {size} records differ from what it cosigned",
                size=head.size,
            ),
        )
    return Message("{n} records cosigned", n=head.size)


def version_note(ledger: Ledger) -> Message | None:
    """Why a ledger has no log to audit, or None if it has one."""
    if ledger.has_table("log_leaves"):
        return None
    if ledger.version >= SCHEMA_VERSION:
        return Message("the log table is missing")
    return Message(
        "ledger schema {version} predates the log (opened read-only?)", version=ledger.version
    )


def audit_log(
    ledger: Ledger,
    anchor: str | None,
    certs: Mapping[str, x509.Certificate],
    directory: Path,
    add: Add,
    witnesses: Sequence[WitnessView] = (),
    cosigners: Sequence[CosignatureVerifier] = (),
) -> Message:
    """The whole log check of a full audit; returns the verdict's detail."""
    missing = version_note(ledger)
    if missing is not None:
        if ledger.version >= SCHEMA_VERSION:
            add("log", "log_leaves", missing)
        return missing
    # The checkpoints first, so the tree knows which sizes to keep; what is wrong with them is
    # added after the tree's own findings, as when they were read after it.
    held: list[tuple[str, str, Message]] = []
    logged = _logged(ledger, lambda *finding: held.append(finding))
    sizes = [log.size for _, log in logged]
    tree = StreamedTree(
        sizes + _cosigned_sizes(witnesses),
        list(pairwise(sizes)),
        sizes[-1] if sizes else None,
    )
    rebuild(ledger, add, tree)
    for finding in held:
        add(*finding)
    check_checkpoint_logs(ledger, tree, logged, anchor, certs, directory, add, cosigners)
    said = [check_witness(tree, view, anchor, cosigners, add) for view in witnesses]
    detail = Message("{n} records in one tree", n=tree.size)
    if logged:
        cp, log = logged[-1]
        detail = Message(
            "{n} records in one tree; checkpoint #{seq} ({size}) consistent with it",
            n=tree.size,
            seq=cp.seq,
            size=log.size,
        )
    return _with_witnesses(detail, said)


def _cosigned_sizes(witnesses: Sequence[WitnessView]) -> list[int]:
    # The sizes check_witness will ask the tree for (what it cannot read it reports alone).
    out = []
    for view in witnesses:
        if view.note is not None:
            try:
                out.append(SignedHead.parse(view.note.text, "").size)
            except Malformed:
                continue
    return out


def _with_witnesses(detail: Message, said: Sequence[Message]) -> Message:
    if not said:
        return detail
    return Message("{detail}; witnesses: {said}", detail=detail, said=Message.joined(", ", said))


def fetch_witnesses(ledger: Ledger, anchor: str | None, urls: Sequence[str]) -> list[WitnessView]:
    """What each witness last cosigned of this ledger's log (network; exit 3 if unreachable)."""
    if not urls:
        return []  # and no HTTP client to import
    from ..trust.store import has_trust_tables
    from ..witness.client import latest

    if anchor is None and has_trust_tables(ledger):
        rows = ledger.rows("SELECT fingerprint FROM trust_anchor")
        anchor = str(rows[0]["fingerprint"]) if len(rows) == 1 else None
    if anchor is None:
        return [WitnessView(url, None) for url in urls]
    return [WitnessView(url, latest(url, origin(anchor))) for url in urls]


def _hashes_for(ledger: Ledger, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], str]:
    wanted: dict[str, list[str]] = {}
    for row in rows:
        wanted.setdefault(str(row["kind"]), []).append(str(row["ref"]))
    out: dict[tuple[str, str], str] = {}
    for kind, refs in wanted.items():
        if kind not in _RECORDS:
            continue
        table, column = _RECORDS[kind]
        for i in range(0, len(refs), 500):
            chunk = refs[i : i + 500]
            params = tuple(int(r) if column == "seq" and r.isdigit() else r for r in chunk)
            found = ledger.rows(
                f"SELECT {column} AS ref, hash FROM {table} WHERE {column} IN "
                f"({marks(len(chunk))})",
                params,
            )
            out.update({(kind, str(r["ref"])): str(r["hash"]) for r in found})
    return out


def audit_log_since(
    ledger: Ledger,
    start: Checkpoint,
    later: Sequence[Checkpoint],
    new_events: Sequence[tuple[str, int, str]],
    add: Add,
    witnesses: Sequence[WitnessView] = (),
    cosigners: Sequence[CosignatureVerifier] = (),
) -> Message:
    """The log after checkpoint `start`, from its signed frontier: O(new leaves + log n).

    Each leaf after it is recomputed from its record; every later checkpoint's root must be
    the frontier's at its size, and every new event (`new_events`: item, seq, hash) must have
    a leaf.
    """
    log = start.log
    if log is None:
        if ledger.has_table("log_leaves"):
            return Message("checkpoint #{seq} predates the log: run a full audit", seq=start.seq)
        return Message("no log")
    subject = Message("checkpoint #{seq}", seq=start.seq)
    if log.frontier.root() != log.root:
        add("log", subject, Message("its frontier does not hash to its log root"))
    rows = leaf_rows(ledger, log.size)
    hashes = _hashes_for(ledger, rows)
    at_size = {cp.log.size: (cp, cp.log) for cp in later if cp.log is not None}
    frontier = log.frontier
    roots = {log.size: log.root}
    logged: set[tuple[str, str]] = set()
    for row in rows:
        idx, kind, ref = row["idx"], str(row["kind"]), str(row["ref"])
        if idx != frontier.size:
            add(
                "log",
                Message("log leaf #{size}", size=frontier.size),
                Message("missing: the next leaf is #{idx}", idx=idx),
            )
        if idx == log.size and (kind, ref) != ("checkpoint", str(start.seq)):
            add("log", subject, Message("its own leaf is not leaf #{size}", size=log.size))
        _frontier_matches(frontier, at_size, add)
        digest = hashes.get((kind, ref))
        if digest is None:
            add(
                "log",
                Message("log leaf #{idx}", idx=idx),
                Message(
                    "names {kind} {ref}, which the ledger does not hold",
                    kind=Message.word(kind),
                    ref=ref,
                ),
            )
            leaf = bytes.fromhex(str(row["leaf"])) if len(str(row["leaf"])) == 64 else bytes(32)
        else:
            leaf = hash_leaf(digest)
            if row["leaf"] != leaf.hex():
                add(
                    "log",
                    Message("log leaf #{idx}", idx=idx),
                    Message(
                        "stored leaf differs from {kind} {ref}", kind=Message.word(kind), ref=ref
                    ),
                )
        logged.add((kind, ref))
        frontier = frontier.extend([leaf])
        roots[frontier.size] = frontier.root()
    _frontier_matches(frontier, at_size, add)
    for size, (cp, _) in at_size.items():
        if size > frontier.size:
            add(
                "log",
                Message("checkpoint #{seq}", seq=cp.seq),
                Message(
                    "signed {size} records; the log holds {held}", size=size, held=frontier.size
                ),
            )
    logged_events = {hashes.get(k) for k in logged if k[0] == "event"}
    for item_id, seq, digest in new_events:
        if digest not in logged_events:
            add(
                "log",
                Message("item {item_id} event #{seq}", item_id=item_id, seq=seq),
                Message("is not in the log (slipped in?)"),
            )
    for cp in later:
        if ("checkpoint", str(cp.seq)) not in logged:
            add("log", Message("checkpoint #{seq}", seq=cp.seq), Message("is not in the log"))
    said = []
    for view in witnesses:
        said.append(_witness_since(roots, frontier.size, ledger, view, cosigners, add))
    detail = Message(
        "{n} records since checkpoint #{seq}, consistent",
        n=frontier.size - log.size,
        seq=start.seq,
    )
    return _with_witnesses(detail, said)


def _frontier_matches(
    frontier: Frontier, at_size: Mapping[int, tuple[Checkpoint, LogCommitment]], add: Add
) -> None:
    found = at_size.get(frontier.size)
    if found is None:
        return
    cp, log = found
    if frontier.root() != log.root or frontier != log.frontier:
        add(
            "log",
            Message("checkpoint #{seq}", seq=cp.seq),
            Message("the log's first {size} records differ from what it signed", size=log.size),
        )


def _witness_since(
    roots: Mapping[int, bytes],
    size: int,
    ledger: Ledger,
    view: WitnessView,
    cosigners: Sequence[CosignatureVerifier],
    add: Add,
) -> Message:
    # Roots are known from the starting checkpoint on; below it, the checkpoints' signed roots.
    known = dict(roots)
    for _, log in _logged(ledger, add):
        known.setdefault(log.size, log.root)
    tree = _KnownRoots(size, known)
    return check_witness(tree, view, None, cosigners, add)


class _KnownRoots:
    """Enough of a Tree for check_witness: the size and the roots at the sizes known."""

    def __init__(self, size: int, roots: Mapping[int, bytes]) -> None:
        self._size = size
        self._roots = roots

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    def root(self, size: int | None = None) -> bytes | None:
        return self._roots.get(self.size if size is None else size)
