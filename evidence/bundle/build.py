"""Building the signed bundle that travels with an MLA request: a BagIt 1.0 bag, zipped.

Order of work:
1. choose the items, audit the case and check every vault copy against its recorded digests
   (one read each); a damaged ledger or vault stops everything before anything is written;
2. sign an `exported` event for each item and record them with a new checkpoint that covers
   them (one transaction, exports.py), so that every event the bundle carries is proved in it;
3. build the manifest, sign it (detached CMS), render the cover sheet;
4. stream the payload into a temporary zip beside the output (stored or deflated by a probe of
   each file), re-hashing as it goes, add the tag files, the log/ proofs and the tag-manifest
   signature;
5. move the zip into place (exports.py: a process killed at any moment leaves, after the next
   command, either the bundle or a signed note in each chain saying it was not produced).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from .. import __version__
from ..cases import Case, get_case
from ..caseuco import export_case
from ..checkpoint import Checkpoint, Hooks
from ..custody import append_events, chain_of, commit_prepared_locked, prepare_events
from ..errors import Finding, OperationalError, UsageError, VerificationError
from ..events import SignedEvent
from ..items import Item, select
from ..keys import Signer
from ..message import Message
from ..progress import Reporter, Silent
from ..timeorder import require_prepared_after_checkpoints
from ..timestamp.cades import add_signature_timestamp, verify_steps
from ..timestamp.checkpoints import create_stamped
from ..timestamp.client import request_token
from ..tlog.ledgerlog import has_log
from ..tlog.note import Note
from ..tlog.tree import Tree
from ..trust.records import TrustRecord
from ..trust.store import export_for, require_signing
from ..workspace import Workspace
from .bagit import TAG_MANIFESTS, TAG_SIGNATURE, bag_filename, hash_files, tag_files
from .cms import sign_detached
from .excerpts import (
    BundleExcerpt,
    excerpt_exports,
    excerpt_sources,
    excerpt_steps,
    prepare_excerpts,
)
from .exports import Export, place, recover_exports, start_export
from .logproofs import declared, log_evidence, signer_of
from .manifest import MlaRequest, build_manifest, item_entry, manifest_bytes
from .verifytext import log_steps, verify_text
from .zipwrite import write_zip

# Renders cover.pdf from (manifest, its SHA-256, the signer's fingerprint); handed in by the
# caller (evidence.report.produce), so that bundles never import the report package.
CoverRenderer = Callable[[dict[str, Any], str, str], bytes]
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass(frozen=True)
class BundledItem:
    """One item as it went into the bundle."""

    item_id: str
    path: str
    original_name: str
    size: int
    compressed: bool

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class BundleResult:
    """What `build_bundle` wrote."""

    path: Path
    name: str
    manifest_id: str
    manifest_sha256: str
    signer_fingerprint: str
    items: tuple[BundledItem, ...]
    size: int
    cover: bool

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "path": str(self.path),
            "name": self.name,
            "manifest_id": self.manifest_id,
            "manifest_sha256": self.manifest_sha256,
            "signer_fingerprint": self.signer_fingerprint,
            "size": self.size,
            "cover": self.cover,
            "items": [i.to_json() for i in self.items],
        }


def bundle_name(output: Path) -> str:
    """The bag's folder name: the output file name without .zip, restricted to safe characters."""
    problems = output_problems(output)
    if problems:
        raise UsageError("; ".join(problems))
    return output.name[:-4]


def output_problems(output: Path) -> list[str]:
    """Every reason output cannot be a bundle's file name or place (checked before any work)."""
    found = []
    if output.suffix.lower() != ".zip":
        found.append(f"-o {output}: the bundle file name must end in .zip")
    name = output.name[:-4]
    if not name or not set(name) <= NAME_CHARS or name[0] in ".-":
        found.append(
            f"-o {output.name}: the bundle name (the folder the recipient sees) may hold only"
            " Latin letters, digits and . _ -, e.g. -o request-12-4-2026.zip"
        )
    if output.exists():
        found.append(f"-o {output}: exists already; bundles are never overwritten")
    elif not output.parent.is_dir():
        found.append(f"-o {output}: no such folder {output.parent}")
    return found


@dataclass(frozen=True)
class BundlePlan:
    """What a bundle would hold, checked, before anything is signed: `bundle --dry-run`."""

    name: str
    output: Path
    case: Case
    items: tuple[Item, ...]
    audit_ok: bool
    findings: tuple[Finding, ...]
    excerpts: tuple[BundleExcerpt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "name": self.name,
            "output": str(self.output),
            "case": self.case.number,
            "items": [
                {"item_id": i.item_id, "original_name": i.original_name, "size": i.size}
                for i in self.items
            ],
            "size": sum(i.size for i in self.items),
            "excerpts": [
                {"item_id": e.item.item_id, "records": e.ranges, "disclosed": e.entry["disclosed"]}
                for e in self.excerpts
            ],
            "audit": {"ok": self.audit_ok, "findings": [f.to_json() for f in self.findings]},
        }


def plan_bundle(
    ws: Workspace,
    case_number: str,
    output: Path,
    request: MlaRequest,
    *,
    item_refs: Sequence[str] | None = None,
    excerpt_specs: Sequence[str] = (),
) -> BundlePlan:
    """Check the command line, choose the items and audit the case; nothing is written.

    An item of which --excerpt sends some records travels as that excerpt only.

    Every usage problem is reported at once (one UsageError); the audit verdict is returned.
    """
    problems = output_problems(output) + request.problems()
    if problems:
        raise UsageError("; ".join(problems))
    case = get_case(ws.ledger, case_number)
    excerpts = prepare_excerpts(ws, case_number, excerpt_specs)
    excerpted = {e.item.item_id for e in excerpts}
    # an item of which only an excerpt is sent is not sent whole as well
    items = [i for i in select(ws.ledger, case_number, item_refs) if i.item_id not in excerpted]
    # The manifest states what the ledger says; a tampered ledger must not get signed abroad.
    from ..audit import audit  # imported late: the audit brings in multiprocessing

    result = audit(ws, case_number)
    return BundlePlan(
        output.name[:-4],
        output,
        case,
        tuple(items),
        result.ok,
        tuple(result.findings),
        tuple(excerpts),
    )


def _check_vault(ws: Workspace, items: Sequence[Item], reporter: Reporter) -> None:
    paths = [ws.vault.path_for(item.sha256) for item in items]
    for item, path in zip(items, paths, strict=True):
        if not path.is_file():
            raise OperationalError(
                f"item {item.item_id}: vault copy {path} is missing", "run `custody audit`"
            )
    results = hash_files(paths, reporter, "check vault")
    findings = [
        Finding(
            "vault",
            item.item_id,
            Message(
                "vault copy of {original_name!r} no longer matches",
                original_name=item.original_name,
            ),
        )
        for item, (digests, size) in zip(items, results, strict=True)
        if (digests.sha256, digests.sha512, size) != (item.sha256, item.digests.sha512, item.size)
    ]
    if findings:
        raise VerificationError("vault copies changed; nothing was exported", findings)


def build_bundle(
    ws: Workspace,
    signer: Signer,
    case_number: str,
    output: Path,
    request: MlaRequest,
    *,
    item_refs: Sequence[str] | None = None,
    cover: CoverRenderer | None = None,
    reporter: Reporter | None = None,
    tsa: str | None = None,
    lang: str = "en",
    excerpt_specs: Sequence[str] = (),
    case_jsonld: bool = False,
    witness: Callable[[int, Note, Tree], Note] | None = None,
) -> BundleResult:
    """Export items of a case as a signed bundle at output; see the module docstring.

    lang: which language VERIFY.txt gives first (the cover's language is the renderer's).
    case_jsonld adds case.jsonld, the CASE/UCO graph of the items sent in full (their
    chains with this export), as a tag file: the signed tag manifest covers it. The
    bundle carries the checkpoint recorded with its export events, signed by `signer`
    (timestamped with `tsa`, cosigned through `witness`), and an inclusion proof in it of
    every event it holds (logproofs.py)."""
    require_signing(ws.ledger, signer.record, " a bundle")
    reporter = reporter or Silent()
    recover_exports(ws)
    plan = plan_bundle(
        ws, case_number, output, request, item_refs=item_refs, excerpt_specs=excerpt_specs
    )
    if not plan.audit_ok:
        raise VerificationError(
            f"case {case_number} fails its audit; nothing was exported (see `custody audit`)",
            list(plan.findings),
        )
    name, case, items, excerpts = plan.name, plan.case, list(plan.items), list(plan.excerpts)
    _check_vault(ws, items, reporter)
    if tsa is not None:  # an unreachable TSA fails here, before any export event is signed
        request_token(tsa, b"custody bundle: is the TSA there?")
    anchor = ws.ledger.rows("SELECT fingerprint FROM trust_anchor") if has_log(ws.ledger) else []
    if len(anchor) != 1:
        raise OperationalError(
            f"{ws.ledger.location}: this ledger has no append-only log (schema "
            f"{ws.ledger.version}) or no trust root to name it, so no bundle of it can carry "
            "inclusion proofs",
            "its administrator upgrades it by opening it once, or `custody init --authority` "
            "gives it a root (docs/deployment.md)",
        )
    sent_items = items + [e.item for e in excerpts]
    export = start_export(ws, output)
    try:
        exported = prepare_events(
            ws.ledger,
            signer,
            items,
            "exported",
            purpose=f"sent with MLA request {request.reference} to {request.requested_state}",
            details={"request_ref": request.reference, "bundle": name},
        )
        every = exported + excerpt_exports(ws, signer, excerpts, request, name)
        export.record_events([(ev.body["item_id"], ev.body["event_id"]) for ev in every])
        checkpoint = _record_export(ws, signer, export, every, sent_items, tsa, witness, name)
    except BaseException:
        # Nothing was recorded: no export happened, and no trace of it stays on disk.
        export.abandon()
        raise
    # The export is recorded (and proved): a bundle not produced is said so in each chain.
    try:
        result = _assemble(
            ws,
            signer,
            case,
            items,
            exported,
            export.part,
            name,
            request,
            cover,
            reporter,
            tsa,
            lang,
            excerpts,
            case_jsonld,
            checkpoint,
        )
        export.completed()
        place(export.part, output)
    except BaseException as exc:
        if _record_failure(ws, signer, sent_items, name, request, exc):
            export.abandon()
        else:  # the next command records the notes signed beforehand
            export.keep_for_recovery()
        raise
    export.finish()
    return replace(result, path=output, size=output.stat().st_size)


NOT_PRODUCED = "bundle {name} was not produced ({reason})"


def _record_export(
    ws: Workspace,
    signer: Signer,
    export: Export,
    every: list[SignedEvent],
    items: list[Item],
    tsa: str | None,
    witness: Callable[[int, Note, Tree], Note] | None,
    name: str,
) -> Checkpoint:
    """Record the export events and the checkpoint that covers them in one transaction, with
    the notes an unfinished bundle leaves signed and journalled before it commits."""
    reference = every[0].body["details"]["request_ref"]

    def record() -> None:
        commit_prepared_locked(
            ws.ledger, every, guard=partial(require_prepared_after_checkpoints, ws.ledger)
        )

    def journal_notes(_: Checkpoint) -> None:
        notes = prepare_events(
            ws.ledger,
            signer,
            items,
            "note",
            purpose=f"export for MLA request {reference} failed",
            note=NOT_PRODUCED.format(name=name, reason="the process was interrupted"),
        )
        export.prepare_failure(notes)

    hooks = Hooks(first=record, last=journal_notes)
    return create_stamped(
        ws.ledger, signer, ws.checkpoint_dir, tsa, False, witness, hooks=hooks
    ).checkpoint


def _assemble(
    ws: Workspace,
    signer: Signer,
    case: Case,
    items: list[Item],
    exported: list[SignedEvent],
    output: Path,
    name: str,
    request: MlaRequest,
    cover: CoverRenderer | None,
    reporter: Reporter,
    tsa: str | None = None,
    lang: str = "en",
    excerpts: Sequence[BundleExcerpt] = (),
    case_jsonld: bool = False,
    checkpoint: Checkpoint | None = None,
) -> BundleResult:
    """Manifest, signature, tag files and zip for items whose export events are recorded;
    with `checkpoint`, the log/ files too."""
    paths = {
        item.item_id: f"data/{item.item_id}/{bag_filename(item.original_name)}" for item in items
    }
    # Each chain ends with our export (not recorded yet: it follows the head it was signed on).
    ends = {ev.body["item_id"]: ev for ev in exported}
    chains = {
        item.item_id: [
            *(
                ev
                for ev in chain_of(ws.ledger, item)
                if ev.body["seq"] < ends[item.item_id].body["seq"]
            ),
            ends[item.item_id],
        ]
        for item in items
    }
    # Every signer, and every custodian named in a transfer (whose receipt may be signed under
    # a later certificate of the same key): the recipient can then follow custody by key.
    wanted = {signer.record.fingerprint} | {e.signer for e in excerpts}
    if checkpoint is not None:
        wanted.add(signer_of(checkpoint))
    for chain in chains.values():
        for ev in chain:
            wanted.add(ev.signer)
            wanted.update(p["fingerprint"] for p in (ev.body["from"], ev.body["to"]) if p)
    known = ws.keys.certificates()
    missing = wanted - set(known)
    if missing:
        raise OperationalError(f"certificates of signers {sorted(missing)} are not in the ledger")
    certificates = {fp: known[fp].public_bytes(Encoding.PEM).decode() for fp in wanted}
    entries = [item_entry(item, paths[item.item_id], chains[item.item_id]) for item in items]
    # The root and its records for every certificate named: a recipient who pins the root
    # (seizure protocol, request letter) establishes every custodian, not only the signer.
    trust = export_for(ws.ledger, sorted(wanted))
    evidence = None
    if checkpoint is not None:
        # Every event the bundle carries, its own export events included (recorded with it),
        # and every trust record it carries (a revocation applies by log order).
        records = [
            TrustRecord.from_json(r, "trust record") for r in (trust or {}).get("records", [])
        ]
        evidence = log_evidence(ws, checkpoint, [ev for c in chains.values() for ev in c], records)
    manifest = build_manifest(
        signer,
        case,
        request,
        entries,
        certificates,
        trust,
        [e.entry for e in excerpts],
        ["case.jsonld"] if case_jsonld else [],
        None if evidence is None else declared(evidence),
    )
    data = manifest_bytes(manifest)
    digest = hashlib.sha256(data).hexdigest()
    fp = signer.record.fingerprint
    p7s = sign_detached(signer, data)
    if tsa is not None:  # CAdES-T: an RFC 3161 token over the signature, unsigned attribute
        p7s = add_signature_timestamp(p7s, tsa, "manifest.json.p7s")
    tags: dict[str, bytes] = {
        "manifest.json": data,
        "manifest.json.p7s": p7s,
        "signer.pem": signer.record.certificate_pem.encode(),
    }
    if cover is not None:
        tags["cover.pdf"] = cover(manifest, digest, fp)
    if case_jsonld:
        tags["case.jsonld"] = export_case(ws.ledger, case.number, paths.keys()).data
    log_files = {} if evidence is None else evidence.files
    cert = signer.record.certificate
    tags["VERIFY.txt"] = (
        verify_text(
            name,
            manifest,
            digest,
            fp,
            cover=cover is not None,
            self_signed=cert.issuer == cert.subject,
            lang=lang,
        )
        + log_steps(len(log_files))
        + verify_steps(p7s)
        + excerpt_steps(manifest)
    ).encode()
    tags.update(log_files)
    info = [
        ("Source-Organization", signer.record.organisation),
        ("Contact-Name", signer.record.name),
        ("External-Identifier", request.reference),
        (
            "External-Description",
            f"Evidence of case {case.number} for MLA request {request.reference}",
        ),
        ("Internal-Sender-Identifier", case.number),
        ("Bagging-Date", manifest["created_at"][:10]),
        ("Bag-Software-Agent", f"custody {__version__}"),
    ]
    with tempfile.TemporaryDirectory(prefix="custody-excerpts-") as scratch:
        extra = excerpt_sources(excerpts, Path(scratch))
        payload = {paths[i.item_id]: (i.size, i.digests) for i in items}
        payload.update({path: (i.size, i.digests) for path, _, i in extra})
        all_tags = tag_files(payload, tags, info)
        # Manifest v2: the tag manifest, which lists every other tag file, is signed as well.
        all_tags[TAG_SIGNATURE] = sign_detached(signer, all_tags[TAG_MANIFESTS[0]])
        when = datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
        sources = [(paths[i.item_id], ws.vault.path_for(i.sha256), i) for i in items] + extra
        compressed = write_zip(output, name, sources, all_tags, when.astimezone(UTC), reporter)
    bundled = tuple(
        BundledItem(i.item_id, paths[i.item_id], i.original_name, i.size, compressed[i.item_id])
        for i in items
    ) + tuple(
        BundledItem(
            e.item.item_id,
            e.entry["records_path"],
            "excerpt " + e.ranges,
            len(e.files[e.entry["records_path"]]),
            False,
        )
        for e in excerpts
    )
    return BundleResult(
        output,
        name,
        manifest["manifest_id"],
        digest,
        fp,
        bundled,
        output.stat().st_size,
        cover is not None,
    )


def _record_failure(
    ws: Workspace,
    signer: Signer,
    items: Sequence[Item],
    name: str,
    request: MlaRequest,
    exc: BaseException,
) -> bool:
    """Append a note saying why the bundle was not produced; False if that failed too."""
    reason = f"{type(exc).__name__}: {exc}"[:500]
    # The ledger may be what failed: then the original error is what matters.
    try:
        append_events(
            ws.ledger,
            signer,
            items,
            "note",
            purpose=f"export for MLA request {request.reference} failed",
            note=NOT_PRODUCED.format(name=name, reason=reason),
        )
    except Exception:
        return False
    return True
