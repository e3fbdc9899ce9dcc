"""Benchmark content profiles on big inputs (run by hand: .venv/bin/python bench/bench_profiles.py).

Generates a 100,000-message WhatsApp export and a 100,000-row e-wallet CSV in a temporary
folder, times build_profile on each and measures peak Python memory with tracemalloc (plus the
process's peak RSS), and prints the figures against the targets: under 5 s and under 300 MB.
"""

from __future__ import annotations

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


def measure(path: Path, evidence_type: str, name: str) -> tuple[float, float, dict[str, Any]]:
    """Seconds of a plain run, then peak traced MB of a second run (tracemalloc slows it)."""
    started = time.perf_counter()
    profile = build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    build_profile(path, evidence_type, original_name=name, media_type="", metadata={})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 1e6, profile


def main() -> int:
    """Run both benchmarks and print figures; exit 1 if a target is missed."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        chat, csv_path = Path(tmp) / "chat.txt", Path(tmp) / "statement.csv"
        write_whatsapp(chat)
        write_statement(csv_path)
        for path, evidence_type, name in (
            (chat, "chat-export", "WhatsApp Chat.txt"),
            (csv_path, "wallet-record", "qiwi.csv"),
        ):
            seconds, peak_mb, profile = measure(path, evidence_type, name)
            size_mb = path.stat().st_size / 1e6
            passed = seconds < TARGET_SECONDS and peak_mb < TARGET_MB and "error" not in profile
            ok &= passed
            print(
                f"{name:20} {size_mb:6.1f} MB  kind={profile['kind']:18} "
                f"time {seconds:5.2f} s (target < {TARGET_SECONDS:.0f})  "
                f"peak traced {peak_mb:6.1f} MB (target < {TARGET_MB:.0f})  "
                f"{'OK' if passed else 'MISSED'}"
            )
            count = profile.get("message_count", profile.get("rows"))
            print(f"{'':20} records {count}, identifiers {profile.get('identifiers_total')}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss_mb:.1f} MB (whole run, including data generation)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
