"""The exiftool pool (evidence.metadata.MetadataPool): commands written ahead, replies read by
one I/O thread, the same records as one exiftool session, nothing secret in its environment."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from evidence import metadata
from evidence.errors import OperationalError
from evidence.metadata import exiftool_pool, exiftool_session
from tests.helpers import CASE, PASSPHRASE, World

DATA = Path(__file__).parent / "data"
CUSTODY = Path(sys.executable).parent / "custody"


def _png(text: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_pool_gives_what_one_session_gives(tmp_path: Path) -> None:
    files = sorted(p for p in (DATA / "images").rglob("*") if p.is_file())
    files += [tmp_path / "empty.bin", tmp_path / "missing.png"]
    files[-2].write_bytes(b"")
    with exiftool_session() as reader:
        expected = [
            record for i in range(0, len(files), 3) for record in reader.read(files[i : i + 3])
        ]
    with exiftool_pool(2) as pool:
        futures = [pool.submit(files[i : i + 3]) for i in range(0, len(files), 3)]
        got = [record for future in futures for record in future.result()]
    assert got == expected
    assert got[-1] == {"error": "exiftool returned nothing for this file"}
    assert any("ExifTool:Warning" in r for r in got)  # the damaged images


def test_a_value_that_looks_like_the_end_of_a_reply_does_not_end_it(tmp_path: Path) -> None:
    # Metadata is attacker-controlled: lines that look like exiftool's end markers stay values.
    forged = tmp_path / "forged.png"
    forged.write_bytes(_png(b"}]\n{ready1}\n=0=post1\n{ready}\n"))
    plain = tmp_path / "plain.png"
    plain.write_bytes(_png(b"nothing"))
    with exiftool_pool(1) as pool:
        first, second = pool.submit([forged, plain]).result()
    assert first["PNG:Comment"] == "}]\n{ready1}\n=0=post1\n{ready}\n"
    assert second["PNG:Comment"] == "nothing"


def test_no_passphrase_reaches_the_pool_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTODY_PASSPHRASE", "secret passphrase 123")
    image = tmp_path / "a.png"
    image.write_bytes(_png(b"x"))
    with exiftool_pool(1) as pool:
        pool.submit([image]).result()
        (process,) = pool._processes
        environ = Path(f"/proc/{process.proc.pid}/environ").read_bytes()
    assert b"PATH=" in environ  # the control: we are reading the right process
    assert b"secret passphrase" not in environ
    assert b"CUSTODY_" not in environ
    assert process.proc.returncode == 0  # stopped as asked, not killed


def test_a_process_that_dies_fails_its_files_not_the_run(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(_png(b"x"))
    with exiftool_pool(1) as pool:
        real = pool.submit([image]).result()
        (process,) = pool._processes
        process.proc.kill()
        process.proc.wait()
        # Sent before the death was seen: an error per file; after: read by a new process.
        after = pool.submit([image, image]).result(timeout=30)
        assert after in ([{"error": "exiftool stopped"}] * 2, real * 2)
        assert pool.submit([image]).result(timeout=30) == real
        assert len(pool._processes) == 2 and not pool._processes[0].alive


def test_exiftool_missing_is_one_operational_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(Path(os.devnull).parent / "no-such-folder"))
    pool = metadata.MetadataPool(1)
    with pytest.raises(OperationalError, match="exiftool could not be started"):
        pool.submit([DATA / "images" / "PNG.png"])
    pool.close()  # nothing was left waiting: it returns


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process now: pid -> (parent pid, state, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        table[int(entry.name)] = (int(parent), state, command)
    return table


def _descendants(pid: int) -> dict[int, str]:
    """Children, grandchildren... of pid that are alive: pid -> command line."""
    table = _processes()
    found: dict[int, str] = {}
    parents = {pid}
    while parents:
        children = {p for p, (parent, state, _) in table.items() if parent in parents}
        children = {p for p in children if table[p][1] != "Z" and p not in found}
        found.update({p: table[p][2] for p in children})
        parents = children
    return found


def _alive(pid: int, command: str) -> bool:
    entry = _processes().get(pid)
    return entry is not None and entry[1] != "Z" and entry[2] == command  # not a reused pid


def test_an_ingest_killed_with_kill_9_leaves_no_exiftool_running(
    world: World, tmp_path: Path
) -> None:
    # The adversary's view: the real command, busy with many files, killed without a chance to
    # stop anything. exiftool -stay_open polls its ended argument stream for ever unless told.
    seized = tmp_path / "seized"
    seized.mkdir()
    photo = (DATA / "images" / "GPS.jpg").read_bytes()
    for n in range(400):
        (seized / f"img{n:03d}.jpg").write_bytes(photo + n.to_bytes(2, "big"))
    env = {**os.environ, "CUSTODY_HOME": str(world.ws.root), "CUSTODY_PASSPHRASE": PASSPHRASE}
    command = [str(CUSTODY), "ingest", str(seized), "--case", CASE, "--as", "Evidence Room"]
    ingest = subprocess.Popen([*command, "--source", "phone"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:  # until exiftool runs and the ingest has copied files (it is busy)
            assert ingest.poll() is None, "the ingest ended before it could be killed"
            children = _descendants(ingest.pid)
            copied = any((world.ws.root / "vault").rglob("*/*/*"))
            if copied and any("exiftool" in c for c in children.values()):
                break
            assert time.monotonic() < deadline, "no exiftool and no copy within 60 s"
            time.sleep(0.02)
    finally:
        ingest.send_signal(signal.SIGKILL)
        ingest.wait()
    deadline = time.monotonic() + 5
    while left := {p: c for p, c in children.items() if _alive(p, c)}:
        assert time.monotonic() < deadline, f"still running 5 s after kill -9: {left}"
        time.sleep(0.05)
