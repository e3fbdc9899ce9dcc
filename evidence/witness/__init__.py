"""A C2SP tlog-witness (c2sp.org/tlog-witness) and the client the ledger uses to reach one."""

from .client import WitnessRefused, add_checkpoint, cosign_with, latest
from .server import WitnessServer
from .service import Reply, Witness
from .store import WitnessStore, origin_hash

__all__ = [
    "Reply",
    "Witness",
    "WitnessRefused",
    "WitnessServer",
    "WitnessStore",
    "add_checkpoint",
    "cosign_with",
    "latest",
    "origin_hash",
]
