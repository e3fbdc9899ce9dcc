"""Per-event audit work, run in worker processes: canonical form, hash, schema, signature.

Each worker opens the ledger read-only and checks one rowid slice, returning its findings and
the few facts the chain checks need, so only small results cross process boundaries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ..canonical import canonical_bytes
from ..errors import Finding
from ..items import ANALYSIS_ACTIONS
from ..keys import common_name, fingerprint, verify_b64
from ..ledger import LedgerSource, open_source, type_problems
from ..validation import event_errors

DETAILED = ("amended", "digests-added", "sealed", "unsealed", "excerpted")


@dataclass(frozen=True)
class EventFacts:
    """What the chain checks need to know about one event."""

    item_id: str
    seq: int
    hash: str
    prev: str | None
    item_sha256: str | None
    case: str | None
    action: str | None
    actor: str | None = None
    at: str | None = None
    # Details of the first event (the signed ingest facts the item row is checked on), of
    # analysis events (`profiled`, `retyped`: the profile is checked against them) and of the
    # events the correction and seal checks read; None for the rest.
    details: dict[str, Any] | None = None
    signature_ok: bool = False


def _is_canonical(text: str, body: Any) -> bool:
    # Fast path: for ASCII keys and no floats, sorted compact json.dumps is RFC 8785. Fall back
    # to the real canonicaliser whenever they disagree, so the fast path can never pass a fake.
    fast = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if fast == text:
        return True
    try:
        return canonical_bytes(body) == text.encode()
    except Exception:
        return False


CERTIFICATES_SQL = "SELECT fingerprint, pem FROM certificates"


def load_certificates(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, x509.Certificate], list[str]]:
    """The certificates of `CERTIFICATES_SQL` rows by fingerprint, and what is wrong with any."""
    certs: dict[str, x509.Certificate] = {}
    problems: list[str] = []
    for row in rows:
        fp, pem = row["fingerprint"], row["pem"]
        wrong = type_problems("certificates", {"fingerprint": fp, "pem": pem})
        if wrong:
            problems.append(f"certificate row {str(fp)[:16]!r}: {'; '.join(wrong)}")
            continue
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            problems.append(f"certificate {fp[:16]} in the ledger is not a valid certificate")
            continue
        if fingerprint(cert) != fp:
            problems.append(f"certificate {fp[:16]} in the ledger does not match its fingerprint")
            continue
        certs[fp] = cert
    return certs, problems


def verify_slice(
    source: LedgerSource, lo: int, hi: int, wanted: list[str] | None
) -> tuple[list[Finding], list[EventFacts]]:
    """Check events with rowid in [lo, hi] (only of items in `wanted`, if given)."""
    ledger = open_source(source)
    try:
        certs, _ = load_certificates(ledger.rows(CERTIFICATES_SQL))
        rows = [
            (
                r["event_id"],
                r["item_id"],
                r["seq"],
                r["hash"],
                r["body"],
                r["signature"],
                r["signer"],
            )
            for r in ledger.rows(
                "SELECT event_id, item_id, seq, hash, body, signature, signer FROM events "
                "WHERE rowid BETWEEN ? AND ?",
                (lo, hi),
            )
        ]
    finally:
        ledger.close()
    keep = None if wanted is None else set(wanted)
    keys = {fp: cert.public_key() for fp, cert in certs.items()}  # parsed once, not per event
    names = {fp: common_name(cert) for fp, cert in certs.items()}
    findings: list[Finding] = []
    facts: list[EventFacts] = []
    for event_id, item_id, seq, row_hash, text, signature, signer in rows:
        if keep is not None and item_id not in keep:
            continue
        subject = f"item {item_id} event #{seq}"
        row = {"event_id": event_id, "item_id": item_id, "seq": seq, "hash": row_hash}
        wrong = type_problems(
            "events", {**row, "body": text, "signature": signature, "signer": signer}
        )
        if wrong:
            # Not even the row's shape holds: report it; the chain check notes the gap it leaves.
            findings.append(Finding("chains", subject, f"ledger row damaged: {'; '.join(wrong)}"))
            continue

        def add(check: str, message: str, subject: str = subject) -> None:
            findings.append(Finding(check, subject, message))

        data = text.encode()
        try:
            body = json.loads(text)
        except ValueError:
            add("schema", "event body is not JSON")
            facts.append(EventFacts(item_id, seq, row_hash, None, None, None, None))
            continue
        if not isinstance(body, dict):
            add("schema", "event body is not a JSON object")
            facts.append(EventFacts(item_id, seq, row_hash, None, None, None, None))
            continue
        problems = event_errors(body)
        if problems:
            add("schema", f"not valid against its schema: {problems[0]}")
        if not _is_canonical(text, body):
            add("hashes", "event body is not canonical JSON (RFC 8785)")
        actual_hash = hashlib.sha256(data).hexdigest()
        if actual_hash != row_hash:
            add("hashes", "stored hash does not match the event's bytes (event edited?)")
        if body.get("item_id") != item_id or body.get("seq") != seq:
            add("chains", "ledger row's item/sequence differ from the signed event (moved?)")
        if body.get("event_id") != event_id:
            add("chains", "ledger row's event id differs from the signed event")
        actor = body.get("actor")
        if not isinstance(actor, dict):
            actor = {}
        actor_fp = actor.get("fingerprint")
        if actor_fp != signer:
            add("signatures", "ledger row's signer differs from the event's actor")
        if not isinstance(actor_fp, str):
            actor_fp = ""
        public_key = keys.get(actor_fp)
        signature_ok = public_key is not None and verify_b64(public_key, data, signature)
        if public_key is None:
            add("certificates", f"signer {actor_fp[:16]!r} is not a key of this workspace")
        elif actor.get("name") != names[actor_fp]:
            add(
                "certificates",
                f"actor name {actor.get('name')!r} is not the signer certificate's "
                f"{names[actor_fp]!r}",
            )
        if public_key is not None and not signature_ok:
            add("signatures", f"signature by {actor.get('name')!r} is not valid for this event")
        details = body.get("details")
        facts.append(
            EventFacts(
                item_id=item_id,
                seq=seq,
                hash=actual_hash,
                prev=body.get("prev"),
                item_sha256=body.get("item_sha256"),
                case=body.get("case"),
                action=body.get("action"),
                actor=actor_fp or None,
                at=body.get("at") if isinstance(body.get("at"), str) else None,
                details=details
                if isinstance(details, dict)
                and (seq == 1 or body.get("action") in ANALYSIS_ACTIONS + DETAILED)
                else None,
                signature_ok=signature_ok,
            )
        )
    return findings, facts
