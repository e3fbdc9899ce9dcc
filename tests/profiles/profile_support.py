"""Helpers shared by the profile tests (imported rootdir-relative as tests.profiles...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence.profiles import build_profile, detect_evidence_type

DATA = Path(__file__).parents[1] / "data" / "profiles"


def profile_of(path: Path, evidence_type: str | None = None, **meta: Any) -> dict[str, Any]:
    """build_profile on a sample, with 'auto' detection when no type is given."""
    kind = evidence_type or detect_evidence_type(path, path.name, "")
    return build_profile(path, kind, original_name=path.name, media_type="", metadata=meta)


def values(profile: dict[str, Any], kind: str) -> set[str]:
    """Values of one identifier kind in a profile."""
    return {i["value"] for i in profile.get("identifiers", []) if i["kind"] == kind}


def assert_json_types(value: Any) -> None:
    """Fail on anything canonical JSON would mangle (floats) or refuse (non-JSON types)."""
    stack = [value]
    while stack:
        node = stack.pop()
        assert not isinstance(node, float), f"float in profile: {node!r}"
        if isinstance(node, dict):
            assert all(isinstance(k, str) for k in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            assert node is None or isinstance(node, (str, int, bool)), repr(node)
