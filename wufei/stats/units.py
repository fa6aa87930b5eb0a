"""Units of declared figures: each item has a unit kind with one base unit, and a figure typed
in any unit of that kind (吨, kg, 万吨; 平方米, 万m²; 元, 亿元 …) is stored in the base unit
with what was typed kept beside it.

Base units follow the contract of the statistics: t (mass), 个 (count), 万件 (parcels),
万m² (area), 万元 (money), 万人 (population). ``to_base`` refuses a unit that is not of the
item's kind with the typed error ``unit_not_convertible``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from wufei.core.errors import FieldError, Invalid

MASS = "mass"
COUNT = "count"
PARCELS = "parcels"
AREA = "area"
MONEY = "money"
POPULATION = "population"

PLACES = Decimal("0.0001")  # DeclarationLine.value and entered_value keep four decimals
MAX_VALUE = Decimal("1e14")  # 18 digits with 4 decimals

KIND_LABELS = {
    MASS: _("质量"),
    COUNT: _("数量"),
    PARCELS: _("快递件数"),
    AREA: _("面积"),
    MONEY: _("金额"),
    POPULATION: _("人口"),
}

# unit kind -> (base unit, {alias: factor to the base unit}); the first alias of each factor
# is how the unit is shown in choices and templates.
UNITS: dict[str, tuple[str, dict[str, Decimal]]] = {
    MASS: (
        "t",
        {
            "t": Decimal(1),
            "吨": Decimal(1),
            "公吨": Decimal(1),
            "kg": Decimal("0.001"),
            "千克": Decimal("0.001"),
            "公斤": Decimal("0.001"),
            "万吨": Decimal(10_000),
            "万t": Decimal(10_000),
        },
    ),
    COUNT: (
        "个",
        {
            "个": Decimal(1),
            "家": Decimal(1),
            "张": Decimal(1),
            "件": Decimal(1),
            "所": Decimal(1),
            "座": Decimal(1),
            "处": Decimal(1),
        },
    ),
    PARCELS: (
        "万件",
        {
            "万件": Decimal(1),
            "件": Decimal("0.0001"),
            "亿件": Decimal(10_000),
        },
    ),
    AREA: (
        "万m²",
        {
            "万m²": Decimal(1),
            "万平方米": Decimal(1),
            "万m2": Decimal(1),
            "m²": Decimal("0.0001"),
            "平方米": Decimal("0.0001"),
            "m2": Decimal("0.0001"),
            "㎡": Decimal("0.0001"),
            "公顷": Decimal(1),
            "hm²": Decimal(1),
        },
    ),
    MONEY: (
        "万元",
        {
            "万元": Decimal(1),
            "元": Decimal("0.0001"),
            "亿元": Decimal(10_000),
        },
    ),
    POPULATION: (
        "万人",
        {
            "万人": Decimal(1),
            "人": Decimal("0.0001"),
        },
    ),
}


class UnitNotConvertible(Invalid):
    """A unit that is not one of the item's kind (or not a unit at all)."""

    def __init__(self, unit: str, kind: str, field: str = "unit"):
        self.unit, self.kind = unit, kind
        message = _t("单位“%(unit)s”不能换算为%(kind)s（可用：%(units)s）。") % {
            "unit": unit,
            "kind": KIND_LABELS.get(kind, kind),
            "units": "、".join(units_of(kind)),
        }
        super().__init__([FieldError(field, "unit_not_convertible", message)])


def base_unit(kind: str) -> str:
    return UNITS[kind][0]


def units_of(kind: str) -> list[str]:
    """The units a figure of ``kind`` may be typed in, base unit first."""
    if kind not in UNITS:
        return []
    base, factors = UNITS[kind]
    return [base, *(u for u in factors if u != base)]


def _normalise(unit: str) -> str:
    text = (unit or "").strip().replace(" ", "").replace("\u3000", "")
    text = text.replace("^2", "²").replace("M", "m")
    return text.lower() if text.isascii() else text


_LOOKUP: dict[str, dict[str, Decimal]] = {
    kind: {_normalise(alias): factor for alias, factor in factors.items()}
    for kind, (_base, factors) in UNITS.items()
}


def factor(unit: str, kind: str) -> Decimal:
    """How many base units one ``unit`` is; a blank unit is the base unit."""
    if kind not in UNITS:
        raise UnitNotConvertible(unit, kind)
    key = _normalise(unit)
    if not key:
        return Decimal(1)
    found = _LOOKUP[kind].get(key)
    if found is None:
        raise UnitNotConvertible(unit, kind)
    return found


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def to_base(value, unit: str, kind: str) -> Decimal:
    """``value`` typed in ``unit`` as a number of the base unit of ``kind`` (four decimals)."""
    return quantize(parse_number(value) * factor(unit, kind))


def parse_number(value, field: str = "value") -> Decimal:
    """A typed number (text with thousands separators, an int, a float from Excel) as a
    Decimal; ``invalid_number`` when it is none, ``value_too_large`` beyond 10^14."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        number = Decimal("NaN")
    elif isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = str(value or "").strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite():
        raise Invalid(
            [FieldError(field, "invalid_number", _t("“%(value)s”不是数字。") % {"value": value})]
        )
    if abs(number) >= MAX_VALUE:
        raise Invalid([FieldError(field, "value_too_large", _t("数值过大。"))])
    return quantize(number)
