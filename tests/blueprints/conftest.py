"""Blueprint-test fixtures (the shared ones live in tests/conftest.py)."""

import pytest


@pytest.fixture
def new_client(app):
    """A factory of fresh anonymous clients (each one a second browser)."""
    return app.test_client
