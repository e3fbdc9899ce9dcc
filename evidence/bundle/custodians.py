"""Custodians established abroad: every signer of a bundle's custody chains, through the
workspace's trust root that the manifest's `trust` object carries (evidence-manifest/2).

The bundle's own signer is established by --fingerprint or --trust (signer.py). The people who
signed the custody events are established here, and only from a root the recipient pins from
outside: the anchor fingerprint written in the seizure protocol or the request letter
(`--anchor`), or the agency CA the recipient trusts (`--trust`). The anchor the bundle carries is
never trusted because it is there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509

from ..errors import EvidenceError, Worded
from ..keys import fingerprint
from ..message import Command, Message
from ..trust.establish import TrustView, establish_export, is_ca_certificate
from ..trust.records import TrustRecord
from .checklist import Checklist
from .inclusion import LogOrder

CHECK = "custody.trust"


def check_custodians(
    manifest: Mapping[str, Any],
    certificates: Mapping[str, x509.Certificate],
    anchor: str | None,
    trusted: Sequence[x509.Certificate],
    checks: Checklist,
    extra: Sequence[tuple[str, str, str | None]] = (),
    order: LogOrder | None = None,
) -> None:
    """Every custody event's signer established by the pinned root at the event's time;
    extra: other signed events, as (subject, signer fingerprint, time) (an excerpt's); order:
    the log positions the bundle proved, so that an event appended after its signer's
    revocation fails whatever date it claims."""
    trust = manifest.get("trust")
    if trust is None:
        if root_pinned(anchor, trusted):
            checks.fail(
                CHECK,
                "trust",
                Message(
                    "the manifest carries no trust evidence (made before trust roots) "
                    "({schema}): the pinned root establishes no custodian",
                    schema=manifest.get("schema"),
                ),
            )
        else:
            checks.skip(
                CHECK, Message("the manifest carries no trust evidence (made before trust roots)")
            )
        return
    view = _view(trust, certificates, anchor, trusted, checks)
    if view is None:
        return
    for problem in view.problems:
        checks.fail(CHECK, "trust", problem)
    failed = False
    for entry in manifest["items"]:
        for n, record in enumerate(entry["custody"], start=1):
            event = record["event"]
            signer = str(event["actor"]["fingerprint"])
            why = view.verdict(signer).problem_at(event.get("at"))
            if why is not None:
                failed = True
                checks.fail(
                    CHECK, Message("item {item_id} event #{n}", item_id=entry["item_id"], n=n), why
                )
    for subject, signer, at in extra:
        why = view.verdict(signer).problem_at(at)
        if why is not None:
            failed = True
            checks.fail(CHECK, subject, why)
    for subject, why in _after_revocation(manifest, view, order or LogOrder()):
        failed = True
        checks.fail(CHECK, subject, why)
    if not failed and not view.problems:
        root = view.anchor.fingerprint
        checks.ok(
            CHECK,
            "custody",
            Message("every custodian established by the root {root}", root=root[:16]),
        )


def _after_revocation(
    manifest: Mapping[str, Any], view: TrustView, order: LogOrder
) -> list[tuple[Message, Message]]:
    """Events the log holds after their signer's (accepted) revocation though dated before
    it: the order in the sender's log, proved in the bundle, decides, not the signer's clock."""
    revoked: dict[str, tuple[int, str]] = {}
    records = manifest["trust"].get("records", [])
    for n, value in enumerate(records if isinstance(records, list) else []):
        try:
            record = TrustRecord.from_json(value, f"trust.records[{n}]")
        except EvidenceError:
            continue  # listed among the view's problems
        idx = order.records.get(record.hash)
        accepted = view.verdict(record.fingerprint).revoked_at == record.at
        if record.kind == "revocation" and accepted and idx is not None:
            revoked[record.fingerprint] = (idx, record.at)
    out = []
    for entry in manifest["items"]:
        for n, item_record in enumerate(entry["custody"], start=1):
            event = item_record["event"]
            signer = str(event["actor"]["fingerprint"])
            leaf = order.events.get((str(entry["item_id"]), n))
            if signer not in revoked or leaf is None or leaf < revoked[signer][0]:
                continue
            if view.verdict(signer).problem_at(event.get("at")) is not None:
                continue  # dated after the revocation: named above already
            out.append(
                (
                    Message("item {item_id} event #{n}", item_id=entry["item_id"], n=n),
                    Message(
                        "appended to the sender's log after its signer's revocation (log leaf "
                        "#{leaf}, the revocation's #{revocation}), though dated {at}, before the "
                        "revocation at {revoked_at}: backdated",
                        leaf=leaf,
                        revocation=revoked[signer][0],
                        at=Message.moment(event.get("at")),
                        revoked_at=Message.moment(revoked[signer][1]),
                    ),
                )
            )
    return out


def root_pinned(anchor: str | None, trusted: Sequence[x509.Certificate]) -> bool:
    """Whether the recipient pinned a root: --anchor, or a CA certificate among --trust."""
    return anchor is not None or any(is_ca_certificate(c) for c in trusted)


def carried_anchor(trust: Any) -> str | None:
    """The fingerprint of the root a manifest's `trust` object names (None: none, or unreadable).

    Only printed, never trusted: the recipient compares it with the protocol or the letter.
    """
    carried = trust.get("anchor") if isinstance(trust, dict) else None
    if isinstance(carried, dict) and isinstance(carried.get("certificate"), str):
        try:
            return fingerprint(x509.load_pem_x509_certificate(carried["certificate"].encode()))
        except ValueError:
            return None
    return None


def _view(
    trust: Any,
    certificates: Mapping[str, x509.Certificate],
    anchor: str | None,
    trusted: Sequence[x509.Certificate],
    checks: Checklist,
) -> TrustView | None:
    carried_fp = carried_anchor(trust)
    ca = next((c for c in trusted if fingerprint(c) == carried_fp), None)
    if anchor is None and ca is None:
        checks.warn(
            CHECK,
            "trust",
            Message(
                "custodians not established: pin the root{command} (the fingerprint in the "
                "seizure protocol or the request letter){named}",
                command=Command(" with --anchor"),
                named=Message("")
                if carried_fp is None
                else Message("; the bundle names root {root}", root=carried_fp),
            ),
        )
        return None
    try:
        if anchor is not None:
            return establish_export(trust, certificates, anchor_fingerprint=anchor)
        return establish_export(trust, certificates, trusted_ca=ca)
    except Worded as exc:
        checks.fail(CHECK, "trust", exc.message)
        return None
