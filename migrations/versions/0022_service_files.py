"""service_files: uploaded service files, sealed while their import waits, emptied when it ends

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 09:00:00.000000

Unlogged, like `import_files`. `content_enc` is nullable: the content (customers'
phones) is set to NULL in the commit that ends the file's task; `deleted_dt`
says when.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_enc', sa.LargeBinary(), nullable=True),
    sa.Column('deleted_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('keep_good', sa.Boolean(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('valid_rows', sa.JSON(), nullable=True),
    sa.Column('report_csv', sa.LargeBinary(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_service_files_company_id_companies')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_service_files_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_files')),
    sa.UniqueConstraint('ref', name=op.f('uq_service_files_ref'))
    )
    with op.batch_alter_table('service_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_files_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_files_task_id'), ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('service_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_files_task_id'))
        batch_op.drop_index(batch_op.f('ix_service_files_company_id'))

    op.drop_table('service_files')
