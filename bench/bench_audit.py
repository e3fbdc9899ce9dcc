"""Audit of a ledger with 100,000 events against `openssl speed ecdsap256` verify/s.

Target: our events verified per second per core (both cores used) >= 0.44x openssl's verify/s
on one core. The audit does more per event than openssl's loop: it parses the event, checks its
canonical form, hash, schema and chain link, establishes the signer through the trust root, then
verifies the ECDSA signature.

Two ratios are printed. Wall clock, as the target is stated; and CPU time (the audit's user +
system seconds, worker processes included, against openssl's, which `openssl speed` measures in
CPU time too): on a machine shared with other jobs the wall-clock ratio says more about the
neighbours than about the audit. The trust-path cost (establishing every certificate once, then
one lookup and time comparison per event) is timed separately.
Usage: .venv/bin/python bench/bench_audit.py [--events 100000] [--items 1000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import CUSTODY, event_ledger, openssl_verify_rate

from evidence.workspace import Workspace


def build(root: Path, events: int, items: int) -> None:
    event_ledger(root, events, items).close()


def audit_once(env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, workers included) of one audit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([CUSTODY, "audit", "--quiet"], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"custody audit failed with status {status}")
    return wall, usage.ru_utime + usage.ru_stime


def trust_path_seconds(root: Path) -> float:
    """What establishing signers costs: path validation per certificate, a lookup per event."""
    from evidence.audit.events import CERTIFICATES_SQL, EventFacts, load_certificates
    from evidence.audit.trust import check_signers
    from evidence.trust.establish import establish
    from evidence.trust.store import load_state

    ws = Workspace.open(root)
    try:
        rows = ws.ledger.rows("SELECT item_id, seq, hash, signer, body FROM events")
        facts = [
            EventFacts(
                r["item_id"],
                r["seq"],
                r["hash"],
                None,
                None,
                None,
                None,
                r["signer"],
                r["body"][r["body"].index('"at":"') + 6 :][:27],
            )
            for r in rows
        ]
        t0 = time.process_time()
        certs = load_certificates(ws.ledger.rows(CERTIFICATES_SQL))[0]
        state = load_state(ws.ledger)
        assert state.anchor is not None
        view = establish(state.anchor, state.records, certs)
        found: list[str] = []
        check_signers(view, facts, lambda check, subject, message: found.append(message))
        spent = time.process_time() - t0
    finally:
        ws.close()
    if found:
        raise SystemExit(f"trust path found problems: {found[:3]}")
    return spent


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
        runs = [audit_once(env) for _ in range(2)]
        ours, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        total = args.events
        cores = os.cpu_count() or 1
        rate = total / ours
        openssl = openssl_verify_rate()
        print(
            f"custody audit: {total} events in {ours:.2f}s = {rate:,.0f} events/s on {cores} cores"
            f" ({cpu:.2f}s CPU = {total / cpu:,.0f} events per CPU-second)"
        )
        print(f"openssl speed ecdsap256: {openssl:,.0f} verify/s on one core (CPU time)")
        print(f"ratio per core, wall clock: {rate / cores / openssl:.2f}x (target >= 0.44x)")
        print(f"ratio per core, CPU time:   {total / cpu / openssl:.2f}x")
        trust = trust_path_seconds(base / "ws")
        print(
            f"trust path: {trust * 1e6 / total:.1f} µs per event "
            f"({trust:.3f}s for {total} events, {100 * trust / cpu:.1f}% of the audit's CPU time)"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
