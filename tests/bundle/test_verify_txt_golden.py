"""VERIFY.txt keeps its bytes: regenerated from the inputs of a bundle built at dde65e8, it is
the text of every variant as last changed on purpose (tests/data/verify_txt/SOURCES.md says
when and why; the bundle as built then signed the text of that day)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidence.bundle.excerpts import excerpt_steps
from evidence.bundle.verifytext import log_steps, verify_text
from evidence.timestamp.cades import verify_steps

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "verify_txt"
INPUTS = json.loads((GOLDEN / "inputs.json").read_text())


def _manifest(anchor: bool = True) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((GOLDEN / "manifest.json").read_bytes())
    return manifest if anchor else {k: v for k, v in manifest.items() if k != "trust"}


def test_the_built_bundles_verify_txt_is_unchanged() -> None:
    manifest = _manifest()
    text = (
        verify_text(INPUTS["name"], manifest, INPUTS["digest"], INPUTS["fingerprint"], cover=True)
        + log_steps(INPUTS["log_files"])
        + verify_steps((GOLDEN / "manifest.json.p7s").read_bytes())
        + excerpt_steps(manifest)
    )
    assert text.encode() == (GOLDEN / "VERIFY.txt").read_bytes()


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("cover", [True, False])
@pytest.mark.parametrize("self_signed", [True, False])
@pytest.mark.parametrize("anchor", [True, False])
def test_every_variant_is_unchanged(
    lang: str, cover: bool, self_signed: bool, anchor: bool
) -> None:
    text = verify_text(
        INPUTS["name"],
        _manifest(anchor),
        INPUTS["digest"],
        INPUTS["fingerprint"],
        cover=cover,
        self_signed=self_signed,
        lang=lang,
    )
    name = (
        f"{lang}-{'cover' if cover else 'nocover'}-{'self' if self_signed else 'ca'}"
        f"-{'anchor' if anchor else 'noanchor'}.txt"
    )
    assert text == (GOLDEN / name).read_text(encoding="utf-8")


def test_the_log_section_is_unchanged() -> None:
    assert log_steps(5) == (GOLDEN / "log-steps-5.txt").read_text(encoding="utf-8")
    assert log_steps(0) == ""


def test_the_excerpt_section_is_unchanged() -> None:
    manifest = json.loads((GOLDEN / "excerpts-manifest.json").read_text())
    expected = (GOLDEN / "excerpt-steps.txt").read_text(encoding="utf-8")
    assert excerpt_steps(manifest) == expected
    assert excerpt_steps({}) == ""
