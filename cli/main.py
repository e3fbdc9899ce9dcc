"""The `custody` command: the root group, and the one place that turns errors into exit codes.

Exit codes: 0 ok, 1 verification or integrity failure, 2 usage error, 3 operational error.
"""

from __future__ import annotations

import os

import click

from evidence import __version__
from evidence.errors import EvidenceError

from .bundle import BUNDLE_COMMANDS
from .cases import case_group
from .common import AppContext
from .custody import (
    audit_command,
    checkpoint_command,
    event_command,
    log_command,
    receive_command,
    transfer_command,
)
from .identifiers import identifiers_command
from .ingest import ingest_command
from .items import item_group
from .keys import init_command, key_group
from .report import report_command

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_OPERATIONAL = 0, 1, 2, 3


class CustodyGroup(click.Group):
    """The root group: the one place where errors become messages and exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; map library errors to one stderr line and the documented code."""
        try:
            return super().invoke(ctx)
        except EvidenceError as exc:
            click.echo(f"custody: error: {exc.diagnostics()}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("custody: interrupted; nothing half-written is kept", err=True)
            ctx.exit(EXIT_OPERATIONAL)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"custody: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(EXIT_OPERATIONAL)
        except Exception as exc:
            if os.environ.get("CUSTODY_DEBUG"):
                raise
            click.echo(
                f"custody: internal error: {type(exc).__name__}: {exc} "
                "(set CUSTODY_DEBUG=1 for a traceback)",
                err=True,
            )
            ctx.exit(EXIT_OPERATIONAL)


@click.group(cls=CustodyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="custody")
@click.option(
    "--workspace",
    "-w",
    metavar="DIR",
    help="Workspace folder (default: $CUSTODY_HOME, else ./custody-workspace).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """Chain of custody for electronic evidence.

    Hash and sign seized files into a write-once vault, log every custody event in a signed,
    hash-chained ledger, and send evidence abroad as a signed bundle anyone can verify.

    \b
    Exit codes: 0 ok, 1 verification failed, 2 usage error, 3 operational error.
    """
    ctx.obj = AppContext(workspace)


for command in (
    init_command,
    key_group,
    case_group,
    ingest_command,
    item_group,
    identifiers_command,
    event_command,
    transfer_command,
    receive_command,
    log_command,
    checkpoint_command,
    audit_command,
    report_command,
    *BUNDLE_COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="custody")
