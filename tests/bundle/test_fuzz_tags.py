"""Fuzzing verify with the BagIt tag files, signer.pem and the p7s edited."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from evidence.bundle.bagit import PAYLOAD_MANIFESTS, TAG_MANIFESTS, BagReport, parse_manifest
from evidence.bundle.cms import sign_detached
from evidence.keys import Signer
from tests.bundle.fuzz_support import FUZZ, Original, certificate_der, check_bag

# -- (3) the BagIt tag files -------------------------------------------------------------------

HOSTILE_PATHS = [
    "../bagit.txt",
    "data/../../etc/passwd",
    "/etc/passwd",
    "C:/Windows/win.ini",
    "data\\x.bin",
    "data//x.bin",
    "./bagit.txt",
    "data/%2E%2E/x",
    "data/x%0Ay",
    "data/x%0D%0A",
    "data/%25",
    "bagit.txt%00",
    "data/x\x00y",
    "",
]
TAG_TARGETS = ("bagit.txt", "bag-info.txt", *PAYLOAD_MANIFESTS, *TAG_MANIFESTS)


def same_listing(name: str, before: bytes, after: bytes) -> bool:
    """True if a tag manifest still lists the same files and sums, without a bad line: an
    edit of spacing, a '*' marker or a blank line that RFC 8493 readers rightly ignore."""
    report = BagReport()
    listed = parse_manifest(after, name, report)
    return not report.findings and listed == parse_manifest(before, name, BagReport())


@st.composite
def tag_edits(draw: st.DrawFn, data: bytes, name: str) -> tuple[str, bytes]:
    """One edit of a tag file: a hostile path, CRLF, a line dropped, doubled or cut, a BOM..."""
    lines = data.decode().splitlines()
    op = draw(
        st.sampled_from(["path", "crlf", "drop", "dup", "field", "add", "bom", "bytes", "text"])
    )
    k = draw(st.integers(0, max(len(lines) - 1, 0)))
    manifest = name not in ("bagit.txt", "bag-info.txt")
    if op == "path" and lines:
        checksum, _, path = lines[k].partition("  ")
        hostile = draw(st.sampled_from(HOSTILE_PATHS))
        lines[k] = f"{checksum}  {hostile}" if manifest else f"{hostile}: {path}"
    elif op == "drop" and lines:
        del lines[k]
    elif op == "dup" and lines:
        lines.insert(k, lines[k])
    elif op == "field" and lines:
        left, _, right = lines[k].partition("  " if manifest else ": ")
        lines[k] = draw(st.sampled_from([left, right, f"{left}\t{right}", f"{right}  {left}"]))
    elif op == "add":
        # (Not a blank line: RFC 8493 readers skip those, so it would change nothing.)
        lines.append(
            draw(st.sampled_from([*HOSTILE_PATHS[:-1], " folded", ":", "Label:", "x" * 70]))
        )
    elif op == "crlf":
        return op, "".join(f"{line}\r\n" for line in lines).encode()
    elif op == "bom":
        return op, b"\xef\xbb\xbf" + data
    elif op == "bytes":
        pos = draw(st.integers(0, len(data)))
        return op, data[:pos] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\r"])) + data[
            pos:
        ]
    elif op == "text":
        pos = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        return op, data[:pos] + draw(st.binary(max_size=4)) + data[pos + cut :]
    return op, "".join(f"{line}\n" for line in lines).encode()


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(TAG_TARGETS),
    fixup=st.sampled_from(["retag", "none"]),
    as_folder=st.booleans(),
)
def test_edited_tag_files(
    original: Original,
    example: Callable[[], Path],
    data: st.DataObject,
    name: str,
    fixup: str,
    as_folder: bool,
) -> None:
    files = dict(original.files)
    _, files[name] = data.draw(tag_edits(files[name], name))
    changed = files[name] != original.files[name]
    cosmetic = name in TAG_MANIFESTS and same_listing(name, original.files[name], files[name])
    check_bag(
        original,
        example(),
        files,
        fixup=fixup if name not in TAG_MANIFESTS else "none",
        as_folder=as_folder,
        must_fail=changed and fixup == "none" and not cosmetic,
    )


# -- (4) signer.pem and manifest.json.p7s ------------------------------------------------------


def _pem(signer: Signer) -> bytes:
    return signer.record.certificate.public_bytes(Encoding.PEM)


@st.composite
def signature_edits(draw: st.DrawFn, original: Original, name: str) -> tuple[str, bytes | None]:
    """signer.pem or manifest.json.p7s truncated, flipped, replaced by garbage or another
    valid DER/PEM (the intruder's signature or certificate), or deleted (None)."""
    data = original.files[name]
    manifest = original.files["manifest.json"]
    op = draw(
        st.sampled_from(["truncate", "flip", "append", "garbage", "other", "empty", "delete"])
    )
    if op == "truncate":
        return op, data[: draw(st.integers(0, len(data) - 1))]
    if op == "flip":
        pos = draw(st.integers(0, len(data) - 1))
        return op, data[:pos] + bytes([data[pos] ^ draw(st.integers(1, 255))]) + data[pos + 1 :]
    if op == "append":
        return op, data + draw(st.binary(min_size=1, max_size=16))
    if op == "garbage":
        return op, draw(st.binary(max_size=2048))
    if op == "empty":
        return op, b""
    if op == "delete":
        return op, None
    others = [
        certificate_der(original.prosecutor),
        _pem(original.intruder),
        certificate_der(original.intruder),
        sign_detached(original.intruder, manifest),
        sign_detached(original.prosecutor, manifest + b" "),
        _pem(original.intruder) + _pem(original.prosecutor),
        base64.b64encode(data),
    ]
    return op, draw(st.sampled_from(others))


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(["signer.pem", "manifest.json.p7s"]),
    fixup=st.sampled_from(["retag", "none"]),
    as_folder=st.integers(0, 3),
)
def test_edited_signature_files(
    original: Original,
    example: Callable[[], Path],
    data: st.DataObject,
    name: str,
    fixup: str,
    as_folder: int,
) -> None:
    files = dict(original.files)
    op, content = data.draw(signature_edits(original, name))
    if content is None:
        del files[name]
    else:
        files[name] = content
    changed = content != original.files[name]
    # A PEM loader skips text around the certificate, and CMS has fields no signature covers
    # (versions, the digest algorithm list): such edits may leave the meaning unchanged.
    cosmetic = fixup == "retag" and op in ("append", "truncate", "flip")
    check_bag(
        original,
        example(),
        files,
        fixup=fixup,
        as_folder=as_folder == 0,
        must_fail=changed and not cosmetic,
    )
