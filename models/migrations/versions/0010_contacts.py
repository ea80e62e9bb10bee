"""contacts: a person's phone and position; a plan's coordinating office (named in check-ins); short titles

Revision ID: 0010_contacts
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_contacts'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('position', sa.String(length=255), nullable=True))
    with op.batch_alter_table('plan') as batch:
        batch.add_column(sa.Column('coordinator_agency_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_plan_coordinator_agency_id_agency'), 'agency',
                                 ['coordinator_agency_id'], ['id'])
    with op.batch_alter_table('deliverable') as batch:
        batch.add_column(sa.Column('short_title', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliverable') as batch:
        batch.drop_column('short_title')
    with op.batch_alter_table('plan') as batch:
        batch.drop_constraint(op.f('fk_plan_coordinator_agency_id_agency'), type_='foreignkey')
        batch.drop_column('coordinator_agency_id')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('position')
        batch.drop_column('phone')
