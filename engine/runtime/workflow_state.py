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


def _task_dict(task, sid: str, has_parent: bool, data: dict, delta: dict, known, children: list[str]) -> dict:
    parent_id = task._parent
    internal = task.internal_data
    return {
        "typename": "Task",
        "id": sid,
        "parent": (known(parent_id.int) or id_text(parent_id)) if has_parent else None,
        "children": children,
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": internal if not internal or _plain(internal) else _convert(internal),
        "data": data,
        "delta": delta,
    }


def _children_text(task, known) -> list[str]:
    """The task's child ids as text. A multi-instance task has thousands of children and is
    written at each of their completions: its list is remembered while it only grows (children
    are appended; a removal shortens it or, with an append, changes its last id)."""
    children = task._children
    cached = task.__dict__.get("_diwan_children")
    n = len(children)
    if cached is not None and cached[0] is children and n >= cached[1] and cached[1] \
            and children[cached[1] - 1] == cached[2] and children[0] == cached[3]:
        texts = cached[4]
        if n > len(texts):
            texts.extend(known(c.int) or id_text(c) for c in children[len(texts):])
    else:
        texts = [known(c.int) or id_text(c) for c in children]
    if n > 64:
        task.__dict__["_diwan_children"] = (children, n, children[-1], children[0], texts)
    return list(texts)


def _subprocess_of(sub) -> dict:
    """What a subprocess's dictionary says of its place (SpiffWorkflow's BpmnSubWorkflowConverter)."""
    return {"parent_task_id": str(sub.parent_task_id), "spec": sub.spec.name, "typename": "BpmnSubWorkflow"}


def _header_dict(wf) -> dict:
    return {
        "data": {k: v for k, v in wf.data.items() if not callable(v) and not isinstance(v, ModuleType)},
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
SPLIT_FORMAT = "diwan-state-2/" + SPIFF_STATE_VERSION  # the header; the tasks are rows
TOP = ""  # the `workflow` of the top workflow's task rows


@dataclass
class StateWrite:
    """What one save writes: the header (instance.state) and the task rows that changed."""

    header: str
    upserts: list[dict]  # task_id, workflow, position, body
    deletes: list[str]
    dropped_workflows: list[str]
    replace_all: bool


def _row_body(task, sid: str, known) -> dict:
    # A row keeps the task's own data (no delta): its parent's data may change after it is written.
    return _task_dict(task, sid, task._parent is not None, task.data, {}, known, _children_text(task, known))


def header(workflow) -> dict:
    """The workflow's state without its tasks (their rows hold them)."""
    dct = _header_dict(workflow)
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
        if plan is None:
            if not replace_all and key in stored_subs:  # its rows are replaced
                rewritten.append(key)
            chosen, gone = list(tasks.values()), ()
        else:
            chosen, gone = plan
        for task in chosen:
            sid = known(task.id.int) or id_text(task.id)
            upserts.append({"task_id": sid, "workflow": key, "position": position,
                            "body": _encode_body(_row_body(task, sid, known))})
            position += 1
        deletes += [known(i.int) or id_text(i) for i in gone]
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
    if fmt != SPLIT_FORMAT:
        raise ValueError(f"stored state format {fmt!r} is not {SPLIT_FORMAT!r}: migrate it first")
    by_workflow = _by_workflow(rows)
    dct["tasks"] = _tasks_of(by_workflow.pop(TOP, []))
    for key, sub in dct["subprocesses"].items():
        sub["tasks"] = _tasks_of(by_workflow.pop(key, []))
    dct["format"] = STATE_FORMAT
    dct["_next_position"] = 1 + max((r.position for r in rows), default=-1)
    return dct


def _by_workflow(rows) -> dict[str, list]:
    """The task rows as (position, body) lists by workflow ('' for the top one)."""
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.workflow, []).append((row.position, row.body))
    return out


def _tasks_of(entries: list) -> dict:
    entries.sort(key=lambda e: e[0])
    out = {}
    for _, body in entries:
        task = orjson.loads(body)
        out[task["id"]] = task
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
    # else (a one-document state): a save that stores it as rows writes every row (`changes`).
    return wf


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
    for key, wf in ((TOP, workflow), *((id_text(k), sub) for k, sub in workflow.subprocesses.items())):
        stored_tasks = _tasks_of(by_workflow.pop(key, []))
        fresh = {}
        for task in wf.tasks.values():
            sid = known(task.id.int) or id_text(task.id)
            body = _row_body(task, sid, known)
            body["children"] = [id_text(c) for c in task._children]  # not the remembered list
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
