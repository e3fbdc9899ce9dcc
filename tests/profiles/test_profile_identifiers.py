"""Normalisation of identifiers and pooling them into MLA-annex rows."""

from __future__ import annotations

import csv
import io

import pytest

from evidence.identifiers import (
    Identifier,
    IdentifierRow,
    canonical_url,
    collect_identifiers,
    identifiers_csv,
    identifiers_in_profile,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected", "valid"),
    [
        ("+375 (29) 123-45-67", "+375291234567", True),
        ("8 029 123 45 67", "+375291234567", True),  # Belarus trunk prefix 8 0
        ("8 (916) 123-45-67", "+79161234567", True),  # Russian 8 means +7
        ("79161234567", "+79161234567", True),
        ("+7 701 234 56 78", "+77012345678", True),  # Kazakhstan shares +7
        ("+380 67 123 4567", "+380671234567", True),
        ("8 10 375 29 123 45 67", "+375291234567", True),  # CIS international prefix 8 10
        ("+375 29 123", "+37529123", False),  # too short for the Belarus plan
        ("+31 20 123 4567", "+31201234567", None),  # plan not checked
    ],
)
def test_normalise_phone(raw: str, expected: str, valid: bool | None) -> None:
    ident = normalise_phone(raw)
    assert ident is not None
    assert (ident.value, ident.valid) == (expected, valid)


@pytest.mark.parametrize("raw", ["12345", "1234567890", "029 123 45 67", "+1234567890123456"])
def test_phone_rejects_unplaceable(raw: str) -> None:
    assert normalise_phone(raw) is None


def test_email_lowercased() -> None:
    assert normalise_email("Ivan.Petrov@Mail.RU") == Identifier(
        "email", "ivan.petrov@mail.ru", True
    )
    assert normalise_email("not-an-email") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://m.vk.com/Ivan.Petrov?from=search", "https://vk.com/ivan.petrov"),
        ("http://www.vk.com/id123/", "https://vk.com/id123"),
        ("vkontakte.ru/id123", "https://vk.com/id123"),
        ("https://OK.RU/profile/570123456789#x", "https://ok.ru/profile/570123456789"),
        ("www.instagram.com/Shop_Nice/", "https://instagram.com/shop_nice"),
        ("https://instagram.com/p/CxYzAbC/", "https://instagram.com/p/CxYzAbC"),
        (
            "https://m.facebook.com/profile.php?id=100001234&ref=x",
            "https://facebook.com/profile.php?id=100001234",
        ),
        ("https://telegram.me/Durov", "https://t.me/durov"),
        ("https://t.me/+AbCdEfGh", "https://t.me/+AbCdEfGh"),  # invite hashes keep their case
        ("HTTPS://Example.COM/Path?q=1", "https://example.com/Path?q=1"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    ident = canonical_url(raw)
    assert ident is not None
    assert ident.value == expected


def test_canonical_url_rejects_non_web() -> None:
    assert canonical_url("ftp://example.com/x") is None
    assert canonical_url("javascript:alert(1)") is None


def _profile(*entries: dict[str, object]) -> dict[str, object]:
    return {"kind": "whatsapp-chat", "profile_version": 1, "identifiers": list(entries)}


def test_collect_deduplicates_and_sorts() -> None:
    phone = {"kind": "phone", "value": "+375291234567", "valid": True, "detail": None}
    wallet = {"kind": "bitcoin-address", "value": "1BgG", "valid": None, "detail": "x"}
    rows = collect_identifiers(
        [
            ("item-b", _profile(phone, wallet)),
            ("item-a", _profile(phone)),
            ("item-c", {"kind": "image", "profile_version": 1}),
            ("item-a", _profile(phone)),
        ]
    )
    assert rows == [
        IdentifierRow("bitcoin-address", "1BgG", None, ("item-b",), "x", (1,)),
        IdentifierRow("phone", "+375291234567", True, ("item-a", "item-b"), None, (1,)),
    ]
    assert rows[1].to_json()["item_ids"] == ["item-a", "item-b"]


def test_identifiers_in_profile_skips_malformed() -> None:
    profile = _profile(
        {"kind": "email", "value": "a@b.by", "valid": "yes"},
        {"kind": 5, "value": "x"},
        "junk",
        {"kind": "url"},
    )
    assert identifiers_in_profile(profile) == [Identifier("email", "a@b.by", None, None)]
    assert identifiers_in_profile({"identifiers": "nope"}) == []


def test_identifiers_csv() -> None:
    rows = [
        IdentifierRow("phone", "+375291234567", True, ("i1", "i2"), None, (1, 2)),
        IdentifierRow("url", "https://x.by/", None, ("i3",), "=HYPERLINK(1)"),
    ]
    text = identifiers_csv(rows)
    assert text.startswith("kind,value,valid,detail,items,parser_versions\r\n")
    parsed = list(csv.reader(io.StringIO(text)))
    # A leading + is a formula to a spreadsheet too; the apostrophe (not displayed) defuses it.
    assert parsed[1] == ["phone", "'+375291234567", "yes", "", "i1 i2", "1 2"]
    assert parsed[2][3] == "'=HYPERLINK(1)"  # spreadsheet formula defused
