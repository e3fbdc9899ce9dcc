"""Forensic ingest: vault, digests, metadata, refusals, idempotence, crash safety."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.errors import InputRejected, NotFoundError, UsageError, VerificationError
from evidence.events import item_events
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.keys import verify_signature
from evidence.vault import Vault
from tests.helpers import CASE, DATA, World


def test_ingest_folder_recursively(world: World, evidence_dir: Path) -> None:
    report = world.ingest(evidence_dir)
    assert report.count("ingested") == 4
    items = {i.original_name: i for i in list_items(world.ws.ledger, CASE)}
    assert set(items) == {"IMG_0001.jpg", "IMG_0002.jpg", "переписка ВК.txt", "empty.bin"}
    photo = items["IMG_0001.jpg"]
    data = (evidence_dir / "phone" / "DCIM" / "IMG_0001.jpg").read_bytes()
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.digests.sha512 == hashlib.sha512(data).hexdigest()
    assert photo.media_type == "image/jpeg"
    assert photo.evidence_type == "photo"  # camera make and model, no sign of a screenshot
    assert photo.metadata["EXIF:Make"] == "Apple"
    assert "File:FileName" not in photo.metadata  # the vault copy's name is not evidence
    assert photo.original_path and photo.original_path.endswith("phone/DCIM/IMG_0001.jpg")
    vault_copy = world.ws.vault.path_for(photo.sha256)
    assert vault_copy.read_bytes() == data
    assert world.ws.vault.is_read_only(photo.sha256)
    empty = items["empty.bin"]
    assert empty.size == 0
    assert empty.sha256 == hashlib.sha256(b"").hexdigest()


def test_first_event_is_signed_and_chained_to_the_digest(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    item = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name == "IMG_0002.jpg")
    events = item_events(world.ws.ledger, item.item_id)
    assert [e.body["action"] for e in events] == ["ingested", "profiled"]
    first, profiled = events
    # the ingest states the file; type and profile are the analysis of the next event
    assert "evidence_type" not in first.body["details"]
    assert "profile_sha256" not in first.body["details"]
    assert first.body["details"]["original_times"]["mtime"].endswith("Z")
    assert profiled.body["prev"] == first.hash
    assert profiled.body["details"]["evidence_type"] == item.evidence_type
    assert profiled.body["details"]["profile"] == item.profile
    assert profiled.body["details"]["parser_version"] == item.profile["profile_version"]
    assert first.body["action"] == "ingested"
    assert first.body["prev"] == item.sha256
    assert first.body["details"]["digests"]["sha512"] == item.digests.sha512
    assert first.body["actor"]["fingerprint"] == world.investigator.record.fingerprint
    assert hashlib.sha256(first.canonical).hexdigest() == first.hash
    cert = world.investigator.record.certificate
    assert verify_signature(cert, first.canonical, first.signature)


def test_reingest_creates_nothing_and_names_the_item(world: World, evidence_dir: Path) -> None:
    first = world.ingest(evidence_dir)
    again = world.ingest(evidence_dir)
    assert again.count("ingested") == 0
    assert again.count("existing") == 4
    ids = {o.item_id for o in first.outcomes}
    assert {o.item_id for o in again.outcomes} == ids
    assert len(list_items(world.ws.ledger, CASE)) == 4


def test_legacy_digests(world: World, evidence_dir: Path) -> None:
    opts = IngestOptions(case=CASE, source="phone", legacy_digests=True)
    world.ingest(evidence_dir / "empty.bin", options=opts)
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.digests.md5 == hashlib.md5(b"").hexdigest()
    assert item.digests.sha1 == hashlib.sha1(b"").hexdigest()


def test_hostile_file_names_reach_exiftool_as_names(world: World, tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    shutil.copy(DATA / "images" / "Apple.jpg", root / "-ver")
    shutil.copy(DATA / "images" / "GPS.jpg", root / "line\nbreak.jpg")
    report = world.ingest(root)
    assert report.count("ingested") == 2
    names = {i.original_name: i for i in list_items(world.ws.ledger, CASE)}
    assert names["-ver"].metadata["EXIF:Make"] == "Apple"  # read as a file, not taken as -ver
    assert "line\nbreak.jpg" in names


def test_links_and_fifos_inside_folders_are_skipped_with_reason(
    world: World, tmp_path: Path
) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "real.txt").write_text("evidence")
    (root / "link.txt").symlink_to(root / "real.txt")
    os.mkfifo(root / "pipe")
    report = world.ingest(root)
    reasons = {Path(o.path).name: o.reason for o in report.outcomes if o.status == "skipped"}
    assert reasons == {
        "link.txt": "symbolic link, not followed",
        "pipe": "not a regular file (fifo, socket or device)",
    }
    assert report.count("ingested") == 1


@pytest.mark.parametrize("kind", ["missing", "fifo", "device", "link"])
def test_bad_named_path_writes_nothing(world: World, tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("x")
    bad = tmp_path / "bad"
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "device":
        bad = Path("/dev/null")
    elif kind == "link":
        bad.symlink_to(good)
    expected = NotFoundError if kind == "missing" else InputRejected
    with pytest.raises(expected, match=str(bad.name)):
        world.ingest(good, bad)
    assert list_items(world.ws.ledger) == []
    assert not any((world.ws.root / "vault" / "sha256").rglob("*?"))


def test_unknown_case_and_bad_options(world: World, evidence_dir: Path) -> None:
    ws, signer = world.ws, world.investigator
    with pytest.raises(NotFoundError, match="unknown case"):
        ingest(ws, signer, [evidence_dir], IngestOptions(case="XX-1", source="s"))
    with pytest.raises(UsageError, match="no UTC offset"):
        ingest(ws, signer, [evidence_dir], IngestOptions(CASE, "s", acquired_at="2026-11-02T10:00"))
    with pytest.raises(UsageError, match="--source"):
        ingest(ws, signer, [evidence_dir], IngestOptions(CASE, " "))
    assert list_items(ws.ledger) == []


def test_acquired_at_normalised_to_utc(world: World, evidence_dir: Path) -> None:
    opts = IngestOptions(CASE, "phone", acquired_at="2026-11-02T14:30:00+03:00", method="UFED")
    world.ingest(evidence_dir / "empty.bin", options=opts)
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.acquired_at == "2026-11-02T11:30:00.000000Z"
    assert item.acquisition_method == "UFED"


def test_file_changing_while_hashed_is_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault")
    vault.create()
    victim = tmp_path / "growing.bin"
    victim.write_bytes(os.urandom(9 << 20))

    def writer_meanwhile(_: int) -> None:
        # Keeps appending on every chunk read: the reader must still stop.
        with open(victim, "ab") as fh:
            fh.write(b"more")

    with open(victim, "rb", buffering=0) as fh, pytest.raises(InputRejected, match="changed"):
        vault.store(fh, "growing.bin", progress=writer_meanwhile)
    assert list((tmp_path / "vault" / "sha256").iterdir()) == []
    assert list(vault.tmp.iterdir()) == []


@pytest.mark.own_exiftool
def test_one_exiftool_process_for_the_whole_run(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evidence.ingest as ingest_module
    import evidence.metadata as metadata_module

    monkeypatch.setattr(ingest_module, "BATCH_FILES", 3)  # several batches
    starts: list[int] = []
    real_start = metadata_module._Process.__init__

    def counting_start(self: metadata_module._Process) -> None:
        starts.append(1)
        real_start(self)

    monkeypatch.setattr(metadata_module._Process, "__init__", counting_start)
    root = tmp_path / "many"
    root.mkdir()
    for n in range(10):
        (root / f"shot{n}.png").write_bytes((DATA / "images" / "PNG.png").read_bytes() + bytes([n]))
    report = world.ingest(root)
    assert report.count("ingested") == 10
    assert len(starts) == 1
    assert all(i.metadata.get("File:FileType") == "PNG" for i in list_items(world.ws.ledger))


def test_malformed_images_are_ingested_with_metadata_errors_recorded(
    world: World, tmp_path: Path
) -> None:
    folder = DATA / "images" / "malformed"
    report = world.ingest(folder)
    assert report.count("refused") == 0
    assert report.count("ingested") == len(list(folder.iterdir()))
    by_name = {i.original_name: i for i in list_items(world.ws.ledger)}
    # exiftool reports the damage; ingest records it and carries on.
    assert "ExifTool:Warning" in by_name["truncated_image.png"].metadata
    assert by_name["truncated_jpeg.jpg"].metadata["File:FileType"] == "JPEG"


KILL_SCRIPT = """
import sys
from pathlib import Path
from evidence.ingest import IngestOptions, ingest
from evidence.workspace import Workspace
ws = Workspace.open(Path(sys.argv[1]))
signer = ws.keys.unlock(ws.keys.resolve("Evidence Room"), sys.argv[3])
ingest(ws, signer, [Path(sys.argv[2])], IngestOptions(case=sys.argv[4], source="crash test"))
"""


def test_kill_9_at_any_moment_leaves_nothing_half_done(world: World, tmp_path: Path) -> None:
    from tests.helpers import PASSPHRASE

    root = tmp_path / "bulk"
    root.mkdir()
    for n in range(60):
        (root / f"f{n:03d}.bin").write_bytes(os.urandom(300_000 + n))
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT)
    args = [sys.executable, str(script), str(world.ws.root), str(root), PASSPHRASE, CASE]
    for delay in (0.3, 0.6, 0.9, 1.2):
        proc = subprocess.Popen(args)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _assert_consistent(world)
    subprocess.run(args, check=True)
    _assert_consistent(world)
    assert len(list_items(world.ws.ledger, CASE)) == 60


def _assert_consistent(world: World) -> None:
    for item in list_items(world.ws.ledger):
        path = world.ws.vault.path_for(item.sha256)
        assert path.is_file(), f"row without vault file: {item.item_id}"
        actions = [e.body["action"] for e in item_events(world.ws.ledger, item.item_id)]
        assert actions == ["ingested", "profiled"]  # one transaction: both or neither
    for path in (world.ws.root / "vault" / "sha256").rglob("*"):
        if path.is_file():
            name = path.parent.name + path.name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == name, "half-written vault file"


def test_folder_nested_deeper_than_the_recursion_limit(world: World, tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    path = deep
    path.mkdir()
    for _ in range(sys.getrecursionlimit() + 100):  # one by one: pathlib's mkdir recurses
        path = path / "d"
        path.mkdir()
    (path / "f.txt").write_text("at the bottom")
    try:
        report = world.ingest(deep)
        assert report.count("ingested") == 1
    finally:
        # Removed bottom-up here: shutil.rmtree (pytest's cleanup of old runs) recurses too.
        (path / "f.txt").unlink()
        while path != tmp_path:
            path.rmdir()
            path = path.parent


def test_damaged_vault_copy_is_not_reused(world: World, evidence_dir: Path, tmp_path: Path) -> None:
    world.ingest(evidence_dir / "phone" / "DCIM" / "IMG_0001.jpg")
    (item,) = list_items(world.ws.ledger, CASE)
    copy = world.ws.vault.path_for(item.sha256)
    os.chmod(copy, 0o644)
    copy.write_bytes(copy.read_bytes()[:-10])
    other_case = IngestOptions(case="BY-2026-0043", source="same photo, other case")
    from evidence.cases import create_case

    create_case(world.ws.ledger, "BY-2026-0043", "second case", "BY", "", "test")
    with pytest.raises(VerificationError, match="damaged"):
        ingest(
            world.ws,
            world.investigator,
            [evidence_dir / "phone" / "DCIM" / "IMG_0001.jpg"],
            other_case,
        )
    assert list_items(world.ws.ledger, "BY-2026-0043") == []


def test_undecodable_file_name_is_kept_visibly(world: World, tmp_path: Path) -> None:
    """A name that is not UTF-8 (a Windows-1251 disk, say) is stored with its bytes escaped."""
    root = tmp_path / "cp1251"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"\xcf\xf0\xe8\xe2\xe5\xf2.txt"), "wb") as fh:
        fh.write(b"privet")
    report = world.ingest(root)
    assert report.count("ingested") == 1
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.original_name == "\\xcf\\xf0\\xe8\\xe2\\xe5\\xf2.txt"


def test_durability_barrier_flushes_the_vault_file_system(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault")
    vault.create()
    assert vault.barrier([]) == ""
    assert vault.barrier([tmp_path / "vault"]) == "syncfs"  # Linux: only the vault's fs


class _Rewriter:
    """A progress reporter that, once the first chunk is read, rewrites the file in place with
    other bytes of the same size and puts its mtime back: what an insider's tool would do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = False

    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, done: int) -> None:
        if self.done:
            return
        self.done = True
        st = self.path.stat()
        with self.path.open("r+b") as fh:
            fh.write(b"\xff" * st.st_size)
        os.utime(self.path, ns=(st.st_atime_ns, st.st_mtime_ns))
        after = self.path.stat()
        assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)

    def finish(self) -> None:
        pass


def test_torn_file_with_size_and_mtime_put_back_is_refused(world: World, tmp_path: Path) -> None:
    target = tmp_path / "in" / "statement.bin"
    target.parent.mkdir()
    target.write_bytes(os.urandom(12 << 20))  # three hashing chunks
    rewriter = _Rewriter(target)
    report = ingest(
        world.ws,
        world.investigator,
        [target],
        IngestOptions(case=CASE, source="seized laptop"),
        reporter=rewriter,
    )
    assert rewriter.done
    assert [o.status for o in report.outcomes] == ["refused"]
    assert str(report.outcomes[0].reason).endswith("file changed while it was being read")
    assert list_items(world.ws.ledger, CASE) == []


def test_events_signed_ahead_are_signed_again_after_a_checkpoint_made_meanwhile(
    world: World, tmp_path: Path
) -> None:
    """Ingest signs each chunk's events as it is profiled, before the batch's lock; a
    checkpoint made in between does not cover them, so under the lock they are dated and
    signed again: none may claim a time before that checkpoint (audit would say so)."""
    from evidence.audit import audit
    from evidence.checkpoint import create_checkpoint
    from evidence.workspace import Workspace

    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(40):  # two chunks of text files: no exiftool, each signed at once
        (folder / f"note-{n:02d}.txt").write_text(f"note {n}\n")
    made: list[str] = []

    class CheckpointMeanwhile:
        """On the second chunk's hashing, another process makes a checkpoint."""

        def __init__(self) -> None:
            self.calls = 0

        def start(self, total: int, label: str) -> None:
            """Ignore."""

        def advance(self, done: int) -> None:
            """Count files; make the checkpoint at the 36th."""
            self.calls += 1
            if self.calls == 36:
                other = Workspace.open(world.ws.root)
                try:
                    cp = create_checkpoint(other.ledger, world.custodian, other.checkpoint_dir)
                    made.append(cp.body["created_at"])
                finally:
                    other.close()

        def finish(self) -> None:
            """Ignore."""

    opts = IngestOptions(case=CASE, source="notes")
    ingest(world.ws, world.investigator, [folder], opts, CheckpointMeanwhile())
    assert made, "the checkpoint was made during the ingest"
    items = list_items(world.ws.ledger, CASE)
    assert len(items) == 40
    for item in items:
        assert item.ingested_at is not None and item.ingested_at >= made[0]
        for event in item_events(world.ws.ledger, item.item_id):
            assert event.body["at"] >= made[0]
    assert audit(world.ws).findings == []
