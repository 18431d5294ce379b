"""Designer code whose cost is bounded by its own text: it may run inside the engine process.

Every script and expression is first checked by the sandbox (sandbox.check_code). Code
that can run long or allocate much (loops, comprehensions, functions, repetition with
``*``, ``**``, ``%`` formatting, builtins such as ``range``, ``sorted``, ``str.join`` or
``str.replace``) runs in a separate, resource-limited process (script_host.py), where a
time and a memory limit stop it whatever it does.

What is left is the code of most conditions, decision cells and short scripts:
comparisons, boolean logic, ``if``/``else``, arithmetic without ``**``/``%`` and with ``*`` only
by a number literal (see :func:`_product_weight`), subscripts, literals, and calls of a short list of functions and methods whose cost and
result are linear in their arguments. Such code has no loop and no function, so each of
its nodes runs at most once; a value it builds is at most as large as the values it reads,
taken as many times as they are named; and it names at most :data:`MAX_NAMES` variables.
In a script, no statement reads a variable that the script sets or changes, so no value
can be built from an earlier one (``s = s + s`` twenty times would be a megabyte times a
million). The variables themselves are bounded (engine/values.py), so time and memory
are bounded by the size of the source and of the instance's variables. :func:`is_bounded`
tells which code that is; it is cached by source.

A function or method is judged by its name whatever object it is called on, so a name is
listed only when every object a script can reach that has a method of that name has a
linear one.
"""
from __future__ import annotations

import ast
import functools
import re

__all__ = ["BOUNDED_FUNCTIONS", "BOUNDED_METHODS", "MAX_NAMES", "MUTATING_METHODS", "is_bounded"]

BOUNDED_FUNCTIONS: frozenset[str] = frozenset({
    "len", "abs", "bool", "float", "min", "max", "any", "all", "isinstance", "chr", "ord", "repr", "divmod",
    # the engine's recorded functions
    "now", "today", "new_id", "BpmnError",
})
"""Names callable from bounded code, with any arguments. ``list``, ``sorted``, ``set`` and friends are
not: ``list(text)`` makes an object per character."""

ONE_ARGUMENT: frozenset[str] = frozenset({"sum", "round", "str", "int"})
"""Functions bounded with one argument only: ``sum(lists, [])`` is quadratic, ``round(5, -10**9)``
computes a power of ten with a billion digits, ``str(b, encoding)`` decodes."""

BOUNDED_METHODS: frozenset[str] = frozenset({
    # dict views and lookups
    "get", "keys", "values", "items",
    # str (the result at most the input's size) and str/list searches
    "lower", "upper", "casefold", "title", "capitalize", "swapcase", "strip", "lstrip", "rstrip",
    "startswith", "endswith", "count", "index", "find", "rfind", "removeprefix", "removesuffix",
    "isdigit", "isalpha", "isalnum", "isnumeric", "isdecimal", "isspace", "islower", "isupper",
    # decimal and dates (not the Decimal constructor: ``int(Decimal('1e100000000'))`` builds a
    # hundred-million-digit integer; decimals in bounded code come from variables, whose
    # exponents the value domain bounds)
    "quantize", "is_zero", "is_signed", "is_finite", "copy_abs", "copy_negate",
    "to_integral_value", "isoformat", "weekday", "isoweekday", "date", "timestamp",
    # math: float and bounded-integer functions only (no factorial, comb, perm, prod, lcm, pow)
    "floor", "ceil", "trunc", "sqrt", "fabs", "isclose", "isfinite", "isnan", "isinf",
    "log", "log10", "log2", "exp", "sin", "cos", "tan",
})
"""Method (or namespace member) names callable from bounded code."""

MUTATING_METHODS: frozenset[str] = frozenset({
    "append", "insert", "pop", "remove", "clear", "sort", "reverse", "setdefault",
})
"""In-place list and dict changes of one element: allowed in a script as a statement of their own,
``x.append(v)``, the variable ``x`` then counting as one the script changes."""

MAX_NAMES = 16
"""How many times bounded code may name variables (each name can stand for a whole variable)."""

MAX_FACTOR = 16
"""The largest integer literal a variable may be multiplied by in bounded code (``amount * 2``)."""

_EXPRESSION_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Invert, ast.Compare, ast.Eq, ast.NotEq, ast.Lt,
    ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.IfExp, ast.BinOp, ast.Add,
    ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor, ast.RShift, ast.Subscript,
    ast.Slice, ast.Attribute, ast.Call, ast.keyword, ast.List, ast.Tuple, ast.Dict,
    ast.JoinedStr, ast.FormattedValue,
)
_STATEMENT_NODES = (ast.Module, ast.Assign, ast.Expr, ast.If, ast.Pass, ast.Delete, ast.Raise, ast.Store, ast.Del)
_NUMBER = re.compile(r"[0-9]+")


def _product_weight(tree: ast.AST) -> int | None:
    """How many more names the code's products count for, or None when one is not bounded.

    ``x * k`` is bounded when ``k`` is a float literal (a sequence cannot be repeated a float
    number of times: the product is a number) or an integer literal of at most MAX_FACTOR in size,
    and ``x`` a variable read (a name, an attribute or a subscript of one) or a number literal:
    repeating a read k times is naming it k times, so it counts as k names. A product of a
    product (``x * 16 * 16``) is not bounded: nested, the factors would multiply.
    """
    extra = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
            continue
        sides = (node.left, node.right), (node.right, node.left)
        for factor, other in sides:
            weight = _factor(factor)
            if weight is None:
                continue
            if _is_number(other):
                break
            if isinstance(other, (ast.Name, ast.Attribute, ast.Subscript)):
                extra += weight - 1
                break
        else:
            return None
    return extra


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _factor(node: ast.AST) -> int | None:
    """The names a product by this literal counts for (1 for a float), or None when it is no bounded factor."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if not isinstance(node, ast.Constant):
        return None
    if type(node.value) is float:
        return 1
    if type(node.value) is int and node.value <= MAX_FACTOR:
        return max(node.value, 1)
    return None


def _call_is_bounded(node: ast.Call, methods: frozenset[str]) -> bool:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return False  # f(*items) / f(**mapping): the argument count comes from data
    func = node.func
    if isinstance(func, ast.Name):
        if func.id in ONE_ARGUMENT:
            return len(node.args) == 1 and not node.keywords
        return func.id in BOUNDED_FUNCTIONS
    return isinstance(func, ast.Attribute) and func.attr in methods


def _format_is_bounded(node: ast.FormattedValue) -> bool:
    spec = node.format_spec
    if spec is None:
        return True
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    # a constant spec whose widths and precisions are under 1000: f"{x:>10}", f"{amount:.2f}"
    return all(isinstance(p, ast.Constant) and isinstance(p.value, str)
               and all(len(n) <= 3 for n in _NUMBER.findall(p.value)) for p in parts)


def _base_name(node: ast.AST) -> str | None:
    """The variable a subscript target or method receiver belongs to: ``x`` of ``x['a'][0]``."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _nodes_are_bounded(tree: ast.AST, allowed: tuple, methods: frozenset[str], skip: set[int]) -> bool:
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if not isinstance(node, allowed):
            return False
        if isinstance(node, ast.Call) and not _call_is_bounded(node, methods):
            return False
        if isinstance(node, ast.FormattedValue) and not _format_is_bounded(node):
            return False
    return True


def _script_is_bounded(tree: ast.Module) -> bool:
    """Statements over the instance's variables that never read what the script sets or changes."""
    written: set[str] = set()
    skip: set[int] = set()  # nodes judged here, not by the expression rules (statement-level mutations)
    bases: set[int] = set()  # Name nodes that are the changed variable of a target, not reads of it
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            written.add(node.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node
            while isinstance(base, ast.Subscript):
                base = base.value
            if not isinstance(base, ast.Name):
                return False
            written.add(base.id)
            bases.add(id(base))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in MUTATING_METHODS:
            call = node.value
            name = _base_name(call.func.value)
            if name is None or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return False
            written.add(name)
            skip.add(id(call))
            skip.add(id(call.func))
            base = call.func.value
            while isinstance(base, ast.Subscript):
                base = base.value
            bases.add(id(base))
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in bases]
    extra = _product_weight(tree)
    if extra is None or len(reads) + extra > MAX_NAMES or any(n.id in written for n in reads):
        return False
    return _nodes_are_bounded(tree, _EXPRESSION_NODES + _STATEMENT_NODES, BOUNDED_METHODS, skip)


@functools.lru_cache(maxsize=8192)
def is_bounded(source: str, mode: str) -> bool:
    """Whether checked designer code is bounded by construction (see the module docstring).

    Args:
        source: code that sandbox.check_code accepts.
        mode: ``"eval"`` for an expression, ``"exec"`` for a script.

    Returns:
        False for anything not recognised, or that does not parse.
    """
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if mode == "exec":
        return isinstance(tree, ast.Module) and _script_is_bounded(tree)
    names = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Name))
    extra = _product_weight(tree)
    return extra is not None and names + extra <= MAX_NAMES \
        and _nodes_are_bounded(tree, _EXPRESSION_NODES, BOUNDED_METHODS, set())
