"""stage leases: lease expiry, one live run per job and stage

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 07:00:00

A running stage run holds a lease (its worker id and an expiry a heartbeat renews); a unique partial index keeps
at most one running run per job and stage. Runs left "running" by an earlier version get a lapsed lease, so the
reaper resumes them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))
    # two "running" rows of one stage can exist from before; keep the newest running, the others expire
    op.execute("UPDATE stage_runs SET status = 'expired' WHERE status = 'running' AND id NOT IN "
               "(SELECT max(id) FROM stage_runs WHERE status = 'running' GROUP BY job_id, stage)")
    op.execute("UPDATE stage_runs SET lease_expires_at = started_at WHERE status = 'running'")
    op.create_index('uq_stage_runs_live', 'stage_runs', ['job_id', 'stage'], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
    op.create_index('ix_stage_runs_lease', 'stage_runs', ['status', 'lease_expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stage_runs_lease', table_name='stage_runs')
    op.drop_index('uq_stage_runs_live', table_name='stage_runs')
    with op.batch_alter_table('stage_runs', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
