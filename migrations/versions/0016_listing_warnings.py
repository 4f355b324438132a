"""employments.listing_warnings: the listings in effect a registration warned of

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
# 0014 and 0015 are other branches' numbers: the merge re-points this at the latest of them.
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_warnings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.drop_column('listing_warnings')
