"""Tests of the designer's script sandbox (engine/runtime/sandbox.py)."""
from __future__ import annotations

import __future__
import decimal
import math
import pickle
import sys
import threading
from typing import Any

import pytest

from engine.runtime.sandbox import (
    DECIMAL_NAMESPACE,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_NAMES,
    MATH_NAMESPACE,
    MAX_POW_EXPONENT,
    SAFE_BUILTINS,
    SCRIPT_FILENAME,
    BudgetExceeded,
    UnsafeCode,
    check_code,
    compile_code,
    run_with_budget,
    script_globals,
)


def refusal(source: str, mode: str = "exec") -> str:
    with pytest.raises(UnsafeCode) as info:
        check_code(source, mode)
    return str(info.value)


def run(source: str, max_steps: int | None = None, **variables: Any) -> dict[str, Any]:
    """Check, compile and exec a script over `variables`; returns its globals."""
    env = script_globals(variables)
    code = compile_code(source, "exec")
    if max_steps is None:
        exec(code, env)
    else:
        run_with_budget(exec, code, env, max_steps=max_steps)
    return env


def evaluate(source: str, **variables: Any) -> Any:
    return eval(compile_code(source, "eval"), script_globals(variables))


def unchecked(source: str, mode: str = "exec"):
    """Compile designer code without the AST check (as if the check had been skipped)."""
    return compile(source, SCRIPT_FILENAME, mode, dont_inherit=True)


@pytest.fixture
def sentinel_tracer():
    """Install a do-nothing Python tracer for the test, restoring whatever was there."""
    def sentinel(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(sentinel)
    try:
        yield sentinel
    finally:
        sys.settrace(previous)


# ---------------------------------------------------------------------------------------
# check_code: forbidden constructs
# ---------------------------------------------------------------------------------------

_SETATTR = "line 1: setting an attribute ({!r}) is not allowed: store values in variables or dictionary keys"

FORBIDDEN_CONSTRUCTS = [
    # (source, mode, expected str(UnsafeCode))
    ("import os", "exec", "line 1: imports are not allowed"),
    ("import os.path as p", "exec", "line 1: imports are not allowed"),
    ("from os import path", "exec", "line 1: imports are not allowed"),
    ("x = 1\nfrom . import y", "exec", "line 2: imports are not allowed"),
    ("def f():\n    global x\n    x = 1", "exec", "line 2: 'global' statements are not allowed"),
    ("def f():\n    x = 1\n    def g():\n        nonlocal x\n        x = 2", "exec",
     "line 4: 'nonlocal' statements are not allowed"),
    ("class A:\n    pass", "exec", "line 1: class definitions are not allowed"),
    ("async def f():\n    pass", "exec", "line 1: 'async def' is not allowed"),
    ("async for x in y:\n    pass", "exec", "line 1: 'async for' is not allowed"),
    ("async with y:\n    pass", "exec", "line 1: 'async with' is not allowed"),
    ("x = await y", "exec", "line 1: 'await' is not allowed"),
    ("[x async for x in y]", "eval", "line 1: async comprehensions are not allowed"),
    ("def g():\n    yield 1", "exec", "line 2: 'yield' is not allowed"),
    ("def g():\n    yield from [1]", "exec", "line 2: 'yield from' is not allowed"),
    ("(lambda: (yield))", "eval", "line 1: 'yield' is not allowed"),
    ("try:\n    x = 1\nexcept:\n    x = 2", "exec",
     "line 3: bare 'except:' is not allowed; name the exception, e.g. 'except ValueError:'"),
    ("try:\n    x = 1\nfinally:\n    x = 2", "exec", "line 4: 'finally' blocks are not allowed"),
    ("try:\n    x = 1\nexcept* ValueError:\n    x = 2\nfinally:\n    x = 3", "exec",
     "line 6: 'finally' blocks are not allowed"),
    ("__import__('os')", "eval", "line 1: name '__import__' is not allowed"),
    ("__builtins__", "eval", "line 1: name '__builtins__' is not allowed"),
    ("_private + 1", "eval", "line 1: name '_private' is not allowed"),
    ("__name__ = 'x'", "exec", "line 1: name '__name__' is not allowed"),
    ("(_x := 1)", "eval", "line 1: name '_x' is not allowed"),
    ("def __init__():\n    pass", "exec", "line 1: name '__init__' is not allowed"),
    ("def f(a, *, __b=1):\n    pass", "exec", "line 1: name '__b' is not allowed"),
    ("lambda _y: 0", "eval", "line 1: name '_y' is not allowed"),
    ("def input():\n    pass", "exec", "line 1: name 'input' is not allowed"),
    ("try:\n    x = 1\nexcept ValueError as _e:\n    pass", "exec", "line 3: name '_e' is not allowed"),
    ("match x:\n    case {**_rest}:\n        pass", "exec", "line 2: name '_rest' is not allowed"),
    ("match x:\n    case [*__r]:\n        pass", "exec", "line 2: name '__r' is not allowed"),
    ("match x:\n    case int() as type:\n        pass", "exec", "line 2: name 'type' is not allowed"),
    ("x.__class__", "eval", "line 1: attribute '__class__' is not allowed"),
    ("x._secret", "eval", "line 1: attribute '_secret' is not allowed"),
    ("x._secret = 1", "exec", "line 1: attribute '_secret' is not allowed"),
    # state left on shared objects would reach the next evaluation (and other processes' instances)
    ("BpmnError.secret = 'x'", "exec", _SETATTR.format("secret")),
    ("pow.cache = {}", "exec", _SETATTR.format("cache")),
    ("del ValueError.note", "exec", _SETATTR.format("note")),
    ("InvalidOperation.count += 1", "exec", _SETATTR.format("count")),
    ("for BpmnError.x in [1]:\n    pass", "exec", _SETATTR.format("x")),
    ("with x as math.y:\n    pass", "exec", _SETATTR.format("y")),
    ("[1 for now.z in [1]]", "eval", _SETATTR.format("z")),
    ("match x:\n    case int(__class__=c):\n        pass", "exec",
     "line 2: attribute '__class__' is not allowed"),
    ("match x:\n    case str(format=f):\n        pass", "exec",
     "line 2: attribute 'format' is not allowed"),
    ("2 ** 100000", "eval", f"line 1: exponent 100000 is too large (at most {MAX_POW_EXPONENT})"),
    ("x = 3\nx **= 20000", "exec", f"line 2: exponent 20000 is too large (at most {MAX_POW_EXPONENT})"),
    ("x = = 1", "exec", "line 1: syntax error: invalid syntax"),
    ("x = 1\nif x\n    y = 2", "exec", "line 2: syntax error: expected ':'"),
    ("x = 1", "eval", "line 1: syntax error: invalid syntax"),
    ("-" * 100_000 + "1", "eval", "the code is too deeply nested"),
]


@pytest.mark.parametrize(("source", "mode", "expected"), FORBIDDEN_CONSTRUCTS)
def test_check_code__refuses_forbidden_construct(source, mode, expected):
    assert refusal(source, mode) == expected


@pytest.mark.parametrize("name", sorted(FORBIDDEN_NAMES))
def test_check_code__refuses_forbidden_name_read(name):
    assert refusal(f"x = 1\ny = {name}(x)") == f"line 2: name {name!r} is not allowed"


@pytest.mark.parametrize("name", sorted(FORBIDDEN_NAMES))
def test_check_code__refuses_forbidden_name_store(name):
    assert refusal(f"{name} = 1") == f"line 1: name {name!r} is not allowed"


@pytest.mark.parametrize("attr", sorted(FORBIDDEN_ATTRIBUTES))
def test_check_code__refuses_forbidden_attribute(attr):
    assert refusal(f"x.{attr}", "eval") == f"line 1: attribute {attr!r} is not allowed"


def test_check_code__rule_tables_include_the_required_entries():
    assert {"exec", "eval", "compile", "open", "getattr", "setattr", "delattr", "globals",
            "locals", "vars", "type", "__builtins__", "__import__", "input", "breakpoint",
            "help", "memoryview", "super", "object", "classmethod", "staticmethod",
            "property", "exit", "quit"} <= FORBIDDEN_NAMES
    assert {"format", "format_map", "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame",
            "cr_code", "ag_frame", "ag_code", "f_globals", "f_locals", "f_back",
            "f_builtins", "f_code", "tb_frame", "tb_next", "mro"} <= FORBIDDEN_ATTRIBUTES


ESCAPES = [
    # (source, expected message) -- attempts from notes §2.2 and relatives
    ("().__class__.__base__.__subclasses__()", "line 1: attribute '__class__' is not allowed"),
    ("''.__class__.__mro__[1].__subclasses__()", "line 1: attribute '__class__' is not allowed"),
    ("'{0.__class__}'.format(1)", "line 1: attribute 'format' is not allowed"),
    ("'{0.__class__}'.format_map({})", "line 1: attribute 'format_map' is not allowed"),
    ("getattr(x, '__class__')", "line 1: name 'getattr' is not allowed"),
    ("[c for c in ().__class__.__bases__]", "line 1: attribute '__class__' is not allowed"),
    ("(lambda: 0).__globals__", "line 1: attribute '__globals__' is not allowed"),
    ("(x for x in []).gi_frame.f_globals", "line 1: attribute 'gi_frame' is not allowed"),
    ("int.mro()", "line 1: attribute 'mro' is not allowed"),
    ("type(x)", "line 1: name 'type' is not allowed"),
    ("vars(x)", "line 1: name 'vars' is not allowed"),
    ("f'{x.__class__}'", "line 1: attribute '__class__' is not allowed"),
    ("sorted.__self__", "line 1: attribute '__self__' is not allowed"),
    ("ValueError.__subclasses__()", "line 1: attribute '__subclasses__' is not allowed"),
    ("math.sqrt.__self__", "line 1: attribute '__self__' is not allowed"),
    ("math._members", "line 1: attribute '_members' is not allowed"),
]


@pytest.mark.parametrize(("source", "expected"), ESCAPES)
def test_check_code__refuses_escape_attempt(source, expected):
    assert refusal(source, "eval") == expected


def test_check_code__refuses_traceback_frame_walk_on_its_line():
    source = ("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
              "    g = e.__traceback__.tb_frame.f_back.f_globals")
    assert refusal(source) == "line 4: attribute '__traceback__' is not allowed"


def test_check_code__reports_the_first_problem_in_the_source():
    source = "x = 1\ny = open('f')\nimport os\nz = x.__class__"
    assert refusal(source) == "line 2: name 'open' is not allowed"


def test_check_code__reports_attribute_on_its_own_line_in_a_chain():
    assert refusal("x = (y\n     .__class__)") == "line 2: attribute '__class__' is not allowed"


ALLOWED = [
    ("total = sum(x for x in range(10))", "exec"),
    ("first, *rest = [1, 2, 3]", "exec"),
    ("def f(a, *args, b=2, **kw):\n    return a + b\nr = f(1)", "exec"),
    ("f = lambda v: v * 2", "exec"),
    ("d = {k: v for k, v in zip('ab', (1, 2))}", "exec"),
    ("for _ in range(3):\n    pass", "exec"),
    ("try:\n    x = int('a')\nexcept (ValueError, TypeError) as e:\n    x = str(e)", "exec"),
    ("match x:\n    case {'a': 1, **rest}:\n        y = rest\n    case _:\n        y = None", "exec"),
    ("amount > 1000 and status == 'ok'", "eval"),
    (f"2 ** {MAX_POW_EXPONENT}", "eval"),
    ("x.upper().strip()", "eval"),
    ("dict(type='urgent')", "eval"),
    ("with x:\n    pass", "exec"),
]


@pytest.mark.parametrize(("source", "mode"), ALLOWED)
def test_check_code__accepts_allowed_code(source, mode):
    assert check_code(source, mode) is None


def test_check_code__rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode must be 'exec' or 'eval'"):
        check_code("x", "single")


def test_check_code__rejects_non_string_source():
    with pytest.raises(TypeError):
        check_code(b"x = 1")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# UnsafeCode
# ---------------------------------------------------------------------------------------

def test_unsafe_code__has_message_lineno_and_str():
    exc = UnsafeCode("imports are not allowed", 3)
    assert isinstance(exc, ValueError)
    assert (exc.message, exc.lineno) == ("imports are not allowed", 3)
    assert str(exc) == "line 3: imports are not allowed"


def test_unsafe_code__without_line_is_just_the_message():
    assert str(UnsafeCode("the code is too deeply nested")) == "the code is too deeply nested"


def test_unsafe_code__pickles():
    exc = pickle.loads(pickle.dumps(UnsafeCode("name 'open' is not allowed", 2)))
    assert (exc.message, exc.lineno, str(exc)) == (
        "name 'open' is not allowed", 2, "line 2: name 'open' is not allowed")


# ---------------------------------------------------------------------------------------
# compile_code
# ---------------------------------------------------------------------------------------

def test_compile_code__uses_the_script_filename_and_caches():
    code = compile_code("x = 1 + 1", "exec")
    assert code.co_filename == SCRIPT_FILENAME == "<script>"
    assert compile_code("x = 1 + 1", "exec") is code
    assert compile_code("1 + 1", "eval") is not compile_code("1 + 1", "exec")


def test_compile_code__runs_the_check():
    with pytest.raises(UnsafeCode, match="imports are not allowed"):
        compile_code("import os", "exec")


def test_compile_code__turns_compiler_errors_into_unsafe_code():
    assert str(pytest.raises(UnsafeCode, compile_code, "x = 1\nreturn x", "exec").value) == (
        "line 2: syntax error: 'return' outside function")


def test_compile_code__does_not_inherit_future_flags():
    # the sandbox module uses `from __future__ import annotations`; scripts must not
    code = compile_code("def f(a: int) -> int:\n    return a", "exec")
    assert not code.co_flags & __future__.annotations.compiler_flag
    env = script_globals()
    exec(code, env)
    assert env["f"](3) == 3


# ---------------------------------------------------------------------------------------
# Safe globals at run time
# ---------------------------------------------------------------------------------------

def test_safe_builtins__are_exactly_the_documented_set():
    assert set(SAFE_BUILTINS) == {
        "len", "min", "max", "sum", "sorted", "round", "abs", "int", "float", "str", "bool",
        "list", "dict", "set", "tuple", "range", "enumerate", "zip", "any", "all",
        "isinstance", "reversed", "map", "filter", "divmod", "pow", "frozenset", "chr",
        "ord", "hex", "repr", "Exception", "ValueError", "KeyError", "TypeError",
        "ZeroDivisionError", "ArithmeticError", "LookupError", "IndexError",
    }


def test_script_globals__is_fresh_and_holds_the_extras():
    first = script_globals({"amount": 5})
    second = script_globals()
    assert first is not second
    assert first["__builtins__"] is SAFE_BUILTINS
    assert first["math"] is MATH_NAMESPACE and first["decimal"] is DECIMAL_NAMESPACE
    assert first["amount"] == 5 and "amount" not in second


def test_script_globals__refuses_to_override_builtins():
    with pytest.raises(ValueError, match="__builtins__"):
        script_globals({"__builtins__": __builtins__})


RESULTS = [
    # (script, variables, name, expected)
    ("r = math.sqrt(16)", {}, "r", 4.0),
    ("r = math.floor(math.pi * 100) / 100", {}, "r", 3.14),
    ("r = decimal.Decimal('0.1') + decimal.Decimal('0.2')", {}, "r", decimal.Decimal("0.3")),
    ("r = (decimal.Decimal(amount) * decimal.Decimal('1.2'))"
     ".quantize(decimal.Decimal('0.01'), rounding=decimal.ROUND_HALF_UP)",
     {"amount": "10.005"}, "r", decimal.Decimal("12.01")),
    ("r = sorted(names, key=lambda n: n.lower(), reverse=True)",
     {"names": ["b", "A", "c"]}, "r", ["c", "b", "A"]),
    ("r = [x * x for x in range(5) if x % 2 == 0]", {}, "r", [0, 4, 16]),
    ("r = {k: len(v) for k, v in items.items()}", {"items": {"a": "xy"}}, "r", {"a": 2}),
    ("def total(rows):\n    s = 0\n    for row in rows:\n        s += row['n']\n    return s\n"
     "r = total(rows)", {"rows": [{"n": 1}, {"n": 2}]}, "r", 3),
    ("try:\n    r = int(text)\nexcept ValueError:\n    r = -1", {"text": "abc"}, "r", -1),
    ("try:\n    raise KeyError('k')\nexcept LookupError as e:\n    r = repr(e)", {}, "r", "KeyError('k')"),
    ("try:\n    r = 1 / 0\nexcept ArithmeticError:\n    r = 'div'", {}, "r", "div"),
    ("r = list(reversed(list(map(abs, filter(lambda v: v < 0, [-1, 2, -3])))))", {}, "r", [3, 1]),
    ("r = (divmod(7, 2), pow(2, 10), pow(3, 4, 5), hex(255), chr(ord('a') + 1))",
     {}, "r", ((3, 1), 1024, 1, "0xff", "b")),
    ("r = frozenset({1, 2}) | {3}", {}, "r", frozenset({1, 2, 3})),
    ("first, *rest = values\nr = rest", {"values": [1, 2, 3]}, "r", [2, 3]),
    ("r = f'{name}: {amount:.2f}'", {"name": "x", "amount": 2}, "r", "x: 2.00"),
    ("r = isinstance(v, (int, float)) and any([False, True]) and all([])", {"v": 1.5}, "r", True),
    ("match req:\n    case {'kind': 'urgent', **rest}:\n        r = rest\n    case _:\n        r = None",
     {"req": {"kind": "urgent", "n": 1}}, "r", {"n": 1}),
]


@pytest.mark.parametrize(("source", "variables", "name", "expected"), RESULTS)
def test_run__allowed_script_computes_result(source, variables, name, expected):
    assert run(source, **variables)[name] == expected


def test_run__allowed_script_under_budget_computes_result():
    env = run("r = sorted(x * 2 for x in values)", max_steps=1000, values=[3, 1, 2])
    assert env["r"] == [2, 4, 6]


@pytest.mark.parametrize(("expression", "variables", "expected"), [
    ("amount > 1000 and status == 'ok'", {"amount": 1500, "status": "ok"}, True),
    ("max(scores) if scores else 0", {"scores": [3, 9, 4]}, 9),
    ("math.ceil(days / 7)", {"days": 15}, 3),
])
def test_evaluate__expression_computes_result(expression, variables, expected):
    assert evaluate(expression, **variables) == expected


@pytest.mark.parametrize(("source", "error"), [
    ("import os", ImportError),
    ("from os import path", ImportError),
    ("open('/etc/hostname')", NameError),
    ("getattr(1, 'real')", NameError),
    ("print('x')", NameError),
    ("class A:\n    pass", NameError),  # no __build_class__
    ("decimal.getcontext()", AttributeError),
    ("decimal.localcontext()", AttributeError),
])
def test_run__unchecked_code_cannot_reach_dangerous_builtins(source, error):
    with pytest.raises(error):
        exec(unchecked(source), script_globals())


def test_run__import_error_names_missing_import():
    with pytest.raises(ImportError, match="__import__ not found"):
        exec(unchecked("import os"), script_globals())


@pytest.mark.parametrize("source", ["math.pi = 3", "del math.sqrt", "decimal.Decimal = int"])
def test_run__namespaces_are_read_only(source):
    assert "setting an attribute" in refusal(source)  # refused at deploy; and at run time, unchecked:
    with pytest.raises(AttributeError, match="read-only"):
        exec(unchecked(source), script_globals())
    assert MATH_NAMESPACE.pi == math.pi and DECIMAL_NAMESPACE.Decimal is decimal.Decimal


def test_namespaces__offer_public_math_and_selected_decimal_members():
    assert set(dir(MATH_NAMESPACE)) == {n for n in dir(math) if not n.startswith("_")}
    assert set(dir(DECIMAL_NAMESPACE)) == {
        "Decimal", "InvalidOperation", "ROUND_05UP", "ROUND_CEILING", "ROUND_DOWN",
        "ROUND_FLOOR", "ROUND_HALF_DOWN", "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP"}


def test_namespaces__copy_and_pickle_to_themselves():
    import copy
    assert copy.deepcopy({"m": MATH_NAMESPACE})["m"] is MATH_NAMESPACE
    assert pickle.loads(pickle.dumps(DECIMAL_NAMESPACE)) is DECIMAL_NAMESPACE


def test_run__decimal_invalid_operation_is_catchable():
    env = run("try:\n    r = decimal.Decimal('abc')\nexcept decimal.InvalidOperation:\n    r = 'bad'")
    assert env["r"] == "bad"


@pytest.mark.parametrize(("args", "expected"), [
    ((2, 100), 2 ** 100),
    ((-2, 3), -8),
    ((2, -1), 0.5),
    ((2.0, 3), 8.0),
    ((10, 10 ** 9, 7), pow(10, 10 ** 9, 7)),
    ((1, 10 ** 12), 1),
    ((decimal.Decimal(2), 3), decimal.Decimal(8)),
])
def test_pow__computes_reasonable_results(args, expected):
    assert SAFE_BUILTINS["pow"](*args) == expected


def test_pow__allows_results_up_to_the_limit():
    assert SAFE_BUILTINS["pow"](10, 9_999) == 10 ** 9_999


@pytest.mark.parametrize("args", [(10, 10 ** 9), (2, 40_000), (-7, 10 ** 100), (10 ** 5000, 3)],
                         ids=["10^1e9", "2^40000", "-7^1e100", "1e5000^3"])
def test_pow__refuses_huge_integer_results(args):
    with pytest.raises(OverflowError, match="more than 10000 digits"):
        SAFE_BUILTINS["pow"](*args)


def test_pow__huge_result_is_catchable_in_a_script():
    env = run("try:\n    r = pow(10, n)\nexcept ArithmeticError:\n    r = 'too big'", n=10 ** 9)
    assert env["r"] == "too big"


# ---------------------------------------------------------------------------------------
# run_with_budget
# ---------------------------------------------------------------------------------------

INFINITE = [
    "while True: pass",
    "while 1:\n    ...",
    "while True:\n    if False:\n        pass",
    "x = 0\nwhile True:\n    x += 1",
    "def spin():\n    while True:\n        pass\nspin()",
    "f = lambda: [0 for _ in range(10 ** 12)]\nf()",
    "x = [i for i in range(10 ** 12)]",
    "x = sum(i for i in range(10 ** 12))",
    "x = {i: i for i in range(10 ** 12)}",
    "while True:\n    try:\n        x = 1\n    except Exception:\n        pass",
    "while True:\n    try:\n        x = 1\n    except RuntimeError:\n        x = 2",
    "def f(n):\n    return n\nwhile True:\n    f(1)",
]


@pytest.mark.parametrize("source", INFINITE)
def test_run_with_budget__stops_infinite_loop_in_main_thread(source):
    with pytest.raises(BudgetExceeded) as info:
        run(source, max_steps=10_000)
    assert str(info.value) == "the script ran more than 10000 steps (infinite loop?)"
    assert info.value.max_steps == 10_000
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize("source", ["while True: pass", "x = 0\nwhile True:\n    x += 1"])
def test_run_with_budget__stops_infinite_loop_in_worker_thread(source):
    outcome: dict[str, Any] = {}

    def worker():
        before = sys.gettrace()  # None, or a coverage tool's tracer
        try:
            run(source, max_steps=5_000)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            outcome["error"] = exc
        outcome["restored"] = sys.gettrace() is before

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], BudgetExceeded)
    assert outcome["restored"]


def test_run_with_budget__parallel_threads_have_separate_budgets():
    errors: list[BaseException | None] = [None] * 4

    def worker(i: int):
        try:
            if i % 2:
                run("while True: pass", max_steps=2_000)
            else:
                run("x = 0\nfor i in range(500):\n    x += i", max_steps=2_000)
        except BaseException as exc:  # noqa: BLE001
            errors[i] = exc

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [type(e) for e in errors] == [type(None), BudgetExceeded, type(None), BudgetExceeded]


def test_run_with_budget__counts_lines_exactly():
    source = "a = 1\nb = 2\nc = a + b"
    assert run(source, max_steps=3)["c"] == 3
    with pytest.raises(BudgetExceeded):
        run(source, max_steps=2)


def test_run_with_budget__normal_script_is_unaffected():
    source = ("def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
              "    return a\nr = [fib(i) for i in range(10)]")
    assert run(source, max_steps=10_000)["r"] == run(source)["r"] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]


def test_run_with_budget__does_not_count_engine_code():
    def engine_work() -> int:
        total = 0
        for i in range(10_000):
            total += i
        return total

    env = run("r = work()", max_steps=1, work=engine_work)
    assert env["r"] == sum(range(10_000))


def test_run_with_budget__passes_arguments_and_returns_result():
    def fn(a, b, *, c):
        return a + b + c

    assert run_with_budget(fn, 1, 2, c=3, max_steps=1) == 6
    assert run_with_budget(eval, compile_code("x * 2", "eval"), script_globals({"x": 4}),
                           max_steps=10) == 8


def test_run_with_budget__refuses_negative_budget():
    with pytest.raises(ValueError, match="max_steps"):
        run_with_budget(int, max_steps=-1)


def test_run_with_budget__restores_previous_tracer(sentinel_tracer):
    run("x = 1", max_steps=10)
    assert sys.gettrace() is sentinel_tracer
    with pytest.raises(BudgetExceeded):
        run("while True: pass", max_steps=10)
    assert sys.gettrace() is sentinel_tracer
    with pytest.raises(ZeroDivisionError):
        run("x = 1 / 0", max_steps=10)
    assert sys.gettrace() is sentinel_tracer


def test_run_with_budget__nesting_restores_the_outer_budget(sentinel_tracer):
    inner_traces = []

    def inner(source: str) -> Any:
        env = run(source, max_steps=50)
        inner_traces.append(sys.gettrace())
        return env.get("r")

    # inner lines are not counted by the outer budget: 3 outer lines fit in 3 steps
    env = run("a = inner('r = 0\\nfor i in range(20):\\n    r += i')\nb = inner('r = 1')\nc = a + b",
              max_steps=3, inner=inner)
    assert env["c"] == sum(range(20)) + 1
    assert len(inner_traces) == 2 and all(t is not None and t is not sentinel_tracer
                                         for t in inner_traces)
    assert sys.gettrace() is sentinel_tracer

    # an inner budget stop is an ordinary exception for the outer script, whose own
    # loop is still counted afterwards
    outer = ("try:\n    inner('while True: pass')\nexcept Exception as e:\n    caught = str(e)\n"
             "while True:\n    x = 1")
    with pytest.raises(BudgetExceeded) as info:
        run(outer, max_steps=1_000, inner=inner)
    assert info.value.max_steps == 1_000
    assert sys.gettrace() is sentinel_tracer


def test_run_with_budget__inner_stop_message_reaches_outer_script():
    def inner() -> str:
        try:
            run("while True: pass", max_steps=7)
        except BudgetExceeded as exc:
            return str(exc)
        return "not stopped"

    env = run("r = inner()", max_steps=100, inner=inner)
    assert env["r"] == "the script ran more than 7 steps (infinite loop?)"


def test_budget_exceeded__pickles():
    exc = pickle.loads(pickle.dumps(BudgetExceeded(42)))
    assert exc.max_steps == 42
    assert str(exc) == "the script ran more than 42 steps (infinite loop?)"
