"""Printable reports (PDF, with reportlab) and their machine-readable twins (JSON, CSV).

- the auditor's custody report: collect_custody_report() then render_custody_report(),
  custody_report_json(), custody_report_csv();
- the recipient's verification report: render_verification_report();
- the cover sheet inside every bundle: render_cover().
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .collect import collect_custody_report
    from .custody import render_custody_report
    from .model import (
        CheckLine,
        CustodyReportData,
        SignerInfo,
        Verdict,
        verdict_from_audit,
    )
    from .tables import custody_report_csv, custody_report_json

# Names are handed on when first asked for (PEP 562): `custody verify` reads only the
# message catalogue and zones (report.locale) and must not load reportlab with the package.
_WHERE = {
    "CheckLine": "model",
    "CustodyReportData": "model",
    "SignerInfo": "model",
    "Verdict": "model",
    "collect_custody_report": "collect",
    "custody_report_csv": "tables",
    "custody_report_json": "tables",
    "render_custody_report": "custody",
    "verdict_from_audit": "model",
}

__all__ = [
    "CheckLine",
    "CustodyReportData",
    "SignerInfo",
    "Verdict",
    "collect_custody_report",
    "custody_report_csv",
    "custody_report_json",
    "render_custody_report",
    "verdict_from_audit",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
