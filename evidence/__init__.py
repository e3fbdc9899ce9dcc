"""Chain of custody for electronic evidence: hashing, vault, signed ledger, bundles."""

__version__ = "0.1.0"
