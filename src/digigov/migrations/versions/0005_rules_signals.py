"""rules signals: early-warning rules, their versions and runs, signals, event-rule window members

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('case_type', sa.String(length=64), nullable=True),
    sa.Column('schedule', sa.String(length=64), nullable=True),
    sa.Column('app', sa.String(length=80), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('last_run_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_rule_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule')),
    sa.UniqueConstraint('code', name=op.f('uq_rule_code'))
    )
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_app'), ['app'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_department_id'), ['department_id'], unique=False)

    op.create_table('rule_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('started_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('new_signals', sa.Integer(), nullable=False),
    sa.Column('updated_signals', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['rule.id'], name=op.f('fk_rule_run_rule_id_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_run'))
    )
    with op.batch_alter_table('rule_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_run_rule_id'), ['rule_id'], unique=False)

    op.create_table('rule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['rule.id'], name=op.f('fk_rule_version_rule_id_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_version')),
    sa.UniqueConstraint('rule_id', 'version', name=op.f('uq_rule_version_rule_id'))
    )
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_version_rule_id'), ['rule_id'], unique=False)

    op.create_table('rule_window_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('event_seq', sa.BigInteger(), nullable=False),
    sa.Column('event_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['rule.id'], name=op.f('fk_rule_window_event_rule_id_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_window_event')),
    sa.UniqueConstraint('rule_id', 'event_seq', name=op.f('uq_rule_window_event_rule_id'))
    )
    with op.batch_alter_table('rule_window_event', schema=None) as batch_op:
        batch_op.create_index('ix_rule_window_event_group', ['rule_id', 'group_key', 'event_at'], unique=False)

    op.create_table('signal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('subject_key', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('first_seen', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('hit_count', sa.Integer(), nullable=False),
    sa.Column('evidence_count', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_signal_department_id_department')),
    sa.ForeignKeyConstraint(['rule_id'], ['rule.id'], name=op.f('fk_signal_rule_id_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal'))
    )
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signal_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index('ix_signal_rule_subject', ['rule_id', 'subject_key', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signal_status'))
        batch_op.drop_index(batch_op.f('ix_signal_severity'))
        batch_op.drop_index('ix_signal_rule_subject')
        batch_op.drop_index(batch_op.f('ix_signal_rule_id'))
        batch_op.drop_index(batch_op.f('ix_signal_department_id'))
        batch_op.drop_index(batch_op.f('ix_signal_case_id'))

    op.drop_table('signal')
    with op.batch_alter_table('rule_window_event', schema=None) as batch_op:
        batch_op.drop_index('ix_rule_window_event_group')

    op.drop_table('rule_window_event')
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_version_rule_id'))

    op.drop_table('rule_version')
    with op.batch_alter_table('rule_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_run_rule_id'))

    op.drop_table('rule_run')
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_department_id'))
        batch_op.drop_index(batch_op.f('ix_rule_app'))

    op.drop_table('rule')
