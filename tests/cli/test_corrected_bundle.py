"""A corrected item travels with its current facts and its history: the manifest says the
corrected values, the chain inside carries the signed corrections, the recipient's verifier
accepts it, and the custody report shows them."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

from tests.bundle.bundle_support import REQUEST_ARGS
from tests.test_cli import CASE, Shell, _ingest, _item_id


def test_manifest_and_report_carry_the_corrected_facts(
    sh: Shell, photo: Path, tmp_path: Path
) -> None:
    _ingest(sh, photo, options=("--acquired-at", "2027-11-02T14:30:00+03:00"))
    item = _item_id(sh)
    sh(
        "item",
        "amend",
        item,
        "--acquired-at",
        "2026-11-02T14:30:00+03:00",
        "--method",
        "UFED 7.6 logical",
        "--reason",
        "protocol No 17 says 2026",
        "--as",
        "A. Ivanov",
    )
    sh("item", "digests", item, "--legacy", "--as", "A. Ivanov")
    sh("event", item, "--action", "sealed", "--seal", "0042117", "--as", "A. Ivanov")
    sh("event", item, "--action", "analysed", "--as", "P. Sidorov", "--purpose", "EXIF")
    sh(
        "key",
        "new",
        "--name",
        "Prosecutor",
        "--org",
        "PGO",
        "--country",
        "BY",
        "--role",
        "prosecutor",
    )
    out = tmp_path / "request.zip"
    sh("bundle", CASE, "--as", "Prosecutor", "-o", str(out), *REQUEST_ARGS)
    with zipfile.ZipFile(out) as zf:
        name = next(n for n in zf.namelist() if n.endswith("/manifest.json"))
        manifest = json.loads(zf.read(name))
    (entry,) = manifest["items"]
    assert entry["acquired"] == {"at": "2026-11-02T11:30:00.000000Z", "method": "UFED 7.6 logical"}
    assert set(entry["digests"]) == {"sha256", "sha512", "md5", "sha1"}
    actions = [r["event"]["action"] for r in entry["custody"]]
    assert actions == [
        "ingested",
        "profiled",
        "amended",
        "digests-added",
        "sealed",
        "analysed",
        "exported",
    ]
    # The recipient's side: no workspace, only the zip.
    fpr = json.loads(sh("key", "show", "Prosecutor", "--json").stdout)["fingerprint"]
    verified = sh("verify", str(out), "--fingerprint", fpr)
    assert "item.facts" not in verified.stdout or "FAIL" not in verified.stdout
    quiet = sh("verify", str(out), "--fingerprint", fpr, "-q")
    # -q: no tables, but every warning, every irregular event and the final status line.
    assert quiet.stdout == ""
    assert "IRREGULAR item" in quiet.stderr and "analysed while under seal 0042117" in quiet.stderr
    assert "verified: intact" in quiet.stderr.splitlines()[-1]
    report = tmp_path / "report.pdf"
    sh("report", CASE, "-o", str(report), "--as", "A. Ivanov")
    text = subprocess.run(
        ["pdftotext", "-layout", str(report), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2026-11-02" in text and "2027-11-02" in text  # the value now, and what it was
    assert "protocol No 17" in text
    # Only the analysis happened under seal: marked once, in the analysed row (its cells wrap).
    assert text.count("UNDER SEAL") == 1, text
    assert "UNDER SEAL" in next(line for line in text.splitlines() if "analysed" in line) or (
        re.search(r"analysed[^\n]*\n(?:[^\n]*\n){0,3}[^\n]*UNDER SEAL", text)
    )
