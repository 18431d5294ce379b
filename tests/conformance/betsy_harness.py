"""A betsy harness for diwan: runs the betsy BPMN conformance corpus THROUGH the engine.

The corpus (136 tests, 210 cases; see its README.md) is engine-neutral: every script task
holds a token (`SCRIPT_task1`, `THROW_ERROR`, ...) and conditions are written in a
Java/JUEL-like dialect (`test.contains("a")`). Like betsy's per-engine XSLT, this harness
rewrites each file's text before deployment: tokens become sandbox-safe Python that appends
to the list variable `trace`, conditions become Python. The files themselves stay unchanged.

Run protocol for one test (all its cases share one database):

1. Deploy the rewritten file with `Engine.deploy`. `InvalidDefinition` -> every case's trace is
   `[ERROR_deployment]`.
2. Per case: start `start_first` (if set) with `trace=[]` only, then the main process with
   `trace=[]` and the case inputs. A `DiwanError` on start -> `ERROR_runtime`.
3. Complete ready user/manual tasks (none in the corpus today), and when the case has `wait_ms`,
   advance the `ManualClock` in steps up to it, calling `engine.fire_due_timers()` at each step
   (a `DiwanError` there -> `ERROR_runtime`, and time stops for the case).
4. Collect `trace` from the data of every instance the case created (the harness does NOT
   route messages or signals between instances: that is the engine's job), add the harness
   entries (`MARKER_exists`, `DATA_correct`, `ERROR_thrownErrorEvent`, `ERROR_runtime`), apply
   the `ERROR` rewriting rule and compare with the expected trace as multisets.
5. Cancel the case's instances that still run, so their timers cannot touch the next case.

Outcome of a test: "passed" (every case matches), "refused" (the engine refused the file at
deploy, with a construct rule of engine/definitions/constructs.py or for a test the raw
SpiffWorkflow baseline fails too: the diagram was never run wrong) or "wrong" (anything else).
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from engine import DiwanError, Engine, InvalidDefinition, ManualClock

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
CORPUS_ENV = "DIWAN_BETSY_CORPUS"
_DEFAULT_CORPORA = (Path(__file__).resolve().parent / "betsy",)  # in the repository, with its licences
BASELINE_FILE = "baseline_spiffworkflow_3.2.0.json"
STEP = timedelta(milliseconds=250)  # virtual-clock step while a case waits (README: 250 ms)

# ------------------------------------------------------------------------------------------
# The corpus
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetsyCase:
    number: int
    inputs: dict[str, Any]
    expected: tuple[str, ...]
    start_first: str | None = None
    wait_ms: int | None = None


@dataclass(frozen=True)
class BetsyTest:
    name: str
    group: str
    bpmn: Path
    main_process_id: str
    process_ids: tuple[str, ...]
    cases: tuple[BetsyCase, ...]
    baseline_passed: bool
    in_sose2015: bool
    known_issue: str | None = None


def corpus_dir() -> Path | None:
    """The betsy corpus folder: `$DIWAN_BETSY_CORPUS`, else tests/conformance/betsy; None when
    it holds no manifest.json."""
    env = os.environ.get(CORPUS_ENV)
    candidates = (Path(env),) if env else _DEFAULT_CORPORA
    for path in candidates:
        if (path / "manifest.json").is_file():
            return path
    return None


def load_corpus(root: Path | None = None) -> list[BetsyTest]:
    """Every test of the manifest, in manifest order, with its cases and baseline result."""
    root = root or corpus_dir()
    if root is None:
        raise FileNotFoundError(f"betsy corpus not found (set {CORPUS_ENV})")
    manifest = json.loads((root / "manifest.json").read_text())
    baseline = json.loads((root / BASELINE_FILE).read_text())["runs"]["BpmnParser"]["tests"]
    tests = []
    for entry in manifest["tests"]:
        cases = tuple(
            BetsyCase(c["case"], dict(c["inputs"]), tuple(c["expected_trace"]), c.get("start_first"),
                      c.get("wait_ms"))
            for c in json.loads((root / entry["cases"]).read_text()))
        tests.append(BetsyTest(
            name=entry["name"], group=entry["group"], bpmn=root / entry["bpmn"],
            main_process_id=entry["main_process_id"], process_ids=tuple(entry["process_ids"]), cases=cases,
            baseline_passed=bool(baseline[entry["name"]]["passed"]),
            in_sose2015=bool((entry.get("sose2015") or {}).get("in_suite")),
            known_issue=entry.get("known_issue")))
    return tests


# ------------------------------------------------------------------------------------------
# Rewriting (betsy's XSLT step, for diwan's Python sandbox)
# ------------------------------------------------------------------------------------------

def _append(variable: str, value: str) -> str:
    """Append `value` to the list variable `variable`, creating it when the instance has none
    (instances started by the engine itself, by a message or signal, get no `trace=[]`)."""
    return (f"try:\n    {variable} = {variable} + [{value}]\n"
            f"except Exception:\n    {variable} = [{value}]\n")


def script_for(token: str) -> str:
    """The Python (diwan sandbox) that stands for one betsy script token."""
    token = token.strip()
    if re.fullmatch(r"SCRIPT_task\d+", token):
        return _append("trace", repr(token))
    simple = {
        "CREATE_LOG_FILE": "pass\n",
        "INCREMENT_INTEGER_VARIABLE": "integerVariable = integerVariable + 1\n",
        "INCREMENT_INTEGER_VARIABLE_AND_LOG": "integerVariable = integerVariable + 1\n"
                                              + _append("trace", "'INCREMENT_correct'"),
        "CREATE_MARKER_FILE": "marker = True\n",
        "SET_STRING_DATA": "data = 'String'\n",
        # read the data input; a missing variable reads as None (Camunda's getVariable)
        "LOG_DATA": "try:\n    data_read = data\nexcept Exception:\n    data_read = None\n"
                    + _append("data_log", "data_read"),
        "THROW_ERROR": "raise BpmnError('ERR_CODE')\n",
        # A script cannot be busy on the virtual clock: the engine runs the scripts of a command
        # one after the other at the command's instant. Only record that they ran.
        "CREATE_TIMESTAMP_LOG_1": _append("timing", "'TIMESTAMP_1'"),
        "CREATE_TIMESTAMP_LOG_2": _append("timing", "'TIMESTAMP_2'"),
        "WAIT_TEN_SECONDS": _append("timing", "'WAIT_TEN_SECONDS'"),
    }
    if token not in simple:
        raise ValueError(f"unknown betsy script token {token!r}")
    return simple[token]


_CONTAINS = re.compile(r"""([A-Za-z_]\w*)\.contains\(\s*"([^"]*)"\s*\)""")


def condition_to_python(text: str) -> str:
    """betsy's condition dialect -> Python: `X.contains("s")` -> `('s' in X)`, `!` -> `not`,
    `&&`/`||` -> `and`/`or`, `true`/`false` -> `True`/`False`, a surrounding `${}` dropped.
    Anything else (a stray `>`, `activationCount>=1`) is kept as written."""
    s = text.strip()
    if s.startswith("${") and s.endswith("}"):
        s = s[2:-1].strip()
    s = _CONTAINS.sub(lambda m: f"({m.group(2)!r} in {m.group(1)})", s)
    s = s.replace("&&", " and ").replace("||", " or ")
    s = re.sub(r"!(?!=)", " not ", s)
    s = re.sub(r"\btrue\b", "True", s)
    s = re.sub(r"\bfalse\b", "False", s)
    s = re.sub(r"\bnull\b", "None", s)
    return re.sub(r"\s+", " ", s).strip()


_EXPRESSION_TAGS = ("conditionExpression", "condition", "loopCondition", "completionCondition",
                    "loopCardinality", "activationCondition")


def rewrite_bpmn(content: bytes) -> bytes:
    """The file with every script token and condition rewritten; timers are left as ISO literals
    (the engine translates them)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(content, parser)
    for script in root.iterfind(".//bpmn:script", NS):
        script.text = script_for(script.text or "")
    for tag in _EXPRESSION_TAGS:
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            if (node.text or "").strip():
                node.text = condition_to_python(node.text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def top_level_error_end_events(content: bytes, process_id: str) -> set[str]:
    """Ids of the error end events directly in process `process_id` (not in a sub-process) when
    no event sub-process of that process starts by an error: reaching one of them means that an
    error left the top-level process uncaught (betsy's `ERROR_thrownErrorEvent`)."""
    root = etree.fromstring(content)
    process = f"bpmn:process[@id='{process_id}']"
    # an error definition inside the event, or a shared one it refers to (eventDefinitionRef)
    error = "[bpmn:errorEventDefinition or bpmn:eventDefinitionRef = /bpmn:definitions/bpmn:errorEventDefinition/@id]"
    if root.xpath(f"{process}/bpmn:subProcess[@triggeredByEvent='true']/bpmn:startEvent{error}", namespaces=NS):
        return set()
    return {e.get("id") for e in root.xpath(f"{process}/bpmn:endEvent{error}", namespaces=NS)}


def construct_refusals(content: bytes, filename: str) -> list[dict]:
    """What engine/definitions/constructs.py refuses in the file (read-only use of the rules)."""
    from engine.definitions.constructs import unsupported_constructs

    return unsupported_constructs(etree.fromstring(content), filename)


# ------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------


@dataclass
class CaseResult:
    case: BetsyCase
    trace: list[str]  # after the harness rules, ready for the comparison
    raw: list[str]  # the entries the instances logged
    errors: list[str] = field(default_factory=list)  # error messages seen (start, timers, incidents)

    @property
    def passed(self) -> bool:
        return Counter(self.trace) == Counter(self.case.expected)

    def describe(self) -> str:
        text = f"case {self.case.number} {self.case.inputs}: expected {sorted(self.case.expected)}, got {sorted(self.trace)}"
        if self.errors:
            text += f" ({'; '.join(self.errors)})"
        return text


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    test: BetsyTest
    cases: list[CaseResult]
    refusal: list[dict] | None = None  # InvalidDefinition problems when the deployment was refused
    refusal_by_constructs: bool = False

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)

    @property
    def outcome(self) -> str:
        """passed | refused (acceptable refusal at deploy: never run wrong) | wrong."""
        if self.passed:
            return "passed"
        if self.refusal is not None and (self.refusal_by_constructs or not self.test.baseline_passed):
            return "refused"
        return "wrong"

    def describe(self) -> str:
        lines = [f"{self.test.name}: {self.outcome}"]
        if self.refusal is not None:
            lines.append("  refused at deploy: " + "; ".join(
                f"{p.get('element')}: {p.get('message')}" for p in self.refusal))
        lines += ["  " + c.describe() for c in self.cases if not c.passed]
        return "\n".join(lines)


def _instance_ids(engine: Engine) -> set[str]:
    ids, page = set(), 1
    while True:
        result = engine.list_instances(page=page, per_page=100)
        ids.update(i.id for i in result.items)
        if page * 100 >= result.total or not result.items:
            return ids
        page += 1


def _complete_ready_tasks(engine: Engine, ids: set[str], errors: list[str]) -> None:
    """Complete every ready user or manual task of the case's instances with no data."""
    for _ in range(100):
        ready = [t for i in ids for t in engine.list_tasks(see_all=True, instance_id=i, per_page=100).items]
        if not ready:
            return
        for task in ready:
            try:
                engine.complete_task(task.id, {})
            except DiwanError as exc:
                errors.append(f"complete {task.element_id}: {exc.message}")
                return


def run_case(engine: Engine, clock: ManualClock, test: BetsyTest, case: BetsyCase,
             error_ends: set[str]) -> CaseResult:
    """Run one case of a deployed test (see the module docstring)."""
    before = _instance_ids(engine)
    errors: list[str] = []
    runtime_error = False
    try:
        if case.start_first:
            engine.start(case.start_first, {"trace": []})
        engine.start(test.main_process_id, {"trace": [], **case.inputs})
    except DiwanError as exc:
        runtime_error = True
        errors.append(f"start: {exc.message}")
    mine = _instance_ids(engine) - before
    if not runtime_error:
        _complete_ready_tasks(engine, mine, errors)
        elapsed = timedelta(0)
        wait = timedelta(milliseconds=case.wait_ms or 0)
        while elapsed < wait:
            step = min(STEP, wait - elapsed)
            clock.advance(step)
            elapsed += step
            try:
                engine.fire_due_timers()
            except DiwanError as exc:
                runtime_error = True
                errors.append(f"timer at +{elapsed.total_seconds():g}s: {exc.message}")
                break
            mine = _instance_ids(engine) - before
            _complete_ready_tasks(engine, mine, errors)
    mine = _instance_ids(engine) - before
    raw: list[str] = []
    marker = data_correct = thrown_error = False
    for instance_id in sorted(mine):
        view = engine.get_instance(instance_id)
        data = view.data
        raw += [str(e) for e in data.get("trace") or []]
        marker |= data.get("marker") is True
        data_correct |= "String" in (data.get("data_log") or [])
        if view.status == "failed" or getattr(view, "incidents", None):
            runtime_error = True
            errors.append(f"instance {view.definition_key} {view.status}: "
                          + "; ".join(i.message for i in getattr(view, "incidents", None) or []))
        if view.definition_key == test.main_process_id and error_ends:
            done = {e.element_id for e in engine.history(instance_id) if e.type == "element_completed"}
            thrown_error |= bool(done & error_ends)
        if view.status in ("running", "suspended", "failed"):
            try:
                engine.cancel(instance_id, reason="betsy case over")
            except DiwanError as exc:
                errors.append(f"cancel {instance_id}: {exc.message}")
    trace = list(raw)
    if marker and "MARKER_exists" in case.expected:
        trace.append("MARKER_exists")
    if data_correct and "DATA_correct" in case.expected:
        trace.append("DATA_correct")
    if thrown_error:
        trace.append("ERROR_thrownErrorEvent")
    if runtime_error:
        trace.append("ERROR_runtime")
    return CaseResult(case, _error_rule(trace, case), raw, errors)


def _error_rule(trace: list[str], case: BetsyCase) -> list[str]:
    """When `ERROR` is expected, a deployment or runtime error both count as `ERROR`."""
    if "ERROR" in case.expected:
        return ["ERROR" if e in ("ERROR_deployment", "ERROR_runtime") else e for e in trace]
    return trace


def run_test(engine: Engine, clock: ManualClock, test: BetsyTest) -> TestResult:
    """Deploy the test's file once, then run each case on the same engine."""
    original = test.bpmn.read_bytes()
    content = rewrite_bpmn(original)
    try:
        engine.deploy([(test.bpmn.name, content)])
    except InvalidDefinition as exc:
        problems = list(exc.errors or [])
        by_rules = construct_refusals(content, test.bpmn.name)
        cases = [CaseResult(c, _error_rule(["ERROR_deployment"], c), [], [exc.message]) for c in test.cases]
        return TestResult(test, cases, refusal=problems,
                          refusal_by_constructs=any(p in by_rules for p in problems))
    error_ends = top_level_error_end_events(original, test.main_process_id)
    return TestResult(test, [run_case(engine, clock, test, c, error_ends) for c in test.cases])
