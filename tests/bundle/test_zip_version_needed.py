"""An entry whose "version needed to extract" asks for more than Info-ZIP unzip 6.0 reads (4.6)
is refused: unzip skips it and Python's zipfile refuses the whole archive (above 6.3), so a
recipient's plain tools would not see the file verify read. The fuzzer found it (one byte of a
central directory entry, 2.0 -> 8.4): verify passed the bundle, zipfile and unzip did not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from evidence.bundle.verify import verify_bundle
from tests.bundle.bundle_support import Built

CENTRAL = b"PK\x01\x02"


def _needing(built: Built, version: int, out: Path) -> Path:
    """The bundle with the first central directory entry's version-needed byte set."""
    data = bytearray(built.zip_path.read_bytes())
    at = data.rindex(CENTRAL, 0, data.index(b"PK\x05\x06"))
    while data.rfind(CENTRAL, 0, at) != -1:  # the first entry of the central directory
        at = data.rfind(CENTRAL, 0, at)
    data[at + 6] = version
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("version", [47, 63, 84])
def test_an_entry_needing_more_than_unzip_reads_is_refused(
    built: Built, tmp_path: Path, version: int
) -> None:
    bad = _needing(built, version, tmp_path / "needs.zip")
    result = verify_bundle(bad)
    assert result.status == "failed"
    [finding] = result.findings
    assert finding.check == "zip"
    needed = f"{version // 10}.{version % 10}"
    assert f"needs zip version {needed} to extract (unzip reads up to 4.6)" in finding.message
    # The recipient's unzip agrees the archive is not whole for it.
    listing = subprocess.run(["unzip", "-t", str(bad)], capture_output=True, text=True, check=False)
    assert (
        listing.returncode != 0 and f"need PK compat. v{needed}" in listing.stdout + listing.stderr
    )


@pytest.mark.parametrize("version", [10, 20, 45, 46])
def test_versions_unzip_reads_are_accepted(built: Built, tmp_path: Path, version: int) -> None:
    good = _needing(built, version, tmp_path / "reads.zip")
    assert verify_bundle(good).findings == []
