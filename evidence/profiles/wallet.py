"""Wallet records in JSON or plain text: addresses and txids with checksum verdicts, time range.

Exports differ per wallet and explorer (Electrum, Exodus, blockchain explorers, exchange
statements), so instead of one schema per tool the record is walked as a tree of strings and
numbers: every string is scanned for addresses, txids and raw transactions, and values under
keys that name a time are read as times.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Mapping
from typing import Any

from evidence.profiles.chat import TimeRange
from evidence.profiles.limits import PROFILE_VERSION, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import load_json, looks_binary, read_head
from evidence.profiles.statements import wallet_findings
from evidence.profiles.textscan import IdentifierScanner
from evidence.profiles.values import parse_time, parse_unix_time

_TIME_KEYS = ("time", "date", "timestamp", "datetime", "created", "block_time", "blocktime")
_DIGIT_RE = re.compile(r"[0-9]")
_MAX_NODES = 5_000_000  # a JSON tree past this many values is walked no further
_TIMEZONE = "as written in the file; values ending in Z are UTC"
_TXID_KEYS = {"txid", "tx_hash", "txhash", "transactionhash", "transaction_hash", "tx_id",
              "transactionid", "transaction_id", "hash_tx", "txn_hash"}  # fmt: skip
_TX_LIST_KEYS = {"tx", "txs", "transactions", "txids"}
# keys only a transaction has, and keys that mark a block (whose "hash" is a block hash)
_TX_KEYS = {"vin", "vout", "inputs", "outputs", "from", "to", "fee", "gasprice", "gas_price",
            "input", "nonce", "locktime", "value", "amount"}  # fmt: skip
_BLOCK_KEYS = {"parenthash", "previousblockhash", "merkleroot", "chainwork", "stateroot",
               "transactionsroot", "receiptsroot", "miner", "difficulty", "nbits", "bits",
               "prev_block", "mrkl_root"}  # fmt: skip


def _is_time_key(key: str) -> bool:
    lowered = key.lower()
    return any(
        lowered == k or lowered.endswith("_" + k) or lowered.startswith(k) for k in _TIME_KEYS
    )


def _tx_like(node: Mapping[Any, Any]) -> bool:
    """True for an object shaped like a transaction (not a block): its "hash" is a txid."""
    keys = {str(k).lower() for k in node}
    if keys & _BLOCK_KEYS:
        return False
    return bool(keys & _TX_KEYS)


def walk_json(data: Any, scanner: IdentifierScanner, times: TimeRange, deadline: Deadline) -> bool:
    """Scan a JSON tree iteratively (no recursion limit to hit); True if cut short.

    A 64-hex string counts as a txid only under a txid key, under "hash" of a transaction-shaped
    object, or in a list under "tx"/"transactions"; the path of each value is the location
    secrets are reported at.
    """
    stack: list[tuple[str, str, Any, bool]] = [("", "$", data, False)]
    nodes = 0
    while stack:
        key, where, node, tx_context = stack.pop()
        nodes += 1
        if nodes > _MAX_NODES or (nodes % 8192 == 0 and deadline.expired()):
            return True
        if isinstance(node, Mapping):
            tx_hash = _tx_like(node)
            for k, v in node.items():
                name = str(k)
                lowered = name.lower()
                context = lowered in _TXID_KEYS or (lowered == "hash" and tx_hash)
                stack.append((name, f"{where}.{name[:60]}", v, context))
        elif isinstance(node, list):
            listed = tx_context or key.lower() in _TX_LIST_KEYS
            stack.extend((key, f"{where}[{i}]", v, listed) for i, v in enumerate(node))
        elif isinstance(node, str):
            scanner.where = f"JSON {where}"
            scanner.scan(node[:1_000_000], tx_context=tx_context)
            if _is_time_key(key):
                times.add(parse_time(node))
        elif isinstance(node, int) and not isinstance(node, bool) and _is_time_key(key):
            times.add(parse_unix_time(node))
    return False


def _profile(fmt: str, scanner: IdentifierScanner, times: TimeRange, cut: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "wallet-record",
        "profile_version": PROFILE_VERSION,
        "format": fmt,
        "time_range": {"first": times.first, "last": times.last},
        "timezone": _TIMEZONE,
    }
    out.update(wallet_findings(scanner))
    out["truncated"] = cut or scanner.found.truncated
    return out


def profile_wallet_json(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a wallet or explorer JSON export."""
    data = load_json(path, limits)
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    cut = walk_json(data, scanner, times, deadline)
    return _profile("json", scanner, times, cut)


def profile_wallet_text(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a plain-text wallet record (notes, copied explorer pages), streamed by line."""
    if looks_binary(read_head(path, limits.sniff_bytes)):
        raise ProfileFailure("binary content, not a text wallet record")
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    cut = False
    read = 0
    try:
        with path.open("rb") as handle:
            for lineno, raw in enumerate(iter(lambda: handle.readline(limits.max_line_bytes), b"")):
                read += len(raw)
                if read > limits.max_text_bytes or (lineno % 4096 == 0 and deadline.expired()):
                    cut = True
                    break
                line = raw.decode("utf-8", errors="replace")
                scanner.where = f"line {lineno + 1}"
                scanner.scan(line)
                if _DIGIT_RE.search(line, 0, 64):
                    times.add(parse_time(line[:64]))
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    return _profile("text", scanner, times, cut)
