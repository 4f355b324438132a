"""retention (PIPL): a worker's erasure, and the deletion of uploaded staff files

Revision ID: 0038
Revises: 0037
Create Date: 2027-01-25 10:00:00.000000

`workers.erased_dt`, `erased_basis`, `erased_reference`: set when the worker's name, ID number, phone and photo are
erased (`registry/retention/erasure.py`): the retention period ran out, or a regulator or operator erased them on a
lawful request. The erased ciphertexts become empty and the look-up indexes are dropped; the state HMACs stay, so
every logged digest still verifies (docs/privacy.md, "Retention and erasure"). `import_files.deleted_dt`: when an
uploaded staff file's content and its validated rows were deleted, 30 days after upload.

Columns added in place, nullable, nothing to fill: rebuilding `workers` in batch mode would drop a table that
employments, cards and the rest point at, which SQLite's foreign keys refuse (see 0024). For the same reason the
sealed columns stay NOT NULL and an erased value is the empty string (an empty blob for a photo).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('workers', sa.Column('erased_dt', sa.DateTime(timezone=True), nullable=True))
    op.add_column('workers', sa.Column('erased_basis', sa.String(length=32), nullable=True))
    op.add_column('workers', sa.Column('erased_reference', sa.String(length=100), nullable=True))
    op.add_column('import_files', sa.Column('deleted_dt', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('import_files', 'deleted_dt')
    op.drop_column('workers', 'erased_reference')
    op.drop_column('workers', 'erased_basis')
    op.drop_column('workers', 'erased_dt')
