"""complaint objections: a subject's objections (异议) to a substantiated complaint

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 13:00:00.000000

`complaint_objections` are dependent rows of the complaint aggregate (`complaint:objection:file`, `…:accept`,
`…:reject`, `…:uphold`, `…:dismiss`); reasons and answers sealed; documents in `attachments` with owner kind
`complaint_objection`. An upheld objection withdraws the complaint (new complaint state `withdrawn`, a String
value: no schema change) or corrects its category. `review_objections` likewise for a service's review (dependent
rows of the `service` aggregate, `service:objection:*`); an upheld one withdraws the review (`service_reviews`
gains `withdrawn_dt`, `withdrawn_by`).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('filed_by_kind', sa.String(length=8), nullable=False),
    sa.Column('filed_by', sa.String(length=32), nullable=False),
    sa.Column('reasons_enc', sa.Text(), nullable=False),
    sa.Column('reasons_state', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('accept_days', sa.Integer(), nullable=False),
    sa.Column('answer_days', sa.Integer(), nullable=True),
    sa.Column('filed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('accepted_by', sa.String(length=32), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_enc', sa.Text(), nullable=True),
    sa.Column('answer_state', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('corrected_from', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_objections_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_objections')),
    sa.UniqueConstraint('ref', name=op.f('uq_complaint_objections_ref'))
    )
    with op.batch_alter_table('complaint_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_objections_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_complaint_objections_state', ['state', 'complaint_id'], unique=False)

    op.create_table('review_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('filed_by_kind', sa.String(length=8), nullable=False),
    sa.Column('filed_by', sa.String(length=32), nullable=False),
    sa.Column('reasons_enc', sa.Text(), nullable=False),
    sa.Column('reasons_state', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('accept_days', sa.Integer(), nullable=False),
    sa.Column('answer_days', sa.Integer(), nullable=True),
    sa.Column('filed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('accepted_by', sa.String(length=32), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_enc', sa.Text(), nullable=True),
    sa.Column('answer_state', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'],
                            name=op.f('fk_review_objections_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_objections')),
    sa.UniqueConstraint('ref', name=op.f('uq_review_objections_ref'))
    )
    with op.batch_alter_table('review_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_objections_service_id'), ['service_id'], unique=False)
        batch_op.create_index('ix_review_objections_state', ['state', 'service_id'], unique=False)
    with op.batch_alter_table('service_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('service_reviews', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_dt')
    with op.batch_alter_table('review_objections', schema=None) as batch_op:
        batch_op.drop_index('ix_review_objections_state')
        batch_op.drop_index(batch_op.f('ix_review_objections_service_id'))
    op.drop_table('review_objections')
    with op.batch_alter_table('complaint_objections', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_objections_state')
        batch_op.drop_index(batch_op.f('ix_complaint_objections_complaint_id'))
    op.drop_table('complaint_objections')
