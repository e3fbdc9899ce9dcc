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
from evidence.profiles.detect import Detection
from evidence.profiles.limits import (
    PROFILE_VERSION,
    Deadline,
    Limits,
    ProfileFailure,
    error_profile,
)
from evidence.profiles.reading import (
    TextEncoding,
    detect_encoding,
    load_json,
    looks_binary,
    read_head,
    text_stream,
)
from evidence.profiles.readlog import ReadLog
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


def _hex_time(text: str) -> str | None:
    """A JSON-RPC quantity ("0x6b0a3c80") read as unix seconds."""
    if text[:2] in ("0x", "0X") and 3 <= len(text) <= 18:
        try:
            return parse_unix_time(int(text, 16))
        except ValueError:
            return None
    return None


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
                times.add(_hex_time(node) or parse_time(node))
        elif isinstance(node, int) and not isinstance(node, bool) and _is_time_key(key):
            times.add(parse_unix_time(node))
    return False


def _profile(
    fmt: str, scanner: IdentifierScanner, times: TimeRange, log: ReadLog
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "wallet-record",
        "profile_version": PROFILE_VERSION,
        "format": fmt,
        "time_range": {"first": times.first, "last": times.last},
        "timezone": _TIMEZONE,
    }
    out.update(wallet_findings(scanner))
    out.update(log.to_json())
    out["truncated"] = log.stopped is not None or scanner.found.truncated
    return out


def profile_wallet_json(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a wallet or explorer JSON export: every value of the tree walked."""
    data = load_json(path, limits)
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    log = ReadLog("JSON documents", limits.max_list)
    log.ok()
    if walk_json(data, scanner, times, deadline):
        log.stop(f"stopped after {_MAX_NODES} values or at the time limit; the rest not read")
    return _profile("json", scanner, times, log)


def scan_lines(
    path: pathlib.Path, limits: Limits, deadline: Deadline
) -> tuple[IdentifierScanner, TimeRange, ReadLog, TextEncoding]:
    """Every line of a text file scanned for identifiers and times, in its own encoding."""
    head = read_head(path, limits.sniff_bytes)
    if looks_binary(head):
        raise ProfileFailure("binary content, not a text file")
    encoding = detect_encoding(head)
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    log = ReadLog("lines", limits.max_list)
    read = 0
    try:
        with text_stream(path.open("rb"), encoding) as handle:
            for lineno, line in enumerate(iter(lambda: handle.readline(limits.max_line_bytes), "")):
                read += len(line)
                if read > limits.max_text_bytes:
                    log.stop(f"stopped after {limits.max_text_bytes} characters (size limit)")
                    break
                if lineno % 4096 == 0 and deadline.expired():
                    log.stop(f"stopped at the time limit at line {lineno + 1}")
                    break
                scanner.where = f"line {lineno + 1}"
                scanner.scan(line)
                if _DIGIT_RE.search(line, 0, 64):
                    times.add(parse_time(line[:64]))
                log.ok()
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    return scanner, times, log, encoding


def profile_wallet_text(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a plain-text wallet record (notes, copied explorer pages), streamed by line."""
    scanner, times, log, encoding = scan_lines(path, limits, deadline)
    return {**_profile("text", scanner, times, log), **encoding.to_json()}


def generic_profile(
    path: pathlib.Path, kind: str, reason: str, limits: Limits, detection: Detection
) -> dict[str, Any]:
    """The fallback when no parser knows the layout: every line scanned for identifiers, with
    a notice naming the fallback and why; the parser's failure if the file is no text."""
    try:
        scanner, times, log, encoding = scan_lines(path, limits, Deadline(limits.max_seconds))
    except ProfileFailure:
        return error_profile(kind, reason)
    # the fallback comes first: it says why everything after it reads as plain lines
    log.notices.insert(
        0, f"{reason}: every line scanned for identifiers instead (generic text scan)"
    )
    out = _profile("text", scanner, times, log)
    out.update(kind=kind, detection=detection.to_json(), **encoding.to_json())
    return out
