"""What verifying a bundle found: every check, the verdict per item, the signer.

Apart from the checks themselves (`bagchecks`), so that `custody verify` can load the zip reader
and start hashing before the modules of the checks that come after the hashing are imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Check, Finding
from .packaging import UNCHANGED, Packaging

if TYPE_CHECKING:
    from ..entries import Irregularity
    from ..excerpt.proof import ExcerptVerdict
    from .signer import SignerVerdict


@dataclass(frozen=True)
class ItemVerdict:
    """One row of the verdict table."""

    item_id: str
    file: str
    path: str
    digests_ok: bool
    chain_ok: bool
    events: int
    last_custodian: str | None
    sha256: str | None = None  # as the signed manifest states it

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    """Every check made on a bundle, the verdict per item, and the signer."""

    source: str
    checks: tuple[Check, ...]
    items: tuple[ItemVerdict, ...]
    signer: SignerVerdict | None
    manifest_sha256: str | None
    request_ref: str | None
    # The manifest's `trust` object (evidence-manifest/2), carried as data; establishing
    # custodians from it is the trust package's work.
    trust: dict[str, Any] | None = None
    # Irregular custody events in chains that hold (seal history, under seal, not the holder):
    # custody facts the reader must see; they do not fail the bundle.
    irregularities: tuple[Irregularity, ...] = ()
    # What each excerpt (evidence-manifest/3) disclosed, once its proof held.
    excerpts: tuple[ExcerptVerdict, ...] = ()
    # How the bundle reached us, where it differs from how `custody bundle` packs it: a
    # re-packed bundle whose every byte holds is "packaging changed, contents intact".
    packaging: Packaging = UNCHANGED

    @property
    def findings(self) -> list[Finding]:
        """Every failed check."""
        return [Finding(c.name, c.subject, c.message) for c in self.checks if c.status == "failed"]

    @property
    def status(self) -> str:
        """'verified', 'signer-unverified' (all holds but who signed) or 'failed'."""
        if self.findings:
            return "failed"
        if self.signer is None or not self.signer.established:
            return "signer-unverified"
        return "verified"

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "source": self.source,
            "status": self.status,
            "request_ref": self.request_ref,
            "manifest_sha256": self.manifest_sha256,
            "signer": None if self.signer is None else self.signer.to_json(),
            "items": [i.to_json() for i in self.items],
            "checks": [c.to_json() for c in self.checks],
            "irregularities": [i.to_json() for i in self.irregularities],
            "packaging": self.packaging.to_json(),
            "trust": self.trust,
        }
