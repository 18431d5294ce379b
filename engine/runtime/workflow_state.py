"""Storing a workflow's state without its spec (notes §3.2), one serializer per thread."""
from __future__ import annotations

import copy
import threading
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

from .fast_workflow import DiwanSubWorkflow, DiwanTask, DiwanWorkflow
from .ids import TEXTS as _ID_TEXTS
from .ids import id_text
from .service_task import ConnectorServiceTask
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
        dct["subprocesses"] = {str(k): {**_workflow_dict(sub), "parent_task_id": str(sub.parent_task_id),
                                        "spec": sub.spec.name, "typename": "BpmnSubWorkflow"}
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
        internal = task.internal_data
        sid = known(task_id.int) or id_text(task_id)
        out[sid] = {
            "typename": "Task",
            "id": sid,
            "parent": (known(parent_id.int) or id_text(parent_id)) if parent is not None else None,
            "children": [known(c.int) or id_text(c) for c in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": internal if not internal or _plain(internal) else _convert(internal),
            "data": data,
            "delta": delta,
        }
    return {
        "data": {k: v for k, v in wf.data.items() if not callable(v) and not isinstance(v, ModuleType)},
        "correlations": wf.correlations,
        "last_task": id_text(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success,
        "completed": wf.completed,
        "tasks": out,
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


def load(blob: bytes | str, spec, subprocess_specs):
    """Restore a workflow from `dump` output onto the cached spec (the script engine is not set)."""
    s = _serializer()
    dct = orjson.loads(blob)
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
