"""Reading a CSV export the way its writer laid it out: encoding, delimiter, title lines, header.

Statements and explorer exports often begin with lines about the account ("Выписка по счёту
...", Coinbase's "Transactions / User: ..."), and some exports have no header row at all
(Tronscan transfers). The header is looked for in the first rows; the rows read while looking
are kept and handed back, so no row is ever consumed unseen: title lines before the header and
every data row reach the caller, each with its row number in the file.
"""

from __future__ import annotations

import collections
import csv
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from evidence.profiles.limits import Limits, ProfileFailure
from evidence.profiles.reading import (
    TextEncoding,
    decode_with,
    detect_encoding,
    looks_binary,
    read_head,
    text_stream,
)

__all__ = ["HEADER_SEARCH_ROWS", "CsvFile", "open_csv", "sniff_csv"]

HEADER_SEARCH_ROWS = 12  # Coinbase and Russian banks write a few lines before the header
_DELIMITERS = (";", ",", "\t", "|")


def sniff_csv(head: bytes) -> tuple[TextEncoding, str]:
    """(encoding, delimiter) of a CSV judged from its first bytes.

    The delimiter is the one that splits the most of the first lines into the same number of
    cells: a title line without delimiters or an amount with a decimal comma ("+400,00" in a
    ";" file) does not outvote the rows.
    """
    encoding = detect_encoding(head)
    lines = [line for line in decode_with(head, encoding).splitlines()[:40] if line.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the head may cut the last line short
    best: tuple[int, int, str] = (0, 0, ",")
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        width, agreeing = collections.Counter(nonzero).most_common(1)[0]
        if (agreeing, width) > best[:2]:
            best = (agreeing, width, delimiter)
    return encoding, best[2]


@dataclass
class CsvFile:
    """An open CSV: its encoding and delimiter, the header (if any) and where it was."""

    encoding: TextEncoding
    delimiter: str
    handle: IO[str]
    header: list[str]
    header_row: int  # 0: no header row, every row is data
    title_rows: list[tuple[int, list[str]]]  # rows before the header, with their numbers
    _pending: list[list[str]]
    _reader: Iterator[list[str]]

    def first_rows(self) -> list[list[str]]:
        """The data rows read while the header was looked for (at most HEADER_SEARCH_ROWS)."""
        return list(self._pending)

    def data_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number in the file, cells) of every row after the header, in order."""
        number = self.header_row
        for cells in self._pending:
            number += 1
            yield number, cells
        for cells in self._reader:
            number += 1
            yield number, cells

    def close(self) -> None:
        """Close the file."""
        self.handle.close()


def open_csv(
    path: pathlib.Path,
    limits: Limits,
    is_header: Callable[[list[str]], bool],
    *,
    plain_header: Callable[[list[str]], bool] | None = None,
) -> CsvFile:
    """Open path as a CSV and find its header: the first of the leading rows is_header
    accepts; else the first row if plain_header accepts it; else none (all rows are data)."""
    head = read_head(path, limits.sniff_bytes)
    if looks_binary(head):
        raise ProfileFailure("binary content, not a CSV export")
    encoding, delimiter = sniff_csv(head)
    try:
        handle = text_stream(path.open("rb"), encoding)
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    reader = csv.reader(handle, delimiter=delimiter)
    seen: list[list[str]] = []
    try:
        for row in reader:
            seen.append(row)
            if is_header(row) or len(seen) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error as exc:
        handle.close()
        raise ProfileFailure(f"malformed CSV at row {len(seen) + 1}: {exc}") from exc
    if seen and seen[0]:
        seen[0][0] = seen[0][0].removeprefix("\ufeff")
    for index, row in enumerate(seen):
        if is_header(row):
            titles = list(enumerate(seen[:index], start=1))
            return CsvFile(encoding, delimiter, handle, row, index + 1, titles,
                           seen[index + 1 :], reader)  # fmt: skip
    if seen and plain_header is not None and plain_header(seen[0]):
        return CsvFile(encoding, delimiter, handle, seen[0], 1, [], seen[1:], reader)
    return CsvFile(encoding, delimiter, handle, [], 0, [], seen, reader)
