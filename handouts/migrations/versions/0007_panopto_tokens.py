"""panopto accounts: encrypted tokens per tenant, user and server; one-time connect states

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'panopto_tokens',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('tenant', sa.String(length=128), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('server_host', sa.String(length=255), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('access_token', sa.Text(), nullable=True),
        sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('grant', sa.String(length=32), nullable=False),
        sa.Column('panopto_user', sa.String(length=255), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('tenant', 'user_id', 'server_host', name='uq_panopto_tokens_owner'),
    )
    op.create_table(
        'panopto_connect_states',
        sa.Column('id', sa.String(length=64), primary_key=True),
        sa.Column('tenant', sa.String(length=128), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('server_host', sa.String(length=255), nullable=False),
        sa.Column('pending', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_panopto_connect_states_expires', 'panopto_connect_states', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_panopto_connect_states_expires', table_name='panopto_connect_states')
    op.drop_table('panopto_connect_states')
    op.drop_table('panopto_tokens')
