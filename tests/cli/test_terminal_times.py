"""Every time a command prints for people is in --tz (or $CUSTODY_TZ), to the second: the
tables and fields, and the check details and findings (whose recorded times are Moments);
--json keeps every time as recorded. Each command family is run for real at +03:00 on a
workspace with a TSA-stamped checkpoint, a revoked key, a bundle and a backdated event."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from tests.bundle.bundle_support import REQUEST_ARGS
from tests.conftest import TsaFixture
from tests.helpers import CASE, PASSPHRASE
from tests.test_cli import Shell
from tests.trust.test_time_attacks import INSIDER

# A time as stored (RFC 3339: a T, or microseconds), or a whole date and time in UTC where
# +03:00 was asked for (UTC beside a local time, "(19:04:29Z)", is meant).
STORED = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\.\d+|\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"
)
PLUS3 = timedelta(hours=3)
PROSECUTOR = ("--name", "Prosecutor", "--org", "PGO", "--country", "BY", "--role", "prosecutor")


def local(at: str) -> str:
    """A stored UTC time as the terminal shows it at --tz +03:00."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC) + PLUS3
    return moment.strftime("%Y-%m-%d %H:%M:%S +03:00")


def no_stored_time(result: Result) -> str:
    """stdout and stderr together, after asserting no time in them is printed as stored."""
    text = result.stdout + result.stderr
    found = STORED.findall(text)
    assert not found, (found, text)
    return text


@dataclass
class Scene:
    sh: Shell
    item: str
    bundle: Path
    fingerprint: str
    tsa: TsaFixture


@pytest.fixture
def scene(sh: Shell, photo: Path, local_tsa: TsaFixture, tmp_path: Path) -> Scene:
    """One item moved to the evidence room, a key revoked, a TSA checkpoint and a bundle."""
    sh("ingest", str(photo), "--case", CASE, "--as", "A. Ivanov", "--source", "Samsung A51")
    item = str(json.loads(sh("item", "list", "--json").stdout)[0]["item_id"])
    sh("transfer", item, "--as", "A. Ivanov", "--to", "Evidence Room")
    sh("receive", item, "--as", "Evidence Room")
    sh("key", "new", "--name", "Trainee", "--org", "IC", "--country", "BY", "--role", "expert")
    sh("key", "revoke", "Trainee", "--reason", "left the unit")
    sh("checkpoint", "--as", "Evidence Room", "--tsa", local_tsa.url)
    sh("key", "new", *PROSECUTOR)
    out = tmp_path / "request.zip"
    sh("bundle", CASE, "--as", "Prosecutor", "-o", str(out), "--tsa", local_tsa.url, *REQUEST_ARGS)
    fp = str(json.loads(sh("key", "show", "Prosecutor", "--json").stdout)["fingerprint"])
    return Scene(sh, item, out, fp, local_tsa)


def test_keys_and_cases_print_times_in_tz(scene: Scene) -> None:
    sh = scene.sh
    keys = json.loads(sh("key", "list", "--json").stdout)
    assert next(k for k in keys if k["name"] == "Trainee")["trust"].startswith("revoked 20")
    state = json.loads(sh("case", "show", CASE, "--json").stdout)
    listing = no_stored_time(sh("key", "list", "--tz", "+03:00"))
    assert re.search(r"Trainee .* revoked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+03:00", listing)
    shown = no_stored_time(sh("key", "show", "Trainee", "--tz", "+03:00"))
    assert re.search(r"valid: +\S+ \d\d:\d\d:\d\d \+03:00 to \S+ \d\d:\d\d:\d\d \+03:00", shown)
    assert local(state["created_at"]) in no_stored_time(sh("case", "show", CASE, "--tz", "+03:00"))
    opened = local(state["created_at"])[:10]
    assert opened in no_stored_time(sh("case", "list", "--tz", "+03:00"))
    # $CUSTODY_TZ is the default: the same line without the option.
    env = {"CUSTODY_TZ": "+03:00"}
    assert local(state["created_at"]) in sh("case", "show", CASE, env=env).stdout


def test_checkpoint_timestamp_and_audit_print_times_in_tz(scene: Scene) -> None:
    sh = scene.sh
    made = no_stored_time(
        sh("checkpoint", "--as", "Evidence Room", "--tsa", scene.tsa.url, "--tz", "+03:00")
    )
    assert re.search(r"RFC 3161 time: \S+ \d\d:\d\d:\d\d \+03:00 ", made), made
    stamps = json.loads(sh("timestamp", "--json").stdout)["checkpoints"]
    listed = no_stored_time(sh("timestamp", "--tz", "+03:00"))
    for cp in stamps:
        assert local(cp["created_at"]) in listed
    # The audit's check details carry recorded times (the checkpoint's and its token's).
    audited = sh("audit", "--json")
    detail = next(c for c in json.loads(audited.stdout)["checks"] if c["check"] == "checkpoint")
    stored = re.findall(r"\d{4}-\d\d-\d\dT[\d:.]+Z", detail["message"])
    assert len(stored) == 2, detail  # --json keeps them as recorded
    text = no_stored_time(sh("audit", "--tz", "+03:00"))
    for at in stored:
        assert local(at) in text, text


def test_verify_prints_times_in_tz(scene: Scene) -> None:
    sh = scene.sh
    args = ["verify", str(scene.bundle), "--fingerprint", scene.fingerprint]
    args += ["--tsa-trust", str(scene.tsa.ca)]
    checks = json.loads(sh(*args, "--json").stdout)["checks"]
    details = " ".join(c["message"] or "" for c in checks if c["check"].endswith("timestamp"))
    stored = re.findall(r"\d{4}-\d\d-\d\dT[\d:.]+Z", details)
    assert len(stored) == 2, details  # the log checkpoint's genTime and claimed time
    text = no_stored_time(sh(*args, "--tz", "+03:00"))
    for at in stored:
        assert local(at) in text
    assert re.search(r"cms\.timestamp .*RFC 3161 time \S+ \d\d:\d\d:\d\d \+03:00 by", text)


def test_json_is_the_same_whatever_the_zone(scene: Scene) -> None:
    sh = scene.sh
    verify = ["verify", str(scene.bundle), "--fingerprint", scene.fingerprint, "--json"]
    for args in (["audit", "--json"], ["key", "list", "--json"], ["timestamp", "--json"], verify):
        utc = sh(*args).stdout
        assert sh(*args, "--tz", "+03:00").stdout == utc, args
        assert sh(*args, env={"CUSTODY_TZ": "Asia/Tokyo"}).stdout == utc, args
    assert STORED.search(sh("audit", "--json").stdout)


def test_a_backdated_event_is_named_in_tz_by_audit_and_log(scene: Scene) -> None:
    """A key holder's own program signs an event dated an hour before the one it follows
    (faketime): the audit's finding and `log -q` give both times in --tz."""
    assert shutil.which("faketime"), "faketime is installed by `make system-deps`"
    rest = [scene.item, "P. Sidorov", PASSPHRASE]
    run = subprocess.run(
        ["faketime", "-f", "-1h", sys.executable, "-c", INSIDER, str(scene.sh.root), *rest],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    at = run.stdout.strip()
    events = json.loads(scene.sh("log", scene.item, "--json").stdout)[0]["events"]
    before = events[-2]["at"]
    audited = scene.sh("audit", "--tz", "+03:00", "--wide", code=1)
    text = no_stored_time(audited)
    assert f"dated {local(at)}, before event #" in text
    assert f"precedes it in its chain ({local(before)}): backdated" in text
    quiet = no_stored_time(scene.sh("log", scene.item, "-q", "--tz", "+03:00"))
    assert f"BACKDATED (dated {local(at)}" in quiet
    # The error line of a command refused for it lists the findings in --tz too.
    out = scene.bundle.with_name("refused.zip")
    bundle = ["bundle", CASE, "--as", "Prosecutor", "-o", str(out), *REQUEST_ARGS]
    refused = no_stored_time(scene.sh(*bundle, "--tz", "+03:00", code=1))
    assert "fails its audit" in refused and f"dated {local(at)}, before event #" in refused
    utc = datetime.fromisoformat(at.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%SZ")
    assert f"dated {utc}, before" in scene.sh(*bundle, code=1).stderr  # no --tz: UTC
    # Recorded as they were in --json.
    finding = json.loads(scene.sh("audit", "--json", code=1).stdout)["findings"]
    assert any(at in (f["message"] or "") for f in finding)


def test_a_clock_refusal_names_its_times_in_custody_tz(scene: Scene) -> None:
    """A command without --tz (event) refused because this computer's clock is behind the
    latest checkpoint: its error line gives both times in $CUSTODY_TZ, to the second."""
    custody = str(Path(sys.executable).with_name("custody"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    args = [custody, "--workspace", str(scene.sh.root), "event", scene.item]
    args += ["--action", "accessed", "--as", "Evidence Room"]
    run = subprocess.run(
        ["faketime", "-f", "-1h", *args],
        env={**env, "CUSTODY_TZ": "+03:00"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "refusing to sign: this computer's clock (" in run.stderr
    assert not STORED.findall(run.stderr), run.stderr
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+03:00", run.stderr)) == 3, run.stderr
