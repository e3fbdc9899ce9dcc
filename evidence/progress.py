"""How long-running library calls report progress without printing anything themselves."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    """Receives progress from the library; the CLI draws it, tests may count it."""

    def start(self, total: int, label: str) -> None:
        """Work of `total` units (bytes, events...) begins."""

    def advance(self, done: int) -> None:
        """`done` more units are finished."""

    def finish(self) -> None:
        """The work is over (also called on failure)."""


class Silent:
    """A reporter that ignores everything."""

    def start(self, total: int, label: str) -> None:
        """Ignore."""

    def advance(self, done: int) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""
