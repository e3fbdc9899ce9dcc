"""File metadata through exiftool: long-lived exiftool processes, never one per file.

An ingest hands exiftool small chunks of files as soon as they are in the vault
(`exiftool_pool`): up to one process per core, each started when the ones before are busy, so
exiftool works from the first file on while the next files are copied and hashed.

Files are always handed to exiftool by their vault path (a hex digest), so a hostile original
name (leading '-', newline) can never be taken for an option. The child gets a scrubbed
environment (`child_environment`): a passphrase in CUSTODY_PASSPHRASE must not be readable in
its /proc/PID/environ.

exiftool must not outlive the process it serves: with -stay_open it treats the end of its
argument stream as a file that may still grow and polls it for ever, so an ingest killed with
kill -9 would leave it running. Each process therefore reads its arguments through a relay
(`_RELAY`, `cat` in a shell of its own process group) that writes exiftool's stop command when
the stream from this process ends, however this process ends. No preexec_fn: the pool starts
processes while its own threads run.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import subprocess
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OperationalError

if TYPE_CHECKING:  # pyexiftool only for MetadataReader (one process per call, no pool)
    import exiftool

# Tags that describe the vault copy, not the evidence: they would differ per workspace.
_VAULT_TAGS = {
    "SourceFile",
    "File:FileName",
    "File:Directory",
    "File:FileModifyDate",
    "File:FileAccessDate",
    "File:FileInodeChangeDate",
    "File:FilePermissions",
}
# What exiftool (Perl) needs to run and decode names; nothing else reaches it.
_CHILD_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PERL5LIB")
_MAX_INT = 2**53 - 1
_MAX_TEXT = 4096
READ_BLOCK = 1 << 20
IN_FLIGHT = 2  # commands written ahead to each exiftool process
PIPE_BYTES = 1 << 20
# Copies this process's commands to exiftool and, when they end (this process closed the pipe
# or died), asks exiftool to stop. The blank line ends a line cut short by a death mid-write
# (exiftool skips blank lines), so the stop command is read as one; exiftool may still run the
# unfinished read-only command before it exits, writing into a pipe nobody reads.
_RELAY = 'cat; printf "\\n-stay_open\\nFalse\\n"'


def _clean(value: Any) -> Any:
    # Canonical JSON has no room for integers beyond 2**53 or NaN; long binary blobs are noise.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_INT else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return str(value)


class MetadataReader:
    """A running exiftool process; `read` takes many files per call."""

    def __init__(self, helper: exiftool.ExifToolHelper) -> None:
        self._helper = helper

    def read(self, paths: list[Path]) -> list[dict[str, Any]]:
        """Metadata per path, in order; a file exiftool cannot read gets {"error": ...}."""
        from exiftool.exceptions import ExifToolException

        if not paths:
            return []
        try:
            results = self._helper.get_metadata([str(p) for p in paths])
        except (ExifToolException, ValueError) as exc:
            if len(paths) == 1:
                return [{"error": f"exiftool: {exc}"}]
            # One bad file must not cost the others their metadata.
            return [self.read([p])[0] for p in paths]
        return _per_path(paths, results)


def _per_path(paths: list[Path], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """exiftool's records in the order of paths, vault tags removed, values made canonical."""
    by_source = {str(r.get("SourceFile")): r for r in results if isinstance(r, dict)}
    out = []
    for p in paths:
        raw = by_source.get(str(p))
        if raw is None:
            out.append({"error": "exiftool returned nothing for this file"})
        else:
            out.append({k: _clean(v) for k, v in raw.items() if k not in _VAULT_TAGS})
    return out


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a child process may see: an allow-list, never a secret."""
    return {k: environ[k] for k in _CHILD_ENV if k in environ}


@contextmanager
def _scrubbed_environment() -> Iterator[None]:
    # pyexiftool passes no env= to Popen, so the child inherits os.environ at spawn time:
    # narrow it for exactly that moment.
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(child_environment(saved))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _start() -> exiftool.ExifToolHelper:
    """One exiftool process (-stay_open), started with a scrubbed environment."""
    import exiftool
    from exiftool.exceptions import ExifToolException

    try:
        helper = exiftool.ExifToolHelper(common_args=["-G", "-n"], check_execute=False)
        # A chunk's JSON in one or two reads, not one per 4 KB: each read needs the interpreter
        # lock, and exiftool waits for its next chunk until the reply has been read whole.
        helper.block_size = READ_BLOCK
        with _scrubbed_environment():
            helper.run()
    except (FileNotFoundError, ExifToolException) as exc:
        raise OperationalError(
            f"exiftool could not be started ({exc})",
            "install it: apt-get install -y libimage-exiftool-perl",
        ) from None
    return helper


@contextmanager
def exiftool_session() -> Iterator[MetadataReader]:
    """Start one exiftool process (with a scrubbed environment) for the duration of the block."""
    helper = _start()
    try:
        yield MetadataReader(helper)
    finally:
        helper.terminate()


class _Process:
    """One exiftool -stay_open process driven by the pool's I/O thread: commands are written
    ahead (up to IN_FLIGHT), so exiftool never waits for this process to read a reply."""

    def __init__(self) -> None:
        env = child_environment(os.environ)  # never a passphrase (see module docstring)
        arguments, into_exiftool = os.pipe()
        try:
            # The relay first: exiftool never runs without someone to stop it. Its own process
            # group, so a Ctrl-C meant for the ingest cannot end it before exiftool.
            self.relay = subprocess.Popen(
                ["/bin/sh", "-c", _RELAY],
                stdin=subprocess.PIPE,
                stdout=into_exiftool,
                stderr=subprocess.DEVNULL,
                env=env,
                process_group=0,
            )
            try:
                self.proc = subprocess.Popen(
                    [
                        *("exiftool", "-stay_open", "True", "-@", "-"),
                        *("-common_args", "-G", "-n"),
                    ],
                    stdin=arguments,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                )
            except OSError:
                _end_relay(self.relay)
                raise
        except OSError as exc:
            raise OperationalError(
                f"exiftool could not be started ({exc.strerror or exc})",
                "install it: apt-get install -y libimage-exiftool-perl",
            ) from None
        finally:
            os.close(arguments)
            os.close(into_exiftool)
        assert self.relay.stdin and self.proc.stdout and self.proc.stderr
        self.stdin = self.relay.stdin.fileno()
        self.out = self.proc.stdout.fileno()
        self.err = self.proc.stderr.fileno()
        for fd in (self.out, self.err):
            _widen(fd)
            os.set_blocking(fd, False)
        self.out_buf = bytearray()
        self.err_buf = bytearray()
        self.in_flight: deque[_Command] = deque()
        self.alive = True
        self.stopped = False

    def send(self, command: _Command) -> None:
        """Write a command (its file list; -execute with its number)."""
        lines = [b"-j", *(os.fsencode(p) for p in command.paths)]
        lines += [b"-echo4", f"=${{status}}=post{command.number}".encode()]
        lines.append(f"-execute{command.number}\n".encode())
        data = b"\n".join(lines)
        while data:
            data = data[os.write(self.stdin, data) :]
        self.in_flight.append(command)

    def finished(self) -> Iterator[tuple[_Command, bytes]]:
        """Commands whose reply is complete (stdout up to {readyN}, stderr up to postN)."""
        while self.in_flight:
            command = self.in_flight[0]
            # Each marker is a line of its own: a value inside the JSON (where exiftool writes
            # a line break as \n) cannot end a reply early, and the numbers are random.
            out_at = _line(self.out_buf, f"{{ready{command.number}}}".encode())
            err_at = _line(self.err_buf, f"=post{command.number}".encode(), suffix=True)
            if out_at is None or err_at is None:
                return
            reply = bytes(self.out_buf[: out_at[0]])
            del self.out_buf[: out_at[1]]
            del self.err_buf[: err_at[1]]
            self.in_flight.popleft()
            yield command, reply

    def stop(self) -> None:
        """Ask exiftool to exit; kill it if it does not within a few seconds. Once only: after
        the first, the descriptor numbers may already name other files."""
        if self.stopped:
            return
        self.stopped = True
        with suppress(OSError):
            os.write(self.stdin, b"-stay_open\nFalse\n")
        for stream in (self.relay.stdin, self.proc.stdout, self.proc.stderr):
            with suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        _end_relay(self.relay)


def _end_relay(relay: subprocess.Popen[bytes]) -> None:
    # The relay ends once its input is closed (its last write may meet a stopped exiftool and
    # end it by SIGPIPE); reaped here so that it leaves no zombie.
    with suppress(OSError):
        relay.stdin.close()  # type: ignore[union-attr]
    try:
        relay.wait(timeout=5)
    except subprocess.TimeoutExpired:
        relay.kill()
        relay.wait()


def _line(buffer: bytearray, marker: bytes, *, suffix: bool = False) -> tuple[int, int] | None:
    """(start, end) of the first whole line that is marker (or, with suffix, ends with it),
    end past its line break; None while there is none yet."""
    at = 0
    while (nl := buffer.find(b"\n", at)) >= 0:
        line = bytes(buffer[at:nl]).rstrip(b"\r")
        if line == marker or (suffix and line.endswith(marker)):
            return at, nl + 1
        at = nl + 1
    return None


@dataclass
class _Command:
    number: int
    paths: list[Path]
    future: Future[list[dict[str, Any]]]


def _widen(fd: int) -> None:
    # A larger pipe (Linux F_SETPIPE_SZ): exiftool writes a whole reply without waiting for us.
    with suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)


class MetadataPool:
    """Up to `size` exiftool processes reading chunks of files in the background.

    One I/O thread drives every process: it writes each process up to IN_FLIGHT commands ahead
    and reads their replies as they come, so an exiftool process goes from one chunk to the
    next without waiting for this process (whose threads share one interpreter lock with the
    copying and signing) to read a reply or send the next chunk. A process is added, from the
    submitting thread, only when every running one has a chunk waiting, so a run with few
    images starts one. A chunk exiftool cannot answer as a whole (damaged output) is asked for
    again file by file, so one bad file does not cost the others their metadata.
    """

    def __init__(self, size: int, started: Sequence[_Process] = ()) -> None:
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._processes: list[_Process] = list(started)  # the pool stops them
        self._waiting: deque[_Command] = deque()
        self._closing = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._thread = threading.Thread(target=self._run, name="exiftool-io", daemon=True)
        self._thread.start()

    def submit(self, paths: list[Path]) -> Future[list[dict[str, Any]]]:
        """Metadata of these files (as MetadataReader.read), read by the next free process."""
        future: Future[list[dict[str, Any]]] = Future()
        if not paths:
            future.set_result([])
            return future
        self._queue(_Command(secrets.randbits(62), list(paths), future), start=True)
        return future

    def _queue(self, command: _Command, *, start: bool = False) -> None:
        with self._lock:
            alive = [p for p in self._processes if p.alive]
            outstanding = len(self._waiting) + sum(len(p.in_flight) for p in alive)
            grow = start and len(alive) < self._size and outstanding >= len(alive)
        # Started on the caller's thread, before the chunk is queued: a failure to start is
        # raised to the caller and leaves nothing waiting.
        process = _Process() if grow else None
        with self._lock:
            if process is not None:
                self._processes.append(process)
            self._waiting.append(command)
        os.write(self._wake_w, b"x")

    def _dispatch(self) -> None:
        # Each live process gets commands until IN_FLIGHT are written ahead.
        with self._lock:
            for process in self._processes:
                while process.alive and self._waiting and len(process.in_flight) < IN_FLIGHT:
                    command = self._waiting.popleft()
                    try:
                        process.send(command)
                    except OSError:
                        self._waiting.appendleft(command)
                        self._died(process)

    def _died(self, process: _Process) -> None:
        # exiftool exited: its unanswered chunks get an error per file (as a file it cannot
        # read does); later chunks go to the others, or to a new process.
        process.alive = False
        failed = list(process.in_flight)
        process.in_flight.clear()
        if not any(p.alive for p in self._processes):
            failed += self._waiting
            self._waiting.clear()
        for command in failed:
            command.future.set_result([{"error": "exiftool stopped"} for _ in command.paths])

    def _answer(self, command: _Command, reply: bytes) -> None:
        try:
            results = json.loads(reply) if reply.strip() else None
            if not isinstance(results, list):
                raise ValueError("exiftool returned no JSON list")
        except ValueError as exc:
            if len(command.paths) == 1:
                command.future.set_result([{"error": f"exiftool: {exc}"}])
                return
            self._split(command)
            return
        command.future.set_result(_per_path(command.paths, results))

    def _split(self, command: _Command) -> None:
        # One command per file; the chunk's future gets their results in order.
        singles = [_Command(secrets.randbits(62), [p], Future()) for p in command.paths]
        left = [len(singles)]

        def joined(_: Future[list[dict[str, Any]]]) -> None:
            left[0] -= 1
            if left[0] == 0:
                if any(s.future.cancelled() for s in singles):
                    command.future.cancel()  # the pool was closed meanwhile
                else:
                    command.future.set_result([s.future.result()[0] for s in singles])

        for single in singles:
            single.future.add_done_callback(joined)
            with self._lock:
                self._waiting.append(single)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        watched: set[int] = set()
        while True:
            with self._lock:
                processes = [p for p in self._processes if p.alive]
                done = (
                    self._closing and not self._waiting and not any(p.in_flight for p in processes)
                )
            if done:
                break
            for process in processes:
                for fd in (process.out, process.err):
                    if fd not in watched:
                        selector.register(fd, selectors.EVENT_READ, process)
                        watched.add(fd)
            self._dispatch()
            for key, _ in selector.select(timeout=1.0):
                if key.data is None:
                    with suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    continue
                process = key.data
                try:
                    data = os.read(key.fd, READ_BLOCK)
                except BlockingIOError:
                    continue
                if not data:  # exiftool exited
                    for fd in (process.out, process.err):
                        if fd in watched:
                            selector.unregister(fd)
                            watched.discard(fd)
                    with self._lock:
                        self._died(process)
                    continue
                (process.out_buf if key.fd == process.out else process.err_buf).extend(data)
                for command, reply in list(process.finished()):
                    self._answer(command, reply)
        selector.close()

    def close(self) -> None:
        """Drop the chunks not yet sent, wait for those exiftool is reading, then stop every
        process."""
        with self._lock:
            self._closing = True
            dropped = list(self._waiting)
            self._waiting.clear()
        for command in dropped:
            command.future.cancel()
        os.write(self._wake_w, b"x")
        self._thread.join()
        for process in self._processes:
            process.stop()
        os.close(self._wake_r)
        os.close(self._wake_w)


ExiftoolProcess = _Process  # what start_early gives, for callers' annotations


def start_early() -> _Process | None:
    """One exiftool process started now, for a pool made later (exiftool_pool's `started`):
    Perl loads ExifTool while the caller gets ready. None where exiftool cannot start (the
    pool then tries when a file needs it, and says why). Whoever gets a process and hands it
    to no pool must stop() it."""
    try:
        return _Process()
    except OperationalError:
        return None


@contextmanager
def exiftool_pool(
    size: int | None = None, started: Sequence[_Process | None] = ()
) -> Iterator[MetadataPool]:
    """A MetadataPool of up to `size` processes (default: one per core, at most 4), beginning
    with the ones `started` (start_early) and stopping them at the end."""
    pool = MetadataPool(size or min(os.cpu_count() or 1, 4), [p for p in started if p])
    try:
        yield pool
    finally:
        pool.close()
