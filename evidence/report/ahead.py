"""The custody report's timelines read and laid out while the audit's workers verify events.

A PDF report is an audit (signatures verified in worker processes, one per core; this process
mostly waits for them), then reading every item's events and making every timeline table
(this process alone, one core idle). Here the second part runs in a thread of this process
during the first, on its own connection to the ledger, so only the verdict's pages and
reportlab's layout are left once the audit ends.

The thread reads the timelines as if every signature were valid; collect_custody_report then
makes again those of the items the audit found a badly signed event in, as it would have made
them after the audit (and their tables too), so the report is the same.

It starts once the audit's worker processes exist (the first slice of events verified):
those are forked, and a process forked while a thread of it is inside SQLite or an import
could inherit a lock nobody will release.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from ..ledger.backends import open_source
from ..progress import Reporter
from ..trust.keys import TrustedKeyStore
from ..workspace import Workspace
from .collect import Contents, collect_contents
from .locale import Locale

if TYPE_CHECKING:
    from reportlab.platypus import Flowable


class Ahead:
    """collect_contents and the timelines' flowables of a case, made in a thread."""

    def __init__(
        self, ws: Workspace, case_number: str, item_ids: list[str] | None, locale: Locale
    ) -> None:
        self._args = (ws, case_number, item_ids, locale)
        self._thread: threading.Thread | None = None
        self._contents: Contents | None = None
        self._pieces: list[list[Flowable]] = []
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="report-ahead", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        ws, case_number, item_ids, locale = self._args
        # Its own connection: a SQLite connection belongs to the thread that opened it, and
        # the audit holds the workspace's in a read snapshot meanwhile.
        ledger = open_source(ws.ledger.source())
        try:
            # reportlab and its fonts load here too, not before the audit.
            from .custody import timeline_flowables

            own = replace(ws, ledger=ledger, keys=TrustedKeyStore(ledger, ws.keys.directory))
            contents = collect_contents(own, case_number, item_ids, frozenset())
            self._pieces = timeline_flowables(contents.items, contents.signers, locale)
            self._contents = contents
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc
        finally:
            ledger.close()

    def result(self) -> tuple[Contents, list[list[Flowable]]]:
        """The contents and each item's flowables, once the thread is done (started now if
        it was not); the thread's error, if it had one, is raised here."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._contents is not None
        return self._contents, self._pieces


class StartOnProgress:
    """A reporter that hands everything on and starts `ahead` at the first progress made."""

    def __init__(self, inner: Reporter, ahead: Ahead) -> None:
        self.inner = inner
        self.ahead = ahead

    def start(self, total: int, label: str) -> None:
        """Hand on."""
        self.inner.start(total, label)

    def advance(self, done: int) -> None:
        """Hand on; the first slice of events is verified, so the workers exist."""
        self.ahead.start()
        self.inner.advance(done)

    def finish(self) -> None:
        """Hand on."""
        self.inner.finish()
