"""The one SQL both backends run: written once, with numbered parameters and named columns."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from evidence.ledger import column_list, columns, marks, select_all
from evidence.workspace import Workspace

ROOT = Path(__file__).parent.parent
# A `?` placeholder as SQLite's qmark style writes it: after an operator, in a list, or alone.
QMARK = re.compile(r"(=|<|>|\(|,|\bLIKE|\bIN|\bAND|\bBETWEEN)\s*\?|\?\s*(\)|,|\|\|)")


def _sql_literals() -> list[tuple[Path, str]]:
    out = []
    for path in [*ROOT.joinpath("evidence").rglob("*.py"), *ROOT.joinpath("cli").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in prose:
                    continue
                text = node.value
                if re.search(r"\b(SELECT|FROM|WHERE)\b", text):
                    out.append((path, text))
    return out


def test_queries_name_their_columns_and_number_their_parameters() -> None:
    literals = _sql_literals()
    assert len(literals) > 50  # the scan finds the queries at all
    for path, text in literals:
        assert "SELECT *" not in text and ".*" not in text, (path, text)
        assert not QMARK.search(text), (path, text)


def test_no_query_is_rewritten_for_a_backend() -> None:
    source = ROOT.joinpath("evidence", "ledger", "postgres.py").read_text()
    assert "import re" not in source and "def translate" not in source
    assert "RawCursor" in source  # the server binds $1 itself


def test_marks_and_column_lists() -> None:
    assert marks(3) == "$1, $2, $3"
    assert marks(2, start=4) == "$4, $5"
    assert column_list("cases", "c").split(", ") == [f"c.{c}" for c in columns("cases")]
    assert select_all("cases") == f"SELECT {', '.join(columns('cases'))} FROM cases"


def test_one_query_text_on_both_backends(backend_ws: Workspace) -> None:
    """The same text, a parameter used twice and an IN list, gives the same rows on both."""
    ledger = backend_ws.ledger
    (anchor,) = ledger.rows(select_all("trust_anchor"))
    assert list(anchor) == columns("trust_anchor")  # no hidden rowid among the columns
    found = ledger.rows(
        "SELECT fingerprint FROM certificates WHERE fingerprint = $1 OR key_id = $1 "
        f"OR fingerprint IN ({marks(2, start=2)})",
        (anchor["fingerprint"], "none", "other"),
    )
    assert [r["fingerprint"] for r in found] == [anchor["fingerprint"]]
    prefix = anchor["fingerprint"][:10].upper()
    near = ledger.rows(
        f"SELECT fingerprint FROM certificates WHERE fingerprint {ledger.like} $1 || '%'",
        (prefix,),
    )
    assert [r["fingerprint"] for r in near] == [anchor["fingerprint"]]
