"""regulators' reads: the purpose's note, and reads of a company's contact person

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00.000000

An access record may carry the regulator's own words beside the purpose they
chose. A company's contact person is not a worker, so who opened their name
and phone is kept in a table of its own (private, unlogged, like the access
record).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
# 0010 and 0011 are being written in parallel; this follows them once they land.
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
    op.create_table('company_contact_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('accessor_ref', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                            name=op.f('fk_company_contact_reads_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_contact_reads'))
    )
    with op.batch_alter_table('company_contact_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_contact_reads_company_id'), ['company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('company_contact_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_contact_reads_company_id'))
    op.drop_table('company_contact_reads')
    with op.batch_alter_table('access_records', schema=None) as batch_op:
        batch_op.drop_column('note')
