"""A big ledger fast, for the 1,000,000-event benchmarks: `build(path, events)`, cached.

Appending 1,000,000 events through `custody event` costs one transaction (one fsync) each:
hours. This builds the same ledger in minutes and writes the same bytes the library writes:

1. a workspace (authority root, key "Bench", case BENCH-1) with `items` small items ingested
   the normal way (bench/common.event_ledger: ingest and profile events, trust records, log);
2. every further event is an "accessed" event on top of its item's chain, its body made by
   `events.new_body` and serialised by `canonical_bytes` exactly as `sign_event` does, signed
   by the real "Bench" key: in worker processes, one group of items each (a chain is built
   in one process, so `prev` follows; the signature, the costly part, runs on every core);
3. the rows go in through `events.write_events` (events and their log leaves) in blocks, in
   round order (round 0 on every item, then round 1...), inside one exclusive transaction;
4. one checkpoint is signed over the result, so that `audit --since-checkpoint` has a start.

The finished workspace is kept in a cache folder (`$CUSTODY_BENCH_CACHE`, default
~/.cache/custody-bench) under a name holding the event and item counts and the ledger's schema
version; `build` copies it from there when it is present (a copy takes seconds). The copy
audits clean (`custody audit`), like any workspace.

Usage: .venv/bin/python bench/bigledger.py [--events 1000000] [--items 1000] PATH
       (PATH must not exist; the passphrase of every key is bench/common.PASSPHRASE)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).parent))
from common import PASSPHRASE, event_ledger

from evidence.canonical import canonical_bytes
from evidence.checkpoint import create_checkpoint
from evidence.events import EVENT, SignedEvent, chain_heads, new_body, write_events
from evidence.items import list_items
from evidence.ledger import SCHEMA_VERSION
from evidence.workspace import Workspace

# Events per block of work: the rows of a block are made, then inserted, then forgotten.
BLOCK = 50_000


def cache_dir() -> Path:
    """Where finished ledgers are kept between runs (and between worktrees)."""
    default = Path.home() / ".cache" / "custody-bench"
    return Path(os.environ.get("CUSTODY_BENCH_CACHE", str(default)))


def cached_name(events: int, items: int) -> str:
    """The cache entry of one size of ledger (the schema version: another format is another)."""
    return f"ledger-{events}-events-{items}-items-schema{SCHEMA_VERSION}"


# --- worker side: one group of items, some rounds -------------------------------------------

_KEY: ec.EllipticCurvePrivateKey | None = None
_ACTOR: dict[str, str] = {}


def _init(key_der: bytes, actor: dict[str, str]) -> None:
    global _KEY, _ACTOR
    key = serialization.load_der_private_key(key_der, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    _KEY, _ACTOR = key, actor


class _Actor:
    """What new_body needs of a signer: its actor object."""

    @property
    def actor(self) -> dict[str, str]:
        return _ACTOR


def _chains(
    task: tuple[list[tuple[str, str, str, int, str]], int, int],
) -> tuple[list[list[tuple[str, str, int, str, str, str]]], list[tuple[int, str]]]:
    """For (items with their heads, first round, rounds): per round, the rows of each item's
    next event (event_id, item_id, seq, hash, body, signature); and the new heads."""
    group, first, rounds = task
    assert _KEY is not None
    actor = _Actor()
    heads = [(seq, prev) for *_, seq, prev in group]
    out: list[list[tuple[str, str, int, str, str, str]]] = []
    for r in range(first, first + rounds):
        rows = []
        for n, (item_id, case, sha256, _, _) in enumerate(group):
            seq, prev = heads[n]
            body = new_body(
                actor,
                item_id=item_id,
                case=case,
                seq=seq + 1,
                prev=prev,
                item_sha256=sha256,
                action="accessed",
                note=f"round {r}",
            )
            data = canonical_bytes(body)
            digest = hashlib.sha256(data).hexdigest()
            signature = base64.b64encode(_KEY.sign(data, ec.ECDSA(hashes.SHA256()))).decode()
            rows.append((body["event_id"], item_id, seq + 1, digest, data.decode(), signature))
            heads[n] = (seq + 1, digest)
        out.append(rows)
    return out, heads


# --- main side ----------------------------------------------------------------------------------


def _blocks(total_rounds: int, items: int) -> Iterator[tuple[int, int]]:
    per_block = max(1, BLOCK // items)
    for first in range(0, total_rounds, per_block):
        yield first, min(per_block, total_rounds - first)


def _fill(ws: Workspace, events: int, workers: int, say: Any) -> None:
    signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
    all_items = list_items(ws.ledger, "BENCH-1")
    have = int(ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"])
    total_rounds = max(0, (events - have) // len(all_items))
    heads = chain_heads(ws.ledger, [i.item_id for i in all_items])
    state = [(i.item_id, i.case_number, i.sha256, *heads[i.item_id]) for i in all_items]
    size = -(-len(state) // workers)
    groups = [state[n : n + size] for n in range(0, len(state), size)]
    key_der = signer.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The first body goes through the library's own validation once: the shape is the same.
    sample = new_body(
        signer,
        item_id="0" * 12,
        case="X",
        seq=2,
        prev="0" * 64,
        item_sha256="0" * 64,
        action="accessed",
        note="round 0",
    )
    assert not EVENT.schema_problems(sample)
    done = 0
    start = time.perf_counter()
    with Pool(workers, _init, (key_der, signer.actor)) as pool, ws.ledger.atomic(exclusive=True):
        for first, rounds in _blocks(total_rounds, len(all_items)):
            results = pool.map(_chains, [(g, first, rounds) for g in groups])
            for r in range(rounds):
                batch = [
                    SignedEvent.from_row(
                        {
                            "event_id": row[0],
                            "item_id": row[1],
                            "seq": row[2],
                            "hash": row[3],
                            "body": row[4],
                            "signature": row[5],
                            "signer": signer.record.fingerprint,
                        }
                    )
                    for per_round, _ in results
                    for row in per_round[r]
                ]
                write_events(ws.ledger, batch)
                done += len(batch)
            groups = [
                [(*g[n][:3], *heads_n) for n, heads_n in enumerate(new)]
                for g, (_, new) in zip(groups, results, strict=True)
            ]
            rate = done / (time.perf_counter() - start)
            say(f"{have + done:,} events ({rate:,.0f} per second)")


def build(path: Path, events: int, items: int = 1000, workers: int | None = None) -> Path:
    """A workspace at `path` holding about `events` events over `items` items and one
    checkpoint over them, copied from the cache when it is there (made and cached if not)."""
    if path.exists():
        raise SystemExit(f"{path} exists already")
    cached = cache_dir() / cached_name(events, items)
    if not (cached / ".complete").is_file():
        _make(cached, events, items, workers or os.cpu_count() or 1)
    shutil.copytree(cached, path, ignore=shutil.ignore_patterns(".complete", "files"))
    os.chmod(path, 0o700)
    return path


def _make(cached: Path, events: int, items: int, workers: int) -> None:
    def say(text: str) -> None:
        print(f"bigledger: {text}", file=sys.stderr, flush=True)

    if cached.exists():
        shutil.rmtree(cached)
    cached.parent.mkdir(parents=True, exist_ok=True)
    work = cached.parent / (cached.name + ".tmp")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    root = work / "ws"
    say(f"ingesting {items} items")
    ws = event_ledger(root, items, items, rounds_less=1)  # ingest only: 2 events per item
    try:
        _fill(ws, events, workers, say)
        signer = ws.keys.unlock(ws.keys.resolve("Bench"), PASSPHRASE)
        say("signing a checkpoint")
        create_checkpoint(ws.ledger, signer, ws.checkpoint_dir)
    finally:
        ws.close()
    root.rename(cached)
    shutil.rmtree(work)
    (cached / ".complete").write_text("done\n")
    say(f"cached in {cached}")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build a workspace of that size at PATH (from the cache when possible)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    build(args.path, args.events, args.items, args.workers)
    print(f"{args.path}: ready in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
