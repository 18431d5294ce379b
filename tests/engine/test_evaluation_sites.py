"""Nothing a designer writes reaches SpiffWorkflow's plain eval: the inventory and the proofs.

engine/runtime/evaluation_sites.py lists every place SpiffWorkflow evaluates, executes or
loads text; these tests scan SpiffWorkflow's sources against it, check the claims it makes
(core specs that run text are never created, the environment is the sandbox) and run
diagrams whose correlation retrieval expressions are hostile: SpiffWorkflow evaluates those
on `script_engine.environment`, which was plain eval with real builtins.
"""
from __future__ import annotations

import ast
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import SpiffWorkflow
from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment, TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.Execute import Execute
from SpiffWorkflow.specs.Transform import Transform
from SpiffWorkflow.util.task import TaskState

from engine.definitions import safe_xml
from engine.definitions.camunda_parser import DiwanParser
from engine.definitions.spec_cache import build_spec
from engine.definitions.translate import translate_bpmn, translate_dmn
from engine.runtime import workflow_state
from engine.runtime.evaluation_sites import CALLED_METHODS, CALLED_NAMES, CALLED_QUALIFIED, SITES
from engine.runtime.script_engine import DiwanScriptEngine, SandboxEnvironment
from engine.runtime.script_host import ScriptHost, ScriptLimits
from engine.runtime.workflow_run import StepFailed, WorkflowRun

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TZ = ZoneInfo("Africa/Casablanca")


def _sites() -> set[tuple[str, str, str]]:
    root = Path(SpiffWorkflow.__file__).parent
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node, scope):
            for child in ast.iter_child_nodes(node):
                inner = scope + [child.name] if isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else scope
                if isinstance(child, ast.Call):
                    func, text = child.func, ast.unparse(child.func)
                    if ((isinstance(func, ast.Name) and func.id in CALLED_NAMES)
                            or (isinstance(func, ast.Attribute) and func.attr in CALLED_METHODS)
                            or text in CALLED_QUALIFIED):
                        found.add((path.relative_to(root).as_posix(), ".".join(inner), text))
                visit(child, inner)

        visit(tree, [])
    return found


def test_every_place_spiffworkflow_evaluates_text_is_in_the_inventory():
    found = _sites()
    unlisted = sorted(found - set(SITES))
    gone = sorted(set(SITES) - found)
    assert not unlisted, ("SpiffWorkflow evaluates or loads text at sites engine/runtime/evaluation_sites.py does "
                          f"not classify: route each through the sandbox or refuse its construct, then list it: {unlisted}")
    assert not gone, f"the inventory lists sites SpiffWorkflow no longer has: {gone}"
    assert len(found) >= 35


def _created_spec_classes() -> set[type]:
    parser = DiwanParser()
    classes = {spec for _, spec in parser.PARSER_CLASSES.values()}
    classes |= {spec for _, spec in DiwanParser.OVERRIDE_PARSER_CLASSES.values()}
    return classes


def test_core_specs_that_run_text_or_commands_are_never_created_or_restored():
    for cls in _created_spec_classes():
        assert not issubclass(cls, (Transform, Execute)), cls
    registry = workflow_state._serializer().registry
    restorable = set(registry.typenames)
    assert not any(isinstance(c, type) and issubclass(c, (Transform, Execute)) for c in restorable)


def test_a_stored_state_in_another_format_is_refused_and_never_migrated():
    with pytest.raises(ValueError, match="migrate it first"):
        workflow_state.load(b'{"format": "1.2", "tasks": {}}', None, {})


def test_the_script_engine_and_its_environment_override_every_entry_point():
    engine = DiwanScriptEngine(now=lambda: NOW, tz=TZ, max_steps=1000)
    assert isinstance(engine.environment, SandboxEnvironment)
    for name in ("evaluate", "execute", "validate", "call_service"):
        owner = next(c for c in type(engine).__mro__ if name in c.__dict__)
        if name == "call_service":  # PythonScriptEngine's goes to the environment, which refuses
            assert SandboxEnvironment.__dict__.get("call_service") is not None
            continue
        assert owner is DiwanScriptEngine, name
    public = {n for n in vars(BasePythonScriptEngineEnvironment) if not n.startswith("_")}
    assert public <= set(vars(SandboxEnvironment)), public - set(vars(SandboxEnvironment))
    assert {n for n in vars(PythonScriptEngine) if not n.startswith("_")} - set(vars(DiwanScriptEngine)) \
        <= {"call_service", "create_task_exec_exception", "get_error_line_number_and_content"}


CORRELATED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:collaboration id="c">
    <bpmn:participant id="p" processRef="correlated"/>
    <bpmn:correlationKey id="ck" name="order_key"><bpmn:correlationPropertyRef>order_id</bpmn:correlationPropertyRef></bpmn:correlationKey>
  </bpmn:collaboration>
  <bpmn:message id="m" name="order_msg"/>
  <bpmn:correlationProperty id="order_id" name="order id">
    <bpmn:correlationPropertyRetrievalExpression messageRef="m">
      <bpmn:formalExpression>{expression}</bpmn:formalExpression>
    </bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>
  <bpmn:process id="correlated" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="throw"/>
    <bpmn:intermediateThrowEvent id="throw"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="throw" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def _correlated_spec(expression: str):
    """The spec straight from SpiffWorkflow's parser: no deploy-time check stands in the way."""
    root = etree.fromstring(CORRELATED.replace("{expression}", expression).encode())
    return build_spec("correlated", [("correlated.bpmn", root)], [])


def _run(built, data, host=None):
    engine = DiwanScriptEngine(now=lambda: NOW, tz=TZ, max_steps=1000, host=host)
    run = WorkflowRun.create(built.spec, built.subprocess_specs, engine)
    run.attach(engine, 100)
    run.start(data)
    return run


def test_a_hostile_correlation_retrieval_expression_runs_code_with_stock_spiffworkflow(tmp_path):
    """The hole: SpiffWorkflow's own environment runs the expression with real builtins."""
    marker = tmp_path / "pwned"
    built = _correlated_spec(f"open({str(marker)!r}, 'w').write('x') and order['id']")
    wf = BpmnWorkflow(built.spec, built.subprocess_specs, script_engine=PythonScriptEngine())
    wf.get_next_task(state=TaskState.READY).data.update({"order": {"id": 7}})
    wf.do_engine_steps()
    assert marker.exists()


@pytest.mark.parametrize("expression, refusal", [
    ("open({marker!r}, 'w').write('x')", "name 'open' is not allowed"),
    ("__import__('os').system('touch ' + {marker!r})", "name '__import__' is not allowed"),
    ("().__class__.__base__.__subclasses__()", "attribute '__class__' is not allowed"),
    ("[c for c in range(3) if open({marker!r}, 'w')]", "name 'open' is not allowed"),
])
def test_a_hostile_correlation_retrieval_expression_is_refused_by_the_engine(tmp_path, expression, refusal):
    marker = tmp_path / "pwned"
    built = _correlated_spec(expression.format(marker=str(marker)))
    with pytest.raises(StepFailed) as info:
        _run(built, {"order": {"id": 7}})
    assert refusal in info.value.message
    assert not marker.exists()


def test_a_correlation_retrieval_expression_is_evaluated_in_the_sandbox():
    run = _run(_correlated_spec("order['id'] + 1"), {"order": {"id": 7}})
    assert run.wf.correlations == {"order_key": {"order_id": 8}}
    run = _run(_correlated_spec("sum(i for i in order['lines'])"), {"order": {"lines": [1, 2, 3]}})
    assert run.wf.correlations == {"order_key": {"order_id": 6}}


def test_an_endless_correlation_retrieval_expression_is_stopped_by_the_time_limit():
    host = ScriptHost(ScriptLimits(timeout_seconds=0.5))
    try:
        started = time.monotonic()
        with pytest.raises(StepFailed, match="ran longer than 0.5 s"):
            _run(_correlated_spec("sum(range(10**18))"), {"order": {"id": 7}}, host=host)
        assert time.monotonic() - started < 5
    finally:
        host.close()


def _fixture_runs():
    dmn = [(p.name, safe_xml.parse(p.read_bytes())) for p in sorted(FIXTURES.glob("*.dmn"))]
    for name, root in dmn:
        translate_dmn(root, name)
    for path in sorted(FIXTURES.glob("*.bpmn")):
        root = safe_xml.parse(path.read_bytes())
        assert not translate_bpmn(root, path.name)
        for process in root.iterfind("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
            if process.get("isExecutable") != "false":
                yield pytest.param(path.name, root, dmn, process.get("id"), id=f"{path.stem}:{process.get('id')}")


FIXTURE_RUNS = list(_fixture_runs())


@pytest.fixture
def stock_environment_disabled(monkeypatch):
    def tripwire(*args, **kwargs):
        raise AssertionError("SpiffWorkflow's stock environment (plain eval/exec) was reached")

    monkeypatch.setattr(TaskDataEnvironment, "evaluate", tripwire)
    monkeypatch.setattr(TaskDataEnvironment, "execute", tripwire)


@pytest.mark.parametrize("filename, root, dmn, process_id", FIXTURE_RUNS)
def test_every_fixture_process_runs_without_the_stock_environment(stock_environment_disabled, filename, root, dmn,
                                                                   process_id):
    built = build_spec(process_id, [(filename, root)], dmn)
    try:
        run = _run(built, {"amount": 150, "items": [1, 2, 3], "applicant": "x", "order": {"id": 1}})
    except StepFailed as exc:  # a process whose data this generic run lacks fails cleanly, not at the tripwire
        assert "stock environment" not in exc.message
        return
    for _ in range(20):
        ready = [t for t in run.wf.get_tasks(state=TaskState.READY, manual=True)]
        if not ready:
            break
        try:
            run.complete_user_task(ready[0], {"ok": True, "approved": True, "decision": "accept"})
        except StepFailed as exc:
            assert "stock environment" not in exc.message
            return


def test_the_tripwire_catches_the_stock_environment_and_the_engine_never_trips_it(stock_environment_disabled):
    built = _correlated_spec("order['id']")
    wf = BpmnWorkflow(built.spec, built.subprocess_specs, script_engine=PythonScriptEngine())
    wf.get_next_task(state=TaskState.READY).data.update({"order": {"id": 7}})
    with pytest.raises(AssertionError, match="stock environment"):
        wf.do_engine_steps()
    assert _run(built, {"order": {"id": 7}}).wf.correlations == {"order_key": {"order_id": 7}}
