"""jobs list indexes: newest first, for everyone and per tenant

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:30:00

The status pages list jobs newest first, keyed on (created_at, id), for an operator (every tenant) or one
tenant, and count them by status. Without these the list sorts the whole table on every page view.
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_jobs_created', 'jobs', ['created_at', 'id'], unique=False)
    op.create_index('ix_jobs_tenant_created', 'jobs', ['tenant', 'created_at', 'id'], unique=False)
    op.create_index('ix_jobs_tenant_status', 'jobs', ['tenant', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_tenant_status', table_name='jobs')
    op.drop_index('ix_jobs_tenant_created', table_name='jobs')
    op.drop_index('ix_jobs_created', table_name='jobs')
