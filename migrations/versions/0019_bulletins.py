"""bulletins: the public disclosure bulletins published, one row per period and version, and their files

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 12:00:00.000000

A logged aggregate of its own (`bulletin:publish`, `bulletin:withdraw`). Each
version cites a log checkpoint and carries its signed manifest; its files
(PDF, open data) are stored in `bulletin_files` (bytea on PostgreSQL, a blob
on SQLite) so every server serves the same bytes. Unique (period_key,
version): two processes publishing the same period cannot both succeed.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_key', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checkpoint_size', sa.BigInteger(), nullable=False),
    sa.Column('checkpoint_root', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=32), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('log_ref', sa.String(length=32), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins')),
    sa.UniqueConstraint('log_ref', name=op.f('uq_bulletins_log_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_bulletins_ref')),
    sa.UniqueConstraint('period_key', 'version', name=op.f('uq_bulletins_period_key_version'))
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index('ix_bulletins_made_at', ['made_at', 'id'], unique=False)

    op.create_table('bulletin_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletins.id'], name=op.f('fk_bulletin_files_bulletin_id_bulletins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_files')),
    sa.UniqueConstraint('bulletin_id', 'name', name=op.f('uq_bulletin_files_bulletin_id_name'))
    )


def downgrade():
    op.drop_table('bulletin_files')
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletins_made_at')
    op.drop_table('bulletins')
