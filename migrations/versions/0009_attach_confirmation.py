"""attaching an existing worker waits for the worker's confirmation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:30:00.000000

Employments gain pending_until, confirmed_dt and confirmed_by (all empty for
every existing employment: those stay confirmed, and their canonical states,
which name these fields only once present, keep their digests). A worker code
may name the employment it confirms.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by', sa.String(length=32), nullable=True))
    with op.batch_alter_table('worker_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_worker_codes_employment_id_employments'), 'employments',
                                    ['employment_id'], ['id'])


def downgrade():
    with op.batch_alter_table('worker_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_worker_codes_employment_id_employments'), type_='foreignkey')
        batch_op.drop_column('employment_id')
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.drop_column('confirmed_by')
        batch_op.drop_column('confirmed_dt')
        batch_op.drop_column('pending_until')
