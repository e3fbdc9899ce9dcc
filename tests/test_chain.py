"""The chain rule on its own (evidence.chain): each fault it names, one at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evidence.canonical import canonical_bytes
from evidence.chain import (
    BodyLink,
    CertificateFault,
    Fault,
    check_event,
    check_links,
    load_certificates,
)
from evidence.keys import Signer
from evidence.signed import digest
from tests.helpers import World
from tests.test_validation import GOOD

ITEM_SHA = "d" * 64


def _event(signer: Signer, seq: int, prev: str, **changes: Any) -> dict[str, Any]:
    return {
        **GOOD,
        "seq": seq,
        "prev": prev,
        "item_sha256": ITEM_SHA,
        "actor": signer.actor,
        "from": None,
        "to": None,
        "action": "accessed",
        **changes,
    }


def _chain(signer: Signer, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    prev = ITEM_SHA
    for seq in range(1, n + 1):
        body = _event(signer, seq, prev)
        out.append(body)
        prev = digest(canonical_bytes(body))
    return out


def _links(bodies: list[dict[str, Any]]) -> list[BodyLink]:
    return [BodyLink.of(b, digest(canonical_bytes(b))) for b in bodies]


def test_a_good_chain_has_no_fault(world: World) -> None:
    bodies = _chain(world.custodian, 3)
    assert check_links(_links(bodies), GOOD["item_id"], GOOD["case"], ITEM_SHA) == []
    keys = {world.custodian.record.fingerprint: world.custodian.record.certificate.public_key()}
    for body in bodies:
        data = canonical_bytes(body)
        sig = world.custodian.sign(data)
        checked = check_event(data, digest(data), sig, world.custodian.record.fingerprint, keys)
        assert checked.faults == () and checked.signature_ok


@pytest.mark.parametrize(
    ("position", "change", "fault"),
    [
        (2, {"seq": 3}, Fault.SEQ),
        (2, {"prev": "0" * 64}, Fault.PREV),
        (1, {"prev": "0" * 64}, Fault.PREV),
        (3, {"item_id": "b" * 12}, Fault.ITEM),
        (2, {"case": "BY-2026-0001"}, Fault.CASE),
        (2, {"item_sha256": "e" * 64}, Fault.ITEM_SHA256),
    ],
)
def test_each_link_fault_is_named_where_it_is(
    world: World, position: int, change: dict[str, Any], fault: Fault
) -> None:
    bodies = _chain(world.custodian, 3)
    links = _links(bodies)
    # Linked by the hash the chain recorded: only the changed event breaks, not the next one.
    links[position - 1] = BodyLink.of({**bodies[position - 1], **change}, links[position - 1].hash)
    breaks = check_links(links, GOOD["item_id"], GOOD["case"], ITEM_SHA)
    assert [(b.position, b.fault) for b in breaks] == [(position, fault)]


def test_an_unreadable_event_keeps_its_place(world: World) -> None:
    bodies = _chain(world.custodian, 3)
    links: list[BodyLink | None] = list(_links(bodies))
    links[1] = None
    # Event 3 still links to event 2's hash, which the chain never read: a broken link.
    breaks = check_links(links, GOOD["item_id"], GOOD["case"], ITEM_SHA)
    assert [(b.position, b.fault) for b in breaks] == [(3, Fault.PREV)]


def test_each_event_fault(world: World) -> None:
    me = world.custodian
    keys = {me.record.fingerprint: me.record.certificate.public_key()}
    body = _event(me, 1, ITEM_SHA)
    data = canonical_bytes(body)
    sig = me.sign(data)

    def faults(data: bytes, hash_: str, sig: str, signer: str) -> list[Fault]:
        return [f for f, _ in check_event(data, hash_, sig, signer, keys).faults]

    fp = me.record.fingerprint
    assert faults(data, "0" * 64, sig, fp) == [Fault.HASH]
    assert faults(data, digest(data), sig, "f" * 64) == [Fault.SIGNER]
    assert faults(data, digest(data), world.expert.sign(data), fp) == [Fault.SIGNATURE]
    foreign = canonical_bytes({**body, "actor": world.expert.actor})
    assert faults(foreign, digest(foreign), sig, world.expert.record.fingerprint) == [
        Fault.UNKNOWN_SIGNER
    ]
    spaced = json.dumps(body).encode()
    assert faults(spaced, digest(spaced), me.sign(spaced), fp) == [Fault.NOT_CANONICAL]
    bad = canonical_bytes({**body, "action": "stolen"})
    assert faults(bad, digest(bad), me.sign(bad), fp) == [Fault.SCHEMA]
    assert faults(b"[]", digest(b"[]"), sig, fp) == [Fault.NOT_JSON]


def test_one_certificate_loader(world: World) -> None:
    cert = world.custodian.record.certificate
    fp = world.custodian.record.fingerprint
    other = world.expert.record
    pems = [
        (fp, world.custodian.record.certificate_pem),
        (fp[::-1], other.certificate_pem),
        ("x" * 64, "not a certificate"),
    ]
    certs, faults = load_certificates(pems)
    assert certs == {fp: cert}
    assert [(f, fault) for f, fault, _ in faults] == [
        (fp[::-1], CertificateFault.FINGERPRINT),
        ("x" * 64, CertificateFault.NOT_PEM),
    ]
