"""Fixtures for report tests: a real workspace with Cyrillic names, transfers and a checkpoint,
and helpers that read PDFs back with poppler-utils (pdftotext, pdffonts, pdfinfo, pdftoppm)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidence.cases import create_case
from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events, receive, transfer
from evidence.ingest import IngestOptions, ingest
from evidence.items import Item, list_items
from evidence.keys import Signer
from evidence.workspace import AuthoritySetup, Workspace

# The tests import these from here; one copy, in the checker make demo runs too.
from .readback import page_count as page_count
from .readback import pdftotext as pdftotext

PASSPHRASE = "correct horse battery"
CASE = "BY-2026-0042"
INVESTIGATOR = "А. Иванов"
EXPERT = "Б. Петрова"
LOCATION = "Минск, ул. Сурганова 2"
CHAT_NAME = "переписка_ВК.txt"
LONG_NAME = (
    "очень_длинное_имя_файла_без_пробелов_скриншот_переписки_в_телеграм_"
    "с_подозреваемым_2026-11-02_Łódź_Zürich.png"
)
MODERATE_ITEMS = 14


@dataclass
class CaseWorld:
    """A workspace holding one case with items, transfers and a checkpoint."""

    ws: Workspace
    investigator: Signer
    expert: Signer
    items: list[Item]
    root: Path


def _build(tmp: Path, *, checkpoint: bool = True) -> CaseWorld:
    ws = Workspace.init(tmp / "ws", AuthoritySetup("Test authority", PASSPHRASE))
    ivanov = ws.keys.unlock(
        ws.keys.create(INVESTIGATOR, "Следственный комитет", "BY", "investigator", PASSPHRASE),
        PASSPHRASE,
    )
    petrova = ws.keys.unlock(
        ws.keys.create(EXPERT, "ГКСЭ Республики Беларусь", "BY", "expert", PASSPHRASE),
        PASSPHRASE,
    )
    create_case(ws.ledger, CASE, "Мошенничество с криптовалютой", "BY", "ст. 209 УК", INVESTIGATOR)
    seized = tmp / "seized"
    seized.mkdir()
    (seized / CHAT_NAME).write_text("Андрей: скинь номер карты\n", encoding="utf-8")
    (seized / LONG_NAME).write_bytes(b"\x89PNG not really" * 10)
    for n in range(MODERATE_ITEMS - 2):
        (seized / f"wallet-{n:02d}.csv").write_text(f"tx,{n}\n", encoding="utf-8")
    options = IngestOptions(case=CASE, source="iPhone 12, изъят у подозреваемого, Минск")
    ingest(ws, ivanov, [seized], options)
    items = list_items(ws.ledger, CASE)
    transfer(
        ws.ledger,
        ivanov,
        items,
        petrova.record,
        location=LOCATION,
        purpose="экспертиза по постановлению № 12/34",
    )
    receive(ws.ledger, petrova, items, location=LOCATION)
    append_events(ws.ledger, petrova, items, "analysed", location=LOCATION, note="Zürich — ok")
    if checkpoint:
        create_checkpoint(ws.ledger, ivanov, ws.checkpoint_dir)
    return CaseWorld(ws, ivanov, petrova, items, tmp)


@pytest.fixture(scope="module")
def case_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseWorld]:
    """A shared, never modified workspace (building one costs an exiftool run)."""
    built = _build(tmp_path_factory.mktemp("report-case"))
    yield built
    built.ws.close()


@pytest.fixture
def fresh_ws(tmp_path: Path) -> Iterator[CaseWorld]:
    """A workspace of its own, for tests that tamper with it."""
    built = _build(tmp_path)
    yield built
    built.ws.close()


def misspell_last_location(world: CaseWorld) -> None:
    """Edit the last event's location in ledger.db behind the tool's back (triggers dropped)."""
    conn = sqlite3.connect(world.ws.ledger.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute(
        "UPDATE events SET body = replace(body, 'Сурганова', 'Сурганава') "
        "WHERE rowid = (SELECT MAX(rowid) FROM events)"
    )
    conn.commit()
    conn.close()


def pdffonts(path: Path) -> list[list[str]]:
    """pdffonts rows: name, type, encoding, emb, sub, uni, ... (header lines dropped)."""
    done = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    return [line.split() for line in done.stdout.splitlines()[2:]]


def unwrapped(text: str) -> str:
    """Text with the line breaks that wrapping introduced removed."""
    return "".join(text.split())


@dataclass
class CliResult:
    """Outcome of one `custody` run."""

    code: int
    stdout: bytes
    stderr: str


def run_cli(*args: str, workspace: Path) -> CliResult:
    """Run custody's real entry point (with its exit-code mapping) in-process."""
    from evidence.cli.main import main

    runner = CliRunner()
    env = {"CUSTODY_HOME": str(workspace), "CUSTODY_DEBUG": None, "CUSTODY_PASSPHRASE": PASSPHRASE}
    with runner.isolation(env=env) as (out, err, _):
        old_argv = sys.argv
        sys.argv = ["custody", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = old_argv
        return CliResult(code, out.getvalue(), err.getvalue().decode())
