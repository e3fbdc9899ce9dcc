"""The CLI tests' workspace (`sh`: three keys and a case), shared with the profile tests."""

from tests.test_cli import sh  # noqa: F401  (a fixture, found by pytest by name)
