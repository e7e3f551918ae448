"""data_versions: a registry change counter kept by triggers

Revision ID: c4e6a8b0d2f3
Revises: b3d5f7a9c1e2
Create Date: 2026-11-29 09:30:00

Every insert, update or delete on households, household_causes and poverty_causes raises
data_versions['registry'] (app.models.versions). The households list caches what it renders
under that counter, so the triggers, not each writer, guarantee that a change is seen at the
next request. PostgreSQL: one statement-level trigger per table (TRUNCATE included); SQLite:
row-level triggers. NOTE for later migrations: on SQLite, batch_alter_table on one of these
tables recreates it and drops its triggers; re-create them afterwards (create_triggers below).
tests/test_migrations.py checks that they fire after `upgrade head`.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e6a8b0d2f3'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None

TABLES = ('households', 'household_causes', 'poverty_causes')
EVENTS = ('INSERT', 'UPDATE', 'DELETE')
BUMP = "UPDATE data_versions SET version = version + 1 WHERE name = 'registry'"


def create_triggers(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE TRIGGER trg_{table}_registry_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version()'
        )
    else:
        for event in EVENTS:
            op.execute(
                f'CREATE TRIGGER trg_{table}_registry_{event.lower()} AFTER {event} ON {table} '
                f'BEGIN {BUMP}; END'
            )


def drop_triggers(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_registry_version ON {table}')
    else:
        for event in EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_registry_{event.lower()}')


def upgrade():
    op.create_table(
        'data_versions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions')),
    )
    op.execute("INSERT INTO data_versions (name, version) VALUES ('registry', 0)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$ '
            f'BEGIN {BUMP}; RETURN NULL; END $$'
        )
    for table in TABLES:
        create_triggers(table)


def downgrade():
    for table in TABLES:
        drop_triggers(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS bump_registry_version()')
    op.drop_table('data_versions')
