"""Audit: verify every event, chain, checkpoint and (on request) vault file of a workspace.

Nothing is trusted because it is in the ledger: each signer is established through the
workspace's trust root (trust.py), every column is bound to what was signed (rows.py, chains.py)
and the files are checked as the file system holds them (files.py).

Every problem is collected as a Finding naming the item, event and what is wrong; nothing stops
at the first. `full` runs the whole audit (per-event work in worker processes: events.py),
`incremental` the audit since a trusted checkpoint. This face only hands their names on.
"""

from .full import AuditResult, audit
from .incremental import audit_since

__all__ = ["AuditResult", "audit", "audit_since"]
