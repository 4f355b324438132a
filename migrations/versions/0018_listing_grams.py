"""listing_grams: each company sanction under the grams of its subject's name, by decision date, for the search

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_grams',
        sa.Column('gram', sa.String(length=2), nullable=False),
        sa.Column('decision_date', sa.Date(), nullable=False),
        sa.Column('sanction_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_listing_grams_sanction_id_sanctions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gram', 'decision_date', 'sanction_id', name=op.f('pk_listing_grams')),
        sqlite_with_rowid=False,
    )
    # The grams of a name are its company's grams (company_name_grams, migration 0015): the same function made both.
    op.execute("INSERT INTO listing_grams (gram, decision_date, sanction_id) "
               "SELECT g.gram, s.decision_date, s.id FROM sanctions s "
               "JOIN company_name_grams g ON g.company_id = s.company_id WHERE s.decision_date IS NOT NULL")


def downgrade():
    op.drop_table('listing_grams')
