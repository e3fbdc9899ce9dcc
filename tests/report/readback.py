"""The documents read back as a reader would, every page (pdftotext): Latin words left in a
Russian document, words cut at a line end without a hyphen, fingerprints cut short. A file
name, digest or identifier wider than its cell is broken with a continuation mark at the line
end (layout.CONTINUED); the checker joins it there, as a reader does, and reads the whole value.

One checker for the tests (test_demo_documents.py) and for `make demo`, which runs it on the
demo's own six documents so that a user sees the check pass:

    python -m tests.report.readback --lang ru --data manifest.json --data keys.json A.pdf B.pdf

--data names JSON files of recorded data (a manifest, `custody key list --json`): their words
are printed as recorded, so they may be Latin in a Russian document. Exit status 0 when no page
has a problem, 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from evidence.messages import message_ids
from evidence.report.layout import CONTINUED

from .language_support import data_words, latin_words


def pdftotext(pdf: Path | bytes, *args: str) -> str:
    """Text of a PDF as poppler reads it (any page range via -f/-l in args)."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    done = subprocess.run(
        ["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def page_count(pdf: bytes) -> int:
    """Number of pages, from pdfinfo."""
    done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    for line in done.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def known_words(texts: Iterable[str]) -> set[str]:
    """Every whole word the documents and the catalogue hold: a line end that cuts one of
    these without a hyphen is a broken word."""
    words: set[str] = set()
    for text in [*texts, *message_ids("ru")]:
        words.update(re.findall(r"[A-Za-zА-Яа-яЁё]{4,}", text))
    return words


def broken_words(text: str, known: set[str]) -> list[str]:
    """Words cut at a line end without a hyphen: "head|tail" for each."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = []
    for line, after in itertools.pairwise(lines):
        if re.search(r"[0-9._/]", line.split()[-1] + after.split()[0]):
            continue  # digests, file names, identifiers: printed in fixed lines, or cut at edge
        head = re.search(r"[A-Za-zА-Яа-яЁё]+$", line)
        tail = re.match(r"[a-zа-яё]+", after)
        # Cut: the two pieces make a word the documents hold, the head alone is none.
        if head and tail and head.group(0) + tail.group(0) in known and head.group(0) not in known:
            found.append(f"{head.group(0)}|{tail.group(0)}")
    return found


def joined(text: str) -> str:
    """text with each file name, digest or identifier broken at CONTINUED (the mark a report
    prints where such a value goes on on the next line) made whole again, as a reader would."""
    return re.sub(re.escape(CONTINUED) + r"[ \t]*\n[ \t]*(?=\S)", "", text)


def cut_fingerprints(text: str) -> list[str]:
    """Fingerprints or digests printed short ("3f2a9c81…", "3f2a9c81d0e4b7a6...")."""
    return re.findall(r"[0-9a-f]{8,}…|[0-9a-f]{16}\.\.\.", text)


def stored_times(text: str) -> list[str]:
    """Times printed as the ledger stores them ("2026-12-03T19:04:29.884313Z"): a document
    shows every time in the reader's zone, to the second, with UTC beside. A time without a
    zone is evidence content (a photo's EXIF date), printed as recorded."""
    return re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d[0-9:.]*(?:Z|[+-]\d\d:\d\d)", text)


def problems(documents: Mapping[str, bytes], lang: str, allowed: set[str]) -> list[str]:
    """Every problem on every page of documents (name -> PDF bytes), one line each; allowed:
    the Latin words of the recorded data, which a Russian document prints as recorded."""
    # A word is known if a document (or the catalogue) holds it whole somewhere.
    known = known_words(joined(pdftotext(pdf, "-raw")) for pdf in documents.values())
    found = []
    for name, pdf in documents.items():
        pages = page_count(pdf)
        for page in range(1, pages + 1):
            text = joined(pdftotext(pdf, "-raw", "-f", str(page), "-l", str(page)))
            where = f"{name}, page {page} of {pages}"
            if CONTINUED in text:
                found.append(f"{where}: a value marked as going on does not go on")
            if lang == "ru" and (latin := latin_words(text, allowed)):
                found.append(f"{where}: Latin words in Russian: {' '.join(latin)}")
            if broken := broken_words(text, known):
                found.append(f"{where}: words cut without a hyphen: {' '.join(broken)}")
            if cut := cut_fingerprints(text):
                found.append(f"{where}: fingerprints cut short: {' '.join(cut)}")
            if raw := stored_times(text):
                found.append(
                    f"{where}: times as stored, not in the reader's clock: {' '.join(raw)}"
                )
    return found


def main(argv: list[str] | None = None) -> int:
    """Check the PDFs named on the command line; print each problem, or one line that all
    pages passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.report.readback", description=__doc__)
    parser.add_argument("--lang", choices=("en", "ru"), required=True)
    parser.add_argument("--data", type=Path, action="append", default=[], metavar="JSON")
    parser.add_argument("pdfs", type=Path, nargs="+", metavar="PDF")
    args = parser.parse_args(argv)
    recorded = [json.loads(path.read_text(encoding="utf-8")) for path in args.data]
    documents = {str(path): path.read_bytes() for path in args.pdfs}
    found = problems(documents, args.lang, data_words(recorded))
    for line in found:
        print(line)
    if found:
        return 1
    pages = sum(page_count(pdf) for pdf in documents.values())
    latin = "no Latin word but names, identifiers, file names and hashes; "
    checks = latin if args.lang == "ru" else ""
    print(
        f"{len(documents)} documents, {pages} pages read back ({args.lang}): {checks}"
        "no word cut without a hyphen; no fingerprint cut short"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
