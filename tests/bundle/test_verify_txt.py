"""VERIFY.txt's plain path, run literally: its POSIX commands ("    $ " lines) in bash, with the
expectations it states checked as a recipient would, against the genuine bundle and every
hostile one. A bundle the plain path accepts must be, file for file, the one that was signed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence.bundle.cms import sign_detached
from evidence.bundle.custodians import carried_anchor
from evidence.bundle.verifytext import colon_fingerprint
from evidence.canonical import canonical_bytes
from evidence.report.cover import render_cover
from tests.bundle.bundle_support import refresh_bag
from tests.bundle.fuzz_support import Original
from tests.bundle.hostile_zips import ALL_ATTACKS, Base, hostile_zip


def verify_txt_steps(original: Original) -> tuple[list[str], int]:
    """VERIFY.txt's POSIX commands ("    $ " lines of the English part) and step 4's count."""
    text = original.files["VERIFY.txt"].decode()
    english = text.split("C. ON WINDOWS")[0]
    commands = [line[6:] for line in english.splitlines() if line.startswith("    $ ")]
    expected = int(re.search(r"\$ find \. ! -type d \| wc -l\n  Expected: (\d+)", text)[1])
    return commands, expected


def cover_steps(pdf: bytes) -> tuple[list[str], int]:
    """The cover sheet's commands as pdftotext reads them off the page ("$ " lines, continued
    by a trailing backslash as a shell continues them) and the count step 4 expects."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    commands: list[str] = []
    continued = False
    for line in text.splitlines():
        if continued:
            commands[-1] += "\n" + line
        elif line.startswith("$ "):
            commands.append(line[2:])
        else:
            continue
        continued = line.endswith("\\")
    after = text.split("$ find . ! -type d | wc -l")[1]
    expected = int(re.search(r"(\d+)", after)[1])
    return commands, expected


def plain_path(
    original: Original,
    archive: Path,
    work: Path,
    steps: tuple[list[str], int] | None = None,
) -> tuple[bool, str, Path]:
    """Run the genuine plain-path commands (VERIFY.txt's, or steps) on archive in a clean
    `env -i` shell; (accepted, transcript, bag folder)."""
    commands, expected = steps or verify_txt_steps(original)
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, work / f"{original.top}.zip")
    script = "".join(f'{c}\necho "__rc=$?"\n' for c in commands)
    proc = subprocess.run(
        ["env", "-i", "bash", "-c", script],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    out = proc.stdout + proc.stderr
    codes = re.findall(r"__rc=(\d+)", proc.stdout)
    first = proc.stdout.split("__rc=")[0]
    fingerprints = re.findall(r"(?im)^sha256 Fingerprint=([0-9A-F:]+)$", proc.stdout)
    last = proc.stdout.split("__rc=")[-2].strip().splitlines()[-1:] if codes else []
    accepted = (
        len(codes) == len(commands)
        and set(codes) == {"0"}
        and not first.strip()
        and "unzip" not in proc.stderr
        and proc.stderr.count("CMS Verification successful") == 2
        and "one signer" in proc.stdout
        and fingerprints == [colon_fingerprint(original.fingerprint)]
        and "all files OK" in proc.stdout
        and last == [str(expected)]
    )
    return accepted, out, work / f"{original.top}-check" / original.top


def tree(folder: Path) -> dict[str, str]:
    """path -> SHA-256 of every file under folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def _base(original: Original, work: Path) -> Base:
    archive = work / "genuine.zip"
    archive.write_bytes(original.zip_bytes)
    names = zipfile.ZipFile(archive).namelist()
    photo = next(n for n in names if n.endswith(".jpg"))
    chat = next(n for n in names if n.endswith(".txt") and "/data/" in n)
    return Base(archive, original.top, photo, chat, original.fingerprint)


def _bag_zip(original: Original, work: Path, edit: object, *, refresh: bool) -> Path:
    """The genuine bag, edited (edit(bag) with the attacker's means), zipped again."""
    bag = work / "bag" / original.top
    for name, data in original.files.items():
        (bag / name).parent.mkdir(parents=True, exist_ok=True)
        (bag / name).write_bytes(data)
    edit(bag)  # type: ignore[operator]
    if refresh:
        refresh_bag(bag)
    archive = work / "forged.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(bag.rglob("*")):
            if p.is_file():
                zf.write(p, f"{original.top}/{p.relative_to(bag).as_posix()}")
    return archive


def test_plain_path_accepts_the_genuine_bundle(original: Original, tmp_path: Path) -> None:
    archive = tmp_path / "genuine.zip"
    archive.write_bytes(original.zip_bytes)
    accepted, out, _ = plain_path(original, archive, tmp_path / "run")
    assert accepted, out


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_plain_path_never_accepts_another_bundle(
    attack: str, original: Original, tmp_path: Path
) -> None:
    archive = hostile_zip(attack, tmp_path, _base(original, tmp_path))
    accepted, out, bag = plain_path(original, archive, tmp_path / "run")
    if accepted:
        # Only a container quirk that left every extracted byte genuine may pass.
        genuine = {k: hashlib.sha256(v).hexdigest() for k, v in original.files.items()}
        assert tree(bag) == genuine, out


def _forge_resigned(original: Original, real_first: bool):  # type: ignore[no-untyped-def]
    attacker = original.intruder

    def forge(bag: Path) -> None:
        manifest = json.loads((bag / "manifest.json").read_bytes())
        manifest["case"]["title"] = "rewritten by the attacker"
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(attacker, data))
        pem = attacker.record.certificate_pem.encode()
        real = original.files["signer.pem"]
        (bag / "signer.pem").write_bytes(real + pem if real_first else pem)

    return forge


def _after_refresh_resign(original: Original, bag: Path) -> None:
    listing = (bag / "tagmanifest-sha256.txt").read_bytes()
    (bag / "tagmanifest-sha256.txt.p7s").write_bytes(sign_detached(original.intruder, listing))


FORGERIES = {
    "photo-swapped": lambda o: (
        lambda bag: next((bag / "data").rglob("*.jpg")).write_bytes(b"forged")
    ),
    "verify-txt-rewritten": lambda o: lambda bag: (bag / "VERIFY.txt").write_text("all fine\n"),
    "cover-replaced": lambda o: lambda bag: (bag / "cover.pdf").write_bytes(b"%PDF-1.4 forged"),
    "bag-info-rewritten": lambda o: (
        lambda bag: (bag / "bag-info.txt").write_text(
            (bag / "bag-info.txt").read_text().replace("No. 12/4-2026", "No. 99/9-2026")
        )
    ),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_plain_path_catches_rewritten_files(
    forgery: str, original: Original, tmp_path: Path
) -> None:
    archive = _bag_zip(original, tmp_path, FORGERIES[forgery](original), refresh=True)
    accepted, out, _ = plain_path(original, archive, tmp_path / "run")
    assert not accepted, out


@pytest.mark.parametrize("real_first", [True, False])
def test_plain_path_catches_a_bundle_resigned_by_another_key(
    real_first: bool, original: Original, tmp_path: Path
) -> None:
    forge = _forge_resigned(original, real_first)

    def edit(bag: Path) -> None:
        forge(bag)

    archive = _bag_zip(original, tmp_path, edit, refresh=True)
    # The attacker signs the refreshed tag manifest too.
    work = tmp_path / "resigned"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(work)
    bag = work / original.top
    _after_refresh_resign(original, bag)
    archive = tmp_path / "resigned.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(bag.rglob("*")):
            zf.write(p, f"{original.top}/{p.relative_to(bag).as_posix()}")
    accepted, out, _ = plain_path(original, archive, tmp_path / "run")
    assert not accepted, out
    if not real_first:
        # What fails is the fingerprint: the one printed is that of the certificate that
        # verified the signatures, the attacker's. (With the genuine certificate first,
        # openssl already fails to build a chain: two certificates with one subject.)
        assert colon_fingerprint(original.intruder.record.fingerprint) in out


def test_plain_path_catches_a_planted_file(original: Original, tmp_path: Path) -> None:
    def plant(bag: Path) -> None:
        (bag / "data" / "planted.txt").write_text("not described anywhere\n")

    archive = _bag_zip(original, tmp_path, plant, refresh=False)
    accepted, out, _ = plain_path(original, archive, tmp_path / "run")
    assert not accepted, out


# -- the printed cover sheet: its steps are VERIFY.txt's, and fail closed the same way ---------


def _cover(original: Original, lang: str = "en") -> bytes:
    if lang == "en":
        return original.files["cover.pdf"]
    manifest = json.loads(original.files["manifest.json"])
    digest = hashlib.sha256(original.files["manifest.json"]).hexdigest()
    return render_cover(manifest, digest, original.fingerprint, lang=lang, name=original.top)


def _as_read(command: str) -> str:
    """A command as the shell reads it: backslash-newline continuations joined."""
    return re.sub(r" \\\n\s*", " ", command)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_cover_prints_verify_txt_steps(lang: str, original: Original) -> None:
    commands, expected = cover_steps(_cover(original, lang))
    assert [_as_read(c) for c in commands] == verify_txt_steps(original)[0]
    assert expected == verify_txt_steps(original)[1]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=_cover(original, lang), capture_output=True, check=True
    ).stdout.decode()
    # The anchor, as the bundle carries it, in hex and in openssl's colon form.
    manifest = json.loads(original.files["manifest.json"])
    anchor = carried_anchor(manifest["trust"])
    assert anchor is not None
    flat = "".join(text.split())
    assert anchor in flat and colon_fingerprint(anchor) in flat
    assert colon_fingerprint(original.fingerprint) in flat
    verify_txt = original.files["VERIFY.txt"].decode()
    assert anchor in verify_txt and colon_fingerprint(anchor) in verify_txt
    assert "--anchor" in verify_txt


def test_cover_path_accepts_the_genuine_bundle(original: Original, tmp_path: Path) -> None:
    archive = tmp_path / "genuine.zip"
    archive.write_bytes(original.zip_bytes)
    steps = cover_steps(_cover(original))
    accepted, out, _ = plain_path(original, archive, tmp_path / "run", steps)
    assert accepted, out


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_cover_path_never_accepts_another_bundle(
    attack: str, original: Original, tmp_path: Path
) -> None:
    archive = hostile_zip(attack, tmp_path, _base(original, tmp_path))
    steps = cover_steps(_cover(original))
    accepted, out, bag = plain_path(original, archive, tmp_path / "run", steps)
    if accepted:
        genuine = {k: hashlib.sha256(v).hexdigest() for k, v in original.files.items()}
        assert tree(bag) == genuine, out


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_cover_path_catches_rewritten_files(
    forgery: str, original: Original, tmp_path: Path
) -> None:
    archive = _bag_zip(original, tmp_path, FORGERIES[forgery](original), refresh=True)
    accepted, out, _ = plain_path(
        original, archive, tmp_path / "run", cover_steps(_cover(original))
    )
    assert not accepted, out


def _append_and_relist(bag: Path) -> None:
    """The attack of issue 21: a line appended to an evidence file, its line in
    manifest-sha256.txt updated (the tag manifest, which is signed, left alone)."""
    chat = next(p for p in (bag / "data").rglob("*.txt"))
    with chat.open("ab") as fh:
        fh.write(b"02.11.2026, 14:05 - planted line\n")
    rel = chat.relative_to(bag).as_posix()
    lines = (bag / "manifest-sha256.txt").read_text().splitlines()
    digest = hashlib.sha256(chat.read_bytes()).hexdigest()
    lines = [f"{digest}  {rel}" if ln.endswith(f"  {rel}") else ln for ln in lines]
    (bag / "manifest-sha256.txt").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("source", ["VERIFY.txt", "cover.pdf"])
def test_an_appended_line_with_its_manifest_line_updated_is_caught(
    source: str, original: Original, tmp_path: Path
) -> None:
    archive = _bag_zip(original, tmp_path, _append_and_relist, refresh=False)
    steps = cover_steps(_cover(original)) if source == "cover.pdf" else None
    accepted, out, _ = plain_path(original, archive, tmp_path / "run", steps)
    assert not accepted, out
    assert "tagmanifest-sha256.txt" in out or "manifest-sha256.txt: FAILED" in out
    assert "manifest-sha256.txt: FAILED" in out, out
