"""Shared machinery of the verify fuzz tests: one real bundle per module, and running
`verify_bundle` under its contract (a verdict or an exit-1/3 error, nothing written outside the
temporary folder, a changed bundle never "verified")."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, settings

from evidence.bundle.bagit import TAG_MANIFESTS, TAG_SIGNATURE
from evidence.bundle.build import build_bundle
from evidence.bundle.cms import sign_detached
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.cases import create_case
from evidence.custody import append_events, receive, transfer
from evidence.errors import EvidenceError
from evidence.items import list_items
from evidence.keys import Signer
from evidence.report.cover import cover_renderer
from evidence.workspace import Workspace
from tests.bundle.bundle_support import REQUEST, refresh_bag, rezip
from tests.helpers import AUTHORITY, CASE, DATA, PASSPHRASE, World

# FUZZ_EXAMPLES=1000 for a longer hunt; the default keeps the module near 15 s on two cores.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True, repr=False)
class Original:
    """The bundle every example starts from, and where examples may write."""

    zip_bytes: bytes
    top: str
    files: dict[str, bytes]  # path inside the bag -> content
    prosecutor: Signer
    intruder: Signer
    work: Path  # examples are written here, one folder each
    sandbox: Path  # tempfile's folder while the module runs: must be empty after every verify

    def __repr__(self) -> str:
        return f"Original({self.top}, {len(self.zip_bytes)} bytes)"

    @property
    def fingerprint(self) -> str:
        """The prosecutor's fingerprint, as the recipient got it by letter."""
        return self.prosecutor.record.fingerprint


def _unlocked(ws: Workspace, name: str, role: str) -> Signer:
    record = ws.keys.create(name, "Prosecutor General's Office", "BY", role, PASSPHRASE)
    return ws.keys.unlock(record, PASSPHRASE)


@dataclass(frozen=True, repr=False)
class OriginalBundle:
    """The bundle itself and the keys around it: made once per test process."""

    zip_bytes: bytes
    top: str
    files: dict[str, bytes]
    prosecutor: Signer
    intruder: Signer


def make_original_bundle(tmp_path_factory: pytest.TempPathFactory) -> OriginalBundle:
    """One bundle with a real custody history (ingest, transfer, receive, analyse, export)."""
    root = tmp_path_factory.mktemp("fuzz-bundle")
    ws = Workspace.init(root / "ws", AUTHORITY)
    world = World(
        ws,
        _unlocked(ws, "А. Иванов", "investigator"),
        _unlocked(ws, "Evidence Room", "custodian"),
        _unlocked(ws, "P. Sidorov", "expert"),
    )
    create_case(ws.ledger, CASE, "VK account takeover, card theft", "BY", "Art. 212 CC", "test")
    seized = root / "seized" / "phone"
    seized.mkdir(parents=True)
    shutil.copy(DATA / "images" / "GPS.jpg", seized / "IMG_0002.jpg")
    (seized / "переписка ВК.txt").write_text("02.11.2026, 14:03 - Андрей: Привет\n")
    (seized / "empty.bin").write_bytes(b"")
    world.ingest(root / "seized")
    items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, world.investigator, items, world.custodian.record)
    receive(ws.ledger, world.custodian, items)
    append_events(ws.ledger, world.expert, items[:1], "analysed", note="EXIF read")
    prosecutor = _unlocked(ws, "Н. Петрова", "prosecutor")
    out = root / "request-0042.zip"
    build_bundle(
        ws,
        prosecutor,
        CASE,
        out,
        REQUEST,
        # The real cover sheet: its printed steps are run literally against every attack.
        cover=cover_renderer("en", "request-0042"),
    )
    ws.close()
    # Same name, another key: what a forger would make.
    other = Workspace.init(root / "intruder-ws")
    intruder = _unlocked(other, "Н. Петрова", "prosecutor")
    other.close()
    with zipfile.ZipFile(out) as zf:
        top = zf.namelist()[0].split("/")[0]
        files = {n[len(top) + 1 :]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    return OriginalBundle(out.read_bytes(), top, files, prosecutor, intruder)


def build_original(
    tmp_path_factory: pytest.TempPathFactory, made: OriginalBundle
) -> Iterator[Original]:
    """The bundle and folders of one module: examples write under work, verify's temporary
    folder is sandbox (watched empty), the working folder an empty one."""
    root = tmp_path_factory.mktemp("fuzz-verify")
    sandbox = root / "sandbox"
    sandbox.mkdir()
    work = root / "work"
    work.mkdir()
    cwd = root / "cwd"
    cwd.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        # verify_bundle's temporary folder lands here, where the tests can watch it; the
        # working folder is an empty one of ours (the repository's may change under us).
        mp.setattr(tempfile, "tempdir", str(sandbox))
        mp.chdir(cwd)
        files = dict(made.files)  # a module's own copy of the name -> bytes map
        yield Original(
            made.zip_bytes, made.top, files, made.prosecutor, made.intruder, work, sandbox
        )


def example_folders(original: Original) -> Iterator[Callable[[], Path]]:
    """A factory of empty folders for examples, all removed at the end of the test."""
    made: list[Path] = []

    def make() -> Path:
        made.append(Path(tempfile.mkdtemp(dir=original.work)))
        return made[-1]

    yield make
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


# -- running verify under the contract ---------------------------------------------------------


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st_ = path.lstat()
            out[str(path.relative_to(folder))] = (st_.st_size, st_.st_mtime_ns)
    return out


def verdict(original: Original, path: Path, *, must_fail: bool) -> VerifyResult | None:
    """verify_bundle under the contract; the result, or None when it refused with an error."""
    watched = path.parent
    before, cwd_before = _listing(watched), sorted(os.listdir("."))
    try:
        result: VerifyResult | None = verify_bundle(path, fingerprints=[original.fingerprint])
    except EvidenceError as exc:
        assert exc.exit_code in (1, 3), exc.diagnostics()
        result = None
    assert _listing(watched) == before, "verify changed the folder of the bundle"
    assert sorted(os.listdir(".")) == cwd_before, "verify wrote into the working folder"
    assert os.listdir(original.sandbox) == [], "verify left its temporary folder behind"
    if result is not None:
        assert result.status in ("verified", "signer-unverified", "failed")
        json.dumps(result.to_json())  # what --json prints must be JSON
        if must_fail:
            assert result.status != "verified", "a changed bundle was reported verified"
    return result


def write_bag(original: Original, files: dict[str, bytes], folder: Path) -> Path:
    """The bag as a folder named like the bundle's top-level folder."""
    bag = folder / original.top
    for rel, data in files.items():
        target = bag / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return bag


def retag(bag: Path) -> None:
    """Rewrite only the tag manifests, so edits of the other tag files pass fixity."""
    unlisted = (*TAG_MANIFESTS, TAG_SIGNATURE)
    # Every file outside data/ (the log/ folder's proofs included) but the manifests themselves.
    tags = sorted(
        p.relative_to(bag).as_posix()
        for p in bag.rglob("*")
        if p.is_file()
        and p.relative_to(bag).parts[0] != "data"
        and p.relative_to(bag).as_posix() not in unlisted
    )
    for algorithm in ("sha256", "sha512"):
        lines = [
            f"{hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()}  {name}\n"
            for name in tags
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def check_bag(
    original: Original,
    folder: Path,
    files: dict[str, bytes],
    *,
    fixup: str,
    as_folder: bool,
    must_fail: bool,
    tag_signer: Signer | None = None,
) -> VerifyResult | None:
    """Write files as a bag, fix the manifests up as an attacker would, verify zip or folder.

    tag_signer, when given, signs the rewritten tag manifest (evidence-manifest/2).
    """
    bag = write_bag(original, files, folder)
    if fixup == "refresh":
        refresh_bag(bag)
    elif fixup == "retag":
        retag(bag)
    if tag_signer is not None:
        listing = (bag / TAG_MANIFESTS[0]).read_bytes()
        (bag / TAG_SIGNATURE).write_bytes(sign_detached(tag_signer, listing))
    if as_folder:
        return verdict(original, bag, must_fail=must_fail)
    archive = rezip(bag, folder / "bundle.zip")
    shutil.rmtree(bag)
    return verdict(original, archive, must_fail=must_fail)


def certificate_der(signer: Signer) -> bytes:
    """The signer's certificate, DER."""
    return signer.record.certificate.public_bytes(Encoding.DER)
