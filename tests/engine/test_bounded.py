"""Which designer code the engine runs in its own process (bounded.py), and which it sends away."""
from __future__ import annotations

import pytest

from engine.runtime.bounded import MAX_NAMES, is_bounded

BOUNDED = [
    ("risk == 'low'", "eval"),
    ("amount > 1000 and status == 'ok' or not urgent", "eval"),
    ("dmninputexpr < 10", "eval"),
    ("dmninputexpr in ['a', 'b']", "eval"),
    ("len(children) > 2 and children[0]['age'] < 18", "eval"),
    ("f'{name} ({amount:.2f})'", "eval"),
    ("math.floor(score) >= 12", "eval"),
    ("applicant.get('country', '').lower() == 'france'", "eval"),
    ("total - paid if total > paid else 0", "eval"),
    ("today() > deadline", "eval"),
    ("risk = 'low' if amount < 1000 else 'high'", "exec"),
    ("full_name = first + ' ' + last\nurgent = priority > 3", "exec"),
    ("if amount > 1000:\n    level = 'high'\nelse:\n    level = 'low'", "exec"),
    ("items.append(3)", "exec"),
    ("record['status'] = 'done'\ndel record['draft']", "exec"),
    ("raise BpmnError('E_REFUSED', 'refusé')", "exec"),
    ("total = amount * 2", "exec"),  # a read repeated twice: named twice
    ("x * 1.5", "eval"),  # no sequence repeats a float number of times: a number
    ("4 * x[0] > limit", "eval"),
    ("3 * 4", "eval"),
]

UNBOUNDED = [
    ("x * n", "eval"),  # repetition: 'a' * n
    ("x * 17", "eval"),  # more than MAX_FACTOR
    ("x * 16 * 16", "eval"),  # nested factors multiply
    ("(x + x) * 2", "eval"),
    ("x * True", "eval"),
    ("'ab' * 16", "eval"),
    ("x ** 2", "eval"),
    ("'%s' % x", "eval"),
    ("1 << n", "eval"),
    ("sum(range(10))", "eval"),  # range is not offered
    ("sorted(x)", "eval"),
    ("list(text)", "eval"),
    ("','.join(x)", "eval"),
    ("x.replace('a', 'b')", "eval"),
    ("x.split()", "eval"),
    ("round(x, 2)", "eval"),  # round(5, -10**9)
    ("str(b, 'utf8')", "eval"),
    ("sum(lists, [])", "eval"),
    ("int(decimal.Decimal('1e100000000'))", "eval"),  # no Decimal constructor
    ("f'{x:>{n}}'", "eval"),
    ("f'{x:>1000000}'", "eval"),
    ("[i for i in x]", "eval"),
    ("(lambda: 1)()", "eval"),
    ("x.append(1)", "eval"),  # changes in an expression
    ("max(*x)", "eval"),
    ("f(**x)", "eval"),
    ("s = s + s", "exec"),  # reads what it sets: a value built from an earlier one
    ("a = x + x\nb = a + a", "exec"),
    ("items.append(items)", "exec"),
    ("d['a'] = d", "exec"),
    ("x = y\nx.append(x)", "exec"),
    ("x += 1", "exec"),
    ("for i in x:\n    pass", "exec"),
    ("while True:\n    pass", "exec"),
    ("def f():\n    return 1\ny = f()", "exec"),
    ("try:\n    y = 1\nexcept ValueError:\n    y = 2", "exec"),
    ("y = [*x]", "exec"),
    ("x = = 1", "exec"),
]


@pytest.mark.parametrize("source, mode", BOUNDED)
def test_code_bounded_by_its_text_runs_in_process(source, mode):
    assert is_bounded(source, mode)


@pytest.mark.parametrize("source, mode", UNBOUNDED)
def test_code_that_could_run_long_goes_to_a_script_process(source, mode):
    assert not is_bounded(source, mode)


def test_a_product_counts_as_its_factor_times_the_name():
    assert is_bounded(" + ".join(["x * 2"] * (MAX_NAMES // 2)), "eval")
    assert not is_bounded(" + ".join(["x * 2"] * (MAX_NAMES // 2 + 1)), "eval")
    assert is_bounded("y = x * 16", "exec") and not is_bounded("y = x * 16 + z", "exec")


def test_the_names_an_expression_may_hold_are_capped():
    assert is_bounded(" + ".join(["x"] * MAX_NAMES), "eval")
    assert not is_bounded(" + ".join(["x"] * (MAX_NAMES + 1)), "eval")
