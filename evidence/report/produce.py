"""One call from workspace to finished report file: audit, collect, render, write atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import OperationalError, UsageError
from ..keys import Signer
from ..progress import Reporter
from ..workspace import Workspace
from .collect import collect_custody_report
from .locale import Locale
from .model import CustodyReportData, Preparer
from .tables import custody_report_csv, custody_report_json

FORMATS = ("pdf", "json", "csv")


def format_for(path: Path | None, explicit: str | None) -> str:
    """The output format: --format if given, else the file's suffix, else pdf."""
    if explicit:
        if explicit not in FORMATS:
            raise UsageError(f"format {explicit!r} is not one of {', '.join(FORMATS)}")
        return explicit
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    return suffix if suffix in FORMATS else "pdf"


def custody_report(
    ws: Workspace,
    case_number: str,
    *,
    item_ids: list[str] | None = None,
    fixity: bool = False,
    checkpoint_file: Path | None = None,
    generated_by: str | None = None,
    reporter: Reporter | None = None,
    locale: Locale | None = None,
    preparer: Preparer | None = None,
    signed: bool = False,
) -> CustodyReportData:
    """Audit the case (all checks, fixity on request) and collect the report data."""
    from ..audit import audit  # the audit pulls in multiprocessing; only the CLI path needs it

    result = audit(
        ws, case_number, fixity=fixity, checkpoint_file=checkpoint_file, reporter=reporter
    )
    return collect_custody_report(
        ws,
        case_number,
        item_ids,
        result,
        generated_by=generated_by,
        locale=locale,
        preparer=preparer,
        pdf_signed=signed,
    )


def preparer_of(signer: Signer) -> Preparer:
    """The signature block's identity of the --as actor."""
    r = signer.record
    return Preparer(r.name, r.role, r.organisation, r.fingerprint)


def signed_pdf(pdf: bytes, signer: Signer | None, tsa: str | None, reason: str) -> bytes:
    """The PDF signed (PAdES B-B, or B-T with a TSA) by signer; unchanged when there is none."""
    if signer is None:
        return pdf
    from .pades import sign_pdf  # pyhanko is imported only when a PDF is signed

    return sign_pdf(pdf, signer, reason=reason, tsa=tsa)


def render(data: CustodyReportData, fmt: str) -> bytes:
    """The report in one format, as bytes (JSON and CSV in UTF-8)."""
    if fmt == "pdf":
        from .custody import render_custody_report  # reportlab: only for a PDF

        return render_custody_report(data)
    if fmt == "json":
        text = json.dumps(custody_report_json(data), ensure_ascii=False, indent=2)
        return (text + "\n").encode()
    if fmt == "csv":
        return custody_report_csv(data).encode()
    raise UsageError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


def write_file(path: Path, content: bytes) -> None:
    """Write by temporary file, fsync and rename: a report is complete or absent, never cut."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise OperationalError(
            f"{path}: cannot write report ({exc.strerror})",
            "check the folder exists and is writable",
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OperationalError(f"{path}: cannot write report ({exc.strerror})") from None


def available_cover(
    lang: str = "en", name: str = "BUNDLE"
) -> Callable[[dict[str, Any], str, str], bytes] | None:
    """The cover-sheet renderer a bundle is built with, when reportlab is installed: in lang,
    for a bundle whose folder (the zip's name without .zip) is name."""
    try:
        from .cover import cover_renderer
    except ImportError:
        return None
    return cover_renderer(lang, name)


def signing_cover(
    render: Callable[[dict[str, Any], str, str], bytes] | None, signer: Signer, tsa: str | None
) -> Callable[[dict[str, Any], str, str], bytes] | None:
    """The bundle's cover-sheet renderer, its PDF signed by the bundle's signer."""
    if render is None:
        return None

    def cover(manifest: dict[str, Any], digest: str, fingerprint: str) -> bytes:
        reason = f"Cover sheet of MLA request {manifest['request']['reference']}"
        return signed_pdf(render(manifest, digest, fingerprint), signer, tsa, reason)

    return cover
