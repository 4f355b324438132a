"""commendations: regulators' records that a company was commended (表彰, 守信激励)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 10:00:00.000000

`commendations` is a logged aggregate (`commendation:record`, `commendation:revoke`): the company, the recording
agency, the title and basis, the day commended and the last day it counts, who recorded it, and its revocation
(who, when, why) once revoked. Public facts about a company: nothing is sealed.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('commended_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=32), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_commendations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_commendations_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendations')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_commendations_log_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_commendations_ref'))
    )
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commendations_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_commendations_company', ['company_id', 'valid_until'], unique=False)


def downgrade():
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.drop_index('ix_commendations_company')
        batch_op.drop_index(batch_op.f('ix_commendations_agency_id'))
    op.drop_table('commendations')
