"""The inputs VERIFY.txt's golden tests render from (a bundle built at dde65e8; see
tests/data/verify_txt/SOURCES.md), and one variant's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evidence.bundle.verifytext import verify_text

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "verify_txt"
INPUTS = json.loads((GOLDEN / "inputs.json").read_text())


def manifest(anchor: bool = True) -> dict[str, Any]:
    """The built bundle's manifest, with or without its trust anchor."""
    found: dict[str, Any] = json.loads((GOLDEN / "manifest.json").read_bytes())
    return found if anchor else {k: v for k, v in found.items() if k != "trust"}


def variant_text(lang: str, cover: bool, self_signed: bool, anchor: bool) -> str:
    """VERIFY.txt's main text of one variant, for the golden inputs."""
    return verify_text(
        INPUTS["name"],
        manifest(anchor),
        INPUTS["digest"],
        INPUTS["fingerprint"],
        cover=cover,
        self_signed=self_signed,
        lang=lang,
    )
