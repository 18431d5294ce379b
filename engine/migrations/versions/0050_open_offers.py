"""open offers in task_candidate: the inbox of a clerk's groups without its ended tasks

- `task_candidate.offered`: the task is ready and nobody holds it (cleared when it ends or is
  claimed, set again when it is given back);
- `task_candidate.definition_key`, `due_at`, `created_at`: the task's, for the inbox filters and
  order;
- `ix_task_candidate_offered`: a partial index of the open offers only (bench/inbox_scale.py:
  a clerk's inbox no longer reads every task their groups ever had).

Revision ID: 0050
Revises: 0014
Create Date: 2026-12-03 13:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0050'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('definition_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE task_candidate SET "
        "offered = (SELECT task.state = 'ready' AND task.assignee IS NULL FROM task WHERE task.id = task_candidate.task_id), "
        "definition_key = (SELECT task.definition_key FROM task WHERE task.id = task_candidate.task_id), "
        "due_at = (SELECT task.due_at FROM task WHERE task.id = task_candidate.task_id), "
        "created_at = (SELECT task.created_at FROM task WHERE task.id = task_candidate.task_id)")
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_task_candidate_offered',
                              ['kind', 'name', 'due_at', 'created_at', 'task_id', 'definition_key'], unique=False,
                              sqlite_where=sa.text('offered'), postgresql_where=sa.text('offered'))


def downgrade() -> None:
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidate_offered', sqlite_where=sa.text('offered'),
                            postgresql_where=sa.text('offered'))
        batch_op.drop_column('created_at')
        batch_op.drop_column('due_at')
        batch_op.drop_column('definition_key')
        batch_op.drop_column('offered')
