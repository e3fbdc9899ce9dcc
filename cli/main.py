"""The `custody` command: the root group, and the one place that turns errors into exit codes.

Exit codes: 0 ok, 1 verification or integrity failure, 2 usage error, 3 operational error,
4 (verify only) bundle intact but signer not established.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from evidence import __version__

from .interrupt import EXIT_INTERRUPTED, INTERRUPTED, interruptible

if TYPE_CHECKING:
    from datetime import tzinfo

    from evidence.errors import EvidenceError

# Commands are imported when used: importing them all (reportlab, exiftool, the parsers, the
# ledger) would cost every call half a second, so `custody --version`, `--help` and a mistyped
# command start as fast as click itself. Listed in the order `custody --help` shows them.
COMMANDS = {
    "init": ("keys", "init_command"),
    "key": ("keys", "key_group"),
    "case": ("cases", "case_group"),
    "ingest": ("ingest", "ingest_command"),
    "item": ("items", "item_group"),
    "profile": ("profile", "profile_command"),
    "identifiers": ("identifiers", "identifiers_command"),
    "excerpt": ("excerpt", "excerpt_command"),
    "event": ("custody", "event_command"),
    "transfer": ("custody", "transfer_command"),
    "receive": ("custody", "receive_command"),
    "log": ("log", "log_command"),
    "checkpoint": ("custody", "checkpoint_command"),
    "timestamp": ("timestamp", "timestamp_command"),
    "audit": ("custody", "audit_command"),
    "bundle": ("bundle", "bundle_command"),
    "verify": ("bundle", "verify_command"),
    "report": ("report", "report_command"),
    "export-case": ("export_case", "export_case_command"),
    "ledger": ("ledger", "ledger_group"),
    "witness": ("witness", "witness_group"),
}

# The first paragraph of each command's docstring, for `custody --help` without importing every
# command (tests/cli/test_startup.py checks each against the command's own docstring).
SUMMARIES = {
    "init": "Create a workspace (ledger.db, vault/, keys/), private to you, with its trust root.",
    "key": "Actors' signing keys (ECDSA P-256) and their certificates.",
    "case": "Cases: the numbers evidence is filed under.",
    "ingest": "Hash, copy into the vault, and sign the first custody events of files and folders.",
    "item": "Evidence items held in the vault, and corrections of what was recorded about them.",
    "profile": "Re-run today's parsers on a case's items; sign a `profiled` event where the "
    "result changed.",
    "identifiers": "List every phone, e-mail, account URL, wallet address and transaction id in a "
    "case.",
    "excerpt": "Show, or sign, the records of a text item to disclose in an excerpt.",
    "event": "Record a signed custody event on items (access, analysis, sealing...).",
    "transfer": "Hand items over to another custodian (pending until they run `custody receive`).",
    "receive": "Acknowledge a pending transfer: custody passes to you.",
    "log": "Show custody timelines: when, action, who, from -> to, where, why and notes, "
    "signature.",
    "checkpoint": "Sign the log's tree head and every chain head; also written to checkpoints/.",
    "timestamp": "List each checkpoint's RFC 3161 time, or (--pending) add the tokens still "
    "missing.",
    "audit": "Verify every signer's trust path, signature, chain link, row, checkpoint and file.",
    "bundle": "Export a case's evidence as a signed bundle for a mutual legal assistance request.",
    "verify": "Verify a bundle (zip or unzipped folder); needs no workspace.",
    "report": "Write the custody report of CASE: verdict, items, every custody event, signers.",
    "export-case": "Write a case as a CASE/UCO JSON-LD graph (caseontology.org).",
    "ledger": "The ledger itself: copy it between a workspace file and a PostgreSQL server.",
    "witness": "Run a witness: another agency's server that cosigns checkpoints that extend the "
    "last.",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_OPERATIONAL = 0, 1, 2, 3


class CustodyGroup(click.Group):
    """The root group: lazy command loading, and the one place errors become exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Command names in workflow order."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import a command's module only when that command is used."""
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
        assert isinstance(command, click.Command)
        if not gc.isenabled():
            # The launcher turned the collector off while the command line loaded: what is
            # loaded now stays for the whole process, so the collector is set never to walk it
            # again, and turned back on for what the command allocates.
            gc.freeze()
            gc.enable()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click writes it, from SUMMARIES instead of importing each one."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = []
        for name in COMMANDS:
            if name in SUMMARIES:
                summary = click.Command(name, help=SUMMARIES[name])
                rows.append((name, summary.get_short_help_str(limit)))
            else:
                command = self.get_command(ctx, name)
                assert command is not None
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; map library errors to one stderr line and the documented code."""
        # Here, not at the top: `--version`, `--help` and argument errors end before invoke,
        # and the error classes (dataclasses, enums) cost them a tenth of their start-up.
        # Before interruptible(): a Ctrl-C meanwhile still ends the process at once.
        from evidence.display import printable
        from evidence.errors import EvidenceError

        interruptible()  # the command may clean up on Ctrl-C (launch.py ended it at once so far)
        try:
            try:
                return super().invoke(ctx)
            finally:
                _finished()
        except EvidenceError as exc:
            lines = _in_zone(exc, ctx.meta).diagnostics().splitlines() or [""]
            click.echo(
                "\n".join(printable(line) for line in [f"custody: error: {lines[0]}", *lines[1:]]),
                err=True,
            )
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(INTERRUPTED, err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(printable(f"custody: error: {where}{exc.strerror or exc}"), err=True)
            ctx.exit(EXIT_OPERATIONAL)
        except Exception as exc:
            # sqlite3 is loaded by whichever command opened a ledger; none did if it is absent.
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is not None and isinstance(exc, sqlite3.Error):
                click.echo(printable(f"custody: error: ledger: {exc}"), err=True)
                ctx.exit(EXIT_OPERATIONAL)
            if os.environ.get("CUSTODY_DEBUG"):
                raise
            click.echo(
                printable(
                    f"custody: internal error: {type(exc).__name__}: {exc} "
                    "(set CUSTODY_DEBUG=1 for a traceback)"
                ),
                err=True,
            )
            ctx.exit(EXIT_OPERATIONAL)


def _finished() -> None:
    # The command has ended; what remains is saying how (its line, its exit code), which a
    # Ctrl-C must not cut short into click's "Aborted!" and exit 1, nor turn into a second
    # line: from here on it is ignored (as main() does once click returns).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_zone(exc: EvidenceError, meta: dict[str, Any]) -> EvidenceError:
    """exc with the recorded times (Moments) of its message and of the findings it lists in
    the command's --tz zone (common.ZONE; a command without --tz: $CUSTODY_TZ), as its tables
    show them; changed as it is printed."""
    from evidence.errors import EvidenceError
    from evidence.timefmt import local_text, parse_zone  # only once an error is shown

    from .common import ENV_TZ, ZONE
    from .output import local_findings

    zone: tzinfo | None = meta.get(ZONE)
    if ZONE not in meta and os.environ.get(ENV_TZ):
        try:
            zone = parse_zone(os.environ[ENV_TZ])
        except EvidenceError:
            zone = None  # the error being reported matters more than a mistyped zone

    exc.message = local_text(exc.message, zone)
    findings = getattr(exc, "findings", None)
    if findings:
        exc.findings = local_findings(findings, zone)  # type: ignore[attr-defined]
    return exc


@click.group(cls=CustodyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="custody")
@click.option(
    "--workspace",
    "-w",
    envvar="CUSTODY_HOME",
    metavar="DIR",
    help="Workspace folder (default: $CUSTODY_HOME, else ./custody-workspace).",
)
@click.option(
    "--ledger",
    envvar="CUSTODY_LEDGER",
    metavar="URL",
    help="Agency ledger: postgresql://USER@HOST/DB (default: $CUSTODY_LEDGER, else "
    "ledger.db in the workspace).",
)
@click.option(
    "--vault",
    envvar="CUSTODY_VAULT",
    metavar="DIR",
    help="Shared vault folder (default: $CUSTODY_VAULT, else vault/ in the workspace).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, ledger: str | None, vault: str | None) -> None:
    """Chain of custody for electronic evidence.

    Hash and sign seized files into a write-once vault, log every custody event in a signed,
    hash-chained ledger, and send evidence abroad as a signed bundle anyone can verify.

    \b
    Exit codes: 0 ok, 1 verification failed, 2 usage error, 3 operational error,
    4 (verify) bundle intact but signer identity not established.
    """
    from .common import AppContext  # only here: the library is loaded once a command runs

    _quiet_pyhanko()
    ctx.obj = AppContext(workspace, ledger, vault)


def _quiet_pyhanko() -> None:
    # pyhanko logs each failed check with a traceback; those failures are our findings,
    # reported once and plainly, so its loggers must not fall through to Python's last-resort
    # stderr handler. Configured here, by the application: importing the library changes
    # nothing global.
    import logging

    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="custody")
    finally:
        # The command has finished and said so (its output, its exit code): a Ctrl-C while the
        # interpreter then shuts down, which restores the default action first, would kill the
        # process and lose that exit code. Nothing is left to interrupt: ignore it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
