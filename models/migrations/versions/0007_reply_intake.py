"""reply intake: stored inbound messages, attachments, away notices, undeliverable addresses, IMAP checkpoints

Revision ID: 0007
Revises: 0010_contacts (brief: 0005; chained after main's newest so that the branch has one head)
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0010_contacts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_box', sa.String(length=255), nullable=True),
    sa.Column('source_ref', sa.String(length=255), nullable=True),
    sa.Column('source_done', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('not_understood', sa.Integer(), nullable=False),
    sa.Column('not_allowed', sa.Integer(), nullable=False),
    sa.Column('receipt_key', sa.String(length=255), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_inbound_message_agency_id_agency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_inbound_message_person_id_person')),
    sa.ForeignKeyConstraint(['round_id'], ['checkin_round.id'], name=op.f('fk_inbound_message_round_id_checkin_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_message')),
    sa.UniqueConstraint('sha256', name=op.f('uq_inbound_message_sha256'))
    )
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_message_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_message_outcome'), ['outcome'], unique=False)

    op.create_table('inbound_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inbound_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('deliverable_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverable.id'], name=op.f('fk_inbound_attachment_deliverable_id_deliverable')),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_message.id'], name=op.f('fk_inbound_attachment_inbound_id_inbound_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_attachment'))
    )
    with op.batch_alter_table('inbound_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_attachment_deliverable_id'), ['deliverable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_attachment_inbound_id'), ['inbound_id'], unique=False)

    op.create_table('person_away',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('until_given', sa.Boolean(), nullable=False),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_message.id'], name=op.f('fk_person_away_inbound_id_inbound_message')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_away_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_away'))
    )
    with op.batch_alter_table('person_away', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_away_person_id'), ['person_id'], unique=False)

    op.create_table('undeliverable_address',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('diagnostic', sa.Text(), nullable=True),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bounces', sa.Integer(), nullable=False),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_message.id'], name=op.f('fk_undeliverable_address_inbound_id_inbound_message')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_undeliverable_address_outbox_id_outbox')),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_undeliverable_address'))
    )
    op.create_table('imap_checkpoint',
    sa.Column('box', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('box', name=op.f('pk_imap_checkpoint'))
    )


def downgrade() -> None:
    op.drop_table('imap_checkpoint')
    op.drop_table('undeliverable_address')
    with op.batch_alter_table('person_away', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_away_person_id'))
    op.drop_table('person_away')
    with op.batch_alter_table('inbound_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_attachment_inbound_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_attachment_deliverable_id'))
    op.drop_table('inbound_attachment')
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_outcome'))
        batch_op.drop_index(batch_op.f('ix_inbound_message_message_id'))
    op.drop_table('inbound_message')
