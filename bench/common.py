"""Shared bits of the benchmarks: timing a command, peak memory, a ready workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

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
