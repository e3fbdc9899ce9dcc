"""Helpers for bundle tests: requests, tampering with a built bundle, running the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from evidence.cli.main import cli

from evidence.bundle.build import BundleResult
from evidence.bundle.manifest import MlaRequest
from evidence.keys import Signer
from tests.helpers import World

REQUEST = MlaRequest(
    reference="No. 12/4-2026",
    legal_basis="Minsk Convention 1993",
    requesting_authority="Prosecutor General's Office of the Republic of Belarus",
    requested_state="RU",
    addressee="Prosecutor General's Office of the Russian Federation",
    date="2026-11-25",
)
REQUEST_ARGS = [
    "--request-ref",
    REQUEST.reference,
    "--legal-basis",
    REQUEST.legal_basis,
    "--requesting-authority",
    REQUEST.requesting_authority,
    "--requested-state",
    REQUEST.requested_state,
    "--addressee",
    REQUEST.addressee,
    "--request-date",
    REQUEST.date,
]
BAGIT_PY = Path(sys.executable).parent / "bagit.py"
CUSTODY = Path(sys.executable).parent / "custody"


@dataclass
class Built:
    """A workspace with ingested evidence and one bundle built from it."""

    world: World
    prosecutor: Signer
    zip_path: Path
    result: BundleResult


def unzip(archive: Path, dest: Path) -> Path:
    """Extract one of our own (trusted) bundles; returns the bag folder inside dest."""
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
        top = zf.namelist()[0].split("/")[0]
    return dest / top


def rezip(bag: Path, archive: Path) -> Path:
    """Zip a bag folder back the way we ship it: one top-level folder."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                zf.write(path, f"{bag.name}/{path.relative_to(bag).as_posix()}")
    return archive


def refresh_bag(bag: Path) -> None:
    """Rewrite the BagIt manifests after tampering, as a careful attacker would."""
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        lines = [
            f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bag).as_posix()}"
            "\n"
            for p in payload
        ]
        (bag / f"manifest-{algorithm}.txt").write_text("".join(lines))
    size = sum(p.stat().st_size for p in payload)
    info = (bag / "bag-info.txt").read_text().splitlines()
    info = [
        f"Payload-Oxum: {size}.{len(payload)}" if ln.startswith("Payload-Oxum") else ln
        for ln in info
    ]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    # Tag files: every file outside data/ (log/ included) but the tag manifests themselves.
    tags = sorted(
        p
        for p in bag.rglob("*")
        if p.is_file()
        and p.relative_to(bag).parts[0] != "data"
        and not p.name.startswith("tagmanifest-")
    )
    for algorithm in ("sha256", "sha512"):
        lines = [
            f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  "
            f"{p.relative_to(bag).as_posix()}\n"
            for p in tags
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def tampered(
    built: Built,
    tmp: Path,
    edit: Callable[[Path], None],
    *,
    refresh: bool = True,
    after: Callable[[Path], None] | None = None,
) -> Path:
    """A copy of the built bundle with edit applied to its bag folder, zipped again.

    after(bag) runs once the manifests are refreshed (e.g. to re-sign the tag manifest).
    """
    work = tmp / f"tamper-{len(list(tmp.glob('tamper-*')))}"
    bag = unzip(built.zip_path, work)
    edit(bag)
    if refresh:
        refresh_bag(bag)
    if after is not None:
        after(bag)
    return rezip(bag, work / f"{bag.name}.zip")


def invoke(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, Result]:
    """Run the CLI in-process (the root group maps errors to exit codes); never a traceback."""
    result = CliRunner().invoke(cli, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return result.exit_code, result


def run_custody(
    args: Sequence[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `custody` console script (the real exit-code mapping)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(CUSTODY), *args], capture_output=True, text=True, env=full_env, timeout=120
    )
