"""credit pledges: a regulator records that a company's pledge was found broken

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05 15:00:00.000000

A regulator who oversees a company records that its current credit pledge (信用承诺) was found broken: the day it was
found, the basis (the finding or decision number) and who recorded it, on the pledge's own row, whose state becomes
`broken`. The broken pledge is a bad record of the company's credit score for a year from that day (docs/rules.md,
"Credit pledges found broken"). Nothing to fill: no pledge was recorded broken before, so every existing row is
`kept` and the three columns stay null.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broken_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('broken_basis', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('broken_by', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_column('broken_by')
        batch_op.drop_column('broken_basis')
        batch_op.drop_column('broken_on')
