"""Options and plumbing shared by every command: workspace, signer, passphrase, --json."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.bundle.exports import recover_exports
from evidence.cases import get_case
from evidence.errors import EvidenceError, NotFoundError, PassphraseError, UsageError, UsageProblems
from evidence.items import Item, select, split_refs
from evidence.keys import KeyRecord, Signer
from evidence.ledger import BUSY_TIMEOUT_MS
from evidence.timefmt import parse_zone
from evidence.timeorder import require_clock
from evidence.trust.store import require_signing
from evidence.unlocking import SignerSource, unlock_in_background
from evidence.workspace import Workspace, locate

from .output import printable

F = TypeVar("F", bound=Callable[..., Any])

ENV_KEY = "CUSTODY_KEY"
ENV_PASSPHRASE = "CUSTODY_PASSPHRASE"
ENV_TZ = "CUSTODY_TZ"
ENV_HOME = "CUSTODY_HOME"
ENV_BUSY = "CUSTODY_BUSY_TIMEOUT_MS"


def busy_timeout_ms() -> int:
    """How long a writer waits for another one: $CUSTODY_BUSY_TIMEOUT_MS, else the default."""
    raw = os.environ.get(ENV_BUSY, "")
    if not raw:
        return BUSY_TIMEOUT_MS
    if not raw.isdigit():
        raise UsageError(f"{ENV_BUSY}={raw!r} is not a number of milliseconds")
    return int(raw)


@dataclass
class AppContext:
    """What the root group knows: where the workspace is."""

    workspace_arg: str | None
    ledger_arg: str | None = None
    vault_arg: str | None = None

    @property
    def vault(self) -> Path | None:
        """The shared vault folder, if one was given."""
        return Path(self.vault_arg) if self.vault_arg else None

    def open(self) -> Workspace:
        """Open the workspace (closed by click when the command ends)."""
        ws = Workspace.open(
            locate(self.workspace_arg),
            ledger=self.ledger_arg or None,
            vault=self.vault,
            busy_timeout_ms=busy_timeout_ms(),
        )
        click.get_current_context().call_on_close(ws.close)
        # A bundle export killed midway is finished or undone before anything else.
        for done in recover_exports(ws):
            click.echo(f"custody: {printable(done)}", err=True)
        return ws


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    """--json: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def quiet_option(func: F) -> F:
    """--quiet: no progress bar, no chatter on stderr."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar or notes.")(func)


def as_option(func: F) -> F:
    """--as KEY: the signing actor (name, key id or fingerprint prefix); CUSTODY_KEY default."""
    return click.option(
        "--as",
        "as_key",
        envvar=ENV_KEY,
        metavar="KEY",
        help="Signing key: name, key id or fingerprint prefix (default: $CUSTODY_KEY).",
    )(func)


def read_passphrase(prompt: str, *, confirm: bool = False, env_name: str = ENV_PASSPHRASE) -> str:
    """The passphrase from $CUSTODY_PASSPHRASE (or env_name), else a hidden prompt; never from
    argv.

    Without a terminal (a pipe, a script) the lines are read from stdin as they are: getpass
    would warn that it "can not control echo", which is true and pointless there.
    """
    env = os.environ.get(env_name)
    if env is not None:
        return env
    try:
        if not sys.stdin.isatty():
            value = _piped_line(prompt)
            if confirm and _piped_line("Repeat for confirmation") != value:
                raise PassphraseError("the two passphrases given differ", "nothing was created")
            return value
        entered: str = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    except (click.Abort, EOFError):
        raise PassphraseError(
            "no passphrase given", f"type it at the prompt or set {env_name}"
        ) from None
    return entered


def _piped_line(prompt: str) -> str:
    click.echo(f"{prompt}: ", err=True, nl=False)
    line = sys.stdin.readline()
    click.echo("", err=True)
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def signer_key(ws: Workspace, as_key: str | None) -> KeyRecord:
    """The key --as names (checked before any passphrase is asked for)."""
    if not as_key:
        raise UsageError("no signing key given", f"pass --as NAME or set {ENV_KEY}")
    return ws.keys.resolve(as_key)


def unlock(
    ws: Workspace,
    as_key: str | None,
    record: KeyRecord | None = None,
    *,
    to_sign: bool = True,
    items: Sequence[Item] = (),
) -> Signer:
    """Resolve --as (unless already resolved) and decrypt that key with the passphrase.

    A key that is to sign (events, checkpoints, bundles, reports) must be one the trust root
    lets sign now: the library (TrustedKeyStore.signer) checks that before the passphrase is
    asked for; audit would reject whatever it signed anyway. So is this computer's clock,
    first: not earlier than the latest checkpoint, nor than the last event of any of `items`
    (the ones to be signed for); a clock set back makes every time judgement after it wrong.
    """
    record = record or signer_key(ws, as_key)
    if to_sign:
        require_clock(ws.ledger, [i.item_id for i in items])
    return ws.keys.signer(
        record, lambda: read_passphrase(f"Passphrase for {record.name}"), to_sign=to_sign
    )


def unlock_later(
    ws: Workspace,
    as_key: str | None,
    record: KeyRecord | None = None,
    *,
    items: Sequence[Item] = (),
) -> SignerSource:
    """As unlock, but the key is decrypted in the background while the command starts work."""
    record = record or signer_key(ws, as_key)
    require_clock(ws.ledger, [i.item_id for i in items])
    require_signing(ws.ledger, record)
    return unlock_in_background(ws.keys, record, read_passphrase(f"Passphrase for {record.name}"))


class CommandLineProblems(UsageProblems):
    """Several things wrong with one command line, reported together (exit 2)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(list(problems))


@dataclass
class Problems:
    """Collects what is wrong with a command line, so that all of it is reported at once,
    before any passphrase prompt or write."""

    errors: list[EvidenceError] = field(default_factory=list)

    @contextmanager
    def check(self) -> Iterator[None]:
        """Run a check; a usage or not-found error is kept instead of raised."""
        try:
            yield
        except (UsageError, NotFoundError) as exc:
            self.errors.append(exc)

    def add(self, message: str, hint: str | None = None) -> None:
        """Record a problem found by the caller."""
        self.errors.append(UsageError(message, hint))

    def raise_any(self) -> None:
        """Raise the one problem as it is, or all of them together (exit 2)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise CommandLineProblems([e.diagnostics() for e in self.errors])


class CheckedCommand(click.Command):
    """A command that names every missing or malformed option at once, not one per run."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does; on failure, report every problem of the command line."""
        original = list(args)  # click's parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as first:
            problems = _all_problems(self, ctx, original)
            if len(problems) <= 1:
                raise
            raise click.UsageError(
                f"{len(problems)} problems with this command line:\n"
                + "\n".join(f"  - {p}" for p in problems),
                first.ctx,
            ) from None


class CheckedGroup(click.Group):
    """A group whose subcommands are CheckedCommands."""

    command_class = CheckedCommand


def _all_problems(command: click.Command, ctx: click.Context, args: list[str]) -> list[str]:
    probe = click.Context(command, parent=ctx.parent, info_name=ctx.info_name)
    try:
        opts, _, _ = command.make_parser(probe).parse_args(args=list(args))
    except click.UsageError as exc:
        return [exc.format_message()]
    problems: list[str] = []
    for param in command.get_params(probe):
        if param.name is None:
            continue
        value = opts.get(param.name)
        if value is None and isinstance(param, click.Option) and param.envvar:
            value = param.resolve_envvar_value(probe)
        if value is None or value == () or value == []:
            if param.required:
                problems.append(f"missing {param.get_error_hint(probe)}")
            continue
        try:
            param.type_cast_value(probe, value)
        except click.BadParameter as exc:
            problems.append(f"invalid {param.get_error_hint(probe)}: {exc.message}")
    return problems


ZONE = "custody.zone"  # click's shared ctx.meta: the zone of the command's --tz, for its errors


def remember_zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option callback: keep the --tz zone (checked here: a usage error before any work)
    where the error line that lists findings (main.CustodyGroup.invoke) finds it."""
    ctx.meta[ZONE] = parse_zone(value) if value else None
    return value


def tz_option(func: F) -> F:
    """--tz ZONE: show times in this offset or zone (default $CUSTODY_TZ, else UTC)."""
    return click.option(
        "--tz",
        "tz",
        envvar=ENV_TZ,
        callback=remember_zone,
        metavar="ZONE",
        help="Show times in this zone, to the second: +03:00, Europe/Minsk, UTC (default: "
        "$CUSTODY_TZ, else UTC; --json keeps times as recorded).",
    )(func)


def zone(tz: str | None) -> tzinfo | None:
    """The display zone --tz names (None: UTC)."""
    return parse_zone(tz) if tz else None


def selection_options(func: F) -> F:
    """ITEMS... (ids, unique prefixes, comma lists) or --case CASE --all."""
    func = click.option("--all", "all_items", is_flag=True, help="Every item of --case.")(func)
    func = click.option("--case", "case", help="The items' case (with --all: all its items).")(func)
    return click.argument("items", nargs=-1)(func)


def select_items(
    ws: Workspace,
    refs: Sequence[str],
    case: str | None,
    all_items: bool,
    problems: Problems | None = None,
    *,
    analyses: bool = True,
) -> list[Item]:
    """The items a command line names: ids or unique prefixes, comma lists, or --case --all
    (without analyses: as their rows hold them, items.select).

    Every unknown or ambiguous reference is collected in problems (raised here without one).
    """
    own = problems is None
    found = problems or Problems()
    names = split_refs(refs)
    chosen: list[Item] = []
    if not all_items:
        chosen = select(ws.ledger, case, names, errors=found.errors, analyses=analyses)
    elif case is None:
        found.add("--all needs --case CASE", "e.g. --case BY-2026-0042 --all")
    elif names:
        with found.check():
            get_case(ws.ledger, case)
        found.add("give item ids or --all, not both")
    else:
        chosen = select(ws.ledger, case, None, errors=found.errors, analyses=analyses)
    if own:
        found.raise_any()
    return chosen
