"""The restricted script engine SpiffWorkflow runs scripts, conditions and decisions with.

Attached to a workflow for the duration of one command (the serializer does not restore
it, notes §3.4). Every evaluation goes through the sandbox (checked and compiled code over
safe builtins): code whose cost its text bounds (bounded.py: most conditions, decision
cells and short scripts) runs here; everything else runs in a script process
(script_host.py) under the command's time and memory limits. SpiffWorkflow's direct calls
on ``script_engine.environment`` (correlation retrieval expressions, process completion
conditions) reach the same path through :class:`SandboxEnvironment`: nothing designer
written is ever given to plain ``eval``. The engine gives scripts its recorded functions
(``now``, ``today``, ``new_id``, ``BpmnError``) and calls service-task connectors.
"""
from __future__ import annotations

import uuid
from copy import deepcopy
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException

from .bounded import is_bounded
from .sandbox import BudgetExceeded, compile_code, script_globals
from .script_host import ScriptFailed, ScriptHost, ScriptLimits, shared_host

RECORDED_FUNCTIONS = ("now", "today", "new_id")


class BpmnError(Exception):
    """Raised by a script to throw a BPMN error, caught by error boundary events by its code."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or code)
        self.code = str(code)
        self.message = message


class UncaughtBpmnError(SpiffWorkflowException):
    """A BPMN error thrown by a script that no error event catches."""


class ScriptStopped(Exception):
    """A script process refused, stopped or failed the code; the message says why."""


class Recorder:
    """Collects the results of non-deterministic functions, per element, for the audit log."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str, Any]] = []

    def record(self, element: str | None, fn: str, value: Any) -> Any:
        self.calls.append((element, fn, value))
        return value

    def take(self, element: str | None) -> list[dict]:
        mine = [{"fn": fn, "value": v} for e, fn, v in self.calls if e == element]
        self.calls = [c for c in self.calls if c[0] != element]
        return mine


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """What SpiffWorkflow reaches as ``script_engine.environment``: the same sandbox.

    SpiffWorkflow evaluates correlation retrieval expressions (event_definitions/message.py)
    and process completion conditions (bpmn_process_spec.py) on the environment directly,
    not through ``script_engine.evaluate``; the stock environment is plain ``eval`` with
    real builtins.
    """

    def __init__(self, engine: "DiwanScriptEngine"):
        super().__init__({})
        self.engine = engine

    def evaluate(self, expression, context, external_context=None):
        try:
            return self.engine.evaluate_over(context, expression, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:  # the callers do not wrap errors as script_engine.evaluate does
            raise WorkflowException(f"Error evaluating expression '{expression}': {_describe(exc)}") from exc

    def execute(self, script, context, external_context=None):
        try:
            self.engine.execute_over(context, script, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise WorkflowException(f"{_describe(exc)}") from exc
        return True

    def call_service(self, context, **kwargs):
        raise ScriptStopped("SpiffWorkflow service operators are not supported: name a connector with camunda:topic")


class DiwanScriptEngine(PythonScriptEngine):
    """Sandboxed evaluation bound to one command's clock, zone, recorder, limits and connectors."""

    def __init__(self, *, now: Callable[[], datetime], tz: ZoneInfo, max_steps: int,
                 connectors=None, recorder: Recorder | None = None, host: ScriptHost | None = None):
        super().__init__(environment=SandboxEnvironment(self))
        self.now = now
        self.tz = tz
        self.host = host or shared_host(ScriptLimits(max_steps=max_steps))
        self.max_steps = max_steps
        self.connectors = connectors
        self.recorder = recorder or Recorder()
        self.current_element: str | None = None
        self.context: dict[str, Any] = {}
        self.run = None  # the WorkflowRun this engine is attached to
        self.outbox: list = []
        self.seconds_left = self.host.limits.timeout_seconds
        self.max_items = 10_000  # instances one multi-instance activity may create

    def begin_command(self) -> None:
        """A new command: the scripts' time limit starts again."""
        self.seconds_left = self.host.limits.timeout_seconds

    # -- functions offered to designers ------------------------------------------------
    def _functions(self) -> dict[str, Any]:
        rec, element = self.recorder, self.current_element

        def now() -> datetime:
            return rec.record(element, "now", self.now())

        def today() -> date:
            return rec.record(element, "today", self.now().astimezone(self.tz).date())

        def new_id() -> str:
            return rec.record(element, "new_id", uuid.uuid4().hex)

        return {"now": now, "today": today, "new_id": new_id, "BpmnError": BpmnError}

    # -- PythonScriptEngine interface ---------------------------------------------------
    def validate(self, expression: str) -> None:
        compile_code(expression, "eval")

    def evaluate(self, task, expression, external_context=None):
        self.current_element = getattr(task.task_spec, "bpmn_id", None)
        try:
            return self.evaluate_over(_with_variables(task, getattr(self, "run", None)), expression, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {_describe(exc)}", task=task, exception=exc
            ) from exc

    def execute(self, task, script, external_context=None):
        self.current_element = getattr(task.task_spec, "bpmn_id", None)
        try:
            self.execute_over(task.data, script, external_context)
        except BpmnError as err:
            self._throw_error(task, err)
            return True
        except Exception as exc:
            line = _script_line(exc)
            where = f" (line {line})" if line else ""
            raise WorkflowTaskException(f"{_describe(exc)}{where}", task=task, exception=exc) from exc
        return True

    # -- the two paths ------------------------------------------------------------------
    def evaluate_over(self, data: dict, expression: str, external_context=None) -> Any:
        """The value of an expression over `data` (variables), here or in a script process."""
        code = compile_code(expression, "eval")
        if is_bounded(expression, "eval"):
            env = script_globals(self._functions())
            env.update(_variables_only(data))
            if external_context:
                env.update(external_context)
            return eval(code, env)
        return self._remote("eval", expression, data, external_context)

    def execute_over(self, data: dict, script: str, external_context=None) -> None:
        """Run a script over `data` (variables), changing it in place, here or in a script process."""
        code = compile_code(script, "exec")
        if not is_bounded(script, "exec"):
            outcome = self._remote("exec", script, data, external_context)
            for key in outcome["deleted"]:
                data.pop(key, None)
            data.update(outcome["set"])
            return
        env = script_globals(self._functions())
        reserved = set(env)
        env.update(_variables_only(data))
        if external_context:
            env.update(external_context)
            reserved |= set(external_context)
        exec(code, env)
        result = {k: v for k, v in env.items() if k not in reserved and not k.startswith("__") and not callable(v)}
        data.clear()
        data.update(result)

    def _remote(self, mode: str, source: str, data: dict, external_context) -> Any:
        functions = self._functions()

        def call(name: str) -> Any:
            if name not in RECORDED_FUNCTIONS:
                raise ValueError(f"no function {name!r}")
            return functions[name]()

        try:
            result, used = self.host.run(mode, source, _variables_only(data), external_context,
                                         self.seconds_left, call)
        except ScriptFailed as failed:
            if failed.kind == "timeout":
                self.seconds_left = 0.0
            if failed.kind == "bpmn_error":
                raise BpmnError(failed.detail.get("code", failed.message), failed.detail.get("message")) from None
            raise ScriptStopped(_failure_text(failed)) from None
        self.seconds_left -= used
        return result

    def call_connector(self, task, name: str, properties: dict) -> dict:
        """Run the registered connector `name` for a service task; returns the variables it sets."""
        self.current_element = task.task_spec.bpmn_id
        if self.connectors is None:
            raise WorkflowTaskException(f"no connector registry to run {name!r}", task=task)
        return self.connectors.call(name, task, properties, self)

    def _throw_error(self, task, err: BpmnError) -> None:
        definition = ErrorEventDefinition(err.code, code=err.code)
        event = BpmnEvent(definition, payload={"error_code": err.code, "error_message": err.message},
                          target=task.workflow)
        top = task.workflow.top_workflow
        top.catch(event)
        if any(e is event for e in top.bpmn_events):
            top.bpmn_events.remove(event)
            raise WorkflowTaskException(
                f"BPMN error {err.code!r} was thrown but no error event catches it", task=task)


def _failure_text(failed: ScriptFailed) -> str:
    detail = failed.detail
    if failed.kind == "exception":
        text = f"{detail.get('type', 'Exception')}: {failed.message}" if failed.message else detail.get("type", "Exception")
        return f"{text} (line {detail['line']})" if detail.get("line") else text
    if failed.kind == "value":
        return f"variable {detail.get('path')}: {failed.message}" if detail.get("path") else failed.message
    return failed.message


def _with_variables(task, run) -> dict:
    """A task's data, with the instance's variables it does not hold: SpiffWorkflow evaluates some
    expressions (a timer's duration, a multi-instance's cardinality) on a task the engine has not
    seeded, and a multi-instance's instances hold only their item until they run."""
    data = task.data
    variables = getattr(run, "variables", None)
    if not variables or variables.keys() <= data.keys():
        return data
    return {**variables, **data}


def _variables_only(data: dict) -> dict:
    # Names a designer cannot write are never passed in (a `__builtins__` key would
    # replace the safe builtins).
    return {k: v for k, v in data.items() if not k.startswith("__")}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (BudgetExceeded, ScriptStopped)):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _script_line(exc: BaseException) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def snapshot(data: dict) -> dict:
    """A deep copy of variables, fast for the JSON-like values they usually hold."""
    return {k: _copy(v) for k, v in data.items()}


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copy(v):
    t = type(v)
    if t in _SCALARS:
        return v
    if t is dict:
        return {k: _copy(x) for k, x in v.items()}
    if t is list:
        # A list of scalars (a multi-instance's collection, say) is copied in C.
        if _SCALARS.issuperset(map(type, v)):
            return v.copy()
        return [_copy(x) for x in v]
    return deepcopy(v)
