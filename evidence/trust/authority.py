"""What an authority does: enrol a key's certificates, revoke them; and who may do it.

Under an authority root only the anchor's key signs records. Under a CA root the CA itself
vouches by issuing certificates (enrolment has no place), and revocations are signed by a
CA-issued certificate whose role is authority.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..errors import UsageError
from ..keys import KeyRecord, Signer, fingerprint, subject_attribute
from ..keystore import KeyStore
from .establish import establish
from .store import append_record, load_state


def local_authority(keys: KeyStore) -> KeyRecord | None:
    """The authority key that is the workspace's root, if its private key is kept here."""
    if keys.ledger.version < 2:
        return None
    rows = keys.ledger.rows(
        "SELECT c.key_id FROM trust_anchor a JOIN certificates c "
        "ON c.fingerprint = a.fingerprint WHERE a.kind = 'authority'"
    )
    if len(rows) != 1 or not keys.has_private_key(rows[0]["key_id"]):
        return None
    return keys.get(rows[0]["key_id"])


def enrol_certificate(
    keys: KeyStore,
    authority: Signer,
    cert: x509.Certificate,
    *,
    at: str | None = None,
    reason: str = "",
) -> None:
    """Sign an enrolment of cert by the authority; the caller holds `atomic()`.

    The record also carries the key and certificate rows' own times, which are signed so.
    """
    row = keys.ledger.rows(
        "SELECT c.key_id, c.added_at, k.created_at FROM certificates c "
        "JOIN keys k ON k.key_id = c.key_id WHERE c.fingerprint = $1",
        (fingerprint(cert),),
    )[0]
    append_record(
        keys.ledger,
        authority,
        "enrolment",
        cert,
        reason=reason,
        at=at,
        extra={
            "key_id": row["key_id"],
            "key_created_at": row["created_at"],
            "added_at": row["added_at"],
        },
    )


def _require_authority(keys: KeyStore, authority: Signer, what: str) -> str:
    """The root's kind, once authority is known to be allowed to sign records."""
    state = load_state(keys.ledger)
    if state.anchor is None:
        raise UsageError(
            f"cannot {what}: this workspace has no trust root",
            "adopt one with `custody init --authority NAME`",
        )
    fp = authority.record.fingerprint
    if state.anchor.kind == "authority":
        if fp != state.anchor.fingerprint:
            raise UsageError(
                f"cannot {what}: {authority.record.name!r} is not the workspace's authority",
                "sign with the key created by `custody init --authority`",
            )
    else:
        view = establish(state.anchor, state.records, keys.certificates())
        cert = authority.record.certificate
        if (
            not view.verdict(fp).established
            or subject_attribute(cert, NameOID.TITLE) != "authority"
        ):
            raise UsageError(
                f"cannot {what}: {authority.record.name!r} holds no CA-issued authority certificate"
            )
    return state.anchor.kind


def _pending(keys: KeyStore, record: KeyRecord, kind: str) -> dict[str, x509.Certificate]:
    """The key's certificates that have no record of this kind yet (read inside the write lock)."""
    done = {r.fingerprint for r in load_state(keys.ledger).records if r.kind == kind}
    certs = keys.certificates()
    rows = keys.ledger.rows(
        "SELECT fingerprint FROM certificates WHERE key_id = $1 ORDER BY rowid", (record.key_id,)
    )
    todo = {r["fingerprint"]: certs[r["fingerprint"]] for r in rows if r["fingerprint"] not in done}
    if not todo:
        what = "enrolled" if kind == "enrolment" else "revoked"
        raise UsageError(f"key {record.name!r} is {what} already")
    return todo


def enrol_key(keys: KeyStore, authority: Signer, record: KeyRecord, reason: str = "") -> list[str]:
    """Enrol every certificate of the key not enrolled yet; returns their fingerprints."""
    if _require_authority(keys, authority, "enrol") != "authority":
        raise UsageError(
            "under a CA root the CA enrols keys by issuing certificates",
            "send `custody key csr` to the CA and `custody key import-cert` the result",
        )
    with keys.ledger.atomic(exclusive=True):  # the records form one chain
        todo = _pending(keys, record, "enrolment")
        for cert in todo.values():
            enrol_certificate(keys, authority, cert, reason=reason)
    return list(todo)


def revoke_key(keys: KeyStore, authority: Signer, record: KeyRecord, reason: str) -> list[str]:
    """Revoke every certificate of the key: from now on nothing it signs is accepted."""
    if not reason.strip():
        raise UsageError("a revocation needs a --reason (it is signed into the record)")
    _require_authority(keys, authority, "revoke")
    if record.fingerprint == authority.record.fingerprint:
        raise UsageError("the authority cannot revoke its own key (it is the trust root)")
    with keys.ledger.atomic(exclusive=True):  # the records form one chain
        todo = _pending(keys, record, "revocation")
        for cert in todo.values():
            append_record(keys.ledger, authority, "revocation", cert, reason=reason)
    return list(todo)
