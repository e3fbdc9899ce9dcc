"""A case as a CASE/UCO JSON-LD graph (caseontology.org), the form forensic tools exchange.

What each thing becomes (CASE 1.x / UCO 1.x vocabulary, checked by `case_validate` in tests):
- the case: a `case-investigation:Investigation` with its legal basis as an `Authorization`;
- each item: a `uco-observable:File` with a `FileFacet` (name, path, size, extension) and a
  `ContentDataFacet` (size, media type, `uco-types:Hash` nodes: SHA256, SHA512 and, where
  added, the legacy MD5 and SHA1), its source and acquisition as corrected;
- each custody event: a `case-investigation:InvestigativeAction` named after the action, with
  its time, performer (the signer's identity), instrument (this tool), location, object (the
  file), participants (the parties of a transfer), `wasInformedBy` (the chain's previous
  event) and as result an `investigation:ProvenanceRecord` that names the event hash and
  signature, so a reader can go back to the signed chain;
- each bundle: one action grouping the `exported` events of one bundle as subactions;
- each excerpt: its `excerpted` event is an action of its own, described by the records it
  discloses (numbers, never content); the bundle's `exported` event says an excerpt was sent.

Written by hand (a list of dicts, then json): rdflib would only add a dependency at run time
for the same bytes; identifiers are UUIDv5 of what they stand for, so two exports of the same
ledger are identical and name each node the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from . import __version__
from .cases import Case, get_case
from .corrections import current_items
from .events import SignedEvent, item_events
from .items import Item, list_items
from .ledger import Ledger

CONTEXT = {
    "kb": "urn:custody:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# Every node's UUID is derived in this namespace from what the node stands for.
_NAMESPACE = uuid.UUID("5b0c1f2e-3d4a-5e6f-8a9b-0c1d2e3f4a5b")
# Our digest names, as UCO's HashNameVocab spells them.
HASH_METHODS = {"sha256": "SHA256", "sha512": "SHA512", "sha1": "SHA1", "md5": "MD5"}


def _iri(kind: str, *key: str) -> str:
    return f"kb:{kind}-{uuid.uuid5(_NAMESPACE, chr(10).join((kind, *key)))}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _time(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


@dataclass
class _Graph:
    """The nodes written so far, each once."""

    case: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, node: dict[str, Any]) -> str:
        self.nodes.setdefault(node["@id"], node)
        return str(node["@id"])

    def identity(self, party: Mapping[str, Any]) -> str:
        fingerprint = str(party.get("fingerprint", ""))
        return self.add(
            {
                "@id": _iri("Identity", fingerprint),
                "@type": "uco-identity:Identity",
                "uco-core:name": str(party.get("name", "")),
                "uco-core:description": f"signing certificate SHA-256 fingerprint {fingerprint}",
            }
        )

    def location(self, text: str) -> str:
        return self.add(
            {
                "@id": _iri("Location", self.case, text),
                "@type": "uco-location:Location",
                "uco-core:name": text,
            }
        )


def _tool() -> dict[str, Any]:
    return {
        "@id": _iri("Tool", "custody", __version__),
        "@type": "uco-tool:Tool",
        "uco-core:name": "custody",
        "uco-tool:version": __version__,
        "uco-tool:toolType": "chain of custody ledger",
    }


def file_node(item: Item) -> dict[str, Any]:
    """An item as a uco-observable:File with its file and content facets."""
    hashes = [
        {
            "@id": _iri("Hash", item.item_id, method),
            "@type": "uco-types:Hash",
            "uco-types:hashMethod": HASH_METHODS[method],
            "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value},
        }
        for method, value in item.digests.to_json().items()
        if method in HASH_METHODS and value
    ]
    file_facet: dict[str, Any] = {
        "@id": _iri("FileFacet", item.item_id),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": item.original_name,
        "uco-observable:sizeInBytes": item.size,
    }
    if item.original_path:
        file_facet["uco-observable:filePath"] = item.original_path
    extension = PurePosixPath(item.original_name.replace("\\", "/")).suffix.lstrip(".")
    if extension:
        file_facet["uco-observable:extension"] = extension
    described = [f"evidence item {item.item_id} ({item.evidence_type})", f"source: {item.source}"]
    if item.acquired_at:
        described.append(f"acquired at {item.acquired_at}")
    if item.acquisition_method:
        described.append(f"method: {item.acquisition_method}")
    return {
        "@id": _iri("File", item.item_id),
        "@type": "uco-observable:File",
        "uco-core:name": item.original_name,
        "uco-core:description": "; ".join(described),
        "uco-core:hasFacet": [
            file_facet,
            {
                "@id": _iri("ContentDataFacet", item.item_id),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:sizeInBytes": item.size,
                "uco-observable:mimeType": item.media_type,
                "uco-observable:hash": hashes,
            },
        ],
    }


def _describe(body: Mapping[str, Any]) -> str:
    details = body.get("details") if isinstance(body.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    parts = [str(body.get(k)) for k in ("purpose", "note") if body.get(k)]
    reason = details.get("reason")
    if isinstance(reason, str) and reason and reason not in parts:
        parts.append(reason)
    if body.get("action") == "excerpted":  # which records, never what they say
        parts.append(f"records {details.get('records')} of {details.get('count')} disclosed")
    elif details.get("excerpt"):
        parts.append(f"excerpt of records {details.get('excerpt')} sent, not the file")
    return "; ".join(parts) or str(body.get("action"))


def _action(
    graph: _Graph, item: Item, file_iri: str, event: SignedEvent, previous: str | None
) -> dict[str, Any]:
    body = event.body
    action: dict[str, Any] = {
        "@id": _iri("InvestigativeAction", str(body["event_id"])),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": str(body["action"]),
        "uco-core:description": _describe(body),
        "uco-action:startTime": _time(str(body["at"])),
        "uco-action:endTime": _time(str(body["at"])),
        "uco-action:performer": _ref(graph.identity(body["actor"])),
        "uco-action:instrument": [_ref(_tool()["@id"])],
        "uco-action:object": [_ref(file_iri)],
    }
    if body.get("location"):
        action["uco-action:location"] = [_ref(graph.location(str(body["location"])))]
    parties = [p for p in (body.get("from"), body.get("to")) if isinstance(p, Mapping)]
    if parties:
        action["uco-action:participant"] = [_ref(graph.identity(p)) for p in parties]
    if previous is not None:
        action["case-investigation:wasInformedBy"] = [_ref(previous)]
    record = graph.add(
        {
            "@id": _iri("ProvenanceRecord", str(body["event_id"])),
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": item.item_id,
            "case-investigation:rootExhibitNumber": [item.item_id],
            "uco-core:description": (
                f"custody event #{body['seq']} of item {item.item_id}: SHA-256 {event.hash} of "
                f"its RFC 8785 bytes, ECDSA signature {event.signature} by certificate "
                f"{event.signer}; item SHA-256 then {body.get('item_sha256')}"
            ),
            "uco-core:object": [_ref(file_iri)],
        }
    )
    action["uco-action:result"] = [_ref(record)]
    return action


def _bundle_actions(graph: _Graph, exported: Sequence[tuple[SignedEvent, str]]) -> None:
    # One action per bundle, whose subactions are its items' `exported` events.
    groups: dict[str, list[tuple[SignedEvent, str]]] = {}
    for event, action_iri in exported:
        details = event.body.get("details") or {}
        key = f"{details.get('bundle')}\n{details.get('request_ref')}"
        groups.setdefault(key, []).append((event, action_iri))
    for key, members in groups.items():
        name, reference = key.split("\n", 1)
        first = members[0][0].body
        files = sorted({_iri("File", str(e.body["item_id"])) for e, _ in members})
        record = graph.add(
            {
                "@id": _iri("ProvenanceRecord", graph.case, "bundle", key),
                "@type": "case-investigation:ProvenanceRecord",
                "uco-core:description": f"bundle {name}.zip for MLA request {reference}",
                "uco-core:object": [_ref(f) for f in files],
            }
        )
        graph.add(
            {
                "@id": _iri("InvestigativeAction", graph.case, "bundle", key),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": "bundle",
                "uco-core:description": f"signed bundle {name}.zip for MLA request {reference}",
                "uco-action:startTime": _time(min(str(e.body["at"]) for e, _ in members)),
                "uco-action:endTime": _time(max(str(e.body["at"]) for e, _ in members)),
                "uco-action:performer": _ref(graph.identity(first["actor"])),
                "uco-action:instrument": [_ref(_tool()["@id"])],
                "uco-action:object": [_ref(f) for f in files],
                "uco-action:subaction": [_ref(iri) for _, iri in members],
                "uco-action:result": [_ref(record)],
            }
        )


def _investigation(case: Case, members: Sequence[str]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": _iri("Investigation", case.number),
        "@type": "case-investigation:Investigation",
        "uco-core:name": case.number,
        "uco-core:description": case.title,
        "uco-core:objectCreatedTime": _time(case.created_at),
        "case-investigation:investigationForm": "case",
        "case-investigation:focus": [f"jurisdiction {case.jurisdiction}"],
        "uco-core:object": [_ref(m) for m in members],
    }
    if case.legal_basis:
        node["case-investigation:relevantAuthorization"] = [
            {
                "@id": _iri("Authorization", case.number),
                "@type": "case-investigation:Authorization",
                "case-investigation:authorizationType": "legal basis",
                "case-investigation:authorizationIdentifier": [case.legal_basis],
            }
        ]
    return node


def case_graph(
    ledger: Ledger, case_number: str, item_ids: Collection[str] | None = None
) -> dict[str, Any]:
    """The case, its items (or only item_ids) and their custody events as one CASE/UCO
    JSON-LD document."""
    case = get_case(ledger, case_number)
    graph = _Graph(case.number)
    graph.add(_tool())
    exported: list[tuple[SignedEvent, str]] = []
    chosen = [
        i for i in list_items(ledger, case.number) if item_ids is None or i.item_id in item_ids
    ]
    for item in current_items(ledger, chosen):
        file_iri = graph.add(file_node(item))
        previous: str | None = None
        for event in item_events(ledger, item.item_id):
            previous = graph.add(_action(graph, item, file_iri, event, previous))
            if event.body.get("action") == "exported":
                exported.append((event, previous))
    _bundle_actions(graph, exported)
    members = list(graph.nodes)
    return {
        "@context": dict(CONTEXT),
        "@graph": [_investigation(case, members), *graph.nodes.values()],
    }


def case_jsonld(ledger: Ledger, case_number: str) -> bytes:
    """case_graph as UTF-8 JSON text (indented; the same ledger always gives the same bytes)."""
    return export_case(ledger, case_number).data


@dataclass(frozen=True)
class CaseExport:
    """A case's CASE/UCO document and what it holds."""

    case: str
    data: bytes
    files: int
    actions: int

    def to_json(self) -> dict[str, Any]:
        """Summary for --json output."""
        return {"case": self.case, "files": self.files, "actions": self.actions}


def export_case(
    ledger: Ledger, case_number: str, item_ids: Collection[str] | None = None
) -> CaseExport:
    """The case (or only item_ids) as CASE/UCO JSON-LD bytes, with its count of files and
    actions."""
    doc = case_graph(ledger, case_number, item_ids)
    kinds = [node["@type"] for node in doc["@graph"]]
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return CaseExport(
        case_number,
        text.encode(),
        kinds.count("uco-observable:File"),
        kinds.count("case-investigation:InvestigativeAction"),
    )
