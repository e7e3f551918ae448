"""data_versions['figures'] and ['reviews']: change counters, kept by triggers, of what the dashboard counts

Revision ID: 5d7f9b1c3e50
Revises: 86ebac32e8a0
Create Date: 2026-11-29 21:40:00

Every insert, update or delete on the tables the dashboard's figures are counted from raises
data_versions['figures'] (app.models.versions): units, households with their causes, members,
assignments and review records with their deprivations, support tasks and their types, targets,
report instances and definitions, and users (who follows a household); for report instances and
users, only an update of a column the dashboard reads (COUNTED_COLUMNS). The figures each process keeps
(app/services/overview.py) are current while the counter has not moved. data_versions['reviews']
moves only with the review records and their deprivations: the headline figures, counted from
them alone, outlive the many changes to tasks. PostgreSQL: one
statement-level trigger per table (TRUNCATE included); SQLite: row-level triggers. As with 0006:
on SQLite, batch_alter_table on one of these tables recreates it and drops its triggers; re-create
them afterwards (create_triggers below). On PostgreSQL every counter's function (those of 0006
and 0011 too) raises its counter once per transaction (once_per_transaction below).
Lock order: a raise holds the counter's row until commit, so two transactions raising two
counters in opposite orders could deadlock. Every table that raises another counter (registry:
households and causes; units: admin_units; reviews: review records) also raises 'figures', whose
trigger fires first (triggers fire in name order: "figures" sorts before "registry", "reviews"
and "units"): a writer takes 'figures' before any other, and writers queue there.
tests/test_migrations.py checks that they fire.
"""
from alembic import op


revision = '5d7f9b1c3e50'
down_revision = '86ebac32e8a0'
branch_labels = None
depends_on = None

TABLES = (
    'admin_units',
    'households',
    'household_causes',
    'poverty_causes',
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
#: counter → the tables whose writes raise it
COUNTERS = {'figures': TABLES, 'reviews': ('review_records', 'review_deprivations')}
#: tables whose other columns the dashboard does not read: only these raise the counter on an
#: update (a report's lease, renewed at every step of its generation, or a user's language)
COUNTED_COLUMNS = {
    'report_instances': (
        'status', 'deadline', 'first_submitted_at', 'period', 'period_start', 'unit_id', 'definition_id',
    ),
    'users': ('active', 'scope_unit_id'),
}
EVENTS = ('INSERT', 'UPDATE', 'DELETE')


def bump(counter):
    return f"UPDATE data_versions SET version = version + 1 WHERE name = '{counter}'"


def once_per_transaction(counter):
    """PostgreSQL: a statement-level trigger still fires once per row of an executemany (psycopg
    runs one statement per row), and each bump rewrote the counter's row: a bulk load of 10,000
    rows took 1.5 s instead of 0.15. A transaction-local setting remembers that this transaction
    has raised the counter already; readers cannot see the transaction's rows before it commits,
    so one raise is as good as many."""
    flag = f'giamngheo.raised_{counter}'
    return (
        f"IF current_setting('{flag}', true) IS DISTINCT FROM txid_current()::text THEN "
        f"{bump(counter)}; PERFORM set_config('{flag}', txid_current()::text, true); END IF"
    )


def create_function(counter, body):
    op.execute(
        f'CREATE OR REPLACE FUNCTION bump_{counter}_version() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f'BEGIN {body}; RETURN NULL; END $$'
    )


def create_triggers(counter, table):
    columns = COUNTED_COLUMNS.get(table) if counter == 'figures' else None
    update = f"UPDATE OF {', '.join(columns)}" if columns else 'UPDATE'
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE TRIGGER trg_{table}_{counter}_version AFTER INSERT OR {update} OR DELETE OR TRUNCATE '
            f'ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_{counter}_version()'
        )
    else:
        for event in EVENTS:
            op.execute(
                f'CREATE TRIGGER trg_{table}_{counter}_{event.lower()} '
                f'AFTER {update if event == "UPDATE" else event} ON {table} BEGIN {bump(counter)}; END'
            )


def drop_triggers(counter, table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_{counter}_version ON {table}')
    else:
        for event in EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS trg_{table}_{counter}_{event.lower()}')


#: the counters of migrations 0006 and 0011, whose functions learn the same economy
EARLIER = ('registry', 'units')


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for counter, tables in COUNTERS.items():
        op.execute(f"INSERT INTO data_versions (name, version) VALUES ('{counter}', 0)")
        if postgresql:
            create_function(counter, once_per_transaction(counter))
        for table in tables:
            create_triggers(counter, table)
    if postgresql:
        for counter in EARLIER:
            create_function(counter, once_per_transaction(counter))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for counter in EARLIER:
            create_function(counter, bump(counter))
    for counter, tables in COUNTERS.items():
        for table in tables:
            drop_triggers(counter, table)
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f'DROP FUNCTION IF EXISTS bump_{counter}_version()')
        op.execute(f"DELETE FROM data_versions WHERE name = '{counter}'")
