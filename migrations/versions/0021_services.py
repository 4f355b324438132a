"""services: service records (追溯), their reviews, review codes, and regulators' household queries

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:39:07.939125

`services` is a logged aggregate (`service:record`, `service:review`,
`service:reply`) with `service_reviews` inside it. No column holds a phone: the
household is its HMAC reference. `review_codes` (credentials) and
`household_queries` (the private record of regulators' queries) are unlogged.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_ref', sa.String(length=32), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('household_state', sa.String(length=64), nullable=False),
    sa.Column('results', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_household_queries_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_queries'))
    )
    with op.batch_alter_table('household_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_queries_account_ref'), ['account_ref'], unique=False)
        batch_op.create_index('ix_household_queries_created', ['created_dt'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.String(length=32), nullable=False),
    sa.Column('district', sa.String(length=40), nullable=False),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('household_ref', sa.String(length=64), nullable=False),
    sa.Column('company_household', sa.String(length=32), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_services_company_id_companies')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_services_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_services_log_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_services_ref'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index('ix_services_company_start', ['company_id', 'start_dt'], unique=False)
        batch_op.create_index('ix_services_household_start', ['household_ref', 'start_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_reference'), ['reference'], unique=False)
        batch_op.create_index('ix_services_worker_start', ['worker_id', 'start_dt'], unique=False)

    op.create_table('review_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('burnt_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_review_codes_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_codes')),
    sa.UniqueConstraint('service_id', name=op.f('uq_review_codes_service_id'))
    )
    op.create_table('service_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=True),
    sa.Column('text_state', sa.String(length=64), nullable=True),
    sa.Column('reviewed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply_enc', sa.Text(), nullable=True),
    sa.Column('reply_state', sa.String(length=64), nullable=True),
    sa.Column('replied_by', sa.String(length=32), nullable=True),
    sa.Column('replied_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_service_reviews_company_id_companies')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_reviews_service_id_services')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_service_reviews_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_reviews')),
    sa.UniqueConstraint('ref', name=op.f('uq_service_reviews_ref')),
    sa.UniqueConstraint('service_id', name=op.f('uq_service_reviews_service_id'))
    )
    with op.batch_alter_table('service_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_reviews_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_reviews_worker_id'), ['worker_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_reviews_worker_id'))
        batch_op.drop_index(batch_op.f('ix_service_reviews_company_id'))

    op.drop_table('service_reviews')
    op.drop_table('review_codes')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index('ix_services_worker_start')
        batch_op.drop_index(batch_op.f('ix_services_reference'))
        batch_op.drop_index('ix_services_household_start')
        batch_op.drop_index('ix_services_company_start')

    op.drop_table('services')
    with op.batch_alter_table('household_queries', schema=None) as batch_op:
        batch_op.drop_index('ix_household_queries_created')
        batch_op.drop_index(batch_op.f('ix_household_queries_account_ref'))

    op.drop_table('household_queries')
