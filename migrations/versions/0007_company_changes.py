"""company change requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00.000000

A verified company's change of name, sectors or business model waits here for a regulator's decision.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('business_model', sa.String(length=16), nullable=True),
    sa.Column('employee_conditions', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=False),
    sa.Column('requested_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_changes_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_changes')),
    sa.UniqueConstraint('ref', name=op.f('uq_company_changes_ref'))
    )
    with op.batch_alter_table('company_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_changes_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_changes_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('company_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_changes_status'))
        batch_op.drop_index(batch_op.f('ix_company_changes_company_id'))

    op.drop_table('company_changes')
