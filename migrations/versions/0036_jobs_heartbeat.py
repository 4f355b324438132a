"""jobs processes' heartbeat, and job runs found by when they started

Revision ID: 0036
Revises: 0035
Create Date: 2027-01-10 10:00:00.000000

`jobs_processes`: one row per running jobs process, rewritten every few seconds (`REGISTRY_JOBS_HEARTBEAT_SECONDS`),
so `/readyz` and `/metrics` tell whether a jobs process is alive; its schedules and their intervals, so a job's last
run can be judged against its interval. `ix_job_runs_started_dt`: the metrics count the last hour's runs and the
pruning of old runs deletes by start, both without reading the whole table. Nothing to fill.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs_processes',
    sa.Column('owner', sa.String(length=128), nullable=False),
    sa.Column('started_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('schedules', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('owner', name=op.f('pk_jobs_processes'))
    )
    with op.batch_alter_table('jobs_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_processes_beat_dt'), ['beat_dt'], unique=False)
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_started_dt', ['started_dt'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_started_dt')
    with op.batch_alter_table('jobs_processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_processes_beat_dt'))
    op.drop_table('jobs_processes')
