"""cases: case items, their history, attachments, links, process definitions, numbering

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_counter',
    sa.Column('prefix_day', sa.String(length=24), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix_day', name=op.f('pk_case_counter'))
    )
    op.create_table('case_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_process')),
    sa.UniqueConstraint('process_id', 'digest', name=op.f('uq_case_process_process_id'))
    )
    op.create_table('case_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('type_code', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=60), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('severity', sa.String(length=8), nullable=True),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('was_red', sa.Boolean(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('reminded', sa.Boolean(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('street', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('subject_key', sa.String(length=200), nullable=True),
    sa.Column('signal_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('citizen_name', sa.String(length=60), nullable=False),
    sa.Column('citizen_phone', sa.String(length=30), nullable=False),
    sa.Column('citizen_token', sa.String(length=40), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('return_count', sa.Integer(), nullable=False),
    sa.Column('first_contact', sa.Boolean(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('process_ref', sa.Integer(), nullable=True),
    sa.Column('workflow', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('step_due_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('assigned_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('responded_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('closed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_case_item_department_id_department')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['case_item.id'], name=op.f('fk_case_item_merged_into_id_case_item')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_case_item_owner_department_id_department')),
    sa.ForeignKeyConstraint(['process_ref'], ['case_process.id'], name=op.f('fk_case_item_process_ref_case_process')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_item')),
    sa.UniqueConstraint('citizen_token', name=op.f('uq_case_item_citizen_token')),
    sa.UniqueConstraint('number', name=op.f('uq_case_item_number'))
    )
    op.create_index(op.f('ix_case_item_category'), 'case_item', ['category'], unique=False)
    op.create_index(op.f('ix_case_item_colour'), 'case_item', ['colour'], unique=False)
    op.create_index(op.f('ix_case_item_department_id'), 'case_item', ['department_id'], unique=False)
    op.create_index(op.f('ix_case_item_due_at'), 'case_item', ['due_at'], unique=False)
    op.create_index('ix_case_item_open', 'case_item', ['type_code', 'status', 'department_id'], unique=False)
    op.create_index(op.f('ix_case_item_opened_at'), 'case_item', ['opened_at'], unique=False)
    op.create_index(op.f('ix_case_item_overdue'), 'case_item', ['overdue'], unique=False)
    op.create_index(op.f('ix_case_item_region_code'), 'case_item', ['region_code'], unique=False)
    op.create_index(op.f('ix_case_item_status'), 'case_item', ['status'], unique=False)
    op.create_index('ix_case_item_subject', 'case_item', ['type_code', 'subject_key'], unique=False)
    op.create_index(op.f('ix_case_item_type_code'), 'case_item', ['type_code'], unique=False)
    op.create_table('case_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], name=op.f('fk_case_attachment_case_id_case_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachment'))
    )
    op.create_index(op.f('ix_case_attachment_case_id'), 'case_attachment', ['case_id'], unique=False)
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_department', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], name=op.f('fk_case_event_case_id_case_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    op.create_index(op.f('ix_case_event_case_id'), 'case_event', ['case_id'], unique=False)
    op.create_table('case_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], name=op.f('fk_case_link_case_id_case_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_id'], ['case_item.id'], name=op.f('fk_case_link_other_id_case_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_link')),
    sa.UniqueConstraint('case_id', 'other_id', name=op.f('uq_case_link_case_id'))
    )
    op.create_index(op.f('ix_case_link_case_id'), 'case_link', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_link_other_id'), 'case_link', ['other_id'], unique=False)



def downgrade() -> None:
    op.drop_table('case_link')
    op.drop_table('case_event')
    op.drop_table('case_attachment')
    op.drop_table('case_item')
    op.drop_table('case_process')
    op.drop_table('case_counter')

