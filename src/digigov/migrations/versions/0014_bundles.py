"""一件事 (bundles): bundle definitions, applications, the items of each application, uploaded materials

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 13:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bundle_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('lifecycle', sa.String(length=24), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('lead_kind', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('trips', sa.Integer(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('published_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('published_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_definition')),
    sa.UniqueConstraint('code', name=op.f('uq_bundle_definition_code'))
    )
    with op.batch_alter_table('bundle_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_definition_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_definition_status'), ['status'], unique=False)

    op.create_table('bundle_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('bundle_id', sa.Integer(), nullable=False),
    sa.Column('bundle_code', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('applicant_name', sa.String(length=80), nullable=False),
    sa.Column('applicant_id_number', sa.String(length=18), nullable=False),
    sa.Column('applicant_phone', sa.String(length=32), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('prefilled', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('result_note', sa.Text(), nullable=False),
    sa.Column('workflow', sa.Text(), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('completed_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=False),
    sa.Column('rated_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['bundle_definition.id'], name=op.f('fk_bundle_application_bundle_id_bundle_definition')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'], name=op.f('fk_bundle_application_lead_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_application')),
    sa.UniqueConstraint('receipt', name=op.f('uq_bundle_application_receipt')),
    sa.UniqueConstraint('token', name=op.f('uq_bundle_application_token'))
    )
    with op.batch_alter_table('bundle_application', schema=None) as batch_op:
        batch_op.create_index('ix_bundle_application_bundle', ['bundle_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_application_lead_department_id'), ['lead_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_application_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_application_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_application_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('bundle_item_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('certificate', sa.String(length=80), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['bundle_application.id'], name=op.f('fk_bundle_item_run_application_id_bundle_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], name=op.f('fk_bundle_item_run_case_id_case_item')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_bundle_item_run_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_item_run')),
    sa.UniqueConstraint('application_id', 'item_code', name=op.f('uq_bundle_item_run_application_id'))
    )
    with op.batch_alter_table('bundle_item_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_item_run_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_item_run_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bundle_item_run_status'), ['status'], unique=False)

    op.create_table('bundle_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('material_key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['bundle_application.id'], name=op.f('fk_bundle_material_application_id_bundle_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bundle_material'))
    )
    with op.batch_alter_table('bundle_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bundle_material_application_id'), ['application_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bundle_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_material_application_id'))

    op.drop_table('bundle_material')
    with op.batch_alter_table('bundle_item_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_item_run_status'))
        batch_op.drop_index(batch_op.f('ix_bundle_item_run_department_id'))
        batch_op.drop_index(batch_op.f('ix_bundle_item_run_case_id'))

    op.drop_table('bundle_item_run')
    with op.batch_alter_table('bundle_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_application_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_bundle_application_status'))
        batch_op.drop_index(batch_op.f('ix_bundle_application_region_code'))
        batch_op.drop_index(batch_op.f('ix_bundle_application_lead_department_id'))
        batch_op.drop_index('ix_bundle_application_bundle')

    op.drop_table('bundle_application')
    with op.batch_alter_table('bundle_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bundle_definition_status'))
        batch_op.drop_index(batch_op.f('ix_bundle_definition_region_code'))

    op.drop_table('bundle_definition')
