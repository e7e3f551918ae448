"""trigram indexes for active search (PostgreSQL only)

Revision ID: 9c2e4a6b8d10
Revises: 7b1c2d3e4f50
Create Date: 2026-11-29 09:40:00

Active search matches a substring of the folded search text or the head's name. PostgreSQL
answers that from GIN trigram indexes (the pg_trgm extension, trusted since PostgreSQL 13, so
the database owner may create it). SQLite has no such index and scans; nothing is done there.
The extension is left in place on downgrade: other objects may use it.
"""
from alembic import op


revision = '9c2e4a6b8d10'
down_revision = '7b1c2d3e4f50'
branch_labels = None
depends_on = None

COLUMNS = ('search_text', 'sort_name')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for column in COLUMNS:
        op.create_index(
            f'ix_households_{column}_trgm', 'households', [column],
            postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'},
        )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for column in COLUMNS:
        op.drop_index(f'ix_households_{column}_trgm', table_name='households')
