"""Which parser reads which detected format, for the formats added with parser versions 3 and 4.

Kept apart from the package face so that each new export format is one line here: the format
tag comes from evidence.profiles.detect, the parser from its own module.
"""

from __future__ import annotations

import pathlib
from typing import Any

from evidence.profiles.discord import profile_discord_csv, profile_discord_json
from evidence.profiles.limits import Deadline, Limits
from evidence.profiles.meta import profile_meta
from evidence.profiles.telegram_html import profile_telegram_html, profile_telegram_zip
from evidence.profiles.viber import profile_viber
from evidence.profiles.wallet import profile_wallet_json

__all__ = ["CHAT_ROUTES", "WALLET_ROUTES", "route"]

CHAT_ROUTES = {"telegram-html", "telegram-html-zip", "meta-json", "discord-json", "discord-csv",
               "viber-csv"}  # fmt: skip
WALLET_ROUTES = {"jsonrpc-json", "trongrid-json"}


def route(
    fmt: str, path: pathlib.Path, original_name: str, limits: Limits, deadline: Deadline
) -> dict[str, Any] | None:
    """The profile of a format added in parser version 3 or later, or None for any other."""
    if fmt == "telegram-html":
        return profile_telegram_html(path, original_name, limits, deadline)
    if fmt == "telegram-html-zip":
        return profile_telegram_zip(path, limits, deadline)
    if fmt == "meta-json":
        return profile_meta(path, original_name, limits, deadline)
    if fmt == "discord-json":
        return profile_discord_json(path, limits, deadline)
    if fmt == "discord-csv":
        return profile_discord_csv(path, limits, deadline)
    if fmt == "viber-csv":
        return profile_viber(path, limits, deadline)
    if fmt in WALLET_ROUTES:
        return {**profile_wallet_json(path, limits, deadline), "format": fmt.removesuffix("-json")}
    return None
