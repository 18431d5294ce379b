"""an instance's workflow state one row per task

- `instance_task` (instance_id, task_id) -> workflow, position, body: each task of the
  instance's workflow and subprocesses (engine/db/instance_tasks.py); `instance.state` keeps
  the header. A command writes the rows of the tasks it changed (issue 16).
- Existing instances keep their one-document state until their next command, which writes
  every row (runtime/workflow_state.py reads both). A downgrade puts the rows back into one
  document per instance (the rows hold each task's own data: SpiffWorkflow reads that format).

Revision ID: 0060
Revises: 0040
Create Date: 2026-12-03 17:45:00
"""
import json

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
    conn = op.get_bind()
    split = [r for r in conn.execute(sa.text("SELECT id, state FROM instance"))
             if json.loads(r.state).get("format", "").startswith("diwan-state-2/")]
    for row in split:
        state = json.loads(row.state)
        by_workflow: dict = {}
        for task in conn.execute(sa.text("SELECT workflow, position, body FROM instance_task "
                                         "WHERE instance_id = :i ORDER BY position"), {"i": row.id}):
            body = json.loads(task.body)
            by_workflow.setdefault(task.workflow, {})[body["id"]] = body
        state["tasks"] = by_workflow.pop("", {})
        for key, sub in state["subprocesses"].items():
            sub["tasks"] = by_workflow.pop(key, {})
        state["format"] = "diwan-state-1/" + state["format"].split("/", 1)[1]
        conn.execute(sa.text("UPDATE instance SET state = :s WHERE id = :i"),
                     {"s": json.dumps(state, separators=(",", ":")), "i": row.id})
    op.drop_table('instance_task')
