"""Constants and the World record shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evidence.ingest import IngestOptions, IngestReport, ingest
from evidence.keys import Signer
from evidence.workspace import Workspace

DATA = Path(__file__).parent / "data"
PASSPHRASE = "correct horse battery"
CASE = "BY-2026-0042"


@dataclass
class World:
    """A workspace with a case and three actors, ready to ingest."""

    ws: Workspace
    investigator: Signer
    custodian: Signer
    expert: Signer

    def ingest(self, *paths: Path, options: IngestOptions | None = None) -> IngestReport:
        """Ingest paths into the case as the investigator."""
        opts = options or IngestOptions(case=CASE, source="Samsung A51, IMEI 356938035643809")
        return ingest(self.ws, self.investigator, list(paths), opts)
