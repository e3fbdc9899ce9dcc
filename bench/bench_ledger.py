"""Ledger backends side by side: appends/s with 1, 4 and 8 writers; full vs incremental audit.

Both backends are durable as deployed: SQLite in WAL with synchronous=FULL, PostgreSQL (a
throwaway cluster from tests/pgcluster.py) with fsync and synchronous_commit on. Each append is
one signed event in its own transaction, as `custody event` writes it. Writers append to their
own items (an agency's desks work on different evidence), all writers starting together.

The audit part builds a ledger of --events events, checkpoints it, appends --new more, copies
it into PostgreSQL with `custody ledger copy`, then times `custody audit` (full) against
`custody audit --since-checkpoint` (incremental) on both backends. Target: the incremental
audit of the last 1,000 events under 2 s.
Usage: .venv/bin/python bench/bench_ledger.py [--appends 200] [--events 100000] [--new 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CUSTODY, PASSPHRASE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence.audit.incremental import audit_since
from evidence.cases import create_case
from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.workspace import Workspace
from tests import pgcluster

WRITER = """
import os, sys, time
from pathlib import Path
from evidence.custody import append_events
from evidence.items import get_item
from evidence.workspace import Workspace
root, ledger, vault, item, count, go, passphrase = sys.argv[1:8]
# The writer is the application here: it reads the environment and passes the timeout down.
wait_ms = int(os.environ["CUSTODY_BUSY_TIMEOUT_MS"])
ws = Workspace.open(
    Path(root), ledger=ledger or None, vault=Path(vault) if vault else None, busy_timeout_ms=wait_ms
)
signer = ws.keys.unlock(ws.keys.resolve("Bench"), passphrase)
chosen = [get_item(ws.ledger, item)]
while not Path(go).exists():
    time.sleep(0.002)
for n in range(int(count)):
    append_events(ws.ledger, signer, chosen, "accessed", note=str(n))
"""


def setup(root: Path, items: int, ledger: str | None, vault: Path | None) -> list[str]:
    """A workspace with one key, one case and `items` ingested files; their item ids."""
    ws = Workspace.init(root, ledger=ledger, vault=vault)
    signer = ws.keys.unlock(
        ws.keys.create("Bench", "Bench", "BY", "custodian", PASSPHRASE), PASSPHRASE
    )
    create_case(ws.ledger, "BENCH-1", "benchmark", "BY", "", "bench")
    files = root.parent / f"files-{root.name}"
    files.mkdir()
    for n in range(items):
        (files / f"f{n:05d}.txt").write_text(f"evidence {root.name} {n}\n")
    ingest(ws, signer, [files], IngestOptions(case="BENCH-1", source="bench"))
    ids = [i.item_id for i in list_items(ws.ledger, "BENCH-1")]
    ws.close()
    return ids


def appends_per_second(
    root: Path, ids: list[str], writers: int, count: int, ledger: str, vault: str
) -> float:
    script = root.parent / "writer.py"
    script.write_text(WRITER)
    go = root.parent / f"go-{writers}-{time.monotonic_ns()}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(root),
                ledger,
                vault,
                ids[w],
                str(count),
                str(go),
                PASSPHRASE,
            ],
            env={**os.environ, "CUSTODY_BUSY_TIMEOUT_MS": "600000"},
        )
        for w in range(writers)
    ]
    time.sleep(1.5 + 0.3 * writers)  # every writer has opened the ledger and waits
    start = time.perf_counter()
    go.touch()
    if any(p.wait() for p in procs):
        raise SystemExit("a writer failed")
    return writers * count / (time.perf_counter() - start)


def build_history(root: Path, events: int, items: int, new: int) -> None:
    """`events` events in rounds over `items` items, a checkpoint, then `new` more."""
    setup(root, items, None, None)
    ws = Workspace.open(root)
    signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    all_items = list_items(ws.ledger, "BENCH-1")
    for n in range(max(0, events // items - 1)):
        append_events(ws.ledger, signer, all_items, "accessed", note=f"round {n}")
    create_checkpoint(ws.ledger, signer, ws.checkpoint_dir)
    for n in range(new // items):
        append_events(ws.ledger, signer, all_items, "analysed", note=f"new {n}")
    ws.close()


def timed(args: list[str], env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run([CUSTODY, *args], check=True, env=env, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=200, help="events per writer")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=args.dir))
    base.chmod(0o755)  # the cluster's unprivileged user must reach its folder inside
    cluster = pgcluster.create(base / "pg", durable=True)
    try:
        print(f"appends/s, {args.appends} signed events per writer, one per transaction")
        print(f"{'writers':>8} {'SQLite':>10} {'PostgreSQL':>11} {'PG/SQLite':>10}")
        for writers in (1, 4, 8):
            rates = []
            for kind in ("sqlite", "postgresql"):
                root = base / f"{kind}-{writers}"
                if kind == "sqlite":
                    ids = setup(root, writers, None, None)
                    rates.append(appends_per_second(root, ids, writers, args.appends, "", ""))
                else:
                    admin, tool = cluster.new_database(f"appends_{writers}")
                    vault = base / f"vault-{writers}"
                    ids = setup(root, writers, admin, vault)
                    rates.append(
                        appends_per_second(root, ids, writers, args.appends, admin, str(vault))
                    )
            print(
                f"{writers:>8} {rates[0]:>10,.0f} {rates[1]:>11,.0f} {rates[1] / rates[0]:>9.2f}x"
            )

        root = base / "history"
        start = time.perf_counter()
        build_history(root, args.events, args.items, args.new)
        print(f"\nbuilt {args.events + args.new} events in {time.perf_counter() - start:.0f}s")
        admin, tool = cluster.new_database("history")
        start = time.perf_counter()
        subprocess.run(
            [CUSTODY, "ledger", "copy", str(root), admin, "--grant", pgcluster.TOOL],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"custody ledger copy to PostgreSQL: {time.perf_counter() - start:.1f}s")
        env = {**os.environ, "CUSTODY_HOME": str(root)}
        print(f"{'audit':>28} {'SQLite':>9} {'PostgreSQL':>11}")
        for label, extra in (
            ("full", []),
            (f"--since-checkpoint (last {args.new})", ["--since-checkpoint"]),
        ):
            sqlite_s = timed(["audit", "--quiet", *extra], env)
            pg_s = timed(["--ledger", tool, "audit", "--quiet", *extra], env)
            print(f"{label:>28} {sqlite_s:>8.2f}s {pg_s:>10.2f}s")
        # The same incremental audit inside one process: its own cost, without start-up.
        for kind, location in (("SQLite", None), ("PostgreSQL", tool)):
            ws = Workspace.open(root, ledger=location)
            try:
                start = time.perf_counter()
                result = audit_since(ws)
                took = time.perf_counter() - start
            finally:
                ws.close()
            assert result.ok and result.events_checked == args.new
            print(f"audit_since() in-process, {kind}: {took:.2f}s")
        print("target: incremental audit of the last 1,000 events under 2 s")
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
