"""form-js `validate.pattern`: JavaScript regular expressions, matched with RE2 in linear time.

form-js tests a field with `new RegExp(pattern).test(value)`, a backtracking JavaScript
regex. On the server the same pattern runs on RE2 (PyPI google-re2), whose matching time is
linear in the input whatever the pattern, so `^(a+)+$` cannot hold a worker for minutes.
The pattern is rewritten so that RE2 means what JavaScript means:

- `\\uXXXX` becomes `\\x{XXXX}`; `.` excludes `\\n`, `\\r`, U+2028 and U+2029 as in JavaScript
  (RE2's `.` excludes only `\\n`); `\\s` and `\\S` (outside a character class) are JavaScript's
  white space, with no-break spaces and the other Unicode spaces (RE2's `\\s` is ASCII).
- `\\d`, `\\w`, `\\b` are ASCII in both; `^` and `$` are the start and end of the value in both
  (Python's `re` lets `$` match before a final newline; RE2, like JavaScript, does not);
  `(?<name>...)` named groups work in both.

What RE2 cannot do is refused at deploy, naming the field: lookahead and lookbehind
(`(?=`, `(?!`, `(?<=`, `(?<!`), backreferences (`\\1`, `\\k<name>`), repetition counts above
1000, and patterns too large to compile. Two differences remain: JavaScript counts UTF-16
code units (an emoji is two characters for `.{n}`; for RE2 one), and `\\S` inside a
character class (`[\\S]`) is RE2's ASCII one.
"""
from __future__ import annotations

import re

import re2

from ..messages import msg

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors are reported to the designer, not on stderr

# JavaScript's WhiteSpace and LineTerminator characters (ECMA-262 \s).
_JS_SPACE = r"\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"
_JS_DOT = r"[^\n\r\x{2028}\x{2029}]"


class PatternError(ValueError):
    """A pattern RE2 cannot run; the message says why."""


def _to_re2(pattern: str) -> str:
    """Rewrite a JavaScript pattern (no flags) into RE2 syntax with the same meaning."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", pattern[i + 2:i + 6]):
                out.append(r"\x{" + pattern[i + 2:i + 6] + "}")
                i += 6
                continue
            if nxt == "s":
                out.append(_JS_SPACE if in_class else f"[{_JS_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_JS_SPACE}]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            negated = pattern[i + 1:i + 2] == "^"
            start = i + 1 + negated
            # JavaScript's '[]' matches nothing and '[^]' anything; to RE2 that ']' would be a literal.
            if pattern[start:start + 1] == "]":
                out.append(r"[\x00-\x{10FFFF}]" if negated else r"[^\x00-\x{10FFFF}]")
                i = start + 1
                continue
            in_class = True
            out.append(pattern[i:start])
            i = start
            continue
        elif c == ".":
            out.append(_JS_DOT)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _reason(message: str) -> str:
    if message.startswith("invalid perl operator: (?=") or message.startswith("invalid perl operator: (?!") \
            or message.startswith("invalid perl operator: (?<"):
        return msg("lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported")
    if re.match(r"invalid escape sequence: \\[1-9k]", message):
        return msg("backreferences (\\1, \\k<name>) are not supported")
    if message.startswith("invalid repetition size"):
        return msg("repetition counts above 1000 are not supported")
    if "pattern too large" in message:
        return msg("the pattern is too large")
    return message


def compile_pattern(pattern: str):
    """Compile a form-js pattern for RE2; `.search(value)` then tests it like `RegExp.test`.

    Raises:
        PatternError: RE2 cannot run it (the message says why, e.g. backreferences).
    """
    try:
        return re2.compile(_to_re2(pattern), _OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else str(exc)
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise PatternError(msg("{detail} (form patterns run on RE2, which matches in linear time)",
                               detail=_reason(message))) from None
