"""The CASE/UCO export: every event kind, checked by the CASE project's own SHACL validator."""

from __future__ import annotations

import functools
import itertools
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.analysis import reprofile, retype
from evidence.bundle.build import build_bundle
from evidence.caseuco import case_graph, case_jsonld
from evidence.corrections import add_legacy_digests, amend_item
from evidence.custody import append_events, receive, transfer
from evidence.events import MANUAL_ACTIONS
from evidence.excerpt.disclose import open_excerpt, record_excerpt
from evidence.items import list_items
from tests.bundle.bundle_support import REQUEST
from tests.helpers import CASE, PASSPHRASE, World


@dataclass(frozen=True)
class Validated:
    """What `case_validate FILE` gives: its exit status and its report."""

    returncode: int
    stdout: str


@functools.cache
def _case_ontology() -> tuple[str, Any, frozenset[Any]]:
    # What case_validate loads on every run (by default the newest CASE that case-utils
    # bundles, its TBox shapes switched off), parsed once per test process; the triples are
    # kept to show it is never changed.
    from case_utils.case_validate.validate_utils import disable_tbox_review, get_ontology_graph
    from case_utils.ontology.version_info import CURRENT_CASE_VERSION

    version = "case-" + CURRENT_CASE_VERSION  # the command's --built-version default
    graph = get_ontology_graph(version, None)
    disable_tbox_review(graph)
    return version, graph, frozenset(graph)


def case_validate(path: Path) -> Validated:
    """The CASE project's validator (pySHACL over the CASE 1.x shapes, offline), run as its
    command line `case_validate FILE` runs it (the same function and arguments), in this
    process with the ontology parsed once."""
    import case_utils.case_validate as case_validate_cli  # pySHACL: only where it is used

    with warnings.catch_warnings():
        # As the command shows them: Python hides libraries' DeprecationWarnings outside
        # __main__ (case-utils and rdflib use deprecated importlib.resources and rdflib calls).
        warnings.simplefilter("ignore", DeprecationWarning)
        version, ontology, triples = _case_ontology()
        with mock.patch.object(case_validate_cli, "get_ontology_graph", lambda *_: ontology):
            result = case_validate_cli.validate(
                [str(path)],
                abort_on_first=False,
                allow_infos=False,
                allow_warnings=False,
                case_version=version,
                debug=False,
                do_owl_imports=False,
                inference=None,
                meta_shacl=False,
                review_tbox=False,
                supplemental_graphs=None,
            )
    # pySHACL adds two RDFS axioms to the ontology it is given (owl:Class is an rdfs:Class...),
    # as in every run; take them out again so that each run starts from the graph as loaded.
    for added in set(ontology) - triples:
        ontology.remove(added)
    assert frozenset(ontology) == triples  # nothing else was changed
    return Validated(0 if result.conforms else 1, result.text)


def every_kind(world: World, tmp_path: Path) -> None:
    """A case whose chains hold every action the tool writes."""
    chat = tmp_path / "seized" / "WhatsApp Chat with Андрей.txt"
    chat.parent.mkdir()
    chat.write_text(
        "02.11.2026, 14:03 - Андрей: Привет, скинь номер карты\n"
        "02.11.2026, 14:04 - Олег: 4276 1600 0000 0000\nвторая строка\n",
        encoding="utf-8",
    )
    (tmp_path / "seized" / "notes.txt").write_text("seized notes\n", encoding="utf-8")
    world.ingest(chat.parent)
    ledger = world.ws.ledger
    items = list_items(ledger, CASE)
    transfer(ledger, world.investigator, items, world.custodian.record, location="room 214")
    receive(ledger, world.custodian, items, location="evidence room")
    for action in MANUAL_ACTIONS:
        append_events(ledger, world.custodian, items[:1], action, purpose=f"test {action}")
    amend_item(ledger, world.investigator, items[0], reason="protocol No. 17", method="UFED 7.6")
    vault_copy = world.ws.vault.path_for(items[0].sha256)
    add_legacy_digests(ledger, world.investigator, items[0], vault_copy)
    retype(world.ws, world.expert, items[1].item_id, "other", "not a document")
    reprofile(world.ws, world.expert, CASE)
    prosecutor = world.ws.keys.unlock(
        world.ws.keys.create("Prosecutor", "PGO", "BY", "prosecutor", PASSPHRASE), PASSPHRASE
    )
    chat_item = next(i for i in items if i.original_name.startswith("WhatsApp"))
    chosen = open_excerpt(world.ws, chat_item.item_id, ranges="2")
    record_excerpt(world.ws, world.investigator, chosen, "the card number")
    build_bundle(
        world.ws,
        prosecutor,
        CASE,
        tmp_path / "request-0042.zip",
        REQUEST,
        excerpt_specs=[f"{chat_item.item_id}:2"],
    )


def test_every_event_kind_validates(world: World, tmp_path: Path) -> None:
    every_kind(world, tmp_path)
    out = tmp_path / "case.jsonld"
    out.write_bytes(case_jsonld(world.ws.ledger, CASE))
    done = case_validate(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms: True" in done.stdout

    graph = json.loads(out.read_text(encoding="utf-8"))["@graph"]
    by_type: dict[str, list[dict[str, object]]] = {}
    for node in graph:
        by_type.setdefault(str(node["@type"]), []).append(node)
    actions = by_type["case-investigation:InvestigativeAction"]
    names = {a["uco-core:name"] for a in actions}
    events = world.ws.ledger.rows("SELECT body FROM events")
    kinds = {json.loads(r["body"])["action"] for r in events}
    assert kinds <= names and "bundle" in names and "excerpted" in names
    excerpted = next(a for a in actions if a["uco-core:name"] == "excerpted")
    assert "records 2 of 2 disclosed" in str(excerpted["uco-core:description"])
    # one action per event, plus one per bundle
    assert len(actions) == len(events) + 1
    files = by_type["uco-observable:File"]
    assert len(files) == 2
    hashes = {
        h["uco-types:hashMethod"]
        for f in files
        for facet in f["uco-core:hasFacet"]  # type: ignore[attr-defined]
        for h in facet.get("uco-observable:hash", [])
    }
    assert hashes == {"SHA256", "SHA512", "MD5", "SHA1"}
    # the export is a function of the ledger: the same bytes twice
    assert case_jsonld(world.ws.ledger, CASE) == out.read_bytes()


def test_transfer_names_parties_and_chain_order(world: World, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    world.ingest(tmp_path / "a.txt")
    items = list_items(world.ws.ledger, CASE)
    transfer(world.ws.ledger, world.investigator, items, world.custodian.record)
    graph = case_graph(world.ws.ledger, CASE)["@graph"]
    actions = [n for n in graph if n["@type"] == "case-investigation:InvestigativeAction"]
    # graph order is chain order; each action was informed by the chain's previous event
    assert [a["uco-core:name"] for a in actions] == ["ingested", "profiled", "transferred"]
    assert "case-investigation:wasInformedBy" not in actions[0]
    for before, after in itertools.pairwise(actions):
        assert after["case-investigation:wasInformedBy"] == [{"@id": before["@id"]}]
    transferred = actions[2]
    people = {n["@id"]: n["uco-core:name"] for n in graph if n["@type"] == "uco-identity:Identity"}
    parties = [people[p["@id"]] for p in transferred["uco-action:participant"]]
    assert parties == ["А. Иванов", "Evidence Room"]  # from, to
    assert people[transferred["uco-action:performer"]["@id"]] == "А. Иванов"


def test_a_broken_graph_is_caught(world: World, tmp_path: Path) -> None:
    # The validator in these tests can fail: a hash with a wrong datatype is a SHACL violation.
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    world.ingest(tmp_path / "a.txt")
    doc = case_graph(world.ws.ledger, CASE)
    for node in doc["@graph"]:
        for facet in node.get("uco-core:hasFacet", []):
            for digest in facet.get("uco-observable:hash", []):
                digest["uco-types:hashValue"] = {"@type": "xsd:string", "@value": "x"}
    out = tmp_path / "bad.jsonld"
    out.write_text(json.dumps(doc), encoding="utf-8")
    done = case_validate(out)
    assert done.returncode == 1
    assert "Conforms: False" in done.stdout


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_cli_export_case(world: World, tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    world.ingest(tmp_path / "a.txt")
    out = tmp_path / "BY-2026-0042.case.jsonld"
    args = ["-w", str(world.ws.root), "export-case", CASE, "-o", str(out), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == case_jsonld(world.ws.ledger, CASE)
    if extra:
        assert json.loads(result.output)["path"] == str(out)
    else:
        assert str(out) in result.output
    stdout = CliRunner().invoke(cli, ["-w", str(world.ws.root), "export-case", CASE, "-o", "-"])
    assert stdout.exit_code == 0
    assert stdout.stdout_bytes == out.read_bytes()


def test_cli_export_case_unknown_case(world: World, tmp_path: Path) -> None:
    out = tmp_path / "x.case.jsonld"
    args = ["-w", str(world.ws.root), "export-case", "NO-SUCH", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3
    assert "NO-SUCH" in result.output
    assert not out.exists()


def test_demo_case_validates(world: World, tmp_path: Path) -> None:
    # the sample evidence of `make demo`, ingested, handed over and analysed as there
    world.ingest(Path(__file__).parents[1] / "demo" / "sample-evidence")
    items = list_items(world.ws.ledger, CASE)
    transfer(world.ws.ledger, world.investigator, items, world.custodian.record)
    receive(world.ws.ledger, world.custodian, items)
    append_events(world.ws.ledger, world.expert, items[:1], "analysed", purpose="EXIF")
    out = tmp_path / "demo.case.jsonld"
    out.write_bytes(case_jsonld(world.ws.ledger, CASE))
    done = case_validate(out)
    assert done.returncode == 0 and "Conforms: True" in done.stdout, done.stdout
    files = [n for n in json.loads(out.read_bytes())["@graph"] if n["@type"].endswith(":File")]
    assert len(files) == len(items) == 8
