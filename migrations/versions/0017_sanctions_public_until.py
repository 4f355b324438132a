"""sanctions.public_until: the window's last day, derived, so the public search filters and pages in SQL

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:00:00.000000

"""
import calendar
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
# 0016 may be another branch's number: the merge re-points this at the latest.
down_revision = '0016'
branch_labels = None
depends_on = None


def _add_months(d: date, months: int) -> date:
    """registry.clock.add_months, frozen here as this migration's own copy (民法典 art. 203 month-end clamping)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def upgrade():
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_until', sa.Date(), nullable=True))
        batch_op.create_index('ix_sanctions_public', ['state', 'public_until', 'decision_date'], unique=False)
        batch_op.create_index('ix_sanctions_decided', ['decision_date', 'id'], unique=False)
    sanctions = sa.table('sanctions', sa.column('id', sa.Integer), sa.column('decision_date', sa.Date),
                         sa.column('publish_months', sa.Integer), sa.column('public_until', sa.Date))
    conn = op.get_bind()
    rows = conn.execute(sa.select(sanctions.c.id, sanctions.c.decision_date, sanctions.c.publish_months).where(
        sanctions.c.decision_date.is_not(None), sanctions.c.publish_months.is_not(None),
        sanctions.c.publish_months > 0)).all()
    for sid, decided, months in rows:
        conn.execute(sanctions.update().where(sanctions.c.id == sid).values(
            public_until=_add_months(decided, months)))


def downgrade():
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index('ix_sanctions_decided')
        batch_op.drop_index('ix_sanctions_public')
        batch_op.drop_column('public_until')
