"""layout.paragraph skips reportlab's parser for text with no tag or entity: the fragment it
makes is the one the parser makes, for any such text in every style of the reports, so the
page is the same; text with markup, entities or nothing but spaces goes through the parser."""

from __future__ import annotations

from dataclasses import fields

from hypothesis import given
from hypothesis import strategies as st
from reportlab.platypus import Paragraph

from evidence.report.layout import Styles, paragraph, styles


def _frags(p: Paragraph) -> list[dict[str, object]]:
    return [dict(f.__dict__) for f in p.frags]


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.sampled_from([f.name for f in fields(Styles)]),
)
def test_fragments_equal_the_parsers(text: str, name: str) -> None:
    style = getattr(styles(), name)
    if "<" in text or "&" in text or ">" in text:
        text = text.replace("<", "").replace("&", "").replace(">", "")
    quick, parsed = paragraph(text, style), Paragraph(text, style)
    assert quick.text == parsed.text
    assert _frags(quick) == _frags(parsed)


def test_markup_and_entities_are_parsed() -> None:
    st_ = styles().cell
    for text in ("<b>x</b>", "a &amp; b", "a<br/>b", "   ", ""):
        assert _frags(paragraph(text, st_)) == _frags(Paragraph(text, st_))
    assert len(paragraph("a &amp; b", st_).frags) == 3  # the parser's own split


def test_fragments_are_not_shared() -> None:
    """reportlab may add to a fragment's link and underline lists: each has its own."""
    a, b = paragraph("one", styles().cell), paragraph("two", styles().cell)
    assert a.frags[0].link is not b.frags[0].link
    assert a.frags[0].us_lines is not b.frags[0].us_lines
