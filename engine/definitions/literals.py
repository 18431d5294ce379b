"""Translation of Camunda Modeler literals (timers, JUEL conditions, FEEL unary tests) into Python expressions."""

from __future__ import annotations

import ast
import functools
import keyword
import math
import re
from datetime import datetime, timezone
from typing import NamedTuple

from ..messages import Msg, msg
from ..runtime.sandbox import syntax_message


class LiteralError(ValueError):
    """A modeler literal that cannot be translated into a Python expression."""


def _bounded(translate):
    """A translation whose input may nest without limit: too deep is a LiteralError, not a crash."""
    @functools.wraps(translate)
    def bounded(*args, **kwargs):
        try:
            return translate(*args, **kwargs)
        except (RecursionError, MemoryError):
            raise LiteralError(msg("the expression is nested too deeply")) from None
    return bounded


# --------------------------------------------------------------------------- tokens

class _Tok(NamedTuple):
    kind: str  # 'num' | 'str' | 'name' | 'op' | 'end'
    text: str  # source text of the token
    value: str = ""  # decoded value of a string literal


_TOKEN_RE = re.compile(
    r"""\s*(?:(?P<num>\d+(?:\.\d+)?)
    |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\.\.|==|!=|<=|>=|&&|\|\||\S))""",
    re.X | re.S,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


def _unescape(literal: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) not in _ESCAPES:
            raise LiteralError(msg("unsupported escape sequence '\\{value}' in string {literal}", value=match.group(1), literal=literal))
        return _ESCAPES[match.group(1)]

    return re.sub(r"\\(.)", one, literal[1:-1], flags=re.S)


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while m := _TOKEN_RE.match(text, pos):
        kind = m.lastgroup or "op"
        tok = m.group(kind)
        if tok in ("'", '"'):
            raise LiteralError(msg("unterminated string literal in {text}", text=repr(text)))
        tokens.append(_Tok(kind, tok, _unescape(tok) if kind == "str" else ""))
        pos = m.end()
    return tokens + [_Tok("end", "")]


def _number(raw: str) -> str:
    # Normalise so that e.g. '007' (a SyntaxError in Python) becomes '7'.
    if len(raw) > 400:
        raise LiteralError(msg("the number {raw}... has too many digits ({count})", raw=raw[:20], count=len(raw)))
    if "." in raw:
        value = float(raw)
        if not math.isfinite(value):
            raise LiteralError(msg("the number {raw}... is out of range", raw=raw[:20]))
        return repr(value)
    return str(int(raw))


def _quote_free_repr(value: str) -> str:
    """A Python string literal with no raw quote characters inside.

    SpiffWorkflow's DMN engine substitutes '?' only outside quotes, and finds quotes with a
    regex that cannot cope with a "'" inside a "..." literal; escaping quotes keeps it right.
    """
    body = "".join({"'": "\\x27", '"': "\\x22"}.get(c) or repr(c)[1:-1] for c in value)
    return f"'{body}'"


# --------------------------------------------------------------------------- expression parser

class _Dialect(NamedTuple):
    name: str
    binary: tuple[dict[str, str], ...]  # precedence levels, lowest first: source op -> Python op
    comparison_levels: frozenset[int]  # levels producing Python comparisons (which chain)
    negations: frozenset[str]  # prefix negation operators
    reserved: frozenset[str]
    quotes: str  # accepted string delimiters
    hint: Msg
    paths: bool = False  # `a.b.c` reads a path into nested variables (FEEL conditions)


_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
_JUEL = _Dialect(
    "JUEL",
    ({"||": "or", "or": "or"}, {"&&": "and", "and": "and"},
     {"==": "==", "!=": "!=", "eq": "==", "ne": "!="},
     {**_CMP, "lt": "<", "le": "<=", "gt": ">", "ge": ">="},
     {"+": "+", "-": "-"}, {"*": "*", "/": "/", "%": "%", "div": "/", "mod": "%"}),
    frozenset({2, 3}), frozenset({"!", "not"}),
    frozenset("and or not eq ne lt gt le ge div mod empty instanceof true false null".split()),
    "'\"", msg("only variables, literals, comparison, arithmetic, &&, ||, ! and empty are allowed"),
)
_FEEL = _Dialect(
    "FEEL",
    ({"or": "or"}, {"and": "and"}, {"=": "==", "!=": "!="}, dict(_CMP),
     {"+": "+", "-": "-"}, {"*": "*", "/": "/"}),
    frozenset({2, 3}), frozenset(),
    frozenset("and or not true false null in between instance of some every satisfies if then "
              "else for return function".split()),
    '"', msg("only names, numbers, \"strings\", true/false/null, comparison, and/or/not(...) "
             "and arithmetic are allowed"),
)
_FEEL_CONDITION_HINT = msg("FEEL is not supported here beyond comparisons (= != < <= > >=), and/or/not(...), "
                           "arithmetic (+ - * /), \"strings\", numbers, true/false/null and variable paths (a.b)")
_FEEL_CONDITION = _FEEL._replace(name="FEEL", hint=_FEEL_CONDITION_HINT, paths=True)
_FEEL_OUTPUT = _FEEL._replace(hint=msg("only names, numbers, \"strings\", true/false/null and arithmetic "
                                        "(+ - * /) are allowed in an output entry"))
_ARITHMETIC_LEVEL = 4  # index of '+ -' in both dialects: where output entries start parsing


class _Parser:
    """Recursive-descent translator; each rule returns (python_text, is_comparison)."""

    def __init__(self, text: str, dialect: _Dialect) -> None:
        self.text, self.d = text, dialect
        self.toks, self.pos = _tokenize(text), 0

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.pos + ahead, len(self.toks) - 1)]

    def key(self, ahead: int = 0) -> str | None:
        tok = self.peek(ahead)
        return tok.text if tok.kind in ("op", "name") else None

    def advance(self) -> _Tok:
        tok = self.peek()
        self.pos += tok.kind != "end"
        return tok

    def fail(self, tok: _Tok | None = None, hint: str | None = None) -> LiteralError:
        tok = tok or self.peek()
        if tok.kind == "end":
            return LiteralError(msg("unexpected end of {name} expression {text}", name=self.d.name, text=repr(self.text)))
        index = next(i for i, t in enumerate(self.toks) if t is tok)
        where = msg("after {token}", token=repr(self.toks[index - 1].text)) if index else msg("at the start")
        return LiteralError(msg("unsupported {name} syntax {token} {where} in {text}: {hint}", name=self.d.name, token=repr(tok.text), where=where, text=repr(self.text), hint=hint or self.d.hint))

    def expect(self, text: str) -> None:
        if self.key() != text:
            raise self.fail()
        self.advance()

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            raise self.fail()

    def binary(self, level: int = 0) -> tuple[str, bool]:
        if level == len(self.d.binary):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.d.binary[level].get(self.key() or "")) is not None:
            self.advance()
            right = self.binary(level + 1)
            # Python chains comparisons (a < b < c); JUEL/FEEL group them left to right.
            # Otherwise the dialects' precedence matches Python's, so no other parens are needed.
            cmp = level in self.d.comparison_levels
            left = (f"{_wrap(left) if cmp else left[0]} {op} {_wrap(right) if cmp else right[0]}", cmp)
        return left

    def unary(self) -> tuple[str, bool]:
        key = self.key()
        if key in self.d.negations:
            self.advance()
            return f"(not {_wrap(self.unary())})", False
        if key == "-":
            self.advance()
            return f"-{_wrap(self.unary())}", False
        if key == "empty" and self.d is _JUEL:
            self.advance()
            x = _wrap(self.unary())
            return f"({x} is None or {x} == '' or {x} == [] or {x} == {{}})", False
        return self.primary()

    def primary(self) -> tuple[str, bool]:
        tok = self.advance()
        if tok.kind == "num":
            return _number(tok.text), False
        if tok.kind == "str":
            if tok.text[0] not in self.d.quotes:
                raise self.fail(tok, msg("FEEL strings use double quotes"))
            return repr(tok.value), False
        if tok.kind == "name":
            if tok.text in _CONSTANTS:
                return _CONSTANTS[tok.text], False
            if tok.text == "not" and self.d in (_FEEL, _FEEL_CONDITION) and self.key() == "(":  # FEEL not(...)
                self.advance()
                inner = self.binary()
                self.expect(")")
                return f"(not {_wrap(inner)})", False
            if tok.text in self.d.reserved or keyword.iskeyword(tok.text):
                if self.d.paths:
                    raise self.fail(tok, msg("{word} is a reserved word, not a variable name; {hint}",
                                             word=repr(tok.text), hint=self.d.hint))
                raise self.fail(tok, msg("{word} is a reserved word, not a variable name", word=repr(tok.text)))
            if self.key() == "(":
                raise self.fail(self.peek(), msg("function calls are not supported; {hint}", hint=self.d.hint))
            path = tok.text
            while self.d.paths and self.key() == "." and self.peek(1).kind == "name":
                self.advance()
                path += f"[{self.advance().text!r}]"
            return path, False
        if tok.text == "(":
            inner, _ = self.binary()
            self.expect(")")
            return f"({inner})", False
        raise self.fail(tok)

    def translate(self, level: int = 0) -> str:
        text, _ = self.binary(level)
        self.expect_end()
        return text


def _wrap(expr: tuple[str, bool]) -> str:
    return f"({expr[0]})" if expr[1] else expr[0]


# --------------------------------------------------------------------------- conditions

@_bounded
def condition_to_python(text: str) -> str:
    """Translate a sequence-flow condition into a Python expression.

    ``${...}`` is read as a JUEL expression from the simple subset (variables, numbers,
    strings, true/false/null, comparison, arithmetic, &&/||/!, their keyword forms and
    ``empty``); any other text must already be a Python expression.

    Args:
        text: The condition expression body as written in the diagram.

    Returns:
        Python source for an expression, to be evaluated with the instance variables.

    Raises:
        LiteralError: The text is empty, uses unsupported JUEL (method calls,
            ternaries, brackets, ...), mixes ``${}`` with other text, or is invalid Python.
    """
    s = text.strip()
    if not s:
        raise LiteralError(msg("empty condition expression"))
    if s.startswith("=") and not s.startswith("=="):
        return feel_condition_to_python(s)
    if s.startswith("#{") and s.endswith("}"):  # Camunda evaluates #{...} as ${...}
        s = "$" + s[1:]
    if s.startswith("${") and s.endswith("}") and "${" not in s[2:]:
        if not s[2:-1].strip():
            raise LiteralError(msg("empty JUEL expression '${{}}'"))
        return _Parser(s[2:-1].strip(), _JUEL).translate()
    if "${" in s:
        raise LiteralError(msg("a JUEL expression must be the whole condition, e.g. ${{amount > 100}}: {text}", text=repr(s)))
    try:
        compile(s, "<condition>", "eval")
    except SyntaxError as exc:
        raise LiteralError(msg("invalid Python expression {text}: {detail}", text=repr(s), detail=syntax_message(exc.msg))) from None
    return s


@_bounded
def feel_condition_to_python(text: str) -> str:
    """Translate a Camunda 8 FEEL expression (`= approved`, `= amount > 100 and urgent`) into Python.

    The subset: comparisons (`=` is equality), `and`/`or`/`not(...)`, arithmetic, "strings",
    numbers, true/false/null and variable paths (`applicant.age` reads `applicant["age"]`).
    FEEL's three-valued logic over null is not reproduced: a comparison with a missing value
    fails the step as a Python comparison would.

    Raises:
        LiteralError: "FEEL is not supported here beyond ..." for anything else (functions,
            `if`, `for`, `in`, lists, contexts, ranges, `instance of`, ...).
    """
    body = text.strip()[1:].strip()
    if not body:
        raise LiteralError(msg("empty FEEL expression '='"))
    return _Parser(body, _FEEL_CONDITION).translate()


# --------------------------------------------------------------------------- timers

_TIMER_KINDS = {"timeDate": msg("date-time"), "timeDuration": msg("duration"), "timeCycle": msg("repeating interval")}
_EXAMPLES = {"timeDate": "2026-12-01T09:00:00+01:00", "timeDuration": "PT30M, P15D or P1Y2M3DT4H5M6S",
             "timeCycle": "R3/PT1H, R/P1D or R5/2026-12-01T09:00:00+01:00/P1D"}
_DURATION_RE = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?")
_DATE_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})")


def parse_iso_duration(text: str) -> dict[str, int | float]:
    """Parse an ISO 8601 duration such as ``P1Y2M3DT4H5M6S``, ``P2W`` or ``PT1.5S``.

    Args:
        text: The duration literal (upper-case designators; a fraction only on seconds).

    Returns:
        The components years, months, weeks, days, hours, minutes, seconds (0 when absent;
        seconds may be a float).

    Raises:
        LiteralError: The text is not such a duration, or combines weeks with other parts.
    """
    return dict(_parse_iso_duration(text))  # a copy: the cached one stays as parsed


@functools.lru_cache(maxsize=1024)  # a timer's duration is parsed each time it is checked
def _parse_iso_duration(text: str) -> dict[str, int | float]:
    m = _DURATION_RE.fullmatch(text)
    if not m:
        raise LiteralError(msg("{text} is not a valid ISO 8601 duration (expected e.g. {example})", text=repr(text), example=_EXAMPLES['timeDuration']))
    parts: dict[str, int | float] = {}
    for name, raw in m.groupdict().items():
        raw = (raw or "0").replace(",", ".")
        parts[name] = float(raw) if "." in raw else int(raw)
    if m["weeks"] and any(m[k] for k in m.groupdict() if k != "weeks"):
        raise LiteralError(msg("{text}: an ISO 8601 duration in weeks cannot have other components", text=repr(text)))
    return parts


def _check_date_time(text: str) -> None:
    if not _DATE_TIME_RE.fullmatch(text):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[\d:.]+)?", text):
            raise LiteralError(msg("{text}: a date needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00", text=repr(text)))
        raise LiteralError(msg("{text} is not a valid ISO 8601 date-time (expected e.g. {example})", text=repr(text), example=_EXAMPLES['timeDate']))
    try:
        datetime.fromisoformat(text).astimezone(timezone.utc)
    except ValueError as exc:
        raise LiteralError(msg("{text} is not a valid date-time: {detail}", text=repr(text), detail=str(exc))) from None
    except OverflowError:
        raise LiteralError(msg("{text} is out of range (dates end in the year 9999, in UTC)", text=repr(text))) from None


# A duration added to a date of this century must stay before the year 9999 (datetime's limit).
_MAX_DURATION_DAYS = 2_500_000  # about 6,800 years


def _check_duration_range(text: str) -> None:
    parts = parse_iso_duration(text)
    days = (parts["years"] * 366 + parts["months"] * 31 + parts["weeks"] * 7 + parts["days"]
            + (parts["hours"] + (parts["minutes"] + parts["seconds"] / 60) / 60) / 24)
    if days > _MAX_DURATION_DAYS:
        raise LiteralError(msg("{text} is too long a duration (at most about {years} years: dates end in the year 9999)", text=repr(text[:40]), years=format(_MAX_DURATION_DAYS // 366, ',')))


def parse_cycle(text: str) -> tuple[int | None, str | None, str]:
    """Parse an ISO 8601 repeating interval ``R[n]/[start/]duration``.

    Args:
        text: The cycle literal, e.g. ``R3/PT1H``, ``R/P1D`` or ``R5/2026-12-01T09:00:00+01:00/P1D``.

    Returns:
        (repetitions, or None when unbounded; start date-time or None; duration).

    Raises:
        LiteralError: The text is not such a repeating interval.
    """
    parts = text.split("/")
    if len(parts) not in (2, 3) or not re.fullmatch(r"R\d*", parts[0]):
        raise LiteralError(msg("{text} is not a valid ISO 8601 repeating interval (expected e.g. {example})", text=repr(text), example=_EXAMPLES['timeCycle']))
    if parts[0] != "R" and int(parts[0][1:]) == 0:
        raise LiteralError(msg("{text}: the number of repetitions must be at least 1", text=repr(text)))
    start = parts[1] if len(parts) == 3 else None
    if start is not None:
        _check_date_time(start)
    parse_iso_duration(parts[-1])
    return (int(parts[0][1:]) if parts[0] != "R" else None), start, parts[-1]


def _literal_kind(s: str) -> str | None:
    """The timer kind of an ISO literal; None if *s* does not look like one; raise if malformed."""
    if re.match(r"R\d*(/|$)", s):  # 'R3' alone is a broken cycle, not a variable
        _, _, period = parse_cycle(s)
        _check_duration_range(period)
        if not any(parse_iso_duration(period).values()):
            raise LiteralError(msg("{text}: the period of a cycle must be longer than zero", text=repr(s)))
        return "timeCycle"
    # 'P', 'PT' and identifiers such as 'PT5X' are broken durations, but 'PTime' may be a variable.
    if s in ("P", "PT") or re.match(r"PT?\d", s):
        _check_duration_range(s)
        return "timeDuration"
    if re.match(r"\d{4}-", s):  # '2026-12-10' would otherwise compile as a subtraction
        _check_date_time(s)
        return "timeDate"
    return None


@_bounded
def timer_to_python(text: str, kind: str) -> str:
    """Translate a timer event definition into a Python expression yielding its ISO string.

    Accepted: an ISO 8601 literal matching *kind* (upper case, date-times with an offset),
    ``${name}``, or a Python expression (a quoted string constant is validated like a literal).

    Args:
        text: The timer body as written in the diagram.
        kind: ``"timeDate"``, ``"timeDuration"`` or ``"timeCycle"``.

    Returns:
        Python source: ``repr`` of the literal, the variable name, or the Python text.

    Raises:
        ValueError: *kind* is not one of the three timer kinds.
        LiteralError: The text is empty, a malformed or mismatched ISO literal, a cron
            expression, unsupported ``${...}`` content, or neither a literal nor Python.
    """
    if kind not in _TIMER_KINDS:
        raise ValueError(f"unknown timer kind {kind!r}")
    s = text.strip()
    if not s:
        raise LiteralError(msg("empty {kind} timer", kind=kind))
    if s.startswith("=") and not s.startswith("=="):  # Camunda 8 FEEL: `= reminder_delay`, `= "PT1H"`
        s = feel_condition_to_python(s)
    if "${" in s or "#{" in s:
        m = re.fullmatch(r"[$#]\{\s*([A-Za-z_]\w*)\s*\}", s)  # #{...} is read as ${...}
        if not m or keyword.iskeyword(m[1]):
            raise LiteralError(msg("only '${{variable}}' is supported in a timer, not {text}", text=repr(s)))
        return m[1]
    if looks_like_cron(s):
        if kind != "timeCycle":
            raise LiteralError(msg("{text} is a cron expression: it belongs in a timeCycle, not a {kind}", text=repr(s), kind=kind))
        quartz_cron(s)
        return repr(s)
    found = _literal_kind(s)
    if found is None:
        try:
            body = ast.parse(s, mode="eval").body
        except SyntaxError:
            raise LiteralError(msg("{text} is neither an ISO 8601 {what} (e.g. {example}), '${{variable}}' nor a Python expression", text=repr(s), what=_TIMER_KINDS[kind], example=_EXAMPLES[kind])) from None
        if not isinstance(body, ast.Constant):
            return s
        if not isinstance(body.value, str):
            raise LiteralError(msg("a timer must be an ISO 8601 string, not {text}", text=repr(s)))
        found = _literal_kind(body.value)
        if found is None:
            raise LiteralError(msg("{value} is not an ISO 8601 {what} (e.g. {example})", value=repr(body.value), what=_TIMER_KINDS[kind], example=_EXAMPLES[kind]))
        result = s  # keep the quoted literal as written
    else:
        result = repr(s)
    if found != kind:
        raise LiteralError(msg("{text} is an ISO 8601 {what}, but this is a {kind} timer (expected e.g. {example})", text=repr(s), what=_TIMER_KINDS[found], kind=kind, example=_EXAMPLES[kind]))
    return result


# --------------------------------------------------------------------------- Quartz cron

_CRON_FIELD = r"[\dA-Za-z*?/,\-#]+"
_CRON_TIME = r"[\d*/,\-]+"  # seconds, minutes, hours: never a letter (so `a if b and c else d` is Python)
_CRON_RE = re.compile(rf"{_CRON_TIME}(?:\s+{_CRON_TIME}){{2}}(?:\s+{_CRON_FIELD}){{3,4}}")
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_CRON_HINT = msg("Quartz cron as Camunda writes it: seconds minutes hours day-of-month month day-of-week [year], "
                 "one of the two day fields '?', e.g. 0 0/5 * * * ? or 0 0 9 ? * MON-FRI")


def looks_like_cron(text: str) -> bool:
    """Six or seven cron fields (Quartz: seconds first, an optional year last)."""
    return bool(_CRON_RE.fullmatch(text.strip())) and not text.strip().startswith(("R", "P"))


def _quartz_day(token: str, text: str) -> str:
    """A Quartz day of the week (1 = SUN ... 7 = SAT, or a name) as croniter's (0 = SUN ... 6 = SAT)."""
    up = token.upper()
    if up in _DAYS:
        return str(_DAYS[up])
    if up.isdigit() and 1 <= int(up) <= 7:
        return str(int(up) - 1)
    raise LiteralError(msg("{text}: {token} is not a day of the week (1-7, 1 = Sunday, or SUN-SAT)", text=repr(text), token=repr(token)))


def _quartz_days_of_week(field: str, text: str) -> str:
    out = []
    for item in field.split(","):
        up = item.upper()
        if up in ("?", "*"):
            out.append("*")
        elif up == "L":
            out.append("6")  # Quartz: L alone is the last day of the week, Saturday
        elif up.endswith("L"):
            out.append(f"L{_quartz_day(item[:-1], text)}")  # 6L: the last Friday of the month
        elif "#" in up:
            day, _, nth = item.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise LiteralError(msg("{text}: {item} needs a week number 1-5 after '#'", text=repr(text), item=repr(item)))
            out.append(f"{_quartz_day(day, text)}#{nth}")
        else:
            body, slash, step = item.partition("/")
            if body in ("*", ""):
                mapped = "*"
            elif "-" in body:
                low, _, high = body.partition("-")
                mapped = f"{_quartz_day(low, text)}-{_quartz_day(high, text)}"
            else:
                mapped = _quartz_day(body, text)
                mapped = f"{mapped}-6" if slash else mapped
            out.append(mapped + (f"/{step}" if slash else ""))
    return ",".join(out)


@functools.lru_cache(maxsize=256)
def quartz_cron(text: str) -> str:
    """Translate a Quartz cron expression (Camunda 7's timeCycle flavour) into croniter's syntax.

    Quartz: `seconds minutes hours day-of-month month day-of-week [year]`, days of the week 1-7
    from Sunday, exactly one of the two day fields `?`; `L` (last day of the month, or `6L` the
    last Friday), `15W` (the weekday nearest the 15th), `6#3` (the third Friday). croniter counts
    days of the week from 0 = Sunday and writes the last Friday `L5`. Not supported (croniter has
    no equivalent): `LW`, `L-3`, `C`.

    Raises:
        LiteralError: not a Quartz expression diwan can run, with the reason.
    """
    fields = text.split()
    if len(fields) not in (6, 7):
        raise LiteralError(msg("{text}: {hint}", text=repr(text), hint=_CRON_HINT))
    dom, dow = fields[3], fields[5]
    if (dom == "?") == (dow == "?"):
        raise LiteralError(msg("{text}: exactly one of day-of-month and day-of-week must be '?' (Quartz)", text=repr(text)))
    up = dom.upper()
    if "LW" in up or re.search(r"L-\d", up) or "C" in up or "C" in dow.upper().replace("DEC", ""):
        raise LiteralError(msg("{text}: LW, L-n and C in the day fields are not supported", text=repr(text)))
    converted = [*fields[:3], "*" if dom == "?" else dom, fields[4], _quartz_days_of_week(dow, text), *fields[6:]]
    result = " ".join(converted)
    from croniter import croniter  # a dependency (pyproject): the calendar arithmetic of cron

    try:
        if not croniter.is_valid(result, second_at_beginning=True):
            raise ValueError("rejected")
        probe = croniter(result, datetime(2026, 1, 1), second_at_beginning=True, max_years_between_matches=8)
        probe.get_next(datetime)
    except Exception:  # noqa: BLE001 - croniter's errors are many; the designer needs one message
        raise LiteralError(msg("{text} is not a valid cron expression or never falls due: {hint}", text=repr(text), hint=_CRON_HINT)) from None
    return result


# --------------------------------------------------------------------------- DMN / FEEL

_FEEL_TEST_HINT = msg("expected a FEEL unary test: a value (10, \"a\", name, true, null), a comparison "
                      "(< 10, = \"a\", != x), an interval ([1..5], ]1..5[), a comma list, or not(...)")
_FEEL_TESTS = _FEEL._replace(hint=_FEEL_TEST_HINT)


def _feel_endpoint(p: _Parser, constants: bool) -> str:
    """A literal or a name in a unary test, with strings safe for SpiffWorkflow's '?' rewrite."""
    tok = p.advance()
    sign = ""
    if tok.text == "-" and p.peek().kind == "num":
        sign, tok = "-", p.advance()
    if tok.kind == "num":
        return sign + _number(tok.text)
    if tok.kind == "str" and tok.text[0] == '"':
        return _quote_free_repr(tok.value)
    if tok.kind == "name":
        if constants and tok.text in _CONSTANTS:
            return _CONSTANTS[tok.text]
        if tok.text in _FEEL.reserved or keyword.iskeyword(tok.text):
            raise p.fail(tok)
        if p.key() == "(":
            raise p.fail(p.peek(), msg("FEEL functions such as date(...) are not supported"))
        return tok.text
    hint = "FEEL uses '=' for equality" if tok.text == "==" else None
    raise p.fail(tok, msg("FEEL strings use double quotes") if tok.kind == "str" else hint)


def _feel_unary_test(p: _Parser) -> str:
    key = p.key()
    if key in ("=", "!=", *_CMP):
        p.advance()
        value = _feel_endpoint(p, constants=key in ("=", "!="))
        if value == "None":
            return "? is None" if key == "=" else "? is not None"
        return f"? {'==' if key == '=' else key} {value}"
    if key in ("[", "]", "("):  # '(' opens an interval here: a cell cannot start with a group
        p.advance()
        low = _feel_endpoint(p, constants=False)
        p.expect("..")
        high = _feel_endpoint(p, constants=False)
        close = p.advance()
        if close.text not in ("]", "[", ")"):
            raise p.fail(close, msg("an interval ends with ']', '[' or ')'"))
        return f"({low} {'<=' if key == '[' else '<'} ? {'<=' if close.text == ']' else '<'} {high})"
    value = _feel_endpoint(p, constants=True)
    return "? is None" if value == "None" else f"? == {value}"


@_bounded
def feel_input_entry_to_python(text: str) -> str | None:
    """Translate a DMN input entry (FEEL simple unary tests) into a SpiffWorkflow '?' test.

    Python-style cells (``== 'x'``, ``in ('a', 'b')``, ``4 < ? < 6``) are refused on purpose:
    dmn-js writes FEEL, and accepting both would make cells such as ``"a"`` ambiguous.

    Args:
        text: The cell text, e.g. ``< 10``, ``[1..5]``, ``"a","b"``, ``not("x")`` or ``-``.

    Returns:
        A Python expression in which ``?`` is the input value, or None for "any value".

    Raises:
        LiteralError: The cell uses FEEL beyond simple unary tests (functions, and/or,
            arithmetic, ``==``, single-quoted strings, ...).
    """
    s = text.strip()
    if s in ("", "-"):
        return None
    p = _Parser(s, _FEEL_TESTS)
    negate = p.key() == "not" and p.key(1) == "("
    if negate:
        p.advance()
        p.advance()
    tests = [_feel_unary_test(p)]
    while p.key() == ",":
        p.advance()
        tests.append(_feel_unary_test(p))
    if negate:
        p.expect(")")
    p.expect_end()
    body = " or ".join(tests)
    return f"not ({body})" if negate else f"({body})" if len(tests) > 1 else body


@_bounded
def feel_output_entry_to_python(text: str) -> str:
    """Translate a DMN output entry (a FEEL literal or simple arithmetic) into Python.

    Args:
        text: The cell text, e.g. ``"approved"``, ``42``, ``true``, ``amount * 0.5``.

    Returns:
        Python source; ``"None"`` for an empty cell.

    Raises:
        LiteralError: The cell is not a literal, name or arithmetic over them.
    """
    s = text.strip()
    return _Parser(s, _FEEL_OUTPUT).translate(_ARITHMETIC_LEVEL) if s else "None"


@_bounded
def feel_input_expression_to_python(text: str) -> str:
    """Translate a DMN input expression (a name or simple FEEL expression) into Python.

    Args:
        text: The column's input expression, e.g. ``amount``, ``age >= 18 and not(blocked)``.

    Returns:
        Python source for the expression (``=`` becomes ``==``).

    Raises:
        LiteralError: The expression is empty or uses unsupported FEEL.
    """
    s = text.strip()
    if not s:
        raise LiteralError(msg("empty DMN input expression"))
    return _Parser(s, _FEEL).translate()


def due_date_check(text: str) -> str:
    """Check a `camunda:dueDate` and return its normalised form.

    Accepted: an ISO 8601 date-time with a UTC offset (`2026-12-01T09:00:00+01:00`), an
    ISO 8601 duration counted from the moment the task is created (`P3D`, a diwan
    extension), or `${name}` naming a variable that holds either.

    Raises:
        LiteralError: anything else.
    """
    value = text.strip()
    if value.startswith("${") and value.endswith("}"):
        name = value[2:-1].strip()
        if not name.isidentifier():
            raise LiteralError(msg("use ${{variable}}, an ISO 8601 date with offset, or a duration like P3D"))
        return "${" + name + "}"
    if value.startswith("P"):
        _check_duration_range(value)
        return value
    _check_date_time(value)
    return value
