"""credit scores: keep each worker's qualification verdict with their score

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 10:30:00.000000

A company's staff share counts its staff whose qualifications are current. Each worker's verdict (qualified or
not, and the last day it stays so) is now kept beside their score, in the same computation, so a company's score
reads its staff's verdicts in one statement instead of judging every staff member's records again. Nothing to fill:
a company's score judges from the records any staff member whose verdict is not kept yet, and the next rebuild or
change keeps it.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualified', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('qualified_until', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('credit_scores', schema=None) as batch_op:
        batch_op.drop_column('qualified_until')
        batch_op.drop_column('qualified')
