"""Blueprint-test fixtures.

Requests in their own app context: the shared ``app`` fixture keeps one app context open for the
whole test, and Flask reuses an open context of the same app for every test-client request, so
``g`` (Flask-Login's user, Flask-WTF's token, Flask-Babel's locale, the unit index) and the ORM
session leaked from one request, and one client, to the next. ``IsolatedClient`` gives each request
a fresh app context, as in production, then expires the test's own session so it reads what the
request committed.

Password hashing: werkzeug's default scrypt costs ~0.13 s per hash, and every world hashes six
passwords, so these tests hash with a cheap PBKDF2 instead (as Django's test settings do). The
check still goes through werkzeug's ``check_password_hash``; test_auth.py checks the production
default without this patch (ask for the ``production_hashing`` fixture).
"""

from functools import partial

import pytest
from werkzeug.security import generate_password_hash

import app.models.users as users_module
from app.extensions import db as _db
from tests.conftest import Client, log_in
from tests.factories import PASSWORD


class IsolatedClient(Client):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def login_as(app):
    app.test_client_class = IsolatedClient

    def _login(user, password: str = PASSWORD) -> IsolatedClient:
        return log_in(app.test_client(), user.username, password)

    return _login


@pytest.fixture
def new_client(app):
    """A fresh anonymous client (a second browser)."""
    app.test_client_class = IsolatedClient
    return app.test_client


@pytest.fixture(autouse=True)
def fast_password_hashing(request, monkeypatch):
    if "production_hashing" in request.fixturenames:
        return
    monkeypatch.setattr(
        users_module, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )


@pytest.fixture
def production_hashing():
    """Ask for this fixture to keep the application's own password hashing."""
