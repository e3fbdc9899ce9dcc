"""Country codes: ISO 3166-1 alpha-2, checked against the standard's list (the iso3166
package), so that "XX" or "EU" cannot stand for a state in a certificate or a case."""

from __future__ import annotations

from iso3166 import countries_by_alpha2

from .errors import UsageError


def check_country(code: str, what: str) -> str:
    """The code in upper case if it is an assigned ISO 3166-1 alpha-2 code; else a usage error."""
    upper = code.strip().upper()
    if upper not in countries_by_alpha2:
        raise UsageError(
            f"{what} {code!r} is not an ISO 3166-1 alpha-2 country code",
            "use the two letters, e.g. BY for Belarus, KZ for Kazakhstan, DE for Germany",
        )
    return upper
