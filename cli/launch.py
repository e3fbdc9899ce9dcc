"""The `custody` console command's entry point: Ctrl-C is handled from its first line.

Loading click and the command line takes about a tenth of a second; Python's own SIGINT handler
would raise KeyboardInterrupt inside whichever import was running and print a traceback. So the
entry point imports nothing but `os`, `signal`, `sys` and `_thread` (all loaded by Python's own
start) and, until a command begins (`interruptible`), a Ctrl-C ends the process at once with the
one line and exit code 130 that README documents: nothing has been written yet. From the command
on, Ctrl-C is a KeyboardInterrupt again, which the root group turns into the same line after the
command has cleaned up (main.CustodyGroup.invoke); one that lands in a callback Python calls from
C is raised again outside it (`_interrupt_again`).

A SIGINT before this module runs (while Python itself starts: its `site` import) is Python's:
no entry point can run code earlier.
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


def _end_at_once(signum: int, frame: FrameType | None) -> None:
    # Only while the command line loads: no file is open for writing, no child started.
    try:
        os.write(2, (INTERRUPTED + "\n").encode())
    finally:
        os._exit(EXIT_INTERRUPTED)


def interruptible() -> None:
    """From here on Ctrl-C raises KeyboardInterrupt, so a command can clean up first."""
    if signal.getsignal(signal.SIGINT) is _end_at_once:
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


def main() -> None:
    """Console-script entry point: Ctrl-C handled, then the command line loaded and run."""
    # A SIGINT that the caller ignores (a background job, nohup) stays ignored.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _end_at_once)
    from .main import main as run

    run()
