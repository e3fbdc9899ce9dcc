"""The CLI fixtures (a workspace with three keys and a case, a seized photo) for these tests."""

from tests.test_cli import photo, sh  # noqa: F401
