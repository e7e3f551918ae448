"""The schema is built only by Alembic; it can go down and up again, and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db, include_object_for
from tests.conftest import ROOT, database_url, make_test_app

MIGRATIONS = str(ROOT / "migrations")


def test_upgrade_downgrade_upgrade(tmp_path, redis_url):
    app = make_test_app(database_url("migrations", tmp_path), redis_url)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"households", "members", "review_records", "admin_units", "assignments"} <= tables

        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade(directory=MIGRATIONS)
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()


def test_models_match_the_migrated_schema(app):
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_object_for(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_constraints_are_named(app):
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        for fk in inspector.get_foreign_keys(table.name):
            if db.engine.dialect.name == "postgresql":
                assert fk["name"] and fk["name"].startswith("fk_"), (table.name, fk)
        for check in inspector.get_check_constraints(table.name):
            assert check["name"] and check["name"].startswith("ck_"), (table.name, check)
