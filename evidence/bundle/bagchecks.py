"""The checks of a bag once every file is hashed: names, BagIt, signature, manifest, items and
chains, time-stamps, the log, excerpts and custodians (`verify_bag`).

`custody verify` imports this module in a thread while the files are hashed (verify._prepare):
its imports (x509, CMS, the manifest and log readers) are most of the command's start-up.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from ..custody import custody_state
from ..entries import Irregularity, chain_entries, irregularities
from ..errors import Finding
from ..keys import key_id_of
from ..message import Message
from ..timefmt import format_local, format_utc
from ..timerules import Timed, TimeRules, checkpoint_time
from ..validation import schema_errors
from .bagit import (
    PAYLOAD_DIR,
    PAYLOAD_MANIFESTS,
    TAG_MANIFESTS,
    TAG_SIGNATURE,
    BagFile,
    check_bag,
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
from .names import layout_problems
from .signer import (
    check_issuer,
    check_signature,
    check_signer,
    check_tag_signature,
)
from .verdict import ItemVerdict, VerifyResult

if TYPE_CHECKING:
    from ..excerpt.proof import ExcerptVerdict
    from ..tlog.cosignature import CosignatureVerifier

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


def verify_bag(
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
    from .custodians import check_custodians, root_pinned  # see prepare

    if manifest["schema"] != "evidence-manifest/1" or root_pinned(anchor, trust):
        # An empty list checks nothing (and the excerpt check's import, ~0.1 s with the
        # profile parsers that split records, is spared); anything else goes to the check.
        if manifest.get("excerpts", []) != []:
            from .excerpts import check_excerpts

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


def prepare() -> None:
    """Fill the caches the checks use first: compile the manifest's schema (the schema engine's
    first use) and import the custodians check. The excerpt check and its profile parsers are
    imported only for a manifest that lists excerpts (verify_bag)."""
    from . import custodians  # noqa: F401

    schema_errors(SCHEMAS[LOG_SCHEMA_ID], {})
