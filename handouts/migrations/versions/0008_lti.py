"""LTI 1.3: platform registrations, deployments, the tool's keys, login states, used nonces, launch tickets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('lti_platforms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('auth_login_url', sa.Text(), nullable=False),
    sa.Column('auth_token_url', sa.Text(), nullable=False),
    sa.Column('auth_audience', sa.Text(), nullable=True),
    sa.Column('key_set_url', sa.Text(), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'client_id', name='uq_lti_platforms_issuer_client')
    )
    op.create_table('lti_deployments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform_id', 'deployment_id', name='uq_lti_deployments_platform_dep')
    )
    op.create_table('lti_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kid', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kid')
    )
    op.create_index('ix_lti_keys_status', 'lti_keys', ['status'], unique=False)
    op.create_table('lti_login_states',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.Column('expires_at', TZ, nullable=False),
    sa.Column('used_at', TZ, nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state_hash')
    )
    op.create_index('ix_lti_login_states_expires', 'lti_login_states', ['expires_at'], unique=False)
    op.create_table('lti_used_nonces',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('expires_at', TZ, nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'nonce')
    )
    op.create_table('lti_launches',
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('tenant', sa.String(length=128), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('claims', sa.JSON(), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.Column('expires_at', TZ, nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_hash')
    )
    op.create_index('ix_lti_launches_expires', 'lti_launches', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_lti_launches_expires', table_name='lti_launches')
    op.drop_table('lti_launches')
    op.drop_table('lti_used_nonces')
    op.drop_index('ix_lti_login_states_expires', table_name='lti_login_states')
    op.drop_table('lti_login_states')
    op.drop_index('ix_lti_keys_status', table_name='lti_keys')
    op.drop_table('lti_keys')
    op.drop_table('lti_deployments')
    op.drop_table('lti_platforms')
