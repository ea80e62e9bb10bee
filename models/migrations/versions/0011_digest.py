"""digest: the weekly snapshot of each plan (status per deliverable and the counts the digest stated)

Revision ID: 0011
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0008'  # issued as 0005 -> 0011; chained after main's head (0008) when rebased
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('statuses', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_digest_snapshot_plan_id_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_snapshot')),
    sa.UniqueConstraint('plan_id', 'week', name=op.f('uq_digest_snapshot_plan_id_week'))
    )
    with op.batch_alter_table('digest_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_snapshot_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('digest_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_snapshot_plan_id'))
    op.drop_table('digest_snapshot')
