"""Verifying a bundle, zipped or unzipped, with nothing but the bundle itself (no workspace).

Every check runs and is listed, passed or failed; a failure never hides the checks after it.
A zip is first extracted into a temporary folder under the limits of `safezip`, hashing every
file in the same pass, and the folder is removed afterwards whatever happens.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from ..custody import custody_state
from ..entries import Irregularity, chain_entries, irregularities
from ..errors import Check, Finding, Malformed, NotFoundError
from ..keys import key_id_of
from ..message import Message
from ..progress import Reporter, Silent
from ..timefmt import format_local, format_utc
from ..timerules import Timed, TimeRules, checkpoint_time
from ..tlog.cosignature import CosignatureVerifier
from ..validation import schema_errors
from .bagit import (
    PAYLOAD_DIR,
    PAYLOAD_MANIFESTS,
    TAG_MANIFESTS,
    TAG_SIGNATURE,
    BagFile,
    check_bag,
    hash_files,
)
from .checklist import Checklist
from .cms import CmsSigner
from .inclusion import carried_checkpoint, check_inclusion
from .manifest import (
    LOG_SCHEMA_ID,
    SCHEMAS,
    check_chain,
    load_certificates,
    read_manifest,
    signed_events,
)
from .names import is_excerpt_file, layout_problems, name_problems
from .packaging import NO_BAG, UNCHANGED, Change, Packaging, bag_prefix, names_codepage
from .safezip import ZipLimits, entries_of, extract
from .signer import (
    SignerVerdict,
    check_issuer,
    check_signature,
    check_signer,
    check_tag_signature,
)

if TYPE_CHECKING:
    from ..excerpt.proof import ExcerptVerdict

TAG_READ = (
    "bagit.txt",
    "bag-info.txt",
    *PAYLOAD_MANIFESTS,
    *TAG_MANIFESTS,
    "manifest.json",
    "manifest.json.p7s",
    "signer.pem",
    TAG_SIGNATURE,
)
MAX_TAG = 256 << 20


MAX_EXCERPT_FILE = 1 << 30  # an excerpt's records or proof file read into memory


@dataclass(frozen=True)
class ItemVerdict:
    """One row of the verdict table."""

    item_id: str
    file: str
    path: str
    digests_ok: bool
    chain_ok: bool
    events: int
    last_custodian: str | None
    sha256: str | None = None  # as the signed manifest states it

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    """Every check made on a bundle, the verdict per item, and the signer."""

    source: str
    checks: tuple[Check, ...]
    items: tuple[ItemVerdict, ...]
    signer: SignerVerdict | None
    manifest_sha256: str | None
    request_ref: str | None
    # The manifest's `trust` object (evidence-manifest/2), carried as data; establishing
    # custodians from it is the trust package's work.
    trust: dict[str, Any] | None = None
    # Irregular custody events in chains that hold (seal history, under seal, not the holder):
    # custody facts the reader must see; they do not fail the bundle.
    irregularities: tuple[Irregularity, ...] = ()
    # What each excerpt (evidence-manifest/3) disclosed, once its proof held.
    excerpts: tuple[ExcerptVerdict, ...] = ()
    # How the bundle reached us, where it differs from how `custody bundle` packs it: a
    # re-packed bundle whose every byte holds is "packaging changed, contents intact".
    packaging: Packaging = UNCHANGED

    @property
    def findings(self) -> list[Finding]:
        """Every failed check."""
        return [Finding(c.name, c.subject, c.message) for c in self.checks if c.status == "failed"]

    @property
    def status(self) -> str:
        """'verified', 'signer-unverified' (all holds but who signed) or 'failed'."""
        if self.findings:
            return "failed"
        if self.signer is None or not self.signer.established:
            return "signer-unverified"
        return "verified"

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "source": self.source,
            "status": self.status,
            "request_ref": self.request_ref,
            "manifest_sha256": self.manifest_sha256,
            "signer": None if self.signer is None else self.signer.to_json(),
            "items": [i.to_json() for i in self.items],
            "checks": [c.to_json() for c in self.checks],
            "irregularities": [i.to_json() for i in self.irregularities],
            "packaging": self.packaging.to_json(),
            "trust": self.trust,
        }


def _shown(name: str) -> str:
    # os.scandir hands undecodable bytes over as surrogates, which no terminal can print.
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(root: Path, checks: Checklist) -> list[tuple[str, Path]]:
    """Every regular file under root, relative, '/'-separated; links and devices are findings."""
    found: list[tuple[str, Path]] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + _shown(entry.name)
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    checks.fail(
                        "bag.structure", rel, Message("is a symbolic link; links are refused")
                    )
                elif stat.S_ISDIR(mode):
                    stack.append((Path(entry.path), rel + "/"))
                elif stat.S_ISREG(mode):
                    found.append((rel, Path(entry.path)))
                else:
                    checks.fail("bag.structure", rel, Message("is not a regular file"))
    return sorted(found)


def _bag_root(folder: Path) -> Path:
    """The folder holding bagit.txt: the one given, or its only subfolder (an unzip target)."""
    if (folder / "bagit.txt").exists():
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    if len(subfolders) == 1 and (subfolders[0] / "bagit.txt").is_file():
        return subfolders[0]
    return folder


def _from_folder(folder: Path, checks: Checklist, reporter: Reporter) -> dict[str, BagFile]:
    files = _walk(folder, checks)
    # A zip's names were vetted as it was read; a folder's may collide all the same (a
    # case-sensitive file system holds data/x and DATA/x side by side).
    for path, problem in name_problems(rel for rel, _ in files):
        checks.fail("bag.names", path, problem)
    results = hash_files([p for _, p in files], reporter, "verify")
    return {
        rel: BagFile(rel, size, digests)
        for (rel, _), (digests, size) in zip(files, results, strict=True)
    }


def _is_tag_file(name: str) -> bool:
    # tag files, and an excerpt's records and proof (read whole by the excerpt check); name is
    # relative to the bag
    return name.split("/", 1)[0] != PAYLOAD_DIR or is_excerpt_file(name)


def _from_zip(
    archive: Path, dest: Path, checks: Checklist, limits: ZipLimits | None, reporter: Reporter
) -> tuple[Path, dict[str, BagFile], Packaging] | None:
    try:
        codepage = names_codepage(archive)
        # Folder entries count too: an empty folder beside the bag is something else in the zip.
        bag = bag_prefix(entries_of(archive, codepage))
        top = bag or ""
        # Only tag files are written out; payload is hashed as it streams and never stored.
        # Every payload file's SHA-256 and SHA-512 are compared with the signed manifest (one
        # not described there fails item.coverage), so its CRC-32 adds nothing: skipped.
        extracted = extract(
            archive,
            dest,
            limits=limits,
            reporter=reporter,
            keep=lambda name: _is_tag_file(name.removeprefix(top)),
            digests_checked=lambda name: not _is_tag_file(name.removeprefix(top)),
            codepage=codepage,
        )
    except Malformed as exc:
        checks.fail("zip", archive.name, exc.message)
        return None
    if bag is None:  # after every entry is vetted: a hostile name is the first thing to say
        checks.fail("zip", archive.name, NO_BAG)
        return None
    where = (
        Message("in {folder}", folder=top) if top else Message("at the top of the zip (no folder)")
    )
    checks.ok(
        "zip",
        archive.name,
        Message("{n} files {where}, within every limit", n=len(extracted), where=where),
    )
    files = {
        e.name.removeprefix(top): BagFile(e.name.removeprefix(top), e.size, e.digests)
        for e in extracted
    }
    changes = (() if top else (Change.NO_TOP_FOLDER,)) + (
        () if codepage is None else (Change.CODEPAGE,)
    )
    return dest / top, files, Packaging(changes, codepage)


def _read_tags(root: Path, files: dict[str, BagFile], checks: Checklist) -> dict[str, bytes]:
    tags: dict[str, bytes] = {}
    for name in TAG_READ:
        if name not in files:
            continue
        if files[name].size > MAX_TAG:
            checks.fail(
                "bag.structure", name, Message("{size} bytes: too large", size=files[name].size)
            )
            continue
        fd = os.open(root / name, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            tags[name] = fh.read(MAX_TAG + 1)
    return tags


def verify_bundle(
    path: Path,
    *,
    trust: Sequence[x509.Certificate] = (),
    fingerprints: Sequence[str] = (),
    limits: ZipLimits | None = None,
    reporter: Reporter | None = None,
    now: datetime | None = None,
    tsa_trust: list[Any] | None = None,
    anchor: str | None = None,
    cosigners: Sequence[CosignatureVerifier] = (),
) -> VerifyResult:
    """Check a bundle zip or folder; returns every check, failures included, never raising
    for a problem of the bundle itself (only for one of ours: missing path, full disk).
    With tsa_trust (TSA CA certificates) the signature's RFC 3161 token is checked too; with
    anchor (the root's fingerprint, pinned from outside) every custodian is established; with
    cosigners (witness keys) the log's checkpoint must carry each one's cosignature.
    """
    reporter = reporter or Silent()
    checks = Checklist()
    if not path.exists():
        raise NotFoundError(f"{path}: no such file or folder")
    # What the checks after the hashing need is made ready while the files are hashed.
    preparing = threading.Thread(target=_prepare, name="verify-prepare", daemon=True)
    preparing.start()
    try:
        return _verify_path(
            path, checks, limits, reporter, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
    finally:
        preparing.join()


def _verify_path(
    path: Path,
    checks: Checklist,
    limits: ZipLimits | None,
    reporter: Reporter,
    trust: Sequence[x509.Certificate],
    fingerprints: Sequence[str],
    now: datetime | None,
    tsa_trust: list[Any] | None,
    anchor: str | None,
    cosigners: Sequence[CosignatureVerifier],
) -> VerifyResult:
    if path.is_dir():
        root = _bag_root(path)
        files = _from_folder(root, checks, reporter)
        result = _verify_bag(
            str(path), root, files, checks, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
        return replace(result, packaging=Packaging((Change.FOLDER,)))
    with tempfile.TemporaryDirectory(prefix="custody-verify-") as tmp:
        opened = _from_zip(path, Path(tmp), checks, limits, reporter)
        if opened is None:
            return VerifyResult(str(path), checks.result(), (), None, None, None)
        root, files, packaging = opened
        result = _verify_bag(
            str(path), root, files, checks, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
        return replace(result, packaging=packaging)


def _prepare() -> None:
    """Import the modules of the later checks (excerpts, custodians: ~0.3 s with the profile
    parsers that excerpt records are split by) and compile the manifest's schema (the schema
    engine's first use), beside the hashing instead of before or after it. Only caches are
    filled: a failure here is met again, and reported, where the check itself runs."""
    try:
        from . import custodians, excerpts  # noqa: F401

        schema_errors(SCHEMAS[LOG_SCHEMA_ID], {})
    except Exception:
        pass


def _verify_bag(
    source: str,
    root: Path,
    files: dict[str, BagFile],
    checks: Checklist,
    trust: Sequence[x509.Certificate],
    fingerprints: Sequence[str],
    now: datetime | None,
    tsa_trust: list[Any] | None = None,
    anchor: str | None = None,
    cosigners: Sequence[CosignatureVerifier] = (),
) -> VerifyResult:
    for path, problem in layout_problems(files):
        checks.fail("bag.names", path, problem)
    checks.ok(
        "bag.names",
        "bag",
        Message("fixed tag files, log/ and data/<item>/<file>; no names collide"),
    )
    tags = _read_tags(root, files, checks)
    # RFC 8493: structure, completeness, fixity of every payload and tag file, Payload-Oxum.
    report = check_bag(files, tags)
    checks.extend(report.findings)
    for name, message in report.passed:
        checks.ok(name, "bag", message)
    data = tags.get("manifest.json")
    signer = check_signature(tags, data, trust, checks)
    if tsa_trust is not None and signer is not None:
        _check_timestamp(tags["manifest.json.p7s"], signer, tsa_trust, checks)
    verdict = None if signer is None else check_signer(signer, trust, fingerprints, checks, now)
    if data is None:
        checks.fail("manifest.json", "manifest.json", Message("missing"))
        return VerifyResult(source, checks.result(), (), verdict, None, None)
    manifest, findings = read_manifest(data)
    checks.extend(findings)
    digest = hashlib.sha256(data).hexdigest()
    if manifest is None:
        checks.skip("item.files", Message("the manifest could not be read"))
        return VerifyResult(source, checks.result(), (), verdict, digest, None)
    checks.ok("manifest.json", "manifest.json", Message("canonical JSON (RFC 8785)"))
    checks.ok(
        "manifest.schema", "manifest.json", Message("valid {schema}", schema=manifest["schema"])
    )
    check_tag_signature(tags, signer, manifest["schema"], checks)
    check_issuer(manifest, signer, report.info, checks)
    certs = load_certificates(manifest)[0]
    # The time rules over the checkpoint the bundle carries (issue 18): an event it does not
    # cover (anything a sender added later) may not be dated before it, nor before the
    # genTime of its token when that holds (log.timestamp).
    carried = carried_checkpoint(root, files, certs, checks, tsa_trust)
    rules = TimeRules(
        () if carried is None else (checkpoint_time(carried.checkpoint.body, carried.gen_time),)
    )
    items, irregular = _check_items(manifest, files, checks, rules)
    if irregular:
        checks.warn(
            "custody.irregular",
            "chains",
            Message("{n} irregular custody event(s): listed under the items", n=len(irregular)),
        )
    else:
        checks.ok("custody.irregular", "chains", Message("no irregular custody event"))
    excerpts: tuple[ExcerptVerdict, ...] = ()
    # A pinned root (--anchor, or a CA among --trust) checks custodians whatever version the
    # manifest claims: the sender chooses the label, so a v1 label must not switch this off.
    order = check_inclusion(root, files, manifest, carried, cosigners, checks)
    from .custodians import check_custodians, root_pinned  # see _prepare
    from .excerpts import check_excerpts

    if manifest["schema"] != "evidence-manifest/1" or root_pinned(anchor, trust):
        excerpts = check_excerpts(manifest, _payload_reader(root, files), certs, checks)
        signed = [
            (Message("excerpt of item {item}", item=v.item_id), v.signer, v.at) for v in excerpts
        ]
        check_custodians(manifest, certs, anchor, trust, checks, signed, order)
    return VerifyResult(
        source,
        checks.result(),
        items,
        verdict,
        digest,
        manifest["request"]["reference"],
        manifest.get("trust"),
        irregular,
        excerpts,
    )


def _payload_reader(root: Path, files: dict[str, BagFile]) -> Callable[[str], bytes | None]:
    # Only files the bag lists (already checked against its manifests), within a size bound.
    def read(path: str) -> bytes | None:
        found = files.get(path)
        if found is None or found.size > MAX_EXCERPT_FILE:
            return None
        return (root / path).read_bytes()

    return read


def _check_timestamp(
    p7s: bytes, signer: CmsSigner, tsa_trust: list[Any], checks: Checklist
) -> None:
    """The signature's RFC 3161 token: genTime beside the signer's claimed signing time."""
    from ..timestamp.cades import check_signature_timestamp  # only with --tsa-trust

    result = check_signature_timestamp(p7s, tsa_trust, signer.signing_time)
    if not result.ok:
        checks.extend(result.findings)
        return
    # Both to the second, in UTC: what people compare (the token keeps its own precision).
    claimed = (
        Message("none")
        if signer.signing_time is None
        else Message.moment(format_local(format_utc(signer.signing_time), None))
    )
    checks.ok(
        "cms.timestamp",
        "manifest.json.p7s",
        Message(
            "RFC 3161 time {time} by {tsa}; signer's claimed time {claimed}",
            time=Message.moment(format_local(result.gen_time, None)),
            tsa=result.tsa,
            claimed=claimed,
        ),
    )


def _time_findings(entry: dict[str, Any], rules: TimeRules) -> list[Finding]:
    """The time rules on one item's chain as the bundle carries it: the chain rule, and the
    checkpoint rule over the checkpoint the bundle carries (its token is not checked here, so
    its signed time binds)."""
    chain = [
        Timed(str(entry["item_id"]), n, record["event"].get("at"), str(record["signer"]))
        for n, record in enumerate(entry["custody"], 1)
        if isinstance(record.get("event"), dict)
    ]
    return [
        Finding(
            "item.chain",
            Message("item {item} event {seq}", item=entry["item_id"], seq=event.seq),
            problem,
        )
        for event, problem in rules.problems(chain)
    ]


def _check_items(
    manifest: dict[str, Any], files: dict[str, BagFile], checks: Checklist, rules: TimeRules
) -> tuple[tuple[ItemVerdict, ...], tuple[Irregularity, ...]]:
    certs, findings = load_certificates(manifest)
    # One actor may hold several certificates (an agency CA issued one later): same key, same actor.
    identity = {fp: key_id_of(cert.public_key()) for fp, cert in certs.items()}
    checks.extend(findings)
    checks.ok(
        "manifest.certificates",
        "certificates",
        Message("{n} certificates, fingerprints match", n=len(certs)),
    )
    case_number = manifest["case"]["number"]
    reference = manifest["request"]["reference"]
    verdicts = []
    irregular: list[Irregularity] = []
    described: set[str] = set()
    for entry in manifest["items"]:
        subject = Message("item {item}", item=entry["item_id"])
        path = entry["path"]
        if path in described:
            checks.fail("item.files", subject, Message("{path} is described twice", path=path))
        described.add(path)
        found = files.get(path)
        digests_ok = False
        if found is None:
            checks.fail(
                "item.files", subject, Message("{path} is missing from the bundle", path=path)
            )
        elif found.size != entry["size"]:
            checks.fail(
                "item.files",
                subject,
                Message(
                    "{path} holds {size} bytes, manifest says {signed}",
                    path=path,
                    size=found.size,
                    signed=entry["size"],
                ),
            )
        else:
            digests_ok = True
            for algorithm in ("sha256", "sha512"):
                if getattr(found.digests, algorithm) != entry["digests"][algorithm]:
                    checks.fail(
                        "item.files",
                        subject,
                        Message(
                            "{path}: {algorithm} differs from the signed manifest",
                            path=path,
                            algorithm=algorithm,
                        ),
                    )
                    digests_ok = False
        chain_findings = check_chain(entry, case_number, reference, certs)
        chain_findings += _time_findings(entry, rules)
        checks.extend(chain_findings)
        # Only a chain that holds (every event schema-valid) says who has the item now.
        holder = None
        if not chain_findings:
            chain = signed_events(entry)
            holder = custody_state(chain, identity).holder
            # Every signature was verified by check_chain; signers are judged by custody.trust.
            lines = chain_entries(entry["item_id"], chain, identity, None, lambda ev: True)
            irregular += irregularities(lines, [ev.body for ev in chain])
        verdicts.append(
            ItemVerdict(
                entry["item_id"],
                entry["original_name"],
                path,
                digests_ok,
                not chain_findings,
                len(entry["custody"]),
                None if holder is None else holder.get("name"),
                entry["digests"]["sha256"],
            )
        )
    n = len(verdicts)
    checks.ok("item.files", "items", Message("{n} files match the signed SHA-256 and SHA-512", n=n))
    # an excerpt's records and proof files (evidence-manifest/3) are described there too
    described.update(
        path
        for entry in manifest.get("excerpts", [])
        for path in (entry["records_path"], entry["proof_path"])
    )
    for path in sorted(p for p in files if p.startswith(PAYLOAD_DIR + "/") and p not in described):
        checks.fail(
            "item.coverage", path, Message("payload file not described in the signed manifest")
        )
    checks.ok(
        "item.coverage",
        "data/",
        Message("every payload file is described in the signed manifest"),
    )
    events = sum(v.events for v in verdicts)
    checks.ok(
        "item.chain",
        "chains",
        Message("{n} events: hashes, links, order and signatures hold", n=events),
    )
    checks.ok("item.facts", "items", Message("item facts match what was signed at ingest"))
    return tuple(verdicts), tuple(irregular)
