"""DiwanParser: SpiffWorkflow's CamundaParser, extended at its parser-class table.

What it adds (notes/spiffworkflow-3.md §1.1): the Camunda attributes the stock parser
drops (`assignee`, `candidateGroups`, `candidateUsers`, `dueDate`, `priority`,
`formKey`/`formRef` on start events and user tasks, `topic`/`type` on service tasks) land
in `task_spec.extensions` as `camunda:<name>`; service tasks run registered connectors;
timers use the engine clock (runtime/timer_events.py); message events are plain BPMN
messages (the Camunda message definition evaluates a missing payload as `None`); and
multi-instance is parsed as standard BPMN (the Camunda variant mutates the shared spec).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.event_parsers import (
    BoundaryEventParser,
    EndEventParser,
    EventBasedGatewayParser,
    IntermediateCatchEventParser,
    IntermediateThrowEventParser,
    ReceiveTaskParser,
    SendTaskParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    EventBasedGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    SendTask,
    StartEvent,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    BusinessRuleTaskParser,
    CallActivityParser,
    CamundaTaskParser,
    ScriptTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)

from ..runtime.multi_instance import ReportingParallelMultiInstance, ReportingSequentialMultiInstance
from ..runtime.service_task import ConnectorServiceTask
from ..runtime.timer_events import EngineCycle, EngineDuration, EngineTimeDate, FirstEventWins
from .spiff_parser import SpiffExtensionsMixin

CAMUNDA_ATTRIBUTES = (
    "assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority",
    "formKey", "formRef", "topic", "type", "decisionRef", "initiator", "taskPriority",
)


class CamundaAttributesMixin(SpiffExtensionsMixin):
    """Keeps Camunda attributes and properties in `extensions`; parses MI as standard BPMN (and reads
    SpiffArena's pre/post scripts and message payloads: spiff_parser.py)."""

    def parse_extensions(self, node=None):
        ext = CamundaTaskParser.parse_extensions(self, node)
        node = node if node is not None else self.node
        for attr in CAMUNDA_ATTRIBUTES:
            value = node.get(f"{{{CAMUNDA_MODEL_NS}}}{attr}")
            if value is not None:
                ext[f"camunda:{attr}"] = value
        return ext

    _add_multiinstance_task = TaskParser._add_multiinstance_task
    PARALLEL_MI_CLASS = ReportingParallelMultiInstance
    SEQUENTIAL_MI_CLASS = ReportingSequentialMultiInstance


class EngineTimerMixin(CamundaAttributesMixin):
    """Event parsers whose timers ask the engine clock."""

    def parse_timer_event(self, event):
        description = self.get_event_description(event)
        name = self.node.get("name", self.node.get("id"))
        for tag, cls in (("timeDate", EngineTimeDate), ("timeDuration", EngineDuration), ("timeCycle", EngineCycle)):
            node = first(self.xpath(f".//bpmn:{tag}"))
            if node is not None:
                return cls(name, node.text, description=description)
        raise ValidationException("a timer needs a timeDate, timeDuration or timeCycle",
                                  node=self.node, file_name=self.filename)


class FirstEventWinsGatewayParser(EngineTimerMixin, EventBasedGatewayParser):
    def create_task(self):
        return self._create_task(FirstEventWins())


def _parser(*bases):
    return type(bases[-1].__name__.replace("Parser", "") + "DiwanParser", bases, {})


class DiwanParser(CamundaParser):
    """The parser every deployment goes through."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_parser(CamundaAttributesMixin, UserTaskParser),
                               CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]),
        full_tag("task"): (_parser(CamundaAttributesMixin, CamundaTaskParser),
                           CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("task")][1]),
        full_tag("manualTask"): (_parser(CamundaAttributesMixin, CamundaTaskParser),
                                 CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("manualTask")][1]),
        full_tag("scriptTask"): (_parser(CamundaAttributesMixin, ScriptTaskParser),
                                 CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")][1]),
        full_tag("businessRuleTask"): (_parser(CamundaAttributesMixin, BusinessRuleTaskParser),
                                       CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("businessRuleTask")][1]),
        full_tag("subProcess"): (_parser(CamundaAttributesMixin, SubWorkflowParser),
                                 CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1]),
        full_tag("callActivity"): (_parser(CamundaAttributesMixin, CallActivityParser),
                                   CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("callActivity")][1]),
        full_tag("transaction"): (_parser(CamundaAttributesMixin, SubWorkflowParser),
                                  CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("transaction")][1]),
        full_tag("serviceTask"): (_parser(CamundaAttributesMixin, CamundaTaskParser), ConnectorServiceTask),
        full_tag("startEvent"): (_parser(EngineTimerMixin, StartEventParser), StartEvent),
        full_tag("endEvent"): (_parser(EngineTimerMixin, EndEventParser), EndEvent),
        full_tag("intermediateCatchEvent"): (_parser(EngineTimerMixin, IntermediateCatchEventParser),
                                             IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (_parser(EngineTimerMixin, IntermediateThrowEventParser),
                                             IntermediateThrowEvent),
        full_tag("boundaryEvent"): (_parser(EngineTimerMixin, BoundaryEventParser), BoundaryEvent),
        full_tag("eventBasedGateway"): (FirstEventWinsGatewayParser, EventBasedGateway),
        full_tag("receiveTask"): (_parser(EngineTimerMixin, ReceiveTaskParser), ReceiveTask),
        full_tag("sendTask"): (_parser(EngineTimerMixin, SendTaskParser), SendTask),
    }
