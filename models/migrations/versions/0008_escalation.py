"""escalation: the plan's wording of each deadline (deliverable.due_wording) and the escalation table

Revision ID: 0008
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0012'  # issued as 0005 -> 0008; re-chained after 0009, 0010_contacts, 0007 and 0012 landed on main
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN in place (as 0010 does): never a rebuild of a table others point at
    op.add_column('deliverable', sa.Column('due_wording', sa.String(length=8), server_default='by', nullable=False))
    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('deliverable_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('rung_at', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('fired_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_escalation_agency_id_agency')),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverable.id'], name=op.f('fk_escalation_deliverable_id_deliverable'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_escalation_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation'))
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_active', ['deliverable_id', 'reason', 'resolved_on'], unique=False)
        batch_op.create_index('ix_escalation_agency_active', ['agency_id', 'reason', 'resolved_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_fired_on'), ['fired_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_fired_on'))
        batch_op.drop_index('ix_escalation_agency_active')
        batch_op.drop_index('ix_escalation_active')
    op.drop_table('escalation')
    with op.batch_alter_table('deliverable', schema=None) as batch_op:  # SQLite < 3.35 has no DROP COLUMN
        batch_op.drop_column('due_wording')
