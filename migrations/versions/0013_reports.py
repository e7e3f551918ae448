"""periodic compliance reports (definitions, deadlines per level, holidays, instances, versions) and targets

Revision ID: 86ebac32e8a0
Revises: b4d6f8a0c2e3
Create Date: 2026-11-29 14:51:57.470400

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '86ebac32e8a0'
down_revision = 'b4d6f8a0c2e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('day', name=op.f('uq_holidays_day'))
    )
    op.create_table('report_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.String(length=200), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('builder', sa.String(length=40), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('sent_by', sa.String(length=200), nullable=False),
    sa.Column('procedure', sa.Text(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('cutoff_month', sa.Integer(), nullable=True),
    sa.Column('cutoff_day', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("frequency IN ('monthly','quarterly','semiannual','annual')", name=op.f('ck_report_definitions_frequency')),
    sa.CheckConstraint('(cutoff_month IS NULL) = (cutoff_day IS NULL)', name=op.f('ck_report_definitions_cutoff_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_definitions')),
    sa.UniqueConstraint('code', name=op.f('uq_report_definitions_code'))
    )
    op.create_table('report_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('receiving_level', sa.String(length=16), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=True),
    sa.Column('fixed_month', sa.Integer(), nullable=True),
    sa.Column('fixed_day', sa.Integer(), nullable=True),
    sa.CheckConstraint('(working_days IS NOT NULL AND working_days >= 1 AND fixed_month IS NULL) OR (working_days IS NULL AND fixed_month IS NOT NULL AND fixed_day IS NOT NULL)', name=op.f('ck_report_deadlines_rule')),
    sa.ForeignKeyConstraint(['definition_id'], ['report_definitions.id'], name=op.f('fk_report_deadlines_definition_id_report_definitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_deadlines')),
    sa.UniqueConstraint('definition_id', 'level', name='uq_report_deadlines_definition_id_level')
    )
    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_units.id'], name=op.f('fk_targets_unit_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    sa.UniqueConstraint('year', 'unit_id', 'indicator', name='uq_targets_year_unit_id_indicator')
    )
    op.create_table('report_instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('receiving_unit_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('cut_off', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('commentary', sa.Text(), nullable=True),
    sa.Column('first_submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.Column('overdue_on', sa.Date(), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=80), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('scheduled','generating','failed','draft','submitted','returned','approved')", name=op.f('ck_report_instances_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_report_instances_decided_by_id_users')),
    sa.ForeignKeyConstraint(['definition_id'], ['report_definitions.id'], name=op.f('fk_report_instances_definition_id_report_definitions')),
    sa.ForeignKeyConstraint(['receiving_unit_id'], ['admin_units.id'], name=op.f('fk_report_instances_receiving_unit_id_admin_units')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_report_instances_requested_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_report_instances_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_units.id'], name=op.f('fk_report_instances_unit_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_instances')),
    sa.UniqueConstraint('definition_id', 'period', 'unit_id', name='uq_report_instances_definition_id_period_unit_id')
    )
    with op.batch_alter_table('report_instances', schema=None) as batch_op:
        batch_op.create_index('ix_report_instances_receiving_status', ['receiving_unit_id', 'status'], unique=False)
        batch_op.create_index('ix_report_instances_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index('ix_report_instances_unit_period', ['unit_id', 'period'], unique=False)

    op.create_table('report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('pdf_name', sa.String(length=120), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_size', sa.Integer(), nullable=False),
    sa.Column('xlsx_name', sa.String(length=120), nullable=False),
    sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('commentary', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['report_instances.id'], name=op.f('fk_report_versions_instance_id_report_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_report_versions_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_versions')),
    sa.UniqueConstraint('instance_id', 'number', name='uq_report_versions_instance_id_number'),
    sa.UniqueConstraint('pdf_name', name=op.f('uq_report_versions_pdf_name')),
    sa.UniqueConstraint('xlsx_name', name=op.f('uq_report_versions_xlsx_name'))
    )


def downgrade():
    op.drop_table('report_versions')
    with op.batch_alter_table('report_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_report_instances_unit_period')
        batch_op.drop_index('ix_report_instances_status_deadline')
        batch_op.drop_index('ix_report_instances_receiving_status')

    op.drop_table('report_instances')
    op.drop_table('targets')
    op.drop_table('report_deadlines')
    op.drop_table('report_definitions')
    op.drop_table('holidays')
