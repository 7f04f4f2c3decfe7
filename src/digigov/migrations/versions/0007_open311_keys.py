"""open311 keys: the API keys partner systems post 民呼我为 service requests with

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('open311_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_key')),
    sa.UniqueConstraint('digest', name=op.f('uq_open311_key_digest'))
    )
    with op.batch_alter_table('open311_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_key_name'), ['name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open311_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_key_name'))

    op.drop_table('open311_key')
