"""Benchmark: what an RFC 3161 token adds to a checkpoint, against the local TSA.

    .venv/bin/python bench/bench_timestamp.py [--rounds 20] [--items 1000]

A workspace of `--items` items; `--rounds` checkpoints without a TSA, then as many with one
(`custody checkpoint --tsa` in the library), and the same token fetched by hand the way a user
without our tool would: `openssl ts -query` piped to an HTTP POST (Python's urllib standing in
for curl) and `openssl ts -verify`. Prints each per-checkpoint time and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path


def main() -> None:
    """Measure and print per-checkpoint times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()

    from evidence.cases import create_case
    from evidence.ingest import IngestOptions, ingest
    from evidence.timestamp.checkpoints import create_stamped
    from evidence.timestamp.localtsa import LocalTsa, TsaIdentity
    from evidence.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = Workspace.init(root / "ws")
        pw = "bench passphrase"
        signer = ws.keys.unlock(ws.keys.create("Evidence Room", "IC", "BY", "custodian", pw), pw)
        create_case(ws.ledger, "BY-2026-0042", "bench", "BY", "", "bench")
        seized = root / "seized"
        seized.mkdir()
        for i in range(args.items):
            (seized / f"f{i:05d}.txt").write_text(f"{i}\n")
        ingest(ws, signer, [seized], IngestOptions(case="BY-2026-0042", source="bench"))
        identity = TsaIdentity.create()
        identity.write(root / "tsa")
        tsa = LocalTsa(identity).start()

        def timed(url: str | None) -> float:
            start = time.perf_counter()
            create_stamped(ws.ledger, signer, ws.checkpoint_dir, url, False)
            return time.perf_counter() - start

        plain = statistics.median(timed(None) for _ in range(args.rounds))
        stamped = statistics.median(timed(tsa.url) for _ in range(args.rounds))
        data = root / "sig.der"
        data.write_bytes(b"0" * 72)

        def by_hand() -> float:
            start = time.perf_counter()
            query = subprocess.run(
                ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert"],
                capture_output=True,
                check=True,
            ).stdout
            request = urllib.request.Request(
                tsa.url, query, {"Content-Type": "application/timestamp-query"}
            )
            with urllib.request.urlopen(request) as response:
                (root / "r.tsr").write_bytes(response.read())
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-verify",
                    "-in",
                    str(root / "r.tsr"),
                    "-data",
                    str(data),
                    "-CAfile",
                    str(root / "tsa" / "tsa-ca.pem"),
                ],
                capture_output=True,
                check=True,
            )
            return time.perf_counter() - start

        manual = statistics.median(by_hand() for _ in range(args.rounds))
        tsa.stop()
        ws.close()
    token_cost = stamped - plain
    print(f"checkpoint of {args.items} chains, median of {args.rounds}:")
    print(f"  without TSA                      {plain * 1000:8.1f} ms")
    print(f"  with local TSA                   {stamped * 1000:8.1f} ms")
    print(f"  token cost per checkpoint        {token_cost * 1000:8.1f} ms")
    print(f"  openssl ts -query + POST + -verify {manual * 1000:6.1f} ms")
    print(f"  ratio with/without TSA           {stamped / plain:8.2f}x")
    print(f"  ratio token cost / openssl by hand {token_cost / manual:6.2f}x")


if __name__ == "__main__":
    main()
