"""the move from SQLite to PostgreSQL: its marker and its progress

Revision ID: 0037
Revises: 0036
Create Date: 2027-01-20 10:00:00.000000

`db_moves`: in the database being moved from (SQLite), the one row that says a move is under way or done; while it
is there every process sharing the file answers writes with 503 `registry_moving` and the jobs process does no
work (`registry/move/marker.py`). `db_move_progress`: in the database being moved to (PostgreSQL), each table's
last copied key, committed with the rows of its batch, so a killed move resumes after its last batch
(`registry/move/services.py`). Both tables exist on both sides (one schema) and neither is ever copied. Nothing to
fill.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('db_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('move_id', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_dt', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_db_moves')),
    sa.UniqueConstraint('move_id', name=op.f('uq_db_moves_move_id'))
    )
    op.create_table('db_move_progress',
    sa.Column('move_id', sa.String(length=32), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('copied', sa.BigInteger(), nullable=False),
    sa.Column('last_key', sa.JSON(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('move_id', 'table_name', name=op.f('pk_db_move_progress'))
    )


def downgrade():
    op.drop_table('db_move_progress')
    op.drop_table('db_moves')
