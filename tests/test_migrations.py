"""The schema is built only by Alembic; it can go down and up again, and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db, include_object_for
from app.models import Target
from tests.conftest import ROOT, database_url, make_test_app
from tests.factories import make_assignment, make_report, make_task

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


def _registry_version() -> int:
    return db.session.scalar(text("SELECT version FROM data_versions WHERE name = 'registry'"))


def test_the_registry_version_triggers_fire_on_every_write(world):
    """Plain SQL, no ORM events: the database itself raises the counter (migration 0006). A later
    migration that recreates one of these tables on SQLite must recreate its triggers."""
    household = world.households.duc
    ident = {"id": household.id}
    statements = [  # (SQL, whether it changes the registry)
        ("UPDATE households SET head_name = 'Tên Mới' WHERE id = :id", ident, True),
        (
            "INSERT INTO household_causes (household_id, cause_id) SELECT :id, min(id) FROM poverty_causes",
            ident,
            True,
        ),
        ("DELETE FROM household_causes WHERE household_id = :id", ident, True),
        ("UPDATE poverty_causes SET name_vi = name_vi", {}, True),
        ("DELETE FROM review_records WHERE household_id = :id", ident, False),
    ]
    for sql, params, registry_change in statements:
        before = _registry_version()
        db.session.execute(text(sql), params)
        db.session.commit()
        assert (_registry_version() > before) == registry_change, sql


def _figures_version(name: str = "figures") -> int:
    return db.session.scalar(text("SELECT version FROM data_versions WHERE name = :name"), {"name": name})


def test_the_figures_version_triggers_fire_on_every_write_the_dashboard_counts(world):
    """Migration 0014: each table the dashboard's figures come from raises data_versions['figures']
    on a plain SQL write; a report's lease, a user's language and a table it does not count
    (notifications) leave it."""
    tables = (
        "admin_units",
        "households",
        "poverty_causes",
        "members",
        "assignments",
        "review_records",
        "support_tasks",
        "task_types",
        "targets",
        "report_definitions",
    )
    household, organisation = world.households.duc, world.organisations.a
    make_assignment(household, organisation)  # a row in each table: SQLite's triggers are per row
    make_task(household, organisation)
    make_report(world.commune_a, "task_progress_monthly", "2020-03")
    db.session.add(Target(year=2020, unit_id=world.district.id, indicator="new_jobs", value=550))
    db.session.commit()
    statements = [(f"UPDATE {table} SET id = id", True) for table in tables]
    statements += [
        ("UPDATE report_instances SET status = status", True),
        ("UPDATE report_instances SET lease_owner = 'x', lease_until = NULL", False),  # every step
        ("UPDATE users SET active = active", True),
        ("UPDATE users SET locale = 'en'", False),
        (
            "INSERT INTO household_causes (household_id, cause_id) "
            f"SELECT {household.id}, min(id) FROM poverty_causes",
            True,
        ),
        ("DELETE FROM review_deprivations WHERE review_id = -1", True),  # a statement, even of no row,
        ("UPDATE notifications SET id = id", False),
    ]
    for sql, counted in statements:
        if db.engine.dialect.name == "sqlite" and "review_deprivations" in sql:
            # SQLite's triggers are per row: write one
            sql = (
                "INSERT INTO review_deprivations (review_id, indicator_id) "
                "SELECT (SELECT min(id) FROM review_records), (SELECT min(id) FROM indicators)"
            )
        before, reviews = _figures_version(), _figures_version("reviews")
        db.session.execute(text(sql))
        db.session.commit()
        assert (_figures_version() > before) == counted, sql
        # the headline's counter: the review records and their deprivations only
        assert (_figures_version("reviews") > reviews) == ("review_" in sql), sql


def _units_version() -> int:
    return db.session.scalar(text("SELECT version FROM data_versions WHERE name = 'units'"))


def test_the_units_version_triggers_fire_on_every_write(world):
    """Plain SQL, no ORM events: the database raises the counter the unit tree cache reads
    (migration 0011), so a unit changed by another process is seen at the next request."""
    from flask import g

    from app.services import scope

    assert scope.unit_index().units[world.commune_a.id].name != "Xã Đổi Tên"
    statements = [
        ("UPDATE admin_units SET name = 'Xã Đổi Tên' WHERE id = :id", {"id": world.commune_a.id}),
        (
            "INSERT INTO admin_units (code, name, kind, parent_id, path, depth, updated_at)"
            " SELECT '99999', 'Xã Mới', 'commune', id, path || '/99999', depth + 1, updated_at"
            " FROM admin_units WHERE id = :id",
            {"id": world.district.id},
        ),
        ("DELETE FROM admin_units WHERE code = '99999'", {}),
    ]
    for sql, params in statements:
        before = _units_version()
        db.session.execute(text(sql), params)
        db.session.commit()
        assert _units_version() > before, sql
    g.pop("unit_index", None)  # a new request: the process's cached tree is reloaded by the counter
    assert scope.unit_index().units[world.commune_a.id].name == "Xã Đổi Tên"


def test_a_tree_read_while_units_are_written_is_not_kept(world):
    """A transaction that wrote units may roll back and take its counter value with it; the next
    transaction then reaches the same value with other units. The tree read in between must not
    be kept under that value."""
    from flask import g

    from app.services import scope
    from tests.factories import make_unit

    def names() -> set[str]:
        g.pop("unit_index", None)  # a new request
        return {u.name for u in scope.unit_index().units.values()}

    names()  # kept at the committed value
    make_unit("99903", "Xã Tạm", "commune", world.district)  # flushed, not committed
    assert "Xã Tạm" in names()  # this transaction sees its own unit
    db.session.rollback()
    make_unit("99904", "Xã Khác", "commune", world.district)  # the same writes: the same value
    db.session.commit()

    assert "Xã Khác" in names() and "Xã Tạm" not in names()


def test_a_transaction_of_many_writes_raises_each_counter(world):
    """Three writes in one transaction: on PostgreSQL each counter is raised once (a transaction-
    local flag, migration 0014: bulk loads stay fast); SQLite's row-level triggers raise it per row."""
    before = {name: _figures_version(name) for name in ("figures", "registry")}
    for household in (world.households.duc, world.households.lan, world.households.pao):
        db.session.execute(
            text("UPDATE households SET head_name = head_name WHERE id = :id"), {"id": household.id}
        )
    db.session.commit()
    raised = {name: _figures_version(name) - before[name] for name in before}
    expected = 1 if db.engine.dialect.name == "postgresql" else 3
    assert raised == {"figures": expected, "registry": expected}
