"""Benchmark record commitments and excerpts (run by hand: .venv/bin/python bench/bench_excerpt.py).

On the 100,000-message Android WhatsApp export of bench_profiles.py: the time build_profile
takes, against the time the record commitment adds (split, salts, salted RFC 9162 root) —
target under 20% of profiling; then an excerpt of 1,000 records (multiproof, records and proof
files) and its verification from the files alone — target under 1 s each. Medians of 5 runs,
in CPU seconds of this process (time.process_time: what the work costs, whatever else the
machine runs), with wall seconds beside; the load average is printed with them.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_formats import viber_csv
from bench_profiles import MESSAGES, write_whatsapp

from evidence.canonical import canonical_bytes
from evidence.excerpt import commit_bytes, layout_of, multiproof, split_item
from evidence.excerpt.commit import commitment_of
from evidence.excerpt.proof import (
    build_proof,
    format_ranges,
    leaves_sha256,
    records_file,
    verify_excerpt,
)
from evidence.keys import Signer
from evidence.profiles import build_profile
from evidence.workspace import AuthoritySetup, Workspace

RUNS = 5
PASSPHRASE = "benchmark passphrase"
EXCERPT = 1000


WALL: dict[int, float] = {}  # id of a figure's action -> its median wall seconds


def median(action: Callable[[], object]) -> float:
    """Median CPU seconds of RUNS calls (their median wall seconds kept in WALL)."""
    cpu, wall = [], []
    for _ in range(RUNS):
        start, clock = time.process_time(), time.perf_counter()
        action()
        cpu.append(time.process_time() - start)
        wall.append(time.perf_counter() - clock)
    WALL[id(action)] = statistics.median(wall)
    return statistics.median(cpu)


def signed_excerpt(data: bytes, secret: bytes, sha: str, signer: Signer) -> tuple[bytes, bytes]:
    """Records and proof files of 1,000 records spread over the export, signed by a real key."""
    layout = "whatsapp-text"
    split = split_item(data, "whatsapp", secret, sha)
    made = commitment_of(split, layout, "whatsapp", secret)
    step = len(split.leaves) // EXCERPT
    index = [i * step for i in range(EXCERPT)]
    numbers = [i + 1 for i in index]
    leaves = [split.leaves[i] for i in index]
    body = {
        "action": "excerpted",
        "at": "2026-12-03T12:00:00.000000Z",
        "item_id": "0" * 12,
        "item_sha256": sha,
        "actor": signer.actor,
        "purpose": "bench",
        "details": {
            "records": format_ranges(numbers),
            "commitment": made.to_json(),
            "leaves_sha256": leaves_sha256(leaves),
        },
    }
    data_bytes = canonical_bytes(body)
    event = {
        "event": body,
        "hash": hashlib.sha256(data_bytes).hexdigest(),
        "signature": signer.sign(data_bytes),
    }
    proof = build_proof(
        item_id="0" * 12,
        case="BENCH-1",
        original={"sha256": sha, "size": len(data), "records": made.count},
        commitment=made,
        numbers=numbers,
        salts=[split.salts[i] for i in index],
        leaves=leaves,
        multiproof=multiproof(split.leaves, index),
        event=event,
        certificate_pem=signer.record.certificate_pem,
    )
    records = records_file("bench", numbers, [split.record(i) for i in index], made.count)
    return records, proof


def main() -> int:
    """Print the figures and whether each target holds."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "ws", AuthoritySetup("Bench authority", PASSPHRASE))
        signer = ws.keys.unlock(
            ws.keys.create("Bench", "Bench", "BY", "expert", PASSPHRASE), PASSPHRASE
        )
        path = Path(tmp) / "WhatsApp Chat with bench.txt"
        write_whatsapp(path)
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        secret = b"\x07" * 32
        layout = layout_of(path, path.name, "text/plain")
        profile = lambda: build_profile(  # noqa: E731
            path, "chat-export", original_name=path.name, media_type="text/plain", metadata={}
        )
        commit = lambda: commit_bytes(path.read_bytes(), layout, secret, sha)  # noqa: E731
        make = lambda: signed_excerpt(data, secret, sha, signer)  # noqa: E731
        profiling, committing, making = median(profile), median(commit), median(make)
        records, proof = signed_excerpt(data, secret, sha, signer)
        ws.close()
        check = lambda: verify_excerpt(records, proof, "bench")  # noqa: E731
        verifying = median(check)
    ratio = committing / profiling
    wall = [WALL[id(a)] for a in (profile, commit, make, check)]
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"{MESSAGES:,}-message WhatsApp export, {len(data) / 1e6:.1f} MB, medians of {RUNS}, "
          f"CPU seconds (wall); load average {load} on {os.cpu_count()} cores:")  # fmt: skip
    print(f"  profile            {profiling:6.2f} s ({wall[0]:.2f})")
    print(f"  + commitment       {committing:6.2f} s ({wall[1]:.2f})  ({ratio:.0%} of profiling; "
          "target < 20%)")  # fmt: skip
    print(f"  excerpt of {EXCERPT:,}   {making:6.2f} s ({wall[2]:.2f})  (split, multiproof, files, "
          "signing; < 1 s)")  # fmt: skip
    print(f"  its verification   {verifying:6.2f} s ({wall[3]:.2f})  (from the two files alone; "
          "target < 1 s)")  # fmt: skip
    ok = ratio < 0.2 and making < 1 and verifying < 1
    ok &= viber_commitment()
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def viber_commitment() -> bool:
    """Split rule 3 on a 100,000-message Viber history: one message a record, against the
    line split of rule 2 and the profile (target: the commitment under 20% of profiling)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = viber_csv(Path(tmp))
        data = path.read_bytes()
        sha, secret = hashlib.sha256(data).hexdigest(), b"\x07" * 32
        profile = lambda: build_profile(  # noqa: E731
            path, "chat-export", original_name=path.name, media_type="", metadata={}
        )
        by_line = lambda: commit_bytes(data, "viber-csv", secret, sha, 2)  # noqa: E731
        by_message = lambda: commit_bytes(data, "viber-csv", secret, sha, 3)  # noqa: E731
        profiling, v2, v3 = median(profile), median(by_line), median(by_message)
        count = commit_bytes(data, "viber-csv", secret, sha, 3)
    records = count.count if count else 0
    print(f"  Viber history, {len(data) / 1e6:.1f} MB: profile {profiling:.2f} s; commitment "
          f"rule 3 ({records:,} records) {v3:.2f} s ({v3 / profiling:.0%}), rule 2 by line "
          f"{v2:.2f} s")  # fmt: skip
    return v3 / profiling < 0.2


if __name__ == "__main__":
    sys.exit(main())
