"""support tasks: an index in the task list's default order (deadline, then id)

Revision ID: f2b4c6d8e0a1
Revises: e1a2b3c4d5f6
Create Date: 2026-12-10 09:00:00

A province's task list is ordered by deadline; without an index in that order, every page
sorts all ~60,000 tasks in scope before it skips to its 25 (bench/tasks.py).
"""
from alembic import op


revision = 'f2b4c6d8e0a1'
down_revision = 'e1a2b3c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_support_tasks_due', ['due_date', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('support_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_support_tasks_due')
