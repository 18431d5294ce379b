"""Which tasks of a workflow changed since its state was last written (issue 16: flat cost per command).

A wide case (a multi-instance over 10,000 items) holds 10,000 open tasks; a command changes a
handful of them. Writing the whole task tree back each time made every command cost the case's
width. The instance's state is stored one row per task (engine/db/instance_tasks.py), and a
command writes the rows of the tasks it may have changed:

- tasks created or removed (the task dictionary is a `TaskDict`, which records both), and the
  parents whose child lists that changed;
- tasks whose state changed (`DiwanTask._set_state`), and their parents (a multi-instance task
  merges its instances' results when they end; a join counts its inputs);
- every task in an unsettled state: waiting, started, in error, or ready and not a user task
  (timers, joins, event catches and external tasks change their internal data while they stay
  in that state);
- what the engine marks itself (`mark`), where it edits a task that keeps its state.

Not written again: finished and predicted tasks, and user tasks waiting for a person, that
nothing touched. With `DIWAN_STATE_CHECK=1` (the test suite sets it) every write is compared
with a full dump of the tree, task by task (runtime/workflow_state.py, `check_rows`): a change
this journal misses fails the test that makes it.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

# States whose tasks are rewritten at every save (see the module docstring); READY user
# tasks are the exception `unsettled` makes by their spec.
UNSETTLED = TaskState.WAITING | TaskState.STARTED | TaskState.ERROR | TaskState.READY
_MISSING = object()


class TaskDict(dict):
    """A workflow's task dictionary that remembers the ids set and popped since `reset`."""

    __slots__ = ("changed", "removed", "full")

    def popitem(self):  # pragma: no cover - SpiffWorkflow never calls it
        raise TypeError("a workflow's tasks are removed by id")

    def clear(self) -> None:
        self.removed.update(self)
        self.changed = {}
        super().clear()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.changed: dict = {}  # an ordered set: new tasks in the order they were created
        self.removed: set = set()
        self.full = False  # everything is to be written (a new workflow, a restored or migrated one)

    def __setitem__(self, key, task) -> None:
        # Task.__init__ sets it before the task knows its parent: DiwanTask marks the parent.
        super().__setitem__(key, task)
        self.changed[key] = None
        self.removed.discard(key)

    def pop(self, key, default=_MISSING):
        if key in self:
            task = super().pop(key)
            self._gone(key, task)
            return task
        if default is _MISSING:
            raise KeyError(key)
        return default

    def __delitem__(self, key) -> None:
        task = self[key]
        super().__delitem__(key)
        self._gone(key, task)

    def _gone(self, key, task) -> None:
        self.changed.pop(key, None)
        self.removed.add(key)
        parent = getattr(task, "_parent", None)
        if parent is not None and parent in self:
            self.changed[parent] = None

    def reset(self) -> None:
        self.changed = {}
        self.removed = set()
        self.full = False


def journal(workflow) -> TaskDict:
    """The workflow's task dictionary as a `TaskDict` (one is put in place when it is not)."""
    tasks = workflow.tasks
    if type(tasks) is not TaskDict:
        tasks = workflow.tasks = TaskDict(tasks)
        tasks.full = True  # nothing is known of what was written before
    return tasks


def mark(task) -> None:
    """Write `task` at the next save (the engine changed it without changing its state)."""
    tasks = task.workflow.tasks
    if type(tasks) is TaskDict:
        tasks.changed[task.id] = None


def state_changed(task) -> None:
    """`task` changed state: write it and its parent."""
    tasks = task.workflow.tasks
    if type(tasks) is TaskDict:
        changed = tasks.changed
        changed[task.id] = None
        if task._parent is not None:
            changed[task._parent] = None


def to_write(workflow) -> tuple[list, set] | None:
    """(tasks to write, ids to delete) since the last `written`, or None: write every task."""
    tasks = workflow.tasks
    if type(tasks) is not TaskDict or tasks.full:
        return None
    ids = dict(tasks.changed)  # new tasks first-marked in creation order: their positions follow it
    for task in unsettled(workflow):
        ids[task.id] = None
    out = [t for i in ids if (t := tasks.get(i)) is not None]
    return out, set(tasks.removed)


def unsettled(workflow):
    """The workflow's tasks in an unsettled state (see the module docstring).

    Kept as a set of ids that `entered` adds to whenever a task enters such a state (pruned
    here), built by one scan the first time a workflow is asked in this process."""
    tasks = workflow.tasks
    found = workflow.__dict__.get("_diwan_unsettled")
    if found is None:  # restored in this process: one scan, then kept up to date
        found = workflow.__dict__["_diwan_unsettled"] = {i for i, t in tasks.items() if is_unsettled(t)}
    out = []
    dropped = 0
    for task_id in list(found):
        task = tasks.get(task_id)
        if task is None or not is_unsettled(task):
            found.discard(task_id)
            dropped += 1
        else:
            out.append(task)
    if dropped > 32 and dropped > len(found):
        # A set keeps its table when entries go: after 10,000 instances left, iterating the
        # one task still unsettled would walk 10,000 empty slots at each call.
        workflow.__dict__["_diwan_unsettled"] = set(found)
    return out


def automatic_ready(top) -> bool | None:
    """Whether a task of the instance (its top workflow or a subprocess) is READY and not a user
    task: what the engine steps would run. Answered from the unsettled tasks, not a tree walk;
    None (unknown: walk the tree) for a workflow whose task dictionary keeps no journal (a
    state restored from one document, before its first save; not the engine's classes)."""
    for wf in (top, *top.subprocesses.values()):
        if type(wf.tasks) is not TaskDict:
            return None
        for task in unsettled(wf):
            if task._state == TaskState.READY:
                return True
    return False


def entered(task, state: int) -> None:
    """`task` entered `state`: remember it when it is unsettled (called by `DiwanTask`)."""
    if state & UNSETTLED:
        found = task.workflow.__dict__.get("_diwan_unsettled")
        if found is not None:
            found.add(task.id)


def is_unsettled(task) -> bool:
    """Whether the task is rewritten at every save (see the module docstring)."""
    state = task._state
    return bool(state & UNSETTLED) and not (state == TaskState.READY and task.task_spec.manual)


def written(workflow) -> None:
    """The workflow's tasks are stored as they are now."""
    journal(workflow).reset()
