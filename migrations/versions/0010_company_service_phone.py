"""a company's public service phone

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:15:00.000000

Companies gain service_phone, the public line residents call from the card
page (empty for every existing company: their canonical states name it only
once set, so their digests stay valid).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_phone', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('service_phone')
