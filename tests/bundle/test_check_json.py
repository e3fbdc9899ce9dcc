"""One JSON shape for a check in `audit --json` and `verify --json` (schemas/check.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from evidence.audit import audit
from evidence.bundle.verify import verify_bundle
from tests.bundle.bundle_support import Built, tampered
from tests.helpers import CASE

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "check.schema.json").read_text())


def _valid(checks: list[dict[str, object]]) -> None:
    assert checks
    for check in checks:
        jsonschema.validate(check, SCHEMA)


def test_audit_and_verify_checks_share_one_shape(built: Built, tmp_path: Path) -> None:
    audited = audit(built.world.ws, CASE).to_json()
    _valid(audited["checks"])
    verified = verify_bundle(built.zip_path).to_json()
    _valid(verified["checks"])
    assert set(audited["checks"][0]) == set(verified["checks"][0])
    # Failures too, with null where there is no value.
    archive = tampered(built, tmp_path, lambda bag: (bag / "bag-info.txt").write_text("x: y\n"))
    failed = verify_bundle(archive).to_json()
    _valid(failed["checks"])
    assert any(c["status"] == "failed" for c in failed["checks"])
    assert any(c["status"] == "warning" for c in verified["checks"])  # signer not established
