"""Service-test fixtures.

Shared data: the function-scoped ``app`` of tests/conftest.py empties the database after every
test, a TRUNCATE that costs 0.2–0.4 s on PostgreSQL. A module here instead builds its data once
(``shared_app``, ``shared_world``) and each test runs in a transaction that ``shared_db`` rolls
back: tests flush, never commit (a commit fails the test), and the unit index cached in ``g`` is
dropped after each test. A module that uses these must not ask for ``app`` or ``login_as``.
"""

import pytest
from flask import g
from sqlalchemy import event

from app.extensions import db as _db
from tests.conftest import empty_database
from tests.factories import build_world


@pytest.fixture(scope="module")
def shared_app(_app):
    """The app inside one app context for the whole module; the database is emptied at its end."""
    with _app.app_context():
        yield _app
        empty_database()


@pytest.fixture(scope="module")
def shared_world(shared_app):
    """The world of tests/factories.py, built (and committed) once for the module."""
    return build_world()


@pytest.fixture
def shared_db(shared_app):
    """The database of ``shared_app``; everything the test wrote is rolled back after it."""
    session = _db.session()
    commits = []

    def on_commit(_session):
        commits.append(True)

    event.listen(session, "after_commit", on_commit)
    yield _db
    event.remove(session, "after_commit", on_commit)
    _db.session.rollback()
    g.pop("unit_index", None)
    assert not commits, "a test on shared data committed: flush instead"


@pytest.fixture
def world(shared_world, shared_db):
    """The shared world, inside a test's rolled-back transaction (a module may override it)."""
    return shared_world


@pytest.fixture
def db(shared_db):
    return shared_db
