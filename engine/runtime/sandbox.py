"""The designer's script sandbox: deploy-time AST check, safe builtins and a per-evaluation step budget.

Process designers write Python scripts (script tasks, mode ``"exec"``) and expressions
(conditions, timer expressions, DMN cells, mode ``"eval"``) over instance variables.
They run in three layers:

1. :func:`check_code` refuses, at deploy time, every construct that could reach the
   interpreter's internals (imports, names and attributes starting with ``_``, ``getattr``
   and friends, ``str.format``, frame and code attributes, ``global``, ``yield``, ``async``,
   classes, ...). The rule tables are the module constants ``FORBIDDEN_NODES``,
   ``FORBIDDEN_NAMES`` and ``FORBIDDEN_ATTRIBUTES``. Restricted builtins alone are
   escapable (notes §2.2: ``().__class__.__base__.__subclasses__()`` reaches ``os``), the
   static check is what closes those doors.
2. :func:`script_globals` gives the code :data:`SAFE_BUILTINS` (no ``__import__``, no
   ``open``, ...) and read-only ``math`` and ``decimal`` namespaces.
3. :func:`run_with_budget` stops designer code that executes more than ``max_steps`` lines
   (``sys.settrace``, so it works in any thread). Code must be compiled with the filename
   :data:`SCRIPT_FILENAME`; :func:`compile_code` does the check and the compilation.

Typical use::

    code = compile_code(source, "exec")            # raises UnsafeCode
    env = script_globals(variables)
    run_with_budget(exec, code, env, max_steps=100_000)   # raises BudgetExceeded

Limitations (deliberate, to keep the sandbox small):

- Memory and time spent inside a single C-level operation are not limited: sequence
  repetition (``"a" * 10**10``), ``list(range(10**9))``, ``sum(range(10**12))``,
  ``math.factorial(10**8)`` or ``2 ** n`` with a computed ``n``. Only two cheap guards
  exist: :func:`check_code` refuses ``**`` with a literal exponent above
  :data:`MAX_POW_EXPONENT`, and the ``pow`` builtin refuses integer results of more than
  :data:`MAX_RESULT_DIGITS` digits.
- The budget counts lines executed by designer code (including its functions, lambdas and
  comprehensions), not time: engine functions called by a script are not counted.
- The budget stop is raised inside the script as an exception that ``except Exception``
  cannot catch; bare ``except:`` and ``finally`` blocks, which could swallow it or run
  untraced code after it, are refused by :func:`check_code`.
"""
from __future__ import annotations

import ast
import decimal
import dis
import functools
import math
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

try:
    from ..messages import Msg, msg
except ImportError:  # loaded alone from its file by the script child (script_host._BOOTSTRAP): plain texts
    Msg = str  # type: ignore[misc,assignment]

    def msg(template: str, **params: Any) -> str:  # type: ignore[misc]
        return template.format(**params)

__all__ = [
    "BudgetExceeded",
    "DECIMAL_NAMESPACE",
    "FORBIDDEN_ATTRIBUTES",
    "FORBIDDEN_NAMES",
    "FORBIDDEN_NODES",
    "MATH_NAMESPACE",
    "MAX_POW_EXPONENT",
    "MAX_RESULT_DIGITS",
    "SAFE_BUILTINS",
    "SCRIPT_FILENAME",
    "UnsafeCode",
    "check_code",
    "compile_code",
    "run_with_budget",
    "script_globals",
]

T = TypeVar("T")

SCRIPT_FILENAME = "<script>"
"""The filename designer code must be compiled with: the step budget only counts its lines."""

MAX_POW_EXPONENT = 10_000
"""The largest integer literal allowed as the right operand of ``**``."""

MAX_RESULT_DIGITS = 10_000
"""The ``pow`` builtin refuses integer results with (about) more digits than this."""

# ---------------------------------------------------------------------------------------
# Rule tables
# ---------------------------------------------------------------------------------------

FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: msg("imports are not allowed"),
    ast.ImportFrom: msg("imports are not allowed"),
    ast.Global: msg("'global' statements are not allowed"),
    ast.Nonlocal: msg("'nonlocal' statements are not allowed"),
    ast.ClassDef: msg("class definitions are not allowed"),
    ast.AsyncFunctionDef: msg("'async def' is not allowed"),
    ast.AsyncFor: msg("'async for' is not allowed"),
    ast.AsyncWith: msg("'async with' is not allowed"),
    ast.Await: msg("'await' is not allowed"),
    ast.Yield: msg("'yield' is not allowed"),
    ast.YieldFrom: msg("'yield from' is not allowed"),
}
"""Syntax refused wherever it appears, with the message given."""

FORBIDDEN_NAMES: frozenset[str] = frozenset({
    "exec", "eval", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "type", "__builtins__", "__import__", "input", "breakpoint", "help", "memoryview",
    "super", "object", "classmethod", "staticmethod", "property", "exit", "quit",
})
"""Names refused as identifiers (besides every name starting with ``_``, except ``_`` itself)."""

FORBIDDEN_ATTRIBUTES: frozenset[str] = frozenset({
    # str.format / format_map read attributes: "{0.__class__}".format(x)
    "format", "format_map",
    # generators, coroutines, async generators -> frames and code
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "ag_frame", "ag_code",
    # frames -> globals, builtins, callers
    "f_globals", "f_locals", "f_back", "f_builtins", "f_code",
    # tracebacks -> frames
    "tb_frame", "tb_next",
    # type.mro() -> object -> __subclasses__
    "mro",
})
"""Attributes refused (besides every attribute starting with ``_``): they leak frames,
code, globals or arbitrary attribute access without an underscore."""

# ---------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------


class UnsafeCode(ValueError):
    """Designer code that does not parse or uses a forbidden construct.

    Attributes:
        message: What is wrong, in English, e.g. ``"name 'open' is not allowed"``.
        lineno: The 1-based line of the problem in the source, or None when unknown.
    """

    def __init__(self, message: str, lineno: int | None = None):
        self.message = message
        self.lineno = lineno
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.message}" if self.lineno is not None else self.message

    def as_msg(self) -> Msg | str:
        """`str(self)` as a designer's message (engine/messages.py)."""
        message = self.message if isinstance(self.message, Msg) else str(self.message)
        return msg("line {line}: {detail}", line=self.lineno, detail=message) if self.lineno is not None else message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.lineno))


# The commonest texts of Python's parser, said as templates (the others are passed on as they are).
_SYNTAX_MESSAGES: tuple[tuple[str, Msg], ...] = (
    ("invalid syntax", msg("invalid syntax")),
    ("invalid syntax. Perhaps you forgot a comma?", msg("invalid syntax. Perhaps you forgot a comma?")),
    ("expected ':'", msg("expected ':'")),
    ("unexpected indent", msg("unexpected indent")),
    ("unindent does not match any outer indentation level", msg("unindent does not match any outer indentation level")),
    ("unexpected EOF while parsing", msg("unexpected EOF while parsing")),
    ("invalid decimal literal", msg("invalid decimal literal")),
    ("unterminated string literal", msg("unterminated string literal")),
    ("unterminated triple-quoted string literal", msg("unterminated triple-quoted string literal")),
    ("cannot assign to function call", msg("cannot assign to function call")),
    ("invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
     msg("invalid syntax. Maybe you meant '==' or ':=' instead of '='?")),
    ("'return' outside function", msg("'return' outside function")),
    ("'break' outside loop", msg("'break' outside loop")),
)
def syntax_message(text: str | None) -> Msg | str:
    """Python's SyntaxError text as a template where it is a common one ("'(' was never closed")."""
    import re

    text = text or ""
    for known, said in _SYNTAX_MESSAGES:
        if text == known:
            return said
    detected = re.fullmatch(r"(.*) \(detected at line (\d+)\)", text)
    if detected:
        for known, said in _SYNTAX_MESSAGES:
            if detected[1] == known:
                return msg("{detail} (detected at line {line})", detail=said, line=int(detected[2]))
    match = re.fullmatch(r"'(.)' was never closed", text)
    if match:
        return msg("'{char}' was never closed", char=match[1])
    match = re.fullmatch(r"unmatched '(.)'", text)
    if match:
        return msg("unmatched '{char}'", char=match[1])
    match = re.fullmatch(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", text)
    if match:
        return msg("closing parenthesis '{closing}' does not match opening parenthesis '{opening}'",
                   closing=match[1], opening=match[2])
    match = re.fullmatch(r"expected an indented block after (.*) on line (\d+)", text)
    if match:
        return msg("expected an indented block after {what} on line {line}", what=match[1], line=int(match[2]))
    return text


def _name_problem(name: str) -> str | None:
    if (name.startswith("_") and name != "_") or name in FORBIDDEN_NAMES:
        return msg("name {name} is not allowed", name=repr(name))
    return None


def _attribute_problem(attr: str) -> str | None:
    if attr.startswith("_") or attr in FORBIDDEN_ATTRIBUTES:
        return msg("attribute {attr} is not allowed", attr=repr(attr))
    return None


def _bound_names(node: ast.AST) -> Iterator[str]:
    """Identifiers a node binds that are not ``ast.Name`` nodes (parameters, def names...)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        if node.name is not None:
            yield node.name
    elif isinstance(node, ast.MatchMapping):
        if node.rest is not None:
            yield node.rest


def _node_problems(node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """The problems of one node (its children are visited separately)."""
    message = FORBIDDEN_NODES.get(type(node))
    if message is not None:
        yield node, message
    if isinstance(node, ast.Name):
        problem = _name_problem(node.id)
        if problem:
            yield node, problem
    elif isinstance(node, ast.Attribute):
        problem = _attribute_problem(node.attr)
        if problem:
            yield node, problem
        elif isinstance(node.ctx, (ast.Store, ast.Del)):
            # Objects offered to scripts (BpmnError, pow, the namespaces, exception classes)
            # are shared by every evaluation: a script must not leave state on them.
            yield node, (msg("setting an attribute ({attr}) is not allowed: store values in variables or dictionary keys", attr=repr(node.attr)))
    elif isinstance(node, ast.MatchClass):
        # case C(attr=pattern) reads C's attribute `attr` from the subject
        for attr in node.kwd_attrs:
            problem = _attribute_problem(attr)
            if problem:
                yield node, problem
    elif isinstance(node, ast.ExceptHandler) and node.type is None:
        yield node, msg("bare 'except:' is not allowed; name the exception, e.g. 'except ValueError:'")
    elif isinstance(node, (ast.Try, ast.TryStar)) and node.finalbody:
        yield node.finalbody[0], msg("'finally' blocks are not allowed")
    elif isinstance(node, ast.comprehension) and node.is_async:
        yield node.target, msg("async comprehensions are not allowed")
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Pow):
        exponent = node.right if isinstance(node, ast.BinOp) else node.value
        if (isinstance(exponent, ast.Constant) and type(exponent.value) is int
                and exponent.value > MAX_POW_EXPONENT):
            yield node, msg("exponent {value} is too large (at most {limit})", value=exponent.value, limit=MAX_POW_EXPONENT)
    for name in _bound_names(node):
        problem = _name_problem(name)
        if problem:
            yield node, problem


def _position(node: ast.AST) -> tuple[int | None, int]:
    """Where a problem is shown: an attribute's name is at the end of its node."""
    if isinstance(node, ast.Attribute):
        return node.end_lineno, node.end_col_offset or 0
    return getattr(node, "lineno", None), getattr(node, "col_offset", 0) or 0


def _sort_key(problem: tuple[ast.AST, str]) -> tuple[float, int]:
    lineno, col = _position(problem[0])
    return (lineno if lineno is not None else math.inf, col)


def check_code(source: str, mode: str = "exec") -> None:
    """Refuse designer code that does not parse or uses a forbidden construct.

    Forbidden: imports; ``global``/``nonlocal``; ``async``, ``await``, ``yield``; class
    definitions; bare ``except:`` and ``finally`` blocks (they could defeat the step
    budget); any identifier starting with ``_`` (a lone ``_`` is allowed) or listed in
    :data:`FORBIDDEN_NAMES`; any attribute starting with ``_`` or listed in
    :data:`FORBIDDEN_ATTRIBUTES`; setting or deleting any attribute (``x.y = 1``: the
    objects a script can reach are shared by every evaluation); ``x ** N`` with a literal ``N`` above
    :data:`MAX_POW_EXPONENT`. Functions, lambdas, comprehensions, ``try``/``except`` with
    a named exception and ``*args`` are fine.

    Args:
        source: The script or expression.
        mode: ``"exec"`` for scripts (statements), ``"eval"`` for expressions.

    Raises:
        UnsafeCode: On a syntax error or a forbidden construct; when there are several,
            the one that comes first in the source.
        ValueError: If ``mode`` is neither ``"exec"`` nor ``"eval"``.
        TypeError: If ``source`` is not a string.
    """
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, not {type(source).__name__}")
    try:
        tree = ast.parse(source, filename=SCRIPT_FILENAME, mode=mode)
    except SyntaxError as exc:
        raise UnsafeCode(msg("syntax error: {detail}", detail=syntax_message(exc.msg)), exc.lineno) from None
    except ValueError as exc:  # null bytes on some Python versions
        raise UnsafeCode(msg("syntax error: {detail}", detail=str(exc))) from None
    except (RecursionError, MemoryError):
        raise UnsafeCode(msg("the code is too deeply nested")) from None
    problems = [problem for node in ast.walk(tree) for problem in _node_problems(node)]
    if problems:
        node, message = min(problems, key=_sort_key)
        raise UnsafeCode(message, _position(node)[0])


@functools.lru_cache(maxsize=4096)
def compile_code(source: str, mode: str) -> types.CodeType:
    """Check designer code and compile it with :data:`SCRIPT_FILENAME`.

    Results are cached by ``(source, mode)`` (code objects are immutable and can be shared
    between threads); refusals are not cached.

    Args:
        source: The script or expression.
        mode: ``"exec"`` for scripts, ``"eval"`` for expressions.

    Returns:
        The code object, for ``exec``/``eval`` with :func:`script_globals`, best under
        :func:`run_with_budget`.

    Raises:
        UnsafeCode: As :func:`check_code`, or if the compiler gives up on deep nesting.
    """
    check_code(source, mode)
    try:
        # dont_inherit: this module's `from __future__` flags must not leak into scripts
        return compile(source, SCRIPT_FILENAME, mode, dont_inherit=True)
    except SyntaxError as exc:  # errors only the compiler finds, e.g. 'return' outside function
        raise UnsafeCode(msg("syntax error: {detail}", detail=syntax_message(exc.msg)), exc.lineno) from None
    except (RecursionError, MemoryError):
        raise UnsafeCode(msg("the code is too deeply nested")) from None


# ---------------------------------------------------------------------------------------
# Globals: safe builtins, math, decimal
# ---------------------------------------------------------------------------------------


class _ReadOnlyNamespace:
    """A module-like namespace whose members cannot be changed by scripts."""

    __slots__ = ("_name", "_members")

    def __init__(self, name: str, members: Mapping[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", types.MappingProxyType(dict(members)))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # also keeps copy/pickle probes away from _members
            raise AttributeError(attr)
        try:
            return self._members[attr]
        except KeyError:
            raise AttributeError(f"{self._name!r} has no attribute {attr!r}") from None

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"{self._name!r} is read-only")

    def __delattr__(self, attr: str) -> None:
        raise AttributeError(f"{self._name!r} is read-only")

    def __dir__(self) -> Iterable[str]:
        return sorted(self._members)

    def __repr__(self) -> str:
        return f"<namespace {self._name!r}>"

    def __copy__(self) -> _ReadOnlyNamespace:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _ReadOnlyNamespace:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_namespace, (self._name,))


def _namespace(name: str) -> _ReadOnlyNamespace:
    """The shared namespace called ``name`` (unpickling returns the same object)."""
    return {"math": MATH_NAMESPACE, "decimal": DECIMAL_NAMESPACE}[name]


def _safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    """``pow`` that refuses integer results of more than MAX_RESULT_DIGITS digits."""
    if (mod is None and isinstance(base, int) and isinstance(exp, int)
            and exp > 0 and abs(base) > 1
            and exp > MAX_RESULT_DIGITS / math.log10(abs(base))):
        raise OverflowError(f"pow() result would have more than {MAX_RESULT_DIGITS} digits")
    return pow(base, exp, mod)


_safe_pow.__name__ = _safe_pow.__qualname__ = "pow"

MATH_NAMESPACE = _ReadOnlyNamespace(
    "math", {name: getattr(math, name) for name in dir(math) if not name.startswith("_")})
"""Every public function and constant of :mod:`math`, read-only."""

DECIMAL_NAMESPACE = _ReadOnlyNamespace("decimal", {
    "Decimal": decimal.Decimal,
    "InvalidOperation": decimal.InvalidOperation,
    **{name: getattr(decimal, name) for name in dir(decimal) if name.startswith("ROUND_")},
})
"""``Decimal``, the ``ROUND_*`` rounding modes and ``InvalidOperation``, read-only.
Contexts (``getcontext``, ``localcontext``) are not offered: they would let a script
change arithmetic for the whole thread."""

SAFE_BUILTINS: dict[str, Any] = {
    # the documented set (API.md, "Scripts and expressions")
    "len": len, "min": min, "max": max, "sum": sum, "sorted": sorted, "round": round,
    "abs": abs, "int": int, "float": float, "str": str, "bool": bool, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "range": range, "enumerate": enumerate,
    "zip": zip, "any": any, "all": all, "isinstance": isinstance,
    # harmless additions: pure functions and immutable types
    "reversed": reversed, "map": map, "filter": filter, "divmod": divmod,
    "pow": _safe_pow,  # 3-argument form too; refuses integer results > MAX_RESULT_DIGITS digits
    "frozenset": frozenset, "chr": chr, "ord": ord, "hex": hex, "repr": repr,
    # exceptions scripts may raise and catch
    "Exception": Exception, "ValueError": ValueError, "KeyError": KeyError,
    "TypeError": TypeError, "ZeroDivisionError": ZeroDivisionError,
    "ArithmeticError": ArithmeticError, "LookupError": LookupError, "IndexError": IndexError,
}
"""The builtins designer code sees (True, False and None are part of the language).
No ``__import__`` (so ``import`` fails even unchecked), no ``open``, ``getattr``, ``type``..."""


def script_globals(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A fresh globals dict for ``exec``/``eval`` of designer code.

    Args:
        extra: Further names (instance variables, engine functions); they may shadow
            ``math`` and ``decimal`` but not ``__builtins__``.

    Returns:
        ``{"__builtins__": SAFE_BUILTINS, "math": ..., "decimal": ..., **extra}``.

    Raises:
        ValueError: If ``extra`` contains ``"__builtins__"``.
    """
    env: dict[str, Any] = {
        "__builtins__": SAFE_BUILTINS, "math": MATH_NAMESPACE, "decimal": DECIMAL_NAMESPACE}
    if extra:
        if "__builtins__" in extra:
            raise ValueError("extra must not set '__builtins__'")
        env.update(extra)
    return env


# ---------------------------------------------------------------------------------------
# Step budget
# ---------------------------------------------------------------------------------------


class BudgetExceeded(RuntimeError):
    """Designer code executed more lines than its budget allows.

    Attributes:
        max_steps: The budget that was exceeded.
    """

    def __init__(self, max_steps: int):
        self.max_steps = max_steps
        super().__init__(f"the script ran more than {max_steps} steps (infinite loop?)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.max_steps,))


class _StepLimit(BaseException):
    """Raised inside designer code when its budget runs out.

    A BaseException, so that ``except Exception`` in a script cannot swallow it (bare
    ``except:`` is refused by check_code); run_with_budget turns it into BudgetExceeded.
    """

    def __init__(self, token: object):
        super().__init__("step budget exceeded")
        self.token = token


_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)


@functools.lru_cache(maxsize=4096)
def _self_loops(code: types.CodeType) -> frozenset[int]:
    """Offsets of jumps to themselves (``while True: pass``).

    CPython 3.11 emits a 'line' event on a backward jump only when the target comes
    *before* the jump, so a one-instruction loop never produces one; frames of such code
    are traced by opcode instead.
    """
    return frozenset(
        ins.offset for ins in dis.get_instructions(code)
        if ins.opcode in _JUMPS and ins.argval == ins.offset
    )


def run_with_budget(fn: Callable[..., T], /, *args: Any, max_steps: int, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)``, stopping designer code after ``max_steps`` lines.

    Only frames of code compiled with :data:`SCRIPT_FILENAME` are counted (the script, its
    functions, lambdas and comprehensions); engine code called by the script is not.
    Counting uses ``sys.settrace`` on the calling thread, so it works in any thread; the
    previous trace function (a debugger, coverage, an enclosing budget) is restored
    afterwards, even on exceptions. Budgets nest: an inner call counts its own code and
    the outer one resumes counting the outer script's lines when it returns. Wrap the
    narrowest call (the ``exec``/``eval``), since the stop travels through ``fn`` as a
    BaseException until it is turned into :class:`BudgetExceeded` here.

    Args:
        fn: What to run, typically ``exec`` or ``eval`` with a code object from
            :func:`compile_code` and :func:`script_globals`.
        *args: Positional arguments for ``fn``.
        max_steps: The number of lines designer code may execute (a loop iteration counts
            at least one).
        **kwargs: Keyword arguments for ``fn``.

    Returns:
        What ``fn`` returns.

    Raises:
        BudgetExceeded: If designer code executed more than ``max_steps`` lines.
        ValueError: If ``max_steps`` is negative.
    """
    if max_steps < 0:
        raise ValueError(f"max_steps must not be negative, got {max_steps}")
    token = object()
    steps = 0

    def trace_lines(frame: types.FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        if event == "line":
            steps += 1
            if steps > max_steps:
                raise _StepLimit(token)
        return trace_lines

    def trace_global(frame: types.FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if code.co_filename != SCRIPT_FILENAME:
            return None
        loops = _self_loops(code)
        if not loops:
            return trace_lines
        frame.f_trace_opcodes = True

        def trace_loops(frame: types.FrameType, event: str, arg: Any) -> Any:
            nonlocal steps
            if event == "line" or (event == "opcode" and frame.f_lasti in loops):
                steps += 1
                if steps > max_steps:
                    raise _StepLimit(token)
            return trace_loops

        return trace_loops

    previous = sys.gettrace()
    sys.settrace(trace_global)
    try:
        result = fn(*args, **kwargs)
    except _StepLimit as stop:
        if stop.token is not token:
            raise
        raise BudgetExceeded(max_steps) from None
    except BaseException as exc:
        if steps > max_steps:  # the stop was turned into something else on its way out
            raise BudgetExceeded(max_steps) from exc
        raise
    finally:
        # A trace function that raises is uninstalled by CPython; restore the previous one.
        sys.settrace(previous)
    if steps > max_steps:  # the stop was swallowed by engine code between us and the script
        raise BudgetExceeded(max_steps)
    return result
