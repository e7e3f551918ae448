"""data_versions['figures']: a change counter, kept by triggers, of what the dashboard counts

Revision ID: 5d7f9b1c3e50
Revises: 86ebac32e8a0
Create Date: 2026-11-29 21:40:00

Every insert, update or delete on the tables the dashboard's figures are counted from raises
data_versions['figures'] (app.models.versions): households, their members, assignments and review
records with their deprivations, support tasks and their types, targets, report instances and
definitions, and users (who follows a household). The figures each process keeps
(app/services/overview.py) are current while the counter has not moved. PostgreSQL: one
statement-level trigger per table (TRUNCATE included); SQLite: row-level triggers. As with 0006:
on SQLite, batch_alter_table on one of these tables recreates it and drops its triggers; re-create
them afterwards (create_triggers below). tests/test_migrations.py checks that they fire.
"""
from alembic import op


revision = '5d7f9b1c3e50'
down_revision = '86ebac32e8a0'
branch_labels = None
depends_on = None

TABLES = (
    'households',
    'members',
    'assignments',
    'review_records',
    'review_deprivations',
    'support_tasks',
    'task_types',
    'targets',
    'report_instances',
    'report_definitions',
    'users',
)
EVENTS = ('INSERT', 'UPDATE', 'DELETE')
BUMP = "UPDATE data_versions SET version = version + 1 WHERE name = 'figures'"


def create_triggers(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE TRIGGER trg_{table}_figures_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_figures_version()'
        )
    else:
        for event in EVENTS:
            op.execute(
                f'CREATE TRIGGER trg_{table}_figures_{event.lower()} AFTER {event} ON {table} '
                f'BEGIN {BUMP}; END'
            )


def drop_triggers(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_figures_version ON {table}')
    else:
        for event in EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_figures_{event.lower()}')


def upgrade():
    op.execute("INSERT INTO data_versions (name, version) VALUES ('figures', 0)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE FUNCTION bump_figures_version() RETURNS trigger LANGUAGE plpgsql AS $$ '
            f'BEGIN {BUMP}; RETURN NULL; END $$'
        )
    for table in TABLES:
        create_triggers(table)


def downgrade():
    for table in TABLES:
        drop_triggers(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS bump_figures_version()')
    op.execute("DELETE FROM data_versions WHERE name = 'figures'")
