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
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    EventBasedGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ParallelGateway,
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

from lxml import etree

from ..runtime.decision_task import DecisionTask
from ..runtime.error_events import with_camunda
from ..runtime.scopes import ScopedTask
from . import io_mappings
from .transforms.token_quantities import START_QUANTITY
from ..runtime.multi_instance import ReportingParallelMultiInstance, ReportingSequentialMultiInstance
from ..runtime.service_task import ConnectorServiceTask
from ..runtime.token_join import TokenJoin
from ..runtime.timer_events import EngineCycle, EngineDuration, EngineTimeDate, FirstEventWins
from .spiff_parser import SpiffExtensionsMixin
from ..messages import msg

CAMUNDA_ATTRIBUTES = (
    "assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority",
    "formKey", "formRef", "topic", "type", "decisionRef", "initiator", "taskPriority",
    "resultVariable", "mapDecisionResult",
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
        # Variable mappings (checked at deploy by translate.py, so they read here without error).
        io = io_mappings.input_output(node)
        if io is not None:
            ext["camunda:inputOutput"] = io
        hooks = io_mappings.listeners(node)
        if hooks is not None:
            ext["camunda:listeners"] = hooks
        if etree.QName(node).localname == "callActivity":
            for tag in ("in", "out"):
                bound = io_mappings.bindings(node, tag)
                if bound is not None:
                    ext[f"camunda:{tag}"] = bound
        return ext

    _add_multiinstance_task = TaskParser._add_multiinstance_task
    PARALLEL_MI_CLASS = ReportingParallelMultiInstance
    SEQUENTIAL_MI_CLASS = ReportingSequentialMultiInstance


class EngineTimerMixin(CamundaAttributesMixin):
    """Event parsers whose timers ask the engine clock, and whose error definitions carry Camunda's
    error message and error variables (runtime/error_events.py)."""

    def parse_escalation_event(self, escalation_event):
        return with_camunda(super().parse_escalation_event(escalation_event),
                            code_variable=escalation_event.get(f"{{{CAMUNDA_MODEL_NS}}}escalationCodeVariable"))

    def parse_error_event(self, error_event):
        error = self.process_parser.parser.errors.get(error_event.get("errorRef")) if error_event.get("errorRef") else None
        return with_camunda(super().parse_error_event(error_event), message=(error or {}).get("message"),
                            code_variable=error_event.get(f"{{{CAMUNDA_MODEL_NS}}}errorCodeVariable"),
                            message_variable=error_event.get(f"{{{CAMUNDA_MODEL_NS}}}errorMessageVariable"))

    def parse_timer_event(self, event):
        description = self.get_event_description(event)
        name = self.node.get("name", self.node.get("id"))
        for tag, cls in (("timeDate", EngineTimeDate), ("timeDuration", EngineDuration), ("timeCycle", EngineCycle)):
            node = first(self.xpath(f".//bpmn:{tag}"))
            if node is not None:
                return cls(name, node.text, description=description)
        raise ValidationException(msg("a timer needs a timeDate, timeDuration or timeCycle"),
                                  node=self.node, file_name=self.filename)


class FirstEventWinsGatewayParser(EngineTimerMixin, EventBasedGatewayParser):
    def create_task(self):
        return self._create_task(FirstEventWins())


class DecisionTaskParser(BusinessRuleTaskParser):
    """The stock parser builds its own class whatever the table says: build the table's."""

    def create_task(self):
        decision_ref = self.get_decision_ref(self.node)
        return self.spec_class(self.spec, self.bpmn_id,
                               dmnEngine=self.process_parser.parser.get_engine(decision_ref, self.node),
                               **self.bpmn_attributes)

class TokenGatewayParser(GatewayParser):
    """Parallel gateways; one a transformation marked with `startQuantity` counts tokens
    (transforms/token_quantities.py, runtime/token_join.py)."""

    def create_task(self):
        tokens = self.node.get(START_QUANTITY)
        if tokens is None:
            return super().create_task()
        return TokenJoin(self.spec, self.bpmn_id, tokens=int(tokens), **self.bpmn_attributes)


def _parser(*bases):
    return type(bases[-1].__name__.replace("Parser", "") + "DiwanParser", bases, {})


def _scoped(spec_class):
    """The spec class, opening the variable scope of camunda:inputOutput or camunda:in/out."""
    return type("Scoped" + spec_class.__name__, (ScopedTask, spec_class), {})


class DiwanParser(CamundaParser):
    """The parser every deployment goes through."""

    def _add_errors(self, bpmn):
        super()._add_errors(bpmn)
        for error in bpmn.xpath(".//bpmn:error", namespaces=self.namespaces):
            entry = self.errors.get(error.attrib.get("id"))
            if entry is not None:
                entry["message"] = error.get(f"{{{CAMUNDA_MODEL_NS}}}errorMessage")

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_parser(CamundaAttributesMixin, UserTaskParser),
                               _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1])),
        full_tag("task"): (_parser(CamundaAttributesMixin, CamundaTaskParser),
                           _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("task")][1])),
        full_tag("manualTask"): (_parser(CamundaAttributesMixin, CamundaTaskParser),
                                 _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("manualTask")][1])),
        full_tag("scriptTask"): (_parser(CamundaAttributesMixin, ScriptTaskParser),
                                 _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")][1])),
        full_tag("businessRuleTask"): (_parser(CamundaAttributesMixin, DecisionTaskParser),
                                       _scoped(DecisionTask)),
        full_tag("subProcess"): (_parser(CamundaAttributesMixin, SubWorkflowParser),
                                 _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1])),
        full_tag("callActivity"): (_parser(CamundaAttributesMixin, CallActivityParser),
                                   _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("callActivity")][1])),
        full_tag("transaction"): (_parser(CamundaAttributesMixin, SubWorkflowParser),
                                  _scoped(CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("transaction")][1])),
        full_tag("serviceTask"): (_parser(CamundaAttributesMixin, CamundaTaskParser), _scoped(ConnectorServiceTask)),
        full_tag("startEvent"): (_parser(EngineTimerMixin, StartEventParser), StartEvent),
        full_tag("endEvent"): (_parser(EngineTimerMixin, EndEventParser), EndEvent),
        full_tag("intermediateCatchEvent"): (_parser(EngineTimerMixin, IntermediateCatchEventParser),
                                             IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (_parser(EngineTimerMixin, IntermediateThrowEventParser),
                                             IntermediateThrowEvent),
        full_tag("boundaryEvent"): (_parser(EngineTimerMixin, BoundaryEventParser), BoundaryEvent),
        full_tag("eventBasedGateway"): (FirstEventWinsGatewayParser, EventBasedGateway),
        full_tag("parallelGateway"): (TokenGatewayParser, ParallelGateway),
        full_tag("receiveTask"): (_parser(EngineTimerMixin, ReceiveTaskParser), ReceiveTask),
        full_tag("sendTask"): (_parser(EngineTimerMixin, SendTaskParser), SendTask),
    }
