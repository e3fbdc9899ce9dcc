"""Findings' and checks' detail lines come from the message catalogue: every call that makes a
finding or a check (`.fail(`, `.warn(`, `.ok(`, `.skip(`, `Finding(`, `Check(`, the audit's
`add(`) is given a `Message` (evidence/message.py), never an f-string or a joined string, and
every Message template in the library has its Russian in evidence/messages/ru.po.

The English text of a Message is what the program always printed (terminal, --json, English
documents); a Russian document prints the catalogue's wording with the values put in.
"""

from __future__ import annotations

import ast
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

from evidence.message import Command, Message, render
from evidence.messages import message_ids, translations
from evidence.report.locale import Locale

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "evidence"

# Call name -> position of the message argument.
MESSAGE_ARGUMENT = {"fail": 2, "warn": 2, "ok": 2, "skip": 1, "Finding": 2, "Check": 3, "add": 2}

# Text made elsewhere printed as it is in every language (the former `Message.verbatim`): no
# place does any more; the count per file may only stay empty.
VERBATIM: dict[str, int] = {}

# Modules whose errors become findings (readers of hostile input): every raise of a worded
# error there passes a Message (mypy holds the type), made here from a literal template.
WORDED_RAISES = {
    "Malformed",
    "TrustEvidenceRejected",
    "CharsetUndeclared",
    "SourceError",
    "ProofError",
    "WitnessRefused",
    "_Stopped",
    "_reject",
    "_bad",
    "_entry_bad",
    "_failed",
}
CONVERTED = {
    "evidence/checkpoint.py",
    "evidence/signed.py",
    "evidence/validation.py",
    "evidence/violations.py",
    "evidence/tlog/note.py",
    "evidence/tlog/signedhead.py",
    "evidence/tlog/proofnote.py",
    "evidence/tlog/ledgerlog.py",
    "evidence/tlog/proof.py",
    "evidence/trust/records.py",
    "evidence/trust/establish.py",
    "evidence/timestamp/client.py",
    "evidence/timestamp/cades.py",
    "evidence/bundle/safezip.py",
    "evidence/bundle/ziplayout.py",
    "evidence/bundle/packaging.py",
    "evidence/bundle/inclusion.py",
    "evidence/excerpt/source.py",
    "evidence/excerpt/proof.py",
    "evidence/witness/client.py",
}

# Templates whose Russian leaves out a value the English prints, and why: each is text made
# by another program (a parser's, decoder's or validator's own English diagnostic, kept for the
# engineer at the terminal) or a signed identifier the sentence already states in words.
DROPPED: dict[str, str] = {
    "is not JSON ({why})": "the JSON parser's diagnostic (a position)",
    "not JSON ({exc})": "the JSON parser's diagnostic (a position)",
    "{source}: not an RFC 3161 timestamp token ({why})": "asn1crypto's diagnostic",
    "{source}: not a CMS signature ({why})": "asn1crypto's diagnostic",
    "not a well-formed DER CMS SignedData ({error}: {exc})": "asn1crypto's exception and text",
    "the signer certificate in the signature is damaged ({exc})": "cryptography's diagnostic",
    "damaged ({why})": "zlib's diagnostic; the Russian says the data does not inflate",
    "the chat text inside the zip cannot be read ({reason})": "zipfile's or zlib's diagnostic",
    "proof file is not readable ({exc})": "Python's KeyError/TypeError text",
    "item row metadata or profile unreadable ({exc})": "the canonicaliser's exception text",
    "TSA certificate not trusted ({reason})": "pyHanko's trust-problem indication name",
    "unusable key ({detail})": "cryptography's diagnostic",
    "checkpoint #{seq} carries no RFC 3161 token ({policy})": "the signed policy identifier",
}
# Message(...) with a template that is not a literal here, and why that is sound.
NOT_LITERAL = {
    "evidence/message.py",  # rebuilding a Message after pickling
    "evidence/entries.py",  # Irregularity.text: its templates are literals in _marks (ru.po)
}


def _trees() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(LIBRARY.rglob("*.py")):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def _is_message_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Message"
    ) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "Message"
    )


def _tables(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level dicts whose values are all string literals (message tables)."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if not isinstance(value, ast.Dict):
            continue
        texts = [v.value for v in value.values if isinstance(v, ast.Constant)]
        if len(texts) == len(value.values) and all(isinstance(t, str) for t in texts):
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = [str(t) for t in texts]
    return found


def templates() -> dict[str, str]:
    """Every message template the library makes (msgid -> the file it is in)."""
    out: dict[str, str] = {}
    for name, tree in _trees():
        tables = _tables(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "Message" or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if first.value:
                    out.setdefault(first.value, name)
            elif (
                isinstance(first, ast.Subscript)
                and isinstance(first.value, ast.Name)
                and first.value.id in tables
            ):
                for text in tables[first.value.id]:
                    out.setdefault(text, name)
    return out


def test_every_message_is_a_literal_template() -> None:
    """Message(...) takes a literal template (or a module table of literal templates): never
    an f-string, a concatenation or a value made at run time."""
    wrong = []
    for name, tree in _trees():
        tables = _tables(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "Message":
                continue
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            table = (
                isinstance(first, ast.Subscript)
                and isinstance(first.value, ast.Name)
                and first.value.id in tables
            )
            if not (literal or table) and name not in NOT_LITERAL:
                wrong.append(f"{name}:{node.lineno}")
    assert wrong == []


def test_finding_and_check_sites_take_a_message() -> None:
    """At every call that makes a finding or a check, the message is a Message(...) or a name
    bound to one (mypy --strict holds the type: Finding.message and Check.message are Message),
    never an f-string, a string literal, a concatenation or str.format."""
    wrong = []
    for name, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else None
            )
            if called not in MESSAGE_ARGUMENT or len(node.args) <= MESSAGE_ARGUMENT[called]:
                continue
            if _made_from_strings(node.args[MESSAGE_ARGUMENT[called]]):
                wrong.append(f"{name}:{node.lineno}: {called}")
    assert wrong == []


def _made_from_strings(arg: ast.expr) -> bool:
    """An f-string, a literal, a concatenation or str.format/.join/.replace (either branch of
    a conditional): text made here rather than a Message."""
    options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
    for option in options:
        made_here = isinstance(option, (ast.JoinedStr, ast.BinOp)) or (
            isinstance(option, ast.Constant) and isinstance(option.value, str)
        )
        formatted = (
            isinstance(option, ast.Call)
            and isinstance(option.func, ast.Attribute)
            and option.func.attr in ("format", "join", "replace")
            and not _is_message_call(option)
        )
        if made_here or formatted:
            return True
    return False


def test_every_template_has_its_russian() -> None:
    have = message_ids("ru")
    missing = {text: name for text, name in templates().items() if text not in have}
    assert not missing, missing


def test_russian_templates_keep_their_placeholders() -> None:
    """A translation may leave a value out (a command the Russian does not print), never
    invent one: every placeholder of the Russian is one of the English template's."""
    catalogue = translations("ru")
    wrong = {}
    for text in templates():
        english = {f[1] for f in _fields(text)}
        russian = {f[1] for f in _fields(catalogue.gettext(text))}
        if not russian <= english:
            wrong[text] = sorted(russian - english)
    assert wrong == {}


def _fields(text: str) -> list[tuple[str, str]]:
    import string

    return [(lit, name) for lit, name, _, _ in string.Formatter().parse(text) if name]


def test_russian_keeps_every_value_the_english_prints() -> None:
    """A translation prints every value of the English (a schema detail, a reason worded by
    us), unless listed in DROPPED with the reason it is left out."""
    catalogue = translations("ru")
    wrong = {}
    for text in templates():
        english = {f[1] for f in _fields(text)} - {"command"}  # see the test below
        russian = {f[1] for f in _fields(catalogue.gettext(text))}
        if not english <= russian and text not in DROPPED:
            wrong[text] = sorted(english - russian)
    assert wrong == {}
    assert set(DROPPED) <= set(templates())  # no stale entry


def test_command_lines_stay_on_the_terminal() -> None:
    """No template holds a command line (an option, `custody ...`, chmod): a hint that is a
    command is a Command value named {command}, which the terminal prints and a document
    leaves out, so no translation prints it either."""
    catalogue = translations("ru")
    cli = re.compile(r"(?<![\w-])--[a-z]|`custody |chmod ")
    assert [t for t in templates() if cli.search(t)] == []
    with_command = [t for t in templates() if "command" in {f[1] for f in _fields(t)}]
    assert len(with_command) >= 9
    for text in with_command:
        assert "command" not in {f[1] for f in _fields(catalogue.gettext(text))}, text
    wrong = []
    for name, tree in _trees():
        for node in ast.walk(tree):
            if _is_message_call(node):
                assert isinstance(node, ast.Call)
                for kw in node.keywords:
                    value = kw.value
                    if kw.arg == "command" and not (
                        isinstance(value, ast.Name)
                        or (
                            isinstance(value, ast.Call)
                            and isinstance(value.func, ast.Name)
                            and value.func.id == "Command"
                        )
                    ):
                        wrong.append(f"{name}:{node.lineno}")
    assert wrong == []


def test_a_document_leaves_the_command_out() -> None:
    """The terminal (the Message itself) prints the hint; documents in either language do not."""
    made = Message(
        "{path} is open to group or others (mode {mode:04o}{command})",
        path="ws/ledger.db",
        mode=0o644,
        command=Command("; chmod go-rwx"),
    )
    assert made == "ws/ledger.db is open to group or others (mode 0644; chmod go-rwx)"
    assert Locale("en").say(made) == "ws/ledger.db is open to group or others (mode 0644)"
    assert Locale("ru").say(made) == (
        "ws/ledger.db: доступ открыт группе или посторонним пользователям (режим 0644)"
    )
    back = pickle.loads(pickle.dumps(made))
    assert isinstance(back.values["command"], Command)
    assert render(made, translations("ru").gettext) == render(back, translations("ru").gettext)


def test_worded_errors_are_raised_with_a_message() -> None:
    """In the readers of hostile input, a worded error is raised with a Message made there
    from a literal template (or a name bound to one), never an f-string or a joined string;
    and none of them raises a plain InputRejected, whose text is not worded."""
    wrong = [w for name, tree in _trees() if name in CONVERTED for w in _unworded(name, tree)]
    assert wrong == []
    assert {name for name, _ in _trees()} >= CONVERTED  # none renamed away


def test_the_raise_rule_sees_text_made_here() -> None:
    """The rule above refuses what it must (so it can fail)."""
    bad = ast.parse(
        "raise Malformed(f'{source}: not JSON')\n"
        "raise _reject(name, 'absolute path')\n"
        "raise InputRejected(Message('x'))\n"
        "raise TrustEvidenceRejected('{s}: x'.format(s=s))\n"
        "raise Malformed(Message('{source}: not JSON', source=s))\n"
        "raise _reject(name, problem)\n"
    )
    assert [w.split(": ")[1] for w in _unworded("m.py", bad)] == [
        "Malformed",
        "_reject",
        "InputRejected",
        "TrustEvidenceRejected",
    ]


def _unworded(name: str, tree: ast.Module) -> list[str]:
    wrong = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "InputRejected":
            wrong.append(f"{name}:{node.lineno}: InputRejected")
            continue
        if node.func.id not in WORDED_RAISES or not node.args:
            continue
        # The message: first for the error classes (a hint or subject may follow), last for
        # the helpers that put a name before it.
        first = node.func.id in ("ProofError", "Malformed", "CharsetUndeclared", "SourceError")
        first = first or node.func.id == "TrustEvidenceRejected"
        message = node.args[0] if first else node.args[-1]
        if _made_from_strings(message):
            wrong.append(f"{name}:{node.lineno}: {node.func.id}")
    return wrong


def test_verbatim_sites_only_shrink() -> None:
    """Text made elsewhere printed as it is in Russian documents: only where listed."""
    found: dict[str, int] = {}
    for name, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "Message"
                and node.func.attr == "verbatim"
            ):
                found[name] = found.get(name, 0) + 1
    found.pop("evidence/message.py", None)
    assert found == VERBATIM


def test_a_message_is_its_english_text() -> None:
    """English is what the program printed before (terminal, --json, goldens): the template
    filled with its values, conversions included; it survives a trip to a worker process."""
    word = Message.word("sealed")
    made = Message("{action} again ({n}) while under seal {seal!r}", action=word, n=2, seal="S-1")
    assert made == "sealed again (2) while under seal 'S-1'"
    back = pickle.loads(pickle.dumps(made))
    assert back == made and back.template == made.template and back.values == made.values
    joined = Message.joined("; ", [made, "as recorded"])
    assert joined == "sealed again (2) while under seal 'S-1'; as recorded"
    assert pickle.loads(pickle.dumps(joined)).parts == joined.parts


def test_render_translates_template_and_word_values_only() -> None:
    """Russian: the template and the words among the values from the catalogue; names,
    identifiers and numbers as they are; an empty message stays empty."""
    ru = translations("ru").gettext
    made = Message(
        "{action} without a seal number", action=Message.word("sealed")
    )  # an action is a word: translated
    text = render(made, ru)
    assert "sealed" not in text and text == ru("{action} without a seal number").format(
        action=ru("sealed")
    )
    assert render(Message("item {item} event {seq}", item="ITEM-7", seq=3), ru).count("ITEM-7")
    assert render(Message(""), ru) == ""
    assert render("plain/file.txt", ru) == "plain/file.txt"
