"""`custody verify` runs where POSIX-only modules are absent (a recipient on Windows): nothing
on its path imports fcntl, pwd or grp."""

from __future__ import annotations

import subprocess
import sys

from tests.bundle.hostile_zips import GOLDEN, GOLDEN_FINGERPRINT

# In a fresh interpreter: any import of fcntl, pwd or grp by our code fails as on Windows
# (the standard library's own POSIX branches, e.g. subprocess, are left alone).
CHILD = """
import builtins, sys
real = builtins.__import__
def guarded(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__", "")
    if name.split(".")[0] in ("fcntl", "pwd", "grp") and importer.startswith("evidence"):
        raise ImportError(f"{name} is POSIX-only (imported by {importer})")
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = guarded
from click.testing import CliRunner
from evidence.cli.main import cli
result = CliRunner().invoke(cli, ["verify", sys.argv[1], "--fingerprint", sys.argv[2], "--json"])
if result.exception is not None and not isinstance(result.exception, SystemExit):
    raise result.exception
sys.stdout.write(result.stdout)
sys.exit(result.exit_code)
"""


def test_verify_imports_nothing_posix_only() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(GOLDEN), GOLDEN_FINGERPRINT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"status": "verified"' in done.stdout
