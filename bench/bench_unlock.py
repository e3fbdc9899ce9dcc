"""Unlocking a private key (PBKDF2-HMAC-SHA256, 600,000 rounds) against `openssl pkcs8`.

Target: well under a second. The KDF is meant to be slow for someone guessing passphrases;
this shows what it costs the owner, beside OpenSSL decrypting the very same file.
Usage: .venv/bin/python bench/bench_unlock.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import PASSPHRASE

from evidence.keyfile import KDF_ITERATIONS
from evidence.workspace import AuthoritySetup, Workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-unlock-"))
    try:
        ws = Workspace.init(base / "ws", AuthoritySetup("Bench authority", PASSPHRASE))
        record = ws.keys.list()[0]
        ours = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            ws.keys.unlock(record, PASSPHRASE)
            ours.append(time.perf_counter() - t0)
        ws.close()
        (path,) = (base / "ws" / "keys").glob("*.key.pem")
        env = {"PATH": os.environ["PATH"], "PW": PASSPHRASE}
        theirs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(
                ["openssl", "pkcs8", "-in", str(path), "-passin", "env:PW", "-out", os.devnull],
                env=env,
                check=True,
            )
            theirs.append(time.perf_counter() - t0)
        print(f"unlock ({KDF_ITERATIONS:,} PBKDF2-HMAC-SHA256 rounds): {min(ours):.3f}s")
        print(f"openssl pkcs8 on the same file: {min(theirs):.3f}s")
        print(f"ratio: {min(ours) / min(theirs):.2f}x (target: well under 1 s)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
