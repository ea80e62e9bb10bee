"""plan fidelity: indicators with a direction but no number (target nullable), an assumption per indicator;
the plan's signing block, its signer and the digest recipients as directory people (by email)

Revision ID: 0009
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to change a column; with foreign keys enforced, dropping the old
    indicator table would fail on the status reports that point at it. The pragma only takes
    effect outside a transaction."""
    if op.get_bind().dialect.name == "sqlite":
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.alter_column('target', existing_type=sa.Numeric(precision=20, scale=4), nullable=True)
        batch_op.add_column(sa.Column('assumption', sa.Text(), nullable=True))
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_as', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('signed_by', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('digest_to', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    _sqlite_foreign_keys(True)


def downgrade() -> None:
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('digest_to')
        batch_op.drop_column('signed_by')
        batch_op.drop_column('signed_as')
    op.execute("DELETE FROM indicator WHERE target IS NULL")  # direction-only targets cannot go back
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('assumption')
        batch_op.alter_column('target', existing_type=sa.Numeric(precision=20, scale=4), nullable=False)
    _sqlite_foreign_keys(True)
