"""The projection of a wide instance kept up to date task by task (issue 16: flat cost per command).

`WorkflowRun.project()` looks at every live task: with 10,000 open instances of a multi-
instance, each command paid for all of them. Once an instance has more than `WIDE` live tasks,
its run keeps each live task's contribution (ready task, timer, message, active elements) and,
at the next save, recomputes only the tasks the state journal says may have changed since the
last one (runtime/state_journal.py: created, removed, state changed, unsettled, marked). The
result equals `project()`'s: the same ready tasks, timers and messages, the ready tasks that
appeared in the order `project()` lists them (their places in their workflow's task dictionary:
the save writes them, and their audit events, in that order), the active elements in
`project()`'s order (each element by its first live task: a heap per element). With
DIWAN_STATE_CHECK=1 every instance is projected this way and compared with `project()`.
"""
from __future__ import annotations

import heapq
import os
from typing import TYPE_CHECKING

from SpiffWorkflow.util.task import TaskState

from . import state_journal
from .ids import id_text

if TYPE_CHECKING:  # pragma: no cover
    from .workflow_run import Projection, WorkflowRun

CHECK = os.environ.get("DIWAN_STATE_CHECK") == "1"
WIDE = -1 if CHECK else 128  # live tasks from which a run keeps its projection task by task
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class WideProjection:
    """One run's projection by task (built from a full `project()`, see the module docstring)."""

    def __init__(self, run: "WorkflowRun", projection: "Projection"):
        self.wf = run.wf
        self.projection = projection
        self.order: dict = {}  # task id -> (workflow's rank, place in its task dictionary)
        self.ranks: dict = {}  # subprocess id (None: the top workflow) -> rank
        self.next_place: dict = {}  # rank -> the place the next new task of that workflow gets
        self.elements: dict = {}  # task id -> its active elements
        self.heaps: dict[str, list] = {}  # element -> [(order, index, task id)], stale entries left in
        self.counts: dict[str, int] = {}  # element -> live tasks making it active
        for rank, (key, wf) in enumerate(self._workflows()):
            self.ranks[key] = rank
            for place, task_id in enumerate(wf.tasks):
                self.order[task_id] = (rank, place)
            self.next_place[rank] = len(wf.tasks)
        self.next_rank = len(self.ranks)
        for t in run._live(_LIVE):
            self._add_elements(t.id, run.contribution(t)[3])

    @classmethod
    def build(cls, run: "WorkflowRun", projection: "Projection") -> "WideProjection | None":
        """The run's wide projection, or None when the instance is not wide (project() is cheap)."""
        live = len(projection.ready) + len(projection.timers) + len(projection.messages)
        if live <= WIDE:
            return None
        return cls(run, projection)

    def follows(self, run: "WorkflowRun") -> bool:
        """Whether this projection is the run's last one and its journals tell every change since."""
        if self.wf is not run.wf or run.projection is not self.projection:
            return False
        return all(type(wf.tasks) is state_journal.TaskDict and not wf.tasks.full for _, wf in self._workflows())

    def update(self, run: "WorkflowRun") -> "Projection":
        from .workflow_run import Projection

        before = self.projection
        # The ready tasks are changed in place: a copy of 10,000 entries at each command was most
        # of its cost. The previous projection is not read again (a command that fails drops its
        # run, and with it this); the entries of the tasks that went are handed on (`gone_entries`).
        ready, timers, messages = before.ready, dict(before.timers), dict(before.messages)
        known_ranks = set(self.ranks)
        for key, wf in self._workflows():
            if key not in known_ranks:  # a new subprocess: its tasks are all in its journal
                self.ranks[key] = rank = self.next_rank
                self.next_rank += 1
                self.next_place[rank] = 0
        current = {key for key, _ in self._workflows()}
        for key in [k for k in self.ranks if k not in current]:
            del self.ranks[key]  # its tasks are in the journal's removed set, or were dropped with it
        touched: list = []
        for key, wf in self._workflows():
            tasks = wf.tasks
            rank = self.ranks[key]
            for task_id in tasks.changed:
                if task_id not in self.order and task_id in tasks:
                    place = self.next_place[rank]
                    self.order[task_id] = (rank, place)
                    self.next_place[rank] = place + 1
                touched.append((task_id, tasks))
            for task in state_journal.unsettled(wf):
                touched.append((task.id, tasks))
            for task_id in tasks.removed:
                touched.append((task_id, tasks))
        seen: set = set()
        appeared: list = []
        gone: list = []
        gone_entries: dict = {}
        for task_id, tasks in touched:
            if task_id in seen:
                continue
            seen.add(task_id)
            task = tasks.get(task_id)
            if task is not None and task._state & _LIVE:
                entry, timer, message, elements = run.contribution(task)
            else:
                entry = timer = message = None
                elements = ()
            tid = entry.id if entry is not None else id_text(task_id)
            if entry is not None:
                if tid not in ready:
                    appeared.append((self._place(task_id), tid))
                ready[tid] = entry
            else:
                old = ready.pop(tid, None)  # each task is seen once: what it held was ready before
                if old is not None:
                    gone.append((self._place(task_id), tid))
                    gone_entries[tid] = old
            if timer is not None:
                timers[timer[0]] = timer[1]
            else:
                timers.pop(tid, None)
            if message is not None:
                messages[message[0]] = message[1]
            else:
                messages.pop(tid, None)
            self._set_elements(task_id, tuple(elements))
            if task is None:
                self.order.pop(task_id, None)
        gone.sort()
        if appeared:  # ready tasks that appeared go in the order project() would list them
            appeared.sort()
            for _, tid in appeared:
                ready[tid] = ready.pop(tid)
        projection = Projection(ready, timers, messages, self._active(),
                                appeared=tuple(tid for _, tid in appeared), gone=tuple(tid for _, tid in gone),
                                gone_entries=gone_entries)
        self.projection = projection
        return projection

    def _place(self, task_id) -> tuple:
        return self.order.get(task_id, (1 << 30, 0))

    def _workflows(self):
        yield None, self.wf
        yield from self.wf.subprocesses.items()

    def _set_elements(self, task_id, elements: tuple) -> None:
        old = self.elements.get(task_id, ())
        if old == elements:
            return
        for element in old:
            self.counts[element] -= 1
            if not self.counts[element]:
                del self.counts[element]
                self.heaps.pop(element, None)
        if elements:
            self.elements[task_id] = elements
            self._add_elements(task_id, elements, record=False)
        else:
            self.elements.pop(task_id, None)

    def _add_elements(self, task_id, elements, record: bool = True) -> None:
        if not elements:
            return
        if record:
            self.elements[task_id] = tuple(elements)
        order = self._place(task_id)
        for index, element in enumerate(elements):
            self.counts[element] = self.counts.get(element, 0) + 1
            heapq.heappush(self.heaps.setdefault(element, []), (order, index, task_id))

    def _active(self) -> list[str]:
        firsts = []
        for element, heap in self.heaps.items():
            while heap:
                order, index, task_id = heap[0]
                current = self.elements.get(task_id, ())
                if element in current and self.order.get(task_id) == order:
                    break
                heapq.heappop(heap)  # an entry of a task that no longer makes it active
            firsts.append((heap[0][0], heap[0][1], element))
        firsts.sort()
        return [element for _, _, element in firsts]



def check(kept: "Projection", full: "Projection", before: dict | None) -> None:
    """Raise when the projection kept task by task is not `project()`'s (DIWAN_STATE_CHECK=1);
    `before`: a copy of the ready tasks before the update."""
    problems = []
    for name in ("ready", "timers", "messages"):
        if getattr(kept, name) != getattr(full, name):
            problems.append(f"{name}: kept {getattr(kept, name)!r}, full {getattr(full, name)!r}")
    if kept.active != full.active:
        problems.append(f"active: kept {kept.active}, full {full.active}")
    old = before if before is not None else {}
    if set(kept.gone_entries or ()) != set(kept.gone) or any(kept.gone_entries[t] != old.get(t) for t in kept.gone):
        problems.append(f"gone entries: {sorted(kept.gone_entries or ())} for {sorted(kept.gone)}")
    if list(kept.appeared) != [t for t in full.ready if t not in old]:
        problems.append(f"appeared: kept {kept.appeared}, full {[t for t in full.ready if t not in old]}")
    if sorted(kept.gone) != sorted(t for t in old if t not in full.ready):
        problems.append(f"gone: kept {kept.gone}, full {[t for t in old if t not in full.ready]}")
    if problems:
        raise AssertionError("wide projection differs from project(): " + "; ".join(problems))
