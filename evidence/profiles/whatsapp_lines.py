"""The line grammar of WhatsApp "Export chat" files and how their date order is decided.

Message headers, as the apps write them (U+200E, U+200F and a BOM may precede any of them; iOS 17
and Android 14 put U+202F, a narrow no-break space, before AM/PM):
  Android  "02/11/2026, 10:15 - Name: text"   "11/2/26, 10:15 AM - Name: text"
           "02.11.26, 10:15 - ..."   "2026-11-02 10:15 - ..."   "3/11/26, 4:05 p. m. - ..."
  iOS      "[02.11.26, 10:15:33] Name: text"   "[11/2/26, 10:15:33 AM] Name: text"

Nothing in the file names the date order: it follows the phone's locale. `DateOrder` gathers
every signal the file gives and decides, saying why:
  1. a field above 12 (13/11 can only be day-first, 11/13 only month-first): decisive;
  2. dates in attachment names (IMG-20261103-WA0001.jpg, 00000012-PHOTO-2026-11-03-...) that
     match the header's date read one way and not the other: decisive;
  3. chronological order: an export is written oldest first, so an order under which dates
     run backwards is wrong;
  4. the clock style of the layout: "AM/PM" with slashes is the US (month-first) layout,
     "a. m./p. m." the Spanish one (day-first), dots and 24-hour clocks are day-first locales;
  5. otherwise day-first, said to be an assumption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SPACE = r"[\s\u202f\u00a0]"
_DATE = r"(?P<date>\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4})\.?"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
_AMPM = rf"(?:{_SPACE}?(?P<ampm>[AaPp]\.?{_SPACE}?[Mm]\.?|ДП|ПП|дп|пп|vorm\.|nachm\.))?"
_MARKS = "[\ufeff\u200e\u200f\u202a\u202b\u202c]*"
ANDROID_HEADER = re.compile(
    rf"^{_MARKS}{_DATE},?{_SPACE}{_TIME}{_AMPM}{_SPACE}[-–]{_SPACE}(?P<rest>.*)$", re.S
)
IOS_HEADER = re.compile(rf"^{_MARKS}\[{_DATE},?{_SPACE}{_TIME}{_AMPM}\]{_SPACE}(?P<rest>.*)$", re.S)

# Attachments: Android "IMG-20261102-WA0003.jpg (file attached)", iOS "<attached: name>".
ANDROID_ATTACH = re.compile(
    r"^[\u200e\u200f]?(?P<name>[^\s<>:/\\][^<>:/\\]{0,250}?\.[A-Za-z0-9]{1,6})\s\("
    r"(?:file attached|файл добавлен|файл прикреплен|файл прикреплён|файл приложен|"
    r"файл далучаны|файл прыкладзены|файл додано|файл прикріплено|Datei angehängt|"
    r"archivo adjunto)\)"
)
IOS_ATTACH = re.compile(
    r"<(?:attached|прикреплено|вложение|далучана|прикріплено|Anhang|adjunto):\s?"
    r"(?P<name>[^<>]{1,255})>"
)
# Media left out of the export ("Without media"), in the languages of our cases.
MEDIA_OMITTED = re.compile(
    r"(?i)^[\u200e\u200f]?(?:<media omitted>|<без медиафайлов>|<медиафайлы? (?:не включены|"
    r"отсутству\w+|пропущены?)>|медиафайл отсутствует|<без медыяфайлаў>|<медыяфайл(?:ы)? "
    r"(?:адсутнічае|прапушчаны)>|медыяфайл адсутнічае|<без медіафайлів>|<медіафайл(?:и)? "
    r"(?:пропущено|відсутні\w*)>|медіафайл відсутній|<medien ausgeschlossen>|<medien "
    r"weggelassen>|<multimedia omitido>|<archivo omitido>|multimedia omitido"
    r"|(?:image|video|audio|sticker|gif|document|contact card) omitted"
    r"|(?:изображение|видео|аудио|стикер|gif|документ) (?:отсутствует|не включено|не включен|"
    r"пропущено)"
    r"|(?:зображення|відео|аудіо|стікер|документ) (?:пропущено|відсутнє)"
    r"|(?:bild|video|audio|sticker|gif|dokument) weggelassen"
    r"|(?:imagen|video|audio|sticker|gif|documento) omitid[oa])"
)
# The encryption notice each chat starts with; iOS writes it under the chat's (group's) name.
ENCRYPTION_NOTICE = re.compile(
    # the notice's own opening words, not a member mentioning encryption in a message
    r"(?i)^[\u200e\u200f]?(?:messages and calls are end-to-end|messages (?:to this group|you "
    r"send to this \w+(?: and calls)?) are now secured with end-to-end|сообщения (?:и звонки|в "
    r"этой группе теперь) защищены сквозным|повідомлення (?:та|і) дзвінки захищені наскрізним|"
    r"паведамленні (?:і|ды) званкі абаронены скразным|nachrichten und anrufe sind "
    r"ende-zu-ende|los mensajes y las llamadas están cifrados de extremo a extremo)"
)
# What WhatsApp writes about a group rather than by a member; matched only on lines written
# under a name already seen to carry a notice, or marked as notices by iOS's U+200E.
GROUP_EVENT = re.compile(
    r"(?i)created (?:the )?group|\badded\b|\bleft\b|\bremoved\b|changed (?:the (?:subject|group)|"
    r"this group's)|joined using|security code|создал[аи]? (?:группу|чат)|добавил|вышел|вышла|"
    r"удалил|изменил[аи]? (?:тему|описание|значок)|присоединил|код безопасности|"
    r"стварыў|стварыла|дадаў|дадала|выйшаў|выйшла|змяніў|змяніла|далучыў|"
    r"створив|створила|додав|додала|вийшов|вийшла|змінив|змінила|приєдна|код безпеки|"
    r"hat die gruppe|hat .{1,80} hinzugefügt|hat .{1,80} entfernt|ist beigetreten|"
    r"sicherheitsnummer|creó el grupo|añadió|salió|eliminó|cambió (?:el asunto|la descripción)|"
    r"se unió|código de seguridad"
)

_ATTACH_DATE = re.compile(
    r"(?:IMG|VID|AUD|PTT|STK|DOC)-(?P<y>20\d\d)(?P<m>\d\d)(?P<d>\d\d)-WA"
    r"|-(?:PHOTO|VIDEO|AUDIO|STICKER|GIF|DOCUMENT)-(?P<y2>20\d\d)-(?P<m2>\d\d)-(?P<d2>\d\d)-"
)


@dataclass(frozen=True)
class Header:
    """The date and time fields of one header line, as written."""

    parts: tuple[int, int, int]
    year_first: bool
    time: str
    ampm: str | None
    separator: str


@lru_cache(maxsize=4096)
def _date_fields(raw: str) -> tuple[tuple[int, int, int], bool, str] | None:
    # an export repeats the same few hundred dates: split each once
    pieces = re.split(r"[./\-]", raw)
    try:
        a, b, c = (int(p) for p in pieces)
    except ValueError:
        return None
    return (a, b, c), len(pieces[0]) == 4, next((ch for ch in raw if ch in "./-"), "/")


def parse_header(match: re.Match[str]) -> Header | None:
    """The fields of a matched header line; None if the date is not three numbers."""
    fields = _date_fields(match.group("date"))
    if fields is None:
        return None
    parts, year_first, separator = fields
    return Header(parts, year_first, match.group("time"), match.group("ampm"), separator)


def _ymd(header: Header, month_first: bool) -> tuple[int, int, int]:
    a, b, c = header.parts
    if header.year_first:
        return a, b, c
    year = c + 2000 if c < 100 else c
    return (year, a, b) if month_first else (year, b, a)


def header_fields(header: Header, month_first: bool) -> tuple[int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second) of a header under a date order."""
    year, month, day = _ymd(header, month_first)
    hms = [int(x) for x in re.split(r"[:.]", header.time)] + [0]
    hour, minute, second = hms[0], hms[1], hms[2]
    if header.ampm:
        pm = header.ampm.lower().startswith(("p", "пп", "nachm"))
        hour = hour % 12 + (12 if pm else 0)
    return year, month, day, hour, minute, second


@dataclass
class DateOrder:
    """Signals for the date order of one export, gathered line by line (constant memory)."""

    above_12_day: int = 0  # first field above 12: day-first
    above_12_month: int = 0  # second field above 12: month-first
    example_day: str | None = None
    example_month: str | None = None
    attach_day: int = 0
    attach_month: int = 0
    backwards_day: int = 0  # consecutive headers running backwards if read day-first
    backwards_month: int = 0
    year_first: int = 0
    clock_us: int = 0  # "AM/PM" with slashes
    clock_es: int = 0  # "a. m." / "p. m."
    dotted: int = 0
    headers: int = 0
    _prev_day: tuple[int, ...] | None = None
    _prev_month: tuple[int, ...] | None = None
    _prev_raw: tuple[str, str | None] | None = None
    _last_clock: str | None = None

    def add(self, header: Header, raw_date: str) -> None:
        """Count the signals of one header line."""
        self.headers += 1
        key = (raw_date, header.ampm)
        if key == self._prev_raw:
            self._repeat(header)
            return  # same date as the line before: nothing new to learn (but the counts)
        self._prev_raw = key
        if header.year_first:
            self.year_first += 1
            return
        a, b, _ = header.parts
        if a > 12 and b <= 12:
            self.above_12_day += 1
            self.example_day = self.example_day or raw_date
        elif b > 12 and a <= 12:
            self.above_12_month += 1
            self.example_month = self.example_month or raw_date
        self._last_clock = None
        if header.ampm:
            spaced = re.sub(r"[\s\u202f\u00a0]", "", header.ampm.lower())
            if spaced in ("a.m.", "p.m.") and " " in header.ampm.replace("\u202f", " ").replace(
                "\u00a0", " "
            ):
                self.clock_es += 1
                self._last_clock = "es"
            elif header.separator == "/":
                self.clock_us += 1
                self._last_clock = "us"
        if header.separator == ".":
            self.dotted += 1
        # dates only: whether days run backwards decides the order, not the time of day
        day_key = _ymd(header, False)
        month_key = _ymd(header, True)
        if self._prev_day is not None and day_key < self._prev_day:
            self.backwards_day += 1
        if self._prev_month is not None and month_key < self._prev_month:
            self.backwards_month += 1
        self._prev_day, self._prev_month = day_key, month_key

    def _repeat(self, header: Header) -> None:
        # the counts a repeated date adds, without parsing it again
        if header.year_first:
            self.year_first += 1
            return
        a, b, _ = header.parts
        if a > 12 and b <= 12:
            self.above_12_day += 1
        elif b > 12 and a <= 12:
            self.above_12_month += 1
        if header.separator == ".":
            self.dotted += 1
        if header.ampm:
            if self._last_clock == "es":
                self.clock_es += 1
            elif self._last_clock == "us":
                self.clock_us += 1

    def attachment(self, header: Header, name: str) -> None:
        """Compare the date in an attachment's name with the header it was sent under."""
        found = _ATTACH_DATE.search(name)
        if found is None or header.year_first:
            return
        y = int(found.group("y") or found.group("y2"))
        m = int(found.group("m") or found.group("m2"))
        d = int(found.group("d") or found.group("d2"))
        day_read = _ymd(header, False) == (y, m, d)
        month_read = _ymd(header, True) == (y, m, d)
        if day_read and not month_read:
            self.attach_day += 1
        elif month_read and not day_read:
            self.attach_month += 1

    def decide(self) -> tuple[str, str]:
        """(date order, the reason), the order one of year-first, day-first, month-first,
        "inconsistent (read as day-first)" or "ambiguous (read as day-first)"."""
        if self.year_first and self.year_first == self.headers:
            return "year-first", "the year is written first"
        if self.above_12_day and self.above_12_month:
            return "inconsistent (read as day-first)", (
                f"first field above 12 in {self.above_12_day} header(s) (e.g. "
                f"{self.example_day}), second field above 12 in {self.above_12_month} (e.g. "
                f"{self.example_month})"
            )
        if self.above_12_day:
            return "day-first", f"a first field above 12 (e.g. {self.example_day})"
        if self.above_12_month:
            return "month-first", f"a second field above 12 (e.g. {self.example_month})"
        # one order's signal without the other's: decisive (attachment names), then telling
        # (chronology: the other order would make dates run backwards)
        for day, month, why in (
            (self.attach_day, self.attach_month, "dates in {n} attachment name(s) match the "
             "headers read {order}"),
            (self.backwards_month, self.backwards_day, "read {other}, dates would run "
             "backwards {n} time(s)"),
        ):  # fmt: skip
            if bool(day) != bool(month):
                order, other = ("day-first", "month-first") if day else ("month-first", "day-first")
                return order, why.format(n=day or month, order=order, other=other)
        if self.clock_es:
            return "day-first", "no decisive date; 'a. m./p. m.' clock is a day-first locale"
        if self.clock_us and not self.dotted:
            return "month-first", (
                "no decisive date; 12-hour AM/PM clock with slashes is the US month-first layout"
            )
        if self.dotted:
            return "day-first", "no decisive date; dotted dates are written day-first"
        return "ambiguous (read as day-first)", "no field above 12 and no other signal"
