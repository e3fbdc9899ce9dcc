"""The small traps: Cyrillic case numbers, invented country codes, the getpass warning, name
prefixes for keys, options checked before the passphrase, and DEMO_DIR deleting a folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from evidence.cli.main import cli

from tests.bundle.bundle_support import REQUEST_ARGS
from tests.test_cli import Shell

REPO = Path(__file__).resolve().parents[2]


def many_problems(sh: Shell, *args: str) -> Result:
    """Run a command line expected to have several problems: exit 2, no passphrase asked."""
    result = sh.runner.invoke(cli, ["--workspace", str(sh.root), *args], catch_exceptions=False)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "passphrase" not in result.stderr.lower() and "Traceback" not in result.stderr
    return result


def test_cyrillic_case_number_is_accepted_and_found(sh: Shell) -> None:
    sh("case", "new", "УД-2026-0042", "--title", "Кража с карты", "--jurisdiction", "by")
    assert "УД-2026-0042" in sh("case", "list").stdout
    # The same number typed with a decomposed Й is the same case, not a second one.
    sh("case", "new", "ЙЙ-1", "--title", "t", "--jurisdiction", "BY")
    assert json.loads(sh("case", "show", "И\u0306Й-1", "--json").stdout)["number"] == "ЙЙ-1"


def test_a_cyrillic_case_travels_in_a_bundle_that_verifies(
    sh: Shell, photo: Path, tmp_path: Path
) -> None:
    sh("case", "new", "УД-2026-0042", "--title", "Кража", "--jurisdiction", "BY")
    sh("ingest", str(photo), "--case", "УД-2026-0042", "--source", "телефон", "--as", "A. Ivanov")
    sh("key", "new", "--name", "Прокурор", "--org", "ГП", "--country", "BY", "--role", "prosecutor")
    out = tmp_path / "request-12-4.zip"  # Cyrillic bundle names: issue 10
    sh("bundle", "УД-2026-0042", "--as", "Прокурор", "-o", str(out), *REQUEST_ARGS)
    fpr = json.loads(sh("key", "show", "Прок", "--json").stdout)["fingerprint"]
    sh("verify", str(out), "--fingerprint", fpr, "-q")


def test_case_number_with_control_or_bidi_characters_is_refused(sh: Shell) -> None:
    for bad in ("BY\u202e2026", "BY 2026", "_BY", "BY\x1b[31m"):
        result = sh("case", "new", bad, "--title", "t", "--jurisdiction", "BY", code=2)
        assert "letters (of any alphabet)" in result.stderr


def test_unassigned_country_codes_are_refused(sh: Shell) -> None:
    for option in (("key", "new", "--name", "X", "--org", "O", "--role", "expert", "--country"),):
        for code in ("XX", "EU", "Belarus"):
            result = sh(*option, code, code=2)
            assert "ISO 3166-1 alpha-2" in result.stderr
    bad_case = sh("case", "new", "KZ-1", "--title", "t", "--jurisdiction", "XX", code=2)
    assert "ISO 3166-1 alpha-2" in bad_case.stderr
    sh("key", "new", "--name", "Y", "--org", "O", "--role", "expert", "--country", "kz")


def test_key_new_checks_every_option_before_asking_for_a_passphrase(sh: Shell) -> None:
    # No passphrase in the environment and nothing on stdin: a prompt would show in stderr.
    result = many_problems(
        sh,
        "key",
        "new",
        "--name",
        " ",
        "--org",
        "",
        "--country",
        "Belarus",
        "--role",
        "expert",
    )
    assert "3 problems" in result.stderr
    assert "key name" in result.stderr and "--org" in result.stderr and "Belarus" in result.stderr


def test_missing_options_are_reported_together(sh: Shell) -> None:
    result = many_problems(sh, "ingest", "x", "--type", "photo-album")
    assert "3 problems" in result.stderr
    for what in ("'--case'", "'--source'", "'--type'"):
        assert what in result.stderr


def test_ingest_problems_reported_together_before_the_passphrase(sh: Shell, tmp_path: Path) -> None:
    result = many_problems(
        sh,
        "ingest",
        str(tmp_path / "missing"),
        "--case",
        "NO-SUCH",
        "--source",
        " ",
        "--acquired-at",
        "02.11.2026 14:30",
        "--as",
        "Nobody",
    )
    assert "5 problems" in result.stderr
    for what in ("--source", "02.11.2026", "NO-SUCH", "missing", "Nobody"):
        assert what in result.stderr


def test_key_show_finds_a_unique_start_of_a_name_in_any_script(sh: Shell) -> None:
    sh("key", "new", "--name", "Петрова Е.", "--org", "ГКСЭ", "--country", "BY", "--role", "expert")
    assert "Петрова Е." in sh("key", "show", "Петрова").stdout
    assert "Петрова Е." in sh("key", "show", "петрова е").stdout
    sh("key", "new", "--name", "Петров А.", "--org", "ГКСЭ", "--country", "BY", "--role", "expert")
    ambiguous = sh("key", "show", "Петров", code=2)
    assert "ambiguous" in ambiguous.stderr and "Петрова Е., Петров А." in ambiguous.stderr


def test_no_getpass_warning_without_a_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    custody = [str(Path(sys.executable).parent / "custody"), "--workspace", str(tmp_path / "ws")]
    phrase = "correct horse battery\n"
    made = subprocess.run(
        [*custody, "init"],  # the authority key's passphrase, read without a terminal
        input=phrase * 2,
        capture_output=True,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert made.returncode == 0, made.stderr
    assert "Warning" not in made.stderr and "echo" not in made.stderr, made.stderr
    done = subprocess.run(
        [
            *custody,
            "key",
            "new",
            "--name",
            "A",
            "--org",
            "O",
            "--country",
            "BY",
            "--role",
            "expert",
        ],
        input=phrase * 3,  # the new key's twice, then the authority's to enrol it
        capture_output=True,
        text=True,
        env=env,
        start_new_session=True,  # no controlling terminal, as under cron or a CI runner
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "echo" not in done.stderr, done.stderr


def test_demo_refuses_to_delete_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "case-files"
    precious.mkdir()
    (precious / "protocol.pdf").write_bytes(b"%PDF-1.7 the only copy")
    done = subprocess.run(
        ["bash", str(REPO / "demo" / "demo.sh")],
        env={**os.environ, "DEMO_DIR": str(precious)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "not made by the demo" in done.stderr
    assert (precious / "protocol.pdf").read_bytes() == b"%PDF-1.7 the only copy"


def test_audit_anchor_in_short_form_is_a_usage_error(sh: Shell) -> None:
    """The 16 hex digits `key list` shows are no anchor: exit 2 naming --anchor, not "root
    replaced" (exit 1); the full fingerprint, in openssl's colon form too, is accepted."""
    keys = json.loads(sh("key", "list", "--json").stdout)
    (root,) = [k["fingerprint"] for k in keys if k["trust"] == "root"]
    short = sh("audit", "--anchor", root[:16], code=2)
    assert "--anchor" in short.stderr and "16 hex digits, 64 needed" in short.stderr
    assert "replaced" not in short.stderr
    colon = ":".join(root[i : i + 2] for i in range(0, 64, 2)).upper()
    sh("audit", "--anchor", colon)


def test_a_wrong_authority_passphrase_names_its_variable(sh: Shell) -> None:
    env = {"CUSTODY_AUTHORITY_PASSPHRASE": "not the authority's passphrase"}
    args = ("--org", "IC", "--country", "BY", "--role", "investigator")
    wrong = sh("key", "new", "--name", "B. Volkov", *args, env=env, code=3)
    assert "wrong passphrase" in wrong.stderr and "(the authority's key)" in wrong.stderr
    assert "check $CUSTODY_AUTHORITY_PASSPHRASE" in wrong.stderr
    revoke = sh("key", "revoke", "A. Ivanov", "--reason", "left", env=env, code=3)
    assert "check $CUSTODY_AUTHORITY_PASSPHRASE" in revoke.stderr


def test_init_remembers_the_vault_and_never_a_password(tmp_path: Path) -> None:
    from evidence.workspace import without_password

    vault = tmp_path / "shared-vault"
    sh = Shell(tmp_path / "ws")
    sh("init", "--vault", str(vault))
    recorded = json.loads((tmp_path / "ws" / "workspace.json").read_text())
    assert recorded == {"ledger": None, "vault": str(vault)}
    # Later commands find it without --vault or $CUSTODY_VAULT: a key, a case, an ingest land
    # in the shared vault.
    sh("key", "new", "--name", "A. Ivanov", "--org", "IC", "--country", "BY", "--role", "expert")
    sh("case", "new", "BY-1", "--title", "t", "--jurisdiction", "BY")
    (tmp_path / "f.txt").write_text("seized\n")
    sh("ingest", str(tmp_path / "f.txt"), "--case", "BY-1", "--as", "A. Ivanov", "--source", "s")
    assert list((vault / "sha256").rglob("*")) and not (tmp_path / "ws" / "vault").exists()
    url = "postgresql://admin:s3cret@db.agency.local:5433/custody?sslmode=require"
    assert (
        without_password(url) == "postgresql://admin@db.agency.local:5433/custody?sslmode=require"
    )
