"""job scope, deliveries, one tenant convention

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 06:30:00

Adds jobs.scope (the course or channel a job belongs to) with its index, the deliveries table (each effect on
the outside world, once per job, target and kind), and renames Slack tenants from slack-<team> to
slack:<team> everywhere a tenant is stored. Slack progress state kept in jobs.reply_to moves to deliveries.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TENANT_TABLES = ("jobs", "ai_requests", "setting_profiles")
ADDRESS_KEYS = ("team_id", "enterprise_id", "is_enterprise_install", "channel_id", "user_id", "thread_ts")


def _slack_state_to_deliveries(conn) -> None:
    """Move what Slack jobs recorded in reply_to (message ts, files, DMs, upload error) into deliveries rows."""
    jobs = sa.table("jobs", sa.column("id", sa.String), sa.column("origin", sa.String),
                    sa.column("reply_to", sa.JSON), sa.column("scope", sa.String))
    deliveries = sa.table("deliveries", sa.column("job_id", sa.String), sa.column("target", sa.String),
                          sa.column("kind", sa.String), sa.column("status", sa.String), sa.column("ref", sa.JSON),
                          sa.column("error", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)),
                          sa.column("updated_at", sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    for job_id, reply in conn.execute(sa.select(jobs.c.id, jobs.c.reply_to).where(jobs.c.origin == "slack")).all():
        reply = dict(reply or {})
        channel = reply.get("channel_id") or reply.get("progress_channel") or ""
        target = f"slack:{channel}"
        rows = []
        if reply.get("progress_ts"):
            rows.append((target, "progress", {"channel": reply.get("progress_channel") or channel,
                                              "ts": reply["progress_ts"]}, "done", None))
        if reply.get("summary_ts"):
            rows.append((target, "summary", {"ts": reply["summary_ts"]}, "done", None))
        for name, ref in (reply.get("files") or {}).items():
            rows.append((target, f"file:{name}", dict(ref or {}), "done", None))
        for key, ts in (reply.get("dms") or {}).items():
            user, _, ending = key.partition(":")
            rows.append((f"slack-user:{user}", f"dm:{ending}", {"ts": ts}, "done", None))
        if reply.get("delivery_error"):
            rows.append((target, "upload", {}, "failed", reply["delivery_error"]))
        for t, kind, ref, status, error in rows:
            conn.execute(deliveries.insert().values(job_id=job_id, target=t, kind=kind, status=status, ref=ref,
                                                    error=error, created_at=now, updated_at=now))
        address = {"kind": "slack", **{k: reply[k] for k in ADDRESS_KEYS if reply.get(k) is not None}}
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(reply_to=address,
                                                                     scope=f"channel:{channel}" if channel else None))
    conn.execute(jobs.update().where(jobs.c.origin != "slack").values(reply_to={"kind": "cli"}))


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_jobs_scope_created', ['tenant', 'scope', 'created_at'], unique=False)
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id', 'target', 'kind', name='uq_deliveries_job_target_kind')
    )
    for table in TENANT_TABLES:
        op.execute(f"UPDATE {table} SET tenant = 'slack:' || substr(tenant, 7) WHERE tenant LIKE 'slack-%'")
    _slack_state_to_deliveries(op.get_bind())


def downgrade() -> None:
    # Slack state stays in deliveries' history: a downgraded Slack job shows its message again on its next event.
    for table in TENANT_TABLES:
        op.execute(f"UPDATE {table} SET tenant = 'slack-' || substr(tenant, 7) WHERE tenant LIKE 'slack:%'")
    op.drop_table('deliveries')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_scope_created')
        batch_op.drop_column('scope')
