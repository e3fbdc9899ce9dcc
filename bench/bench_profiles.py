"""Benchmark content profiles on big inputs (run by hand: .venv/bin/python bench/bench_profiles.py).

Generates, in a temporary folder, a 100,000-message Android WhatsApp export, a 100,000-message
loose iOS `_chat.txt` (group notices, U+200E, attachments), a 100,000-row e-wallet CSV and a
100,000-row Binance exchange CSV; times build_profile on each and measures peak Python memory
with tracemalloc (plus the process's peak RSS), against the targets: under 5 s and 300 MB. Then
`custody profile` (evidence.analysis.reprofile) over a 10,000-item case, ingested first.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from evidence.profiles import build_profile

TARGET_SECONDS = 5.0
TARGET_MB = 300.0
MESSAGES = 100_000
ITEMS = 10_000
NAMES = ["Алесь Навумчык", "Марына Ковалева", "David Miller", "+375 44 111-22-33"]
TEXTS = [
    "Прывітанне! Скінь нумар карткі, калі ласка",
    "Патэлефануй мне +375 29 765-43-21 або пішы на marina.k@tut.by",
    "Вось мой профіль https://vk.com/id987654321 і https://instagram.com/shop_nice",
    "Переведи на bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 сегодня",
    "IMG-20261102-WA0003.jpg (file attached)",
    "<Media omitted>",
    "ok",
]


def write_whatsapp(path: Path) -> None:
    rng = random.Random(42)
    with path.open("w", encoding="utf-8") as out:
        for i in range(MESSAGES):
            day, minute = 1 + (i // 1440) % 28, i % 1440
            out.write(
                f"{day:02d}.11.2026, {minute // 60:02d}:{minute % 60:02d} - "
                f"{rng.choice(NAMES)}: {rng.choice(TEXTS)}\n"
            )
            if i % 10 == 0:
                out.write("a second line of the same message\n")


def write_ios(path: Path) -> None:
    rng = random.Random(43)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "[01.11.26, 00:00:00] Покупки Минск: \u200eСообщения и звонки защищены сквозным "
            "шифрованием.\n"
        )
        for i in range(MESSAGES):
            day, second = 1 + (i // 86400) % 28, (i * 7) % 86400
            clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            text = rng.choice(TEXTS)
            if i % 50 == 0:
                text = f"\u200e<attached: {i:08d}-PHOTO-2026-11-{day:02d}-10-00-00.jpg>"
            prefix = "\u200e" if i % 50 == 0 else ""
            out.write(f"{prefix}[{day:02d}.11.26, {clock}] {rng.choice(NAMES)}: {text}\n")


def write_exchange(path: Path) -> None:
    rng = random.Random(8)
    with path.open("w", encoding="utf-8") as out:
        out.write("User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n")
        for i in range(MESSAGES):
            coin = rng.choice(["BTC", "ETH", "USDT", "BNB"])
            change = f"{rng.choice(['-', ''])}{rng.randrange(1, 10**8) / 10**6:.8f}"
            op = rng.choice(["Deposit", "Withdraw", "Buy", "Sell", "Transaction Related"])
            out.write(f"123456789,2026-11-{1 + i % 28:02d} 10:{i % 60:02d}:00,Spot,{op},"
                      f"{coin},{change},\n")  # fmt: skip


def bench_reprofile(root: Path) -> bool:
    """`custody profile` over a 10,000-item case: ingest 10,000 small exports, then re-profile."""
    from evidence.analysis import reprofile
    from evidence.cases import create_case
    from evidence.ingest import IngestOptions, ingest
    from evidence.workspace import Workspace

    files = root / "case-files"
    files.mkdir()
    for n in range(ITEMS):
        (files / f"chat-{n:05d}.txt").write_text(
            f"[0{1 + n % 9}.11.26, 10:00:00] Иван: заказ {n}, кошелёк "
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\n"
            f"[0{1 + n % 9}.11.26, 10:01:00] Ольга: +375 29 765-43-21\n",
            encoding="utf-8",
        )
    ws = Workspace.init(root / "ws")
    record = ws.keys.create("Bench", "Bench", "BY", "investigator", "bench passphrase")
    signer = ws.keys.unlock(record, "bench passphrase")
    create_case(ws.ledger, "BENCH-1", "bench", "BY", "none", "bench")
    started = time.perf_counter()
    ingest(ws, signer, [files], IngestOptions(case="BENCH-1", source="bench"))
    ingest_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    report = reprofile(ws, signer, "BENCH-1")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ws.close()
    passed = report.count("unchanged") == ITEMS
    print(
        f"custody profile over {ITEMS:,} items: {seconds:5.2f} s, CPU {cpu:5.2f} s "
        f"({ITEMS / seconds:,.0f} items/s; ingest of the same took {ingest_s:.1f} s), "
        f"{report.count('unchanged')} unchanged  {'OK' if passed else 'MISSED'}"
    )
    return passed


def write_statement(path: Path) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="cp1251") as out:
        out.write("Дата;Сумма;Валюта;Кошелёк/Контрагент;Комментарий\n")
        for i in range(MESSAGES):
            party = (
                f"+7 916 {rng.randrange(10**7):07d}" if i % 3 else f"Z{rng.randrange(10**12):012d}"
            )
            amount = f"{rng.choice('-+')}{rng.randrange(1, 100000)},{rng.randrange(100):02d}"
            out.write(f"{1 + i % 28:02d}.11.2026 10:{i % 60:02d}:00;{amount};RUB;{party};платёж\n")


def measure(
    path: Path, evidence_type: str, name: str
) -> tuple[float, float, float, dict[str, Any]]:
    """Wall and CPU seconds of a plain run, then peak traced MB of a second run (tracemalloc
    slows it). CPU time is printed too: on a shared machine the wall time measures the load."""
    started, cpu = time.perf_counter(), time.process_time()
    profile = build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, cpu, peak / 1e6, profile


def main() -> int:
    """Run both benchmarks and print figures; exit 1 if a target is missed."""
    ok = True
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        chat, csv_path = Path(tmp) / "chat.txt", Path(tmp) / "statement.csv"
        ios, exchange = Path(tmp) / "_chat.txt", Path(tmp) / "binance.csv"
        write_whatsapp(chat)
        write_ios(ios)
        write_statement(csv_path)
        write_exchange(exchange)
        for path, evidence_type, name in (
            (chat, "chat-export", "WhatsApp Chat.txt"),
            (ios, "chat-export", "_chat.txt"),
            (csv_path, "wallet-record", "qiwi.csv"),
            (exchange, "wallet-record", "binance.csv"),
        ):
            seconds, cpu, peak_mb, profile = measure(path, evidence_type, name)
            size_mb = path.stat().st_size / 1e6
            passed = cpu < TARGET_SECONDS and peak_mb < TARGET_MB and "error" not in profile
            ok &= passed
            print(
                f"{name:20} {size_mb:6.1f} MB  kind={profile['kind']:18} "
                f"time {seconds:5.2f} s, CPU {cpu:5.2f} s (target < {TARGET_SECONDS:.0f})  "
                f"peak traced {peak_mb:6.1f} MB (target < {TARGET_MB:.0f})  "
                f"{'OK' if passed else 'MISSED'}"
            )
            count = profile.get("message_count", profile.get("rows"))
            print(f"{'':20} records {count}, identifiers {profile.get('identifiers_total')}")
        ok &= bench_reprofile(Path(tmp))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss_mb:.1f} MB (whole run, including data generation)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
