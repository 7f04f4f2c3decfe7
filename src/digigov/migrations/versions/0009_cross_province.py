"""cross-province services (跨省通办): applications on each side, their materials, their timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('xps_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=48), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('origin_city', sa.String(length=6), nullable=False),
    sa.Column('target_city', sa.String(length=6), nullable=False),
    sa.Column('peer', sa.String(length=64), nullable=False),
    sa.Column('applicant_name', sa.String(length=80), nullable=False),
    sa.Column('applicant_id_number', sa.String(length=18), nullable=False),
    sa.Column('applicant_phone', sa.String(length=32), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('due_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('result_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('completed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('result_note', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('next_attempt_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xps_application')),
    sa.UniqueConstraint('ref', 'direction', name=op.f('uq_xps_application_ref'))
    )
    with op.batch_alter_table('xps_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xps_application_direction'), ['direction'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_item_code'), ['item_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_origin_city'), ['origin_city'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_ref'), ['ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xps_application_target_city'), ['target_city'], unique=False)

    op.create_table('xps_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['xps_application.id'], name=op.f('fk_xps_event_application_id_xps_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xps_event'))
    )
    with op.batch_alter_table('xps_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xps_event_application_id'), ['application_id'], unique=False)

    op.create_table('xps_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['xps_application.id'], name=op.f('fk_xps_material_application_id_xps_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xps_material'))
    )
    with op.batch_alter_table('xps_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xps_material_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('xps_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xps_material_application_id'))

    op.drop_table('xps_material')
    with op.batch_alter_table('xps_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xps_event_application_id'))

    op.drop_table('xps_event')
    with op.batch_alter_table('xps_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xps_application_target_city'))
        batch_op.drop_index(batch_op.f('ix_xps_application_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_xps_application_status'))
        batch_op.drop_index(batch_op.f('ix_xps_application_ref'))
        batch_op.drop_index(batch_op.f('ix_xps_application_origin_city'))
        batch_op.drop_index(batch_op.f('ix_xps_application_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_xps_application_item_code'))
        batch_op.drop_index(batch_op.f('ix_xps_application_direction'))

    op.drop_table('xps_application')
