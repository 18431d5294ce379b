"""attachments of task forms, access log

- `attachment`: files uploaded for filepicker fields (bytes in the row, or in
  DIWAN_ATTACHMENTS_DIR), with their sha256.
- `access_log`: who viewed which case's personal data (append-only).

Revision ID: 0045
Revises: 0050
Create Date: 2026-12-03 13:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0045'
down_revision = '0050'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('field', sa.String(length=255), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=150), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    )
    op.create_index('ix_attachment_instance_id', 'attachment', ['instance_id'])
    op.create_index('ix_attachment_task_id', 'attachment', ['task_id'])
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=150), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('view', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    op.create_index('ix_access_log_instance_id', 'access_log', ['instance_id'])
    op.create_index('ix_access_log_actor', 'access_log', ['actor'])
    op.create_index('ix_access_log_at', 'access_log', ['at'])


def downgrade() -> None:
    op.drop_table('access_log')
    op.drop_index('ix_attachment_task_id', table_name='attachment')
    op.drop_index('ix_attachment_instance_id', table_name='attachment')
    op.drop_table('attachment')
