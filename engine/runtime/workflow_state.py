"""Storing a workflow's state without its spec (notes §3.2), one serializer per thread."""
from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from types import ModuleType
from datetime import date
from decimal import Decimal
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_STATE_VERSION
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter

from . import state_journal
from .fast_workflow import DiwanSubWorkflow, DiwanTask, DiwanWorkflow
from .ids import TEXTS as _ID_TEXTS
from .ids import id_text
from .service_task import ConnectorServiceTask
from .token_join import TokenJoin
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

from .timer_events import EngineCycle, EngineDuration, EngineTimeDate, FirstEventWins


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Serializes the task tree, data and subprocesses, but not the spec (kept in the cache).

    `to_dict` writes exactly the dictionaries SpiffWorkflow's own converters write (so its
    `from_dict` reads them back), in one pass over the tasks: SpiffWorkflow's registry walk
    costs more than a whole engine step on the command path. Values in task and workflow
    data are left as they are; `dump` encodes them with orjson, which calls the registry
    only for the types JSON has no form for (Decimal, datetime, ...).
    """

    def to_dict(self, workflow):
        dct = _workflow_dict(workflow)
        dct["subprocesses"] = {str(k): {**_workflow_dict(sub), **_subprocess_of(sub)}
                               for k, sub in workflow.subprocesses.items()}
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        wf = DiwanWorkflow(spec, subprocess_specs or {}, deserializing=True)
        wf.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=wf)
        wf.task_tree = wf.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(wf, dct)
        self.subprocesses_from_dict(dct["subprocesses"], wf)
        wf.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return wf


class DiwanTaskConverter(TaskConverter):
    """Restores a stored `Task` as the engine's task class (and stores it under `Task`)."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(DiwanTask, registry, "Task")


class DiwanSubWorkflowConverter(BpmnSubWorkflowConverter):
    """Restores a stored `BpmnSubWorkflow` as the engine's subprocess class."""

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = DiwanSubWorkflow(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


_NO_CHANGE = {"updates": {}, "deletions": []}  # only ever encoded, never changed


def _workflow_dict(wf) -> dict:
    """WorkflowConverter.to_dict + TaskConverter.to_dict (SpiffWorkflow 3.2's format) in one pass."""
    tasks = wf.tasks
    known = _ID_TEXTS.get  # ids written before (most of them): no call into ids.py
    out = {}
    for task_id, task in tasks.items():
        parent_id = task._parent
        parent = tasks.get(parent_id) if parent_id is not None else None
        if parent is None:
            data, delta = task.data, {}
        else:
            data, child, parent_data = {}, task.data, parent.data
            if child == parent_data:  # the usual case: one comparison in C
                delta = _NO_CHANGE
            else:
                delta = {"updates": {k: v for k, v in child.items() if k not in parent_data or v != parent_data[k]},
                         "deletions": [k for k in parent_data if k not in child]}
        sid = known(task_id.int) or id_text(task_id)
        out[sid] = _task_dict(task, sid, parent is not None, data, delta, known,
                              [known(c.int) or id_text(c) for c in task._children])
    return {**_header_dict(wf), "tasks": out}


def _task_dict(task, sid: str, has_parent: bool, data: dict, delta: dict, known, children: list[str] | None,
               internal: dict | None = None) -> dict:
    """SpiffWorkflow's dictionary of a task; without `children` when None (a row: see `_tasks_of`);
    `internal`: what to write as its internal data (default: the task's)."""
    parent_id = task._parent
    if internal is None:
        internal = task.internal_data
    dct = {
        "typename": "Task",
        "id": sid,
        "parent": (known(parent_id.int) or id_text(parent_id)) if has_parent else None,
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": internal if not internal or _plain(internal) else _convert(internal),
        "data": data,
        "delta": delta,
    }
    if children is not None:
        dct["children"] = children
    return dct


def _subprocess_of(sub) -> dict:
    """What a subprocess's dictionary says of its place (SpiffWorkflow's BpmnSubWorkflowConverter)."""
    return {"parent_task_id": str(sub.parent_task_id), "spec": sub.spec.name, "typename": "BpmnSubWorkflow"}


def _data_of(wf) -> dict:
    return {k: v for k, v in wf.data.items() if not callable(v) and not isinstance(v, ModuleType)}


def _header_dict(wf) -> dict:
    return {
        "data": _data_of(wf),
        "correlations": wf.correlations,
        "last_task": id_text(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": id_text(wf.task_tree.id),
    }


_PLAIN = (str, int, bool, float, type(None))


def _plain(internal: dict) -> bool:
    """Whether internal data holds only JSON scalars (a multi-instance instance's index, say):
    the registry would return it unchanged, after a walk that cost more than the rest of the task."""
    for value in internal.values():
        if type(value) not in _PLAIN:
            return False
    return True


def _convert(value):
    return _serializer().registry.convert(value)


def _config():
    config = copy.deepcopy(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = StateOnlyWorkflowConverter
    config[BpmnSubWorkflow] = DiwanSubWorkflowConverter
    config[Task] = DiwanTaskConverter
    config[ConnectorServiceTask] = BpmnTaskSpecConverter
    config[TokenJoin] = BpmnTaskSpecConverter
    for cls in (EngineTimeDate, EngineDuration, EngineCycle):
        config[cls] = TimerConditionalEventDefinitionConverter
    config[FirstEventWins] = config[MultipleEventDefinition]
    # Plain BPMN messages (our parser's): the Camunda config drops their converter.
    config[MessageEventDefinition] = DEFAULT_CONFIG[MessageEventDefinition]
    return config


_CONFIG = _config()
_local = threading.local()
STATE_FORMAT = "diwan-state-1/" + SPIFF_STATE_VERSION


def _serializer() -> BpmnWorkflowSerializer:
    s = getattr(_local, "serializer", None)
    if s is None:
        registry = BpmnWorkflowSerializer.configure(_CONFIG)
        registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
        registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
        # The engine's classes are stored under SpiffWorkflow's names (the format stays its own).
        registry.typenames[DiwanWorkflow] = registry.typenames[BpmnWorkflow]
        registry.typenames[DiwanSubWorkflow] = registry.typenames[BpmnSubWorkflow]
        s = _local.serializer = BpmnWorkflowSerializer(registry)
    return s


def dump(workflow) -> bytes:
    """The workflow's state as JSON bytes (no spec)."""
    dct = _serializer().to_dict(workflow)
    dct["format"] = STATE_FORMAT
    return encode(dct)


def encode(dct: dict) -> bytes:
    """JSON bytes of a state dictionary; values JSON has no form for go through the registry."""
    registry = _serializer().registry

    def default(obj):
        converted = registry.convert(obj)
        if converted is obj:
            raise TypeError(f"a value of type {type(obj).__name__} cannot be stored in an instance")
        return converted

    return orjson.dumps(dct, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS)


def load(blob: bytes | str | dict, spec, subprocess_specs):
    """Restore a workflow from `dump` output onto the cached spec (the script engine is not set)."""
    s = _serializer()
    dct = orjson.loads(blob) if isinstance(blob, (bytes, str)) else blob
    fmt = dct.pop("format", None)
    if fmt != STATE_FORMAT:
        raise ValueError(f"stored state format {fmt!r} is not {STATE_FORMAT!r}: migrate it first")
    return s.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)


def to_json_value(value):
    """orjson default for variables: registered types as their plain JSON form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def stored_variables(blob: bytes | str) -> dict | None:
    """The instance variables kept in a stored state, with their types (None when it holds none)."""
    variables = orjson.loads(blob).get("data", {}).get("variables")
    return None if variables is None else _serializer().registry.restore(variables)


def typed(value):
    """A value as JSON that keeps its type (decimals and dates as the state stores them)."""
    return _serializer().registry.convert(value)


def untyped(value):
    """The value `typed` encoded."""
    return _serializer().registry.restore(value)


# -- Stored one row per task (engine/db/instance_tasks.py; runtime/state_journal.py) ----------------
# The header; the tasks are rows. Format 2 (2026-12-03) kept child lists, merged instances and
# the top workflow's data in the rows and header; 3 rebuilds them (`_tasks_of`, DATA_ROW).
SPLIT_FORMAT = "diwan-state-3/" + SPIFF_STATE_VERSION
SPLIT_FORMATS = ("diwan-state-2/" + SPIFF_STATE_VERSION, SPLIT_FORMAT)
TOP = ""  # the `workflow` of the top workflow's task rows
# The top workflow's data (the instance's variables) as a row of its own: a command that leaves
# the variables as they were does not write them again (a wide case's collection is large).
DATA_ROW = "~data"  # its task_id and workflow


@dataclass
class StateWrite:
    """What one save writes: the header (instance.state) and the task rows that changed."""

    header: str
    upserts: list[dict]  # task_id, workflow, position, body
    deletes: list[str]
    dropped_workflows: list[str]
    replace_all: bool


# A multi-instance task's `merged` (the ids of its instances in the order they ended) as its row
# stores it: each merged instance's row says where it stands (`merged_at`), `_tasks_of` rebuilds it.
MERGED_IN_CHILDREN = "diwan:merged-in-children"


def _row_body(task, sid: str, known, tasks) -> dict:
    """A task's row. It keeps the task's own data (no delta: its parent's data may change after it
    is written), and neither its child list nor its merged instances: a multi-instance task has
    thousands of children and is written at each of their completions, so both lists would make
    every command cost the case's width; `_tasks_of` rebuilds them from the children's rows."""
    internal = task.internal_data
    if type(internal.get("merged")) is list and not task._state & TaskState.FINISHED_MASK:
        # Once the multi-instance task ends its list no longer changes, and its instances may be
        # pruned (runtime/compaction.py): its last row keeps the list itself.
        internal = {**internal, "merged": MERGED_IN_CHILDREN}
    body = _task_dict(task, sid, task._parent is not None, task.data, {}, known, None, internal)
    parent = tasks.get(task._parent) if task._parent is not None else None
    if parent is not None:
        at = _merged_index(parent).get(sid)
        if at is not None:
            body["merged_at"] = at
    return body


def _merged_index(task) -> dict:
    """{instance id: its place in the task's `merged` list} (empty when it has none), kept while
    the list only grows (SpiffWorkflow appends to it, or starts it again as a new list)."""
    merged = task.internal_data.get("merged")
    if type(merged) is not list or not merged:
        return {}
    cached = task.__dict__.get("_diwan_merged_index")
    if cached is None or cached[0] is not merged or len(merged) < len(cached[1]) \
            or (cached[1] and merged[len(cached[1]) - 1] != cached[2]):
        cached = task.__dict__["_diwan_merged_index"] = [merged, {}, None]
    index = cached[1]
    for i in range(len(index), len(merged)):
        index[merged[i]] = i
    cached[2] = merged[-1]
    return index


def header(workflow) -> dict:
    """The workflow's state without its tasks and data (their rows hold them)."""
    dct = _header_dict(workflow)
    del dct["data"]  # DATA_ROW
    dct["subprocesses"] = {str(k): {**_header_dict(sub), **_subprocess_of(sub)}
                           for k, sub in workflow.subprocesses.items()}
    dct["bpmn_events"] = _serializer().registry.convert(workflow.bpmn_events)
    dct["typename"] = "BpmnWorkflow"
    dct["format"] = SPLIT_FORMAT
    return dct


# Tasks from which a state is stored as rows; a smaller one is one document in instance.state
# (one UPDATE: most instances, whose every command would otherwise write several rows).
ROWS_FROM = 64


def changes(workflow, *, new: bool) -> StateWrite:
    """The header and the task rows to write since the workflow was last stored (`stored`)."""
    known = _ID_TEXTS.get
    meta = workflow.__dict__
    in_rows = meta.get("_diwan_in_rows", False)
    size = len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())
    if size < ROWS_FROM:
        for wf in (workflow, *workflow.subprocesses.values()):
            state_journal.journal(wf)
        meta["_diwan_in_rows"] = False
        # The rows written while it was wider, if any, go.
        return StateWrite(dump(workflow).decode(), [], [], [], replace_all=in_rows and not new)
    meta["_diwan_in_rows"] = True
    position = meta.get("_diwan_next_position", 0)
    stored_subs = meta.get("_diwan_stored_subs", set())
    replace_all = new or not in_rows or state_journal.journal(workflow).full
    upserts: list[dict] = []
    deletes: list[str] = []
    rewritten: list[str] = []  # subprocesses whose rows are all written again
    for key, wf in ((TOP, workflow), *((id_text(k), sub) for k, sub in workflow.subprocesses.items())):
        tasks = state_journal.journal(wf)
        plan = None if replace_all else state_journal.to_write(wf)
        # The rows of unsettled tasks as last written: they are chosen at every save, most
        # often unchanged (a multi-instance task waiting for its 10,000 instances).
        last = wf.__dict__.setdefault("_diwan_bodies", {})
        if plan is None:
            if not replace_all and key in stored_subs:  # its rows are replaced
                rewritten.append(key)
            chosen, gone = list(tasks.values()), ()
            last.clear()
        else:
            chosen, gone = plan
        for task in chosen:
            sid = known(task.id.int) or id_text(task.id)
            body = _encode_body(_row_body(task, sid, known, tasks))
            if state_journal.is_unsettled(task):
                if plan is not None and last.get(sid) == body:
                    continue
                last[sid] = body
            else:
                last.pop(sid, None)
            upserts.append({"task_id": sid, "workflow": key, "position": position, "body": body})
            position += 1
        for i in gone:
            sid = known(i.int) or id_text(i)
            deletes.append(sid)
            last.pop(sid, None)
    data = encode(_data_of(workflow)).decode()
    if replace_all or meta.get("_diwan_data_body") != data:
        upserts.append({"task_id": DATA_ROW, "workflow": DATA_ROW, "position": -1, "body": data})
        meta["_diwan_data_body"] = data
    current = {id_text(k) for k in workflow.subprocesses}
    dropped = [] if replace_all else sorted(stored_subs - current) + rewritten
    meta["_diwan_next_position"] = position
    return StateWrite(encode(header(workflow)).decode(), upserts, deletes, dropped, replace_all)


def stored(workflow) -> None:
    """The workflow is stored as it is now: its journals start again."""
    state_journal.written(workflow)
    for sub in workflow.subprocesses.values():
        state_journal.written(sub)
    workflow.__dict__["_diwan_stored_subs"] = {id_text(k) for k in workflow.subprocesses}


def _encode_body(dct: dict) -> str:
    return encode(dct).decode()


def assemble(header_text: bytes | str, rows) -> dict:
    """The whole state as one dictionary (the format `load` reads) from a header and its task rows.

    A header in the older one-document format already holds its tasks (`rows` is then empty)."""
    dct = orjson.loads(header_text)
    fmt = dct.get("format")
    if fmt == STATE_FORMAT:
        return dct
    if fmt not in SPLIT_FORMATS:
        raise ValueError(f"stored state format {fmt!r} is not {SPLIT_FORMAT!r}: migrate it first")
    by_workflow = _by_workflow(rows)
    data_rows = by_workflow.pop(DATA_ROW, [])
    if "data" not in dct:
        if len(data_rows) != 1:
            raise ValueError("the stored state has no row for its data")
        dct["data"] = orjson.loads(data_rows[0][1])
    dct["tasks"] = _tasks_of(by_workflow.pop(TOP, []))
    for key, sub in dct["subprocesses"].items():
        sub["tasks"] = _tasks_of(by_workflow.pop(key, []))
    dct["format"] = STATE_FORMAT
    if fmt == SPLIT_FORMAT:  # a format-2 state is rewritten whole at its next save (`restore`)
        dct["_next_position"] = 1 + max((r.position for r in rows), default=-1)
    return dct


def _by_workflow(rows) -> dict[str, list]:
    """The task rows as (position, body) lists by workflow ('' for the top one)."""
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.workflow, []).append((row.position, row.body))
    return out


def _tasks_of(entries: list) -> dict:
    """A workflow's task dictionaries from its rows, in position order, with their child lists.

    A task's children are the tasks whose row names it as parent, in position order: the order
    SpiffWorkflow keeps them in, since it only appends a new child (`Task._add_child`) or removes
    one, and positions follow creation (compaction's re-rooting leaves the root one child).
    Rows written before child lists were left out (diwan-state-2 from 2026-12-03) keep theirs."""
    entries.sort(key=lambda e: e[0])
    out = {}
    rebuilt = set()
    merged: dict[str, list] = {}
    for _, body in entries:
        task = orjson.loads(body)
        sid = task["id"]
        out[sid] = task
        if "children" not in task:
            task["children"] = []
            rebuilt.add(sid)
        if task["internal_data"].get("merged") == MERGED_IN_CHILDREN:
            merged[sid] = []
    if rebuilt or merged:
        for sid, task in out.items():
            parent_id = task["parent"]
            if parent_id in rebuilt:
                out[parent_id]["children"].append(sid)
            at = task.pop("merged_at", None)
            if at is not None and parent_id in merged:  # (a parent that ended keeps its own list)
                merged[parent_id].append((at, sid))
        for sid, entries_ in merged.items():
            entries_.sort()
            if [at for at, _ in entries_] != list(range(len(entries_))):
                raise ValueError(f"stored task {sid}: its merged instances are not numbered 0..{len(entries_) - 1}")
            out[sid]["internal_data"]["merged"] = [i for _, i in entries_]
    return out


def restore(header_text: bytes | str, rows, spec, subprocess_specs):
    """Restore a workflow from its stored header and task rows (the script engine is not set)."""
    dct = assemble(header_text, rows)
    split = "_next_position" in dct
    next_position = dct.pop("_next_position", 0)
    wf = load(dct, spec, subprocess_specs)
    # The stored state is the tasks as they are now: the journals start empty.
    wf.tasks = state_journal.TaskDict(wf.tasks)
    for sub in wf.subprocesses.values():
        sub.tasks = state_journal.TaskDict(sub.tasks)
    if split:
        wf.__dict__["_diwan_next_position"] = next_position
        wf.__dict__["_diwan_stored_subs"] = {id_text(k) for k in wf.subprocesses}
        wf.__dict__["_diwan_in_rows"] = True
        _remember_rows(wf, rows)
    # else (a one-document or format-2 state): its next save writes every row (`changes`): a
    # merged list rebuilt from `merged_at` needs every merged instance's row to carry it.
    return wf


def _remember_rows(wf, rows) -> None:
    """Seed what `changes` compares with: the data row and the rows of unsettled tasks as stored."""
    texts = {}
    for row in rows:
        if row.workflow == DATA_ROW:
            wf.__dict__["_diwan_data_body"] = row.body
        else:
            texts[row.task_id] = row.body
    for key, w in ((TOP, wf), *((id_text(k), sub) for k, sub in wf.subprocesses.items())):
        last = w.__dict__["_diwan_bodies"] = {}
        for task in state_journal.unsettled(w):
            sid = id_text(task.id)
            if sid in texts:
                last[sid] = texts[sid]


def check_rows(workflow, rows) -> None:
    """Raise when the stored rows are not the workflow's tasks as a full dump writes them
    (DIWAN_STATE_CHECK=1: the tests run every save through it)."""
    known = _ID_TEXTS.get
    if not workflow.__dict__.get("_diwan_in_rows", False):  # one document (`dump`): no rows left
        if rows:
            raise AssertionError(f"incremental state write left {len(rows)} rows of a one-document state")
        return
    by_workflow = _by_workflow(rows)
    problems = []
    data_rows = by_workflow.pop(DATA_ROW, [])
    if [orjson.loads(b) for _, b in data_rows] != [orjson.loads(encode(_data_of(workflow)))]:
        problems.append(f"the data row is stale or missing ({len(data_rows)} rows)")
    for key, wf in ((TOP, workflow), *((id_text(k), sub) for k, sub in workflow.subprocesses.items())):
        stored_tasks = _tasks_of(by_workflow.pop(key, []))
        fresh = {}
        for task in wf.tasks.values():
            sid = known(task.id.int) or id_text(task.id)
            # As a one-document dump writes it: `_tasks_of` rebuilt the stored child and merged lists.
            body = _task_dict(task, sid, task._parent is not None, task.data, {}, known,
                              [id_text(c) for c in task._children])
            fresh[sid] = orjson.loads(_encode_body(body))
        if list(stored_tasks) != list(fresh):
            odd = sorted(set(stored_tasks) ^ set(fresh))
            if not odd:
                at = next(i for i, (a, b) in enumerate(zip(stored_tasks, fresh)) if a != b)
                odd = [f"order from #{at}: stored {[stored_tasks[k]['task_spec'] for k in list(stored_tasks)[at:at + 3]]}, "
                       f"tree {[fresh[k]['task_spec'] for k in list(fresh)[at:at + 3]]}"]
            problems.append(f"workflow {key or 'top'}: stored tasks {odd} differ in presence or order")
        for sid, body in fresh.items():
            old = stored_tasks.get(sid)
            if old is not None and old != body:
                diff = {k: (old.get(k), v) for k, v in body.items() if old.get(k) != v}
                problems.append(f"task {sid} ({body['task_spec']}) stored stale: {diff}")
    if by_workflow:
        problems.append(f"rows of removed subprocesses {sorted(by_workflow)}")
    if problems:
        raise AssertionError("incremental state write missed changes: " + "; ".join(problems[:5]))


CHECK = os.environ.get("DIWAN_STATE_CHECK") == "1"
