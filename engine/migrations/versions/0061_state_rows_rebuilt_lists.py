"""task rows without child lists, merged instances and the workflow's data (state format 3)

- A row of `instance_task` no longer holds its task's child list, nor a multi-instance task's
  list of merged instances: both are rebuilt when the state is read, from the children's
  `parent` (in position order) and `merged_at` (runtime/workflow_state.py, `_tasks_of`). The
  top workflow's data is a row of its own (task_id and workflow `~data`), written only when
  it changed. A multi-instance task waiting for 10,000 instances no longer rewrites 400 KB at
  each of their completions (issue 16).
- Upgrade: nothing to do. Format-2 headers and rows are read as they are; the next command of
  such an instance writes format 3.
- Downgrade: format-3 states are put back into format 2 (lists in the rows, data in the
  header), which migration 0060's downgrade can fold into one document.

Revision ID: 0061
Revises: 0041
Create Date: 2026-12-04 19:30:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0061'
down_revision = '0041'
branch_labels = None
depends_on = None

MERGED_IN_CHILDREN = "diwan:merged-in-children"
DATA_ROW = "~data"


def upgrade() -> None:
    pass


def downgrade() -> None:
    conn = op.get_bind()
    rows = [r for r in conn.execute(sa.text("SELECT id, state FROM instance"))
            if json.loads(r.state).get("format", "").startswith("diwan-state-3/")]
    for row in rows:
        header = json.loads(row.state)
        tasks = list(conn.execute(sa.text("SELECT task_id, workflow, position, body FROM instance_task "
                                          "WHERE instance_id = :i ORDER BY position"), {"i": row.id}))
        bodies = {}
        for task in tasks:
            if task.workflow == DATA_ROW:
                header["data"] = json.loads(task.body)
            else:
                bodies[task.task_id] = json.loads(task.body)
        merged, rebuilt = {}, set()
        for body in bodies.values():
            if "children" not in body:  # rows a command wrote after 0061 (a format-2 row keeps its list)
                body["children"] = []
                rebuilt.add(body["id"])
            if body["internal_data"].get("merged") == MERGED_IN_CHILDREN:
                merged[body["id"]] = []
        for task in tasks:  # position order
            body = bodies.get(task.task_id)
            if body is None:
                continue
            if body["parent"] in rebuilt:
                bodies[body["parent"]]["children"].append(body["id"])
            at = body.pop("merged_at", None)
            if at is not None and body["parent"] in merged:
                merged[body["parent"]].append((at, body["id"]))
        for task_id, entries in merged.items():
            bodies[task_id]["internal_data"]["merged"] = [i for _, i in sorted(entries)]
        for task_id, body in bodies.items():
            conn.execute(sa.text("UPDATE instance_task SET body = :b WHERE instance_id = :i AND task_id = :t"),
                         {"b": json.dumps(body, separators=(",", ":")), "i": row.id, "t": task_id})
        conn.execute(sa.text("DELETE FROM instance_task WHERE instance_id = :i AND workflow = :w"),
                     {"i": row.id, "w": DATA_ROW})
        header["format"] = "diwan-state-2/" + header["format"].split("/", 1)[1]
        conn.execute(sa.text("UPDATE instance SET state = :s WHERE id = :i"),
                     {"s": json.dumps(header, separators=(",", ":")), "i": row.id})
