"""The scene expression language: a small, safe subset of Python expressions.

Parsed and checked once when a scene loads (every name must be known), then evaluated
by simpleeval with a fixed set of operators and functions. Allowed: numbers, names,
``uses.<control>``, ``signals.<id>``, ``memory.<field>``, ``+ - * / // %``, comparisons,
``and or not``, ``min max abs``. Not allowed: strings, ``**``, calls of anything else,
attribute access on anything else, subscripts, lambdas, comprehensions.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simpleeval import SimpleEval

from digital_actors.errors import ExpressionError

MAX_LENGTH = 400
NAMESPACES = ("uses", "signals", "memory")
FUNCTIONS = {"min": min, "max": max, "abs": abs}
_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp, ast.Compare,
    ast.Name, ast.Load, ast.Constant, ast.Call, ast.Attribute, *_OPERATORS,
)
_WHY_NOT = {
    ast.Pow: "the ** operator is not allowed (use * instead)",
    ast.Subscript: "indexing with [] is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "'x if c else y' is not allowed (use min/max or two conditions)",
    ast.JoinedStr: "strings are not allowed",
    ast.BitAnd: "'&' is not allowed (use 'and')", ast.BitOr: "'|' is not allowed (use 'or')",
    ast.BitXor: "'^' is not allowed", ast.Invert: "'~' is not allowed",
    ast.LShift: "'<<' is not allowed", ast.RShift: "'>>' is not allowed",
    ast.Is: "'is' is not allowed (use ==)", ast.IsNot: "'is not' is not allowed (use !=)",
    ast.In: "'in' is not allowed", ast.NotIn: "'not in' is not allowed",
    ast.NamedExpr: "':=' is not allowed",
}


# Stateless between calls: names are set right before each (synchronous) evaluation.
_EVALUATOR = SimpleEval(operators=_OPERATORS, functions=FUNCTIONS, names={})


@dataclass(frozen=True, slots=True)
class Expr:
    """A checked expression, ready to evaluate against a names mapping."""

    source: str
    tree: ast.Expression
    names: frozenset[str]

    def eval(self, names: Mapping[str, float]) -> float:
        """The value as a float (booleans are 0/1). Raises ExpressionError on runtime faults."""
        evaluator = _EVALUATOR
        evaluator.names = names  # evaluation is synchronous, so sharing the evaluator is safe
        try:
            value = evaluator.eval(self.source, previously_parsed=self.tree.body)
        except ZeroDivisionError as e:
            raise ExpressionError(f"{self.source!r}: division by zero") from e
        except Exception as e:  # simpleeval raises several types for runtime faults
            raise ExpressionError(f"{self.source!r}: {e}") from e
        if isinstance(value, bool | int | float):
            return float(value)
        raise ExpressionError(f"{self.source!r}: gave {type(value).__name__}, expected a number")

    def holds(self, names: Mapping[str, float]) -> bool:
        return self.eval(names) != 0


def compile_expr(source: str | int | float | bool, known: Iterable[str]) -> Expr:
    """Parse and check ``source``; every name must be in ``known``. Raises ExpressionError."""
    if isinstance(source, bool):
        source = "1" if source else "0"
    source = str(source).strip()
    if not source:
        raise ExpressionError("empty expression")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(source)} characters long (the limit is {MAX_LENGTH})")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"{source!r}: not a valid expression ({e.msg})") from e
    known_set = set(known)
    used: set[str] = set()
    tree = _Flatten(source, known_set, used).visit(tree)
    ast.fix_missing_locations(tree)
    return Expr(source=source, tree=tree, names=frozenset(used))


class _Flatten(ast.NodeTransformer):
    """Checks every node and turns ``uses.valve`` into the single name ``'uses.valve'``."""

    def __init__(self, source: str, known: set[str], used: set[str]) -> None:
        self.source, self.known, self.used = source, known, used

    def _fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"{self.source!r}: {why}")

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if not isinstance(node, _ALLOWED_NODES):
            why = _WHY_NOT.get(type(node), f"{type(node).__name__} is not allowed")
            raise self._fail(why)
        return super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            if isinstance(node.value, str):
                raise self._fail("strings are not allowed")
            if not isinstance(node.value, bool):
                raise self._fail(f"{node.value!r} is not a number")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id.startswith("_"):
            raise self._fail(f"names starting with '_' are not allowed ({node.id})")
        if node.id in ("True", "False"):
            return node
        if node.id not in self.known:
            hint = ", ".join(sorted(n for n in self.known if "." not in n)[:12])
            raise self._fail(f"unknown name '{node.id}' (known: {hint})")
        self.used.add(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.value, ast.Name) or node.value.id not in NAMESPACES:
            raise self._fail("attribute access is not allowed (only uses.X, signals.X, memory.X)")
        if node.attr.startswith("_"):
            raise self._fail(f"names starting with '_' are not allowed ({node.attr})")
        dotted = f"{node.value.id}.{node.attr}"
        if dotted not in self.known:
            options = sorted(n for n in self.known if n.startswith(node.value.id + "."))
            raise self._fail(f"unknown name '{dotted}' (known: {', '.join(options) or 'none'})")
        self.used.add(dotted)
        return ast.copy_location(ast.Name(id=dotted, ctx=ast.Load()), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self._fail("only min(), max() and abs() may be called")
        if node.keywords:
            raise self._fail("keyword arguments are not allowed")
        if not node.args or len(node.args) > 8:
            raise self._fail(f"{node.func.id}() takes 1 to 8 arguments")
        node.args = [self.visit(a) for a in node.args]
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        if not isinstance(node.op, tuple(_OPERATORS)):
            raise self._fail(_WHY_NOT.get(type(node.op), f"{type(node.op).__name__} is not allowed"))
        return self.generic_visit(node)
