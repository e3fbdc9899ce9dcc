"""One-pass hashing against the NIST CAVP vectors and hashlib."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.hashing import CHUNK, Hasher, copy_and_hash, hash_file

NIST = Path(__file__).parent / "data" / "nist"


def _vectors(name: str) -> list[tuple[bytes, str]]:
    out, length, msg = [], None, None
    for line in (NIST / name).read_text().splitlines():
        if line.startswith("Len = "):
            length = int(line.split("=")[1])
        elif line.startswith("Msg = "):
            msg = bytes.fromhex(line.split("=")[1].strip())
        elif line.startswith("MD = ") and length is not None and msg is not None:
            out.append((msg[: length // 8], line.split("=")[1].strip()))
    return out


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("SHA256ShortMsg.rsp", "sha256"),
        ("SHA256LongMsg.rsp", "sha256"),
        ("SHA512ShortMsg.rsp", "sha512"),
    ],
)
def test_nist_vectors(name: str, field: str) -> None:
    vectors = _vectors(name)
    assert len(vectors) > 60
    for msg, expected in vectors:
        digests, size = copy_and_hash(io.BytesIO(msg))
        assert getattr(digests, field) == expected
        assert size == len(msg)


def test_legacy_sha1_vectors() -> None:
    for msg, expected in _vectors("SHA1ShortMsg.rsp"):
        digests, _ = copy_and_hash(io.BytesIO(msg), legacy=True)
        assert digests.sha1 == expected
        assert digests.md5 == hashlib.md5(msg).hexdigest()


def test_legacy_digests_only_on_request() -> None:
    digests, _ = copy_and_hash(io.BytesIO(b"abc"))
    assert digests.md5 is None and digests.sha1 is None
    assert set(digests.to_json()) == {"sha256", "sha512"}


def test_multi_chunk_copy_is_exact(tmp_path: Path) -> None:
    data = os.urandom(CHUNK * 2 + 12345)
    src = tmp_path / "src"
    src.write_bytes(data)
    dst = tmp_path / "dst"
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT)
    with open(src, "rb", buffering=0) as fh:
        digests, size = copy_and_hash(fh, fd)
    os.close(fd)
    assert dst.read_bytes() == data
    assert size == len(data)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha512 == hashlib.sha512(data).hexdigest()
    assert hash_file(src) == digests


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=3 * 1024))
def test_agrees_with_hashlib(data: bytes) -> None:
    digests, _ = copy_and_hash(io.BytesIO(data), legacy=True)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha512 == hashlib.sha512(data).hexdigest()
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.sha1 == hashlib.sha1(data).hexdigest()


@pytest.mark.parametrize(
    "size", [0, 1, Hasher.SMALL - 1, Hasher.SMALL, Hasher.SMALL + 1, CHUNK + 7]
)
@pytest.mark.parametrize("limit", [None, 10, Hasher.SMALL, Hasher.SMALL + CHUNK])
def test_reused_hasher_around_the_small_read_boundary(size: int, limit: int | None) -> None:
    data = os.urandom(size)
    expected = data if limit is None else data[:limit]
    with Hasher() as hasher:
        for _ in range(2):  # the same threads and buffers serve a second file correctly
            digests, n = hasher.copy_and_hash(io.BytesIO(data), limit=limit)
            assert n == len(expected)
            assert digests.sha256 == hashlib.sha256(expected).hexdigest()
            assert digests.sha512 == hashlib.sha512(expected).hexdigest()


@pytest.mark.parametrize("chunk", [Hasher.SMALL + 1, 1 << 20, 3 << 20])
def test_any_read_size_gives_the_same_digests_and_copy(tmp_path: Path, chunk: int) -> None:
    # verify hashes a large zip entry in LARGE_CHUNK reads (safezip); the bytes and digests
    # must not depend on the read size.
    data = os.urandom(5 << 20) + b"tail"
    sink = tmp_path / "copy"
    fd = os.open(sink, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        digests, size = copy_and_hash(io.BytesIO(data), fd, chunk=chunk)
    finally:
        os.close(fd)
    assert size == len(data) and sink.read_bytes() == data
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha512 == hashlib.sha512(data).hexdigest()
