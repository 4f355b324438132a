"""bulletin_records: which sanctions each bulletin version carries, so a repair, withdrawal or correction of one
reissues exactly the bulletins that carry it (bulletins/follow.py)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 12:00:00.000000

Derived and unlogged, like the public search's grams. Versions published before this revision are indexed from
their own open-data files: the refs of their full list and of the records their change files remove. A sanction
made public and ended within one period appears in that period's PDF alone, so an older version that carries only
such a record is not found; versions published from now on are indexed from everything they carry.

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulletin_records',
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('sanction_ref', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletins.id'], name=op.f('fk_bulletin_records_bulletin_id_bulletins')),
    sa.PrimaryKeyConstraint('bulletin_id', 'sanction_ref', name=op.f('pk_bulletin_records')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('bulletin_records', schema=None) as batch_op:
        batch_op.create_index('ix_bulletin_records_sanction', ['sanction_ref', 'bulletin_id'], unique=False)

    bind = op.get_bind()
    # The sanctions' files; not the red list's (`…-red-list-full.jsonl`, keyed by USCC: no sanction), which a
    # database upgraded again after a downgrade may hold.
    files = bind.execute(sa.text(
        "SELECT bulletin_id, content FROM bulletin_files WHERE (name LIKE '%-full.jsonl' OR name LIKE "
        "'%-removed.jsonl') AND name NOT LIKE '%-red-list-%'"))
    rows = set()
    for bulletin_id, content in files:
        for line in bytes(content).decode("utf-8").splitlines():
            if line.strip():
                rows.add((bulletin_id, json.loads(line)["ref"]))
    if rows:
        bind.execute(sa.text("INSERT INTO bulletin_records (bulletin_id, sanction_ref) VALUES (:b, :r)"),
                     [{"b": b, "r": r} for b, r in sorted(rows)])


def downgrade():
    with op.batch_alter_table('bulletin_records', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletin_records_sanction')

    op.drop_table('bulletin_records')
