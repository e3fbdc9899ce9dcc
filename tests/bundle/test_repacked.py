"""A bundle re-packed on the way is told apart from a forged one.

Each re-pack is made with the tool a recipient's colleague would use: Info-ZIP `zip -r` and
`bsdtar` run from inside the unpacked folder, Python's zipfile writing the names in cp866 (a
Russian-locale Windows zipper) or cp437 (a Western one) without the UTF-8 flag, and the unpacked
folder itself. Untouched, each verifies with "packaging changed, contents intact" (exit 0);
re-packed AND changed (one byte, a file added, a file removed), each fails with exactly the
checks that name the change. And a re-pack is no way to a second reading: every extractor that
names a file as verify did writes the bytes verify checked.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.packaging import Change, names_codepage
from evidence.bundle.safezip import extract
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.cases import create_case
from evidence.custody import receive, transfer
from evidence.items import list_items
from evidence.keys import Signer
from evidence.workspace import Workspace
from tests.bundle.bundle_support import REQUEST, invoke, unzip
from tests.bundle.test_differential import seen_by
from tests.helpers import AUTHORITY, CASE, DATA, PASSPHRASE, World

CHAT = "переписка ВК.txt"  # cp866 has these letters, cp437 has not
WEST = "Zoë résumé.txt"  # cp437 has these letters, cp866 has not


@dataclass(frozen=True)
class Sent:
    """Two genuine bundles (each file name fits one code page) and the signer's fingerprint."""

    russian: Path
    western: Path
    fingerprint: str


def _key(ws: Workspace, name: str, role: str) -> Signer:
    record = ws.keys.create(name, "Prosecutor General's Office", "BY", role, PASSPHRASE)
    return ws.keys.unlock(record, PASSPHRASE)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sent]:
    root = tmp_path_factory.mktemp("repacked")
    ws = Workspace.init(root / "ws", AUTHORITY)
    world = World(
        ws,
        _key(ws, "А. Иванов", "investigator"),
        _key(ws, "Evidence Room", "custodian"),
        _key(ws, "P. Sidorov", "expert"),
    )
    create_case(ws.ledger, CASE, "VK account takeover", "BY", "Art. 212 CC", "test")
    seized = root / "seized"
    seized.mkdir()
    shutil.copy(DATA / "images" / "GPS.jpg", seized / "IMG_0002.jpg")
    (seized / CHAT).write_text("02.11.2026, 14:03 - Андрей: Привет\n", encoding="utf-8")
    (seized / WEST).write_text("Zoë, born 1990\n", encoding="utf-8")
    world.ingest(seized)
    items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, world.investigator, items, world.custodian.record)
    receive(ws.ledger, world.custodian, items)
    prosecutor = _key(ws, "Н. Петрова", "prosecutor")
    by_name = {i.original_name: i.item_id for i in items}
    out = {}
    for label, name in (("russian", CHAT), ("western", WEST)):
        out[label] = root / f"{label}.zip"
        build_bundle(
            ws,
            prosecutor,
            CASE,
            out[label],
            REQUEST,
            item_refs=[by_name["IMG_0002.jpg"], by_name[name]],
            cover=lambda manifest, digest, fp: b"%PDF-1.4 cover " + digest.encode(),
        )
    ws.close()
    yield Sent(out["russian"], out["western"], prosecutor.record.fingerprint)


# -- the re-packers: (bag folder, work folder) -> what the recipient is given ----------------


def _zip_inside(bag: Path, work: Path) -> Path:
    # Info-ZIP from inside the folder: the bag's files at the top of the zip.
    subprocess.run(["zip", "-qr", str(work / "inside.zip"), "."], cwd=bag, check=True)
    return work / "inside.zip"


def _bsdtar_inside(bag: Path, work: Path) -> Path:
    # libarchive from inside: names start with "./", and "./" itself is an entry.
    subprocess.run(["bsdtar", "-a", "-cf", str(work / "inside.zip"), "."], cwd=bag, check=True)
    return work / "inside.zip"


def _codepage_zip(
    bag: Path, archive: Path, codepage: str, *, top: bool, raw_extra: tuple[bytes, bytes] = ()
) -> Path:
    """Python's zipfile as a Windows zipper uses it: names in the OEM code page, no UTF-8 flag,
    made on FAT (create_system 0); raw_extra: one more entry (raw name bytes, data)."""

    class OemName(zipfile.ZipInfo):
        raw: bytes | None = None

        def _encodeFilenameFlags(self) -> tuple[bytes, int]:
            return self.raw or self.filename.encode(codepage), self.flag_bits

    def info(name: str, raw: bytes | None = None) -> OemName:
        out = OemName(name, (2026, 12, 1, 10, 0, 0))
        out.create_system = 0
        out.compress_type = zipfile.ZIP_DEFLATED
        out.raw = raw
        return out

    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                rel = path.relative_to(bag).as_posix()
                zf.writestr(info(f"{bag.name}/{rel}" if top else rel), path.read_bytes())
        if raw_extra:
            zf.writestr(info("extra", raw_extra[0]), raw_extra[1])
    return archive


def _cp866(bag: Path, work: Path) -> Path:
    return _codepage_zip(bag, work / "cp866.zip", "cp866", top=True)


def _cp866_inside(bag: Path, work: Path) -> Path:
    # Explorer's "Send to > Compressed folder" on the files selected inside the folder.
    return _codepage_zip(bag, work / "cp866-inside.zip", "cp866", top=False)


def _cp437(bag: Path, work: Path) -> Path:
    return _codepage_zip(bag, work / "cp437.zip", "cp437", top=True)


def _folder(bag: Path, work: Path) -> Path:
    return bag


@dataclass(frozen=True)
class Repack:
    bundle: str  # which of Sent's bundles
    make: Callable[[Path, Path], Path]
    changes: tuple[Change, ...]
    codepage: str | None = None


REPACKS = {
    "zip -r from inside": Repack("russian", _zip_inside, (Change.NO_TOP_FOLDER,)),
    "bsdtar from inside": Repack("russian", _bsdtar_inside, (Change.NO_TOP_FOLDER,)),
    "cp866 names": Repack("russian", _cp866, (Change.CODEPAGE,), "cp866"),
    "cp866 names from inside": Repack(
        "russian", _cp866_inside, (Change.NO_TOP_FOLDER, Change.CODEPAGE), "cp866"
    ),
    "cp437 names": Repack("western", _cp437, (Change.CODEPAGE,), "cp437"),
    "unpacked folder": Repack("russian", _folder, (Change.FOLDER,)),
}


def _repacked(
    sent: Sent, how: str, tmp_path: Path, edit: Callable[[Path], None] | None = None
) -> Path:
    repack = REPACKS[how]
    bag = unzip(getattr(sent, repack.bundle), tmp_path / "unzipped")
    if edit is not None:
        edit(bag)
    return repack.make(bag, tmp_path)


def _failed(result: VerifyResult) -> set[tuple[str, str]]:
    return {(c.name, c.subject) for c in result.checks if c.status == "failed"}


@pytest.mark.parametrize("how", sorted(REPACKS))
def test_repacked_bundle_is_packaging_changed_contents_intact(
    sent: Sent, how: str, tmp_path: Path
) -> None:
    given = _repacked(sent, how, tmp_path)
    result = verify_bundle(given, fingerprints=[sent.fingerprint])
    assert result.status == "verified", _failed(result)
    assert result.packaging.changes == REPACKS[how].changes
    assert result.packaging.codepage == REPACKS[how].codepage
    assert len(result.items) == 2 and all(i.digests_ok and i.chain_ok for i in result.items)
    code, out = invoke(["verify", str(given), "--fingerprint", sent.fingerprint, "-q"])
    assert code == 0, out.output
    lines = out.stderr.splitlines()
    assert lines[-2].startswith("notice: packaging changed, contents intact: "), lines
    assert lines[-1].startswith(f"{given}: verified: intact, signed by Н. Петрова")
    assert "; packaging changed, contents intact" in lines[-1]
    code, out = invoke(["verify", str(given), "--fingerprint", sent.fingerprint, "--json"])
    assert code == 0
    assert '"changes": [' in out.stdout and f'"{REPACKS[how].changes[0]}"' in out.stdout


def test_the_genuine_zip_reports_no_packaging_change(sent: Sent) -> None:
    result = verify_bundle(sent.russian, fingerprints=[sent.fingerprint])
    assert result.status == "verified"
    assert not result.packaging.changed
    code, out = invoke(["verify", str(sent.russian), "--fingerprint", sent.fingerprint, "-q"])
    assert code == 0 and "packaging" not in out.stderr


def _chat_path(bag: Path) -> Path:
    return next(p for p in (bag / "data").rglob("*") if p.name in (CHAT, WEST))


def _one_byte(bag: Path) -> None:
    path = _chat_path(bag)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))


def _added_name(chat: str) -> str:
    # A name the re-packer's code page can write.
    return "дополнение.txt" if chat.endswith(CHAT) else "ajouté.txt"


def _added(bag: Path) -> None:
    chat = _chat_path(bag)
    (chat.parent / _added_name(chat.name)).write_text("added later\n", encoding="utf-8")


def _removed(bag: Path) -> None:
    _chat_path(bag).unlink()


EDITS = {"one byte changed": _one_byte, "file added": _added, "file removed": _removed}


def _expected(edit: str, chat: str) -> set[tuple[str, str]]:
    """Exactly the failed (check, subject) pairs that name the change; chat: its bag path."""
    folder = chat.rsplit("/", 1)[0]
    item = f"item {folder.split('/')[1]}"
    if edit == "one byte changed":
        return {("bag.fixity", chat), ("item.files", item)}
    if edit == "file added":
        added = f"{folder}/{_added_name(chat)}"
        return {
            ("bag.complete", added),
            ("bag.info", "Payload-Oxum"),
            ("item.coverage", added),
        }
    return {("bag.complete", chat), ("bag.info", "Payload-Oxum"), ("item.files", item)}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("how", sorted(REPACKS))
def test_repacked_and_changed_fails_precisely(
    sent: Sent, how: str, edit: str, tmp_path: Path
) -> None:
    bag = unzip(getattr(sent, REPACKS[how].bundle), tmp_path / "genuine")
    chat = _chat_path(bag).relative_to(bag).as_posix()
    given = _repacked(sent, how, tmp_path, EDITS[edit])
    result = verify_bundle(given, fingerprints=[sent.fingerprint])
    assert result.status == "failed"
    assert _failed(result) == _expected(edit, chat), sorted(_failed(result))
    # Still said, so the reader knows the verdict is about a re-packed bundle...
    assert set(result.packaging.changes) <= set(REPACKS[how].changes)
    code, out = invoke(["verify", str(given), "--fingerprint", sent.fingerprint, "-q"])
    assert code == 1
    # ...but never that the contents are intact.
    assert "contents intact" not in out.stderr
    if result.packaging.changed:
        assert "notice: the bundle was also re-packed: " in out.stderr


# -- no second reading --------------------------------------------------------------------------


def _strict(archive: Path, dest: Path) -> dict[str, str]:
    dest.mkdir()
    codepage = names_codepage(archive)
    return {e.name: e.digests.sha256 for e in extract(archive, dest, codepage=codepage)}


@pytest.mark.parametrize("how", sorted(h for h, r in REPACKS.items() if r.make is not _folder))
def test_every_extractor_that_names_a_file_as_verify_did_writes_its_bytes(
    sent: Sent, how: str, tmp_path: Path
) -> None:
    archive = _repacked(sent, how, tmp_path)
    strict = _strict(archive, tmp_path / "strict")
    for extractor in ("unzip", "bsdtar", "bsdtar-stream", "zipfile"):
        seen = seen_by(extractor, archive, tmp_path / extractor) or {}
        # Under another code page a reader may show other names (then the plain-tools path
        # finds no such file: it fails closed); a name it shares with verify has its bytes.
        shared = set(seen) & set(strict)
        assert {n: seen[n] for n in shared} == {n: strict[n] for n in shared}, extractor
        # Names in UTF-8 (flagged, or raw from Unix): unzip and bsdtar read them so; zipfile
        # reads unflagged ones as cp437 (then the plain path fails closed: no such file).
        if REPACKS[how].codepage is None and extractor != "zipfile":
            assert seen == strict, extractor
    assert sorted(strict.values()) == sorted(
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / "unzip").rglob("*")
        if p.is_file()
    )


@pytest.mark.parametrize("how", ["cp866 names", "cp866 names from inside", "cp437 names"])
def test_readers_told_the_code_page_see_exactly_what_verify_verified(
    sent: Sent, how: str, tmp_path: Path
) -> None:
    archive = _repacked(sent, how, tmp_path)
    strict = _strict(archive, tmp_path / "strict")
    codepage = REPACKS[how].codepage
    assert codepage is not None
    told = tmp_path / "zipfile"
    with zipfile.ZipFile(archive, metadata_encoding=codepage) as zf:
        zf.extractall(told)
    assert _listing(told) == strict
    bsdtar = tmp_path / "bsdtar"
    bsdtar.mkdir()
    subprocess.run(
        ["bsdtar", "--options", f"hdrcharset={codepage.upper()}", "-xf", str(archive)],
        cwd=bsdtar,
        check=True,
    )
    assert _listing(bsdtar) == strict


def _listing(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_name_another_code_page_reads_as_a_verified_one_is_refused(
    sent: Sent, tmp_path: Path
) -> None:
    """Forged bytes under the chat's name as a cp1251 reader sees it, beside the genuine chat
    in cp866: verify (reading cp866) would check the genuine one while `unzip` or `bsdtar` in a
    cp1251 locale writes the forgery under the chat's name. Refused as a zip problem."""
    bag = unzip(sent.russian, tmp_path / "unzipped")
    chat = f"{bag.name}/{_chat_path(bag).relative_to(bag).as_posix()}"
    archive = _codepage_zip(
        bag,
        tmp_path / "evil.zip",
        "cp866",
        top=True,
        raw_extra=(chat.encode("cp1251"), b"forged by the attacker\n"),
    )
    result = verify_bundle(archive, fingerprints=[sent.fingerprint])
    assert result.status == "failed"
    assert _failed(result) == {("zip", archive.name)}
    message = next(c.message for c in result.checks if c.name == "zip")
    assert f"another zip reader names it {chat!r}" in message, message
    code, out = invoke(["verify", str(archive), "--fingerprint", sent.fingerprint, "-q"])
    assert code == 1 and "contents intact" not in out.stderr and "Traceback" not in out.output


def test_undeclared_names_no_code_page_makes_listed_are_refused(sent: Sent, tmp_path: Path) -> None:
    """The only undeclared name is one the bag's manifest lists under no reading: refused as a
    zip whose names cannot be read, not guessed."""

    def rename(bag: Path) -> None:
        chat = _chat_path(bag)
        chat.rename(chat.parent / "другое имя.txt")

    archive = _repacked(sent, "cp866 names", tmp_path, rename)
    result = verify_bundle(archive, fingerprints=[sent.fingerprint])
    assert _failed(result) == {("zip", archive.name)}
    message = next(c.message for c in result.checks if c.name == "zip")
    assert "its character set is not declared" in message
    assert "manifest-sha256.txt lists" in message
