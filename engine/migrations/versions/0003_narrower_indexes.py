"""narrower indexes: the inbox's hold ready tasks only, the audit log's by actor the two
event types it is read for

Completing a task used to move its entry in three indexes that all began with `state`
(a delete and an insert in each). The inbox only ever asks for ready tasks, so its three
indexes (by assignee, by due date, by instance) are partial: ready tasks only. An ended
task leaves them, and history never grows them (a loop instance's thousands of ended
tasks included).

The audit log by actor is read for one question (did this user claim or complete a task
of the instance?): it indexes `task_claimed` and `task_completed` events only, instead of
every event a command appends.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

READY = sa.text("state = 'ready'")
WORKED_ON = sa.text("audit_event.type IN ('task_claimed', 'task_completed')")


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_state_assignee')
        batch_op.drop_index('ix_task_state_due')
        batch_op.drop_index('ix_task_instance')
        batch_op.create_index('ix_task_ready_assignee', ['assignee'], unique=False,
                              sqlite_where=READY, postgresql_where=READY)
        batch_op.create_index('ix_task_ready_due', ['due_at'], unique=False,
                              sqlite_where=READY, postgresql_where=READY)
        batch_op.create_index('ix_task_ready_instance', ['instance_id'], unique=False,
                              sqlite_where=READY, postgresql_where=READY)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_actor')
        batch_op.create_index('ix_audit_event_actor', ['actor', 'type'], unique=False,
                              sqlite_where=WORKED_ON, postgresql_where=WORKED_ON)


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_actor')
        batch_op.create_index('ix_audit_event_actor', ['actor', 'type'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_ready_instance')
        batch_op.drop_index('ix_task_ready_due')
        batch_op.drop_index('ix_task_ready_assignee')
        batch_op.create_index('ix_task_instance', ['instance_id', 'state'], unique=False)
        batch_op.create_index('ix_task_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_task_state_assignee', ['state', 'assignee'], unique=False)
