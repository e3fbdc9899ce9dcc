"""Cases: the number everything is filed under, with title, jurisdiction and legal basis."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .countries import check_country
from .errors import NotFoundError, UsageError
from .ledger import Ledger, select_all
from .timefmt import utc_now

# Letters and digits of any script (Cyrillic case numbers are common), then . / _ -; nothing
# that could be a control, format (bidi) or combining character, or a path separator trick.
CASE_NUMBER = re.compile(r"[^\W_][\w./-]{0,63}")


@dataclass(frozen=True)
class Case:
    """A case record."""

    number: str
    title: str
    jurisdiction: str
    legal_basis: str
    created_at: str
    created_by: str

    def to_json(self) -> dict[str, str]:
        """Plain dict for --json output and manifests."""
        return {
            "number": self.number,
            "title": self.title,
            "jurisdiction": self.jurisdiction,
            "legal_basis": self.legal_basis,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


def create_case(
    ledger: Ledger, number: str, title: str, jurisdiction: str, legal_basis: str, created_by: str
) -> Case:
    """Register a new case; the number must be new and safe to use in file names."""
    number = unicodedata.normalize("NFC", number)
    if not CASE_NUMBER.fullmatch(number):
        raise UsageError(
            f"case number {number!r} is not valid",
            "use letters (of any alphabet), digits and . / _ - (e.g. BY-2026-0042 or"
            " УД-2026-0042), at most 64 characters",
        )
    check_country(jurisdiction, "--jurisdiction")
    if not title.strip():
        raise UsageError("--title must not be empty")
    case = Case(number, title, jurisdiction, legal_basis, utc_now(), created_by)
    with ledger.atomic():
        if ledger.rows("SELECT 1 FROM cases WHERE number = $1", (number,)):
            raise UsageError(f"case {number} exists already", "see `custody case show`")
        ledger.insert("cases", case.to_json())
    return case


def get_case(ledger: Ledger, number: str) -> Case:
    """The case with this number."""
    number = unicodedata.normalize("NFC", number)
    rows = ledger.rows(select_all("cases") + " WHERE number = $1", (number,))
    if not rows:
        raise NotFoundError(f"unknown case {number!r}", "see `custody case list`")
    return Case(**rows[0])


def list_cases(ledger: Ledger) -> list[Case]:
    """Every case, oldest first."""
    return [Case(**r) for r in ledger.rows(select_all("cases") + " ORDER BY created_at, rowid")]
