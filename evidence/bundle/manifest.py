"""The manifest (evidence-manifest/4): built from the ledger, read back and checked from a bundle.

Version 2 adds no field a version-1 reader relied on: it declares that the bag also carries
tagmanifest-sha256.txt.p7s (every tag file under a signature), and allows `trust`. Version 3
adds excerpts and optional tag files. Version 4 adds `log`, which declares the log the bag
carries (its checkpoint, origin, size and number of proofs), so that a log stripped or cut down
is caught. Bundles of versions 1 to 3 are still read and verified against their own schema.

The manifest is the signed statement of a bundle: issuer, case, request, and for every item its
file, digests, metadata, profile and complete custody chain, with the certificate of every actor
who signed an event of it. Everything a recipient needs to check the chains is inside.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import rfc8785
from cryptography import x509

from .. import chain
from ..canonical import canonical_bytes, canonical_sha256, parse_json
from ..cases import Case
from ..chain import BodyLink, CertificateFault, Fault, Link, check_event, check_links
from ..corrections import facts_of, replay
from ..errors import EvidenceError, Finding, UsageError
from ..events import EVENT, SignedEvent
from ..items import Item
from ..keys import Signer
from ..message import Message
from ..timefmt import utc_now
from ..validation import MANIFEST_SCHEMA, schema_errors

SCHEMA_ID = "evidence-manifest/2"
# Every version we verify, and its JSON Schema file.
# Written only when a bundle holds excerpts (evidence.bundle.excerpts), so a bundle without
# them still verifies with tools that know version 2.
EXCERPT_SCHEMA_ID = "evidence-manifest/3"
# Every bundle made with the log declares it: version 4 (`log`).
LOG_SCHEMA_ID = "evidence-manifest/4"
SCHEMAS = {
    "evidence-manifest/1": MANIFEST_SCHEMA,
    SCHEMA_ID: "manifest-2.schema.json",
    EXCERPT_SCHEMA_ID: "manifest-3.schema.json",
    LOG_SCHEMA_ID: "manifest-4.schema.json",
}
MAX_MANIFEST = 256 << 20
MAX_FINDINGS_PER_ITEM = 20


@dataclass(frozen=True)
class MlaRequest:
    """The mutual legal assistance request the evidence is sent with."""

    reference: str
    legal_basis: str
    requesting_authority: str
    requested_state: str
    addressee: str
    date: str

    def to_json(self) -> dict[str, str]:
        """The manifest's `request` object."""
        return {
            "kind": "MLA",
            "reference": self.reference,
            "date": self.date,
            "legal_basis": self.legal_basis,
            "requesting_authority": self.requesting_authority,
            "requested_state": self.requested_state,
            "addressee": self.addressee,
        }

    def problems(self) -> list[str]:
        """Every reason the schema would refuse this request, each naming the option to fix."""
        found = [
            f"{option} must not be empty"
            for option, value in (
                ("--request-ref", self.reference),
                ("--legal-basis", self.legal_basis),
                ("--requesting-authority", self.requesting_authority),
                ("--addressee", self.addressee),
            )
            if not value.strip()
        ]
        if not re.fullmatch(r"[A-Z]{2}", self.requested_state):
            found.append(
                f"--requested-state {self.requested_state!r} must be a two-letter country code"
                " (ISO 3166-1 alpha-2: RU, KZ, DE...)"
            )
        try:
            date.fromisoformat(self.date)
            valid = re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date) is not None
        except ValueError:
            valid = False
        if not valid:
            found.append(f"--request-date {self.date!r} is not a date like 2026-11-25")
        return found

    def check(self) -> None:
        """Refuse a request the schema would refuse, with every option to fix named."""
        found = self.problems()
        if found:
            raise UsageError("; ".join(found))


def item_entry(item: Item, path: str, chain: Sequence[SignedEvent]) -> dict[str, Any]:
    """One `items[]` entry: the item's facts, its file in the bag and its complete chain."""
    item = facts_of(item, chain).item  # as corrected by the chain's signed amendments
    return {
        "item_id": item.item_id,
        "path": path,
        "size": item.size,
        "media_type": item.media_type,
        "evidence_type": item.evidence_type,
        "original_name": item.original_name,
        "digests": item.digests.to_json(),
        "acquired": {"at": item.acquired_at, "method": item.acquisition_method},
        "source": item.source,
        "metadata": item.metadata,
        "profile": item.profile,
        "custody": [{**ev.to_json(), "signer": ev.signer} for ev in chain],
    }


def build_manifest(
    signer: Signer,
    case: Case,
    request: MlaRequest,
    entries: Sequence[dict[str, Any]],
    certificates: Mapping[str, str],
    trust: Mapping[str, Any] | None = None,
    excerpts: Sequence[dict[str, Any]] = (),
    tag_files: Sequence[str] = (),
    log: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest dict; certificates maps fingerprint -> PEM and must cover every signer.

    trust, when given, is the `trust` object (anchor and signed records) that lets a recipient
    establish every custodian from the workspace's root; see schemas/manifest-2.schema.json.
    log, when given, declares the log/ files the bag carries (version 4, logproofs.declared).
    """
    record = signer.record
    manifest = {
        "schema": SCHEMA_ID,
        "manifest_id": uuid.uuid4().hex,
        "created_at": utc_now(),
        "issuer": {
            "name": record.name,
            "organisation": record.organisation,
            "country": record.country,
            "fingerprint": record.fingerprint,
        },
        "case": {
            "number": case.number,
            "title": case.title,
            "jurisdiction": case.jurisdiction,
            "legal_basis": case.legal_basis,
        },
        "request": request.to_json(),
        "items": list(entries),
        "certificates": dict(sorted(certificates.items())),
    }
    if trust is not None:
        manifest["trust"] = dict(trust)
    if excerpts:
        manifest["schema"] = EXCERPT_SCHEMA_ID
        manifest["excerpts"] = list(excerpts)
    if tag_files:  # optional tag files (case.jsonld), named so the file count holds
        manifest["schema"] = EXCERPT_SCHEMA_ID
        manifest["tag_files"] = list(tag_files)
    if log is not None:
        manifest["schema"] = LOG_SCHEMA_ID
        manifest["log"] = dict(log)
    return manifest


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a manifest we built; a manifest our own schema refuses is a bug."""
    problems = schema_errors(SCHEMAS[str(manifest["schema"])], manifest)
    if problems:
        raise EvidenceError(f"internal error: the manifest built is not valid: {problems[0]}")
    return canonical_bytes(dict(manifest))


def read_manifest(data: bytes) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Parse manifest.json from a bundle: JSON, canonical, known schema version, schema-valid.

    Returns the manifest only when it passed all four, so later checks can trust its shape.
    """
    where = "manifest.json"
    if len(data) > MAX_MANIFEST:
        return None, [
            Finding("manifest.json", where, Message("{size} bytes: too large", size=len(data)))
        ]
    try:
        value = parse_json(data)
    except (ValueError, RecursionError) as exc:
        return None, [Finding("manifest.json", where, Message("not JSON ({exc})", exc=exc))]
    if not isinstance(value, dict):
        return None, [Finding("manifest.json", where, Message("not a JSON object"))]
    findings = []
    try:
        canonical = canonical_bytes(value) == data
    except (rfc8785.CanonicalizationError, ValueError, RecursionError):
        canonical = False
    if not canonical:
        findings.append(
            Finding(
                "manifest.json",
                where,
                Message("not canonical JSON (RFC 8785): it was re-serialised"),
            )
        )
    version = value.get("schema")
    if not isinstance(version, str) or version not in SCHEMAS:  # a list is unhashable
        findings.append(
            Finding(
                "manifest.schema",
                where,
                Message(
                    "unknown schema version {version!r}; this tool reads {schemas}",
                    version=version,
                    schemas=", ".join(SCHEMAS),
                ),
            )
        )
        return None, findings
    problems = schema_errors(SCHEMAS[str(version)], value)
    findings += [Finding("manifest.schema", where, p) for p in problems[:MAX_FINDINGS_PER_ITEM]]
    return (None if problems else value), findings


_CERTIFICATE_MESSAGES = {
    CertificateFault.NOT_PEM: "not a PEM certificate",
    CertificateFault.FINGERPRINT: "certificate has another fingerprint",
    CertificateFault.KEY: "unusable key ({detail})",
}


def load_certificates(
    manifest: Mapping[str, Any],
) -> tuple[dict[str, x509.Certificate], list[Finding]]:
    """Parse the manifest's certificates; each must hash to the fingerprint it is filed under."""
    certs, faults = chain.load_certificates(manifest["certificates"].items())
    findings = [
        Finding("manifest.certificates", fp[:16], Message(_CERTIFICATE_MESSAGES[fault], detail=d))
        for fp, fault, d in faults
    ]
    if manifest["issuer"]["fingerprint"] not in certs:
        findings.append(
            Finding(
                "manifest.certificates", "issuer", Message("issuer certificate is not included")
            )
        )
    return certs, findings


def signed_events(entry: Mapping[str, Any]) -> list[SignedEvent]:
    """An entry's custody records as SignedEvent objects, in the order given."""
    return [SignedEvent(r["event"], r["hash"], r["signature"]) for r in entry["custody"]]


_CHAIN_MESSAGES = {
    Fault.NOT_JSON: "is not a JSON object",
    Fault.SCHEMA: "not a valid custody event: {detail}",
    Fault.NOT_CANONICAL: "cannot be canonicalised",
    Fault.HASH: "event was altered: its SHA-256 differs from the recorded hash",
    Fault.SEQ: "seq is {seq!r}, expected {position}: events out of order",
    Fault.PREV: "prev does not link to the previous event (chain broken)",
    Fault.ITEM: "belongs to another item",
    Fault.CASE: "belongs to another case",
    Fault.ITEM_SHA256: "records another SHA-256 for the item",
    Fault.SIGNER: "signer fingerprint differs from the event's actor",
    Fault.UNKNOWN_SIGNER: "the signer's certificate is not in the manifest",
    Fault.SIGNATURE: "signature does not verify with the actor's certificate",
}
_ORDER = list(_CHAIN_MESSAGES)


def check_chain(
    entry: Mapping[str, Any],
    case_number: str,
    request_ref: str,
    certificates: Mapping[str, x509.Certificate],
) -> list[Finding]:
    """Every check on one item's custody chain; returns all failures (empty when it holds).

    The chain rule is evidence.chain's, as the audit applies it; here only its wording and
    the bundle's own rule (the chain ends with the export for this request)."""
    subject = Message("item {item_id}", item_id=entry["item_id"])
    keys = {fp: cert.public_key() for fp, cert in certificates.items()}
    faults: list[list[tuple[Fault, str]]] = []
    links: list[Link | None] = []
    for record in entry["custody"]:
        event = record["event"]
        try:
            data = canonical_bytes(event)
        except (rfc8785.CanonicalizationError, ValueError):
            schema = [(Fault.SCHEMA, p) for p in EVENT.schema_problems(event)[:1]]
            faults.append([*schema, (Fault.NOT_CANONICAL, "")])
            links.append(None)
            continue
        checked = check_event(data, record["hash"], record["signature"], record["signer"], keys)
        faults.append(list(checked.faults))
        links.append(BodyLink.of(event, record["hash"]))
    for broken in check_links(links, entry["item_id"], case_number, entry["digests"]["sha256"]):
        faults[broken.position - 1].append((broken.fault, ""))
    findings: list[Finding] = []
    for position, (record, found) in enumerate(zip(entry["custody"], faults, strict=True), 1):
        for fault, detail in sorted(found, key=lambda f: _ORDER.index(f[0])):
            message = Message(
                _CHAIN_MESSAGES[fault],
                detail=detail,
                seq=record["event"].get("seq"),
                position=position,
            )
            findings.append(
                Finding(
                    "item.chain",
                    Message("{subject} event {position}", subject=subject, position=position),
                    message,
                )
            )
    if entry["custody"]:
        first = entry["custody"][0]["event"]
        last = entry["custody"][-1]["event"]
        findings += _check_first(entry, first, subject)
        details = _details(last)
        if last.get("action") != "exported" or details.get("request_ref") != request_ref:
            findings.append(
                Finding(
                    "item.chain",
                    Message("{subject} last event", subject=subject),
                    Message("is not the export for this request: the chain is incomplete"),
                )
            )
    return findings[:MAX_FINDINGS_PER_ITEM]


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An event's details; anything but an object (a schema finding already) counts as none."""
    details = event.get("details")
    return details if isinstance(details, dict) else {}


def _check_first(entry: Mapping[str, Any], first: Mapping[str, Any], subject: str) -> list[Finding]:
    """The facts recorded when the item was ingested, with the chain's signed corrections
    applied, must match what the manifest says now."""
    details = dict(_details(first))
    events = [r["event"] for r in entry["custody"] if isinstance(r, dict)]
    done = replay(details, [e for e in events if isinstance(e, dict)])
    details.update({k: v for k, v in done.values.items() if k in details})
    acquired = entry["acquired"] if isinstance(entry.get("acquired"), dict) else {}
    expected: dict[str, Any] = {
        "size": entry["size"],
        "original_name": entry["original_name"],
        "digests": entry["digests"],
        "media_type": entry["media_type"],
        "evidence_type": entry["evidence_type"],
        "source": entry["source"],
        "acquired_at": acquired.get("at"),
        "acquisition_method": acquired.get("method"),
    }
    try:
        expected["metadata_sha256"] = canonical_sha256(entry["metadata"])
        expected["profile_sha256"] = (
            None if entry["profile"] is None else canonical_sha256(entry["profile"])
        )
    except (rfc8785.CanonicalizationError, ValueError):
        return [
            Finding("item.facts", subject, Message("metadata or profile cannot be canonicalised"))
        ]
    return [
        Finding(
            "item.facts", subject, Message("{key} differs from what was signed at ingest", key=key)
        )
        for key, value in expected.items()
        if key in details and details[key] != value
    ] + [
        Finding("item.facts", Message("{subject} event {seq}", subject=subject, seq=seq), problem)
        for seq, problem in done.problems
    ]
