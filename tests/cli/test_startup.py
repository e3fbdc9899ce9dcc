"""`custody --version`, `--help` and a mistyped command start without loading the library."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest
from evidence.cli.main import COMMANDS, SUMMARIES, cli

# What a command run loads and a start-up must not: each is tens of milliseconds.
HEAVY = (
    "evidence.cli.common",
    "evidence.ledger",
    "evidence.keys",
    "cryptography",
    "sqlite3",
    "sqlite_utils",
    "jsonschema",
    "psycopg",
    "reportlab",
    "exiftool",
)

PROBE = """
import sys
from evidence.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="custody")
except SystemExit as done:
    code = done.code
heavy = sorted({name.split(".")[0] if not name.startswith("evidence") else name
                for name in sys.modules if name.startswith(HEAVY)})
print("CODE", code, "HEAVY", heavy, file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--version"], 0), (["--help"], 0), (["-h"], 0), (["no-such-command"], 2), ([], 2)],
)
def test_start_up_loads_no_library(args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.splitlines()[-1] == f"CODE {code} HEAVY []"


def test_every_command_has_its_docstring_as_summary() -> None:
    ctx = click.Context(cli)
    assert list(SUMMARIES) == list(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.short_help is None
        first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
        assert SUMMARIES[name] == first, f"cli/main.py SUMMARIES[{name!r}] should be {first!r}"


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_lists_commands_exactly_as_click_would(width: int) -> None:
    ctx = click.Context(cli, terminal_width=width, max_content_width=width)
    ours = click.HelpFormatter(width=width)
    cli.format_commands(ctx, ours)
    clicks = click.HelpFormatter(width=width)
    click.Group.format_commands(cli, ctx, clicks)
    assert ours.getvalue() == clicks.getvalue()
    assert "ledger" in ours.getvalue()


def test_a_command_without_summary_is_still_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(SUMMARIES, "verify")
    formatter = click.HelpFormatter(width=80)
    cli.format_commands(click.Context(cli), formatter)
    assert "verify       Verify a bundle (zip or unzipped folder); needs no workspace." in (
        formatter.getvalue()
    )


LOADED = """
import sys
from evidence.cli.main import cli
import click
cli.get_command(click.Context(cli), sys.argv[1])
print(sorted(name for name in sys.modules if name.startswith(tuple(sys.argv[2:]))))
"""


@pytest.mark.parametrize(
    ("command", "not_loaded"),
    [
        # verify hashes first: the checks after the hashing (x509, CMS, the manifest, log and
        # trust readers: bundle/bagchecks.py) are imported beside it (bundle/verify.py,
        # _prepare); the excerpt check (and the profile parsers its record split uses) only
        # for a manifest that lists excerpts
        (
            "verify",
            [
                *("evidence.profiles", "evidence.excerpt", "evidence.witness", "reportlab"),
                *("cryptography", "asn1crypto", "evidence.bundle.bagchecks"),
                *("evidence.bundle.manifest", "evidence.bundle.signer", "evidence.workspace"),
                *("evidence.ledger", "evidence.keys", "evidence.trust", "evidence.tlog"),
            ],
        ),
        # ingest starts exiftool first: the parsers, the ledger and the keys load meanwhile
        (
            "ingest",
            ["evidence.profiles.build", "evidence.ingest", "evidence.workspace", "exiftool"],
        ),
        # a PostgreSQL writer: no witness client (urllib, ssl), no server (http.server), no
        # cosignature check (for `checkpoint --witness-key`)
        (
            "event",
            [
                *("evidence.profiles", "evidence.witness", "urllib.request", "http.server"),
                "evidence.tlog.cosignature",
            ],
        ),
    ],
)
def test_loading_a_command_leaves_out_what_its_work_does_not_need(
    command: str, not_loaded: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, command, *not_loaded],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"


BEFORE_HASHING = """
import sys
import evidence.bundle.verify as verify

def extract(*args, **kwargs):
    print(sorted(name for name in sys.modules if name.startswith(tuple(sys.argv[2:]))))
    raise SystemExit(0)

verify.extract = extract
verify._prepare = lambda: None  # the thread that imports the later checks meanwhile
from evidence.cli.main import cli
cli(["verify", sys.argv[1], "--quiet"])
"""


def test_verify_starts_hashing_before_loading_the_checks_after_it() -> None:
    # Run, not only loaded: what the command itself imports before the zip is read and hashed.
    bundle = Path(__file__).parent.parent / "data" / "bundles" / "request-v1.zip"
    heavy = ["cryptography", "asn1crypto", "evidence.bundle.bagchecks", "evidence.workspace"]
    done = subprocess.run(
        [sys.executable, "-c", BEFORE_HASHING, str(bundle), *heavy],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
