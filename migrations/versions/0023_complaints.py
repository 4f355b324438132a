"""complaints: complaints with due process (投诉), the regulators' steps, the subject's responses; a sanction's
origin in a substantiated complaint

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 10:00:00.000000

`complaints` is a logged aggregate (`complaint:file`, `complaint:accept`, `complaint:reject`,
`complaint:investigate`, `complaint:substantiate`, `complaint:dismiss`, `complaint:respond`) with
`complaint_steps` and `complaint_responses` inside it. Texts and the complainant's contact are sealed; the
tracking code is kept only as an HMAC. No column holds the phone a complaint was filed with (household_phone):
it is used once, to find the service, and dropped. `sanctions.origin_complaint_id` names the substantiated
complaint a sanction came from.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    # Batch mode would rebuild `sanctions` on SQLite to add or drop a column with a foreign key, and the rows that
    # point at it (notices, decisions, persons, grams) refuse the rebuild's DROP TABLE. SQLite (3.35+) adds such a
    # column, and drops it, in place.
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('text_state', sa.String(length=64), nullable=False),
    sa.Column('contact_name_enc', sa.Text(), nullable=True),
    sa.Column('contact_name_state', sa.String(length=64), nullable=True),
    sa.Column('contact_phone_enc', sa.Text(), nullable=True),
    sa.Column('contact_phone_state', sa.String(length=64), nullable=True),
    sa.Column('tracking_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('accept_days', sa.Integer(), nullable=False),
    sa.Column('conclude_days', sa.Integer(), nullable=True),
    sa.Column('filed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('concluded_on', sa.Date(), nullable=True),
    sa.Column('concluded_agency_id', sa.Integer(), nullable=True),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_complaints_company_id_companies')),
    sa.ForeignKeyConstraint(['concluded_agency_id'], ['agencies.id'],
                            name=op.f('fk_complaints_concluded_agency_id_agencies')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_complaints_service_id_services')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_complaints_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_complaints_log_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_complaints_ref'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_company', ['company_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_service_id'), ['service_id'], unique=False)
        batch_op.create_index('ix_complaints_state_id', ['state', 'id'], unique=False)
        batch_op.create_index('ix_complaints_worker', ['worker_id', 'state'], unique=False)

    op.create_table('complaint_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason_enc', sa.Text(), nullable=False),
    sa.Column('reason_state', sa.String(length=64), nullable=False),
    sa.Column('by', sa.String(length=32), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('at_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_complaint_steps_agency_id_agencies')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_steps_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_steps')),
    sa.UniqueConstraint('ref', name=op.f('uq_complaint_steps_ref'))
    )
    with op.batch_alter_table('complaint_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_steps_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('by_kind', sa.String(length=8), nullable=False),
    sa.Column('by', sa.String(length=32), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('text_state', sa.String(length=64), nullable=False),
    sa.Column('at_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_responses_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_responses')),
    sa.UniqueConstraint('ref', name=op.f('uq_complaint_responses_ref'))
    )
    with op.batch_alter_table('complaint_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_responses_complaint_id'), ['complaint_id'], unique=False)

    if _sqlite():
        op.execute("ALTER TABLE sanctions ADD COLUMN origin_complaint_id INTEGER "
                   "CONSTRAINT fk_sanctions_origin_complaint_id_complaints REFERENCES complaints (id)")
        return
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_complaint_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sanctions_origin_complaint_id_complaints'), 'complaints',
                                    ['origin_complaint_id'], ['id'])


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE sanctions DROP COLUMN origin_complaint_id")
    else:
        with op.batch_alter_table('sanctions', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_sanctions_origin_complaint_id_complaints'), type_='foreignkey')
            batch_op.drop_column('origin_complaint_id')

    with op.batch_alter_table('complaint_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_responses_complaint_id'))
    op.drop_table('complaint_responses')
    with op.batch_alter_table('complaint_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_steps_complaint_id'))
    op.drop_table('complaint_steps')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_worker')
        batch_op.drop_index('ix_complaints_state_id')
        batch_op.drop_index(batch_op.f('ix_complaints_service_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_reference'))
        batch_op.drop_index('ix_complaints_company')
    op.drop_table('complaints')
