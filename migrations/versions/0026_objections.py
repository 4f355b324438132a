"""objections: a subject's objections (异议) to a sanction, and sealed attachments (documents) of any owner

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 12:00:00.000000

`sanction_objections` are dependent rows of the sanction aggregate (`sanction:objection:file`, `…:accept`,
`…:reject`, `…:uphold`, `…:dismiss`); their reasons and answers are sealed. `attachments` holds uploaded documents
(PDF, JPEG, PNG; at most 5 MiB) of any owner row, named by `owner_kind` and `owner_id` (an objection:
`sanction_objection`), sealed like a worker's photo with the state HMAC of each file's SHA-256.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sanction_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('filed_by_kind', sa.String(length=8), nullable=False),
    sa.Column('filed_by', sa.String(length=32), nullable=False),
    sa.Column('reasons_enc', sa.Text(), nullable=False),
    sa.Column('reasons_state', sa.String(length=64), nullable=False),
    sa.Column('in_window', sa.Boolean(), nullable=False),
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
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'],
                            name=op.f('fk_sanction_objections_sanction_id_sanctions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_objections')),
    sa.UniqueConstraint('ref', name=op.f('uq_sanction_objections_ref'))
    )
    with op.batch_alter_table('sanction_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_objections_sanction_id'), ['sanction_id'], unique=False)
        batch_op.create_index('ix_sanction_objections_state', ['state', 'sanction_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('owner_kind', sa.String(length=24), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_enc', sa.LargeBinary(), nullable=False),
    sa.Column('content_state', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=32), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('ref', name=op.f('uq_attachments_ref'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_owner', ['owner_kind', 'owner_id', 'position'], unique=False)


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_owner')
    op.drop_table('attachments')
    with op.batch_alter_table('sanction_objections', schema=None) as batch_op:
        batch_op.drop_index('ix_sanction_objections_state')
        batch_op.drop_index(batch_op.f('ix_sanction_objections_sanction_id'))
    op.drop_table('sanction_objections')
