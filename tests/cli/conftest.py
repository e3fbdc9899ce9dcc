"""The CLI tests' workspace (`sh`: three keys and a case) and seized photo, shared here."""

from tests.test_cli import photo, sh  # noqa: F401  (fixtures, found by pytest by name)
