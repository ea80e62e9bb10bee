"""national scale: board order indexes (replacing plan_id alone); what a plan load read (unchanged reloads skip on file hashes)

Revision ID: 0012
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_deliverable_plan_position', 'deliverable', ['plan_id', 'position'])
    op.create_index('ix_indicator_plan_position', 'indicator', ['plan_id', 'position'])
    # plan_id alone is the prefix of both (plan_id, code) and (plan_id, position): one index less to write.
    op.drop_index('ix_deliverable_plan_id', table_name='deliverable')
    op.drop_index('ix_indicator_plan_id', table_name='indicator')
    with op.batch_alter_table('plan') as batch:
        batch.add_column(sa.Column('directory_ref', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('directory_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('source_ref', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('load_key', sa.String(length=64), nullable=True))
    op.create_table('agency_directory',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('agencies', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_agency_directory'))
    )


def downgrade() -> None:
    op.drop_table('agency_directory')
    with op.batch_alter_table('plan') as batch:
        batch.drop_column('load_key')
        batch.drop_column('source_ref')
        batch.drop_column('directory_sha256')
        batch.drop_column('directory_ref')
    op.create_index('ix_indicator_plan_id', 'indicator', ['plan_id'])
    op.create_index('ix_deliverable_plan_id', 'deliverable', ['plan_id'])
    op.drop_index('ix_indicator_plan_position', table_name='indicator')
    op.drop_index('ix_deliverable_plan_position', table_name='deliverable')
