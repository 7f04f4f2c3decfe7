"""lists (三张清单) and achievements (三大成果)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('system', sa.String(length=24), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_list_entry_owner_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entry')),
    sa.UniqueConstraint('code', name=op.f('uq_list_entry_code'))
    )
    op.create_index(op.f('ix_list_entry_kind'), 'list_entry', ['kind'], unique=False)
    op.create_index(op.f('ix_list_entry_owner_department_id'), 'list_entry', ['owner_department_id'], unique=False)
    op.create_index(op.f('ix_list_entry_region_code'), 'list_entry', ['region_code'], unique=False)
    op.create_index(op.f('ix_list_entry_system'), 'list_entry', ['system'], unique=False)
    op.create_table('list_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['list_entry.id'], name=op.f('fk_list_link_child_id_list_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['list_entry.id'], name=op.f('fk_list_link_parent_id_list_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_link')),
    sa.UniqueConstraint('parent_id', 'child_id', name='uq_list_link')
    )
    op.create_index(op.f('ix_list_link_child_id'), 'list_link', ['child_id'], unique=False)
    op.create_index(op.f('ix_list_link_parent_id'), 'list_link', ['parent_id'], unique=False)
    op.create_table('list_entry_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['list_entry.id'], name=op.f('fk_list_entry_application_entry_id_list_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_list_entry_application_resource_id_catalog_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entry_application')),
    sa.UniqueConstraint('entry_id', 'resource_id', name='uq_list_entry_application')
    )
    op.create_index(op.f('ix_list_entry_application_entry_id'), 'list_entry_application', ['entry_id'], unique=False)
    op.create_index(op.f('ix_list_entry_application_resource_id'), 'list_entry_application', ['resource_id'], unique=False)
    op.create_table('list_achievement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('system', sa.String(length=24), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['catalog_resource.id'], name=op.f('fk_list_achievement_resource_id_catalog_resource'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_achievement'))
    )
    op.create_index(op.f('ix_list_achievement_kind'), 'list_achievement', ['kind'], unique=False)
    op.create_index(op.f('ix_list_achievement_region_code'), 'list_achievement', ['region_code'], unique=False)
    op.create_index(op.f('ix_list_achievement_resource_id'), 'list_achievement', ['resource_id'], unique=False)
    op.create_index(op.f('ix_list_achievement_system'), 'list_achievement', ['system'], unique=False)
    op.create_table('list_achievement_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['achievement_id'], ['list_achievement.id'], name=op.f('fk_list_achievement_source_achievement_id_list_achievement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['list_entry.id'], name=op.f('fk_list_achievement_source_entry_id_list_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_achievement_source')),
    sa.UniqueConstraint('achievement_id', 'entry_id', name='uq_list_achievement_source')
    )
    op.create_index(op.f('ix_list_achievement_source_achievement_id'), 'list_achievement_source', ['achievement_id'], unique=False)
    op.create_index(op.f('ix_list_achievement_source_entry_id'), 'list_achievement_source', ['entry_id'], unique=False)


def downgrade() -> None:
    op.drop_table('list_achievement_source')
    op.drop_table('list_achievement')
    op.drop_table('list_entry_application')
    op.drop_table('list_link')
    op.drop_table('list_entry')
