"""bus outbox consumers workdays

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bus_outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('published_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_bus_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_bus_outbox_key'))
    )
    with op.batch_alter_table('bus_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bus_outbox_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bus_outbox_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bus_outbox_subject'), ['subject'], unique=False)

    op.create_table('bus_consumer',
    sa.Column('durable', sa.String(length=100), nullable=False),
    sa.Column('subjects', sa.String(length=500), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('delivered', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('durable', name=op.f('pk_bus_consumer'))
    )

    op.create_table('bus_processed',
    sa.Column('durable', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('durable', 'key', name=op.f('pk_bus_processed'))
    )
    with op.batch_alter_table('bus_processed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bus_processed_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bus_processed_seq'), ['seq'], unique=False)

    op.create_table('workday_override',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_workday_override'))
    )
    with op.batch_alter_table('workday_override', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workday_override_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('workday_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workday_override_year'))
    op.drop_table('workday_override')
    with op.batch_alter_table('bus_processed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bus_processed_seq'))
        batch_op.drop_index(batch_op.f('ix_bus_processed_at'))
    op.drop_table('bus_processed')
    op.drop_table('bus_consumer')
    with op.batch_alter_table('bus_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bus_outbox_subject'))
        batch_op.drop_index(batch_op.f('ix_bus_outbox_published_at'))
        batch_op.drop_index(batch_op.f('ix_bus_outbox_at'))
    op.drop_table('bus_outbox')
