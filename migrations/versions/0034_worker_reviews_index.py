"""credit scores: index a worker's shown reviews, as a company's are

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05 14:10:00.000000

A worker's credit score counts their reviews still shown by day and rating. Through the plain worker_id index,
every review of a worker is a visit to the table; a rebuild of every worker's score made a hundred thousand such
visits per ten thousand workers. The partial index `ix_service_reviews_worker_shown` (worker_id, reviewed_dt, rating;
not withdrawn) answers the query from the index alone, as `ix_service_reviews_company_shown` does for a company.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_service_reviews_worker_shown', 'service_reviews', ['worker_id', 'reviewed_dt', 'rating'],
                    unique=False, sqlite_where=sa.text('withdrawn_dt IS NULL'),
                    postgresql_where=sa.text('withdrawn_dt IS NULL'))


def downgrade():
    op.drop_index('ix_service_reviews_worker_shown', table_name='service_reviews',
                  sqlite_where=sa.text('withdrawn_dt IS NULL'), postgresql_where=sa.text('withdrawn_dt IS NULL'))
