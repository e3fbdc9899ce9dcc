"""Row audit: the append-only triggers, and every column of the keys and certificates tables
bound to something signed (the certificate itself, or the authority's enrolment record).

- certificates: `fingerprint`, `not_before`, `not_after` and `pem` derive from the certificate;
  `key_id` from its public key; `added_at` is what the enrolment record signed.
- keys: `key_id` must be the key of every certificate filed under it; name, organisation,
  country and role must be the certificate's subject; `created_at` is what the enrolment signed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..keys import fingerprint, subject_attribute
from ..ledger import Ledger, select_all, type_problems
from ..message import Message
from ..timefmt import format_utc
from ..trust.records import TrustRecord, certificate_key_id, certificate_pem

Add = Callable[[str, str, Message], None]

_SUBJECT = {
    "name": NameOID.COMMON_NAME,
    "organisation": NameOID.ORGANIZATION_NAME,
    "country": NameOID.COUNTRY_NAME,
    "role": NameOID.TITLE,
}


def check_triggers(ledger: Ledger, add: Add) -> None:
    """Every append-only trigger is present as made, and no other trigger exists (each backend
    knows what its triggers look like)."""
    for problem in ledger.trigger_problems():
        add("ledger", Message("triggers"), problem)


def _enrolments(records: list[TrustRecord]) -> dict[str, TrustRecord]:
    out: dict[str, TrustRecord] = {}
    for r in records:
        if r.kind == "enrolment":
            out.setdefault(r.fingerprint, r)
    return out


def check_anchor_row(ledger: Ledger, records: list[TrustRecord], add: Add) -> None:
    """Under an authority root, the anchor row's date is the one its self-enrolment signed."""
    if ledger.version < 2:
        return
    enrolled = _enrolments(records)
    for row in ledger.rows("SELECT fingerprint, kind, created_at FROM trust_anchor"):
        if row["kind"] != "authority":
            continue
        record = enrolled.get(str(row["fingerprint"]))
        if record is None or record.by != row["fingerprint"] or record.at != row["created_at"]:
            add(
                "trust",
                Message("trust root"),
                Message("anchor row's created_at is not the one its record signed"),
            )


def check_key_rows(
    ledger: Ledger,
    certs: dict[str, x509.Certificate],
    records: list[TrustRecord] | None,
    add: Add,
) -> None:
    """Bind the keys and certificates rows; records is None when there is no authority root."""
    enrolled = _enrolments(records or [])
    by_key: dict[str, list[x509.Certificate]] = {}
    for row in ledger.rows(select_all("certificates") + " ORDER BY rowid"):
        fp = str(row.get("fingerprint"))
        subject = Message("certificate {fp}", fp=str(fp)[:16])
        if type_problems("certificates", row):
            continue  # already reported by the certificate loader
        cert = certs.get(fp)
        if cert is None:
            continue
        derived: dict[str, Any] = {
            "key_id": certificate_key_id(cert),
            "pem": certificate_pem(cert),
            "not_before": format_utc(cert.not_valid_before_utc),
            "not_after": format_utc(cert.not_valid_after_utc),
        }
        changed = sorted(k for k, v in derived.items() if row[k] != v)
        if changed:
            add(
                "certificates",
                subject,
                Message("row differs from the certificate: {changed}", changed=", ".join(changed)),
            )
        by_key.setdefault(row["key_id"], []).append(cert)
        record = enrolled.get(fp)
        if record is not None and record.body.get("added_at") != row["added_at"]:
            add(
                "certificates",
                subject,
                Message("added_at differs from the signed enrolment record"),
            )
        if record is not None and record.body.get("key_id") != row["key_id"]:
            add("certificates", subject, Message("key_id differs from the signed enrolment record"))
    for row in ledger.rows(select_all("keys") + " ORDER BY rowid"):
        subject = Message("key {key}", key=str(row.get("key_id"))[:16])
        wrong = type_problems("keys", row)
        if wrong:
            add(
                "certificates",
                subject,
                Message("keys row damaged: {wrong}", wrong=Message.joined("; ", wrong)),
            )
            continue
        filed = by_key.get(row["key_id"], [])
        if not filed:
            add("certificates", subject, Message("key has no certificate"))
            continue
        for cert in filed:
            if certificate_key_id(cert) != row["key_id"]:
                continue  # reported on the certificate row
            changed = sorted(
                col for col, oid in _SUBJECT.items() if subject_attribute(cert, oid) != row[col]
            )
            if changed:
                what = ", ".join(changed)
                add(
                    "certificates",
                    subject,
                    Message("row differs from its certificate: {what}", what=what),
                )
                break
        signed = [enrolled[fingerprint(c)] for c in filed if fingerprint(c) in enrolled]
        if signed and all(r.body.get("key_created_at") != row["created_at"] for r in signed):
            add(
                "certificates",
                subject,
                Message("created_at differs from the signed enrolment record"),
            )
