"""Excerpts in a bundle: the disclosed records and their proof travel instead of the whole file.

`bundle --excerpt ITEM:RANGES` sends the records of a recorded `excerpted` event of ITEM as
`data/<item-id>/<item-id>.records.txt` with `data/<item-id>/<item-id>.proof.json` (formats in
evidence.excerpt.proof). The manifest (evidence-manifest/3, written only when a bundle holds an
excerpt) lists them under `excerpts`: the two paths and their SHA-256, the original's SHA-256,
size and record count, the disclosed ranges and the hash of the signed `excerpted` event. The
item's profile, metadata, name and custody chain do not travel (they are drawn from, or name,
what is not disclosed); the `excerpted` event inside the proof, signed and checked like any
custody event, is what states the commitment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..custody import prepare_events
from ..errors import UsageError, VerificationError
from ..events import SignedEvent
from ..excerpt.disclose import excerpt_files, excerpt_for_event, latest_excerpt
from ..excerpt.proof import ExcerptVerdict, unreadable, verify_excerpt
from ..hashing import Digests
from ..items import Item, get_item
from ..keys import Signer, fingerprint
from ..message import Message
from ..messages import Words
from ..workspace import Workspace
from .checklist import Checklist
from .manifest import MlaRequest
from .names import is_excerpt_file as is_excerpt_file  # its home is names.py (light to import)
from .verifytext import EN, RU

CHECK = "excerpt"


@dataclass(frozen=True)
class BundleExcerpt:
    """One excerpt ready for a bundle: its files and its manifest entry."""

    item: Item
    ranges: str
    files: dict[str, bytes]  # bag path -> bytes
    entry: dict[str, Any]
    signer: str  # fingerprint of the excerpted event's signer


def parse_spec(spec: str) -> tuple[str, str]:
    """ "802cad:120-180,212" -> ("802cad", "120-180,212")."""
    ref, sep, ranges = spec.partition(":")
    if not sep or not ref.strip() or not ranges.strip():
        raise UsageError(f"--excerpt {spec!r}: write ITEM:RANGES, e.g. 802cad:120-180,212")
    return ref.strip(), ranges.strip()


def prepare_excerpts(ws: Workspace, case: str, specs: Sequence[str]) -> list[BundleExcerpt]:
    """The excerpts --excerpt names, each rebuilt from the vault and its recorded event."""
    made: list[BundleExcerpt] = []
    certificates = ws.keys.certificates()
    for spec in specs:
        ref, ranges = parse_spec(spec)
        item = get_item(ws.ledger, ref)
        if item.case_number != case:
            raise UsageError(f"--excerpt {spec}: item {item.item_id} is of case {item.case_number}")
        if any(m.item.item_id == item.item_id for m in made):
            raise UsageError(f"--excerpt names item {item.item_id} twice")
        event = latest_excerpt(ws, item, ranges)
        excerpt = excerpt_for_event(ws, event)
        cert = certificates.get(event.signer)
        if cert is None:
            raise UsageError(f"certificate {event.signer[:16]} of the excerpt's signer is unknown")
        pem = cert.public_bytes(Encoding.PEM).decode()
        named = excerpt_files(excerpt, event, pem)
        folder = f"data/{item.item_id}"
        files = {f"{folder}/{name}": data for name, data in named.items()}
        records_path, proof_path = sorted(files, key=lambda p: not p.endswith(".records.txt"))
        entry = {
            "item_id": item.item_id,
            "records_path": records_path,
            "records_sha256": hashlib.sha256(files[records_path]).hexdigest(),
            "proof_path": proof_path,
            "proof_sha256": hashlib.sha256(files[proof_path]).hexdigest(),
            "original": {
                "sha256": item.sha256,
                "size": item.size,
                "records": excerpt.commitment.count,
            },
            "records": excerpt.ranges,
            "disclosed": len(excerpt.numbers),
            "event_hash": event.hash,
        }
        made.append(BundleExcerpt(item, excerpt.ranges, files, entry, event.signer))
    return made


def excerpt_exports(
    ws: Workspace,
    signer: Signer,
    excerpts: Sequence[BundleExcerpt],
    request: MlaRequest,
    name: str,
) -> list[SignedEvent]:
    """The `exported` events (prepared, not recorded) saying which records of each item left."""
    return [
        ev
        for e in excerpts
        for ev in prepare_events(
            ws.ledger,
            signer,
            [e.item],
            "exported",
            purpose=f"excerpt sent with MLA request {request.reference} to "
            f"{request.requested_state}",
            details={
                "request_ref": request.reference,
                "bundle": name,
                "excerpt": e.ranges,
                "excerpt_event": e.entry["event_hash"],
                "requested_state": request.requested_state,
                "addressee": request.addressee,
            },
        )
    ]


def excerpt_sources(
    excerpts: Sequence[BundleExcerpt], scratch: Path
) -> list[tuple[str, Path, Item]]:
    """The excerpts' payload files written into scratch (a private temporary folder), as
    (bag path, file, stand-in item with their size and digests) for the zip writer."""
    sources = []
    for e in excerpts:
        for path, data in e.files.items():
            file = scratch / path.rsplit("/", 1)[-1]
            file.write_bytes(data)
            digests = Digests(hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest())
            stand_in = replace(e.item, item_id=path, digests=digests, size=len(data))
            sources.append((path, file, stand_in))
    return sources


def excerpt_steps(manifest: Mapping[str, Any]) -> str:
    """What VERIFY.txt says about the excerpts of a bundle (nothing when it has none): in
    English, then in Russian (ru.po), as the rest of VERIFY.txt."""
    entries = manifest.get("excerpts", [])
    if not entries:
        return ""
    return (
        f"\n{EN.t('EXCERPTS')} / {RU.t('EXCERPTS')}\n\n"
        + _excerpt_text(EN, entries)
        + "\n"
        + _excerpt_text(RU, entries)
    )


def _excerpt_text(words: Words, entries: Sequence[Mapping[str, Any]]) -> str:
    listed = "".join(
        words.t(
            "  {path}  records {records} ({disclosed} of {total}) of an original with"
            " SHA-256 {sha256}\n",
            path=e["records_path"],
            records=e["records"],
            disclosed=e["disclosed"],
            total=e["original"]["records"],
            sha256=e["original"]["sha256"],
        )
        for e in entries
    )
    command = f"python3 check_excerpt.py {words.t('RECORDS-FILE')} {words.t('PROOF-FILE')}\n"
    return (
        words.t(
            "Some evidence travels as an excerpt: only the records (messages, rows) the"
            " request\nneeds, each file beside its proof (.proof.json):\n"
        )
        + listed
        + words.t(
            "Steps 1-4 above prove these files are the ones the sender signed. They do NOT"
            " prove\nthat the records are, byte for byte and in place, records of the"
            " original sealed file:\nthat is the proof's work, and needs `custody"
            " verify`, or the standalone checker printed in\nfull in the custody"
            ' documentation (docs/bundle.md, "Excerpts"; Python 3 standard\nlibrary'
            " only):  "
        )
        + command
    )


def check_excerpts(
    manifest: Mapping[str, Any],
    read: Callable[[str], bytes | None],
    certs: Mapping[str, x509.Certificate],
    checks: Checklist,
) -> tuple[ExcerptVerdict, ...]:
    """Every excerpt the manifest lists: its files as signed, its proof against the root its
    signed `excerpted` event states, and that event's signer one of the manifest's."""
    verdicts = []
    for entry in manifest.get("excerpts", []):
        subject = Message("excerpt of item {item_id}", item_id=entry["item_id"])
        records, proof = read(entry["records_path"]), read(entry["proof_path"])
        if records is None or proof is None:
            checks.fail(
                CHECK, subject, Message("its records or proof file is missing from the bundle")
            )
            continue
        if hashlib.sha256(records).hexdigest() != entry["records_sha256"] or (
            hashlib.sha256(proof).hexdigest() != entry["proof_sha256"]
        ):
            checks.fail(
                CHECK, subject, Message("its records or proof file differs from the manifest")
            )
            continue
        try:
            verdict = verify_excerpt(records, proof, subject)
        except VerificationError as exc:  # one precise failure, worded by the proof check
            checks.fail(CHECK, subject, exc.findings[0].message)
            continue
        except Exception as exc:  # a proof shaped so that reading it fails some other way
            checks.fail(CHECK, subject, unreadable(exc))
            continue
        wrong = _against_manifest(entry, verdict, certs)
        if wrong:
            checks.fail(CHECK, subject, wrong)
            continue
        verdicts.append(verdict)
    if verdicts:
        checks.ok(
            CHECK,
            "excerpts",
            Message.joined("; ", (v.summary() for v in verdicts)),
        )
    return tuple(verdicts)


def _against_manifest(
    entry: Mapping[str, Any], verdict: ExcerptVerdict, certs: Mapping[str, x509.Certificate]
) -> Message | None:
    original = entry["original"]
    if (verdict.item_id, verdict.sha256, verdict.size, verdict.count) != (
        entry["item_id"],
        original["sha256"],
        original["size"],
        original["records"],
    ):
        return Message("the proof is of another original than the manifest names")
    if verdict.event_hash != entry["event_hash"]:
        return Message("the proof's excerpted event is not the one the manifest names")
    if verdict.ranges != entry["records"] or verdict.disclosed != entry["disclosed"]:
        return Message(
            "the proof discloses {ranges}, the manifest {records}",
            ranges=verdict.ranges,
            records=entry["records"],
        )
    if verdict.signer not in certs or fingerprint(certs[verdict.signer]) != verdict.signer:
        return Message("the excerpted event's signer is not among the manifest's certificates")
    return None
