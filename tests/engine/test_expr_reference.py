"""The compiled closures agree with simpleeval, a maintained evaluator, on random expressions."""

from __future__ import annotations

import ast
import operator

from hypothesis import given, settings
from hypothesis import strategies as st
from simpleeval import SimpleEval

from digital_actors.errors import ExpressionError
from digital_actors.scene.expr import FUNCTIONS, compile_expr

NAMES = ("a", "b", "c")
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
       ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.USub: operator.neg, ast.UAdd: operator.pos,
       ast.Not: operator.not_, ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
       ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}

atoms = st.one_of(st.sampled_from(NAMES), st.integers(-20, 20).map(str),
                  st.floats(-50, 50, allow_nan=False).map(lambda f: f"{f:.3f}"))


def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=",
                                               "and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["-", "not "]), inner).map(lambda t: f"({t[0]}{t[1]})")
    call = st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
    return st.one_of(binary, unary, call, inner.map(lambda x: f"abs({x})"))


expressions = st.recursive(atoms, extend, max_leaves=8)
values = st.fixed_dictionaries({n: st.floats(-100, 100, allow_nan=False) for n in NAMES})


@settings(max_examples=400, deadline=None)
@given(expressions, values)
def test_closures_match_simpleeval(source: str, names: dict[str, float]) -> None:
    expr = compile_expr(source, NAMES)
    reference = SimpleEval(operators=OPS, functions=FUNCTIONS, names=names)
    try:
        expected = float(reference.eval(source))
    except (ZeroDivisionError, OverflowError, ValueError):
        expected = None
    try:
        got = expr.eval(names)
    except ExpressionError:
        got = None
    if expected is None or got is None:
        assert expected is None and got is None
    else:
        assert got == expected or (got != got and expected != expected)
