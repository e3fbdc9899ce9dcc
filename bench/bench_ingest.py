"""Ingest against sha256sum, cp and exiftool on the same data, side by side.

1. One 1 GiB file: `custody ingest` vs `sha256sum` vs `cp` (same filesystem).
   Targets: ingest <= sha256sum, <= 1.25x cp; peak memory < 150 MB.
2. 2,000 small PNG screenshots: `custody ingest` of the folder vs `exiftool -j` of it.
   Target: <= 1.5x exiftool.
Usage: .venv/bin/python bench/bench_ingest.py [--size-mib 1024] [--pngs 2000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

from common import CUSTODY, ratio_line, run, timed_with_rss, workspace


def big_file(path: Path, mib: int) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as fh:
        for n in range(mib):
            fh.write(block[:-8] + n.to_bytes(8, "big"))


def png(width: int, height: int, seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(
        b"\x00" + bytes((seed + y + x) % 256 for x in range(width * 3)) for y in range(height)
    )
    text = b"Software\x00Android screenshot " + str(seed).encode()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", text)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def ingest_command(path: Path) -> list[str]:
    """`custody ingest PATH` into the benchmark case, quietly."""
    return [
        CUSTODY,
        "ingest",
        str(path),
        "--case",
        "BENCH-1",
        "--as",
        "Bench",
        "--source",
        "bench",
        "-q",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--pngs", type=int, default=2000)
    parser.add_argument("--dir", default=None, help="where to work (same filesystem for all)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=args.dir))
    try:
        src = base / "big.bin"
        big_file(src, args.size_mib)
        run(["cat", str(src)])  # warm the page cache for every contender alike
        t_sha = min(run(["sha256sum", str(src)]) for _ in range(2))
        t_cp, t_cp_sync = [], []
        for _ in range(2):
            t_cp.append(run(["cp", str(src), str(base / "copy.bin")]))
            (base / "copy.bin").unlink()
            run(["sync"])
            # What a forensic copy needs: the bytes on disk, as ingest's barrier ensures.
            t_cp_sync.append(run(["sh", "-c", f"cp '{src}' '{base / 'copy.bin'}' && sync"]))
            (base / "copy.bin").unlink()
            run(["sync"])
        t_ingest, rss = [], []
        for _ in range(2):
            run(["sync"])
            env = workspace(base / "ws")
            t, m = timed_with_rss(ingest_command(src), env)
            t_ingest.append(t)
            rss.append(m)
        ours = min(t_ingest)
        print(f"== one {args.size_mib} MiB file")
        print(ratio_line("custody ingest vs sha256sum", ours, t_sha, "target <= 1.0x"))
        print(ratio_line("custody ingest vs cp", ours, min(t_cp), "target <= 1.25x"))
        print(ratio_line("custody ingest vs cp && sync", ours, min(t_cp_sync), "durable copy"))
        print(f"{'custody ingest peak memory':<44} {max(rss):.0f} MB (target < 150 MB)")
        shutil.rmtree(base / "ws")
        src.unlink()

        shots = base / "screenshots"
        shots.mkdir()
        for n in range(args.pngs):
            (shots / f"Screenshot_{n:05d}.png").write_bytes(png(64, 48, n))
        t_exif = min(run(["exiftool", "-j", "-q", str(shots)]) for _ in range(2))
        t_ing = []
        for _ in range(2):
            env = workspace(base / "ws")
            t_ing.append(run(ingest_command(shots), env))
        print(f"== {args.pngs} PNG screenshots")
        print(ratio_line("custody ingest vs exiftool -j", min(t_ing), t_exif, "target <= 1.5x"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
