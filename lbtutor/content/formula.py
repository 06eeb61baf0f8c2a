"""A small, safe evaluator for the formulas of claims: numbers, + - * / ** and named functions.

`evaluate("mm1_mean(6, 10) * 1000")` is 250.0. Nothing else is allowed: no names but the
functions below, no attributes, no keywords, no strings. The functions are queueing theory's
closed forms from lbtutor.sim.theory and a few from `math`; every value is a float, so a
runaway power overflows at once instead of building a huge integer.

A claim's `metric` is the same kind of expression over a run's numbers, named by their dotted
paths: `latency.mean * 1000`, `requests.dropped / requests.arrived * 100` (see `paths` and
`evaluate(text, values)`).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable


class FormulaError(ValueError):
    """The formula cannot be read or evaluated; the message says where and why."""


def _functions() -> dict[str, Callable[..., float]]:
    from lbtutor.sim import theory

    return {
        # queueing theory (lbtutor/sim/theory.py): mean sojourn times in seconds, rates per second
        "mm1_mean": theory.mm1_mean,  # (arrival_rate, service_rate)
        "mmc_mean": theory.mmc_mean,  # (arrival_rate, service_rate, servers)
        "erlang_c": theory.erlang_c,  # (servers, offered erlangs): probability an arrival waits
        "ek_m1_mean": theory.ek_m1_mean,  # (k, arrival_rate, service_rate): round robin over k servers
        "ek_m1_sigma": theory.ek_m1_sigma,
        "supermarket_mean": theory.supermarket_mean,  # (rho, service_rate[, d]): power of d choices
        "exp_quantile": theory.exp_quantile,  # (rate, q)
        "sqrt": math.sqrt, "log": math.log, "exp": math.exp, "ceil": math.ceil, "floor": math.floor,
        "min": min, "max": max, "abs": abs,
    }  # fmt: skip


FUNCTION_NAMES = (
    "mm1_mean", "mmc_mean", "erlang_c", "ek_m1_mean", "ek_m1_sigma", "supermarket_mean", "exp_quantile",
    "sqrt", "log", "exp", "ceil", "floor", "min", "max", "abs",
)  # fmt: skip
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}  # fmt: skip
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
MAX_LENGTH = 500
# functions whose argument at this position counts servers (a whole number)
_WHOLE_ARGUMENT = {"ek_m1_mean": 0, "ek_m1_sigma": 0, "erlang_c": 0, "mmc_mean": 2}


def parse(text: str, *, paths: bool = False) -> ast.expr:
    """The formula's syntax tree, checked to hold only what `evaluate` allows (with paths=True,
    also dotted paths such as latency.p99)."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula is a non-empty string")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"a formula is at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot read {text!r}: {exc.msg}") from None
    _check(tree.body, paths)
    return tree.body


def paths_of(text: str) -> list[str]:
    """The dotted paths an expression reads, in order (`latency.p99 * 1000` -> ["latency.p99"])."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        path = _path(node) if isinstance(node, ast.Name | ast.Attribute) else None
        if path is not None:
            if path not in found:
                found.append(path)
        elif isinstance(node, ast.Call):
            for arg in node.args:
                visit(arg)
        else:
            for child in ast.iter_child_nodes(node):
                visit(child)

    visit(parse(text, paths=True))
    return found


def _path(node: ast.AST) -> str | None:
    """`a.b.c` as a string, or None when the node is not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _check(node: ast.AST, paths: bool = False) -> None:
    if paths and isinstance(node, ast.Name | ast.Attribute) and _path(node) is not None:
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float) or isinstance(node.value, bool):
            raise FormulaError(f"only numbers are allowed, not {node.value!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise FormulaError("the operators are + - * / and **")
        _check(node.left, paths)
        _check(node.right, paths)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise FormulaError("the operators are + - * / and **")
        _check(node.operand, paths)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTION_NAMES:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise FormulaError(f"unknown function {name!r}; the functions are: {', '.join(FUNCTION_NAMES)}")
        if node.keywords:
            raise FormulaError(f"{node.func.id}() takes its arguments by position, not by name")
        for arg in node.args:
            _check(arg, paths)
    elif isinstance(node, ast.Name):
        raise FormulaError(f"unknown name {node.id!r}: a formula holds numbers and function calls only")
    else:
        raise FormulaError(f"{ast.unparse(node)!r} is not allowed: use numbers, + - * / ** and functions")


def evaluate(text: str, values: dict[str, float] | None = None) -> float:
    """The formula's value as a finite float; FormulaError says what is wrong. With `values`,
    dotted paths in it read their numbers from there (a missing one is an error)."""
    tree = parse(text, paths=values is not None)
    functions = _functions()

    def value(node: ast.AST) -> float:
        if values is not None and isinstance(node, ast.Name | ast.Attribute):
            path = _path(node)
            if path not in values or values[path] is None:
                raise FormulaError(f"the run has no number {path}")
            return float(values[path])
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](value(node.operand))
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        name = node.func.id
        args: list = [value(a) for a in node.args]
        whole = _WHOLE_ARGUMENT.get(name)
        if whole is not None and whole < len(args):
            args[whole] = _whole(args[whole], name)
        return float(functions[name](*args))

    try:
        result = value(tree)
    except FormulaError:
        raise
    except ZeroDivisionError:
        raise FormulaError(f"{text!r} divides by zero") from None
    except OverflowError:
        raise FormulaError(f"{text!r} is too large to compute") from None
    except (TypeError, ValueError, IndexError) as exc:
        raise FormulaError(f"cannot evaluate {text!r}: {exc}") from None
    if isinstance(result, complex) or not math.isfinite(result):
        raise FormulaError(f"{text!r} is not a finite number")
    return result


def _whole(value: float, name: str) -> int:
    if not float(value).is_integer() or value < 1:
        raise FormulaError(f"{name}() needs a whole number of servers (got {value:g})")
    return int(value)
