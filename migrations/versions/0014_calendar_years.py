"""calendar_years: the official working-day schedules operators load

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:00:00.000000

One row per year an operator loaded (`flask calendar load`): its off days and
make-up working days as JSON lists of ISO dates, the notice they come from,
who loaded them and when. A logged aggregate of its own (`calendar:load`); it
overrides the built-in calendar for its year.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
# 0013 (sanctions) is being written in parallel: this is re-pointed at it when both land.
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('loaded_by', sa.String(length=32), nullable=False),
    sa.Column('loaded_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_years')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_calendar_years_log_ref')),
    sa.UniqueConstraint('year', name=op.f('uq_calendar_years_year'))
    )


def downgrade():
    op.drop_table('calendar_years')
