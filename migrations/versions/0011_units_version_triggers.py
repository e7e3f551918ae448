"""data_versions['units']: a unit-tree change counter kept by triggers

Revision ID: a3c5e7f9b1d2
Revises: f2b4c6d8e0a1
Create Date: 2026-11-29 13:15:00

Every insert, update or delete on admin_units raises data_versions['units'] (app.models.versions).
The unit tree each process keeps (app/services/scope.py) is current while the counter has not
moved: one primary-key read per request instead of an aggregate over every unit. As with 0006:
on SQLite, batch_alter_table on admin_units recreates it and drops these triggers; re-create them
afterwards. tests/test_migrations.py checks that they fire after `upgrade head`.
"""
from alembic import op


revision = 'a3c5e7f9b1d2'
down_revision = 'f2b4c6d8e0a1'
branch_labels = None
depends_on = None

EVENTS = ('INSERT', 'UPDATE', 'DELETE')
BUMP = "UPDATE data_versions SET version = version + 1 WHERE name = 'units'"


def upgrade():
    op.execute("INSERT INTO data_versions (name, version) VALUES ('units', 0)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE FUNCTION bump_units_version() RETURNS trigger LANGUAGE plpgsql AS $$ '
            f'BEGIN {BUMP}; RETURN NULL; END $$'
        )
        op.execute(
            'CREATE TRIGGER trg_admin_units_units_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            'ON admin_units FOR EACH STATEMENT EXECUTE FUNCTION bump_units_version()'
        )
    else:
        for event in EVENTS:
            op.execute(
                f'CREATE TRIGGER trg_admin_units_units_{event.lower()} AFTER {event} ON admin_units '
                f'BEGIN {BUMP}; END'
            )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS trg_admin_units_units_version ON admin_units')
        op.execute('DROP FUNCTION IF EXISTS bump_units_version()')
    else:
        for event in EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS trg_admin_units_units_{event.lower()}')
    op.execute("DELETE FROM data_versions WHERE name = 'units'")
