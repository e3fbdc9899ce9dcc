"""Record splitting and the salted tree: every split re-assembles its file; proofs of any
subset rebuild the root on empty, one-record, odd and power-of-two trees."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.excerpt import (
    ProofError,
    boundaries,
    layout_of,
    multiproof,
    records,
    root_from_proof,
    root_of,
    rule_for,
    salted_leaf,
)
from evidence.excerpt.split import CSV_ROWS, HTML_MESSAGES, JSON_ARRAYS, LINE, VIBER, WHATSAPP
from evidence.merkle import leaf_hash, tree_head
from tests.helpers import DATA
from tests.profiles.profile_support import profile_of

ROOT = Path(__file__).parents[2]
TEXT_FILES = sorted(
    p
    for folder in (DATA / "profiles", ROOT / "demo" / "sample-evidence")
    for p in folder.rglob("*")
    if p.is_file() and p.suffix.lower() in (".txt", ".json", ".csv", ".html", ".jsonl", ".tsv")
)


def test_there_are_files_of_every_rule() -> None:
    rules = {rule_for(layout_of(p, p.name, "")) for p in TEXT_FILES}
    assert {WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE, HTML_MESSAGES, VIBER} <= rules


def test_rule_versions_keep_what_old_commitments_meant() -> None:
    # version 1 split Telegram Desktop and VK HTML by line and did not look into zips; a
    # version 1 commitment is still recomputed under version 1
    assert rule_for("telegram-html", 1) == rule_for("vk-html", 1) == LINE
    assert rule_for("whatsapp-zip", 1) is None and rule_for("telegram-html-zip", 1) is None
    assert rule_for("telegram-html") == rule_for("vk-html") == HTML_MESSAGES
    assert rule_for("telegram-html-zip") == HTML_MESSAGES and rule_for("whatsapp-zip") == WHATSAPP
    assert rule_for("zip") is None and rule_for("image") is None and rule_for("text", 4) is None
    for layout in ("whatsapp-text", "telegram-json", "statement-csv", "text", "signal-jsonl"):
        assert rule_for(layout, 1) == rule_for(layout, 2) == rule_for(layout, 3)
    # version 3 changed only Viber histories: by line before, one message a record now
    assert rule_for("viber-csv", 1) == rule_for("viber-csv", 2) == LINE
    assert rule_for("viber-csv") == VIBER
    for layout in ("telegram-html", "whatsapp-zip", "telegram-html-zip", "empty"):
        assert rule_for(layout, 2) == rule_for(layout, 3)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_layout_reassembles(path: Path) -> None:
    data = path.read_bytes()
    rule = rule_for(layout_of(path, path.name, "")) or LINE
    parts = records(data, rule)
    assert b"".join(parts) == data
    assert all(parts)  # no empty record


def test_whatsapp_message_keeps_its_continuation_lines() -> None:
    data = (
        "\ufeffpreamble line\n"
        "02.11.2026, 14:03 - Андрей: Привет\n"
        "вторая строка\n"
        "99.99.9999 is not a header line\n"
        "[02.11.26, 14:04:33] Олег: ok"
    ).encode()
    assert records(data, WHATSAPP) == [
        "\ufeffpreamble line\n".encode(),
        (
            "02.11.2026, 14:03 - Андрей: Привет\nвторая строка\n99.99.9999 is not a header line\n"
        ).encode(),
        "[02.11.26, 14:04:33] Олег: ok".encode(),
    ]


def test_telegram_one_record_per_message() -> None:
    export = {
        "name": "Кулешов",
        "type": "personal_chat",
        "messages": [
            {"id": 1, "text": 'a ] } [ { " , messages'},
            {"id": 2, "text": ["x", {"type": "link", "text": "y"}]},
        ],
    }
    data = json.dumps(export, ensure_ascii=False, indent=1).encode()
    parts = records(data, JSON_ARRAYS)
    assert b"".join(parts) == data
    assert len(parts) == 4  # head, two messages, tail
    assert parts[1].startswith(b'{\n   "id": 1') and parts[1].rstrip().endswith(b"},")
    assert parts[2].startswith(b'{\n   "id": 2') and parts[3].lstrip().startswith(b"]")


TELEGRAM_PAGE = DATA / "profiles" / "telegram" / "ChatExport_2026-11-05" / "messages.html"


def test_telegram_html_one_record_per_message_element() -> None:
    data = TELEGRAM_PAGE.read_bytes()
    parts = records(data, HTML_MESSAGES)
    messages = [p for p in parts if p.lstrip().startswith(b'<div class="message')]
    ids = [re.search(rb'id="(message-?\d+)"', p).group(1) for p in messages]  # type: ignore[union-attr]
    assert ids == [b"message-1", b"message3", b"message4", b"message5", b"message6",
                   b"message7", b"message8"]  # fmt: skip
    # a date separator, service messages, a joined message: each its own record, whole
    for part in messages:
        assert part.count(b"<div") == part.count(b"</div>")
        assert part.count(b'class="message ') == 1
    assert "Курс 1 USDT" in next(p for p in messages if b'"message5"' in p).decode()
    joined = next(p for p in messages if b"joined" in p)
    assert b"TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs" in joined
    # the page's head and tail are lines: the chat's name is a record of its own
    assert "Обмен USDT Минск\n".encode() in parts
    assert b"Next messages\n" in parts


def test_vk_html_one_record_per_message_with_its_wrappers() -> None:
    data = (DATA / "profiles" / "vk" / "messages0.html").read_bytes()  # windows-1251
    parts = records(data, HTML_MESSAGES)
    messages = [p for p in parts if b'class="message"' in p]
    assert [re.search(rb'data-id="(\d+)"', p).group(1) for p in messages] == [  # type: ignore[union-attr]
        b"1001", b"1002", b"1003", b"1004"
    ]  # fmt: skip
    for part in messages:
        assert part.startswith(b'<div class="item"><div class="item__main"><div class="message"')
        assert part.endswith(b"</div></div></div>\n")
    assert parts[-1] == b"</div></div></div></body></html>\n"


def test_html_messages_on_one_line_and_without_messages() -> None:
    # the <div>s opened right before a message on its line go with it (VK's "item" wrappers;
    # here the history's, as nothing else is on the line); a nested "message" div does not
    # start a record, and the last element's line ends its record
    page = b'<div class="history"><div class="message" id="message1">a</div><div class="message">'
    page += b'b<div class="message">c</div></div> tail</div>\n'
    assert records(page, HTML_MESSAGES) == [
        b'<div class="history"><div class="message" id="message1">a</div>',
        b'<div class="message">b<div class="message">c</div></div> tail</div>\n',
    ]
    plain = b"<html>\n<body>no messages</body>\n</html>"
    assert records(plain, HTML_MESSAGES) == records(plain, LINE)


def test_html_split_of_hostile_markup_stays_linear() -> None:
    # unclosed tags and endless attributes: no match may scan to the end of the file
    for data in (b"<div " * 400_000, b'<div class="message' + b" x" * 1_000_000):
        start = time.process_time()
        assert b"".join(records(data, HTML_MESSAGES)) == data
        assert time.process_time() - start < 10


VIBER_FILES = DATA / "profiles" / "independent" / "viber"


def test_viber_one_record_per_message_in_both_layouts() -> None:
    tab = (VIBER_FILES / "Viber Andrei Obmen.csv").read_bytes()
    parts = records(tab, VIBER)
    assert len(parts) == 5 < len(records(tab, LINE))  # one message holds a line break
    assert all(p.startswith(b'="') for p in parts)
    (multi,) = [p for p in parts if p.count(b"\n") == 2]
    assert multi.startswith(b'="06/11/2026"\t09:20:31') and b"\ntxid 1ca42913e574" in multi
    comma = "\n".join(
        [
            "Viber",  # a line before the first row stands alone
            "13/11/26,18:02:11,Marina,+79161234567,Привет",
            "вторая строка, с запятой",
            "",
            "13/11/26,18:05:47,Ivan,+79031112233,Ок",
        ]
    ).encode("cp1251")
    assert records(comma, VIBER) == [
        b"Viber\n",
        "13/11/26,18:02:11,Marina,+79161234567,Привет\nвторая строка, с запятой\n\n".encode(
            "cp1251"
        ),
        "13/11/26,18:05:47,Ivan,+79031112233,Ок".encode("cp1251"),
    ]


def test_viber_split_follows_the_layout_the_profile_reads(tmp_path: Path) -> None:
    # a comma-layout message whose continuation line looks like a tab-layout row stays whole,
    # as the profile, which reads the file by the layout of its first rows, counts it
    data = (
        "\ufeff13/11/26,18:02:11,Marina,+79161234567,смотри\r\n"
        "13/11/26,18:03:00,Marina,+79161234567,вот так:\r\n"
        '="06/11/2026"\t09:14:05\t="Me"\t="+375291234567"\t"quoted"\r\n'
        "13/11/26,18:05:47,Ivan,+79031112233,ок\r\n"
    ).encode()
    parts = records(data, VIBER)
    assert len(parts) == 3 and parts[1].count(b"\r\n") == 2
    path = tmp_path / "Marina.csv"
    path.write_bytes(data)
    assert profile_of(path)["message_count"] == 3
    # no row at all (a text that is not Viber's): one line a record
    other = "заметки\nTNcARP1mhSQpKLEnL9KkejSDbVJ4ZZoddb\n".encode("koi8-r")
    assert records(other, VIBER) == records(other, LINE)


def test_viber_split_reads_utf16_after_its_byte_order_mark() -> None:
    rows = "13/11/26,18:02:11,Марина,+79161234567,a\r\nb 😀\r\n13/11/26,18:03:00,Me,+7916,c\r\n"
    for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        data = bom + rows.encode(codec)
        parts = records(data, VIBER)
        assert [p.decode(codec) for p in [parts[0][2:], *parts[1:]]] == [
            "13/11/26,18:02:11,Марина,+79161234567,a\r\nb 😀\r\n",
            "13/11/26,18:03:00,Me,+7916,c\r\n",
        ]
        # an odd last byte, a lone surrogate: still every byte, in order
        for broken in (data + b"\x00", data[:8] + b"\x00\xd8" + data[8:]):
            assert b"".join(records(broken, VIBER)) == broken


def test_csv_row_with_quoted_line_break_is_one_record() -> None:
    data = b'date;amount;note\n2026-11-02;100;"two\nlines"\n2026-11-03;5;""""\n'
    assert records(data, CSV_ROWS) == [
        b"date;amount;note\n",
        b'2026-11-02;100;"two\nlines"\n',
        b'2026-11-03;5;""""\n',
    ]


def test_empty_file_has_no_records() -> None:
    for rule in (WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE, HTML_MESSAGES, VIBER):
        assert records(b"", rule) == []
        assert boundaries(b"", rule) == [0]


HTML_PIECES = [
    '<div class="message">',
    '<div class="message default" id="message7">',
    "<div>",
    "</div>",
    "<DIV class='x message'>",
    "</div >",
    "\n",
    "  ",
    "текст",
    "<div",
    ">",
]
VIBER_PIECES = [
    "13/11/26,18:02:11,Marina,+79161234567,",
    '="06/11/2026"\t09:14:05\t="Me"\t="+375291234567"\t"',
    "\n",
    "\r\n",
    "\ufeff",
    "Привет, ",
    '"',
    "\t",
    "\xff",
]


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(alphabet='[]{}",:\\\n 0123456789./-aм\r', max_size=300).map(str.encode)
    | st.lists(st.sampled_from(HTML_PIECES), max_size=40).map(lambda p: "".join(p).encode())
    | st.lists(st.sampled_from(VIBER_PIECES), max_size=40).map(
        lambda p: "".join(p).encode("utf-8", "surrogatepass")
    )
    | st.tuples(
        st.sampled_from([b"\xff\xfe", b"\xfe\xff"]),
        st.lists(st.sampled_from(VIBER_PIECES), max_size=30),
        st.sampled_from(["utf-16-le", "utf-16-be"]),
        st.binary(max_size=3),
    ).map(lambda t: t[0] + "".join(t[1]).encode(t[2], "surrogatepass") + t[3]),
    st.sampled_from([WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE, HTML_MESSAGES, VIBER]),
)
def test_any_bytes_reassemble(data: bytes, rule: str) -> None:
    cuts = boundaries(data, rule)
    assert cuts == sorted(set(cuts)) and cuts[0] == 0 and cuts[-1] == len(data)
    assert b"".join(records(data, rule)) == data


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_root_is_rfc9162(n: int) -> None:
    data = [f"record {i}".encode() for i in range(n)]
    # with empty salts the tree is exactly evidence.merkle's RFC 9162 tree head
    assert root_of([leaf_hash(d) for d in data]) == tree_head(data)
    assert root_of([salted_leaf(b"", d) for d in data]) == tree_head(data)


def test_empty_tree_root() -> None:
    assert root_of([]) == tree_head([])
    with pytest.raises(ValueError):
        multiproof([], [0])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 16, 31])
def test_every_subset_proves(n: int) -> None:
    leaves = [salted_leaf(bytes([i]) * 32, f"r{i}".encode()) for i in range(n)]
    root = root_of(leaves)
    subsets = [[i] for i in range(n)] + [list(range(n)), [0, n - 1], list(range(0, n, 3))]
    for chosen in subsets:
        proof = multiproof(leaves, chosen)
        assert root_from_proof(n, {i: leaves[i] for i in chosen}, proof) == root
        if len(chosen) == n:
            assert proof == []


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 70).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1))
    )
)
def test_random_subsets_prove_and_tampering_fails(case: tuple[int, set[int]]) -> None:
    n, chosen = case
    leaves = [salted_leaf(b"s%d" % i, b"r%d" % i) for i in range(n)]
    root = root_of(leaves)
    proof = multiproof(leaves, sorted(chosen))
    assert root_from_proof(n, {i: leaves[i] for i in chosen}, proof) == root
    if proof:
        bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
        assert root_from_proof(n, {i: leaves[i] for i in chosen}, bad) != root
        with pytest.raises(ProofError, match="too few"):
            root_from_proof(n, {i: leaves[i] for i in chosen}, proof[:-1])
    with pytest.raises(ProofError, match="more hashes"):
        root_from_proof(n, {i: leaves[i] for i in chosen}, [*proof, root])


def test_a_record_moved_changes_the_root() -> None:
    leaves = [salted_leaf(b"s%d" % i, b"r%d" % i) for i in range(10)]
    root = root_of(leaves)
    proof = multiproof(leaves, [3])
    assert root_from_proof(10, {4: leaves[3]}, multiproof(leaves, [4])) != root
    with pytest.raises(ProofError):
        root_from_proof(9, {3: leaves[3]}, proof + proof)
    with pytest.raises(ProofError, match="outside"):
        root_from_proof(10, {10: leaves[3]}, proof)
