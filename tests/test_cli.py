"""The CLI end to end through click's CliRunner: output, --json, and every exit code."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from evidence.cli.main import cli

from tests.helpers import DATA, PASSPHRASE

CASE = "BY-2026-0042"


class Shell:
    """Runs `custody` against one workspace with a passphrase in the environment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def __call__(
        self, *args: str, code: int = 0, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        full_env = {"CUSTODY_PASSPHRASE": PASSPHRASE, **(env or {})}
        result = self.runner.invoke(
            cli,
            ["--workspace", str(self.root), *args],
            input=stdin,
            env=full_env,
            catch_exceptions=False,
        )
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        if code in (2, 3):
            assert result.stderr.count("\n") <= 4, result.stderr  # short error, no traceback
            assert "Traceback" not in result.stderr
        return result


@pytest.fixture
def sh(tmp_path: Path) -> Shell:
    shell = Shell(tmp_path / "ws")
    shell("init")
    for name, role in (
        ("A. Ivanov", "investigator"),
        ("Evidence Room", "custodian"),
        ("P. Sidorov", "expert"),
    ):
        shell(
            "key",
            "new",
            "--name",
            name,
            "--org",
            "Investigative Committee",
            "--country",
            "BY",
            "--role",
            role,
        )
    shell("case", "new", CASE, "--title", "VK account takeover, card theft", "--jurisdiction", "BY")
    return shell


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "seized" / "IMG_0001.jpg"
    path.parent.mkdir()
    path.write_bytes((DATA / "images" / "Apple.jpg").read_bytes())
    return path


def _ingest(
    sh: Shell,
    *paths: Path,
    options: tuple[str, ...] = (),
    code: int = 0,
    env: dict[str, str] | None = None,
) -> Result:
    """custody ingest PATHS as A. Ivanov into the test case, with extra options."""
    args = ["ingest", *map(str, paths), "--case", CASE, "--as", "A. Ivanov"]
    return sh(*args, "--source", "Samsung A51", *options, code=code, env=env)


def _item_id(sh: Shell) -> str:
    return str(json.loads(sh("item", "list", "--json").stdout)[0]["item_id"])


def test_every_command_has_help_with_text() -> None:
    ctx = click.Context(cli)

    def walk(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
        out = []
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            out.append(([*prefix, name], command))
            if isinstance(command, click.Group):
                out += walk(command, [*prefix, name])
        return out

    runner = CliRunner()
    commands = walk(cli, [])
    assert len(commands) > 20
    for path, command in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert command.help and len(command.help) > 20, f"{path} has no real help text"
    listing = runner.invoke(cli, ["--help"]).stdout
    assert all(name in listing for name in cli.list_commands(ctx))


def test_init_key_case_and_listing(sh: Shell) -> None:
    keys = json.loads(sh("key", "list", "--json").stdout)
    names = ["Workspace authority", "A. Ivanov", "Evidence Room", "P. Sidorov"]
    assert [k["name"] for k in keys] == names
    shown = sh("key", "show", keys[1]["fingerprint"][:12]).stdout
    assert "Investigative Committee" in shown and keys[1]["fingerprint"] in shown
    pem = sh("key", "export", "A. Ivanov").stdout
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    csr = sh("key", "csr", "A. Ivanov").stdout
    assert csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert CASE in sh("case", "list").stdout
    assert json.loads(sh("case", "show", CASE, "--json").stdout)["items"] == 0


def test_key_new_prompts_for_passphrase_twice(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    init = runner.invoke(cli, ["--workspace", ws, "init"], input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert init.exit_code == 0, init.stderr
    args = [
        "--workspace",
        ws,
        "key",
        "new",
        "--name",
        "X",
        "--org",
        "O",
        "--country",
        "BY",
        "--role",
        "expert",
    ]
    # The new key's passphrase twice, then the authority's, which enrols it.
    result = runner.invoke(cli, args, input=f"{PASSPHRASE}\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    assert "key created: X" in result.stdout
    assert "enrolled by: Workspace authority" in result.stdout


def test_ingest_table_json_and_item_show(sh: Shell, photo: Path) -> None:
    out = _ingest(sh, photo)
    assert "ingested" in out.stdout and "IMG_0001.jpg" in out.stdout
    again = _ingest(sh, photo, options=("--json",))
    summary = json.loads(again.stdout)
    assert summary["existing"] == 1 and summary["ingested"] == 0
    item = _item_id(sh)
    shown = sh("item", "show", item[:6]).stdout
    assert "Samsung A51" in shown and "sha512:" in shown
    assert json.loads(sh("item", "show", item, "--json").stdout)["metadata"]["EXIF:Make"] == "Apple"


def test_custody_story_transfer_receive_log_checkpoint_audit(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    sh(
        "transfer",
        item,
        "--as",
        "A. Ivanov",
        "--to",
        "Evidence Room",
        "--location",
        "Минск, ул. Сурганова 2",
        "--purpose",
        "storage",
    )
    log = sh("log", item).stdout
    assert "PENDING" in log and "A. Ivanov -> Evidence Room" in log
    sh("event", item, "--action", "analysed", "--as", "P. Sidorov", "--purpose", "EXIF exam")
    sh("receive", item, "--as", "Evidence Room")
    log = sh("log", "--case", CASE).stdout
    assert "PENDING" not in log
    assert re.search(r"P\. Sidorov \[[0-9a-f]{8}\] NOT CUSTODIAN", log)
    assert "Минск, ул. Сурганова 2" in log
    timeline = json.loads(sh("log", item, "--json").stdout)[0]
    assert timeline["holder"] == "Evidence Room"
    assert [e["action"] for e in timeline["events"]] == [
        "ingested",
        "profiled",
        "transferred",
        "analysed",
        "received",
    ]
    assert all(e["signature_ok"] for e in timeline["events"])
    cp = sh("checkpoint", "--as", "Evidence Room").stdout
    assert "checkpoint #1" in cp
    audit = sh("audit", "--fixity")
    assert "fixity" in audit.stdout and "FAILED" not in audit.stdout
    assert json.loads(sh("audit", "--json").stdout)["ok"] is True


def test_audit_exit_1_lists_problems(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = replace(body, 'Samsung A51', 'Nokia 3310')")
    conn.commit()
    result = sh("audit", code=1)
    assert "FAILED" in result.stdout and "event edited?" in " ".join(result.stdout.split())
    assert "audit failed" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["case", "show", "NOPE"], 3, "unknown case 'NOPE'"),
        (["item", "show", "ffffffff"], 3, "unknown item"),
        (["item", "show", "ab"], 2, "too short"),
        (["case", "new", "BAD NUMBER!", "--title", "t", "--jurisdiction", "BY"], 2, "not valid"),
        (["case", "new", CASE, "--title", "t", "--jurisdiction", "BY"], 2, "exists already"),
        (["key", "show", "nobody"], 3, "unknown key"),
        (["event", "abcdef", "--action", "stolen", "--as", "A. Ivanov"], 2, "Invalid value"),
        (["log"], 2, "no items given"),
        (
            ["key", "new", "--name", "Y", "--org", "O", "--country", "BY", "--role", "expert"],
            2,
            "too short",
        ),
    ],
)
def test_usage_and_operational_errors(sh: Shell, args: list[str], code: int, message: str) -> None:
    env = {"CUSTODY_PASSPHRASE": "short"} if "new" in args and "key" in args else None
    result = sh(*args, code=code, env=env)
    assert message in result.stderr


def test_wrong_passphrase_exit_3_nothing_written(sh: Shell, photo: Path) -> None:
    result = _ingest(sh, photo, code=3, env={"CUSTODY_PASSPHRASE": "wrong passphrase!"})
    assert "wrong passphrase" in result.stderr
    assert json.loads(sh("item", "list", "--json").stdout) == []


def test_no_passphrase_and_no_terminal(sh: Shell, photo: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--workspace",
            str(sh.root),
            "ingest",
            str(photo),
            "--case",
            CASE,
            "--as",
            "A. Ivanov",
            "--source",
            "s",
        ],
        input="",
    )
    assert result.exit_code == 3
    assert "no passphrase given" in result.stderr


def test_no_signing_key(sh: Shell, photo: Path) -> None:
    result = sh("ingest", str(photo), "--case", CASE, "--source", "s", code=2)
    assert "no signing key" in result.stderr
    sh("ingest", str(photo), "--case", CASE, "--source", "s", env={"CUSTODY_KEY": "A. Ivanov"})


def test_missing_file_and_fifo(sh: Shell, tmp_path: Path) -> None:
    result = _ingest(sh, tmp_path / "nope.jpg", code=3)
    assert "nope.jpg: no such file" in result.stderr
    os.mkfifo(tmp_path / "pipe")
    assert "pipe: not a regular file" in _ingest(sh, tmp_path / "pipe", code=3).stderr
    assert json.loads(sh("item", "list", "--json").stdout) == []


def test_receive_without_pending_and_transfer_to_self(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    assert "no pending transfer" in sh("receive", item, "--as", "Evidence Room", code=2).stderr
    assert (
        "oneself" in sh("transfer", item, "--as", "A. Ivanov", "--to", "A. Ivanov", code=2).stderr
    )
    assert (
        "not its custodian"
        in sh("transfer", item, "--as", "P. Sidorov", "--to", "Evidence Room", code=2).stderr
    )
    assert len(json.loads(sh("log", item, "--json").stdout)[0]["events"]) == 2  # ingest, profile


def test_locked_ledger_exit_3(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    blocker = sqlite3.connect(sh.root / "ledger.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = sh(
            "event",
            item,
            "--action",
            "accessed",
            "--as",
            "A. Ivanov",
            code=3,
            env={"CUSTODY_BUSY_TIMEOUT_MS": "100"},
        )
        assert "ledger is locked" in result.stderr
    finally:
        blocker.execute("ROLLBACK")


def test_foreign_ledger_exit_3(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "ledger.db").write_text("hello")
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "case", "list"])
    assert result.exit_code == 3
    assert "not a custody ledger" in result.stderr


def test_console_script_maps_exit_codes(tmp_path: Path) -> None:
    custody = Path(sys.executable).parent / "custody"
    env = {**os.environ, "CUSTODY_HOME": str(tmp_path / "none")}
    proc = subprocess.run([str(custody), "case", "list"], capture_output=True, text=True, env=env)
    assert proc.returncode == 3
    assert proc.stderr.startswith("custody: error:") and "no workspace here" in proc.stderr
    proc = subprocess.run([str(custody), "frobnicate"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2


def test_identifiers_table_json_and_csv(sh: Shell, tmp_path: Path) -> None:
    chat = tmp_path / "WhatsApp Chat with Марына.txt"
    chat.write_text(
        "02.11.2026, 10:17 - Марына: Патэлефануй мне +375 29 765-43-21\n"
        "02.11.2026, 10:18 - Алесь: Мой профіль https://m.vk.com/id987654321?from=feed\n"
        "02.11.2026, 10:19 - Алесь: Пішы на Ales.N@Mail.RU\n",
        encoding="utf-8",
    )
    _ingest(sh, chat)
    item = _item_id(sh)
    rows = json.loads(sh("identifiers", "--case", CASE, "--json").stdout)
    values = {(r["kind"], r["value"]) for r in rows}
    assert ("phone", "+375297654321") in values
    assert ("url", "https://vk.com/id987654321") in values
    assert ("email", "ales.n@mail.ru") in values
    assert all(r["item_ids"] == [item] for r in rows)
    table_out = sh("identifiers", "--case", CASE).stdout
    assert "+375297654321" in table_out and item in table_out
    csv_out = sh("identifiers", "--case", CASE, "--csv").stdout
    assert csv_out.splitlines()[0].startswith("kind,value")
    assert sh("identifiers", "--case", "NOPE", code=3).stderr.startswith(
        "custody: error: unknown case"
    )


def test_passed_over_files_are_named_even_with_quiet(sh: Shell, tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    (root / "good.txt").write_text("evidence")
    (root / "link.txt").symlink_to(root / "good.txt")
    os.mkfifo(root / "pipe")
    result = _ingest(sh, root, options=("-q",))
    assert "skipped: " in result.stderr and "link.txt: symbolic link" in result.stderr
    assert "pipe: not a regular file" in result.stderr


def test_control_characters_in_names_are_escaped_for_people(sh: Shell, tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    (root / "a\nFAKE ROW.txt").write_text("one")
    (root / "esc\x1b[31mRED.txt").write_text("two")
    _ingest(sh, root)
    listing = sh("item", "list", "--case", CASE).stdout
    assert "a\\nFAKE ROW.txt" in listing and "esc\\x1b[31mRED.txt" in listing
    assert "\x1b" not in listing and len(listing.splitlines()) == 4
    names = {i["original_name"] for i in json.loads(sh("item", "list", "--json").stdout)}
    assert names == {"a\nFAKE ROW.txt", "esc\x1b[31mRED.txt"}  # stored exactly


def test_out_of_range_acquisition_time_is_a_usage_error(sh: Shell, photo: Path) -> None:
    result = _ingest(sh, photo, options=("--acquired-at", "0001-01-01T00:00:00+01:00"), code=2)
    assert "out of range" in result.stderr


def test_commands_on_a_damaged_ledger_say_so_with_exit_1(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    conn = sqlite3.connect(sh.root / "ledger.db")
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = 42")
    conn.commit()
    for args in (["log", item], ["report", CASE, "-o", str(sh.root.parent / "r.pdf")]):
        result = sh(*args, code=1)
        assert "is damaged" in result.stderr and "custody audit" in result.stderr
    assert "event body is not a JSON object" in sh("audit", code=1).stdout


def test_output_survives_lone_surrogates_and_controls() -> None:
    from evidence.cli.output import emit_json, note, printable, table

    assert printable("a\ud800b\x1bc") == "a\\ud800b\\x1bc"

    @click.command()
    def show() -> None:
        emit_json({"name": "bad\ud800name"})
        click.echo(table(["NAME"], [["x\ud800"]]))
        note("skipped: \ud800")

    result = CliRunner().invoke(show)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.split("\n}\n")[0] + "\n}")["name"] == "bad\ud800name"
    assert "x\\ud800" in result.stdout and "skipped: \\ud800" in result.stderr


def test_checkpoint_refuses_a_ledger_that_lost_items_exit_1(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    sh("checkpoint", "--as", "Evidence Room")
    conn = sqlite3.connect(sh.root / "ledger.db")
    for trigger in ("events_no_delete", "items_no_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DELETE FROM events")
    conn.execute("DELETE FROM items")
    conn.commit()
    result = sh("checkpoint", "--as", "Evidence Room", code=1)
    assert "refusing to checkpoint" in result.stderr and "item deleted" in result.stderr


def test_ingest_starts_exiftool_early_and_always_stops_it(
    sh: Shell, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process started before the workspace opens is the one the ingest uses (no second
    # start for one image), and it ends with the command, whether the ingest ran or a usage
    # problem, a missing file or a wrong passphrase stopped it first.
    import evidence.metadata as metadata_module

    started: list[metadata_module.ExiftoolProcess] = []
    real_init = metadata_module._Process.__init__

    def recording(self: metadata_module.ExiftoolProcess) -> None:
        real_init(self)
        started.append(self)

    monkeypatch.setattr(metadata_module._Process, "__init__", recording)
    _ingest(sh, photo)
    assert len(started) == 1
    assert (
        "File:FileType" in json.loads(sh("item", "show", _item_id(sh), "--json").stdout)["metadata"]
    )
    for failing in (
        lambda: _ingest(sh, photo, options=("--acquired-at", "yesterday"), code=2),
        lambda: _ingest(sh, tmp_path / "nope.jpg", code=3),
        lambda: _ingest(sh, photo, code=3, env={"CUSTODY_PASSPHRASE": "wrong passphrase!"}),
    ):
        failing()
    assert len(started) == 4
    assert all(p.proc.poll() is not None for p in started)  # none left running
