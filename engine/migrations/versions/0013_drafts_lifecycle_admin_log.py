"""designers' lifecycle: drafts, withdrawn processes and their starter groups, the admin log

- `definition_draft`: one unpublished draft per (kind, key), saved by revision.
- `definition_state`: a process withdrawn (no new starts) and which groups may start it.
- `admin_event`: the hash-chained log of what designers and admins do outside instances.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:00:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'definition_draft',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=500), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=150), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('saved_by', sa.String(length=150), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_draft')),
        sa.UniqueConstraint('kind', 'key', name=op.f('uq_definition_draft_kind_key')),
    )
    op.create_table(
        'definition_state',
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=150), nullable=True),
        sa.Column('withdraw_reason', sa.String(length=2000), nullable=True),
        sa.Column('starter_groups', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_definition_state')),
    )
    op.create_table(
        'admin_event',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('actor', sa.String(length=150), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_admin_event')),
    )
    with op.batch_alter_table('admin_event', schema=None) as batch_op:
        batch_op.create_index('ix_admin_event_subject', ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_event', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_event_subject')
    op.drop_table('admin_event')
    op.drop_table('definition_state')
    op.drop_table('definition_draft')
