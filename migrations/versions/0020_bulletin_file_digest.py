"""bulletin_files.sha256 indexed: the verify page and `flask bulletins verify` find a file by its digest

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:00:00.000000

Anyone may paste a SHA-256 or upload a file on /bulletins/verify: the answer is an indexed look-up among every
file ever published (withdrawn versions' too), never a scan of the table.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bulletin_files', schema=None) as batch_op:
        batch_op.create_index('ix_bulletin_files_sha256', ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('bulletin_files', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletin_files_sha256')
