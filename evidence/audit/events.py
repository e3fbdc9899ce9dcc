"""Per-event audit work, run in worker processes: the chain rule's per-event checks
(evidence.chain: canonical form, hash, schema, signature) and the ledger row against them.

Each worker opens the ledger read-only and checks one rowid slice, returning its findings and
the few facts the chain checks need, so only small results cross process boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from cryptography import x509

from .. import chain
from ..canonical import parse_canonical
from ..chain import CertificateFault, Fault, check_event
from ..errors import Finding
from ..items import ANALYSIS_ACTIONS
from ..keys import common_name, verify_b64
from ..ledger import LedgerSource, marks, open_source, type_problems
from ..message import Message
from ..signed import digest
from ..validation import event_v2_shape

DETAILED = ("amended", "digests-added", "sealed", "unsealed", "excerpted")


class EventFacts(NamedTuple):
    """What the chain checks need to know about one event (a tuple: workers make one per
    event and send it back, so it is cheap to build and to pickle)."""

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


CERTIFICATES_SQL = "SELECT fingerprint, pem FROM certificates"


def load_certificates(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, x509.Certificate], list[Message]]:
    """The certificates of `CERTIFICATES_SQL` rows by fingerprint, and what is wrong with any."""
    problems: list[Message] = []
    pems: list[tuple[str, str]] = []
    for row in rows:
        fp, pem = row["fingerprint"], row["pem"]
        wrong = type_problems("certificates", {"fingerprint": fp, "pem": pem})
        if wrong:
            problems.append(
                Message(
                    "certificate row {fingerprint!r}: {wrong}",
                    fingerprint=str(fp)[:16],
                    wrong=Message.joined("; ", wrong),
                )
            )
        else:
            pems.append((fp, pem))
    certs, faults = chain.load_certificates(pems)
    problems += [
        Message(
            "certificate {fingerprint} in the ledger {fault}",
            fingerprint=fp[:16],
            fault=_CERTIFICATE[f],
        )
        for fp, f, _ in faults
    ]
    return certs, problems


_CERTIFICATE = {
    CertificateFault.NOT_PEM: Message("is not a valid certificate"),
    CertificateFault.FINGERPRINT: Message("does not match its fingerprint"),
    CertificateFault.KEY: Message("has a key that cannot be used"),
}


_COLUMNS = "SELECT event_id, item_id, seq, hash, body, signature, signer FROM events "


def verify_slice(
    source: LedgerSource, lo: int, hi: int, wanted: list[str] | None
) -> tuple[list[Finding], list[EventFacts]]:
    """Check events with rowid in [lo, hi] (only of items in `wanted`, if given), in rowid
    order."""
    return _verify(
        source, _COLUMNS + "WHERE rowid BETWEEN $1 AND $2 ORDER BY rowid", (lo, hi), wanted
    )


def verify_items(source: LedgerSource, item_ids: list[str]) -> list[EventFacts]:
    """The facts of every event of these items, in rowid order (their findings were reported
    already: the audit re-reads items whose events a stream met out of order)."""
    facts: list[EventFacts] = []
    for start in range(0, len(item_ids), 500):
        chunk = tuple(item_ids[start : start + 500])
        sql = _COLUMNS + f"WHERE item_id IN ({marks(len(chunk))}) ORDER BY rowid"
        facts += _verify(source, sql, chunk, None)[1]
    return facts


_KEEP_DETAILS = frozenset((*ANALYSIS_ACTIONS, *DETAILED))


def _good(
    row: tuple[Any, ...], keys: Mapping[str, object], names: Mapping[str, str | None]
) -> EventFacts | None:
    """The facts of an event that passes every check below, or None: then the general path
    (check_event) checks it again and words each finding. The same checks, in the order
    cheapest first, for the common case alone (a custody-event/2 row of the expected types,
    its bytes canonical, its shape checked by hand): no finding can be lost, as anything else
    is left to the general path, and no Python object is made but the facts."""
    event_id, item_id, seq, row_hash, text, signature, signer = row
    if not (
        type(text) is str
        and type(event_id) is str
        and type(item_id) is str
        and type(seq) is int
        and type(row_hash) is str
        and type(signature) is str
        and type(signer) is str
    ):
        return None
    data = text.encode()
    try:
        body, canonical = parse_canonical(data)
    except (ValueError, RecursionError):
        return None
    if not canonical or not event_v2_shape(body) or digest(data) != row_hash:
        return None
    actor = body["actor"]
    key = keys.get(signer)
    if (
        actor["fingerprint"] != signer
        or key is None
        or actor["name"] != names[signer]
        or body["item_id"] != item_id
        or body["seq"] != seq
        or body["event_id"] != event_id
        or not verify_b64(key, data, signature)
    ):
        return None
    action = body["action"]
    return EventFacts(
        item_id,
        seq,
        row_hash,
        body["prev"],
        body["item_sha256"],
        body["case"],
        action,
        signer,
        body["at"],
        body["details"] if seq == 1 or action in _KEEP_DETAILS else None,
        True,
    )


def _verify(
    source: LedgerSource, sql: str, params: tuple[Any, ...], wanted: list[str] | None
) -> tuple[list[Finding], list[EventFacts]]:
    ledger = open_source(source)
    try:
        certs, _ = load_certificates(ledger.rows(CERTIFICATES_SQL))
        rows = ledger.tuples(sql, params)
    finally:
        ledger.close()
    keep = None if wanted is None else set(wanted)
    keys = {fp: cert.public_key() for fp, cert in certs.items()}  # parsed once, not per event
    names = {fp: common_name(cert) for fp, cert in certs.items()}
    findings: list[Finding] = []
    facts: list[EventFacts] = []
    for row_values in rows:
        event_id, item_id, seq, row_hash, text, signature, signer = row_values
        if keep is not None and item_id not in keep:
            continue
        good = _good(row_values, keys, names)
        if good is not None:
            facts.append(good)
            continue
        subject = Message("item {item_id} event #{seq}", item_id=item_id, seq=seq)
        row = {"event_id": event_id, "item_id": item_id, "seq": seq, "hash": row_hash}
        wrong = type_problems(
            "events", {**row, "body": text, "signature": signature, "signer": signer}
        )
        if wrong:
            # Not even the row's shape holds: report it; the chain check notes the gap it leaves.
            findings.append(
                Finding(
                    "chains",
                    subject,
                    Message("ledger row damaged: {wrong}", wrong=Message.joined("; ", wrong)),
                )
            )
            continue

        def add(check: str, message: Message, subject: str = subject) -> None:
            findings.append(Finding(check, subject, message))

        checked = check_event(text.encode(), row_hash, signature, signer, keys)
        body = checked.body
        for fault, detail in checked.faults:
            if fault is Fault.NOT_JSON:
                not_json = detail.startswith("is not JSON")
                add(
                    "schema",
                    Message("event body is not JSON")
                    if not_json
                    else Message("event body is not a JSON object"),
                )
            elif fault is Fault.SCHEMA:
                add("schema", Message("not valid against its schema: {detail}", detail=detail))
            elif fault is Fault.NOT_CANONICAL:
                add("hashes", Message("event body is not canonical JSON (RFC 8785)"))
            elif fault is Fault.HASH:
                add(
                    "hashes",
                    Message("stored hash does not match the event's bytes (event edited?)"),
                )
        if body is None:
            facts.append(EventFacts(item_id, seq, row_hash, None, None, None, None))
            continue
        if body.get("item_id") != item_id or body.get("seq") != seq:
            add(
                "chains",
                Message("ledger row's item/sequence differ from the signed event (moved?)"),
            )
        if body.get("event_id") != event_id:
            add("chains", Message("ledger row's event id differs from the signed event"))
        actor: dict[str, Any] = body.get("actor") if isinstance(body.get("actor"), dict) else {}
        actor_fp = actor.get("fingerprint")
        if not isinstance(actor_fp, str):
            actor_fp = ""
        if checked.has(Fault.SIGNER):
            add("signatures", Message("ledger row's signer differs from the event's actor"))
        if checked.has(Fault.UNKNOWN_SIGNER):
            add(
                "certificates",
                Message("signer {signer!r} is not a key of this workspace", signer=actor_fp[:16]),
            )
        elif actor.get("name") != names[actor_fp]:
            add(
                "certificates",
                Message(
                    "actor name {name!r} is not the signer certificate's {signer!r}",
                    name=actor.get("name"),
                    signer=names[actor_fp],
                ),
            )
        if checked.has(Fault.SIGNATURE):
            add(
                "signatures",
                Message(
                    "signature by {name!r} is not valid for this event", name=actor.get("name")
                ),
            )
        actual_hash, signature_ok = checked.hash, checked.signature_ok
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
