"""Who decides what: the library enforces a key's right to sign, only the CLI reads the
environment, and secrets stay out of reprs."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.bundle.build import build_bundle
from evidence.errors import UsageError
from evidence.ledger import BUSY_TIMEOUT_MS
from evidence.timestamp import tsa_url
from evidence.trust.authority import local_authority, revoke_key
from evidence.workspace import DEFAULT_DIR, AuthoritySetup, Workspace, locate
from tests.bundle.bundle_support import REQUEST
from tests.helpers import CASE, PASSPHRASE, World


def _never() -> str:
    raise AssertionError("the passphrase was asked for")


def test_library_refuses_an_unenrolled_signer_before_the_passphrase(world: World) -> None:
    record = world.ws.keys.create("Late Joiner", "IC", "BY", "expert", PASSPHRASE, enrol=False)
    with pytest.raises(UsageError, match="'Late Joiner' may not sign: ") as refused:
        world.ws.keys.signer(record, _never)
    assert refused.value.exit_code == 2 and "custody key enrol" in refused.value.diagnostics()
    # Its CSR is how it asks to be vouched for: that key may be unlocked.
    assert world.ws.keys.signer(record, lambda: PASSPHRASE, to_sign=False).record == record
    enrolled = world.ws.keys.signer(world.expert.record, lambda: PASSPHRASE)
    assert enrolled.record == world.expert.record


def test_library_refuses_a_bundle_signed_by_a_revoked_key(
    world: World, evidence_dir: Path, tmp_path: Path
) -> None:
    world.ingest(evidence_dir)
    authority = local_authority(world.ws.keys)
    assert authority is not None
    root = world.ws.keys.unlock(authority, PASSPHRASE)
    revoke_key(world.ws.keys, root, world.custodian.record, "left the unit")
    out = tmp_path / "b.zip"
    with pytest.raises(UsageError, match=r"'Evidence Room' may not sign a bundle: .*revocation"):
        build_bundle(world.ws, world.custodian, CASE, out, REQUEST)
    assert not out.exists()


def test_the_library_reads_no_environment(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CUSTODY_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("CUSTODY_TSA_URL", "http://tsa.example/")
    monkeypatch.setenv("CUSTODY_BUSY_TIMEOUT_MS", "not a number")
    assert locate(None) == Path(DEFAULT_DIR)
    assert tsa_url(None) is None
    ws = Workspace.open(world.ws.root)  # the variable is the CLI's to read, not the library's
    ws.close()
    # The CLI reads them and passes them down.
    runner = CliRunner()
    refused = runner.invoke(cli, ["--workspace", str(world.ws.root), "audit"])
    assert refused.exit_code == 2
    assert "CUSTODY_BUSY_TIMEOUT_MS='not a number' is not a number" in refused.stderr
    monkeypatch.setenv("CUSTODY_BUSY_TIMEOUT_MS", str(BUSY_TIMEOUT_MS))
    monkeypatch.setenv("CUSTODY_HOME", str(world.ws.root))
    shown = runner.invoke(cli, ["case", "list", "--json"])
    assert shown.exit_code == 0 and CASE in shown.stdout, shown.output


def test_authority_setup_repr_hides_its_passphrase() -> None:
    setup = AuthoritySetup("Evidence Room", "very secret passphrase")
    assert "very secret passphrase" not in repr(setup)
    assert "very secret passphrase" not in str(setup)
    assert "Evidence Room" in repr(setup)


def test_importing_the_library_changes_nothing_global() -> None:
    """Every library module imported in a fresh interpreter: logging is as Python left it."""
    code = """
import logging, pkgutil, importlib, evidence
before = {n: (logging.getLogger(n).propagate, list(logging.getLogger(n).handlers))
          for n in ("pyhanko", "pyhanko_certvalidator", "")}
for info in pkgutil.walk_packages(evidence.__path__, "evidence."):
    if not info.name.startswith("evidence.cli"):
        importlib.import_module(info.name)
after = {n: (logging.getLogger(n).propagate, list(logging.getLogger(n).handlers))
         for n in before}
assert before == after, (before, after)
print("unchanged")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "unchanged" in done.stdout, done.stderr


def _check_face(face: Path) -> None:
    """A package's __init__ defines nothing and lists in __all__ what it imports; or, for a
    face that hands its names on when first asked for (PEP 562: evidence.report, so that
    `custody verify` does not load reportlab), its one function is that __getattr__, its
    table names exactly __all__, and every listed name is the one of the module it names."""
    tree = ast.parse(face.read_text())
    package = f"evidence.{face.parent.name}"
    module = importlib.import_module(package)
    listed = set(getattr(module, "__all__", []))
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    if defined == ["__getattr__"]:
        assert set(module._WHERE) == listed, face
        for name in listed:
            home = importlib.import_module(f"{package}.{module._WHERE[name]}")
            assert getattr(module, name) is getattr(home, name), (face, name)
        return
    assert defined == [], (face, defined)
    imported = {
        a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names
    } - {"annotations"}
    assert imported == listed, face


@pytest.mark.parametrize("package", ["audit", "bundle", "ledger", "report", "timestamp", "trust"])
def test_package_faces_only_hand_names_on(package: str) -> None:
    _check_face(Path(__file__).parent.parent / "evidence" / package / "__init__.py")


def test_every_package_face_only_hands_names_on() -> None:
    """Every package of the library, not only the ones named above."""
    for face in sorted((Path(__file__).parent.parent / "evidence").glob("*/__init__.py")):
        _check_face(face)
