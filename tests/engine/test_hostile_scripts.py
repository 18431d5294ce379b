"""A corpus of hostile scripts and expressions, each refused, stopped or cleanly failed.

Every case is a process deployed and started through the engine, as a designer's diagram
and a clerk's start would: escapes are refused at deploy naming the element; code that
loops or allocates in C (where no step budget sees it) is stopped by the script process's
time or memory limit; results that are not values an instance can keep fail with the
variable's path. Whatever happens, the start changes nothing (no instance is left) and
the engine goes on serving.
"""
from __future__ import annotations

import time
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest

from engine import Engine, EngineSettings
from engine.errors import InvalidData, InvalidDefinition, ScriptError

TIMEOUT = 0.5  # this module's script time limit per command (the default is 2 s)
STOPPED = ("ran longer than", "ran out of memory", "steps (infinite loop?)", "used up its CPU time")


def script_process(script: str) -> bytes:
    return ('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="d" targetNamespace="t"><bpmn:process id="hostile" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="python">'
            f'<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="g" sourceRef="t" targetRef="u"/><bpmn:userTask id="u"/>'
            '<bpmn:sequenceFlow id="h" sourceRef="u" targetRef="e"/><bpmn:endEvent id="e"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def condition_process(condition: str) -> bytes:
    return ('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="d" targetNamespace="t"><bpmn:process id="hostile" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="gw"/>'
            '<bpmn:exclusiveGateway id="gw" default="no"/>'
            '<bpmn:sequenceFlow id="yes" sourceRef="gw" targetRef="u">'
            f'<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="no" sourceRef="gw" targetRef="u"/>'
            '<bpmn:userTask id="u"/><bpmn:sequenceFlow id="h" sourceRef="u" targetRef="e"/><bpmn:endEvent id="e"/>'
            '</bpmn:process></bpmn:definitions>').encode()


# (id, script) refused at deploy, with a word of the refusal
ESCAPES = [
    ("import", "import os", "imports are not allowed"),
    ("from-import", "from os import system", "imports are not allowed"),
    ("dunder-import", "__import__('os').system('id')", "'__import__' is not allowed"),
    ("subclasses", "x = ().__class__.__base__.__subclasses__()", "'__class__' is not allowed"),
    ("mro-walk", "x = ''.__class__.__mro__[1]", "'__class__' is not allowed"),
    ("open", "x = open('/etc/passwd').read()", "'open' is not allowed"),
    ("eval", "x = eval('1')", "'eval' is not allowed"),
    ("exec", "exec('x = 1')", "'exec' is not allowed"),
    ("compile", "x = compile('1', 'f', 'eval')", "'compile' is not allowed"),
    ("getattr", "x = getattr(1, 'real')", "'getattr' is not allowed"),
    ("setattr", "setattr(BpmnError, 'x', 1)", "'setattr' is not allowed"),
    ("delattr", "delattr(BpmnError, 'x')", "'delattr' is not allowed"),
    ("globals", "x = globals()", "'globals' is not allowed"),
    ("locals", "x = locals()", "'locals' is not allowed"),
    ("vars", "x = vars()", "'vars' is not allowed"),
    ("type", "x = type(1)", "'type' is not allowed"),
    ("builtins", "x = __builtins__", "'__builtins__' is not allowed"),
    ("format-attr", "x = '{0.__class__}'.format(1)", "'format' is not allowed"),
    ("format-map", "x = '{a}'.format_map({'a': 1})", "'format_map' is not allowed"),
    ("fstring-dunder", "x = f'{BpmnError.__mro__}'", "'__mro__' is not allowed"),
    ("lambda-globals", "x = (lambda: 0).__globals__", "'__globals__' is not allowed"),
    ("gen-frame", "g = (i for i in [1])\nx = g.gi_frame.f_back", "'gi_frame' is not allowed"),
    ("traceback-frame", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    x = e.__traceback__",
     "'__traceback__' is not allowed"),
    ("tb-frame", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    x = e.tb_frame", "'tb_frame' is not allowed"),
    ("mro", "x = int.mro()", "'mro' is not allowed"),
    ("self", "x = sorted.__self__", "'__self__' is not allowed"),
    ("private", "x = math._members", "'_members' is not allowed"),
    ("private-name", "_x = 1", "'_x' is not allowed"),
    ("class", "class A:\n    pass", "class definitions are not allowed"),
    ("global", "def f():\n    global y\n    y = 1\nf()", "'global' statements are not allowed"),
    ("nonlocal", "def f():\n    a = 1\n    def g():\n        nonlocal a\n    g()\nf()", "'nonlocal' statements"),
    ("async", "async def f():\n    pass", "'async def' is not allowed"),
    ("yield", "def f():\n    yield 1\nx = list(f())", "'yield' is not allowed"),
    ("bare-except", "try:\n    x = 1\nexcept:\n    pass", "bare 'except:' is not allowed"),
    ("finally", "try:\n    x = 1\nfinally:\n    y = 2", "'finally' blocks are not allowed"),
    ("breakpoint", "breakpoint()", "'breakpoint' is not allowed"),
    ("input", "x = input()", "'input' is not allowed"),
    ("help", "help()", "'help' is not allowed"),
    ("exit", "exit()", "'exit' is not allowed"),
    ("memoryview", "x = memoryview(b'x')", "'memoryview' is not allowed"),
    ("super", "x = super()", "'super' is not allowed"),
    ("object", "x = object()", "'object' is not allowed"),
    ("setattr-stmt", "BpmnError.secret = 'leak'", "setting an attribute ('secret')"),
    ("setattr-pow", "pow.cache = {}", "setting an attribute ('cache')"),
    ("delattr-stmt", "del math.pi", "setting an attribute ('pi')"),
    ("match-dunder", "match 1:\n    case int(__class__=c):\n        pass", "'__class__' is not allowed"),
    ("big-literal-pow", "x = 2 ** 100000", "exponent 100000 is too large"),
    ("syntax", "x = = 1", "syntax error"),
]

# (id, script) stopped by a limit of the script process
STOPS = [
    ("c-sum", "x = sum(range(10**18))"),
    ("c-max", "x = max(range(10**18))"),
    ("c-all", "x = all(range(1, 10**18))"),
    ("c-sorted", "x = sorted(range(10**9))"),
    ("c-list", "x = len(list(range(10**9)))"),
    ("c-set", "x = len(set(range(10**9)))"),
    ("c-tuple", "x = len(tuple(range(10**9)))"),
    ("c-dict", "x = len(dict.fromkeys(range(10**9)))"),
    ("c-zip", "x = len(list(zip(range(10**9), range(10**9))))"),
    ("c-enumerate", "x = len(list(enumerate(range(10**9))))"),
    ("c-min", "x = min(range(10**18))"),
    ("c-in-list", "x = -1 in list(range(10**9))"),
    ("decimal-int", "x = int(decimal.Decimal('1e100000000'))"),
    ("decimal-round", "x = round(decimal.Decimal('1e100000000'))"),
    ("decimal-floor", "x = math.floor(decimal.Decimal('1e100000000'))"),
    ("fstring-width", "x = f'{1:>{10**9}}'"),
    ("fstring-precision", "x = f'{1.5:.{10**9}f}'"),
    ("percent-width", "x = '%0*d' % (10**9, 1)"),
    ("pow-tower", "x = 10**10**10"),
    ("pow-computed", "n = 10**8\nx = 7 ** n"),
    ("lshift", "x = 1 << (10**10)"),
    ("str-mul", "x = 'a' * (10**10)"),
    ("list-mul", "x = [0] * (10**10)"),
    ("nested-mul", "x = [[0] * 10**4 for _ in range(10**4)]"),
    ("center", "x = 'x'.center(10**10)"),
    ("ljust", "x = 'x'.ljust(10**10)"),
    ("zfill", "x = '1'.zfill(10**10)"),
    ("expandtabs", "x = '\\t'.expandtabs(10**9)"),
    ("replace", "x = ('a' * 10**4).replace('a', 'b' * 10**5)"),
    ("join", "x = ','.join(['a' * 10**4] * 10**5)"),
    ("doubling", "x = 'a'\nfor i in range(100):\n    x = x + x"),
    ("list-doubling", "x = [1]\nfor i in range(100):\n    x = x + x"),
    ("extend-doubling", "x = [1]\nfor i in range(100):\n    x.extend(x)"),
    ("factorial", "x = math.factorial(10**8)"),
    ("comb", "x = math.comb(10**7, 5 * 10**6)"),
    ("prod", "x = math.prod(range(1, 10**7))"),
    ("while-true", "while True:\n    pass"),
    ("while-body", "while True:\n    x = 1"),
    ("for-huge", "for i in range(10**12):\n    pass"),
    ("genexp", "x = sum(i for i in range(10**18))"),
    ("comprehension", "x = [i for i in range(10**12)]"),
    ("lambda-map", "x = list(map(lambda v: v, range(10**9)))"),
    ("sorted-key", "x = sorted(range(10**7), key=lambda v: -v)"),
    ("dict-build", "x = {}\nfor i in range(10**8):\n    x[str(i)] = i"),
    ("nested-loops", "for a in range(10**6):\n    for b in range(10**6):\n        pass"),
    ("string-growth", "x = ''\nwhile True:\n    x += 'aaaaaaaaaa' * 1000"),
]

# (id, script, words) failing with the script's own error or a value it cannot keep
FAILURES = [
    ("zero-division", "x = 1 / 0", "ZeroDivisionError"),
    ("name-error-sys", "x = sys.modules", "NameError"),
    ("name-error-print", "print('x')", "NameError"),
    ("recursion", "def f(n):\n    return f(n + 1)\nx = f(0)", "RecursionError"),
    ("mutual-recursion", "def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nx = f(0)", "RecursionError"),
    ("pow-builtin", "x = pow(10, 10**9)", "OverflowError"),
    ("decimal-overflow", "x = decimal.Decimal(10) ** (10**9)", "Overflow"),
    ("int-digits", "x = int('9' * 100000)", "ValueError"),
    ("getcontext", "x = decimal.getcontext()", "AttributeError"),
    ("readonly-math", "x = math.nothing", "AttributeError"),
    ("set", "x = {1, 2}", "variable x: sets are not JSON values"),
    ("frozenset", "x = frozenset([1])", "variable x: sets are not JSON values"),
    ("bytes", "x = b'abc'", "variable x: bytes are not JSON values"),
    ("range", "x = range(3)", "variable x: a range is not a JSON value"),
    ("generator", "x = (i for i in [1, 2])", "variable x: a generator (iterator) cannot be stored"),
    ("zip-object", "x = zip([1], [2])", "variable x: a zip (iterator) cannot be stored"),
    ("map-object", "x = map(str, [1])", "variable x: a map (iterator) cannot be stored"),
    ("namespace", "x = math", "variable x: a value of type _ReadOnlyNamespace cannot be stored"),
    ("exception", "x = ValueError('boom')", "variable x: an exception (ValueError)"),
    ("lambda-in-list", "x = [lambda: 1]", "variable x[0]: functions and classes cannot be stored"),
    ("self-containing", "x = []\nx.append(x)", "variable x"),
    ("deep-nesting", "x = []\nfor i in range(300):\n    x = [x]", "nests deeper than 64 levels"),
    ("lone-surrogate", "x = '\\ud800'", "lone surrogate (U+D800)"),
    ("int-key", "x = {1: 'a'}", "variable x: dictionary keys must be text, not int"),
    ("tuple-key", "x = {(1, 2): 'a'}", "dictionary keys must be text, not tuple"),
    ("big-int", "x = 2 ** 64", "variable x: the integer is beyond the 64-bit range"),
    ("huge-int", "x = 10 ** 5000", "beyond the 64-bit range"),
    ("nan", "x = float('nan')", "variable x: nan is not a JSON number"),
    ("inf", "x = float('inf')", "variable x: inf is not a JSON number"),
    ("decimal-nan", "x = decimal.Decimal('NaN')", "is not a finite number"),
    ("decimal-huge", "x = decimal.Decimal('1e100000')", "the decimal is too large"),
    ("nested-set", "x = {'a': [{'b': {1}}]}", "variable x.a[0].b: sets are not JSON values"),
    ("nul-key", "x = {'a\\x00': 1}", "NUL characters"),
    ("big-variable", "x = 'a' * 600000", "variable x: the variable takes 600002 bytes, more than the 524288"),
    ("shared-parts", "x = ['y' * 100]\nfor i in range(40):\n    x = [x, x]", "takes more than 524288 bytes"),
    ("bpmn-error-uncaught", "raise BpmnError('E_NOPE', 'nobody catches this')", "no error event catches it"),
]


@pytest.fixture
def hostile_engine(database_url, clock):
    eng = Engine(settings=EngineSettings(database_url=database_url, timezone="Africa/Casablanca",
                                         script_timeout_seconds=TIMEOUT), clock=clock)
    yield eng
    eng.dispose()


def _start(engine, body: bytes):
    engine.deploy([("hostile.bpmn", body)])
    return engine.start("hostile", {"amount": 10})


@pytest.mark.parametrize("script, words", [pytest.param(s, w, id=i) for i, s, w in ESCAPES])
def test_an_escape_is_refused_at_deploy(hostile_engine, script, words):
    with pytest.raises(InvalidDefinition) as info:
        hostile_engine.deploy([("hostile.bpmn", script_process(script))])
    [problem] = info.value.errors
    assert problem["element"] == "t" and words in problem["message"]


@pytest.mark.parametrize("script", [pytest.param(s, id=i) for i, s in STOPS])
def test_code_that_runs_long_or_allocates_in_c_is_stopped(hostile_engine, script):
    started = time.monotonic()
    with pytest.raises(ScriptError) as info:
        _start(hostile_engine, script_process(script))
    elapsed = time.monotonic() - started
    [error] = info.value.errors
    assert error["element"] == "t"
    assert any(words in error["message"] for words in STOPPED), error["message"]
    assert elapsed < TIMEOUT + 10  # generous for a loaded CI machine; without the limits: minutes or forever
    assert hostile_engine.list_instances().total == 0


@pytest.mark.parametrize("script, words", [pytest.param(s, w, id=i) for i, s, w in FAILURES])
def test_a_failing_script_or_a_value_no_instance_can_keep_fails_cleanly(hostile_engine, script, words):
    with pytest.raises(ScriptError) as info:
        _start(hostile_engine, script_process(script))
    [error] = info.value.errors
    assert error["element"] == "t" and words in error["message"], error["message"]
    assert hostile_engine.list_instances().total == 0


CONDITIONS = [
    ("sum", "sum(range(10**18)) > 0", STOPPED),
    ("sorted", "len(sorted(range(10**9))) > 0", STOPPED),
    ("fstring", "len(f'{1:>{10**9}}') > 0", STOPPED),
    ("genexp", "any(i < 0 for i in range(10**18))", STOPPED),
    ("decimal", "int(decimal.Decimal('1e100000000')) > 0", STOPPED),
    ("mul", "len('a' * 10**10) > 0", STOPPED),
]


@pytest.mark.parametrize("condition, words", [pytest.param(c, w, id=i) for i, c, w in CONDITIONS])
def test_a_hostile_condition_is_stopped(hostile_engine, condition, words):
    with pytest.raises(ScriptError) as info:
        _start(hostile_engine, condition_process(condition))
    assert any(w in info.value.errors[0]["message"] for w in words), info.value.errors
    assert hostile_engine.list_instances().total == 0


@pytest.mark.parametrize("condition", ["__import__('os')", "open('/etc/passwd')", "x.__class__", "getattr(x, 'y')"])
def test_a_hostile_condition_is_refused_at_deploy(hostile_engine, condition):
    with pytest.raises(InvalidDefinition):
        hostile_engine.deploy([("hostile.bpmn", condition_process(condition))])


def test_the_instance_variables_are_limited_in_size(hostile_engine):
    script = "a = 'x' * 400000\nb = 'y' * 400000\nc = 'z' * 400000"
    with pytest.raises(InvalidData, match="more than the 1048576 allowed"):
        _start(hostile_engine, script_process(script))
    assert hostile_engine.list_instances().total == 0


def test_a_product_run_in_the_engine_process_makes_no_value_larger_than_allowed(hostile_engine):
    from engine.runtime.bounded import is_bounded

    script = "y = text * 16"  # at most 16 times a variable: bounded, so run in the engine process
    assert is_bounded(script, "exec")
    hostile_engine.deploy([("hostile.bpmn", script_process(script))])
    with pytest.raises((ScriptError, InvalidData), match="bytes|too large"):
        hostile_engine.start("hostile", {"text": "x" * 200_000})  # 3.2 MB: over a variable's limit
    assert hostile_engine.list_instances().total == 0
    done = hostile_engine.start("hostile", {"text": "ab"})
    assert hostile_engine.get_instance(done.id).data["y"] == "ab" * 16


def test_state_does_not_leak_between_evaluations_or_instances(hostile_engine):
    """What a script leaves behind is its instance's variables only: another instance, of
    another process, run by the same script process, sees nothing of it."""
    hostile_engine.deploy([("leaky.bpmn", script_process("secret = 'mine'\nleak = [i for i in range(3)]")
                            .replace(b'"hostile"', b'"leaky"'))])
    first = hostile_engine.start("leaky", {})
    second = _start(hostile_engine, script_process(
        "try:\n    found = [secret, leak]\nexcept Exception as e:\n    found = str(e)"))
    assert hostile_engine.get_instance(first.id).data == {"leak": [0, 1, 2], "secret": "mine"}
    assert hostile_engine.get_instance(second.id).data == {"amount": 10, "found": "name 'secret' is not defined"}


def test_after_every_kind_of_stop_the_engine_keeps_serving(hostile_engine):
    for script in ("x = sum(range(10**18))", "x = [0] * 10**10", "while True:\n    pass", "x = {1}"):
        with pytest.raises(ScriptError):
            _start(hostile_engine, script_process(script))
    inst = _start(hostile_engine, script_process("x = [i * 2 for i in range(5)]"))
    assert hostile_engine.get_instance(inst.id).data == {"amount": 10, "x": [0, 2, 4, 6, 8]}


def test_the_default_time_limit_stops_a_script_within_its_bound(database_url, clock):
    engine = Engine(settings=EngineSettings(database_url=database_url), clock=clock)
    try:
        started = time.monotonic()
        with pytest.raises(ScriptError, match="ran longer than 2 s"):
            _start(engine, script_process("x = sum(range(10**18))"))
        assert time.monotonic() - started < 2 + 10
    finally:
        engine.dispose()


def test_the_corpus_is_large():
    assert len(ESCAPES) + len(STOPS) + len(FAILURES) + len(CONDITIONS) + 4 >= 100


def test_no_code_that_must_be_stopped_is_judged_bounded():
    """Bounded code runs in the engine process, where nothing could stop it: none of the
    corpus's long-running cases may be judged bounded (bounded.py)."""
    from engine.runtime.bounded import is_bounded

    assert [i for i, s in STOPS if is_bounded(s, "exec")] == []
    assert [i for i, c, _ in CONDITIONS if is_bounded(c, "eval")] == []
    assert is_bounded("risk = 'low' if amount < 1000 else 'high'", "exec")  # and the common cases are
    assert is_bounded("amount > 1000 and status == 'ok'", "eval")


def timer_process(key: str, script: str) -> bytes:
    return ('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="d" targetNamespace="t"><bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="w"/><bpmn:intermediateCatchEvent id="w">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
            '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="g" sourceRef="w" targetRef="t"/>'
            f'<bpmn:scriptTask id="t"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="h" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def test_a_timer_firing_a_stalling_script_is_retried_then_an_incident_and_other_timers_fire(database_url, clock):
    engine = Engine(settings=EngineSettings(database_url=database_url, script_timeout_seconds=TIMEOUT,
                                            retry_backoff_seconds=0, max_attempts=2), clock=clock)
    try:
        engine.deploy([("stall.bpmn", timer_process("stall", "x = sum(range(10**18))")),
                       ("fine.bpmn", timer_process("fine", "x = [i for i in range(3)]"))])
        stalled, fine = engine.start("stall", {}), engine.start("fine", {})
        started = time.monotonic()
        _, fired = engine.advance_clock(by=timedelta(hours=2))
        engine.fire_due_timers()  # the retry (backoff 0 here)
        assert time.monotonic() - started < 2 * (TIMEOUT + 10)
        assert engine.get_instance(fine.id).status == "completed"
        failed = engine.get_instance(stalled.id)
        assert failed.status == "failed"
        [incident] = failed.incidents
        assert incident.attempts == 2 and "ran longer than" in incident.message
    finally:
        engine.dispose()
