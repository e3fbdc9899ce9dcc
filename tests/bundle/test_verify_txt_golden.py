"""VERIFY.txt keeps its bytes: regenerated from the inputs of a bundle built at dde65e8, it is
the text of every variant as last changed on purpose (tests/data/verify_txt/SOURCES.md says
when and why; the bundle as built then signed the text of that day)."""

from __future__ import annotations

import json

import pytest

from evidence.bundle.excerpts import excerpt_steps
from evidence.bundle.verifytext import log_steps, verify_text
from evidence.timestamp.cades import verify_steps
from tests.bundle.verify_txt_inputs import GOLDEN, INPUTS, manifest, variant_text


def test_the_built_bundles_verify_txt_is_unchanged() -> None:
    built = manifest()
    text = (
        verify_text(INPUTS["name"], built, INPUTS["digest"], INPUTS["fingerprint"], cover=True)
        + log_steps(INPUTS["log_files"])
        + verify_steps((GOLDEN / "manifest.json.p7s").read_bytes())
        + excerpt_steps(built)
    )
    assert text.encode() == (GOLDEN / "VERIFY.txt").read_bytes()


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("cover", [True, False])
@pytest.mark.parametrize("self_signed", [True, False])
@pytest.mark.parametrize("anchor", [True, False])
def test_every_variant_is_unchanged(
    lang: str, cover: bool, self_signed: bool, anchor: bool
) -> None:
    text = variant_text(lang, cover, self_signed, anchor)
    name = (
        f"{lang}-{'cover' if cover else 'nocover'}-{'self' if self_signed else 'ca'}"
        f"-{'anchor' if anchor else 'noanchor'}.txt"
    )
    assert text == (GOLDEN / name).read_text(encoding="utf-8")


def test_the_log_section_is_unchanged() -> None:
    assert log_steps(5) == (GOLDEN / "log-steps-5.txt").read_text(encoding="utf-8")
    assert log_steps(0) == ""


def test_the_excerpt_section_is_unchanged() -> None:
    excerpts = json.loads((GOLDEN / "excerpts-manifest.json").read_text())
    expected = (GOLDEN / "excerpt-steps.txt").read_text(encoding="utf-8")
    assert excerpt_steps(excerpts) == expected
    assert excerpt_steps({}) == ""
