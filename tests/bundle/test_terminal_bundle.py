"""OSC, CSI, C1 and bidi payloads in a file name, a chat and a signer's certificate never reach
the terminal raw: not through `item list`, `item show`, `log`, `bundle` or `verify` (text or
JSON), and `--json` output still carries the exact values."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from evidence.bundle.build import build_bundle
from evidence.items import list_items
from tests.bundle.bundle_support import REQUEST, invoke
from tests.helpers import CASE, PASSPHRASE, World
from tests.test_terminal import UNSAFE

NAME = "photo\u202egpj.exe\x1b]0;owned\x07\x9b2J.jpg"
SIGNER = "Н. Петрова\u2067\x1b[31m\x85"


def _safe(text: str) -> None:
    assert not set(text.replace("\n", "")) & UNSAFE, repr(text)


def test_hostile_names_are_escaped_everywhere(world: World, tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    (seized / NAME).write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (seized / "chat.txt").write_text(f"01.11.2026, 10:00 - {SIGNER}: see {NAME}\n")
    world.ingest(seized)
    record = world.ws.keys.create(SIGNER, "Org\x1b]8;;http://x\x07", "BY", "prosecutor", PASSPHRASE)
    signer = world.ws.keys.unlock(record, PASSPHRASE)
    out = tmp_path / "request-0042.zip"
    build_bundle(world.ws, signer, CASE, out, REQUEST)
    ws = ["-w", str(world.ws.root)]
    item = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name == NAME)
    for args in (
        [*ws, "item", "list", "--case", CASE],
        [*ws, "item", "show", item.item_id],
        [*ws, "log", "--case", CASE],
        ["verify", str(out), "--fingerprint", record.fingerprint],
        ["verify", str(out), "--fingerprint", record.fingerprint, "--json"],
    ):
        code, result = invoke(args)
        assert code == 0, (args, result.output)
        _safe(result.stdout)
        _safe(result.stderr)
    code, result = invoke(["verify", str(out), "--fingerprint", record.fingerprint, "--json"])
    data = json.loads(result.stdout)
    assert NAME in {i["file"] for i in data["items"]}  # the exact value, escaped only in transit
    # VERIFY.txt, read with cat or an editor, carries the signer's name escaped too.
    with zipfile.ZipFile(out) as zf:
        _safe(zf.read("request-0042/VERIFY.txt").decode())
