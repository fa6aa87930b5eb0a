"""The formula language: what it accepts, what it refuses (with which code), how it computes."""

from decimal import Decimal

import pytest

from wufei.core.errors import Invalid
from wufei.stats.formula import NoData, Ref, parse


def codes(text: str) -> list[tuple[str | None, str]]:
    with pytest.raises(Invalid) as caught:
        parse(text)
    return [(e.field, e.code) for e in caught.value.errors]


def values(**figures):
    def lookup(ref: Ref):
        key = f"{ref.when}_{ref.measure}" if ref.when else ref.measure
        value = figures.get(key)
        return None if value is None else Decimal(value)

    return lookup


def test_arithmetic_with_typed_signs_and_full_width_parentheses():
    formula = parse("（straw_utilised − 100） ÷ straw_collectable × 100")
    assert formula.text == "(straw_utilised - 100) / straw_collectable * 100"
    assert formula.refs == (Ref("straw_utilised"), Ref("straw_collectable"))
    # (4600 - 100) / 5000 * 100 = 90
    assert formula.evaluate(values(straw_utilised="4600", straw_collectable="5000")) == 90


def test_decimal_arithmetic_is_exact_and_unary_minus_works():
    formula = parse("-(gdp * 0.1) + gdp * 0.2")
    # -(3 * 0.1) + 3 * 0.2 = 0.3 exactly (binary floats would give 0.30000000000000004)
    assert formula.evaluate(values(gdp="3")) == Decimal("0.3")


def test_base_and_prev_are_references_to_other_years():
    formula = parse("(base(gdp) - gdp) / base(gdp) * 100 + prev(gdp) * 0")
    assert set(formula.refs) == {Ref("gdp", "base"), Ref("gdp"), Ref("gdp", "prev")}
    assert formula.uses_base
    # (40 - 30) / 40 * 100 + 7 * 0 = 25
    assert formula.evaluate(values(base_gdp="40", gdp="30", prev_gdp="7")) == 25


@pytest.mark.parametrize("text", ["", "   ", "gdp +", "(gdp", "gdp gdp", "gdp = 1"])
def test_syntax_errors(text):
    assert codes(text) == [("formula", "formula_syntax")]


@pytest.mark.parametrize("text", ["nonsense * 100", "base(nonsense)", "gdp / Gdp"])
def test_unknown_measures(text):
    assert codes(text) == [("formula", "unknown_measure")]


@pytest.mark.parametrize(
    "text",
    [
        "gdp ** 2",
        "gdp % 7",
        "gdp // 2",
        "abs(gdp)",
        "max(gdp, 1)",
        "base(gdp, 1)",
        "base(1)",
        "base(prev(gdp))",
        "gdp.real",
        "gdp if gdp else 1",
        "gdp < 1",
        "'gdp'",
        "True + gdp",
        "[gdp]",
        "__import__('os')",
        "(lambda: 1)()",
    ],
)
def test_anything_else_is_not_allowed(text):
    assert codes(text) == [("formula", "formula_not_allowed")]


def test_missing_inputs_name_every_missing_measure_in_chinese():
    formula = parse("straw_utilised / straw_collectable * 100")
    with pytest.raises(NoData) as caught:
        formula.evaluate(values(straw_utilised="1"))
    assert caught.value.missing == (Ref("straw_collectable"),)
    assert "秸秆可收集资源量（straw_collectable）" in caught.value.message
    assert "秸秆综合利用量" not in caught.value.message


def test_a_missing_base_year_figure_says_base_year():
    with pytest.raises(NoData) as caught:
        parse("base(gdp) - gdp").evaluate(values(gdp="1"))
    assert "地区生产总值（gdp，基准年）" in caught.value.message


def test_division_by_zero_is_no_data_naming_the_divisor():
    formula = parse("parcels_green / (parcels - parcels_green) * 100")
    with pytest.raises(NoData) as caught:
        formula.evaluate(values(parcels="5", parcels_green="5"))
    assert caught.value.message.startswith("除数为零：parcels - parcels_green")
    assert "快递业务量（parcels）" in caught.value.message
