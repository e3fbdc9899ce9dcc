"""The JSON and CSV twins carry the same facts as the PDF."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from evidence.audit import audit
from evidence.custody import append_events
from evidence.report import collect_custody_report, custody_report_csv, custody_report_json
from evidence.report.model import CustodyReportData
from evidence.report.tables import CSV_COLUMNS

from .conftest import CASE, CHAT_NAME, INVESTIGATOR, LOCATION, CaseWorld


@pytest.fixture(scope="module")
def data(case_ws: CaseWorld) -> CustodyReportData:
    result = audit(case_ws.ws, CASE, workers=1)
    return collect_custody_report(case_ws.ws, CASE, None, result, generated_by="auditor")


def test_json_has_the_full_structure(data: CustodyReportData) -> None:
    doc = custody_report_json(data)
    json.dumps(doc)  # serialisable as is
    assert doc["schema"] == "custody-report/2"
    assert doc["irregularities"] == []
    assert doc["case"]["number"] == CASE
    assert doc["verdict"]["verdict"] == "VERIFIED"
    assert doc["verdict"]["checkpoint_root"] == data.checkpoint_root
    assert {c["name"] for c in doc["verdict"]["checks"]} >= {"signatures", "chains", "checkpoint"}
    assert doc["counts"] == {"items": len(data.items), "events": data.event_count}
    chat = next(i for i in doc["items"] if i["original_name"] == CHAT_NAME)
    assert chat["digests"]["sha256"] == next(
        t.item.sha256 for t in data.items if t.item.original_name == CHAT_NAME
    )
    actions = [e["action"] for e in chat["events"]]
    assert actions == ["ingested", "profiled", "transferred", "received", "analysed"]
    assert chat["events"][2]["location"] == LOCATION
    assert chat["events"][0]["actor"]["name"] == INVESTIGATOR
    assert all(e["signature_ok"] and len(e["hash"]) == 64 for e in chat["events"])
    assert {s["fingerprint"] for s in doc["signers"]} == {s.fingerprint for s in data.signers}


def test_csv_one_row_per_event(data: CustodyReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(custody_report_csv(data))))
    assert len(rows) == data.event_count
    assert tuple(rows[0]) == CSV_COLUMNS
    chat = [r for r in rows if r["original_name"] == CHAT_NAME]
    assert [r["seq"] for r in chat] == ["1", "2", "3", "4", "5"]
    assert chat[2]["to"] == "Б. Петрова" and chat[2]["location"] == LOCATION
    assert {r["signature_ok"] for r in rows} == {"true"}


def test_csv_item_without_events_still_listed(data: CustodyReportData) -> None:
    first = replace(data.items[0], events=())
    rows = list(csv.DictReader(io.StringIO(custody_report_csv(replace(data, items=(first,))))))
    assert len(rows) == 1
    assert rows[0]["item_id"] == first.item.item_id and rows[0]["seq"] == ""


def test_csv_neutralises_spreadsheet_formulas(data: CustodyReportData) -> None:
    hostile = replace(data.items[0].item, original_name='=HYPERLINK("http://x","y").txt')
    timeline = replace(data.items[0], item=hostile)
    rows = list(csv.DictReader(io.StringIO(custody_report_csv(replace(data, items=(timeline,))))))
    assert rows[0]["original_name"] == '\'=HYPERLINK("http://x","y").txt'


def test_both_twins_list_every_irregularity(fresh_ws: CaseWorld) -> None:
    """An analysis under seal and an access by someone who does not hold the item: the JSON
    (custody-report/2) lists both with their messages and marks the events; the CSV names them
    in the event's row. A twin that hid them would contradict the paper."""
    chat = next(i for i in fresh_ws.items if i.original_name == CHAT_NAME)
    ledger = fresh_ws.ws.ledger
    append_events(ledger, fresh_ws.expert, [chat], "sealed", details={"seal": "0042117"})
    append_events(ledger, fresh_ws.expert, [chat], "analysed", note="under seal")
    append_events(ledger, fresh_ws.investigator, [chat], "accessed", note="not the holder")
    result = audit(fresh_ws.ws, CASE, workers=1)
    data = collect_custody_report(fresh_ws.ws, CASE, None, result, generated_by="auditor")
    doc = custody_report_json(data)
    assert doc["schema"] == "custody-report/2"
    found = {(i["item_id"], i["seq"], i["kind"]) for i in doc["irregularities"]}
    assert found == {
        (chat.item_id, 7, "under-seal"),
        (chat.item_id, 8, "under-seal"),
        (chat.item_id, 8, "not-holder"),
    }
    assert all(i["message"] for i in doc["irregularities"])
    events = next(i for i in doc["items"] if i["item_id"] == chat.item_id)["events"]
    marks = [sorted(e["irregularities"]) for e in events][-3:]
    assert marks == [[], ["under-seal"], ["not-holder", "under-seal"]]
    rows = list(csv.DictReader(io.StringIO(custody_report_csv(data))))
    marked = {(r["item_id"], r["seq"]): r["irregularities"] for r in rows if r["irregularities"]}
    assert set(marked) == {(chat.item_id, "7"), (chat.item_id, "8")}
    assert marked[(chat.item_id, "7")].startswith("under-seal: ")
    assert "0042117" in marked[(chat.item_id, "7")]
    assert "not-holder: " in marked[(chat.item_id, "8")]
    assert marked[(chat.item_id, "8")].count("under-seal: ") == 1
