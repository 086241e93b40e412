"""Fixtures of the session tests, reused here."""

from tests.session.conftest import signed_in

__all__ = ["signed_in"]
