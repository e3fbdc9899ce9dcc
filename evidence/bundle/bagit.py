"""BagIt 1.0 (RFC 8493): a bundle's tag files written; a bag's completeness and fixity checked.

Written by hand rather than with bagit-python because that library builds bags in place on disk
(we stream straight into a zip), hashes on one core, and reports through logging and exceptions
that stop at the first problem. bagit-python is still what the tests use to accept our bags.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Finding
from ..hashing import Digests, copy_and_hash
from ..message import Message
from ..progress import Reporter, Silent

VERSION = "1.0"
ALGORITHMS = ("sha256", "sha512")
BAGIT_TXT = f"BagIt-Version: {VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()
PAYLOAD_DIR = "data"
_HEX = {"sha256": re.compile(r"[0-9a-f]{64}"), "sha512": re.compile(r"[0-9a-f]{128}")}
# Room for ext4's 255-byte limit with a margin for tools that add suffixes.
MAX_NAME_BYTES = 200
_WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
# Characters refused inside in-bag names: path separators, characters Windows cannot store,
# and '%', which RFC 8493 would percent-encode but `sha256sum -c` would not decode.
_UNSAFE_CHARS = set('/\\<>:"|?*%')


def manifest_name(algorithm: str, *, tag: bool = False) -> str:
    """File name of the payload (or tag) manifest for one algorithm."""
    return f"{'tag' if tag else ''}manifest-{algorithm}.txt"


TAG_MANIFESTS = tuple(manifest_name(a, tag=True) for a in ALGORITHMS)
PAYLOAD_MANIFESTS = tuple(manifest_name(a) for a in ALGORITHMS)
# evidence-manifest/2: a detached CMS signature over the SHA-256 tag manifest, which lists every
# other tag file (cover.pdf, VERIFY.txt, bag-info.txt...), so that they are signed too.
TAG_SIGNATURE = f"{TAG_MANIFESTS[0]}.p7s"


def bag_filename(original: str) -> str:
    """A deterministic file name safe in every bag, zip, shell and file system.

    The original name is kept in the manifest; this one only has to be harmless: no path
    separators, NUL, control or bidi-format characters, no leading '-', '.', '*' or space
    (options, hidden files, `..`, sha256sum's binary marker), no Windows device names, and at
    most MAX_NAME_BYTES of UTF-8 with the extension kept.
    """
    text = unicodedata.normalize("NFC", original)
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        unsafe = ch in _UNSAFE_CHARS or category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        chars.append("_" if unsafe else (" " if category == "Zs" else ch))
    name = "".join(chars)
    name = re.sub(r"^[\s.\-*~]+", lambda m: "_" * len(m.group()), name)
    name = re.sub(r"[\s.]+$", lambda m: "_" * len(m.group()), name)
    if not name:
        name = "file"
    if _WINDOWS_RESERVED.fullmatch(name):
        name = "_" + name
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext.encode()) > 16:
            stem, ext = name, ""
        budget = MAX_NAME_BYTES - len(ext.encode()) - (1 if ext else 0)
        stem = stem.encode()[:budget].decode("utf-8", "ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name


def encode_path(path: str) -> str:
    """Percent-encode CR, LF and % in a manifest path (RFC 8493 section 2.1.3)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    """Inverse of encode_path; other %-sequences are left alone, as the RFC defines only these."""
    return re.sub(
        r"%(25|0[dD]|0[aA])", lambda m: {"25": "%", "0D": "\r", "0A": "\n"}[m[1].upper()], text
    )


def is_safe_path(path: str) -> bool:
    """True if path is relative and '/'-separated, without '.', '..', empty parts or drive."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    if re.match(r"[A-Za-z]:", path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def manifest_text(entries: Mapping[str, str]) -> bytes:
    """A manifest: one `checksum  path` line per file, sorted by path (sha256sum's format)."""
    lines = [f"{entries[p]}  {encode_path(p)}\n" for p in sorted(entries)]
    return "".join(lines).encode()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def bag_info_text(fields: Iterable[tuple[str, str]]) -> bytes:
    """bag-info.txt from (label, value) pairs; values are flattened to one line each."""
    return "".join(f"{label}: {_one_line(value)}\n" for label, value in fields).encode()


def payload_oxum(sizes: Iterable[int]) -> str:
    """The Payload-Oxum value: total octets, a dot, the number of payload files."""
    sizes = list(sizes)
    return f"{sum(sizes)}.{len(sizes)}"


def tag_files(
    payload: Mapping[str, tuple[int, Digests]],
    tags: Mapping[str, bytes],
    info: Iterable[tuple[str, str]],
) -> dict[str, bytes]:
    """Every tag file of a bag, in write order, ending with the tag manifests that cover the rest.

    payload maps each payload path (under data/) to its size and digests; tags holds the
    other tag files (manifest.json, signatures, VERIFY.txt...).
    """
    info = [*info, ("Payload-Oxum", payload_oxum(size for size, _ in payload.values()))]
    out: dict[str, bytes] = {"bagit.txt": BAGIT_TXT, "bag-info.txt": bag_info_text(info)}
    for algorithm in ALGORITHMS:
        digests = {p: str(getattr(d, algorithm)) for p, (_, d) in payload.items()}
        out[manifest_name(algorithm)] = manifest_text(digests)
    out.update(tags)
    covered = dict(out)
    for algorithm in ALGORITHMS:
        listing = {name: hashlib.new(algorithm, data).hexdigest() for name, data in covered.items()}
        out[manifest_name(algorithm, tag=True)] = manifest_text(listing)
    return out


def hash_files(
    paths: Sequence[Path], reporter: Reporter | None = None, label: str = "hash"
) -> list[tuple[Digests, int]]:
    """SHA-256 and SHA-512 (and size) of many files: one read each, several files at once.

    Each file is hashed on two threads (one per algorithm); with two files in flight SHA-512,
    the slower, no longer leaves a core idle. Links are never followed.
    """
    reporter = reporter or Silent()
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            reporter.advance(n)

    def one(path: Path) -> tuple[Digests, int]:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb", buffering=0) as fh:
            return copy_and_hash(fh, progress=advance)

    reporter.start(sum(p.stat().st_size for p in paths), label)
    try:
        with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
            return list(pool.map(one, paths))
    finally:
        reporter.finish()


@dataclass(frozen=True)
class BagFile:
    """A file found in a bag: its path relative to the bag root, size and digests."""

    path: str
    size: int
    digests: Digests


@dataclass
class BagReport:
    """What checking a bag found: failures, parsed bag-info, and which checks ran."""

    findings: list[Finding] = field(default_factory=list)
    info: dict[str, list[str]] = field(default_factory=dict)
    passed: list[tuple[str, Message]] = field(default_factory=list)

    def fail(self, check: str, subject: str, message: Message) -> None:
        """Record a failed check."""
        self.findings.append(Finding(check, subject, message))

    def failed(self, check: str) -> bool:
        """True if any finding was recorded for this check."""
        return any(f.check == check for f in self.findings)


def parse_tags(data: bytes, name: str, report: BagReport) -> dict[str, list[str]]:
    """Parse a `Label: value` tag file (bagit.txt, bag-info.txt), with folded lines."""
    tags: dict[str, list[str]] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        report.fail("bag.structure", name, Message("is not UTF-8 text"))
        return tags
    if text.startswith("\ufeff"):
        report.fail(
            "bag.structure", name, Message("starts with a byte-order mark (RFC 8493 forbids it)")
        )
        text = text[1:]
    last: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            tags[last][-1] += " " + line.strip()
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            report.fail(
                "bag.structure",
                Message("{name} line {number}", name=name, number=number),
                Message("is not a `Label: value` line"),
            )
            continue
        last = label.strip()
        tags.setdefault(last, []).append(value.strip())
    return tags


def parse_manifest(data: bytes, name: str, report: BagReport) -> dict[str, str]:
    """Parse a manifest into path -> checksum; bad lines and unsafe paths become findings."""
    algorithm = name.split("-", 1)[1].removesuffix(".txt")
    entries: dict[str, str] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        report.fail("bag.structure", name, Message("is not UTF-8 text"))
        return entries
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        checksum, _, rest = line.partition(" ")
        path = decode_path(rest.lstrip(" \t").removeprefix("*"))
        where = Message("{name} line {number}", name=name, number=number)
        if not _HEX[algorithm].fullmatch(checksum.lower()):
            report.fail(
                "bag.structure",
                where,
                Message("is not a {algorithm} checksum and a path", algorithm=algorithm),
            )
        elif not is_safe_path(path):
            report.fail(
                "bag.structure", where, Message("path {path!r} would leave the bag", path=path)
            )
        elif path in entries:
            report.fail("bag.structure", where, Message("lists {path!r} twice", path=path))
        else:
            entries[path] = checksum.lower()
    return entries


def check_bag(files: Mapping[str, BagFile], tags: Mapping[str, bytes]) -> BagReport:
    """Check a bag's structure, completeness and fixity (RFC 8493 sections 2 and 3).

    files holds every regular file of the bag with its digests; tags holds the bytes of the
    bag's own tag files that exist (bagit.txt, bag-info.txt and the four manifests).
    Every problem is recorded; nothing stops at the first.
    """
    report = BagReport()
    # 1. bagit.txt is present and declares version 1.0 and UTF-8 (section 2.1.1).
    if "bagit.txt" not in tags:
        report.fail("bag.structure", "bagit.txt", Message("missing: this is not a BagIt bag"))
    else:
        declared = parse_tags(tags["bagit.txt"], "bagit.txt", report)
        if declared.get("BagIt-Version") != [VERSION]:
            report.fail(
                "bag.structure",
                "bagit.txt",
                Message("BagIt-Version is not {version}", version=VERSION),
            )
        if declared.get("Tag-File-Character-Encoding") != ["UTF-8"]:
            report.fail(
                "bag.structure", "bagit.txt", Message("Tag-File-Character-Encoding is not UTF-8")
            )
    # 2. A payload manifest exists for every algorithm we promise (section 2.1.3).
    payload_files = {p for p in files if p.startswith(PAYLOAD_DIR + "/")}
    manifests: dict[str, dict[str, str]] = {}
    for name in (*PAYLOAD_MANIFESTS, *TAG_MANIFESTS):
        if name not in tags:
            report.fail("bag.structure", name, Message("missing"))
        else:
            manifests[name] = parse_manifest(tags[name], name, report)
    if not report.failed("bag.structure"):
        report.passed.append(
            (
                "bag.structure",
                Message("BagIt {version}, UTF-8, manifests for sha256 and sha512", version=VERSION),
            )
        )
    # 3. Completeness (section 3): every payload file is in every payload manifest and every
    #    listed file exists; tag manifests cover every tag file but themselves.
    #    The tag manifest's own signature (manifest v2) cannot list itself either.
    tag_files_present = {
        p for p in files if p not in payload_files and p not in (*TAG_MANIFESTS, TAG_SIGNATURE)
    }
    for name, entries in manifests.items():
        expected = tag_files_present if name in TAG_MANIFESTS else payload_files
        for path in sorted(set(entries) - set(files)):
            report.fail(
                "bag.complete",
                path,
                Message("listed in {name} but missing from the bag", name=name),
            )
        for path in sorted(expected - set(entries)):
            report.fail(
                "bag.complete", path, Message("not listed in {name} (extra file)", name=name)
            )
        inside = [
            p for p in entries if p.startswith(PAYLOAD_DIR + "/") != (name in PAYLOAD_MANIFESTS)
        ]
        for path in sorted(inside):
            where = (
                Message("outside data/") if name in PAYLOAD_MANIFESTS else Message("a payload file")
            )
            report.fail(
                "bag.complete", path, Message("{name} lists {where}", name=name, where=where)
            )
    if not report.failed("bag.complete"):
        report.passed.append(
            (
                "bag.complete",
                Message(
                    "{payload} payload and {tags} tag files, none missing or extra",
                    payload=len(payload_files),
                    tags=len(tag_files_present),
                ),
            )
        )
    # 4. Validity (section 3): every checksum in every manifest matches the file.
    checked = 0
    for name, entries in manifests.items():
        algorithm = name.split("-", 1)[1].removesuffix(".txt")
        for path, expected_sum in entries.items():
            found = files.get(path)
            if found is None:
                continue
            actual = str(getattr(found.digests, algorithm))
            checked += 1
            if actual != expected_sum:
                report.fail(
                    "bag.fixity",
                    path,
                    Message(
                        "{algorithm} is {actual}..., {name} says {expected_sum}...",
                        algorithm=algorithm,
                        actual=actual[:16],
                        name=name,
                        expected_sum=expected_sum[:16],
                    ),
                )
    if not report.failed("bag.fixity"):
        report.passed.append(("bag.fixity", Message("{n} checksums match", n=checked)))
    # 5. bag-info.txt and its Payload-Oxum (section 2.2.2) agree with the payload found.
    if "bag-info.txt" not in tags:
        report.fail("bag.info", "bag-info.txt", Message("missing"))
    else:
        report.info = parse_tags(tags["bag-info.txt"], "bag-info.txt", report)
        actual_oxum = payload_oxum(files[p].size for p in payload_files)
        oxum = report.info.get("Payload-Oxum")
        if not oxum:
            report.fail("bag.info", "bag-info.txt", Message("has no Payload-Oxum"))
        elif oxum != [actual_oxum]:
            report.fail(
                "bag.info",
                Message("Payload-Oxum"),
                Message(
                    "says {oxum}, payload is {actual_oxum} (octets.files)",
                    oxum=", ".join(oxum),
                    actual_oxum=actual_oxum,
                ),
            )
        for label in ("External-Identifier", "Source-Organization", "Bagging-Date"):
            if label not in report.info:
                report.fail("bag.info", "bag-info.txt", Message("has no {label}", label=label))
        if not report.failed("bag.info"):
            report.passed.append(
                ("bag.info", Message("Payload-Oxum {oxum} matches", oxum=actual_oxum))
            )
    return report
