"""social-governance risk control (湖州 社会治理风险闭环管控): warning tasks, grid reports, payslip vouchers, posts,
enterprise safety-code runs and results, extra inspections

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('srcl_grid_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_code', sa.String(length=12), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('reporter', sa.String(length=64), nullable=False),
    sa.Column('reported_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_grid_report'))
    )
    with op.batch_alter_table('srcl_grid_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_grid_report_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_grid_report_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_grid_report_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_grid_report_reported_at'), ['reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_grid_report_town_code'), ['town_code'], unique=False)

    op.create_table('srcl_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('enterprise', sa.String(length=200), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('planned_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('done_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_inspection'))
    )
    with op.batch_alter_table('srcl_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_inspection_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_inspection_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_inspection_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_inspection_uscc'), ['uscc'], unique=False)

    op.create_table('srcl_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('post', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('grid_code', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_post')),
    sa.UniqueConstraint('username', 'post', 'town_code', 'grid_code', name=op.f('uq_srcl_post_username'))
    )
    with op.batch_alter_table('srcl_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_post_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_post_town_code'), ['town_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_post_username'), ['username'], unique=False)

    op.create_table('srcl_safety_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('run_by', sa.String(length=64), nullable=False),
    sa.Column('enterprises', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_safety_run'))
    )
    op.create_table('srcl_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('indicator', sa.String(length=80), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('subject_key', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('evidence_count', sa.Integer(), nullable=False),
    sa.Column('raised_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_task')),
    sa.UniqueConstraint('case_id', name=op.f('uq_srcl_task_case_id')),
    sa.UniqueConstraint('signal_id', name=op.f('uq_srcl_task_signal_id'))
    )
    with op.batch_alter_table('srcl_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_task_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_indicator'), ['indicator'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_raised_at'), ['raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_subject_key'), ['subject_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_task_town_code'), ['town_code'], unique=False)

    op.create_table('srcl_payslip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['srcl_task.id'], name=op.f('fk_srcl_payslip_task_id_srcl_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_payslip'))
    )
    with op.batch_alter_table('srcl_payslip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_payslip_task_id'), ['task_id'], unique=False)

    op.create_table('srcl_safety_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('industry', sa.String(length=60), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('basic', sa.Float(), nullable=False),
    sa.Column('bonus', sa.Float(), nullable=False),
    sa.Column('deduction', sa.Float(), nullable=False),
    sa.Column('vetoes', sa.JSON(), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['srcl_safety_run.id'], name=op.f('fk_srcl_safety_code_run_id_srcl_safety_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srcl_safety_code')),
    sa.UniqueConstraint('run_id', 'uscc', name=op.f('uq_srcl_safety_code_run_id'))
    )
    with op.batch_alter_table('srcl_safety_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_srcl_safety_code_colour'), ['colour'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_safety_code_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_safety_code_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_safety_code_town_code'), ['town_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_srcl_safety_code_uscc'), ['uscc'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('srcl_safety_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_safety_code_uscc'))
        batch_op.drop_index(batch_op.f('ix_srcl_safety_code_town_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_safety_code_run_id'))
        batch_op.drop_index(batch_op.f('ix_srcl_safety_code_county_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_safety_code_colour'))

    op.drop_table('srcl_safety_code')
    with op.batch_alter_table('srcl_payslip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_payslip_task_id'))

    op.drop_table('srcl_payslip')
    with op.batch_alter_table('srcl_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_task_town_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_subject_key'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_source'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_severity'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_report_id'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_raised_at'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_period'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_indicator'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_domain'))
        batch_op.drop_index(batch_op.f('ix_srcl_task_county_code'))

    op.drop_table('srcl_task')
    op.drop_table('srcl_safety_run')
    with op.batch_alter_table('srcl_post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_post_username'))
        batch_op.drop_index(batch_op.f('ix_srcl_post_town_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_post_county_code'))

    op.drop_table('srcl_post')
    with op.batch_alter_table('srcl_inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_inspection_uscc'))
        batch_op.drop_index(batch_op.f('ix_srcl_inspection_status'))
        batch_op.drop_index(batch_op.f('ix_srcl_inspection_due_on'))
        batch_op.drop_index(batch_op.f('ix_srcl_inspection_county_code'))

    op.drop_table('srcl_inspection')
    with op.batch_alter_table('srcl_grid_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_srcl_grid_report_town_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_grid_report_reported_at'))
        batch_op.drop_index(batch_op.f('ix_srcl_grid_report_grid_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_grid_report_county_code'))
        batch_op.drop_index(batch_op.f('ix_srcl_grid_report_case_id'))

    op.drop_table('srcl_grid_report')
