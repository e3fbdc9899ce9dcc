"""The trust commands from the outside: exit codes, one-line errors, nothing half-made."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from evidence.cli.main import cli

from evidence.custody import append_events
from evidence.items import list_items
from evidence.keys import fingerprint
from tests.helpers import CASE, PASSPHRASE, World, make_ca
from tests.trust.trust_support import audit_cli


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli,
        ["--workspace", str(tmp_path / "ws"), *args],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE, **(env or {})},
        catch_exceptions=False,
    )


def _one_line_error(result: Result, code: int, fragment: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_init_with_an_agency_ca_prints_its_fingerprint(tmp_path: Path) -> None:
    _, ca = make_ca()
    pem = tmp_path / "agency-ca.pem"
    pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result = _run(tmp_path, "init", "--trust-ca", str(pem))
    assert result.exit_code == 0, result.output
    assert f"trust anchor (agency CA): {fingerprint(ca)}" in result.stdout
    made = _run(
        tmp_path, "key", "new", "--name", "A B", "--org", "O", "--country", "BY", "--role", "expert"
    )
    assert made.exit_code == 0 and "enrolled by" not in made.stdout  # the CA vouches, not us
    assert _run(tmp_path, "key", "list").stdout.splitlines()[-1].endswith("not CA-issued")


def test_init_refuses_garbage_as_ca(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_bytes(b"\x1b[31m not a certificate")
    _one_line_error(_run(tmp_path, "init", "--trust-ca", str(bad)), 3, "not an X.509 certificate")
    _one_line_error(
        _run(tmp_path, "init", "--trust-ca", str(tmp_path / "nope.pem")), 3, "cannot read"
    )
    assert not (tmp_path / "ws").exists()


def test_init_refuses_two_roots_and_a_second_init(tmp_path: Path) -> None:
    _, ca = make_ca()
    pem = tmp_path / "ca.pem"
    pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    both = _run(tmp_path, "init", "--authority", "X Y", "--trust-ca", str(pem))
    _one_line_error(both, 2, "choose one trust root")
    assert _run(tmp_path, "init").exit_code == 0
    _one_line_error(_run(tmp_path, "init"), 2, "already has a trust root")
    _one_line_error(_run(tmp_path, "init", "--trust-ca", str(pem)), 2, "already a workspace")


def test_init_refuses_a_short_passphrase_and_leaves_nothing(tmp_path: Path) -> None:
    result = _run(tmp_path, "init", env={"CUSTODY_PASSPHRASE": "short"})
    _one_line_error(result, 2, "passphrase too short")
    assert not (tmp_path / "ws").exists()


def test_enrol_and_revoke_need_the_authority(tmp_path: Path) -> None:
    assert _run(tmp_path, "init", "--authority", "Head").exit_code == 0
    new = ["key", "new", "--org", "O", "--country", "BY", "--role", "expert", "--name"]
    assert _run(tmp_path, *new, "A B").exit_code == 0
    assert _run(tmp_path, *new, "C D").exit_code == 0
    result = _run(tmp_path, "key", "revoke", "A B", "--reason", "x", "--as", "C D")
    _one_line_error(result, 2, "is not the workspace's authority")
    _one_line_error(_run(tmp_path, "key", "revoke", "Head", "--reason", "x"), 2, "its own key")
    _one_line_error(_run(tmp_path, "key", "enrol", "A B"), 2, "enrolled already")
    _one_line_error(_run(tmp_path, "key", "enrol", "nobody"), 3, "unknown key")


def test_passphrase_change_through_the_command(tmp_path: Path) -> None:
    assert _run(tmp_path, "init").exit_code == 0
    new = {"CUSTODY_NEW_PASSPHRASE": "a new passphrase"}
    result = _run(tmp_path, "key", "passphrase", "Workspace authority", env=new)
    assert result.exit_code == 0 and "passphrase changed" in result.stdout
    again = _run(tmp_path, "key", "passphrase", "Workspace authority", env=new)
    _one_line_error(again, 3, "wrong passphrase")
    short = {"CUSTODY_PASSPHRASE": "a new passphrase", "CUSTODY_NEW_PASSPHRASE": "short"}
    _one_line_error(
        _run(tmp_path, "key", "passphrase", "Workspace authority", env=short), 2, "too short"
    )


NEW_SIDOROV = ["key", "new", "--name", "П. Сидоров", "--org", "ГКСЭ", "--country", "BY"]


def test_key_from_another_workstation_is_filed_and_enrolled(tmp_path: Path) -> None:
    """An agency enrols a key made elsewhere from its certificate alone."""
    other = tmp_path / "other"
    remote = CliRunner().invoke(
        cli,
        ["--workspace", str(other), "init", "--authority", "Remote office"],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE},
    )
    assert remote.exit_code == 0, remote.output
    made = CliRunner().invoke(
        cli,
        ["--workspace", str(other), *NEW_SIDOROV, "--role", "expert"],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE},
    )
    assert made.exit_code == 0, made.output
    pem = tmp_path / "sidorov.pem"
    exported = CliRunner().invoke(cli, ["--workspace", str(other), "key", "export", "П. Сидоров"])
    pem.write_text(exported.stdout)
    assert _run(tmp_path, "init", "--authority", "Head").exit_code == 0
    enrolled = _run(tmp_path, "key", "enrol", "--cert", str(pem), "--reason", "order 311")
    assert enrolled.exit_code == 0, enrolled.output
    assert enrolled.stdout.startswith("enrolled: П. Сидоров ")
    listed = _run(tmp_path, "key", "list").stdout.splitlines()[-1]
    assert "П. Сидоров" in listed and listed.endswith("enrolled")
    _one_line_error(
        _run(tmp_path, "key", "enrol", "--cert", str(pem)), 2, "already in this workspace"
    )
    _one_line_error(_run(tmp_path, "key", "enrol"), 2, "name a KEY")
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n")
    _one_line_error(_run(tmp_path, "key", "enrol", "--cert", str(garbage)), 3, "not an X.509")
    code, out = audit_cli(tmp_path / "ws")
    assert code == 0, out


def test_hostile_name_in_a_foreign_certificate_is_escaped(tmp_path: Path) -> None:
    from tests.trust.trust_support import forged_key

    _, cert = forged_key("Evil\x1b[2JName", role="expert")
    pem = tmp_path / "evil.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert _run(tmp_path, "init").exit_code == 0
    result = _run(tmp_path, "key", "enrol", "--cert", str(pem))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "Evil\\x1b[2JName" in result.stdout  # shown as an escape, never sent raw


def test_a_key_the_root_does_not_vouch_for_signs_nothing(tmp_path: Path) -> None:
    """Refused before the passphrase is asked for: not enrolled, then revoked."""
    assert _run(tmp_path, "init", "--authority", "Head").exit_code == 0
    new = ["key", "new", "--org", "O", "--country", "BY", "--role", "investigator", "--name"]
    assert _run(tmp_path, *new, "A B", "--no-enrol").exit_code == 0
    opened = _run(tmp_path, "case", "new", "BY-1", "--title", "t", "--jurisdiction", "BY")
    assert opened.exit_code == 0, opened.output
    evidence = tmp_path / "screen.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ingest = ["ingest", str(evidence), "--case", "BY-1", "--source", "phone", "--as", "A B"]
    # No passphrase in the environment: a prompt would fail differently (exit 3).
    refused = _run(tmp_path, *ingest, env={"CUSTODY_PASSPHRASE": ""})
    _one_line_error(refused, 2, "'A B' may not sign: signer is not established")
    assert _run(tmp_path, "item", "list", "--json").output.strip() == "[]"
    # A CSR is how such a key gets vouched for: allowed.
    assert "BEGIN CERTIFICATE REQUEST" in _run(tmp_path, "key", "csr", "A B").output
    assert _run(tmp_path, "key", "enrol", "A B", "--as", "Head").exit_code == 0
    assert _run(tmp_path, *ingest).exit_code == 0
    revoked = _run(tmp_path, "key", "revoke", "A B", "--reason", "left the unit", "--as", "Head")
    assert revoked.exit_code == 0, revoked.output
    (item,) = [line for line in _run(tmp_path, "item", "list").output.splitlines()[2:] if line]
    event = ["event", item.split()[0], "--action", "accessed", "--as", "A B"]
    _one_line_error(_run(tmp_path, *event), 2, "after the signer's revocation")
    assert audit_cli(tmp_path / "ws")[0] == 0


def test_log_marks_events_by_a_signer_the_root_does_not_establish(
    world: World, evidence_dir: Path
) -> None:
    """An event slipped in by a key nobody enrolled (library call, no CLI refusal) is marked
    in the log, as it is a finding in the audit."""
    world.ingest(evidence_dir / "empty.bin")
    items = list_items(world.ws.ledger, CASE)
    record = world.ws.keys.create("Intruder", "X", "BY", "expert", PASSPHRASE, enrol=False)
    intruder = world.ws.keys.unlock(record, PASSPHRASE)
    append_events(world.ws.ledger, intruder, items, "accessed")
    args = ["--workspace", str(world.ws.root), "log", items[0].item_id]
    shown = CliRunner().invoke(cli, args, env={"COLUMNS": "200"}, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.output.splitlines() if "accessed" in x)
    assert "Intruder" in line and "UNESTABLISHED" in line
    assert "UNESTABLISHED: signed by a key the trust root did not let sign" in shown.output
    data = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    events = json.loads(data.output)[0]["events"]
    assert [e["signer_problem"] is not None for e in events] == [False, False, True]
