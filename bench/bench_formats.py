"""Benchmark the export formats of parser version 3 (run by hand: .venv/bin/python
bench/bench_formats.py [FORMAT ...]).

For each format, writes a 100,000-record export in its real layout into a temporary folder and
profiles it: records per second (CPU) and peak traced Python memory (tracemalloc). Then the
issue's case: a 50 MB single-line Telegram result.json, which must stay under 300 MB and 30 s.
Run one format per process (`bench_formats.py telegram-json-50mb`) to read its peak RSS with
/usr/bin/time -v: tracemalloc sees Python objects only.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

from evidence.profiles import build_profile, detect_evidence_type

RECORDS = 100_000
TARGET_MB, TARGET_SECONDS = 300.0, 30.0
TEXTS = [
    "Переведи на TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs сегодня",
    "ok, жду",
    "звони +375 29 765-43-21 или пиши marina.k@tut.by",
    "https://t.me/usdt_obmen_minsk",
]
ETH = "0x19a47e1e70bcc9515adfa480fc2f8bf33bd00683"


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def telegram_html(folder: Path) -> Path:
    """A zipped ChatExport folder: 100 pages of 1,000 messages, every third one joined."""
    path, rng = folder / "ChatExport_2026-11-05.zip", random.Random(1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for page in range(100):
            parts = [
                '<div class="page_header"><div class="content"><div class="text bold">'
                'Обмен</div></div></div><div class="history">'
            ]
            for i in range(1000):
                n = page * 1000 + i
                joined = " joined" if n % 3 else ""
                name = "" if joined else '<div class="from_name">Андрей</div>'
                parts.append(
                    f'<div class="message default clearfix{joined}" id="message{n}">'
                    f'<div class="body"><div class="pull_right date details" title="02.11.2026'
                    f' 10:{n % 60:02d}:00 UTC+03:00">10:15</div>{name}<div class="text">'
                    f"{rng.choice(TEXTS)}</div></div></div>"
                )
            name = "messages.html" if page == 0 else f"messages{page + 1}.html"
            archive.writestr(f"ChatExport_2026-11-05/{name}", "".join(parts) + "</div>")
    return path


def meta_json(folder: Path) -> Path:
    rng = random.Random(2)
    messages = [
        {
            "sender_name": "\u00d0\u0090\u00d0\u00bd\u00d0\u00bd\u00d0\u00b0",
            "timestamp_ms": 1793700000000 + i * 1000,
            "content": rng.choice(TEXTS),
        }
        for i in range(RECORDS)
    ]
    path = folder / "message_1.json"
    path.write_text(
        json.dumps(
            {
                "participants": [{"name": "A"}],
                "messages": messages,
                "title": "A",
                "thread_path": "inbox/a_1",
            }
        )
    )
    return path


def discord_json(folder: Path) -> Path:
    rng = random.Random(3)
    author = {
        "id": "1056789012345678901",
        "name": "k",
        "avatarUrl": "https://cdn.discordapp.com/a.png",
    }
    messages = [
        {
            "id": str(10**18 + i),
            "type": "Default",
            "author": author,
            "timestamp": f"2026-11-04T18:{i % 60:02d}:00+03:00",
            "content": rng.choice(TEXTS),
            "attachments": [],
            "mentions": [],
        }
        for i in range(RECORDS)
    ]
    path = folder / "dm.json"
    path.write_text(
        json.dumps(
            {
                "guild": {"id": "0"},
                "channel": {"id": "1", "name": "dm"},
                "messages": messages,
                "messageCount": RECORDS,
            }
        )
    )
    return path


def _csv(path: Path, header: list[str], row: Callable[[int, random.Random], list[str]]) -> Path:
    rng = random.Random(4)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for i in range(RECORDS):
            writer.writerow(row(i, rng))
    return path


def discord_csv(folder: Path) -> Path:
    return _csv(
        folder / "dm.csv",
        ["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"],
        lambda i, rng: [
            "1056789012345678901",
            "k",
            f"2026-11-05T10:{i % 60:02d}:00+03:00",
            rng.choice(TEXTS),
            "",
            "",
        ],
    )


def etherscan_csv(folder: Path) -> Path:
    header = [
        "Transaction Hash",
        "Blockno",
        "UnixTimestamp",
        "DateTime (UTC)",
        "From",
        "To",
        "ContractAddress",
        "Value_IN(ETH)",
        "Value_OUT(ETH)",
        "CurrentValue",
        "TxnFee(ETH)",
        "TxnFee(USD)",
        "Historical $Price/Eth",
        "Status",
        "ErrCode",
        "Method",
    ]
    return _csv(
        folder / "export.csv",
        header,
        lambda i, rng: [
            "0x" + _hex(rng),
            str(21190000 + i),
            "1793600000",
            f"2026-11-02 10:{i % 60:02d}:00",
            ETH,
            f"0x{i:040x}",
            "",
            "0",
            "1,000.5",
            "0",
            "0.0004",
            "1.3",
            "3010",
            "",
            "",
            "Transfer",
        ],
    )


def tronscan_csv(folder: Path) -> Path:
    path, rng = folder / "trc20.csv", random.Random(5)
    with path.open("w", encoding="utf-8") as out:
        for i in range(RECORDS):
            out.write(
                f"{_hex(rng)},{66120000 + i},2026-11-05 00:{i % 60:02d}:00,"
                "TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs,TFqBcsgnU36wDfKpEamXwL8M8ATWnPThKX,"
                "100,USDT\n"
            )
    return path


def russian_statement(folder: Path) -> Path:
    path = folder / "выписка.csv"
    with path.open("w", encoding="cp1251", newline="") as out:
        out.write("Выписка по счёту;;;;\r\nПериод: 01.11.2026 - 30.11.2026;;;;\r\n")
        out.write("Дата;Операция;Сумма;Валюта;Адрес / реквизиты\r\n")
        for i in range(RECORDS):
            out.write(
                f"{1 + i % 28:02d}.11.2026 10:{i % 60:02d};Пополнение;+{i % 9000},00;RUB;"
                "BY20OLMP31350000001000000933\r\n"
            )
    return path


def viber_csv(folder: Path) -> Path:
    """Viber's tab layout: ="date", time, ="sender", ="phone", "text"; every fifth text has two
    lines."""
    path, rng = folder / "Viber Andrei.csv", random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        for i in range(RECORDS):
            text = rng.choice(TEXTS) + ("\nок" if i % 5 == 0 else "")
            out.write(
                f'="{1 + i % 28:02d}/11/2026"\t10:{i % 60:02d}:00\t="Andrei"\t="+375447654321"'
                f'\t"{text}"\r\n'
            )
    return path


def htx_trades_zh(folder: Path) -> Path:
    """HTX's Chinese-interface trade history: quoted header, unquoted rows ending in a comma,
    买入/卖出, the fee's unit glued to it (parser version 5: fees totalled)."""
    path, rng = folder / "huobi-records.csv", random.Random(11)
    pairs = ["BTC/USDT", "ETH/USDT", "TRX/USDT", "DOGE/USDT"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write('"时间","交易类型","交易对","方向","价格","数量","成交额","手续费"\n')
        for i in range(RECORDS):
            pair = rng.choice(pairs)
            side = "买入" if i % 2 else "卖出"
            fee_unit = pair.split("/")[0] if side == "买入" else "USDT"
            out.write(
                f"2026-11-{1 + i % 28:02d} 10:{i % 60:02d}:{i % 60:02d},币币交易,{pair},{side},"
                f"{rng.randint(1, 70000)}.25,0.{rng.randint(1000, 9999)},"
                f"{rng.randint(1, 9000)}.50000000,0.{rng.randint(100, 999)}{fee_unit},\n"
            )
    return path


def binance_deposits(folder: Path) -> Path:
    """Binance's 2023 deposit history: Date(UTC+0) written "26-11-03 10:15:22"."""
    return _csv(
        folder / "deposit_history.csv",
        ["Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"],
        lambda i, rng: [
            f"26-11-{1 + i % 28:02d} 10:{i % 60:02d}:00",
            "USDT",
            "TRX",
            str(100 + i % 900),
            "TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs",
            _hex(rng),
            "Completed",
        ],
    )


def erc20_csv(folder: Path) -> Path:
    """An ERC-20 export of one address with 500 counterparties: the own address is inferred
    after the last row, and every amount waits for it (bounded by address pairs)."""
    header = ["Transaction Hash", "Blockno", "UnixTimestamp", "DateTime (UTC)", "From", "To",
              "TokenValue", "USDValueDayOfTx", "ContractAddress", "TokenName",
              "TokenSymbol"]  # fmt: skip
    return _csv(
        folder / "export-tokentxns.csv",
        header,
        lambda i, rng: [
            "0x" + _hex(rng),
            str(21190000 + i),
            "1793600000",
            f"2026-11-02 10:{i % 60:02d}:00",
            *((ETH, f"0x{i % 500:040x}") if i % 3 else (f"0x{i % 500:040x}", ETH)),
            "1,250.5",
            "$1,250.00",
            "0xdac17f958d2ee523a2206206994597c13d831ec7",
            "Tether USD",
            "USDT",
        ],
    )


def telegram_json_50mb(folder: Path) -> Path:
    """The issue's case: a single-line 50 MB result.json (about 215,000 messages)."""
    rng, messages = random.Random(6), []
    for i in range(215_000):
        messages.append(
            {
                "id": i,
                "type": "message",
                "date": "2026-11-02T10:15:00",
                "date_unixtime": str(1793610900 + i * 30),
                "from": "Алесь",
                "from_id": "user5123456789",
                "text": rng.choice(TEXTS),
                "text_entities": [{"type": "plain", "text": "x"}],
            }
        )
    path = folder / "result.json"
    with path.open("w", encoding="utf-8") as out:
        json.dump(
            {"name": "Алесь", "type": "personal_chat", "id": 5123456789, "messages": messages},
            out,
            ensure_ascii=False,
            separators=(",", ":"),
        )
    return path


FORMATS: dict[str, Callable[[Path], Path]] = {
    "telegram-html-zip": telegram_html,
    "meta-json": meta_json,
    "discord-json": discord_json,
    "discord-csv": discord_csv,
    "etherscan-csv": etherscan_csv,
    "tronscan-csv": tronscan_csv,
    "russian-statement-cp1251": russian_statement,
    "viber-csv": viber_csv,
    "binance-deposits-csv": binance_deposits,
    "htx-trades-zh-csv": htx_trades_zh,
    "erc20-csv": erc20_csv,
    "telegram-json-50mb": telegram_json_50mb,
}


def main(names: list[str]) -> int:
    """Profile each format's big export and print records/s and peak memory."""
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name in names or list(FORMATS):
            path = FORMATS[name](Path(tmp))
            kind = detect_evidence_type(path, path.name, "")
            started, cpu = time.perf_counter(), time.process_time()
            p = build_profile(path, kind, original_name=path.name, media_type="", metadata={})
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            tracemalloc.start()
            build_profile(path, kind, original_name=path.name, media_type="", metadata={})
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            read = p.get("records", {}).get("read", 0)
            passed = "error" not in p and peak < TARGET_MB
            if name == "telegram-json-50mb":
                passed &= cpu < TARGET_SECONDS
            ok &= passed
            print(
                f"{name:26} {path.stat().st_size / 1e6:6.1f} MB  {read:7,} records  "
                f"CPU {cpu:6.2f} s (wall {wall:6.2f} s)  {read / cpu:9,.0f} records/s  "
                f"peak traced {peak:6.1f} MB  {'OK' if passed else 'MISSED'}"
            )
            path.unlink()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.1f} MB (whole run, data generation included)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
