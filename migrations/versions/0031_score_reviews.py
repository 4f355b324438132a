"""score reviews: a subject's request for human review of its credit score, and a regulator's answer (PIPL art. 24)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-14 10:00:00.000000

`score_reviews` is a logged aggregate (`score_review:file`, `score_review:answer`): the subject (a company or a
worker), who filed it and when, the reason (sealed, with its state HMAC: free text that may name people), the
components disputed (public refs of the subject's own score), the score asked about, the working days to answer,
and the answer: who, which agency, when, the note (sealed likewise) and an optional correction (whole points and
the last day they count) that enters the subject's score as its own component.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('score_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('filed_by', sa.String(length=32), nullable=False),
    sa.Column('filed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('reason_enc', sa.Text(), nullable=False),
    sa.Column('reason_state', sa.String(length=64), nullable=False),
    sa.Column('disputed', sa.JSON(), nullable=False),
    sa.Column('score_points', sa.Integer(), nullable=False),
    sa.Column('rules_version', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('answer_days', sa.Integer(), nullable=False),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('answered_agency_id', sa.Integer(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note_enc', sa.Text(), nullable=True),
    sa.Column('note_state', sa.String(length=64), nullable=True),
    sa.Column('correction_points', sa.Integer(), nullable=True),
    sa.Column('correction_until', sa.Date(), nullable=True),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['answered_agency_id'], ['agencies.id'],
                            name=op.f('fk_score_reviews_answered_agency_id_agencies')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_score_reviews_company_id_companies')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_score_reviews_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_reviews')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_score_reviews_log_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_score_reviews_ref'))
    )
    with op.batch_alter_table('score_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_score_reviews_subject', ['subject_kind', 'company_id', 'worker_id', 'state'],
                              unique=False)
        batch_op.create_index('ix_score_reviews_state', ['state', 'filed_on'], unique=False)


def downgrade():
    with op.batch_alter_table('score_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_score_reviews_state')
        batch_op.drop_index('ix_score_reviews_subject')
    op.drop_table('score_reviews')
