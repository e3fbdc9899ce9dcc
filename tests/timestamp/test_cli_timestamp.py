"""`custody checkpoint --tsa`, `--tsa-optional`, `custody timestamp` and the audit of tokens."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from evidence.ledger import SQLiteLedger
from evidence.timestamp.localtsa import LocalTsa, TsaIdentity
from tests.conftest import TsaFixture
from tests.helpers import openssl_ts_verify
from tests.test_cli import Shell, _ingest

DOWN = "http://127.0.0.1:9/tsr"  # port 9 (discard): nothing listens on the loopback


def _file(sh: Shell, seq: int = 1) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (sh.root / "checkpoints" / f"checkpoint-{seq:06d}.json").read_text()
    )
    return data


def test_checkpoint_carries_a_token_openssl_accepts(
    sh: Shell, photo: Path, local_tsa: TsaFixture, tmp_path: Path
) -> None:
    _ingest(sh, photo)
    out = sh("checkpoint", "--as", "Evidence Room", "--tsa", local_tsa.url).stdout
    assert "RFC 3161 time: " in out
    saved = _file(sh)
    stamp = saved["timestamp"]
    assert isinstance(stamp, dict) and set(stamp) == {"token", "gen_time", "tsa_url"}
    # A recipient of the file alone: the token's imprint is over the checkpoint's signature.
    signature = base64.b64decode(str(saved["signature"]))
    result = openssl_ts_verify(base64.b64decode(stamp["token"]), signature, local_tsa.ca, tmp_path)
    assert result.returncode == 0, result.stderr
    listing = sh("timestamp", "--tsa-trust", str(local_tsa.ca)).stdout
    # Every time to the second (the stored one has microseconds), in UTC, or in --tz.
    gen_time = datetime.fromisoformat(str(stamp["gen_time"]).replace("Z", "+00:00"))
    assert "#1" in listing and "ok" in listing
    assert gen_time.strftime("%Y-%m-%d %H:%M:%SZ") in listing
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", listing), listing
    minsk = sh("timestamp", "--tz", "+03:00").stdout
    local = gen_time.astimezone(timezone(timedelta(hours=3)))
    assert local.strftime("%Y-%m-%d %H:%M:%S +03:00") in minsk
    assert gen_time.strftime("(%H:%M:%SZ)") in minsk
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", out + minsk), out
    assert "RFC 3161 time" in sh("audit").stdout


def test_unreachable_tsa_writes_nothing(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    result = sh("checkpoint", "--as", "Evidence Room", code=3, env={"CUSTODY_TSA_URL": DOWN})
    assert f"TSA {DOWN} is unreachable" in result.stderr and "--tsa-optional" in result.stderr
    assert not (sh.root / "checkpoints" / "checkpoint-000001.json").exists()
    conn = sqlite3.connect(sh.root / "ledger.db")
    assert conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone() == (0,)


def test_optional_tsa_leaves_pending_and_timestamp_completes_it(
    sh: Shell, photo: Path, local_tsa: TsaFixture
) -> None:
    _ingest(sh, photo)
    result = sh("checkpoint", "--as", "Evidence Room", "--tsa", DOWN, "--tsa-optional")
    assert "timestamp pending" in result.stderr
    assert "timestamp" not in _file(sh)
    assert "pending" in sh("timestamp").stdout
    sh("timestamp", "--pending", code=2)  # no TSA given
    done = sh("timestamp", "--pending", "--tsa", local_tsa.url)
    assert "1 pending checkpoint(s) timestamped" in done.stderr
    assert "timestamp" in _file(sh)
    data = json.loads(sh("timestamp", "--json", "--tsa-trust", str(local_tsa.ca)).stdout)
    assert data["ok"] and data["checkpoints"][0]["pending"] is False
    sh("audit")


def test_token_grafted_in_the_ledger_is_an_audit_finding(
    sh: Shell, photo: Path, local_tsa: TsaFixture
) -> None:
    _ingest(sh, photo)
    sh("checkpoint", "--as", "Evidence Room", "--tsa", local_tsa.url)
    second = photo.with_name("second.txt")
    second.write_text("chat export\n")
    _ingest(sh, second)
    sh("checkpoint", "--as", "Evidence Room", "--tsa", local_tsa.url)
    # Someone with write access (no key) swaps checkpoint #2's token for #1's.
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TRIGGER timestamps_no_update")
    conn.execute(
        "UPDATE timestamps SET token = (SELECT token FROM timestamps WHERE checkpoint_seq = 1) "
        "WHERE checkpoint_seq = 2"
    )
    conn.commit()
    conn.close()
    out = sh("audit", code=1).stdout
    assert "checkpoint #2 token" in out
    assert "message imprint is not the digest" in out
    assert "does not carry the same token" in out


def test_token_from_an_untrusted_tsa_fails_timestamp_check(
    sh: Shell, photo: Path, local_tsa: TsaFixture
) -> None:
    _ingest(sh, photo)
    stranger = LocalTsa(TsaIdentity.create("Stranger TSA")).start()
    try:
        sh("checkpoint", "--as", "Evidence Room", "--tsa", stranger.url)
    finally:
        stranger.stop()
    out = sh("timestamp", "--tsa-trust", str(local_tsa.ca), code=1).stdout
    assert "CN=Stranger TSA" in out and "not issued by a trusted root" in out
    sh("audit")  # without a TSA trust anchor the audit judges the token, not its issuer


def test_ledger_from_before_timestamps_opens_and_gains_the_table(sh: Shell) -> None:
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TABLE timestamps")
    conn.commit()
    conn.close()
    sh("audit")
    conn = sqlite3.connect(sh.root / "ledger.db")
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {"timestamps_no_update", "timestamps_no_delete"} <= triggers


def test_deleted_token_row_is_caught_by_the_file(
    sh: Shell, photo: Path, local_tsa: TsaFixture
) -> None:
    _ingest(sh, photo)
    sh("checkpoint", "--as", "Evidence Room", "--tsa", local_tsa.url)
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TRIGGER timestamps_no_delete")
    conn.execute("DELETE FROM timestamps")
    conn.commit()
    conn.close()
    out = sh("audit", code=1).stdout
    assert "the file carries a token the ledger has not (deleted?)" in out


def test_older_ledger_that_cannot_be_written_still_audits(
    sh: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TABLE timestamps")
    conn.commit()
    conn.close()

    def read_only(self: SQLiteLedger, names: tuple[str, ...]) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(SQLiteLedger, "_add_tables", read_only)
    sh("audit")
    assert "CHECKPOINT" in sh("timestamp").stdout
