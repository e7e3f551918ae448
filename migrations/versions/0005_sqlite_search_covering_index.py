"""covering index for active search (SQLite only)

Revision ID: b3d5f7a9c1e2
Revises: 9c2e4a6b8d10
Create Date: 2026-11-29 09:40:00

SQLite has no trigram index: a search reads every household in scope. An index on
(unit_id, sort_name, search_text) holds all a search reads, so it scans that narrow index,
unit by unit, instead of the wide table rows (about twice as fast). Not on PostgreSQL, where the
trigram indexes of 0004 answer the search and a B-tree entry is limited to ~2.7 kB.
"""
from alembic import op


revision = 'b3d5f7a9c1e2'
down_revision = '9c2e4a6b8d10'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index('ix_households_unit_search', ['unit_id', 'sort_name', 'search_text'], unique=False)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_unit_search')
