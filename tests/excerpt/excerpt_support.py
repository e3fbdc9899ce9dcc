"""A chat item with recorded excerpts, and ways to tamper with an excerpt's files."""

from __future__ import annotations

import json
from pathlib import Path

from evidence.canonical import canonical_bytes
from evidence.excerpt.disclose import excerpt_files, open_excerpt, record_excerpt
from evidence.items import list_items
from tests.helpers import CASE, World


def chat_text(messages: int, name: str = "chat") -> str:
    """A WhatsApp (Android) export: every third message has a continuation line."""
    lines = []
    for i in range(messages):
        who = ("Андрей" if i % 2 else "Олег") + ("" if name == "chat" else f" {name}")
        lines.append(f"02.11.2026, 14:{i % 60:02d} - {who}: сообщение {i + 1}")
        if i % 3 == 0:
            lines.append(f"продолжение {i + 1} bc1qar0s")
    return "\n".join(lines) + "\n"


def ingest_chat(world: World, tmp_path: Path, messages: int = 40, name: str = "chat") -> str:
    """Ingest one chat export; its item id."""
    folder = tmp_path / f"seized-{name}"
    folder.mkdir()
    path = folder / f"WhatsApp Chat with {name}.txt"
    path.write_text(chat_text(messages, name), encoding="utf-8")
    before = {i.item_id for i in list_items(world.ws.ledger, CASE)}
    world.ingest(folder)
    return next(i.item_id for i in list_items(world.ws.ledger, CASE) if i.item_id not in before)


def recorded(world: World, item_id: str, ranges: str, out: Path) -> tuple[Path, Path]:
    """Record an excerpt of ranges as the investigator; write its files into out."""
    chosen = open_excerpt(world.ws, item_id, ranges=ranges)
    event = record_excerpt(world.ws, world.investigator, chosen, "messages about the transfer")
    out.mkdir(parents=True, exist_ok=True)
    files = excerpt_files(chosen, event, world.investigator.record.certificate_pem)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out / f"{item_id}.records.txt", out / f"{item_id}.proof.json"


def edit_proof(path: Path, change: dict[str, object]) -> None:
    """Rewrite a proof file with some top-level fields replaced (canonical again)."""
    proof = json.loads(path.read_bytes())
    proof.update(change)
    path.write_bytes(canonical_bytes(proof))


def cli_args(world: World) -> list[str]:
    """The global options that open the world's workspace from the command line (a PostgreSQL
    ledger and its shared vault named too)."""
    args = ["--workspace", str(world.ws.root)]
    if hasattr(world.ws.ledger, "conninfo"):
        args += ["--ledger", world.ws.ledger.conninfo, "--vault", str(world.ws.vault.root)]
    return args
