"""a multi-instance task's item on its inbox row

- `task.mi_item`: JSON `{"variable", "index", "value"}`, the item a multi-instance activity gave
  the task (the element variable's value: a consulate, a child), so that the inbox and the task
  page tell the instances apart. Null for other tasks and for rows written before.

Revision ID: 0041
Revises: 0060
Create Date: 2026-12-03 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0041'
down_revision = '0060'  # 0040 when written; main's 0060 came first: 0040 -> 0060 -> 0041
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mi_item', sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table: dropping the old `task`
    # table of a batch copy would cascade to its `task_candidate` rows.
    with op.batch_alter_table('task', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('mi_item')
