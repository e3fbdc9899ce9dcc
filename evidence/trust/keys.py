"""A workspace's key store under its trust root: each new key enrolled as it is made.

On one workstation the solo path stays short: when the root is an authority key kept here, the
authority enrols every new key in the transaction that stores it; `custody init` makes the
authority itself the root (it enrols itself, so its rows' dates are signed like the others').
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509

from ..keys import Identity, KeyRecord, NewPassphrase, Signer
from ..keystore import KeyStore, Stored
from .authority import enrol_certificate, local_authority
from .store import require_signing, set_anchor


class TrustedKeyStore(KeyStore):
    """The key store workspaces use: `create` enrols the new key through the trust root, and
    `signer` hands out only keys the trust root lets sign."""

    def signer(
        self, record: KeyRecord, passphrase: Callable[[], str], *, to_sign: bool = True
    ) -> Signer:
        """Unlock a key to sign with. A key the trust root does not let sign now is refused
        before `passphrase` is called (it prompts, in the CLI); to_sign=False for a key that
        only asks to be vouched for (its CSR)."""
        if to_sign:
            require_signing(self.ledger, record)
        return self.unlock(record, passphrase())

    def create(
        self,
        name: str,
        organisation: str,
        country: str,
        role: str,
        passphrase: str,
        *,
        authority_passphrase: str | None = None,
        enrol: bool = True,
        anchor: bool = False,
    ) -> KeyRecord:
        """create_key for an identity and a passphrase given as text (checked here, once)."""
        return self.create_key(
            Identity(name, organisation, country, role),
            NewPassphrase(passphrase),
            authority_passphrase=authority_passphrase,
            enrol=enrol,
            anchor=anchor,
        )

    def create_key(
        self,
        identity: Identity,
        passphrase: NewPassphrase,
        *,
        authority_passphrase: str | None = None,
        enrol: bool = True,
        anchor: bool = False,
        stored: Stored | None = None,
    ) -> KeyRecord:
        """Generate a P-256 key and a self-signed certificate; store both, and enrol the key.

        When the workspace's trust root is an authority key kept here, the authority enrols
        the new key in the same transaction (the solo path): it is unlocked with
        authority_passphrase, or else with the new key's own passphrase. enrol=False leaves
        the key unenrolled (`custody key enrol` later); anchor=True makes the key the
        workspace's authority root itself.
        """
        self.require_free_name(identity.name)
        local = local_authority(self) if enrol and not anchor else None
        authority = (
            None
            if local is None
            else self.unlock(
                local, passphrase if authority_passphrase is None else authority_passphrase
            )
        )

        def enrolled(itself: Signer, cert: x509.Certificate, at: str) -> None:
            if anchor:
                set_anchor(self.ledger, "authority", cert, at)
                enrol_certificate(self, itself, cert, at=at, reason="root")
            if authority is not None:
                enrol_certificate(self, authority, cert, at=at)
            if stored is not None:
                stored(itself, cert, at)

        return self._generate(identity, passphrase, enrolled)
