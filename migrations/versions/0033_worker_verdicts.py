"""credit scores: keep each worker's qualification verdict with their score; index a company's shown reviews

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 10:30:00.000000

A company's staff share counts its staff whose qualifications are current. Each worker's verdict (qualified or
not, and the last day it stays so) is now kept beside their score, in the same computation, so a company's score
reads its staff's verdicts in one statement instead of judging every staff member's records again. Nothing to fill:
a company's score judges from the records any staff member whose verdict is not kept yet, and the next rebuild or
change keeps it.

A company's score counts its reviews still shown by day and rating in the commit of every review: the partial index
`ix_service_reviews_company_shown` (company_id, reviewed_dt, rating; not withdrawn) lets a firm with thousands of
services read them from the index alone.

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
    op.create_index('ix_service_reviews_company_shown', 'service_reviews', ['company_id', 'reviewed_dt', 'rating'],
                    unique=False, sqlite_where=sa.text('withdrawn_dt IS NULL'),
                    postgresql_where=sa.text('withdrawn_dt IS NULL'))


def downgrade():
    op.drop_index('ix_service_reviews_company_shown', table_name='service_reviews',
                  sqlite_where=sa.text('withdrawn_dt IS NULL'), postgresql_where=sa.text('withdrawn_dt IS NULL'))
    with op.batch_alter_table('credit_scores', schema=None) as batch_op:
        batch_op.drop_column('qualified_until')
        batch_op.drop_column('qualified')
