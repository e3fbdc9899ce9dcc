"""Every document wholly in one language: each word the tool writes comes from the catalogue,
and a Russian document holds no Latin word but names, identifiers, file names and hashes."""

from __future__ import annotations

import ast
import gettext
import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.excerpts import excerpt_steps
from evidence.bundle.verify import verify_bundle
from evidence.bundle.verifytext import log_steps, verify_text
from evidence.messages import Words, message_ids, translations
from evidence.report.cover import render_cover
from evidence.report.custody import render_custody_report
from evidence.report.locale import Locale
from evidence.report.produce import available_cover, custody_report
from evidence.report.verification import render_verification_report
from evidence.timestamp.cades import _steps as cades_steps

from .conftest import CASE, CaseWorld, page_count, pdftotext
from .language_support import data_words, latin_words
from .test_verification_report import REQUEST

ROOT = Path(__file__).resolve().parents[2]


def _literal_msgids() -> dict[str, str]:
    """Every string literal passed to Locale.t / Locale.n in the library -> its file."""
    found: dict[str, str] = {}
    for path in (ROOT / "evidence").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("t", "n")
                and node.args
            ):
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for arg in options:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, path.name)
    return found


def test_every_literal_message_has_its_russian() -> None:
    have = message_ids("ru")
    missing = {m: f for m, f in _literal_msgids().items() if m not in have}
    assert not missing, missing


class _Missing(gettext.NullTranslations):
    """A fallback that notes every msgid the Russian catalogue lacks."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def gettext(self, message: str) -> str:
        self.seen.add(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.seen.add(msgid1)
        return msgid1 if n == 1 else msgid2


@pytest.fixture
def missing() -> Iterator[_Missing]:
    recorder = _Missing()
    catalogue = translations("ru")
    assert isinstance(catalogue, gettext.GNUTranslations)
    previous = catalogue._fallback
    catalogue.add_fallback(recorder)
    yield recorder
    catalogue._fallback = previous


def _allowed(manifest: dict[str, object]) -> set[str]:
    # The recorded data (names, places, notes, organisations) is printed as recorded; checks
    # are named in words (verification.CHECK_NAMES), not by their identifiers.
    return data_words([manifest])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_documents_are_wholly_in_one_language(
    lang: str, fresh_ws: CaseWorld, missing: _Missing, tmp_path: Path
) -> None:
    """The cover, the verification report and the (audited) custody report, every page read
    back with pdftotext: no Latin word in Russian but names, identifiers, file names and
    hashes; no fingerprint cut short; every word from the catalogue."""
    out = fresh_ws.root / "request-0042.zip"
    build_bundle(
        fresh_ws.ws,
        fresh_ws.investigator,
        CASE,
        out,
        REQUEST,
        cover=available_cover(lang, "request-0042"),
        lang=lang,
    )
    with zipfile.ZipFile(out) as zf:
        cover = zf.read("request-0042/cover.pdf")
        manifest = json.loads(zf.read("request-0042/manifest.json"))
        verify_txt = zf.read("request-0042/VERIFY.txt").decode()
    allowed = _allowed(manifest)
    # --lang: that language's part of VERIFY.txt first.
    assert verify_txt.startswith("КАК ПРОВЕРИТЬ" if lang == "ru" else "HOW TO VERIFY")
    result = verify_bundle(out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    report = render_verification_report(
        result, digest, verified_by="Прокурор А. Смирнов", locale=Locale(lang)
    )
    audited = custody_report(fresh_ws.ws, CASE, locale=Locale(lang))
    assert audited.verdict.audited
    custody = render_custody_report(audited)
    for name, pdf in (("cover", cover), ("verification", report), ("custody", custody)):
        pages = page_count(pdf)
        for page in range(1, pages + 1):
            text = pdftotext(pdf, "-f", str(page), "-l", str(page))
            if lang == "ru":
                assert latin_words(text, allowed) == [], (name, page, latin_words(text, allowed))
                assert f"стр. {page} из {pages}" in text
            else:
                assert f"page {page} of {pages}" in text
            # A fingerprint is printed whole (two lines of 32) or not at all.
            assert not re.search(r"[0-9a-f]{8,}…", text), (name, page)
    assert missing.seen == set()


def test_english_cover_is_english() -> None:
    pdf = render_cover({"request": {"kind": "MLA"}}, "a" * 64, "b" * 64)
    text = pdftotext(pdf)
    assert "mutual legal assistance request" in text and "запрос" not in text


# VERIFY.txt's Russian half may name programs: commands (unzip, bash, the PowerShell cmdlet
# Get-FileHash, Windows' certutil), the C2SP formats of the log/ files, Python, and the title of
# the documentation's section on excerpts (docs/bundle.md, "Excerpts").
VERIFY_TXT_NAMES = {
    "unzip",
    "bash",
    "Get-FileHash",
    "certutil",
    "tlog-checkpoint",
    "tlog-proof",
    "Python",
    "Excerpts",
    "ECDSA",
    "CAdES-T",
    "cms",  # `openssl cms`, the command named in a sentence (formerly let through as a check name)
}
# What openssl, sha256sum and certutil print, quoted as the recipient will see it.
PROGRAM_OUTPUT = (
    "CMS Verification successful",
    "one signer",
    "sha256 Fingerprint",
    "OK",
    "Cert Hash(sha256)",
    "Verification: OK",
    "Time stamp",
)
# The fields of manifest.json VERIFY.txt names, quoted: identifiers, as printed in the file.
MANIFEST_FIELDS = ("custody", "hash", "event", "signature", "certificates", "signer", "prev")
# The commands of VERIFY.txt: one line each, pasted as printed.
COMMAND_LINES = ("$ ", "PS> ", "custody verify ", "tail -c ", "openssl ts ", "python3 ")


def _russian_words(text: str) -> str:
    """text with its commands, options and quoted program output marked as latin_words skips."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(COMMAND_LINES)]
    text = "\n".join(lines).replace("custody verify", "custody")
    # The title's pointer is for the English reader, in English by design: where their half is.
    text = text.replace('(English text: section "HOW TO VERIFY")', "")
    text = re.sub(r"(?<!\S)--?[A-Za-z][\w-]*", " ", text)  # options: -CAfile, --anchor
    text = re.sub(r"\b[0-9a-f]{64}\b", " ", text)  # SHA-256 values (made-up ones: no digit)
    for output in ("all files OK", *PROGRAM_OUTPUT, *MANIFEST_FIELDS):
        text = text.replace(f'"{output}"', f"«{output}»")
    return text


@pytest.mark.parametrize("self_signed", [True, False])
def test_verify_txt_russian_half_is_russian(self_signed: bool, missing: _Missing) -> None:
    """The Russian half of VERIFY.txt (and of its log/, time-stamp and excerpt sections):
    every sentence from ru.po, no Latin word but commands, file names, hashes, fingerprints
    and names."""
    golden = ROOT / "tests" / "data" / "verify_txt"
    manifest = json.loads((golden / "manifest.json").read_bytes())
    inputs = json.loads((golden / "inputs.json").read_text())
    text = verify_text(
        inputs["name"],
        manifest,
        inputs["digest"],
        inputs["fingerprint"],
        cover=True,
        self_signed=self_signed,
        lang="ru",
    )
    russian = text.split("\n\n\nHOW TO VERIFY")[0]
    log = log_steps(5).split("ЖУРНАЛ:")[1]
    excerpts = json.loads((golden / "excerpts-manifest.json").read_text())
    excerpt = excerpt_steps(excerpts).split("PROOF-FILE\n")[1]
    # The time-stamp section's words (its commands are tested with a real token in
    # tests/bundle/test_bundle_timestamp.py).
    stamp = cades_steps(Words("ru"), "    openssl ts -verify -token_in -in token.tst\n")
    assert russian.startswith("КАК ПРОВЕРИТЬ")
    assert ("partial_chain" in russian) is not self_signed
    allowed = _allowed(manifest) | VERIFY_TXT_NAMES
    for part in (russian, log, excerpt, stamp):
        assert latin_words(_russian_words(part), allowed) == []
    assert missing.seen == set()


def test_the_verify_txt_checker_sees_english() -> None:
    """The check above fails on an English sentence left in the Russian half."""
    assert latin_words(_russian_words("Шаг 2. Who signed it"), set()) == ["Who", "signed", "it"]
