"""Ctrl-C for the whole command line: the one line and exit code an interrupt ends with, the
handler the launcher installs before anything else loads, and the switch a command makes to a
KeyboardInterrupt it can clean up after (cli/launch.py, cli/main.py).

Imports nothing but `os`, `signal`, `sys` and `_thread`, loaded by Python's own start already,
so the launcher can install the handler before any import of its own costs time.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys

TYPE_CHECKING = False  # not typing's: importing typing would cost 5 ms before the handler
if TYPE_CHECKING:
    from sys import UnraisableHookArgs
    from types import FrameType

EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + 2, as shells report it
INTERRUPTED = "custody: interrupted; nothing half-written is kept"


def end_at_once(signum: int, frame: FrameType | None) -> None:
    # Only while the command line loads: no file is open for writing, no child started.
    try:
        os.write(2, (INTERRUPTED + "\n").encode())
    finally:
        os._exit(EXIT_INTERRUPTED)


def interruptible() -> None:
    """From here on Ctrl-C raises KeyboardInterrupt, so a command can clean up first."""
    if signal.getsignal(signal.SIGINT) is end_at_once:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = _interrupt_again


def _interrupt_again(unraisable: UnraisableHookArgs) -> None:
    """A Ctrl-C that Python could not raise is raised again, not printed and lost.

    Python runs a signal's handler wherever the main thread is; when that is a callback it
    calls from C (a weak reference's, such as importlib's module-lock cleanup during a lazy
    import, or a finaliser), the KeyboardInterrupt cannot reach the command: Python prints
    "Exception ignored in ..." with a traceback and carries on as if no key was pressed. This
    hook takes that interrupt and has another thread signal the main thread once more, so it is
    raised at the main thread's next step, outside the callback. At interpreter shutdown (the
    command has ended) no thread can start: the late Ctrl-C is dropped, silently.
    """
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    try:  # noqa: SIM105 (no import here: this may run while the interpreter shuts down)
        _thread.start_new_thread(_thread.interrupt_main, ())
    except RuntimeError:
        pass
