from __future__ import annotations

import pytest

from digital_actors.errors import ExpressionError
from digital_actors.scene.expr import compile_expr

KNOWN = {"radiation", "power", "phase", "elapsed", "uses.valve", "signals.calm", "memory.attempts"}
NAMES = {"radiation": 80.0, "power": 2.0, "phase": 3.0, "elapsed": 10.0, "uses.valve": 2.0,
         "signals.calm": 1.0, "memory.attempts": 0.0}


@pytest.mark.parametrize(("source", "value"), [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("7 // 2", 3), ("7 % 4", 3), ("-power", -2),
    ("radiation >= 75", 1), ("radiation < 75", 0), ("1 < power < 3", 1), ("power == 2 and phase != 1", 1),
    ("not signals.calm", 0), ("uses.valve > 1 or radiation > 99", 1), ("min(radiation, 50) + max(1, 2)", 52),
    ("abs(-4)", 4), ("True", 1), ("False", 0), ("memory.attempts == 0", 1), ("2.5 * 2", 5),
])
def test_evaluates(source: str, value: float) -> None:
    assert compile_expr(source, KNOWN).eval(NAMES) == pytest.approx(value)


@pytest.mark.parametrize(("source", "message"), [
    ("__import__('os')", "only min(), max() and abs() may be called"),
    ("radiation.__class__", "attribute access is not allowed"),
    ("__builtins__", "names starting with '_'"),
    ("uses.__dict__", "names starting with '_'"),
    ("9 ** 9 ** 9", "the ** operator is not allowed"),
    ("'a' * 100000", "strings are not allowed"),
    ("open('/etc/passwd')", "only min(), max() and abs() may be called"),
    ("max(radiation, key=abs)", "keyword arguments are not allowed"),
    ("[1, 2][0]", "not allowed"),
    ("(lambda: 1)()", "may be called"),
    ("radiation if power else 0", "'x if c else y' is not allowed"),
    ("oxygen > 1", "unknown name 'oxygen'"),
    ("uses.crank > 1", "unknown name 'uses.crank'"),
    ("power | 1", "'|' is not allowed"),
    ("radiation >", "not a valid expression"),
    ("x := 1", "not a valid expression"),
    ("1" + " + 1" * 200, "characters long"),
    ("", "empty expression"),
])
def test_rejected_at_compile_time(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr(source, KNOWN)
    assert message in str(info.value)


def test_names_are_recorded() -> None:
    expr = compile_expr("radiation > 1 and uses.valve >= 2", KNOWN)
    assert expr.names == {"radiation", "uses.valve"}


def test_runtime_division_by_zero_is_a_clear_error() -> None:
    expr = compile_expr("radiation / (power - 2)", KNOWN)
    with pytest.raises(ExpressionError, match="division by zero"):
        expr.eval(NAMES)


def test_numbers_and_booleans_from_toml_are_accepted() -> None:
    assert compile_expr(5, KNOWN).eval({}) == 5
    assert compile_expr(True, KNOWN).holds({})
