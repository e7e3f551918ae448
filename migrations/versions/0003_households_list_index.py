"""households list index covers the code order; units carry updated_at

Revision ID: 7b1c2d3e4f50
Revises: 4e6488646d4f
Create Date: 2026-11-29 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7b1c2d3e4f50'
down_revision = '4e6488646d4f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_unit_status')
        batch_op.create_index('ix_households_unit_status', ['unit_id', 'status', 'code'], unique=False)
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False))


def downgrade():
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_unit_status')
        batch_op.create_index('ix_households_unit_status', ['unit_id', 'status'], unique=False)
