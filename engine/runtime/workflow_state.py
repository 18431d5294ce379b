"""Storing a workflow's state without its spec (notes §3.2), one serializer per thread."""
from __future__ import annotations

import copy
import threading
from datetime import date
from decimal import Decimal
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_STATE_VERSION
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter

from .service_task import ConnectorServiceTask
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

from .timer_events import EngineCycle, EngineDuration, EngineTimeDate, FirstEventWins


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Serializes the task tree, data and subprocesses, but not the spec (kept in the cache)."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        wf = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        wf.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=wf)
        wf.task_tree = wf.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(wf, dct)
        self.subprocesses_from_dict(dct["subprocesses"], wf)
        wf.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return wf


def _config():
    config = copy.deepcopy(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = StateOnlyWorkflowConverter
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
        s = _local.serializer = BpmnWorkflowSerializer(registry)
    return s


def dump(workflow) -> bytes:
    """The workflow's state as JSON bytes (no spec)."""
    s = _serializer()
    dct = s.to_dict(workflow)
    dct["format"] = STATE_FORMAT
    def default(obj):
        converted = s.registry.convert(obj)
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
