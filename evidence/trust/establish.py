"""Establishing signers: which certificates the trust root vouches for, and from when to when.

Pure functions over an anchor, trust records and certificates, used by `custody audit` on the
workspace's own ledger and by bundle verification on the `trust` object a manifest carries.
Nothing here is trusted because it exists: a certificate is established only when

- it is the anchor itself (authority root), or
- an enrolment record signed by the anchor's key names it (authority root), or
- it is issued directly by the anchor CA, which is a CA certificate (CA root; the path is one
  certificate long, and its validity is checked at each event's time).

An enrolled certificate may sign from its enrolment record's `at` on (a key adopted with a root
that came after it excepted). A revocation record (signed by the anchor authority, or in a CA
workspace by an established certificate whose role is authority) ends a certificate's right to
sign at its `at`; what a checkpoint proves about order goes further (timerules.py).
Path validation is computed once per certificate; per event only a time comparison remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from ..errors import Malformed, Worded
from ..keys import fingerprint, subject_attribute, verify_der
from ..message import Message
from ..timefmt import format_utc
from .records import TrustRecord, certificate_pem, signature_bytes

ANCHOR_KINDS = ("authority", "ca")


@dataclass(frozen=True)
class Anchor:
    """The root: an authority's self-signed certificate, or an agency CA certificate."""

    kind: str
    certificate: x509.Certificate

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the anchor certificate: the value written into the seizure protocol."""
        return fingerprint(self.certificate)

    def to_json(self) -> dict[str, str]:
        """The manifest form: {"kind", "certificate"}."""
        return {"kind": self.kind, "certificate": certificate_pem(self.certificate)}


@dataclass(frozen=True)
class CertificateVerdict:
    """Whether one certificate is established, how (or why not), and its signing window."""

    fingerprint: str
    established: bool
    reasons: tuple[Message, ...]
    not_before: str | None = None
    not_after: str | None = None
    revoked_at: str | None = None
    revocation_reason: str = ""
    # When the enrolment record that vouches for it was made: it signs nothing before
    # (None: the anchor, a CA-issued certificate, or one adopted with a root it predates).
    enrolled_at: str | None = None

    def problem_at(self, at: Any) -> Message | None:
        """Why this certificate may not sign something dated `at`, or None if it may."""
        if not self.established:
            return Message(
                "signer is not established by the trust root: {reasons}",
                reasons=Message.joined("; ", self.reasons),
            )
        if not isinstance(at, str):
            return Message("event has no time to check the signer's validity against")
        if self.revoked_at is not None and at >= self.revoked_at:
            # The reason is the revoker's own words, printed as recorded.
            why = (
                Message(" ({reason})", reason=self.revocation_reason)
                if self.revocation_reason
                else Message("")
            )
            return Message(
                "signed at {at}, after the signer's revocation at {revoked_at}{why}",
                at=Message.moment(at),
                revoked_at=Message.moment(self.revoked_at),
                why=why,
            )
        if self.enrolled_at is not None and at < self.enrolled_at:
            return Message(
                "signed at {at}, before the signer's enrolment at {enrolled_at}",
                at=Message.moment(at),
                enrolled_at=Message.moment(self.enrolled_at),
            )
        if self.not_before is not None and at < self.not_before:
            return Message(
                "signed at {at}, before the certificate is valid ({not_before})",
                at=Message.moment(at),
                not_before=Message.moment(self.not_before),
            )
        if self.not_after is not None and at > self.not_after:
            return Message(
                "signed at {at}, after the certificate expired ({not_after})",
                at=Message.moment(at),
                not_after=Message.moment(self.not_after),
            )
        return None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output and bundle verification reports."""
        return {
            "fingerprint": self.fingerprint,
            "established": self.established,
            "reasons": list(self.reasons),
            "revoked_at": self.revoked_at,
        }


@dataclass
class TrustView:
    """Every verdict, plus what was wrong with the records themselves."""

    anchor: Anchor
    verdicts: dict[str, CertificateVerdict]
    problems: list[Message] = field(default_factory=list)

    def verdict(self, fp: str) -> CertificateVerdict:
        """The verdict for a fingerprint (unknown ones are not established)."""
        return self.verdicts.get(fp) or CertificateVerdict(
            fp, False, (Message("certificate is not known"),)
        )


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return bool(bc.ca)


def is_ca_certificate(cert: x509.Certificate) -> bool:
    """Whether a certificate is a CA (basicConstraints cA): a root a recipient may trust."""
    return _is_ca(cert)


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> Message | None:
    """None if ca directly issued cert (name chaining and signature), else why not."""
    if not _is_ca(ca):
        return Message("the trusted CA certificate is not a CA (basicConstraints)")
    if _is_ca(cert):
        return Message("certificate is a CA certificate, not an actor's")
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return Message("certificate is not issued by the trusted CA")
    return None


def _record_problem(
    record: TrustRecord, anchor: Anchor, authorities: Mapping[str, x509.Certificate]
) -> Message | None:
    """Why a record cannot be trusted, or None (signature by an authority over its bytes)."""
    if record.certificate() is None:
        return Message("its certificate does not parse or does not match its fingerprint")
    signer = authorities.get(record.by)
    if signer is None:
        return Message(
            "signed by {by}, which is not an authority of this trust root", by=record.by[:16]
        )
    if record.body["by"]["name"] != subject_attribute(signer, NameOID.COMMON_NAME):
        return Message("its 'by' name is not the authority certificate's")
    der = signature_bytes(record)
    if der is None or not verify_der(signer.public_key(), record.data, der):
        return Message("its signature does not verify")
    return None


def establish(
    anchor: Anchor,
    records: Iterable[TrustRecord],
    certificates: Mapping[str, x509.Certificate],
) -> TrustView:
    """Decide, for every certificate given (and every one a record names), if it may sign."""
    records = list(records)
    certs = dict(certificates)
    for r in records:
        cert = r.certificate()
        if cert is not None:
            certs.setdefault(r.fingerprint, cert)
    view = TrustView(anchor, {})
    base: dict[str, CertificateVerdict] = {}
    for fp, cert in certs.items():
        window = (
            format_utc(max(cert.not_valid_before_utc, anchor.certificate.not_valid_before_utc)),
            format_utc(min(cert.not_valid_after_utc, anchor.certificate.not_valid_after_utc)),
        )
        if anchor.kind == "authority":
            # An enrolled certificate signs within its own validity (self-signed, 5 years).
            own = (format_utc(cert.not_valid_before_utc), format_utc(cert.not_valid_after_utc))
            if fp == anchor.fingerprint:
                base[fp] = CertificateVerdict(
                    fp, True, (Message("the trust anchor (authority)"),), *own
                )
            else:
                base[fp] = CertificateVerdict(
                    fp, False, (Message("no valid enrolment by the authority"),), *own
                )
        else:
            why = _issued_by(cert, anchor.certificate)
            base[fp] = (
                CertificateVerdict(fp, True, (Message("issued by the trusted CA"),), *window)
                if why is None
                else CertificateVerdict(fp, False, (why,))
            )
    # Who may sign records: the anchor key (authority root); in a CA root, CA-issued
    # certificates whose role (title) is authority.
    if anchor.kind == "authority":
        authorities = {anchor.fingerprint: anchor.certificate}
    else:
        authorities = {
            fp: certs[fp]
            for fp, v in base.items()
            if v.established and subject_attribute(certs[fp], NameOID.TITLE) == "authority"
        }
    enrolled: dict[str, TrustRecord] = {}
    revoked: dict[str, TrustRecord] = {}
    for r in records:
        problem = _record_problem(r, anchor, authorities)
        where = (
            Message("{kind} record #{seq}", kind=Message.word(r.kind), seq=r.body["seq"])
            if "seq" in r.body
            else Message("{kind} record", kind=Message.word(r.kind))
        )
        if problem is not None:
            view.problems.append(
                Message(
                    "{where} for {fingerprint}: {problem}",
                    where=where,
                    fingerprint=r.fingerprint[:16],
                    problem=problem,
                )
            )
            continue
        if r.kind == "enrolment":
            if anchor.kind != "authority":
                view.problems.append(
                    Message(
                        "{where}: enrolment records have no effect under a CA root", where=where
                    )
                )
            else:
                enrolled.setdefault(r.fingerprint, r)
        elif r.fingerprint not in revoked or r.at < revoked[r.fingerprint].at:
            revoked[r.fingerprint] = r
    for fp, verdict in base.items():
        if fp in enrolled and not verdict.established:
            e = enrolled[fp]
            # Adoption vouches for keys that signed before the root existed: no start there.
            start = None if e.body["reason"] == "adopted" else e.at
            reason = Message(
                "enrolled by {name} at {at}", name=e.body["by"]["name"], at=Message.moment(e.at)
            )
            verdict = CertificateVerdict(fp, True, (reason,), enrolled_at=start)
        if fp in revoked:
            rv = revoked[fp]
            verdict = CertificateVerdict(
                fp,
                verdict.established,
                verdict.reasons,
                verdict.not_before,
                verdict.not_after,
                rv.at,
                str(rv.body["reason"]),
                verdict.enrolled_at,
            )
        view.verdicts[fp] = verdict
    return view


class TrustEvidenceRejected(Worded):
    """A bundle's trust object cannot be read at all."""

    exit_code = 1

    def __init__(self, message: Message) -> None:
        super().__init__(message)


def anchor_from_json(value: Any, source: str = "trust.anchor") -> Anchor:
    """The anchor of a trust object, read strictly."""
    if not isinstance(value, dict) or set(value) != {"kind", "certificate"}:
        raise TrustEvidenceRejected(
            Message("{source}: not a {{kind, certificate}} object", source=source)
        )
    if value["kind"] not in ANCHOR_KINDS or not isinstance(value["certificate"], str):
        raise TrustEvidenceRejected(
            Message("{source}: kind must be authority or ca, with a PEM", source=source)
        )
    try:
        cert = x509.load_pem_x509_certificate(value["certificate"].encode())
    except ValueError:
        raise TrustEvidenceRejected(
            Message("{source}: certificate is not a PEM certificate", source=source)
        ) from None
    return Anchor(value["kind"], cert)


def export_trust(
    anchor: Anchor, records: Iterable[TrustRecord], fingerprints: Iterable[str]
) -> dict[str, Any]:
    """The trust evidence a bundle carries for these certificates: anchor and their records.

    Records are those naming one of the certificates. Under a CA root, the certificate of an
    authority that signed a revocation must travel among the manifest's certificates, or the
    recipient sees that revocation as a problem (never as silently absent).
    """
    wanted = set(fingerprints)
    chosen = [r for r in records if r.fingerprint in wanted]
    return {"anchor": anchor.to_json(), "records": [r.to_json() for r in chosen]}


def establish_export(
    trust: Any,
    certificates: Mapping[str, x509.Certificate],
    *,
    anchor_fingerprint: str | None = None,
    trusted_ca: x509.Certificate | None = None,
) -> TrustView:
    """Establish signers from a bundle's `trust` object, against a root pinned from outside.

    The recipient pins either the anchor's fingerprint (from the seizure protocol, or a letter)
    or trusts an agency CA certificate; the anchor the bundle carries is used only if it is the
    pinned one. `certificates` are the manifest's certificates by fingerprint. Every certificate
    gets a verdict; malformed, forged or foreign records are listed in `problems`.
    """
    if (anchor_fingerprint is None) == (trusted_ca is None):
        raise ValueError("pin exactly one of anchor_fingerprint or trusted_ca")
    if not isinstance(trust, dict) or not set(trust) <= {"anchor", "records"}:
        raise TrustEvidenceRejected(
            Message("{source}: not an {{anchor, records}} object", source="trust")
        )
    anchor = anchor_from_json(trust.get("anchor"))
    problems: list[Message] = []
    if trusted_ca is not None:
        if anchor.kind != "ca" or fingerprint(anchor.certificate) != fingerprint(trusted_ca):
            problems.append(
                Message("the bundle's anchor is not the trusted CA; the trusted CA is used")
            )
        anchor = Anchor("ca", trusted_ca)
    elif anchor.fingerprint != str(anchor_fingerprint).replace(":", "").lower():
        why = Message(
            "the bundle's anchor {fingerprint} is not the pinned one",
            fingerprint=anchor.fingerprint[:16],
        )
        verdicts = {fp: CertificateVerdict(fp, False, (why,)) for fp in certificates}
        return TrustView(anchor, verdicts, [why])
    raw = trust.get("records", [])
    if not isinstance(raw, list):
        raise TrustEvidenceRejected(Message("trust.records: not a list"))
    records = []
    for n, value in enumerate(raw):
        try:
            records.append(TrustRecord.from_json(value, f"trust.records[{n}]"))
        except Malformed as exc:
            problems.append(exc.message)
    view = establish(anchor, records, certificates)
    view.problems[:0] = problems
    return view
