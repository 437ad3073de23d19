"""ai cache and setting profiles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 15:11:14.156960
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ai_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('prompt_name', sa.String(length=128), nullable=False),
    sa.Column('prompt_version', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('ai_cache', schema=None) as batch_op:
        batch_op.create_index('ix_ai_cache_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_ai_cache_prompt', ['prompt_name'], unique=False)

    op.create_table('setting_profiles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant', 'name', name='uq_setting_profiles_tenant_name')
    )


def downgrade() -> None:
    op.drop_table('setting_profiles')
    with op.batch_alter_table('ai_cache', schema=None) as batch_op:
        batch_op.drop_index('ix_ai_cache_prompt')
        batch_op.drop_index('ix_ai_cache_expires')

    op.drop_table('ai_cache')
