"""Audit of a ledger with 100,000 events against `openssl speed ecdsap256` verify/s.

Target: our events verified per second per core (both cores used) >= 0.7x openssl's verify/s
on one core. The audit does more per event than openssl's loop: it parses the event, checks its
canonical form, hash, schema and chain link, then verifies the ECDSA signature.
Usage: .venv/bin/python bench/bench_audit.py [--events 100000] [--items 1000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import CUSTODY, PASSPHRASE

from evidence.cases import create_case
from evidence.custody import append_events
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.workspace import AuthoritySetup, Workspace


def build(root: Path, events: int, items: int) -> None:
    ws = Workspace.init(root, AuthoritySetup("Bench authority", PASSPHRASE))
    record = ws.keys.create("Bench", "Bench", "BY", "custodian", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    create_case(ws.ledger, "BENCH-1", "benchmark", "BY", "", "bench")
    files = root.parent / "files"
    files.mkdir()
    for n in range(items):
        (files / f"f{n:05d}.txt").write_text(f"evidence {n}\n")
    ingest(ws, signer, [files], IngestOptions(case="BENCH-1", source="bench"))
    all_items = list_items(ws.ledger, "BENCH-1")
    rounds = max(0, events // items - 1)
    for n in range(rounds):
        append_events(ws.ledger, signer, all_items, "accessed", note=f"round {n}")
    ws.close()


def openssl_verify_rate() -> float:
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "ecdsap256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # "256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  15000.0": sign/s then verify/s
    match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"cannot read openssl speed output:\n{out}")
    return float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-audit-", dir=args.dir))
    try:
        start = time.perf_counter()
        build(base / "ws", args.events, args.items)
        print(f"built ledger in {time.perf_counter() - start:.1f}s")
        env = {**os.environ, "CUSTODY_HOME": str(base / "ws")}
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run(
                [CUSTODY, "audit", "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL
            )
            times.append(time.perf_counter() - t0)
        ours = min(times)
        total = args.events
        cores = os.cpu_count() or 1
        rate = total / ours
        openssl = openssl_verify_rate()
        print(
            f"custody audit: {total} events in {ours:.2f}s = {rate:,.0f} events/s on {cores} cores"
        )
        print(f"openssl speed ecdsap256: {openssl:,.0f} verify/s on one core")
        per_core = rate / cores / openssl
        print(f"ratio per core: {per_core:.2f}x (target >= 0.7x)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
