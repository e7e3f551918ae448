"""The bench database: where it lives, creating and dropping it, the app that builds it."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from app import create_app
from app.config import Config

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"


def database_url(spec: str, households: int) -> str:
    """``sqlite`` → a file under bench/out; a PostgreSQL URL → a dedicated ``<db>_bench_<n>`` beside it."""
    if spec == "sqlite":
        return f"sqlite:///{OUT_DIR / f'registry-{households}.db'}"
    if spec.startswith("sqlite"):
        return spec
    parts = urlsplit(spec)
    base = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{base}_bench_{households}"))


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None


def _pg_admin(url: str):
    """A psycopg connection to the maintenance database of ``url``'s server."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), autocommit=True)


def _pg_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_exists(url: str) -> bool:
    """True when the database exists and holds households."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return False
    if path is None:
        with _pg_admin(url) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_pg_name(url),)).fetchone():
                return False
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("households"):
            return False
        from app.models import Household

        with engine.connect() as conn:
            return bool(conn.scalar(select(func.count(Household.id))))
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    path = _sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = _pg_name(url)
    with _pg_admin(url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def create_database(url: str) -> None:
    """A fresh, empty database at ``url`` (an old one is dropped)."""
    drop_database(url)
    path = _sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    with _pg_admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{_pg_name(url)}"')


def bench_app(url: str, redis_url: str = "redis://127.0.0.1:6379/0") -> Flask:
    """The app on ``url`` (the bench process's own: building, sampling test data)."""
    config = type(
        "BenchConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-builder",
        },
    )
    return create_app(config)


def migrate(app: Flask) -> None:
    """The real migrations, as tests/conftest.py make_test_app runs them."""
    from app.extensions import db

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
