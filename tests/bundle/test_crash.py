"""`kill -9` during `custody bundle`, for real: after the next command there is no `.part`
file, and every `exported` event either has its bundle or is followed by a signed note saying
the bundle was not produced (docs/bundle.md, steps 4 to 6); the ledger still audits clean."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.bundle.verify import verify_bundle
from evidence.events import item_events
from evidence.items import list_items
from evidence.keys import Signer
from tests.bundle.bundle_support import REQUEST_ARGS, run_custody
from tests.helpers import CASE, PASSPHRASE, World

# Runs the real CLI in a child that SIGKILLs itself at one chosen step of the export.
CHILD = """
import os, signal, sys
import evidence.bundle.build as build
step = sys.argv[1]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
real = getattr(build, step)
def at_step(*args, **kwargs):
    if step == "place":
        die()
    real(*args, **kwargs)
    die()
setattr(build, step, at_step)
from evidence.cli.main import main
sys.argv = ["custody", *sys.argv[2:]]
main()
"""


def _one_file(world: World, tmp_path: Path, size: int) -> World:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "disk.img").write_bytes(os.urandom(size))
    world.ingest(folder)
    return world


@pytest.fixture
def big(world: World, prosecutor: Signer, tmp_path: Path) -> World:
    """A case holding one 48 MiB file, so that writing the zip takes a moment (for the kills
    timed from outside)."""
    return _one_file(world, tmp_path, 48 << 20)


@pytest.fixture
def small(world: World, prosecutor: Signer, tmp_path: Path) -> World:
    """The same with a 64 KiB file, for the kills at a chosen step (nothing timed)."""
    return _one_file(world, tmp_path, 64 << 10)


def _env(world: World) -> dict[str, str]:
    return {"CUSTODY_HOME": str(world.ws.root), "CUSTODY_PASSPHRASE": PASSPHRASE}


def _args(out: Path) -> list[str]:
    return ["bundle", CASE, "--as", "Н. Петрова", "-o", str(out), "--quiet", *REQUEST_ARGS]


def _exports(world: World) -> int:
    items = list_items(world.ws.ledger, CASE)
    return sum(
        1
        for i in items
        for ev in item_events(world.ws.ledger, i.item_id)
        if ev.body["action"] == "exported"
    )


def _after_next_command(world: World, out: Path) -> str:
    proc = run_custody(["item", "list", "--case", CASE], env=_env(world))
    assert proc.returncode == 0, proc.stderr
    assert not list(out.parent.glob(".*.part")), "a .part file was left behind"
    assert not list((world.ws.root / "exports").glob("*")), "an export journal was left behind"
    audit = run_custody(["audit"], env=_env(world))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    return proc.stderr


def _noted_unproduced(world: World) -> None:
    """Every item's chain ends with its export and then the signed note that it failed."""
    for item in list_items(world.ws.ledger, CASE):
        *_, exported, note = item_events(world.ws.ledger, item.item_id)
        assert exported.body["action"] == "exported"
        assert note.body["action"] == "note"
        assert note.body["note"] == (
            "bundle request-0042 was not produced (the process was interrupted)"
        )
        assert note.body["prev"] == exported.hash


def test_kill_while_the_zip_is_written(big: World, tmp_path: Path) -> None:
    out = tmp_path / "request-0042.zip"
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "custody"), *_args(out)],
        env={**os.environ, **_env(big)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".*.part")) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert list(tmp_path.glob(".*.part")), "the bundle never started writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    said = _after_next_command(big, out)
    assert "a signed note saying so now follows each of them" in said
    assert not out.exists()
    # The export was recorded with its checkpoint before the zip was written: the note says
    # that no bundle came of it.
    assert _exports(big) == 1
    _noted_unproduced(big)


# Steps of build.py, each killed just after it returns (`place`: just before it runs).
NOTHING = ["start_export", "prepare_events", "commit_prepared_locked"]
NOTED = ["_record_export", "_assemble"]
PLACED = ["place"]


@pytest.mark.parametrize("step", NOTHING + NOTED + PLACED)
def test_kill_at_each_step(step: str, small: World, tmp_path: Path) -> None:
    out = tmp_path / "request-0042.zip"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, step, *_args(out)],
        env={**os.environ, **_env(small)},
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    said = _after_next_command(small, out)
    if step in PLACED:
        # The zip was complete: the next command finished the export.
        assert out.exists() and _exports(small) == 1
        result = verify_bundle(out)
        assert result.status == "signer-unverified", [
            c for c in result.checks if c.status == "failed"
        ]
    elif step in NOTED:
        assert not out.exists() and _exports(small) == 1
        assert "a signed note saying so now follows each of them" in said
        _noted_unproduced(small)
    else:
        # Killed inside the transaction (or before it): nothing was recorded.
        assert not out.exists() and _exports(small) == 0
        assert list(small.ws.ledger.rows("SELECT seq FROM checkpoints")) == []


def test_bundle_is_private_whatever_the_umask(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "request-0042.zip"
    old = os.umask(0)
    try:
        proc = run_custody(_args(out), env=_env(seized))
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_running_export_is_left_alone_by_other_commands(big: World, tmp_path: Path) -> None:
    out = tmp_path / "request-0042.zip"
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "custody"), *_args(out)],
        env={**os.environ, **_env(big)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".*.part")) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc = run_custody(["item", "list", "--case", CASE], env=_env(big))
    assert proc.returncode == 0, proc.stderr
    assert "removed" not in proc.stderr
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert out.exists() and _exports(big) == 1
