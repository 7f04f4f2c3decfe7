"""entities (一人一档 / 一企一档): the datasets that take part in linkage and the stewards' decisions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('entity_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('dataset_code', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.Text(), nullable=False),
    sa.Column('authoritative', sa.JSON(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_source')),
    sa.UniqueConstraint('kind', 'dataset_code', 'role', name='uq_entity_source')
    )
    op.create_index(op.f('ix_entity_source_dataset_code'), 'entity_source', ['dataset_code'], unique=False)
    op.create_table('entity_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('dataset_code', sa.String(length=60), nullable=False),
    sa.Column('record', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('file_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_entity_decision_decided_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_decision'))
    )
    op.create_index(op.f('ix_entity_decision_file_id'), 'entity_decision', ['file_id'], unique=False)
    op.create_index(op.f('ix_entity_decision_fingerprint'), 'entity_decision', ['fingerprint'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_entity_decision_fingerprint'), table_name='entity_decision')
    op.drop_index(op.f('ix_entity_decision_file_id'), table_name='entity_decision')
    op.drop_table('entity_decision')
    op.drop_index(op.f('ix_entity_source_dataset_code'), table_name='entity_source')
    op.drop_table('entity_source')
