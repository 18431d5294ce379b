"""Keeping stored state bounded: prune the finished part of the task tree between commands.

SpiffWorkflow's task tree grows with every loop iteration (notes §5, §6.1). The audit
log is the history, so the tree only needs what the running part can still consult:
the lowest common ancestor of every unfinished task, everything below it, and a few
ancestors above it (a task's parent and a boundary split are read at run time). All
else is finished, and joins, boundary events and inclusive gateways only look at tasks
below that ancestor (they sit between a split and its join), so removing it is safe.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from . import state_journal

KEEP_ANCESTORS = 3
# Pruning looks at every unfinished task: a tree of more than SMALL tasks is pruned when it grew
# by an eighth since it was last pruned, so a wide case whose commands add no task does not pay
# it each time; a smaller tree (a loop's) is pruned at every command, as before.
SMALL = 256


def compact(workflow) -> int:
    """Prune the top workflow and its subprocesses once they grew (see GROWTH); returns the
    number of tasks removed."""
    size = len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())
    last = workflow.__dict__.get("_diwan_compacted_at")
    if last is not None and size > SMALL and size <= last + last // 8:
        return 0
    removed = _compact(workflow)
    workflow.__dict__["_diwan_compacted_at"] = size - removed
    return removed


def _compact(workflow) -> int:
    removed = _compact_tree(workflow)
    for sub in list(workflow.subprocesses.values()):
        removed += _compact_tree(sub)
    # Completed subprocesses whose calling task is gone are no longer reachable. (A lookup
    # by id would raise TaskNotFoundException for them, so test the task dictionaries.)
    if not workflow.subprocesses:
        return removed
    known = set(workflow.tasks)
    for sub in workflow.subprocesses.values():
        known.update(sub.tasks)
    for task_id in [i for i in workflow.subprocesses if i not in known]:
        workflow.subprocesses.pop(task_id, None)
    return removed


def _compact_tree(wf) -> int:
    root, tasks = wf.task_tree, wf.tasks
    live = [t for t in tasks.values() if not t._state & TaskState.FINISHED_MASK]
    if not live:
        return 0
    lca_path = _path(live[0])
    depth_of = {id(t): i for i, t in enumerate(lca_path)}
    n = len(lca_path)  # lca_path[:n] is the common ancestry so far
    for task in live[1:]:
        # Up from the task to the deepest node still in the common ancestry.
        t = task
        while t is not None and depth_of.get(id(t), n) >= n:
            t = tasks.get(t._parent)
        n = depth_of[id(t)] + 1 if t is not None else 0
        if n == 0:
            return 0
    lca_path = lca_path[:n]
    # lca_path = [root, ..., lca]; keep root, the lca and KEEP_ANCESTORS above it.
    cut = len(lca_path) - 1 - KEEP_ANCESTORS
    if cut <= 1:
        return 0
    keep_from = lca_path[cut]
    doomed = []
    for ancestor in lca_path[1:cut]:
        doomed.append(ancestor)
    # Every finished sibling subtree hanging off the removed ancestors goes too.
    stack = [c for a in lca_path[:cut] for c in a.children if c not in lca_path]
    while stack:
        t = stack.pop()
        doomed.append(t)
        stack.extend(t.children)
    for t in doomed:
        wf.tasks.pop(t.id, None)
        manager = getattr(getattr(wf, "top_workflow", wf), "event_manager", None)
        if manager is not None:
            manager.remove_task(t)
    root.children = [keep_from]
    keep_from.parent = root
    state_journal.mark(root)
    state_journal.mark(keep_from)
    return len(doomed)


def _path(task) -> list:
    """The task's ancestry, from the root down to the task."""
    tasks, path = task.workflow.tasks, []
    while task is not None:
        path.append(task)
        task = tasks.get(task._parent)
    path.reverse()
    return path
