"""sharing (共享): requests for another department's dataset, the grants they become, per-grant daily usage

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digigov.core.db  # noqa: F401  (custom column types)

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sharing_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('dataset_code', sa.String(length=60), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('unmasked', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('expires_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('quota_rows_per_day', sa.Integer(), nullable=True),
    sa.Column('rate_per_minute', sa.Integer(), nullable=True),
    sa.Column('approved', sa.JSON(), nullable=False),
    sa.Column('needs_authority', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('owner_reviewer', sa.String(length=64), nullable=True),
    sa.Column('owner_comment', sa.Text(), nullable=False),
    sa.Column('owner_decided_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('authority_reviewer', sa.String(length=64), nullable=True),
    sa.Column('authority_comment', sa.Text(), nullable=False),
    sa.Column('authority_decided_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('submitted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consumer_department_id'], ['department.id'], name=op.f('fk_sharing_request_consumer_department_id_department')),
    sa.ForeignKeyConstraint(['dataset_id'], ['wh_dataset.id'], name=op.f('fk_sharing_request_dataset_id_wh_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_sharing_request_owner_department_id_department')),
    sa.ForeignKeyConstraint(['requester_id'], ['user_account.id'], name=op.f('fk_sharing_request_requester_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_request'))
    )
    with op.batch_alter_table('sharing_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_request_consumer_department_id'), ['consumer_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_request_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_request_owner_department_id'), ['owner_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_request_state'), ['state'], unique=False)

    op.create_table('sharing_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('dataset_code', sa.String(length=60), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('unmasked', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('expires_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('quota_rows_per_day', sa.Integer(), nullable=True),
    sa.Column('rate_per_minute', sa.Integer(), nullable=True),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('granted_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', digigov.core.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.Column('updated_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consumer_department_id'], ['department.id'], name=op.f('fk_sharing_grant_consumer_department_id_department')),
    sa.ForeignKeyConstraint(['dataset_id'], ['wh_dataset.id'], name=op.f('fk_sharing_grant_dataset_id_wh_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_sharing_grant_owner_department_id_department')),
    sa.ForeignKeyConstraint(['request_id'], ['sharing_request.id'], name=op.f('fk_sharing_grant_request_id_sharing_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_grant')),
    sa.UniqueConstraint('request_id', name=op.f('uq_sharing_grant_request_id'))
    )
    with op.batch_alter_table('sharing_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_grant_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index('ix_sharing_grant_lookup', ['consumer_department_id', 'dataset_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_grant_owner_department_id'), ['owner_department_id'], unique=False)

    op.create_table('sharing_usage',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('dataset_code', sa.String(length=60), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('last_at', digigov.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consumer_department_id'], ['department.id'], name=op.f('fk_sharing_usage_consumer_department_id_department')),
    sa.ForeignKeyConstraint(['grant_id'], ['sharing_grant.id'], name=op.f('fk_sharing_usage_grant_id_sharing_grant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_department_id'], ['department.id'], name=op.f('fk_sharing_usage_owner_department_id_department')),
    sa.PrimaryKeyConstraint('grant_id', 'day', name=op.f('pk_sharing_usage'))
    )
    with op.batch_alter_table('sharing_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_usage_consumer_department_id'), ['consumer_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_usage_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_usage_owner_department_id'), ['owner_department_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sharing_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_usage_owner_department_id'))
        batch_op.drop_index(batch_op.f('ix_sharing_usage_day'))
        batch_op.drop_index(batch_op.f('ix_sharing_usage_consumer_department_id'))

    op.drop_table('sharing_usage')
    with op.batch_alter_table('sharing_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_grant_owner_department_id'))
        batch_op.drop_index('ix_sharing_grant_lookup')
        batch_op.drop_index(batch_op.f('ix_sharing_grant_dataset_id'))

    op.drop_table('sharing_grant')
    with op.batch_alter_table('sharing_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_request_state'))
        batch_op.drop_index(batch_op.f('ix_sharing_request_requester_id'))
        batch_op.drop_index(batch_op.f('ix_sharing_request_owner_department_id'))
        batch_op.drop_index(batch_op.f('ix_sharing_request_dataset_id'))
        batch_op.drop_index(batch_op.f('ix_sharing_request_consumer_department_id'))

    op.drop_table('sharing_request')
