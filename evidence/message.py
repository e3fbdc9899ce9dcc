"""A program message that can be printed in another language: an English template (the message
catalogue's msgid, with named {placeholders}) and the values that fill it.

A `Message` is the English text itself (a `str`), so the terminal, `--json` and the English
documents print exactly what they always did; it also keeps its template and values, so a
document in another language prints the catalogue's translation of the template with the values
put in (`render`). Values that are identifiers, file names, hashes or names are plain strings or
numbers and print as they are; values that are words (an action, a kind, a status) or whole
phrases are Messages themselves and are translated in turn.

Values that are recorded times are `Moment`s: `--json` prints them as recorded (RFC 3339,
microseconds and all); the terminal (evidence.timefmt.local_text) and a document show them in
the reader's zone, to the second.

Values that are command lines (a hint such as `chmod go-rwx`) are `Command`s: the terminal
prints them, a document leaves them out (no command line in a PDF; its template is worded so
that the sentence reads whole without it).

Irregularities (evidence.entries.Irregularity) keep the same pair, template and values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


class Moment(str):
    """A recorded RFC 3339 time among a message's values: the English text (and --json) holds
    it as recorded; the terminal and documents show it in the reader's zone (render's `when`)."""

    __slots__ = ()


class Command(str):
    """A command line among a message's values (with the words that lead into it), printed on
    the terminal and left out of documents (render's `commands`)."""

    __slots__ = ()


class Message(str):
    """English text that remembers the template and values it was made from."""

    template: str
    values: Mapping[str, object]
    parts: tuple[str, ...] | None  # a joined list (Message.joined): each part rendered in turn

    def __new__(cls, template: str, /, **values: object) -> Message:
        text = template.format(**values) if values else template
        self = super().__new__(cls, text)
        self.template = template
        self.values = values
        self.parts = None
        return self

    @classmethod
    def joined(cls, separator: str, parts: Iterable[str]) -> Message:
        """Parts joined by separator (each part rendered on its own in another language)."""
        items = tuple(parts)
        self = super().__new__(cls, separator.join(items))
        self.template = separator
        self.values = {}
        self.parts = items
        return self

    @classmethod
    def word(cls, word: str) -> Message:
        """A word of the program's vocabulary (an action, a kind, a status), translated."""
        return cls(word)

    @staticmethod
    def moment(at: object) -> object:
        """A recorded time as a value (None and other non-strings are left as they are)."""
        return Moment(at) if isinstance(at, str) and not isinstance(at, Moment) else at

    def with_values(self, **values: object) -> Message:
        """The same message with some values replaced (those it names; others ignored)."""
        if self.parts is not None or not self.values:
            return self
        named = {k: v for k, v in values.items() if k in self.values}
        return Message(self.template, **{**self.values, **named}) if named else self

    def with_moments(self, when: Callable[[str], str]) -> Message:
        """The same message with its recorded times (Moments, nested ones too) shown by when,
        e.g. in a terminal's --tz; still a Message, translatable as before."""
        if self.parts is not None:
            return Message.joined(self.template, (_moments(p, when) for p in self.parts))
        if not self.values:
            return self
        return Message(self.template, **{k: _moments(v, when) for k, v in self.values.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        # Findings cross process boundaries (the audit's workers): keep template and values.
        return (_rebuild, (self.template, dict(self.values), self.parts))


def _moments(v: Any, when: Callable[[str], str]) -> Any:
    if isinstance(v, Message):
        return v.with_moments(when)
    return when(v) if isinstance(v, Moment) else v


def _rebuild(template: str, values: dict[str, object], parts: tuple[str, ...] | None) -> Message:
    return Message.joined(template, parts) if parts is not None else Message(template, **values)


def render(
    text: str,
    translate: Callable[[str], str],
    when: Callable[[str], str] | None = None,
    *,
    commands: bool = True,
) -> str:
    """text in another language: a Message's template through translate, its values put in
    (Messages among them rendered the same way, Moments through when if given, Commands left
    out unless commands); any other string is printed as it is."""
    if not isinstance(text, Message):
        return text
    if text.parts is not None:
        return text.template.join(render(p, translate, when, commands=commands) for p in text.parts)
    if not text.template:
        return ""  # gettext's "" is the catalogue's header, not an empty message
    wording = translate(text.template)
    if not text.values:
        return wording
    values = {k: _value(v, translate, when, commands) for k, v in text.values.items()}
    return wording.format(**values)


def _value(
    v: object, translate: Callable[[str], str], when: Callable[[str], str] | None, commands: bool
) -> object:
    if isinstance(v, Message):
        return render(v, translate, when, commands=commands)
    if when is not None and isinstance(v, Moment):
        return when(v)
    if not commands and isinstance(v, Command):
        return ""
    return v
