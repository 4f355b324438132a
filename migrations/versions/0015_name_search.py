"""name search: workers' full-name blind index, companies' name grams

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00.000000

Workers gain name_index, the blind index of their full name (empty here: it
needs the index-name key, which the database never sees; `flask --app wsgi
keys init`, or `keys backfill`, writes it for the workers registered before).
Companies' names get their search keys (registry/companies/grams.py): every
character and pair of neighbouring characters of the folded name, and the
folded name itself, built here for the companies registered before. Names are
public, so the migration can. Both tables are derived and unlogged.

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
# 0013 and 0014 are being written in parallel; this follows them once they land.
down_revision = '0014'
branch_labels = None
depends_on = None

BATCH = 2000
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text):
    # registry/companies/grams.py `fold` as of this revision (a migration never changes with the code).
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().translate(_ASCII_LOWER)


def _grams(folded):
    return set(folded) | {folded[i:i + 2] for i in range(len(folded) - 1)}


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_index', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_workers_name_index'), ['name_index'], unique=False)
    grams = op.create_table('company_name_grams',
    sa.Column('gram', sa.String(length=2), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_name_grams_company_id_companies')),
    sa.PrimaryKeyConstraint('gram', 'company_id', name=op.f('pk_company_name_grams')),
    sqlite_with_rowid=False
    )
    folds = op.create_table('company_name_folds',
    sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_name_folds_company_id_companies')),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_name_folds'))
    )
    conn = op.get_bind()
    companies = sa.table('companies', sa.column('id', sa.Integer), sa.column('name', sa.String))
    after = 0
    while True:
        rows = conn.execute(sa.select(companies.c.id, companies.c.name).where(companies.c.id > after)
                            .order_by(companies.c.id).limit(BATCH)).all()
        if not rows:
            break
        fold_rows, gram_rows = [], []
        for company_id, name in rows:
            folded = _fold(name)
            fold_rows.append({'company_id': company_id, 'folded': folded})
            gram_rows.extend({'gram': g, 'company_id': company_id} for g in sorted(_grams(folded)))
        conn.execute(folds.insert(), fold_rows)
        if gram_rows:
            conn.execute(grams.insert(), gram_rows)
        after = rows[-1][0]


def downgrade():
    op.drop_table('company_name_folds')
    op.drop_table('company_name_grams')
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workers_name_index'))
        batch_op.drop_column('name_index')
