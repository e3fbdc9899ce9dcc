"""Printable reports (PDF, with reportlab) and their machine-readable twins (JSON, CSV).

- the auditor's custody report: collect_custody_report() then render_custody_report(),
  custody_report_json(), custody_report_csv();
- the recipient's verification report: render_verification_report();
- the cover sheet inside every bundle: render_cover().
"""

from __future__ import annotations

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
