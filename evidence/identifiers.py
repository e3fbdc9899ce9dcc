"""Identifiers found in evidence (phones, e-mails, profile URLs, wallets), normalised and pooled.

A mutual legal assistance request asks the foreign authority about concrete accounts: "subscriber
of +375 29 123-45-67", "owner of https://vk.com/id123", "holder of purse Z123456789012". This
module gives each such identifier one normalised spelling, so the same account written three ways
in three exhibits becomes one row of the request's annex, with the exhibits it appears in.

Profiles (evidence.profiles) put what they find under their "identifiers" key as
{"kind", "value", "valid", "detail"} objects; this module only reads that key, so it has no
dependency on the parsers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Identifier:
    """One identifier as found in one profile: kind, normalised value, checksum/format verdict."""

    kind: str
    value: str
    valid: bool | None = None  # None: nothing to check (no checksum, unknown numbering plan)
    detail: str | None = None  # network, script type, platform, why invalid

    def to_json(self) -> dict[str, Any]:
        """The JSON object profiles store under "identifiers"."""
        return {"kind": self.kind, "value": self.value, "valid": self.valid, "detail": self.detail}


@dataclass(frozen=True)
class IdentifierRow:
    """One de-duplicated identifier with every item it appears in: a row of the MLA annex."""

    kind: str
    value: str
    valid: bool | None
    item_ids: tuple[str, ...]
    detail: str | None = None
    parser_versions: tuple[int, ...] = ()  # of the profiles that list it

    def to_json(self) -> dict[str, Any]:
        """JSON object with item_ids as a sorted list."""
        return {
            "kind": self.kind,
            "value": self.value,
            "valid": self.valid,
            "detail": self.detail,
            "item_ids": list(self.item_ids),
            "parser_versions": list(self.parser_versions),
        }


# --- phones -------------------------------------------------------------------------------------

# Country code -> allowed lengths of the full international number (country code included), for
# the states our requests go to most. Other codes are kept as written with valid=None.
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_PHONE_PLANS: dict[str, tuple[int, ...]] = {
    "7": (11,),  # Russia, Kazakhstan
    "375": (12,),  # Belarus
    "380": (12,),  # Ukraine
    "373": (11,),  # Moldova
    "374": (11,),  # Armenia
    "994": (12,),  # Azerbaijan
    "995": (12,),  # Georgia
    "996": (12,),  # Kyrgyzstan
    "992": (12,),  # Tajikistan
    "993": (11,),  # Turkmenistan
    "998": (12,),  # Uzbekistan
    "370": (11,),  # Lithuania
    "371": (11,),  # Latvia
    "372": (10, 11),  # Estonia
    "48": (11,),  # Poland
    "1": (11,),  # NANP
    "44": (12,),  # United Kingdom
    "49": (10, 11, 12, 13, 14, 15),  # Germany
    "90": (12,),  # Turkey
    "86": (13,),  # China
    "420": (12,),  # Czechia
}


def normalise_phone(raw: str) -> Identifier | None:
    """E.164 form of a phone number written in international or CIS domestic notation.

    Returns None when the digits cannot be a phone number we can place (too short or too long,
    or a domestic number of unknown country).
    """
    text = raw.strip()
    digits = _NON_DIGIT_RE.sub("", text)
    if not digits or len(digits) > 15 + 3:
        return None
    international = text.startswith("+")
    if not international:
        if digits.startswith("810") and len(digits) >= 13:
            # 8-10 is the CIS international prefix: 8 10 375 29 ... dials +375 29 ...
            digits = digits[3:]
        elif len(digits) == 11 and digits.startswith("80"):
            # Belarus domestic trunk prefix: 8 0XX ... is +375 XX ...
            digits = "375" + digits[2:]
        elif len(digits) == 11 and digits[0] in "78":
            # Russia/Kazakhstan: 8 or 7 followed by ten digits is +7
            digits = "7" + digits[1:]
        elif len(digits) == 12 and digits.startswith(("375", "380", "994", "995", "996", "998")):
            pass
        else:
            return None
    if not 8 <= len(digits) <= 15:
        return None
    for width in (3, 2, 1):
        lengths = _PHONE_PLANS.get(digits[:width])
        if lengths is not None:
            ok = len(digits) in lengths
            return Identifier("phone", "+" + digits, ok, None if ok else "wrong length for plan")
    return Identifier("phone", "+" + digits, None, "numbering plan not checked")


# --- e-mail -------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^\W\d_]{2,24}$")


def normalise_email(raw: str) -> Identifier | None:
    """Lower-cased e-mail address, or None if raw is not shaped like one."""
    value = raw.strip().strip(".,;:").lower()
    value = value.removeprefix("mailto:")
    if not _EMAIL_RE.match(value):
        return None
    return Identifier("email", value, True)


# --- URLs ---------------------------------------------------------------------------------------

# host aliases -> (canonical host, platform name)
_SOCIAL_HOSTS: dict[str, tuple[str, str]] = {
    "vk.com": ("vk.com", "VK"),
    "vkontakte.ru": ("vk.com", "VK"),
    "vk.ru": ("vk.com", "VK"),
    "ok.ru": ("ok.ru", "Odnoklassniki"),
    "odnoklassniki.ru": ("ok.ru", "Odnoklassniki"),
    "instagram.com": ("instagram.com", "Instagram"),
    "instagr.am": ("instagram.com", "Instagram"),
    "facebook.com": ("facebook.com", "Facebook"),
    "fb.com": ("facebook.com", "Facebook"),
    "t.me": ("t.me", "Telegram"),
    "telegram.me": ("t.me", "Telegram"),
    "wa.me": ("wa.me", "WhatsApp"),
}
_TRAILING_PUNCT = ".,;:!?)]}>'\"»…"


def canonical_url(raw: str) -> Identifier | None:
    """Canonical form of a URL; social profile links reduced to https://host/profile.

    Social hosts (vk.com, ok.ru, instagram.com, facebook.com, t.me): https, no www./m. prefix,
    lower-case host, no query, fragment or trailing slash, and a single-segment path (a profile
    name, which these sites treat case-insensitively) lower-cased. Longer paths keep their case
    because post ids and invite hashes are case-sensitive. Facebook's profile.php?id=N keeps id.
    """
    text = raw.strip().rstrip(_TRAILING_PUNCT)
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or "." not in host or len(text) > 2048:
        return None
    bare = host
    for prefix in ("www.", "m.", "mobile."):
        bare = bare.removeprefix(prefix)
    social = _SOCIAL_HOSTS.get(bare)
    if social is None:
        netloc = host if port is None else f"{host}:{port}"
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return Identifier("url", f"{scheme}://{netloc}{path}{query}", None)
    canon_host, platform = social
    path = parts.path.rstrip("/")
    if canon_host == "facebook.com" and path == "/profile.php":
        ids = parse_qs(parts.query).get("id", [])
        if ids and ids[0].isdigit():
            return Identifier(
                "url", f"https://facebook.com/profile.php?id={ids[0]}", None, platform
            )
    segments = [s for s in path.split("/") if s]
    if len(segments) == 1 and not segments[0].startswith("+"):
        path = "/" + segments[0].lower()
    return Identifier("url", f"https://{canon_host}{path}", None, platform)


# --- IBAN ---------------------------------------------------------------------------------------

# ISO 13616 lengths by country (SWIFT IBAN registry) for the states our requests concern: the CIS
# members that issue IBANs, the EU and EEA, the UK and Switzerland
IBAN_LENGTHS: dict[str, int] = {
    "BY": 28, "RU": 33, "KZ": 20, "UA": 29, "MD": 24, "AZ": 28, "GE": 22, "LT": 20, "LV": 21,
    "EE": 20, "PL": 28, "DE": 22, "FR": 27, "IT": 27, "ES": 24, "NL": 18, "BE": 16, "AT": 20,
    "CZ": 24, "SK": 24, "HU": 28, "RO": 24, "BG": 22, "HR": 21, "SI": 19, "FI": 18, "SE": 24,
    "DK": 18, "IE": 22, "PT": 25, "GR": 27, "CY": 28, "MT": 31, "LU": 20, "GB": 22, "CH": 21,
    "NO": 15, "IS": 26, "LI": 21, "TR": 26, "AE": 23,
}  # fmt: skip
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def iban_check_ok(iban: str) -> bool:
    """ISO 13616 / ISO 7064 MOD 97-10: the first four characters moved to the end, letters as
    10..35, and the number modulo 97 is 1."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def normalise_iban(raw: str) -> Identifier | None:
    """The electronic form (no spaces, upper case) of an IBAN of a country we know, with its
    check-digit verdict; None if raw is not shaped like one (wrong country or length)."""
    value = "".join(raw.split()).upper()
    if not _IBAN_RE.match(value) or IBAN_LENGTHS.get(value[:2]) != len(value):
        return None
    if iban_check_ok(value):
        return Identifier("iban", value, True, f"{value[:2]} IBAN; check digits ok")
    return Identifier("iban", value, False, f"{value[:2]} IBAN; check digits fail (ISO 13616)")


# --- pooling ------------------------------------------------------------------------------------


def identifiers_in_profile(profile: Mapping[str, Any]) -> list[Identifier]:
    """The identifiers a profile lists, de-duplicated, skipping malformed entries."""
    found: dict[tuple[str, str, bool | None], Identifier] = {}
    entries = profile.get("identifiers") if isinstance(profile, Mapping) else None
    if not isinstance(entries, list):
        return []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kind, value = entry.get("kind"), entry.get("value")
        valid, detail = entry.get("valid"), entry.get("detail")
        if not isinstance(kind, str) or not isinstance(value, str) or not kind or not value:
            continue
        ident = Identifier(
            kind,
            value,
            valid if isinstance(valid, bool) else None,
            detail if isinstance(detail, str) else None,
        )
        found.setdefault((kind, value, ident.valid), ident)
    return list(found.values())


def collect_identifiers(items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[IdentifierRow]:
    """Pool (item_id, profile) pairs into de-duplicated rows sorted by kind, value, verdict.

    Rows pool on (kind, value, verdict): values are as written (an address's spelling carries its
    verdict), and two entries with different verdicts stay two rows, so no verdict depends on
    the order in which exhibits were read.
    """
    pooled: dict[tuple[str, str, bool | None], tuple[Identifier, set[str], set[int]]] = {}
    for item_id, profile in items:
        version = profile.get("profile_version") if isinstance(profile, Mapping) else None
        for ident in identifiers_in_profile(profile):
            key = (ident.kind, ident.value, ident.valid)
            entry = pooled.setdefault(key, (ident, set(), set()))
            entry[1].add(item_id)
            if isinstance(version, int) and not isinstance(version, bool):
                entry[2].add(version)
    rows = [
        IdentifierRow(
            ident.kind,
            ident.value,
            ident.valid,
            tuple(sorted(ids)),
            ident.detail,
            tuple(sorted(versions)),
        )
        for ident, ids, versions in pooled.values()
    ]
    order = {True: 0, None: 1, False: 2}
    rows.sort(key=lambda row: (row.kind, row.value, order[row.valid]))
    return rows


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with = + - @ (or tab, CR before them) as formulas; details
    # and URLs come from hostile files. The apostrophe marks a text cell: Excel and LibreOffice
    # do not display it, so "+375 29..." still reads as the phone number.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def identifiers_csv(rows: Iterable[IdentifierRow]) -> str:
    """RFC 4180 CSV text (kind, value, valid, detail, items, parser_versions: of the profiles
    that stand behind the row) for the annex of an MLA request."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "value", "valid", "detail", "items", "parser_versions"])
    verdict = {True: "yes", False: "no", None: "unknown"}
    for row in rows:
        writer.writerow(
            [
                row.kind,
                _csv_safe(row.value),
                verdict[row.valid],
                _csv_safe(row.detail or ""),
                " ".join(row.item_ids),
                " ".join(str(v) for v in row.parser_versions),
            ]
        )
    return out.getvalue()
