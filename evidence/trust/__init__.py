"""Trust: the workspace's root, enrolment and revocation records, and establishing signers.

- records.py: the signed record bodies (`custody-trust/1`) and their strict reading.
- establish.py: pure functions deciding which certificates a root vouches for, on the
  workspace's own data (audit) or on a bundle's `trust` object (verify), and the export.
- store.py: the ledger tables `trust_anchor` and `trust_records`.
"""
