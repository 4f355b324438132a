"""outbox.recipient_idx: the blind index of each message's recipient, so a worker's erasure finds their messages

Revision ID: 0039
Revises: 0038
Create Date: 2027-01-28 10:00:00.000000

A worker's erasure (`registry/retention/erasure.py`) deletes the outbox's messages to the worker's phone: the
recipient, sealed, is that phone, and a code's text names the card. Sealed values can only be compared by opening
them, so each row gets the phone's blind index (key `index-phone`, the one `workers.phone_idx` uses), which the
erasure matches under every key in use. Empty here for the messages stored before: the migration cannot compute it
(the key is not in the database). `flask --app wsgi keys init`, or `keys backfill`, writes them (the rotation's own
task, as for 0015's name index); until then an erasure opens each unindexed message's recipient to compare it.

Column added in place, nullable; the index is ordinary (many messages go to one phone).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox', sa.Column('recipient_idx', sa.String(length=80), nullable=True))
    op.create_index(op.f('ix_outbox_recipient_idx'), 'outbox', ['recipient_idx'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_outbox_recipient_idx'), table_name='outbox')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('recipient_idx')
