"""workers.actor_ref: the seed of each worker's self-service actors in the log, distinct from the worker's log_ref

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 14:00:00.000000

The `actor_ref` is the seed of the worker's self-service actors, never itself an actor: an entry a worker's own
action writes on another record (responding to a complaint, an objection, a repair application) names
`workers.services.self_actor(worker, subject_log_ref)`, HMAC-SHA256 of that record's log_ref keyed by the actor_ref,
a different actor on each record; entries on the worker's own record (confirming or declining an employer) name the
shared `OWN_RECORD_ACTOR` (`worker`). Never the worker's `log_ref`: an actor equal to a subject would tie the worker
to the other record in the public log. Every existing worker gets a fresh random ref here
(`secrets.token_hex(16)`, as `registry.models.new_ref`), derived from nothing about them. Entries and rows written
before keep the one shared actor `worker`. No canonical state changes: the actor ref is in no canonical state (a
worker's own record names `worker`; other records name the derived actor, which only new rows carry).

The unique index, not a unique constraint, and on SQLite a column added in place (NOT NULL needs a default there,
so the DDL keeps `DEFAULT ''`, which nothing relies on: every insert sets the ref): rebuilding `workers` in batch
mode would drop a table that employments, cards and the rest point at, which SQLite's foreign keys refuse.

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
# 0023 may be another branch's number: the merge re-points this at the latest.
down_revision = '0023'
branch_labels = None
depends_on = None

BATCH = 2000


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        op.add_column('workers', sa.Column('actor_ref', sa.String(length=32), nullable=False, server_default=''))
    else:
        op.add_column('workers', sa.Column('actor_ref', sa.String(length=32), nullable=True))
    workers = sa.table('workers', sa.column('id', sa.Integer), sa.column('actor_ref', sa.String))
    conn = op.get_bind()
    after = 0
    while True:
        ids = conn.execute(sa.select(workers.c.id).where(workers.c.id > after).order_by(workers.c.id)
                           .limit(BATCH)).scalars().all()
        if not ids:
            break
        conn.execute(workers.update().where(workers.c.id == sa.bindparam('wid'))
                     .values(actor_ref=sa.bindparam('ref')),
                     [{'wid': wid, 'ref': secrets.token_hex(16)} for wid in ids])
        after = ids[-1]
    if not _sqlite():
        op.alter_column('workers', 'actor_ref', existing_type=sa.String(length=32), nullable=False)
    op.create_index(op.f('ix_workers_actor_ref'), 'workers', ['actor_ref'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_workers_actor_ref'), table_name='workers')
    if _sqlite():
        op.drop_column('workers', 'actor_ref')  # SQLite 3.35+: in place, like the add
    else:
        with op.batch_alter_table('workers', schema=None) as batch_op:
            batch_op.drop_column('actor_ref')
