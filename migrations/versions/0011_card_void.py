"""ending an employment voids the cards its company issued

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00.000000

Cards gain voided_on (empty for every existing card: their canonical states,
which name it only once set, keep their digests).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_column('voided_on')
