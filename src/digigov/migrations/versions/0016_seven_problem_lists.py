"""seven problem lists (七张问题清单): problems, their rectification tasks (cases), messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('spl_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('list_code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('root_cause', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('discovered_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('closed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('acceptance_note', sa.Text(), nullable=False),
    sa.Column('evaluated_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('score_self', sa.Float(), nullable=True),
    sa.Column('score_department', sa.Float(), nullable=True),
    sa.Column('score_public', sa.Float(), nullable=True),
    sa.Column('evaluation_note', sa.Text(), nullable=False),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.Column('reviewed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('recurrence_count', sa.Integer(), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_spl_problem_owner_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spl_problem')),
    sa.UniqueConstraint('number', name=op.f('uq_spl_problem_number'))
    )
    op.create_index(op.f('ix_spl_problem_colour'), 'spl_problem', ['colour'], unique=False)
    op.create_index(op.f('ix_spl_problem_list_code'), 'spl_problem', ['list_code'], unique=False)
    op.create_index(op.f('ix_spl_problem_owner_department_id'), 'spl_problem', ['owner_department_id'], unique=False)
    op.create_index(op.f('ix_spl_problem_region_code'), 'spl_problem', ['region_code'], unique=False)
    op.create_index(op.f('ix_spl_problem_root_cause'), 'spl_problem', ['root_cause'], unique=False)
    op.create_index(op.f('ix_spl_problem_state'), 'spl_problem', ['state'], unique=False)
    op.create_table('spl_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], name=op.f('fk_spl_task_case_id_case_item')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_spl_task_department_id_department')),
    sa.ForeignKeyConstraint(['problem_id'], ['spl_problem.id'], name=op.f('fk_spl_task_problem_id_spl_problem'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spl_task'))
    )
    op.create_index(op.f('ix_spl_task_case_id'), 'spl_task', ['case_id'], unique=False)
    op.create_index(op.f('ix_spl_task_department_id'), 'spl_task', ['department_id'], unique=False)
    op.create_index(op.f('ix_spl_task_problem_id'), 'spl_task', ['problem_id'], unique=False)
    op.create_table('spl_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_spl_message_department_id_department')),
    sa.ForeignKeyConstraint(['problem_id'], ['spl_problem.id'], name=op.f('fk_spl_message_problem_id_spl_problem'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spl_message'))
    )
    op.create_index(op.f('ix_spl_message_problem_id'), 'spl_message', ['problem_id'], unique=False)


def downgrade() -> None:
    op.drop_table('spl_message')
    op.drop_table('spl_task')
    op.drop_table('spl_problem')
