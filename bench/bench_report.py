"""Benchmark: custody report of 1,000 items and 10,000 events, time and peak memory.

Targets: under 20 s and under 500 MB peak resident memory.

    .venv/bin/python bench/bench_report.py            # synthetic data, rendered straight
    .venv/bin/python bench/bench_report.py --e2e      # also a real workspace: ingest, events,
                                                      # audit, collect, render (slower to set up)
    .venv/bin/python bench/bench_report.py --signed   # also in Russian, Minsk time, signed
                                                      # (PAdES B-T against the local TSA)

Each scenario runs in a fresh interpreter so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ITEMS = 1000
EVENTS_PER_ITEM = 10
TARGET_S, TARGET_MB = 20.0, 500.0


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def synthetic(items: int, per_item: int) -> Any:
    """CustodyReportData with Cyrillic names, long file names and transfers, built in memory."""
    from evidence.cases import Case
    from evidence.errors import Finding
    from evidence.hashing import Digests
    from evidence.items import Item
    from evidence.report.model import (
        CheckLine,
        CustodyReportData,
        SignerInfo,
        Verdict,
    )
    from evidence.timeline import Entry, ItemTimeline

    case = Case("BY-2026-0042", "Мошенничество", "BY", "ст. 209 УК", "2026-11-01T09:00:00Z", "x")
    ivanov, petrova = _h("ivanov"), _h("petrova")
    timelines = []
    for i in range(items):
        name = f"скриншот_переписки_в_телеграм_с_подозреваемым_{i:05d}_очень_длинное_имя.png"
        item = Item(
            item_id=_h(f"id{i}")[:12],
            case_number=case.number,
            digests=Digests(_h(f"sha{i}"), _h(f"a{i}") + _h(f"b{i}"), None, None),
            size=1000 + i * 7919,
            media_type="image/png",
            evidence_type="screenshot",
            original_name=name,
            original_path=None,
            source="iPhone 12, изъят у подозреваемого, Минск",
            acquired_at="2026-11-02T10:00:00Z",
            acquisition_method="logical copy",
            metadata={},
            profile=None,
            ingested_at="2026-11-02T11:00:00.000000Z",
            ingested_by="А. Иванов",
        )
        events = []
        for j in range(per_item):
            action = ("ingested", "transferred", "received", "analysed", "accessed")[min(j, 4)]
            moved = action in ("transferred", "received")
            events.append(
                Entry(
                    item_id=item.item_id,
                    seq=j + 1,
                    at=f"2026-11-{2 + j % 20:02d}T12:{j % 60:02d}:00.123456Z",
                    action=action,
                    actor="Б. Петрова" if j >= 2 else "А. Иванов",
                    actor_fingerprint=petrova if j >= 2 else ivanov,
                    from_name="А. Иванов" if moved else None,
                    to_name="Б. Петрова" if moved else None,
                    location="Минск, ул. Сурганова 2, каб. 214",
                    purpose="экспертиза по постановлению № 12/34",
                    note="упаковка не нарушена" if j == 3 else "",
                    signature_ok=True,
                    by_custodian=True,
                    hash=_h(f"e{i}.{j}"),
                )
            )
        timelines.append(ItemTimeline(item, tuple(events), "Б. Петрова", None))
    verdict = Verdict(
        audited=True,
        checks=(CheckLine("signatures", True, "ok"), CheckLine("chains", True, "ok")),
        findings=(Finding("checkpoint", "ledger", "example finding"),),
        events_checked=items * per_item,
        items_checked=items,
        checkpoint_root=_h("root"),
        checkpoint_seq=3,
        fixity_checked=False,
    )
    signers = tuple(
        SignerInfo(n, "СК", "BY", "investigator", fp, "2026-01-01", "2031-01-01", 1)
        for n, fp in (("А. Иванов", ivanov), ("Б. Петрова", petrova))
    )
    return CustodyReportData(
        case,
        "2026-11-25T19:36:33.123456Z",
        "bench",
        "0",
        verdict,
        tuple(timelines),
        signers,
        verdict.checkpoint_root,
    )


def _workspace(root: Path, items: int, per_item: int) -> Any:
    """A real workspace: ingest `items` files, then per_item - 1 signed events each."""
    from evidence.cases import create_case
    from evidence.checkpoint import create_checkpoint
    from evidence.custody import append_events, receive, transfer
    from evidence.ingest import IngestOptions, ingest
    from evidence.items import list_items
    from evidence.workspace import AuthoritySetup, Workspace

    pw = "bench passphrase"
    ws = Workspace.init(root / "ws", AuthoritySetup("Bench authority", pw))
    ivanov = ws.keys.unlock(ws.keys.create("А. Иванов", "СК", "BY", "investigator", pw), pw)
    petrova = ws.keys.unlock(ws.keys.create("Б. Петрова", "ГКСЭ", "BY", "expert", pw), pw)
    create_case(ws.ledger, "BY-2026-0042", "Мошенничество", "BY", "ст. 209 УК", "bench")
    seized = root / "seized"
    seized.mkdir()
    for i in range(items):
        (seized / f"переписка_{i:05d}.txt").write_text(f"сообщение {i}\n", encoding="utf-8")
    ingest(ws, ivanov, [seized], IngestOptions(case="BY-2026-0042", source="bench"))
    all_items = list_items(ws.ledger, "BY-2026-0042")
    transfer(ws.ledger, ivanov, all_items, petrova.record, location="Минск, ул. Сурганова 2")
    receive(ws.ledger, petrova, all_items, location="Минск, ул. Сурганова 2")
    for _ in range(per_item - 3):
        append_events(ws.ledger, petrova, all_items, "analysed", purpose="экспертиза")
    create_checkpoint(ws.ledger, ivanov, ws.checkpoint_dir)
    return ws


def run_one(scenario: str, items: int, per_item: int, out: Path) -> dict[str, Any]:
    """Run one scenario in this process and measure it."""
    from evidence.report import render_custody_report

    figures: dict[str, Any] = {"scenario": scenario, "items": items}
    signer = tsa = None
    if scenario == "synthetic":
        data = synthetic(items, per_item)
        start = time.perf_counter()
    elif scenario == "signed":
        from dataclasses import replace

        from evidence.report.locale import make_locale
        from evidence.timestamp.localtsa import LocalTsa, TsaIdentity
        from evidence.workspace import Workspace

        tmp_ws = tempfile.mkdtemp()
        ws = Workspace.init(Path(tmp_ws) / "ws")
        record = ws.keys.create("Б. Петрова", "ГКСЭ", "BY", "expert", "bench passphrase")
        signer = ws.keys.unlock(record, "bench passphrase")
        tsa = LocalTsa(TsaIdentity.create()).start()
        data = replace(synthetic(items, per_item), locale=make_locale("ru", "Europe/Minsk"))
        start = time.perf_counter()
    else:
        from evidence.report.produce import custody_report

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            ws = _workspace(Path(tmp), items, per_item)
            figures["setup_s"] = round(time.perf_counter() - t0, 2)
            start = time.perf_counter()
            data = custody_report(ws, "BY-2026-0042", generated_by="bench")
            figures["audit_collect_s"] = round(time.perf_counter() - start, 2)
            ws.close()
    t1 = time.perf_counter()
    c1 = time.process_time()  # CPU seconds: steadier than wall time on a shared machine
    pdf = render_custody_report(data)
    figures["render_s"] = round(time.perf_counter() - t1, 2)
    figures["render_cpu_s"] = round(time.process_time() - c1, 2)
    if signer is not None and tsa is not None:
        from evidence.report.pades import sign_pdf

        t2 = time.perf_counter()
        c2 = time.process_time()
        pdf = sign_pdf(pdf, signer, reason="bench", tsa=tsa.url)
        figures["sign_s"] = round(time.perf_counter() - t2, 2)
        figures["sign_cpu_s"] = round(time.process_time() - c2, 2)
        tsa.stop()
    figures["total_s"] = round(time.perf_counter() - start, 2)
    figures["events"] = data.event_count
    figures["pdf_mb"] = round(len(pdf) / 1e6, 2)
    figures["pages"] = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    from reportlab.lib import rl_accel

    figures["accelerated"] = rl_accel.fp_str.__module__ != rl_accel.__name__
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.write_bytes(pdf)
    return figures


def main() -> None:
    """Run the scenarios, each in a child interpreter, and print a table with the targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--e2e", action="store_true", help="also run end to end from a workspace")
    parser.add_argument("--signed", action="store_true", help="also Russian, signed, B-T")
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--per-item", type=int, default=EVENTS_PER_ITEM)
    parser.add_argument(
        "--no-accel", action="store_true", help="block reportlab's C accelerator (rl_accel)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if args.one:
        if args.no_accel:
            sys.modules["_rl_accel"] = None  # type: ignore[assignment]
        pdf = args.out / f"bench-report-{args.one}.pdf"
        print(json.dumps(run_one(args.one, args.items, args.per_item, pdf)))
        return
    scenarios = ["synthetic", *(["e2e"] if args.e2e else []), *(["signed"] if args.signed else [])]
    for scenario in scenarios:
        cmd = [sys.executable, __file__, "--one", scenario, "--items", str(args.items)]
        cmd += ["--per-item", str(args.per_item), "--out", str(args.out)]
        cmd += ["--no-accel"] if args.no_accel else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        ok = figures["total_s"] < TARGET_S and figures["peak_rss_mb"] < TARGET_MB
        figures["within_targets"] = ok
        print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
