"""Dry run of an ingest: what would be ingested, what is held already, skipped or refused.

Types and profiles are computed from the files where they lie; nothing is copied, signed or
written (no vault file, no ledger row). The scan is the ingest's own (scan.py), so a dry run
sees exactly the files the ingest would.
"""

from __future__ import annotations

from pathlib import Path

from .hashing import Hasher
from .ingest import IngestOptions, IngestReport, already_held, begin, media_type_of
from .items import find_item, item_id_for
from .metadata import exiftool_session
from .profiles import build_profile, detect_evidence_type
from .progress import Reporter, Silent
from .scan import Candidate, Outcome, display_name, read_scanned
from .workspace import Workspace


def preview_ingest(
    ws: Workspace, paths: list[Path], options: IngestOptions, reporter: Reporter | None = None
) -> IngestReport:
    """The report an ingest of paths would give, with status "new" for what it would take."""
    candidates, report = begin(ws, paths, options)
    reporter = reporter or Silent()
    new: list[tuple[Candidate, str]] = []
    seen: set[str] = set()
    reporter.start(sum(c.size for c in candidates), "dry run")
    try:
        with Hasher() as hasher:
            for cand in candidates:
                name = display_name(cand.path)
                read = read_scanned(
                    cand.path, lambda fh: hasher.copy_and_hash(fh, progress=reporter.advance)
                )
                if isinstance(read, str):
                    report.outcomes.append(Outcome(name, "refused", reason=read))
                    continue
                digests, size = read
                sha = digests.sha256
                held = find_item(ws.ledger, options.case, sha)
                if held is not None or sha in seen:
                    report.outcomes.append(already_held(ws.ledger, options, name, sha, size, held))
                    continue
                seen.add(sha)
                new.append((cand, sha))
    finally:
        reporter.finish()
    if new:
        with exiftool_session() as reader:
            metadata = reader.read([c.path for c, _ in new])
        for (cand, sha), tags in zip(new, metadata, strict=True):
            report.outcomes.append(_would_ingest(cand, sha, tags, options))
    return report


def _would_ingest(
    cand: Candidate, sha: str, tags: dict[str, object], options: IngestOptions
) -> Outcome:
    name = display_name(cand.path.name)
    media_type = media_type_of(dict(tags), name)
    evidence_type = options.evidence_type
    if evidence_type == "auto":
        evidence_type = detect_evidence_type(cand.path, name, media_type)
    profile = build_profile(
        cand.path, evidence_type, original_name=name, media_type=media_type, metadata=dict(tags)
    )
    return Outcome(
        display_name(cand.path),
        "new",
        item_id_for(options.case, sha),
        sha,
        cand.size,
        evidence_type,
        profile=None if profile is None else str(profile.get("kind")),
    )
