"""The append-only log's costs: per append, a checkpoint cosigned by one witness, the log part
of a full audit, and `audit --since-checkpoint` after 1,000 new events.

Targets (issue 19): checkpoint with one witness over 100,000 events; audit of 100,000 events
within 10% of the audit without the log; --since-checkpoint after 1,000 new events of
1,000,000 in under 2 s with process start-up. Building a ledger costs one ECDSA signature and
one transaction per event, so the sizes are parameters: say which were used beside any figure.

Usage: .venv/bin/python bench/bench_log.py [--events 100000] [--items 1000] [--dir DIR]
       .venv/bin/python bench/bench_log.py --since-big 1000000 [--dir DIR]
           (only `audit --since-checkpoint` after 1,000 new events on a ledger of that size,
           made by bench/bigledger.py: minutes the first time, then copied from its cache)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import CUSTODY, PASSPHRASE, event_ledger

from evidence.audit import audit
from evidence.audit.log import audit_log, audit_log_since
from evidence.checkpoint import from_row
from evidence.custody import append_events
from evidence.items import list_items
from evidence.ledger import select_all
from evidence.tlog import ledgerlog
from evidence.tlog.ledgerlog import note_vkey
from evidence.witness import Witness, WitnessServer, WitnessStore
from evidence.workspace import Workspace


def build(root: Path, events: int, items: int) -> str:
    """A workspace of about `events` events over `items` items; returns the signer's vkey."""
    ws = event_ledger(root, events, items, rounds_less=2)
    signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    anchor = ws.ledger.rows("SELECT fingerprint FROM trust_anchor")[0]["fingerprint"]
    vkey = note_vkey(str(anchor), signer.private_key.public_key())
    ws.close()
    return vkey


def per_append(root: Path, items: int) -> tuple[float, float]:
    """Seconds per event appended with the log, and without it (the leaf step switched off)."""
    ws = Workspace.open(root)
    signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    chosen = list_items(ws.ledger, "BENCH-1")[:items]
    with_log: list[float] = []
    without: list[float] = []
    real = ledgerlog.has_log
    # Alternating, five rounds each: a shared machine's drift hits both alike. The leaves
    # skipped in the rounds without the log make that ledger fail its audit: it is thrown away.
    for _ in range(5):
        for flag, out in ((True, with_log), (False, without)):
            ledgerlog.has_log = real if flag else (lambda ledger: False)
            t0 = time.perf_counter()
            append_events(ws.ledger, signer, chosen, "accessed", note="bench")
            out.append((time.perf_counter() - t0) / len(chosen))
    ledgerlog.has_log = real
    ws.close()
    return sorted(with_log)[2], sorted(without)[2]


def since_log_seconds(root: Path) -> float:
    """The log part of `audit --since-checkpoint` alone: frontier, new leaves, later roots."""
    ws = Workspace.open(root)
    try:
        rows = ws.ledger.rows(select_all("checkpoints") + " ORDER BY seq DESC LIMIT 1")
        start = from_row(rows[0])
        t0 = time.perf_counter()
        with ws.ledger.snapshot():
            audit_log_since(ws.ledger, start, [], [], lambda *a: None)
        return time.perf_counter() - t0
    finally:
        ws.close()


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def timed_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one child command, start-up included."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{cmd[:2]} failed with status {status}")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def since_big(base: Path, events: int, rounds: int = 5) -> None:
    """`audit --since-checkpoint` after 1,000 new events on a ledger of `events` events."""
    import bigledger

    root = base / "big"
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    bigledger.build(root, events)
    print(f"ledger of {events} events ready in {time.perf_counter() - t0:.0f} s")
    ws = Workspace.open(root)
    signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    append_events(ws.ledger, signer, list_items(ws.ledger, "BENCH-1")[:1000], "accessed")
    n = ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    ws.close()
    env = {**os.environ, "CUSTODY_HOME": str(root), "CUSTODY_PASSPHRASE": PASSPHRASE}
    runs = sorted(
        timed_cpu([CUSTODY, "audit", "--since-checkpoint", "--quiet"], env) for _ in range(rounds)
    )
    wall, cpu = runs[rounds // 2][0], sorted(c for _, c in runs)[rounds // 2]
    print(
        f"audit --since-checkpoint after 1000 new events of {n}: {wall:.2f} s wall, "
        f"{cpu:.2f} s CPU (medians of {rounds}, process start-up included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--since-big", type=int, default=None, metavar="EVENTS")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-log-"))
    if args.since_big:
        since_big(base, args.since_big)
        return
    root = base / "ws"
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    vkey = build(root, args.events, args.items)
    env = {**os.environ, "CUSTODY_HOME": str(root), "CUSTODY_PASSPHRASE": PASSPHRASE}
    ws = Workspace.open(root)
    n = ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    ws.close()
    print(f"built {n} events over {args.items} items in {time.perf_counter() - t0:.0f} s")

    witness_dir = base / "witness"
    if witness_dir.exists():
        shutil.rmtree(witness_dir)
    WitnessStore.init(witness_dir, "bench.witness", [vkey])
    server = WitnessServer(Witness(witness_dir)).start()
    try:
        seconds = timed([CUSTODY, "checkpoint", "--as", "Bench", "--witness", server.url], env)
        print(f"checkpoint cosigned by one witness over {n} events: {seconds:.2f} s (process)")
        ws = Workspace.open(root)
        signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
        chosen = list_items(ws.ledger, "BENCH-1")
        added = 0
        while added < 1000:
            batch = chosen[: 1000 - added]
            append_events(ws.ledger, signer, batch, "accessed", note="new")
            added += len(batch)
        ws.close()
        seconds = timed([CUSTODY, "audit", "--since-checkpoint", "--quiet"], env)
        print(f"audit --since-checkpoint after 1000 new events of {n + 1000}: {seconds:.2f} s")
        print(f"  of which the log part (in process): {since_log_seconds(root):.3f} s")
        seconds = timed([CUSTODY, "checkpoint", "--as", "Bench", "--witness", server.url], env)
        print(f"next checkpoint (1000 new, witness proof from its size): {seconds:.2f} s")
    finally:
        server.stop()

    ws = Workspace.open(root)
    t0 = time.perf_counter()
    result = audit(ws)
    whole = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ws.ledger.snapshot():
        audit_log(ws.ledger, None, {}, ws.checkpoint_dir, lambda *a: None)
    log_part = time.perf_counter() - t0
    ws.close()
    print(
        f"full audit of {result.events_checked} events: {whole:.1f} s, of which the log check "
        f"{log_part:.2f} s ({100 * log_part / whole:.1f}%)"
    )
    with_log, without = per_append(root, min(args.items, 500))
    print(
        f"append (medians of 5, {min(args.items, 500)} events per transaction): "
        f"{with_log * 1e3:.2f} ms per event with the log, {without * 1e3:.2f} ms without: "
        f"the log costs {(with_log - without) * 1e3:.2f} ms per append"
    )


if __name__ == "__main__":
    main()
