"""credit rules: the adoptions of credit-rules versions (the `credit_rules` aggregate)

Revision ID: 0032
Revises: 0030 (to be re-chained onto 0031)
Create Date: 2026-12-14 10:00:00.000000

`credit_rules` holds one row per adoption of a rules version (`registry/credit/versions/vN.toml`): the version, the
SHA-256 of its file as adopted, the version it replaced, the reason (the decision it follows), who adopted it and
when. Each row is its own logged aggregate (`credit_rules:adopt`); rows are never changed. The version in force is
the latest row's; with no row, the version in code (`rules.CURRENT_VERSION`), so an existing registry keeps its
scores as they are. Public facts: nothing is sealed.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
# Written beside another helper's 0031: re-chained to '0031' when the two are merged.
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('previous_version', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('adopted_by', sa.String(length=32), nullable=False),
    sa.Column('adopted_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_rules')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_credit_rules_log_ref'))
    )


def downgrade():
    op.drop_table('credit_rules')
