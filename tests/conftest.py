"""Names the tests import (the fixtures themselves are registered once, by the root conftest.py)."""

from tests.support.fixtures import ENV, STRONG_PASSWORD, unique_email

__all__ = ["ENV", "STRONG_PASSWORD", "unique_email"]
