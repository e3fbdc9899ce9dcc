"""Shared fixtures: real workspaces with real keys, real SQLite files and real exiftool."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import evidence.ingest
from evidence import keyfile
from evidence.cases import create_case
from evidence.metadata import MetadataPool, exiftool_pool
from evidence.timestamp.localtsa import LocalTsa, TsaIdentity
from evidence.workspace import Workspace
from tests import pgcluster
from tests.helpers import AUTHORITY, CASE, DATA, PASSPHRASE, World


def _memory_folder(path: str = "/dev/shm", room: int = 8 << 30) -> str | None:
    """path if it is a tmpfs with `room` free bytes and the machine as much memory free."""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            tmpfs = any(line.split()[1:3] == [path, "tmpfs"] for line in mounts)
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            free = next(int(line.split()[1]) << 10 for line in meminfo if "MemAvailable" in line)
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    usable = tmpfs and os.access(path, os.W_OK | os.X_OK)
    return path if usable and shutil.disk_usage(path).free >= room and free >= room else None


# Test folders in memory where the machine has it to spare (unless TMPDIR names a place): the
# tool fsyncs every vault file, key and SQLite commit as it must, and on a disk each of the
# ~40 a test makes waits a few milliseconds for the disk, during which a core idles. The
# syscalls are the same; only the storage answers at once (tests/test_cli.py and
# test_ingest.py: 16% less wall time, 8% less CPU). Set here, before pytest picks its base
# folder, and in the environment, so every process a test starts (the CLI, PostgreSQL's
# cluster, exiftool) uses it too. pyproject's tmp_path_retention_policy = "failed" removes a
# passing test's folder at once, so the memory held is that of the tests running.
if "TMPDIR" not in os.environ and (_in_memory := _memory_folder()):
    os.environ["TMPDIR"] = tempfile.tempdir = _in_memory

# pytest-xdist's workers inherit COLUMNS=80 from the controller's terminal; the CLI fits its
# tables to $COLUMNS when set, so tests would see wrapped tables only when run in parallel. A
# test that wants a width sets it for its own command.
os.environ.pop("COLUMNS", None)

# Property tests judge what the code does, never how fast this machine is: a loaded CI runner
# (or two xdist workers beside a benchmark) must not turn hypothesis's timing checks into
# failures. Each test's own settings still decide how many examples it draws.
settings.register_profile("custody", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("custody")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never see a developer's real workspace or key settings.
    for name in (
        "CUSTODY_HOME",
        "CUSTODY_KEY",
        "CUSTODY_PASSPHRASE",
        "CUSTODY_DEBUG",
        "CUSTODY_LEDGER",
        "CUSTODY_VAULT",
        "CUSTODY_TZ",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True, scope="session")
def _fast_kdf() -> Iterator[None]:
    # Hundreds of keys are made in tests: 600,000 PBKDF2 rounds each would cost minutes. The
    # real count is tested in test_keyfile.py and tests/trust/test_privacy.py, and used by
    # every CLI run in a subprocess; a key file records its own count, so a key made here
    # opens anywhere. Session-wide, so that module and session fixtures' keys (set up before
    # any function-scoped fixture) are made the same way.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyfile, "KDF_ITERATIONS", 2048)
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "own_exiftool: the test's ingests start and stop their own exiftool processes "
        "(tests of the process pool itself)",
    )


@pytest.fixture(scope="session")
def _worker_exiftool() -> Iterator[MetadataPool]:
    # One pool of real exiftool -stay_open processes per test process (xdist worker).
    with exiftool_pool() as pool:
        yield pool


@pytest.fixture(autouse=True)
def _shared_exiftool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # An in-process ingest reads metadata through the worker's exiftool processes instead of
    # starting its own: starting exiftool and loading its modules costs ~0.2 CPU-s, paid by
    # hundreds of tests (seized, busy...). The files, the commands and the replies are the same;
    # a pool outlives a test's ingest only. Ingests of a CLI in a subprocess start their own,
    # and so do the tests marked own_exiftool (they count or watch the processes).
    if request.node.get_closest_marker("own_exiftool"):
        return
    pool: MetadataPool = request.getfixturevalue("_worker_exiftool")
    own_pool = evidence.ingest.exiftool_pool

    @contextmanager
    def shared(size: int | None = None, started: Sequence[object] = ()) -> Iterator[MetadataPool]:
        if any(process is not None for process in started):
            # A command started its own exiftool early for its ingest: that costs what it
            # costs already, and the command's own pool uses it and stops it, as it must.
            with own_pool(size, started=started) as own:
                yield own
            return
        yield pool

    monkeypatch.setattr(evidence.ingest, "exiftool_pool", shared)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """A real PostgreSQL server for the session; missing PostgreSQL fails tests, never skips."""
    cluster = pgcluster.create()
    yield cluster
    cluster.destroy()


_databases = itertools.count(1)


@pytest.fixture
def pg_urls(pg_cluster: pgcluster.Cluster) -> tuple[str, str]:
    """A fresh, empty database: (administrator URL, URL of the tool's SELECT+INSERT role)."""
    return pg_cluster.new_database(f"test_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace on each backend (PostgreSQL: created by the administrator,
    opened as the tool's role, with a shared vault folder)."""
    root = tmp_path / "ws"
    if request.param == "sqlite":
        ws = Workspace.init(root, AUTHORITY)
    else:
        admin, tool = request.getfixturevalue("pg_urls")
        vault = tmp_path / "shared-vault"
        Workspace.init(
            root, AUTHORITY, ledger=admin, vault=vault, grant_to=(pgcluster.TOOL,)
        ).close()
        ws = Workspace.open(root, ledger=tool, vault=vault)
    yield ws
    ws.close()


@pytest.fixture
def any_world(backend_ws: Workspace) -> World:
    """The `world` fixture on each ledger backend."""
    return make_world(backend_ws)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh workspace: investigator, custodian and expert keys, and case BY-2026-0042."""
    ws = Workspace.init(tmp_path / "ws", AUTHORITY)
    yield make_world(ws)
    ws.close()


def make_world(ws: Workspace) -> World:
    """Three actors and case BY-2026-0042 in a new workspace."""
    signers = []
    for name, role in (
        ("А. Иванов", "investigator"),
        ("Evidence Room", "custodian"),
        ("P. Sidorov", "expert"),
    ):
        record = ws.keys.create(name, "Investigative Committee", "BY", role, PASSPHRASE)
        signers.append(ws.keys.unlock(record, PASSPHRASE))
    create_case(ws.ledger, CASE, "VK account takeover, card theft", "BY", "Art. 212 CC", "test")
    return World(ws, *signers)


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    """A folder of seized material: real images, a Cyrillic-named chat, a nested folder."""
    root = tmp_path / "seized"
    (root / "phone" / "DCIM").mkdir(parents=True)
    shutil.copy(DATA / "images" / "Apple.jpg", root / "phone" / "DCIM" / "IMG_0001.jpg")
    shutil.copy(DATA / "images" / "GPS.jpg", root / "phone" / "DCIM" / "IMG_0002.jpg")
    (root / "phone" / "переписка ВК.txt").write_text(
        "02.11.2026, 14:03 - Андрей: Привет, скинь номер карты\n", encoding="utf-8"
    )
    (root / "empty.bin").write_bytes(b"")
    return root


@dataclass(frozen=True)
class TsaFixture:
    """The session's local TSA: its URL and the CA file a verifier trusts."""

    url: str
    ca: Path
    identity: TsaIdentity


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaFixture]:
    """A real RFC 3161 TSA on 127.0.0.1 for the whole test session."""
    folder = tmp_path_factory.mktemp("tsa")
    identity = TsaIdentity.create()
    identity.write(folder)
    server = LocalTsa(identity).start()
    yield TsaFixture(server.url, folder / "tsa-ca.pem", identity)
    server.stop()


@dataclass(frozen=True)
class WitnessFixture:
    """A loopback witness: its URL, folder and verifier key."""

    url: str
    root: Path
    vkey: str


@pytest.fixture
def local_witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessFixture]:
    """A real C2SP tlog-witness on 127.0.0.1, fresh for each test (its state is per test)."""
    from evidence.witness import Witness, WitnessServer, WitnessStore

    root = tmp_path_factory.mktemp("witness") / "w"
    store = WitnessStore.init(root, "witness.test.example/w1", [])
    server = WitnessServer(Witness(root)).start()
    yield WitnessFixture(server.url, root, store.cosigner.vkey)
    server.stop()
