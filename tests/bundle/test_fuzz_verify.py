"""Fuzzing `verify_bundle` with hostile bundles: a verdict every time, never a traceback.

One real bundle is built per module. Hypothesis then damages it four ways (the zip's own bytes
and entries; manifest.json as JSON and as text, re-signed or not; the BagIt tag files; signer.pem
and manifest.json.p7s) and checks the contract of `custody verify`: a result comes back (or an
EvidenceError with exit code 1 or 3), a bundle whose content changed is never "verified", and
nothing is written anywhere but the temporary folder, which is gone afterwards.
Every crash found this way has a plain regression test at the end of the module.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.bagit import PAYLOAD_MANIFESTS, TAG_MANIFESTS, BagReport, parse_manifest
from evidence.bundle import build_bundle
from evidence.canonical import canonical_bytes
from evidence.cases import create_case
from evidence.cms import sign_detached
from evidence.custody import append_events, receive, transfer
from evidence.errors import EvidenceError
from evidence.items import list_items
from evidence.keys import Signer, fingerprint
from evidence.verify import VerifyResult, verify_bundle
from evidence.workspace import Workspace
from tests.bundle.bundle_support import REQUEST, refresh_bag, rezip
from tests.helpers import CASE, DATA, PASSPHRASE, World

# FUZZ_EXAMPLES=1000 for a longer hunt; the default keeps the module near 15 s on two cores.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True, repr=False)
class Original:
    """The bundle every example starts from, and where examples may write."""

    zip_bytes: bytes
    top: str
    files: dict[str, bytes]  # path inside the bag -> content
    prosecutor: Signer
    intruder: Signer
    work: Path  # examples are written here, one folder each
    sandbox: Path  # tempfile's folder while the module runs: must be empty after every verify

    def __repr__(self) -> str:
        return f"Original({self.top}, {len(self.zip_bytes)} bytes)"

    @property
    def fingerprint(self) -> str:
        """The prosecutor's fingerprint, as the recipient got it by letter."""
        return self.prosecutor.record.fingerprint


def _unlocked(ws: Workspace, name: str, role: str) -> Signer:
    record = ws.keys.create(name, "Prosecutor General's Office", "BY", role, PASSPHRASE)
    return ws.keys.unlock(record, PASSPHRASE)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Original]:
    """One bundle with a real custody history (ingest, transfer, receive, analyse, export)."""
    root = tmp_path_factory.mktemp("fuzz-verify")
    ws = Workspace.init(root / "ws")
    world = World(
        ws,
        _unlocked(ws, "А. Иванов", "investigator"),
        _unlocked(ws, "Evidence Room", "custodian"),
        _unlocked(ws, "P. Sidorov", "expert"),
    )
    create_case(ws.ledger, CASE, "VK account takeover, card theft", "BY", "Art. 212 CC", "test")
    seized = root / "seized" / "phone"
    seized.mkdir(parents=True)
    shutil.copy(DATA / "images" / "GPS.jpg", seized / "IMG_0002.jpg")
    (seized / "переписка ВК.txt").write_text("02.11.2026, 14:03 - Андрей: Привет\n")
    (seized / "empty.bin").write_bytes(b"")
    world.ingest(root / "seized")
    items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, world.investigator, items, world.custodian.record)
    receive(ws.ledger, world.custodian, items)
    append_events(ws.ledger, world.expert, items[:1], "analysed", note="EXIF read")
    prosecutor = _unlocked(ws, "Н. Петрова", "prosecutor")
    out = root / "request-0042.zip"
    build_bundle(
        ws,
        prosecutor,
        CASE,
        out,
        REQUEST,
        cover=lambda manifest, digest, fp: b"%PDF-1.4 cover " + digest.encode() + fp.encode(),
    )
    ws.close()
    # Same name, another key: what a forger would make.
    other = Workspace.init(root / "intruder-ws")
    intruder = _unlocked(other, "Н. Петрова", "prosecutor")
    other.close()
    with zipfile.ZipFile(out) as zf:
        top = zf.namelist()[0].split("/")[0]
        files = {n[len(top) + 1 :]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    sandbox = root / "sandbox"
    sandbox.mkdir()
    work = root / "work"
    work.mkdir()
    cwd = root / "cwd"
    cwd.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        # verify_bundle's temporary folder lands here, where the tests can watch it; the
        # working folder is an empty one of ours (the repository's may change under us).
        mp.setattr(tempfile, "tempdir", str(sandbox))
        mp.chdir(cwd)
        yield Original(out.read_bytes(), top, files, prosecutor, intruder, work, sandbox)


@pytest.fixture
def example(original: Original) -> Callable[[], Path]:
    """A factory of empty folders for examples, all removed at the end of the test."""
    made: list[Path] = []

    def make() -> Path:
        made.append(Path(tempfile.mkdtemp(dir=original.work)))
        return made[-1]

    yield make  # type: ignore[misc]
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


# -- running verify under the contract ---------------------------------------------------------


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st_ = path.lstat()
            out[str(path.relative_to(folder))] = (st_.st_size, st_.st_mtime_ns)
    return out


def verdict(original: Original, path: Path, *, must_fail: bool) -> VerifyResult | None:
    """verify_bundle under the contract; the result, or None when it refused with an error."""
    watched = path.parent
    before, cwd_before = _listing(watched), sorted(os.listdir("."))
    try:
        result: VerifyResult | None = verify_bundle(path, fingerprints=[original.fingerprint])
    except EvidenceError as exc:
        assert exc.exit_code in (1, 3), exc.diagnostics()
        result = None
    assert _listing(watched) == before, "verify changed the folder of the bundle"
    assert sorted(os.listdir(".")) == cwd_before, "verify wrote into the working folder"
    assert os.listdir(original.sandbox) == [], "verify left its temporary folder behind"
    if result is not None:
        assert result.status in ("verified", "signer-unverified", "failed")
        json.dumps(result.to_json())  # what --json prints must be JSON
        if must_fail:
            assert result.status != "verified", "a changed bundle was reported verified"
    return result


def write_bag(original: Original, files: dict[str, bytes], folder: Path) -> Path:
    """The bag as a folder named like the bundle's top-level folder."""
    bag = folder / original.top
    for rel, data in files.items():
        target = bag / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return bag


def retag(bag: Path) -> None:
    """Rewrite only the tag manifests, so edits of the other tag files pass fixity."""
    tags = sorted(p for p in bag.iterdir() if p.is_file() and p.name not in TAG_MANIFESTS)
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.name}\n" for p in tags]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def check_bag(
    original: Original,
    folder: Path,
    files: dict[str, bytes],
    *,
    fixup: str,
    as_folder: bool,
    must_fail: bool,
) -> VerifyResult | None:
    """Write files as a bag, fix the manifests up as an attacker would, verify zip or folder."""
    bag = write_bag(original, files, folder)
    if fixup == "refresh":
        refresh_bag(bag)
    elif fixup == "retag":
        retag(bag)
    if as_folder:
        return verdict(original, bag, must_fail=must_fail)
    archive = rezip(bag, folder / "bundle.zip")
    shutil.rmtree(bag)
    return verdict(original, archive, must_fail=must_fail)


def test_the_original_verifies(original: Original, example: Callable[[], Path]) -> None:
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(original.zip_bytes)
    result = verdict(original, archive, must_fail=False)
    assert result is not None and result.status == "verified", result
    bag = write_bag(original, original.files, example())
    result = verdict(original, bag, must_fail=False)
    assert result is not None and result.status == "verified", result


# -- (1) the zip file itself -------------------------------------------------------------------


def _zip_content(data: bytes) -> dict[str, bytes] | None:
    """Name -> bytes of every entry as the central directory describes it (CRC-checked), or
    None if some entry cannot be read. Local-header fields the central directory repeats (the
    UTF-8 flag, the method) are ignored, as by every reader that trusts the directory."""
    out = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                start = info.header_offset
                if start < 0:
                    return None
                name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
                start += 30 + name_len + extra_len
                raw = data[start : start + info.compress_size]
                body = zlib.decompress(raw, -15) if info.compress_type else raw
                if zlib.crc32(body) != info.CRC or len(body) != info.file_size:
                    return None
                out[info.filename] = body
    except Exception:
        return None
    return out


@st.composite
def byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """1-4 flips, overwrites, insertions, deletions or a truncation, often at a zip header."""
    headers = [m.start() for m in re.finditer(b"PK", data)]
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        if not n:
            break
        near_header = st.builds(int.__add__, st.sampled_from(headers), st.integers(0, 46))
        pos = min(draw(st.one_of(st.integers(0, n - 1), near_header)), n - 1)
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]))
        if op == "flip":
            data = data[:pos] + bytes([data[pos] ^ draw(st.integers(1, 255))]) + data[pos + 1 :]
        elif op == "overwrite":
            chunk = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from(
                        [
                            b"\xff\xff\xff\xff",
                            b"\x00\x00\x00\x00",
                            b"\xff\xff",
                            b"PK\x03\x04",
                            b"PK\x05\x06",
                        ]
                    ),
                )
            )
            data = data[:pos] + chunk + data[pos + len(chunk) :]
        elif op == "insert":
            data = data[:pos] + draw(st.binary(min_size=1, max_size=64)) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 64)) :]
        else:
            data = data[:pos]
    return data


@FUZZ
@given(data=st.data())
def test_damaged_zip_bytes(
    original: Original, example: Callable[[], Path], data: st.DataObject
) -> None:
    mutated = data.draw(byte_edits(original.zip_bytes))
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(mutated)
    unchanged = _zip_content(mutated) == _zip_content(original.zip_bytes)
    verdict(original, archive, must_fail=not unchanged)


def hostile_names(top: str) -> list[str]:
    """Entry names a hostile archive may hold, relative to nothing (the archive root)."""
    return [
        f"{top}/../evil.txt",
        "/tmp/evil.txt",
        f"{top}/data/../../evil.txt",
        "C:/evil.txt",
        f"{top}\\evil.txt",
        f"{top}/./bagit.txt",
        f"{top}//bagit.txt",
        f"{top}/bad\x01name",
        f"{top}/{'a' * 300}",
        f"{top}/{'d/' * 2100}deep.txt",
        f"{top}/{'e' * 250}/" * 20 + "long.txt",
        f"{top}/data/x/{'p/' * 2100}deep.bin",
        f"{top}/bagit.txt/inside",
        f"{top}/manifest.json",
        "other/bagit.txt",
        "loose.txt",
        f"{top}/extra.txt",
        f"{top}/data/extra.bin",
    ]


ATTRS = {
    "file": 0o100644 << 16,
    "symlink": 0o120777 << 16,
    "fifo": 0o010644 << 16,
    "dir": (0o040755 << 16) | 0x10,
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(data=st.data())
def test_hostile_zip_entries(
    original: Original, example: Callable[[], Path], data: st.DataObject
) -> None:
    extra = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(hostile_names(original.top)),
                st.sampled_from(sorted(ATTRS)),
                st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
                st.binary(max_size=64),
            ),
            min_size=1,
            max_size=3,
        )
    )
    drop = data.draw(st.sets(st.sampled_from(sorted(original.files)), max_size=2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, content in sorted(original.files.items()):
            if rel not in drop:
                zf.writestr(f"{original.top}/{rel}", content)
        for name, kind, method, content in extra:
            info = zipfile.ZipInfo(name)
            info.external_attr = ATTRS[kind]
            info.compress_type = method
            zf.writestr(info, content)
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(buffer.getvalue())
    verdict(original, archive, must_fail=True)


# -- (2) manifest.json, as JSON and as text ----------------------------------------------------

KEYS_READ = ("details", "to", "from", "actor", "action", "name", "fingerprint", "request_ref")
DEEP = "\x00deep\x00"  # placeholder replaced by deeply nested JSON after serialising
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        ["", "\ud800", "0" * 64, "data/../bagit.txt", "/etc/passwd", "exported", "received"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _container_at(value: Any, path: list[Any]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def json_paths(draw: st.DrawFn, manifest: dict[str, Any]) -> list[Any]:
    """A path to a value, often inside an item, its custody or its metadata, where the
    manifest schema is loose and later checks must cope with whatever is there."""
    i = draw(st.integers(0, len(manifest["items"]) - 1))
    j = draw(st.integers(0, len(manifest["items"][i]["custody"]) - 1))
    event = ["items", i, "custody", j, "event"]
    path: list[Any] = draw(
        st.sampled_from(
            [
                [],
                ["issuer"],
                ["request"],
                ["certificates"],
                ["items", i],
                ["items", i],
                ["items", i, "digests"],
                ["items", i, "metadata"],
                ["items", i, "custody", j],
                event,
                event,
                event,
                [*event, "actor"],
                [*event, "details"],
            ]
        )
    )
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        try:
            here = _container_at(manifest, path)
        except (KeyError, IndexError, TypeError):
            break
        keys = sorted(here) if isinstance(here, dict) else list(range(len(here)))
        nested = [k for k in keys if isinstance(here[k], dict | list) and here[k]]
        if not nested:
            break
        path.append(draw(st.sampled_from(nested)))
    return path


def _serialise(value: Any, deep: str) -> bytes:
    try:
        text = canonical_bytes(value).decode()
    except Exception:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True, separators=(",", ":"))
    return text.replace(json.dumps(DEEP), deep).encode("utf-8", "surrogatepass")


@st.composite
def manifest_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """manifest.json with one JSON-aware edit (set, delete, add, huge, deep) or a text edit."""
    manifest = json.loads(data)
    kind = draw(st.sampled_from(["retype", "set", "delete", "add", "huge", "deep", "text"]))
    if kind == "text":
        return draw(text_edits(data))
    if kind == "retype":
        # A custody event field that replaying the chain reads, given any value at all.
        custody = draw(st.sampled_from(manifest["items"]))["custody"]
        event = custody[draw(st.sampled_from([0, -1, *range(len(custody))]))]["event"]
        event[draw(st.sampled_from(["details", "to", "action", "actor"]))] = draw(json_values)
        return _serialise(manifest, "")
    path = draw(json_paths(manifest))
    try:
        container = _container_at(manifest, path)
    except (KeyError, IndexError, TypeError):
        container = manifest
    deep = ""
    if isinstance(container, list):
        keys: list[Any] = list(range(len(container)))
    else:
        keys = sorted(container)
    key = None
    if isinstance(container, dict):
        # Often a name the checks read, whether or not this object has it yet.
        key = draw(st.sampled_from(KEYS_READ) | st.sampled_from(keys or list(KEYS_READ)))
    elif keys:
        key = draw(st.sampled_from(keys))
    if kind == "delete" and key is not None:
        if isinstance(container, list) or key in container:
            del container[key]
    elif kind == "add" or key is None:
        value = draw(json_values)
        if isinstance(container, list):
            container.append(value)
        else:
            container[draw(st.text(min_size=1, max_size=8))] = value
    elif kind == "huge":
        container[key] = draw(st.sampled_from(["A", "é", "\u202e", "0"])) * draw(
            st.sampled_from([1 << 16, 1 << 20])
        )
    elif kind == "deep":
        depth = draw(st.sampled_from([30, 400, 990, 1500, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        deep = opener * depth + "1" + closer * depth
        container[key] = DEEP
    else:
        container[key] = draw(json_values)
    return _serialise(manifest, deep)


@st.composite
def text_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """Raw edits of JSON text: duplicate keys, literals JSON allows or nearly allows, bytes."""
    text = data.decode()
    keys = list(re.finditer(r'"([a-z_0-9]+)":', text))
    op = draw(st.sampled_from(["duplicate", "literal", "bom", "bytes", "truncate"]))
    if op == "duplicate":
        m = draw(st.sampled_from(keys))
        value = draw(st.sampled_from(['"x"', "null", "1", "{}", "[]", '"' + "0" * 64 + '"']))
        where = draw(st.sampled_from([m.start(), m.end() + len(value) + 1]))
        where = m.start() if where > len(text) else where
        # The duplicate goes before the real key (first wins? last wins?) or in its place.
        text = text[: m.start()] + f'"{m[1]}":{value},' + text[m.start() :]
    elif op == "literal":
        m = draw(st.sampled_from(keys))
        literal = draw(
            st.sampled_from(
                ["NaN", "Infinity", "-Infinity", "1e999", "-0", "1" * 5000, "0.1e-400", "2e308"]
            )
        )
        end = text.find(",", m.end())
        end = end if end != -1 else m.end()
        text = text[: m.end()] + literal + text[end:]
    elif op == "bom":
        text = "\ufeff" + text
    elif op == "bytes":
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos:]
    else:
        return data[: draw(st.integers(0, len(data) - 1))]
    return text.encode()


@FUZZ
@given(data=st.data(), fixup=st.sampled_from(["resign", "resign", "refresh", "none"]))
def test_edited_manifest(
    original: Original, example: Callable[[], Path], data: st.DataObject, fixup: str
) -> None:
    files = dict(original.files)
    mutated = data.draw(manifest_edits(files["manifest.json"]))
    files["manifest.json"] = mutated
    if fixup == "resign":
        # The real prosecutor signed it: the CMS holds and every later check runs.
        files["manifest.json.p7s"] = sign_detached(original.prosecutor, mutated)
    as_folder = data.draw(st.integers(0, 3)) == 0
    check_bag(
        original,
        example(),
        files,
        fixup="none" if fixup == "none" else "refresh",
        as_folder=as_folder,
        must_fail=fixup != "resign" and mutated != original.files["manifest.json"],
    )


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


def _der(signer: Signer) -> bytes:
    return signer.record.certificate.public_bytes(Encoding.DER)


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
        _der(original.prosecutor),
        _pem(original.intruder),
        _der(original.intruder),
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


# -- regressions: each crash the fuzzing found, minimised --------------------------------------


def failures(result: VerifyResult | None) -> list[str]:
    """'check: message' of every failed check."""
    assert result is not None
    return [f"{c.name}: {c.message}" for c in result.checks if c.status == "failed"]


def test_forged_central_directory_offset(original: Original, example: Callable[[], Path]) -> None:
    # One more than the real offset makes zipfile place the first local header at -1.
    data = bytearray(original.zip_bytes)
    eocd = data.rfind(b"PK\x05\x06")
    offset = int.from_bytes(data[eocd + 16 : eocd + 20], "little")
    data[eocd + 16 : eocd + 20] = (offset + 1).to_bytes(4, "little")
    archive = example() / "bundle.zip"
    archive.write_bytes(bytes(data))
    found = failures(verdict(original, archive, must_fail=True))
    assert any("local header lies outside the archive" in f for f in found), found


def test_entry_name_longer_than_a_path_may_be(
    original: Original, example: Callable[[], Path]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for rel, content in sorted(original.files.items()):
            zf.writestr(f"{original.top}/{rel}", content)
        zf.writestr(f"{original.top}/{'d/' * 2100}deep.txt", b"x")
    archive = example() / "bundle.zip"
    archive.write_bytes(buffer.getvalue())
    found = failures(verdict(original, archive, must_fail=True))
    assert any("path is longer than 1024 bytes" in f for f in found), found


def resigned(original: Original, edit: Callable[[dict[str, Any]], None]) -> dict[str, bytes]:
    """The bundle's files with manifest.json edited and signed again by the real prosecutor."""
    manifest = json.loads(original.files["manifest.json"])
    edit(manifest)
    data = canonical_bytes(manifest)
    return {
        **original.files,
        "manifest.json": data,
        "manifest.json.p7s": sign_detached(original.prosecutor, data),
    }


@pytest.mark.parametrize("where", [0, -1])
@pytest.mark.parametrize("details", ["size", 5, ["a"]])
def test_event_details_not_an_object(
    original: Original, example: Callable[[], Path], where: int, details: Any
) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["items"][0]["custody"][where]["event"]["details"] = details

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("details" in f and "is not of type 'object'" in f for f in found), found


def test_transfer_to_not_a_party(original: Original, example: Callable[[], Path]) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        custody = manifest["items"][0]["custody"]
        transfer = next(r for r in custody if r["event"]["action"] == "transferred")
        transfer["event"]["to"] = "x"

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=True, must_fail=True)
    assert any("to: 'x' is not of type" in f for f in failures(result))
    assert result is not None and result.items[0].last_custodian is None


def _cms_with_signing_time(signer: Signer, content: bytes, der_time: bytes) -> bytes:
    """A valid detached CMS SignedData whose signed signing-time is the raw DER given."""
    attrs = asn1_cms.CMSAttributes(
        [
            asn1_cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            asn1_cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            asn1_cms.CMSAttribute(
                {"type": "signing_time", "values": [asn1_cms.Time.load(der_time)]}
            ),
        ]
    )
    cert = asn1_x509.Certificate.load(_der(signer))
    signer_info = asn1_cms.SignerInfo(
        {
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signer.private_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256())),
        }
    )
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    return bytes(
        asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    )


def test_signing_time_in_year_zero(original: Original, example: Callable[[], Path]) -> None:
    # GeneralizedTime 0000-01-01: asn1crypto returns a datetime look-alike no comparison takes.
    manifest = original.files["manifest.json"]
    files = dict(original.files)
    files["manifest.json.p7s"] = _cms_with_signing_time(
        original.prosecutor, manifest, b"\x18\x0f00000101000000Z"
    )
    result = check_bag(original, example(), files, fixup="retag", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("signing-time attribute" in f and "is not a real date" in f for f in found), found


def test_a_sound_signing_time_still_verifies(
    original: Original, example: Callable[[], Path]
) -> None:
    # The hand-made CMS above is valid: with an ordinary time the bundle verifies.
    files = dict(original.files)
    when = original.prosecutor.record.certificate.not_valid_before_utc + timedelta(minutes=1)
    files["manifest.json.p7s"] = _cms_with_signing_time(
        original.prosecutor, files["manifest.json"], asn1_cms.Time({"utc_time": when}).dump()
    )
    result = check_bag(original, example(), files, fixup="retag", as_folder=False, must_fail=False)
    assert result is not None and result.status == "verified", failures(result)


def test_signer_certificate_with_a_damaged_subject(
    original: Original, example: Callable[[], Path]
) -> None:
    # The CMS names its signer by issuer and serial; the subject is not covered by anything.
    p7s = bytearray(original.files["manifest.json.p7s"])
    cert = _der(original.prosecutor)
    subject = original.prosecutor.record.certificate.subject.public_bytes()
    common_name = b"\x06\x03\x55\x04\x03\x0c"  # OID 2.5.4.3, then a UTF8String tag
    at = bytes(p7s).find(cert) + cert.rfind(subject)
    at += subject.find(common_name) + len(common_name) - 1
    p7s[at] = 0x0D  # the name is now a RELATIVE-OID: read only when the subject is asked for
    files = {**original.files, "manifest.json.p7s": bytes(p7s)}
    result = check_bag(original, example(), files, fixup="retag", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("signer certificate in the signature is damaged" in f for f in found), found


def test_manifest_certificate_with_a_damaged_key(
    original: Original, example: Callable[[], Path]
) -> None:
    # Filed under its own fingerprint, so only its key is wrong: a point not on the curve.
    expert = json.loads(original.files["manifest.json"])["items"][0]["custody"][0]["signer"]

    def edit(manifest: dict[str, Any]) -> None:
        pem = manifest["certificates"].pop(expert)
        cert = x509.load_pem_x509_certificate(pem.encode())
        der = bytearray(cert.public_bytes(Encoding.DER))
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        der[bytes(der).find(spki) + len(spki) - 1] ^= 0x01
        damaged = x509.load_der_x509_certificate(bytes(der))
        manifest["certificates"][fingerprint(damaged)] = damaged.public_bytes(Encoding.PEM).decode()

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=False, must_fail=True)
    assert any("unusable key" in f for f in failures(result)), failures(result)
