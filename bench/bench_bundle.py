"""Benchmark bundles against the tools a user would otherwise use (run by hand).

    .venv/bin/python bench/bench_bundle.py                # 4 random files of 256 MiB = 1 GiB
    .venv/bin/python bench/bench_bundle.py --mib 64 --files 8 --text
    .venv/bin/python bench/bench_bundle.py --verify-only   # skip bundle vs zip -r

Builds a workspace in a temporary folder, ingests the files, then times, each best of --runs:
  custody bundle  vs  zip -r of the same files         target: at most 1.5x
  custody verify  vs  sha256sum -c manifest-sha256.txt           target: at most 0.43x
                  vs  bagit.py --validate --processes 2          target: at most 0.77x
(the ratios of before the strict zip reading: the stricter checks must not cost time)
`custody verify` is timed on the zip (extract + hash in one pass) and on the unzipped folder.
Random data is incompressible (the bundle stores it); --text uses compressible text instead.
Page cache is warm for every tool alike (each runs once before it is timed).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

BIN = Path(sys.executable).parent
PASSPHRASE = "bench passphrase"
ENV = {**os.environ, "CUSTODY_PASSPHRASE": PASSPHRASE, "CUSTODY_KEY": "prosecutor"}
REQUEST = [
    "--request-ref", "No. 12/4-2026", "--legal-basis", "Minsk Convention 1993",
    "--requesting-authority", "Prosecutor General's Office of the Republic of Belarus",
    "--requested-state", "RU", "--addressee", "Prosecutor General's Office of the RF",
]  # fmt: skip


def run(args: Sequence[str], cwd: Path | None = None, ok: Sequence[int] = (0,)) -> float:
    """Seconds one command took; fails loudly if it exits with a code not in ok."""
    start = time.perf_counter()
    proc = subprocess.run(list(args), cwd=cwd, env=ENV, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return took


def best(runs: int, make: Sequence[str] | None = None, **kw: object) -> float:
    """Best of runs timings of one command (after one warm-up run)."""
    assert make is not None
    run(make, **kw)  # type: ignore[arg-type]
    return min(run(make, **kw) for _ in range(runs))  # type: ignore[arg-type]


def write_payload(folder: Path, files: int, mib: int, text: bool) -> None:
    folder.mkdir()
    rng = random.Random(1)
    words = ["Привет", "карта", "перевод", "BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]
    for i in range(files):
        with open(folder / f"evidence-{i}.{'txt' if text else 'bin'}", "wb") as out:
            left = mib << 20
            while left:
                if text:
                    line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
                    chunk = (line * 4096).encode()[: min(left, 1 << 20)]
                else:
                    chunk = os.urandom(min(left, 4 << 20))
                out.write(chunk)
                left -= len(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--mib", type=int, default=256, help="size of each file")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--text", action="store_true", help="compressible text, not random")
    parser.add_argument("--dir", help="where to work (default: a temporary folder)")
    parser.add_argument(
        "--verify-only", action="store_true", help="time verify only (not bundle against zip -r)"
    )
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bundle-", dir=opts.dir) as tmp:
        root = Path(tmp)
        payload = root / "seized"
        write_payload(payload, opts.files, opts.mib, opts.text)
        total = opts.files * opts.mib
        custody = str(BIN / "custody")
        ws = ["-w", str(root / "ws")]
        run([custody, *ws, "init"])
        key = ["--org", "PGO", "--country", "BY", "--role", "prosecutor", "--json"]
        run([custody, *ws, "key", "new", "--name", "prosecutor", *key])
        run(
            [
                custody,
                *ws,
                "case",
                "new",
                "BY-2026-0042",
                "--title",
                "bench",
                "--jurisdiction",
                "BY",
            ]
        )
        took = run([custody, *ws, "ingest", str(payload), "--case", "BY-2026-0042",
                    "--source", "bench", "--quiet"])  # fmt: skip
        print(f"payload: {opts.files} x {opts.mib} MiB = {total} MiB "
              f"({'text' if opts.text else 'random'}); ingest {took:.2f} s")  # fmt: skip

        counter = iter(range(1000))

        def bundle() -> float:
            out = root / f"bundle-{next(counter)}.zip"
            took = run(
                [custody, *ws, "bundle", "BY-2026-0042", "-o", str(out), "--quiet", *REQUEST]
            )
            out.unlink()
            return took

        t_bundle = t_zip = float("nan")
        if not opts.verify_only:
            bundle()
            t_bundle = min(bundle() for _ in range(opts.runs))
        zip_out = root / "plain.zip"

        def plain_zip() -> float:
            took = run(["zip", "-q", "-r", str(zip_out), "seized"], cwd=root)
            zip_out.unlink()
            return took

        if not opts.verify_only:
            plain_zip()
            t_zip = min(plain_zip() for _ in range(opts.runs))

        archive = root / "request-0042.zip"
        run([custody, *ws, "bundle", "BY-2026-0042", "-o", str(archive), "--quiet", *REQUEST])
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(root / "unzipped")
        bag = root / "unzipped" / "request-0042"
        verify = [custody, "verify", "--quiet"]
        t_verify_zip = best(opts.runs, [*verify, str(archive)], ok=(4,))
        t_verify_dir = best(opts.runs, [*verify, str(bag)], ok=(4,))
        t_sha = best(opts.runs, ["sha256sum", "--quiet", "-c", "manifest-sha256.txt"], cwd=bag)
        bagit = [str(BIN / "bagit.py"), "--quiet", "--validate", "--processes", "2", str(bag)]
        t_bagit = best(opts.runs, bagit)
        shutil.rmtree(root / "unzipped")

    rows = (
        []
        if opts.verify_only
        else [
            ("custody bundle", t_bundle, "zip -r", t_zip, t_bundle / t_zip, "<= 1.5"),
        ]
    )
    rows += [
        ("custody verify ZIP", t_verify_zip, "sha256sum -c", t_sha, t_verify_zip / t_sha,
         "<= 0.43"),
        ("custody verify DIR", t_verify_dir, "sha256sum -c", t_sha, t_verify_dir / t_sha,
         "<= 0.43"),
        ("custody verify ZIP", t_verify_zip, "bagit.py -p 2", t_bagit,
         t_verify_zip / t_bagit, "<= 0.77"),
        ("custody verify DIR", t_verify_dir, "bagit.py -p 2", t_bagit,
         t_verify_dir / t_bagit, "<= 0.77"),
    ]  # fmt: skip
    print(f"{'ours':<20}{'s':>8}  {'theirs':<22}{'s':>8}  {'ratio':>6}  target  MiB/s (ours)")
    for ours, t_ours, theirs, t_theirs, ratio, target in rows:
        verdict = "ok" if ratio <= float(target.split()[-1]) else "MISSED"
        print(
            f"{ours:<20}{t_ours:8.2f}  {theirs:<22}{t_theirs:8.2f}  {ratio:6.2f}  {target:<6}"
            f"  {total / t_ours:7.0f}  {verdict}"
        )


if __name__ == "__main__":
    main()
