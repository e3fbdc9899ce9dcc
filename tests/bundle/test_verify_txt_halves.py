"""VERIFY.txt's Russian half is a translation of its English half: the same steps, in the same
order, with the same commands; and every heading is underlined to its own length."""

from __future__ import annotations

import json
import re
from itertools import pairwise, product

import pytest

from evidence.bundle.excerpts import excerpt_steps
from evidence.bundle.verifytext import log_steps, verify_text
from tests.bundle.verify_txt_inputs import GOLDEN, INPUTS, manifest, variant_text

COMMAND = re.compile(r"^ {4,}(?:\$ |PS> |custody verify |python3 |tail -c |openssl )")
STEP = re.compile(r"^(?:Step|Шаг) (\d)\.")


def steps(half: str) -> list[str]:
    """The half's steps and commands in order: "step N" for each step heading, then each
    command as printed (a placeholder the reader fills in, in capitals, as X)."""
    found = []
    for line in half.splitlines():
        if step := STEP.match(line):
            found.append(f"step {step[1]}")
        elif COMMAND.match(line):
            found.append(
                re.sub(
                    r'(--fingerprint|--anchor|--witness-key) ("?)[^"\s]+(?: [^"\s-]+)*\2',
                    r"\1 X",
                    line.strip(),
                )
            )
    return found


def halves(text: str, first: str, second: str) -> tuple[str, str]:
    """text split where its second half (whose title begins with second) begins."""
    at = text.index("\n" + second)
    assert text.startswith(first)
    return text[:at], text[at:]


VARIANTS = list(product(["en", "ru"], [True, False], [True, False], [True, False]))


@pytest.mark.parametrize(("lang", "cover", "self_signed", "anchor"), VARIANTS)
def test_both_halves_give_the_same_steps(
    lang: str, cover: bool, self_signed: bool, anchor: bool
) -> None:
    text = variant_text(lang, cover, self_signed, anchor)
    en_title, ru_title = "HOW TO VERIFY", "КАК ПРОВЕРИТЬ"
    if lang == "ru":
        russian, english = halves(text, ru_title, en_title)
    else:
        english, russian = halves(text, en_title, ru_title)
    expected = steps(english)
    assert [s for s in expected if s.startswith("step")] == [f"step {n}" for n in range(5)]
    assert sum(1 for s in expected if not s.startswith("step")) == 16
    assert steps(russian) == expected
    assert ("-partial_chain" in russian) is ("-partial_chain" in english) is not self_signed
    assert ("cover.pdf" in russian) is ("cover.pdf" in english) is cover
    fingerprint_lines = [line for line in english.splitlines() if "5462f1ab" in line.lower()]
    assert fingerprint_lines and all(line in russian for line in fingerprint_lines)
    assert russian.count("31e7092c") == english.count("31e7092c") == (1 if anchor else 0)


def test_log_and_excerpt_sections_give_the_same_commands() -> None:
    english, russian = halves(log_steps(5).lstrip("\n"), "LOG:", "ЖУРНАЛ:")
    assert steps(russian) == steps(english) == ["custody verify BUNDLE --witness-key X"]
    excerpts = excerpt_steps(json.loads((GOLDEN / "excerpts-manifest.json").read_text()))
    english, russian = excerpts.split("\n\n")[1], excerpts.split("\n\n")[2]
    assert english.count("check_excerpt.py") == russian.count("check_excerpt.py") == 1
    for path in ("data/excerpts/0001/records.txt", "data/excerpts/0002/chat.json"):
        assert path in english and path in russian


def test_a_missing_or_moved_command_is_seen() -> None:
    """The comparison fails on a Russian half that drops or reorders a command."""
    text = verify_text(
        INPUTS["name"], manifest(), INPUTS["digest"], INPUTS["fingerprint"], cover=True
    )
    english, russian = halves(text, "HOW TO VERIFY", "КАК ПРОВЕРИТЬ")
    lines = russian.splitlines()
    command = next(i for i, line in enumerate(lines) if line.startswith("    $ cmp "))
    dropped = "\n".join(lines[:command] + lines[command + 1 :])
    assert steps(dropped) != steps(english)
    moved = "\n".join(lines[:command] + lines[command + 2 :] + [lines[command]])
    assert steps(moved) != steps(english)


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.txt")))
def test_every_heading_is_underlined_to_its_length(name: str) -> None:
    lines = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
    for above, line in pairwise(lines):
        if line and set(line) in ({"="}, {"-"}):
            title = above.split("  (")[0]  # the title's pointer to the other half is no part
            assert len(line) == len(title), (name, above)
