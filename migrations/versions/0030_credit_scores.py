"""credit scores: the kept score of each company and worker (unlogged, derived)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-12 10:00:00.000000

`credit_scores` holds each subject's score as last computed from its logged records and the rules (points, grade,
rules version, components, the last day it stands): a cache, unlogged, kept in the transaction of every change that
feeds it, and filled for the subjects that exist before it by `flask --app wsgi credit rebuild` (until then the
public views show `score: null`).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_scores',
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=8), nullable=True),
    sa.Column('rules_version', sa.String(length=16), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('stands_until', sa.Date(), nullable=True),
    sa.Column('computed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('subject_kind', 'subject_id', name=op.f('pk_credit_scores'))
    )
    with op.batch_alter_table('credit_scores', schema=None) as batch_op:
        batch_op.create_index('ix_credit_scores_stands_until', ['stands_until'], unique=False)


def downgrade():
    with op.batch_alter_table('credit_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_scores_stands_until')
    op.drop_table('credit_scores')
