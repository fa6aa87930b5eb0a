"""The formula language of indicators: arithmetic over measures.

Allowed: numbers, measure names, ``+ - * /`` (also typed ``− × ÷``), unary minus,
parentheses, ``base(m)`` (the measure in the indicator's base year) and ``prev(m)`` (in the
previous year). Anything else is refused with a typed error on the field ``formula``:
``formula_syntax`` (not an expression), ``unknown_measure`` (a name that is no measure) or
``formula_not_allowed`` (any other construct: calls, powers, comparisons, attributes).

Parsing uses Python's ``ast`` and never evaluates Python: the tree is walked here with
decimals. A missing input or a division by zero is no error of the formula but of the data:
evaluation raises :class:`NoData` with a Chinese message naming what is missing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from django.utils.translation import gettext as _

from wufei.core.errors import FieldError, Invalid
from wufei.stats.measures import MEASURES

FUNCTIONS = ("base", "prev")
TYPED = str.maketrans({"−": "-", "×": "*", "÷": "/", "（": "(", "）": ")", "　": " "})
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class Ref(NamedTuple):
    """One input of a formula: a measure, in the year (``when`` ""), the base year or the
    previous year."""

    measure: str
    when: str = ""

    def __str__(self) -> str:
        return f"{self.when}({self.measure})" if self.when else self.measure


class NoData(Exception):
    """The formula cannot be computed from the data (missing input, division by zero)."""

    def __init__(self, message: str, missing: tuple[Ref, ...] = ()):
        super().__init__(message)
        self.message = message
        self.missing = missing


def _invalid(code: str, message: str) -> Invalid:
    return Invalid([FieldError("formula", code, message)])


def normalise(text: str) -> str:
    return " ".join((text or "").translate(TYPED).split())


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr
    refs: tuple[Ref, ...]

    @property
    def uses_base(self) -> bool:
        return any(r.when == "base" for r in self.refs)

    def evaluate(self, lookup: Callable[[Ref], Decimal | None]) -> Decimal:
        """The value, with each input from ``lookup``; :class:`NoData` when an input is
        missing (all missing inputs are named) or a divisor is zero."""
        values = {ref: lookup(ref) for ref in self.refs}
        missing = tuple(ref for ref, value in values.items() if value is None)
        if missing:
            names = "、".join(describe(ref) for ref in missing)
            raise NoData(_("缺少数据：%(names)s") % {"names": names}, missing)
        with localcontext() as context:
            context.prec = 28
            return _walk(self.tree, values)  # type: ignore[arg-type]


def describe(ref: Ref) -> str:
    """A measure reference as a person reads it: 秸秆可收集资源量（straw_collectable，基准年）."""
    measure = MEASURES.get(ref.measure)
    name = str(measure.name) if measure else ref.measure
    when = {"base": _("基准年"), "prev": _("上一年")}.get(ref.when)
    inner = f"{ref.measure}，{when}" if when else ref.measure
    return f"{name}（{inner}）"


def _walk(node: ast.expr, values: Mapping[Ref, Decimal]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return values[Ref(node.id)]
    if isinstance(node, ast.Call):
        return values[_call_ref(node)]
    if isinstance(node, ast.UnaryOp):
        operand = _walk(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _walk(node.left, values), _walk(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise NoData(_("除数为零：%(divisor)s") % {"divisor": _divisor_text(node.right)})
        return left / right
    raise TypeError(f"unchecked node {type(node).__name__}")  # parse() admits no other node


def _divisor_text(node: ast.expr) -> str:
    """The divisor with its measures named (what a person needs to see to fix the data)."""
    refs = _refs_in(node)
    text = ast.unparse(node)
    if refs:
        text += "（" + "、".join(describe(r) for r in refs) + "）"
    return text


def _refs_in(node: ast.expr) -> list[Ref]:
    refs: list[Ref] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            refs.append(_call_ref(child))
        elif isinstance(child, ast.Name) and not _is_function_name(child, node):
            refs.append(Ref(child.id))
    return list(dict.fromkeys(refs))


def _is_function_name(name: ast.Name, root: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(root))


def _call_ref(node: ast.Call) -> Ref:
    """The reference of a checked ``base(m)`` / ``prev(m)`` call."""
    func, arg = node.func, node.args[0]
    if not isinstance(func, ast.Name) or not isinstance(arg, ast.Name):
        raise TypeError("unchecked call")  # _check_call admits no other call
    return Ref(arg.id, func.id)


def parse(text: str, measures: Mapping[str, object] = MEASURES) -> Formula:
    """Check ``text`` and return its :class:`Formula`; :class:`Invalid` if it is not one."""
    source = normalise(text)
    if not source:
        raise _invalid("formula_syntax", _("请填写计算公式。"))
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError) as exc:
        raise _invalid("formula_syntax", _("公式无法解析：%(text)s") % {"text": source}) from exc
    refs: list[Ref] = []
    _check(tree, measures, refs)
    return Formula(source, tree, tuple(dict.fromkeys(refs)))


def _check(node: ast.expr, measures: Mapping[str, object], refs: list[Ref]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _invalid("formula_not_allowed", _("公式中只能使用数字，不能使用文字或其他常量。"))
        return
    if isinstance(node, ast.Name):
        _check_measure(node.id, measures)
        refs.append(Ref(node.id))
        return
    if isinstance(node, ast.Call):
        _check_call(node, measures)
        refs.append(_call_ref(node))
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, measures, refs)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        _check(node.left, measures, refs)
        _check(node.right, measures, refs)
        return
    raise _invalid(
        "formula_not_allowed",
        _("公式中只能使用数字、统计量、加减乘除、括号和 base()、prev()：%(part)s")
        % {"part": ast.unparse(node)},
    )


def _check_measure(name: str, measures: Mapping[str, object]) -> None:
    if name not in measures:
        raise _invalid("unknown_measure", _("没有名为 %(name)s 的统计量。") % {"name": name})


def _check_call(node: ast.Call, measures: Mapping[str, object]) -> None:
    simple = (
        isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Name)
    )
    if not simple:
        raise _invalid(
            "formula_not_allowed",
            _("只能使用 base(统计量) 或 prev(统计量)：%(part)s") % {"part": ast.unparse(node)},
        )
    _check_measure(node.args[0].id, measures)  # type: ignore[attr-defined]
