"""Rendering for people (aligned tables) and scripts (--json), and stderr progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import Any

import click

from evidence.display import json_safe
from evidence.display import printable as printable  # re-exported: one escaping for all commands
from evidence.errors import Finding
from evidence.timefmt import local_or_raw

from .view import display_width, wrap_columns


def emit_json(value: Any) -> None:
    """Pretty JSON on stdout (a lone surrogate is written as its JSON escape, not a crash)."""
    click.echo(json_safe(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)))


def emit_csv(text: str) -> None:
    """CSV on stdout; on a terminal, each line escaped like any other text for people."""
    if sys.stdout.isatty():
        text = "".join(printable(line) + "\n" for line in text.splitlines())
    click.echo(text, nl=False)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A plain aligned text table; with width, the last column wraps so that no line is wider
    (its continuation lines start under it), as far as the other columns leave room."""
    cells = [[("" if v is None else printable(str(v))) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], display_width(v))
    lead = sum(widths[:-1]) + 2 * (len(widths) - 1)
    room = None if width is None else max(width - lead - 2, MIN_LAST_COLUMN)
    if room is not None and widths[-1] > room:
        widths[-1] = max(room, len(headers[-1]))
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    for r in cells:
        first = "  ".join(_pad(v, w) for v, w in zip(r[:-1], widths, strict=False))
        last = wrap_columns(r[-1], widths[-1]) if room is not None and r[-1] else [r[-1]]
        out.append(f"{first}  {last[0]}".rstrip() if len(r) > 1 else last[0])
        out += [" " * (lead + 2 if len(r) > 1 else 0) + more for more in last[1:]]
    return "\n".join(out)


MIN_LAST_COLUMN = 16  # narrower than this, wrapping helps nobody: the line runs over instead


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def fields(pairs: Sequence[tuple[str, Any]], width: int | None = None) -> str:
    """'label: value' lines with aligned labels; with width, a long value wraps under itself
    (at spaces; a digest, which has none, is cut into lines)."""
    label = max(len(k) for k, _ in pairs)
    lines: list[str] = []
    for k, v in pairs:
        line = f"{k + ':':<{label + 1}} {'' if v is None else printable(str(v))}"
        if width is None or display_width(line) <= width:
            lines.append(line)
        else:
            lines += wrap_columns(
                line, max(width, label + 2 + MIN_LAST_COLUMN), "", " " * (label + 2)
            )
    return "\n".join(lines)


def local_findings(findings: Sequence[Finding], display: tzinfo | None) -> list[Finding]:
    """Findings as the error line lists them: their recorded times in the --tz zone."""
    return [
        replace(f, message=f.message.with_moments(lambda at: local_or_raw(at, display)))
        for f in findings
    ]


def note(message: str) -> None:
    """A diagnostic line on stderr."""
    click.echo(printable(message), err=True)


class ProgressBar:
    """A click progress bar on stderr, drawn only on a terminal and when not silenced."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None

    def start(self, total: int, label: str) -> None:
        """Open the bar."""
        if self.enabled and total > 0:
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self._bar.__enter__()

    def advance(self, done: int) -> None:
        """Move the bar."""
        if self._bar is not None:
            self._bar.update(done)

    def finish(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
