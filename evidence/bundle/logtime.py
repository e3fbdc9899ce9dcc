"""The RFC 3161 token of the checkpoint a bundle carries (`log/checkpoint.json`): check
`log.timestamp`, judged as audit judges a workspace's tokens.

The token sits beside the signed body in the file (`"timestamp": {"token", "gen_time",
"tsa_url"}`), so the sender could strip or swap it; the body signs whether one was required
(`timestamp.policy`, custody-checkpoint/3). The token's imprint must be SHA-256 of the
checkpoint's DER signature, its TSA signature must verify (and, with `--tsa-trust`, its
certificate chain to those CAs), its genTime must not precede the checkpoint's signed time and,
for a required token, follow it by at most the window audit allows. A token that holds gives
the time rules its genTime.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from asn1crypto import x509 as asn1_x509

from ..checkpoint import Checkpoint, token_policy
from ..errors import EvidenceError
from ..message import Message
from ..timefmt import parse_rfc3339
from ..timestamp.checkpoints import REQUIRED_WITHIN, signature_bytes
from ..timestamp.verify import verify_token
from .checklist import Checklist

CHECK = "log.timestamp"
SUBJECT = "log/checkpoint.json"


def check_checkpoint_token(
    cp: Checkpoint,
    entry: Any,
    tsa_trust: list[asn1_x509.Certificate] | None,
    checks: Checklist,
) -> str | None:
    """Judge the file's `timestamp` entry (None when it has none) for checkpoint cp; return
    the token's genTime when it holds, else None (every problem listed in checks)."""
    policy = token_policy(cp.body)
    if entry is None:
        if policy == "required":
            checks.fail(
                CHECK,
                SUBJECT,
                Message(
                    "checkpoint #{seq}'s signed body required an RFC 3161 token and the file "
                    "carries none (stripped?)",
                    seq=cp.seq,
                ),
            )
        else:
            checks.skip(
                CHECK,
                Message(
                    "checkpoint #{seq} carries no RFC 3161 token ({policy})",
                    seq=cp.seq,
                    policy=policy,
                ),
            )
        return None
    der = _token_der(entry)
    if der is None:
        checks.fail(CHECK, SUBJECT, Message("its `timestamp` entry holds no base64 token"))
        return None
    try:
        claimed = parse_rfc3339(str(cp.body.get("created_at")), "created_at")
    except EvidenceError:
        claimed = None  # the schema check refuses such a body before this runs
    window = REQUIRED_WITHIN if policy == "required" else None
    result = verify_token(der, signature_bytes(cp), tsa_trust, SUBJECT, claimed, window)
    problems: list[Message] = [f.message for f in result.findings]
    if result.gen_time is not None and entry.get("gen_time") != result.gen_time:
        problems.append(
            Message(
                "its gen_time {value!r} is not the token's genTime", value=entry.get("gen_time")
            )
        )
    for problem in problems:
        checks.fail(CHECK, SUBJECT, problem)
    if problems:
        return None
    path = "its TSA's certificate chains to --tsa-trust" if tsa_trust else "no --tsa-trust given"
    checks.ok(
        CHECK,
        SUBJECT,
        Message(
            "RFC 3161 time {gen_time} by {tsa} over checkpoint #{seq}'s signature; checkpoint's "
            "claimed time {claimed} ({path})",
            gen_time=Message.moment(result.gen_time),
            tsa=result.tsa,
            seq=cp.seq,
            claimed=Message.moment(cp.body.get("created_at")),
            path=path,
        ),
    )
    return result.gen_time


def _token_der(entry: Any) -> bytes | None:
    token = entry.get("token") if isinstance(entry, dict) else None
    if not isinstance(token, str):
        return None
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
