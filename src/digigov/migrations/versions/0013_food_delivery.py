"""food delivery online (浙江外卖在线): verification runs, listing verdicts, findings, platform health index

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 12:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fdo_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('as_of', sa.String(length=10), nullable=False),
    sa.Column('run_by', sa.String(length=80), nullable=False),
    sa.Column('listings', sa.Integer(), nullable=False),
    sa.Column('compliant', sa.Integer(), nullable=False),
    sa.Column('non_compliant', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('cases_opened', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fdo_run'))
    )
    op.create_table('fdo_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('shop_id', sa.String(length=40), nullable=False),
    sa.Column('shop_name', sa.String(length=200), nullable=False),
    sa.Column('operator_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('displayed', sa.String(length=64), nullable=False),
    sa.Column('number_used', sa.String(length=32), nullable=False),
    sa.Column('daily_orders', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('kitchen_required', sa.Boolean(), nullable=False),
    sa.Column('kitchen_connected', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['fdo_run.id'], name=op.f('fk_fdo_listing_run_id_fdo_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fdo_listing')),
    sa.UniqueConstraint('run_id', 'platform', 'shop_id', name=op.f('uq_fdo_listing_run_id'))
    )
    with op.batch_alter_table('fdo_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fdo_listing_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_listing_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_listing_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_listing_verdict'), ['verdict'], unique=False)

    op.create_table('fdo_platform_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('health_index', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['fdo_run.id'], name=op.f('fk_fdo_platform_score_run_id_fdo_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fdo_platform_score')),
    sa.UniqueConstraint('run_id', 'platform', name=op.f('uq_fdo_platform_score_run_id'))
    )
    with op.batch_alter_table('fdo_platform_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fdo_platform_score_run_id'), ['run_id'], unique=False)

    op.create_table('fdo_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=12), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['fdo_listing.id'], name=op.f('fk_fdo_finding_listing_id_fdo_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['fdo_run.id'], name=op.f('fk_fdo_finding_run_id_fdo_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fdo_finding'))
    )
    with op.batch_alter_table('fdo_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fdo_finding_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_finding_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_finding_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_fdo_finding_run_id'), ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fdo_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fdo_finding_run_id'))
        batch_op.drop_index(batch_op.f('ix_fdo_finding_platform'))
        batch_op.drop_index(batch_op.f('ix_fdo_finding_kind'))
        batch_op.drop_index(batch_op.f('ix_fdo_finding_county_code'))

    op.drop_table('fdo_finding')
    with op.batch_alter_table('fdo_platform_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fdo_platform_score_run_id'))

    op.drop_table('fdo_platform_score')
    with op.batch_alter_table('fdo_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fdo_listing_verdict'))
        batch_op.drop_index(batch_op.f('ix_fdo_listing_run_id'))
        batch_op.drop_index(batch_op.f('ix_fdo_listing_platform'))
        batch_op.drop_index(batch_op.f('ix_fdo_listing_county_code'))

    op.drop_table('fdo_listing')
    op.drop_table('fdo_run')
