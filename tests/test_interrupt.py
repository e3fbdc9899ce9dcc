"""Ctrl-C during an ingest, as a user presses it: a real SIGINT to the real `custody` process
at several moments (scanning, hashing and exiftool at work, signing). The process must end
within seconds with exit 130, one line, no traceback and no library warning, and leave
nothing half-written: the audit passes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evidence.cli.interrupt import INTERRUPTED

from tests.helpers import DATA

CUSTODY = Path(sys.executable).parent / "custody"
PASSPHRASE = "correct horse battery"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CUSTODY), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_ctrl_c_during_ingest_ends_cleanly(tmp_path: Path) -> None:
    after = 1.5  # seconds: the key unlocked, exiftool and the hashing at work
    env = {
        **os.environ,
        "CUSTODY_HOME": str(tmp_path / "ws"),
        "CUSTODY_PASSPHRASE": PASSPHRASE,
    }
    env.pop("COLUMNS", None)
    assert _run(["init", "--authority", "Test authority"], env).returncode == 0
    key = ["key", "new", "--name", "A. Ivanov", "--org", "IC", "--country", "BY"]
    assert _run([*key, "--role", "investigator"], env).returncode == 0
    case = ["case", "new", "BY-1", "--title", "t", "--jurisdiction", "BY"]
    assert _run(case, env).returncode == 0
    seized = tmp_path / "seized"
    seized.mkdir()
    photo = (DATA / "images" / "GPS.jpg").read_bytes()
    for n in range(300):  # distinct files: every one is hashed, copied and read by exiftool
        (seized / f"img{n:03d}.jpg").write_bytes(photo + n.to_bytes(2, "big"))
    ingest = [str(CUSTODY), "ingest", str(seized), "--case", "BY-1", "--as", "A. Ivanov"]
    process = subprocess.Popen(
        [*ingest, "--source", "phone"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # pytest may run with SIGINT ignored (xdist workers): the child gets the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,  # its own process group: exiftool children can be counted
    )
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("ingest still running 20 s after Ctrl-C") from None
    took = time.monotonic() - sent
    assert "Traceback" not in err and "Warning" not in err and "warning" not in err, err
    if process.returncode == 0:
        pytest.skip(f"the ingest finished before Ctrl-C at {after} s (machine fast)")
    assert process.returncode == 130, (process.returncode, err)
    assert err.strip().splitlines()[-1] == INTERRUPTED
    assert took < 10, took
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # no exiftool (or other child) left behind
        os.killpg(process.pid, 0)
    audit = _run(["audit"], env)
    assert audit.returncode == 0, audit.stdout + audit.stderr


# Ctrl-C while the command line itself loads (click, the command's module): a real SIGINT at
# an exact moment, sent by the process to itself when a given module starts to import.
AT_IMPORT = """
import builtins, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python starts a process
target, entry, sys.argv = sys.argv[1], sys.argv[2], ["custody", *sys.argv[3:]]
real_import = builtins.__import__
def hooked(name, *args, **kwargs):
    if name.split(".")[0] == target and target not in sys.modules:
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)
builtins.__import__ = hooked
if entry == "launch":
    from evidence.cli.launch import main
else:
    from evidence.cli.main import main
main()
"""


def _interrupt_at_import(target: str, entry: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", AT_IMPORT, target, entry, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("click", ["--version"]),  # while the command line loads: ended at once
        # while a command loads its library (verify: the message catalogue's reader; its
        # checks, and cryptography with them, load only once it hashes)
        ("polib", ["verify", "missing.zip"]),
    ],
)
def test_ctrl_c_while_the_command_line_loads(target: str, args: list[str]) -> None:
    done = _interrupt_at_import(target, "launch", *args)
    assert (done.returncode, done.stderr) == (130, INTERRUPTED + "\n"), done.stderr
    assert done.stdout == ""


def test_without_the_launcher_it_was_a_traceback() -> None:
    """The moment above is the one that printed a traceback before the launcher."""
    done = _interrupt_at_import("click", "main", "--version")
    assert "Traceback" in done.stderr and "KeyboardInterrupt" in done.stderr


# What a SIGINT may give before the launcher's first line runs: Python's own start has not yet
# installed its handler (the default action ends the process, silently); or Python is importing
# its `site` module (it reports a failed start, with a traceback of site's imports); or the
# console script is importing the launcher (evidence/__init__.py, cli/__init__.py, launch.py and
# cli/interrupt.py, the handler it installs). No entry point can run code earlier; the test
# counts these apart.
# What Python itself prints for a SIGINT while it starts, before any code of ours runs: during
# its `site` import (fatal), or while it checks whether the script's path is a zip archive
# (printed with a traceback, after which Python carries on and runs the command).
PYTHON_START = ("Fatal Python error: init_import_site", "Failed checking if argv[0] is an import")
BEFORE_LAUNCHER = re.compile(r"/(evidence/__init__|cli/__init__|cli/launch|cli/interrupt)\.py$")


def _before_the_launcher(err: str) -> bool:
    """err is a KeyboardInterrupt raised before launch.main() installed its handler."""
    frames = re.findall(r'File "([^"]+)"', err)
    ours = [f for f in frames if re.search(r"/(evidence|cli|click)/", f)]
    return (
        err.rstrip().endswith("KeyboardInterrupt")
        and all(BEFORE_LAUNCHER.search(f) for f in ours)
        and "from .main import" not in err
    )


def test_ctrl_c_right_after_start_never_gives_our_traceback(tmp_path: Path) -> None:
    """A real Ctrl-C to the real `custody` at 24 moments spread over its whole run (however
    loaded the machine): from the launcher's first line on, always one line and exit 130,
    never a traceback."""
    command = [str(CUSTODY), "verify", str(tmp_path / "missing.zip")]
    started = time.monotonic()
    assert _run(command[1:], dict(os.environ)).returncode == 3
    lifetime = time.monotonic() - started
    outcomes: dict[str, int] = {}
    for n in range(24):
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(lifetime * n / 24)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert out == ""
        if process.returncode == -signal.SIGINT and err == "":
            outcome = "before Python's handler"
        elif err.startswith(PYTHON_START) or _before_the_launcher(err):
            outcome = "before the launcher"
        elif err.startswith("custody: error: "):
            # The command ran to its end (its one line), the signal came while it exited.
            assert process.returncode in (3, -signal.SIGINT) and len(err.splitlines()) == 1, err
            outcome = "finished first"
        else:
            assert (process.returncode, err) == (130, INTERRUPTED + "\n"), err
            outcome = "ours"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.get("ours", 0) >= 3, outcomes


IN_A_CALLBACK = """
import signal, sys, weakref
from evidence.cli import interrupt
# Python's own handler, whatever this process inherited (a job started with SIGINT ignored,
# as make or CI may start it, would otherwise lose the signal for another reason).
signal.signal(signal.SIGINT, signal.default_int_handler)
if sys.argv[1] == "launcher":
    signal.signal(signal.SIGINT, interrupt.end_at_once)  # as launch.main() does
    interrupt.interruptible()  # as a command begins
class Thing: pass
thing = Thing()
def callback(ref):  # run by Python from C, as importlib's module-lock cleanup is
    signal.raise_signal(signal.SIGINT)
    sum(range(1000))  # the handler runs here, inside the callback
ref = weakref.ref(thing, callback)
try:
    del thing
    for _ in range(10**7):
        pass
except KeyboardInterrupt:
    print("interrupted")
else:
    print("lost")
"""


@pytest.mark.parametrize(("mode", "printed"), [("launcher", "interrupted"), ("python", "lost")])
def test_ctrl_c_inside_a_callback_still_interrupts_the_command(mode: str, printed: str) -> None:
    """A Ctrl-C whose KeyboardInterrupt Python runs inside a callback it calls from C (as the
    early Ctrl-C test once hit in importlib's module-lock cleanup) is raised again in the
    command, silently; Python alone prints "Exception ignored" and carries on as if no key was
    pressed (shown, so the test can fail)."""
    done = subprocess.run(
        [sys.executable, "-c", IN_A_CALLBACK, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout == printed + "\n"
    if mode == "launcher":
        assert done.stderr == ""
    else:
        assert "Exception ignored in" in done.stderr and "KeyboardInterrupt" in done.stderr
