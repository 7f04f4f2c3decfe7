"""grassroots power supervision (基层公权力大数据监督): warnings with their events, evidence attachments and notices,
the posts that receive notices and verify, villagers' complaints (监督一点通)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 13:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gps_complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('town', sa.String(length=60), nullable=False),
    sa.Column('village', sa.String(length=60), nullable=False),
    sa.Column('matter', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('submitted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_complaint')),
    sa.UniqueConstraint('receipt', name=op.f('uq_gps_complaint_receipt'))
    )
    op.create_index(op.f('ix_gps_complaint_case_id'), 'gps_complaint', ['case_id'], unique=False)
    op.create_index(op.f('ix_gps_complaint_region_code'), 'gps_complaint', ['region_code'], unique=False)
    op.create_index(op.f('ix_gps_complaint_village'), 'gps_complaint', ['village'], unique=False)
    op.create_table('gps_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('town', sa.String(length=60), nullable=False),
    sa.Column('village', sa.String(length=60), nullable=False),
    sa.Column('post', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_post')),
    sa.UniqueConstraint('region_code', 'town', 'village', 'post', 'name', name=op.f('uq_gps_post_region_code'))
    )
    op.create_index(op.f('ix_gps_post_region_code'), 'gps_post', ['region_code'], unique=False)
    op.create_index(op.f('ix_gps_post_username'), 'gps_post', ['username'], unique=False)
    op.create_table('gps_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=80), nullable=False),
    sa.Column('matter', sa.String(length=20), nullable=False),
    sa.Column('subject_key', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('town', sa.String(length=60), nullable=False),
    sa.Column('village', sa.String(length=60), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('raised_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('evidence_count', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('recurrence_of', sa.Integer(), nullable=True),
    sa.Column('rectification', sa.Text(), nullable=False),
    sa.Column('verification', sa.Text(), nullable=False),
    sa.Column('verified_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('verified_by', sa.String(length=80), nullable=False),
    sa.Column('closed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=80), nullable=False),
    sa.Column('close_note', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_warning')),
    sa.UniqueConstraint('signal_id', name=op.f('uq_gps_warning_signal_id'))
    )
    op.create_index(op.f('ix_gps_warning_case_id'), 'gps_warning', ['case_id'], unique=False)
    op.create_index(op.f('ix_gps_warning_colour'), 'gps_warning', ['colour'], unique=False)
    op.create_index(op.f('ix_gps_warning_matter'), 'gps_warning', ['matter'], unique=False)
    op.create_index(op.f('ix_gps_warning_raised_at'), 'gps_warning', ['raised_at'], unique=False)
    op.create_index(op.f('ix_gps_warning_region_code'), 'gps_warning', ['region_code'], unique=False)
    op.create_index(op.f('ix_gps_warning_rule_code'), 'gps_warning', ['rule_code'], unique=False)
    op.create_index(op.f('ix_gps_warning_status'), 'gps_warning', ['status'], unique=False)
    op.create_index(op.f('ix_gps_warning_subject_key'), 'gps_warning', ['subject_key'], unique=False)
    op.create_index(op.f('ix_gps_warning_town'), 'gps_warning', ['town'], unique=False)
    op.create_table('gps_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['gps_warning.id'], name=op.f('fk_gps_attachment_warning_id_gps_warning'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_attachment'))
    )
    op.create_index(op.f('ix_gps_attachment_warning_id'), 'gps_attachment', ['warning_id'], unique=False)
    op.create_table('gps_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_name', sa.String(length=60), nullable=False),
    sa.Column('recipient_post', sa.String(length=40), nullable=False),
    sa.Column('recipient_phone', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['gps_warning.id'], name=op.f('fk_gps_notice_warning_id_gps_warning'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_notice'))
    )
    op.create_index(op.f('ix_gps_notice_warning_id'), 'gps_notice', ['warning_id'], unique=False)
    op.create_table('gps_warning_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['gps_warning.id'], name=op.f('fk_gps_warning_event_warning_id_gps_warning'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gps_warning_event'))
    )
    op.create_index(op.f('ix_gps_warning_event_warning_id'), 'gps_warning_event', ['warning_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_gps_warning_event_warning_id'), table_name='gps_warning_event')
    op.drop_table('gps_warning_event')
    op.drop_index(op.f('ix_gps_notice_warning_id'), table_name='gps_notice')
    op.drop_table('gps_notice')
    op.drop_index(op.f('ix_gps_attachment_warning_id'), table_name='gps_attachment')
    op.drop_table('gps_attachment')
    op.drop_index(op.f('ix_gps_warning_town'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_subject_key'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_status'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_rule_code'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_region_code'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_raised_at'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_matter'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_colour'), table_name='gps_warning')
    op.drop_index(op.f('ix_gps_warning_case_id'), table_name='gps_warning')
    op.drop_table('gps_warning')
    op.drop_index(op.f('ix_gps_post_username'), table_name='gps_post')
    op.drop_index(op.f('ix_gps_post_region_code'), table_name='gps_post')
    op.drop_table('gps_post')
    op.drop_index(op.f('ix_gps_complaint_village'), table_name='gps_complaint')
    op.drop_index(op.f('ix_gps_complaint_region_code'), table_name='gps_complaint')
    op.drop_index(op.f('ix_gps_complaint_case_id'), table_name='gps_complaint')
    op.drop_table('gps_complaint')
