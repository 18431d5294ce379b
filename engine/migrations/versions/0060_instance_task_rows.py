"""an instance's workflow state one row per task

- `instance_task` (instance_id, task_id) -> workflow, position, body: each task of the
  instance's workflow and subprocesses (engine/db/instance_tasks.py); `instance.state` keeps
  the header. A command writes the rows of the tasks it changed (issue 16).
- Existing instances keep their one-document state until their next command, which writes
  every row (runtime/workflow_state.py reads both).

Revision ID: 0060
Revises: 0040
Create Date: 2026-12-03 17:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0060'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'instance_task',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('workflow', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_instance_task_instance_id_instance')),
        sa.PrimaryKeyConstraint('instance_id', 'task_id', name=op.f('pk_instance_task')),
    )


def downgrade() -> None:
    op.drop_table('instance_task')
