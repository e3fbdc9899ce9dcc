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

import gc
import signal

from .interrupt import end_at_once


def main() -> None:
    """Console-script entry point: Ctrl-C handled, then the command line loaded and run."""
    # A SIGINT that the caller ignores (a background job, nohup) stays ignored.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, end_at_once)
    # No cyclic garbage collection while the command line and its command's modules load:
    # they allocate what lives as long as the process, which the collector would otherwise
    # walk again and again (main.CustodyGroup.get_command freezes it and turns it back on).
    gc.disable()
    from .main import main as run

    run()
