"""wrong TOTP codes counted on the pending account session

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00.000000

The count of wrong TOTP codes during a two-step sign-in moves from the signed
session cookie, where replaying an older copy reset it, onto the pending
session row. Rows already there start from none.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrong_codes', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.drop_column('wrong_codes')
