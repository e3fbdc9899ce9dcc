"""`custody export-case`: a case as CASE/UCO JSON-LD, for forensic tools abroad."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evidence.caseuco import export_case
from evidence.report.produce import write_file

from .common import AppContext, json_option, pass_app, quiet_option
from .output import emit_json, note


@click.command("export-case")
@click.argument("case")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default: CASE.case.jsonld; '-' for stdout).",
)
@json_option
@quiet_option
@pass_app
def export_case_command(
    app: AppContext, case: str, output: Path | None, as_json: bool, quiet: bool
) -> None:
    """Write a case as a CASE/UCO JSON-LD graph (caseontology.org).

    Each item is a uco-observable:File with its digests (SHA-256, SHA-512, and MD5/SHA-1 where
    added), size and names; each custody event a case-investigation:InvestigativeAction with
    its performer, instrument, location, object and a provenance record naming the signed
    event; each bundle an action of its own. `case_validate` (case-utils) accepts it.

    \b
    Examples:
      custody export-case BY-2026-0042 -o BY-2026-0042.case.jsonld
      custody export-case BY-2026-0042 -o - > case.jsonld && case_validate case.jsonld
    """
    done = export_case(app.open().ledger, case)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(done.data)
        sys.stdout.flush()
        return
    target = output or Path(f"{case.replace('/', '_')}.case.jsonld")
    write_file(target, done.data)
    if as_json:
        emit_json({"path": str(target), **done.to_json()})
    elif not quiet:
        note(f"custody: wrote {target} ({done.files} file(s), {done.actions} action(s))")
