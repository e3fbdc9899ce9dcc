"""The accuracy measurement over the format fixtures (tests/data/profiles/accuracy.json): what
each profile found against what a prosecutor would put in a request, per fixture."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.profiles import detect_evidence_type
from tests.profiles.profile_support import DATA, profile_of

EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (DATA / "accuracy.json").read_text(encoding="utf-8")
)


def fixture_path(name: str, tmp: Path) -> Path:
    """The fixture file; a ChatExport_*.zip is zipped from its folder, as a user would."""
    if not name.endswith(".zip"):
        return DATA / name
    folder = DATA / name.removesuffix(".zip")
    target = tmp / Path(name).name
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder.parent).as_posix())
    return target


@dataclass(frozen=True)
class Measured:
    """One fixture's profile measured against its expected facts."""

    name: str
    evidence_type: str
    profile: dict[str, Any]
    expected: frozenset[tuple[str, str]]
    found: frozenset[tuple[str, str]]

    @property
    def records(self) -> int:
        """Messages of a chat, rows of a CSV, lines of a text, transactions of a JSON record."""
        p = self.profile
        for key in ("message_count", "rows"):
            if isinstance(p.get(key), int):
                return int(p[key])
        if p["records"]["unit"] == "lines":
            return int(p["records"]["read"])
        return len(p["txids"])  # a JSON record: its transactions

    @property
    def period(self) -> tuple[str | None, str | None]:
        """First and last time the profile states."""
        p = self.profile
        if "time_range" in p:
            return p["time_range"]["first"], p["time_range"]["last"]
        return p.get("first_message_at"), p.get("last_message_at")

    def row(self) -> str:
        """This fixture's line of the accuracy table in docs/formats.md."""
        hit = len(self.expected & self.found)
        first, last = self.period
        period = f"{first} .. {last}" if first else "none"
        return (
            f"| `{self.name}` | {EXPECTED[self.name]['source']} | "
            f"`{self.profile.get('detection', {}).get('format')}` | "
            f"{self.records} | {period} | {hit}/{len(self.expected)} | "
            f"{len(self.found - self.expected)} |"
        )


def measure(name: str, tmp: Path) -> Measured:
    """Profile one fixture with 'auto' typing and compare with its expected identifiers."""
    path = fixture_path(name, tmp)
    kind = detect_evidence_type(path, path.name, "")
    profile = profile_of(path, kind)
    found = frozenset((i["kind"], i["value"]) for i in profile.get("identifiers", []))
    expected = frozenset((k, v) for k, v in EXPECTED[name]["identifiers"])
    return Measured(name, kind, profile, expected, found)
