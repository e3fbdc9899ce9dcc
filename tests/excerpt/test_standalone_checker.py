"""The standalone excerpt checker printed in docs/bundle.md: run as printed, with the Python
standard library only (-S: no site-packages), against a genuine excerpt and every attack."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.excerpt.test_excerpt import ATTACKS, Attack

DOC = Path(__file__).parents[2] / "docs" / "bundle.md"


def checker(folder: Path) -> Path:
    """The checker's code, cut from the docs as a reader would copy it."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- check_excerpt.py: begin -->\n```python\n(.*?)```\n<!-- check_excerpt.py: end -->",
        text,
        re.S,
    )
    assert found is not None
    code = found.group(1)
    assert len(code.splitlines()) < 80
    assert not re.search(r"^(?:import|from) (?!base64|hashlib|json|re|sys)", code, re.M)
    path = folder / "check_excerpt.py"
    path.write_text(code, encoding="utf-8")
    return path


def run(folder: Path, records: Path, proof: Path) -> subprocess.CompletedProcess[str]:
    """The checker in a fresh interpreter without site-packages, in folder."""
    script = checker(folder)
    return subprocess.run(
        [sys.executable, "-S", "-I", str(script), str(records), str(proof)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )


def test_genuine_excerpt_and_its_signature(
    two_excerpts: tuple[Path, Path, Path, Path], tmp_path: Path
) -> None:
    records, proof, _, _ = two_excerpts
    done = run(tmp_path, records, proof)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("excerpt OK: records 2-4,10,40 (5 of 40) of item")
    # the openssl commands it prints check the event's signature, as a recipient runs them
    commands = [ln for ln in done.stdout.splitlines() if ln.startswith("openssl ")]
    assert len(commands) == 3
    outputs = [
        subprocess.run(c, shell=True, cwd=tmp_path, capture_output=True, text=True)
        for c in commands
    ]
    assert all(o.returncode == 0 for o in outputs), [o.stderr for o in outputs]
    assert outputs[2].stdout.strip() == "Verified OK"


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_checker_refuses_every_attack(
    two_excerpts: tuple[Path, Path, Path, Path], attack: Attack, tmp_path: Path
) -> None:
    records, proof, other_r, other_p = two_excerpts
    attack.tamper(records, proof, other_r, other_p)
    done = run(tmp_path, records, proof)
    assert done.returncode == 1
    assert done.stderr.startswith("EXCERPT FAILED:") and attack.standalone in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "excerpt-event.json").exists()


def test_checker_on_garbage(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes(b"x")
    (tmp_path / "p.json").write_bytes(b"[1, 2")
    done = run(tmp_path, tmp_path / "r.txt", tmp_path / "p.json")
    assert done.returncode == 1 and done.stderr.startswith("EXCERPT FAILED: unreadable input")
