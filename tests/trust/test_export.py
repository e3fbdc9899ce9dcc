"""The trust evidence a bundle carries, and establishing signers from it against a root pinned
from outside: forged, missing, revoked and foreign records, a swapped anchor, hostile shapes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.keys import fingerprint
from evidence.trust.authority import local_authority, revoke_key
from evidence.trust.establish import TrustEvidenceRejected, establish_export, export_trust
from evidence.trust.records import TrustRecord, certificate_pem
from evidence.trust.store import load_state
from evidence.workspace import Workspace
from tests.helpers import AUTHORITY, PASSPHRASE, World, issue_certificate, make_ca
from tests.trust.trust_support import forged_key


def _export(world: World) -> tuple[dict[str, Any], dict[str, x509.Certificate], str]:
    state = load_state(world.ws.ledger)
    assert state.anchor is not None
    certs = world.ws.keys.certificates()
    trust = export_trust(state.anchor, state.records, certs)
    return trust, certs, state.anchor.fingerprint


def test_every_enrolled_custodian_is_established(world: World) -> None:
    trust, certs, anchor = _export(world)
    view = establish_export(trust, certs, anchor_fingerprint=anchor.upper())
    assert view.problems == []
    assert all(v.established for v in view.verdicts.values())
    assert len(trust["records"]) == 4  # three enrolments and the root's own


def test_export_holds_only_the_records_asked_for(world: World) -> None:
    state = load_state(world.ws.ledger)
    assert state.anchor is not None
    one = world.investigator.record.fingerprint
    trust = export_trust(state.anchor, state.records, [one])
    assert [r["record"]["fingerprint"] for r in trust["records"]] == [one]


def test_missing_record_leaves_that_custodian_unestablished(world: World) -> None:
    trust, certs, anchor = _export(world)
    missing = world.expert.record.fingerprint
    trust["records"] = [r for r in trust["records"] if r["record"]["fingerprint"] != missing]
    view = establish_export(trust, certs, anchor_fingerprint=anchor)
    assert not view.verdict(missing).established
    assert "no valid enrolment" in view.verdict(missing).reasons[0]
    assert view.verdict(world.investigator.record.fingerprint).established


def test_forged_record_is_a_problem_and_establishes_nothing(world: World) -> None:
    trust, certs, anchor = _export(world)
    _, cert = forged_key("Evidence Room")
    forged = copy.deepcopy(trust["records"][0])
    assert TrustRecord.from_json(forged, "copy").body == forged["record"]
    forged["record"]["certificate"] = certificate_pem(cert)
    forged["record"]["fingerprint"] = fingerprint(cert)
    trust["records"].append(forged)
    view = establish_export(trust, {**certs, fingerprint(cert): cert}, anchor_fingerprint=anchor)
    assert not view.verdict(fingerprint(cert)).established
    assert any("signature does not verify" in p for p in view.problems)


def test_record_edited_after_signing(world: World) -> None:
    trust, certs, anchor = _export(world)
    trust["records"][1]["record"]["reason"] = "edited"  # [0] is the root's own
    target = trust["records"][1]["record"]["fingerprint"]
    view = establish_export(trust, certs, anchor_fingerprint=anchor)
    assert not view.verdict(target).established
    assert any("signature does not verify" in p for p in view.problems)


def test_revoked_custodian_carries_its_revocation(world: World) -> None:
    record = local_authority(world.ws.keys)
    assert record is not None
    authority = world.ws.keys.unlock(record, PASSPHRASE)
    revoke_key(world.ws.keys, authority, world.expert.record, "left the unit")
    trust, certs, anchor = _export(world)
    verdict = establish_export(trust, certs, anchor_fingerprint=anchor).verdict(
        world.expert.record.fingerprint
    )
    assert verdict.established and verdict.revoked_at is not None
    assert verdict.problem_at("9999-01-01T00:00:00.000000Z") is not None
    assert verdict.enrolled_at is not None
    assert verdict.problem_at(verdict.enrolled_at) is None
    assert "before the signer's enrolment" in str(verdict.problem_at("2000-01-01T00:00:00Z"))


def test_anchor_swapped_for_the_attackers_own(world: World, tmp_path: Any) -> None:
    """Another workspace's authority (a forger's) enrols the same names: not the pinned root."""
    anchor = _export(world)[2]
    other = Workspace.init(tmp_path / "forger", AUTHORITY)
    other.keys.create("А. Иванов", "IC", "BY", "investigator", PASSPHRASE)
    forged_trust, forged_certs, _ = _export(
        World(other, *[other.keys.unlock(other.keys.list()[1], PASSPHRASE)] * 3)
    )
    other.close()
    view = establish_export(forged_trust, forged_certs, anchor_fingerprint=anchor)
    assert not any(v.established for v in view.verdicts.values())
    assert "is not the pinned one" in view.problems[0]


def test_trusted_ca_establishes_issued_certificates(world: World) -> None:
    ca_key, ca = make_ca()
    issued = x509.load_pem_x509_certificate(
        issue_certificate(ca_key, ca, world.ws.keys.csr(world.investigator))
    )
    trust = {"anchor": {"kind": "ca", "certificate": certificate_pem(ca)}, "records": []}
    certs = {
        fingerprint(issued): issued,
        world.expert.record.fingerprint: world.expert.record.certificate,
    }
    view = establish_export(trust, certs, trusted_ca=ca)
    assert view.verdict(fingerprint(issued)).established
    assert not view.verdict(world.expert.record.fingerprint).established


@pytest.mark.parametrize(
    "trust",
    [
        None,
        [],
        {"anchor": None},
        {"anchor": {"kind": "authority"}},
        {"anchor": {"kind": "root", "certificate": "x"}},
        {"anchor": {"kind": "authority", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA"}},
        {"anchor": {"kind": "authority", "certificate": "x"}, "extra": 1},
    ],
)
def test_hostile_trust_objects_are_rejected_cleanly(trust: Any) -> None:
    with pytest.raises(TrustEvidenceRejected):
        establish_export(trust, {}, anchor_fingerprint="00" * 32)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(signature=5),
        lambda r: r["record"].update(kind="promotion"),
        lambda r: r["record"].update(fingerprint="zz"),
        lambda r: r["record"].update(at="yesterday"),
        lambda r: r["record"].update(by={"name": "x"}),
        lambda r: r["record"].update(extra=True),
        lambda r: r["record"].pop("reason"),
        lambda r: r.update(more=1),
    ],
)
def test_malformed_records_are_problems_not_crashes(world: World, mutate: Any) -> None:
    trust, certs, anchor = _export(world)
    target = trust["records"][1]["record"]["fingerprint"]  # [0] is the root's own
    mutate(trust["records"][1])
    view = establish_export(trust, certs, anchor_fingerprint=anchor)
    assert view.problems
    assert not view.verdict(target).established


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["record", "signature", "anchor", "records"]),
    value=json_values,
    data=st.data(),
)
def test_fuzzed_trust_objects_are_problems_or_rejections(
    world: World, field: str, value: Any, data: st.DataObject
) -> None:
    """Any value anywhere in a bundle's trust object: a clean rejection or a listed problem,
    and never a custodian established by a record that was tampered with."""
    trust, certs, anchor = _export(world)
    n = data.draw(st.integers(1, len(trust["records"]) - 1))
    target = trust["records"][n]["record"]["fingerprint"]
    if field == "record":
        key = data.draw(st.sampled_from(sorted(trust["records"][n]["record"])))
        trust["records"][n]["record"][key] = value
    elif field == "signature":
        trust["records"][n]["signature"] = value
    else:
        trust[field] = value
    try:
        view = establish_export(trust, certs, anchor_fingerprint=anchor)
    except TrustEvidenceRejected:
        return
    if field in ("record", "signature") and view.verdict(target).established:
        # Only an edit that changed nothing may leave it established.
        assert (
            TrustRecord.from_json(trust["records"][n], "x").body
            == load_state(world.ws.ledger).records[n].body
        )
