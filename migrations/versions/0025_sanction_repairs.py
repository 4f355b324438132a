"""sanction repairs and withdrawals: credit repair applications (信用修复) and the withdrawal of revoked decisions

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 11:00:00.000000

`sanction_repairs` (a subject's repair application and the issuing agency's answer; the statement sealed) and
`sanction_withdrawals` (a revoked decision: recorded, then withdrawn) sit in the sanction's aggregate
(`sanction:repair:apply`, `sanction:repair:approve`, `sanction:repair:reject`, `sanction:revocation`,
`sanction:withdraw`). The sanction's new states `repaired` and `withdrawn` fit its existing column.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sanction_repairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('applicant_kind', sa.String(length=8), nullable=False),
    sa.Column('applicant', sa.String(length=32), nullable=False),
    sa.Column('statement_enc', sa.Text(), nullable=False),
    sa.Column('statement_state', sa.String(length=64), nullable=False),
    sa.Column('pledge', sa.Text(), nullable=False),
    sa.Column('applied_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_sanction_repairs_sanction_id_sanctions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_repairs')),
    sa.UniqueConstraint('ref', name=op.f('uq_sanction_repairs_ref'))
    )
    with op.batch_alter_table('sanction_repairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_repairs_sanction_id'), ['sanction_id'], unique=False)

    op.create_table('sanction_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('authority', sa.String(length=8), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_by', sa.String(length=32), nullable=True),
    sa.Column('withdrawn_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'],
                            name=op.f('fk_sanction_withdrawals_sanction_id_sanctions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_withdrawals')),
    sa.UniqueConstraint('sanction_id', name=op.f('uq_sanction_withdrawals_sanction_id'))
    )


def downgrade():
    op.drop_table('sanction_withdrawals')
    with op.batch_alter_table('sanction_repairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_repairs_sanction_id'))
    op.drop_table('sanction_repairs')
