"""federation: this instance and its trusted peers, their keys, seen nonces, the hash-chained message log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:15:30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('federation_instance',
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('is_self', sa.Boolean(), nullable=False),
    sa.Column('valid_from', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('valid_until', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('anchor_sha256', sa.String(length=64), nullable=False),
    sa.Column('trusted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('trusted_by', sa.String(length=80), nullable=False),
    sa.Column('revoked_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=80), nullable=False),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_federation_instance'))
    )
    with op.batch_alter_table('federation_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_instance_is_self'), ['is_self'], unique=False)

    op.create_table('federation_message',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('peer', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('in_reply_to', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_federation_message')),
    sa.UniqueConstraint('hash', name=op.f('uq_federation_message_hash'))
    )
    with op.batch_alter_table('federation_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_message_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_federation_message_nonce'), ['nonce'], unique=False)
        batch_op.create_index(batch_op.f('ix_federation_message_peer'), ['peer'], unique=False)

    op.create_table('federation_nonce',
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sender', 'nonce', name=op.f('pk_federation_nonce'))
    )
    with op.batch_alter_table('federation_nonce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_nonce_seen_at'), ['seen_at'], unique=False)

    op.create_table('federation_key',
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('added_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('retired_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['federation_instance.instance_id'], name=op.f('fk_federation_key_instance_id_federation_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'key_id', name=op.f('pk_federation_key'))
    )


def downgrade() -> None:
    op.drop_table('federation_key')
    with op.batch_alter_table('federation_nonce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_nonce_seen_at'))

    op.drop_table('federation_nonce')
    with op.batch_alter_table('federation_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_message_peer'))
        batch_op.drop_index(batch_op.f('ix_federation_message_nonce'))
        batch_op.drop_index(batch_op.f('ix_federation_message_at'))

    op.drop_table('federation_message')
    with op.batch_alter_table('federation_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_instance_is_self'))

    op.drop_table('federation_instance')
