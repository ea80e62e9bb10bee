"""contacts: a person's phone and position; a plan's coordinating office (named in check-ins); short titles

Columns are added in place (ALTER TABLE ... ADD COLUMN), never by rebuilding a table: on SQLite a rebuild
of `plan` would have to drop a table that deliverables and indicators point at.

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
    op.add_column('person', sa.Column('phone', sa.String(length=32), nullable=True))
    op.add_column('person', sa.Column('position', sa.String(length=255), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a reference only inline, with the column
        op.execute("ALTER TABLE plan ADD COLUMN coordinator_agency_id INTEGER "
                   "CONSTRAINT fk_plan_coordinator_agency_id_agency REFERENCES agency (id)")
    else:
        op.add_column('plan', sa.Column('coordinator_agency_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_plan_coordinator_agency_id_agency'), 'plan', 'agency',
                              ['coordinator_agency_id'], ['id'])
    op.add_column('deliverable', sa.Column('short_title', sa.String(length=80), nullable=True))


def downgrade() -> None:
    op.drop_column('deliverable', 'short_title')
    with op.batch_alter_table('plan') as batch:
        batch.drop_constraint(op.f('fk_plan_coordinator_agency_id_agency'), type_='foreignkey')
        batch.drop_column('coordinator_agency_id')
    op.drop_column('person', 'position')
    op.drop_column('person', 'phone')
