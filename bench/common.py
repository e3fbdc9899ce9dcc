"""Shared bits of the benchmarks: timing a command, peak memory, a ready workspace."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from evidence.cases import create_case
from evidence.custody import append_events
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.workspace import AuthoritySetup, Workspace

PASSPHRASE = "benchmark passphrase"
CUSTODY = str(Path(sys.executable).parent / "custody")


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    """Wall-clock seconds of one command, which must succeed."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def timed_with_rss(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one child command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{cmd[:2]} failed with status {status}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def workspace(root: Path) -> dict[str, str]:
    """A fresh workspace with one investigator key and case BENCH-1; returns the environment."""
    if root.exists():
        shutil.rmtree(root)
    env = {**os.environ, "CUSTODY_HOME": str(root), "CUSTODY_PASSPHRASE": PASSPHRASE}
    subprocess.run([CUSTODY, "init"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        [
            CUSTODY,
            "key",
            "new",
            "--name",
            "Bench",
            "--org",
            "Bench",
            "--country",
            "BY",
            "--role",
            "investigator",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [CUSTODY, "case", "new", "BENCH-1", "--title", "benchmark", "--jurisdiction", "BY"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return env


def ratio_line(label: str, ours: float, theirs: float, target: str) -> str:
    """One printed comparison."""
    times = f"ours {ours:7.2f}s  theirs {theirs:7.2f}s"
    return f"{label:<44} {times}  ratio {ours / theirs:5.2f}x  ({target})"


def event_ledger(root: Path, events: int, items: int, rounds_less: int = 1) -> Workspace:
    """A workspace (authority root, key "Bench", case BENCH-1) with `items` small items
    ingested, then `events // items - rounds_less` rounds of an "accessed" event on every item;
    returned open."""
    ws = Workspace.init(root, AuthoritySetup("Bench authority", PASSPHRASE))
    record = ws.keys.create("Bench", "Bench", "BY", "custodian", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    create_case(ws.ledger, "BENCH-1", "benchmark", "BY", "", "bench")
    files = root.parent / "files"
    files.mkdir(exist_ok=True)
    for n in range(items):
        (files / f"f{n:05d}.txt").write_text(f"evidence {n}\n")
    ingest(ws, signer, [files], IngestOptions(case="BENCH-1", source="bench"))
    all_items = list_items(ws.ledger, "BENCH-1")
    for n in range(max(0, events // items - rounds_less)):
        append_events(ws.ledger, signer, all_items, "accessed", note=f"round {n}")
    return ws


def openssl_verify_rate(seconds: int = 3) -> float:
    """ECDSA P-256 verifications per second on one core, as `openssl speed` measures them."""
    out = subprocess.run(
        ["openssl", "speed", "-seconds", str(seconds), "ecdsap256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # "256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  15000.0": sign/s then verify/s
    match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"cannot read openssl speed output:\n{out}")
    return float(match.group(2))
