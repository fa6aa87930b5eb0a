"""Units and the kinds of declaration: conversions, refusals, and the item codes the
statistics contract fixes (the indicator measures read exactly these)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from wufei.accounts.departments import DEPARTMENTS
from wufei.core.errors import Invalid
from wufei.stats import units
from wufei.stats.choices import Quantity
from wufei.stats.declaration_kinds import KINDS, Item, item_codes

CONTRACT = {
    "industrial": "generated utilised utilised_prior disposed_landfill disposed_other "
    "disposed_prior stored dumped",
    "hazardous": "generated utilised_self disposed_self stored transferred",
    "agriculture": "crop_output straw_theoretical straw_collectable straw_utilised "
    "manure_generated manure_utilised film_used film_recovered pesticide_packaging_generated "
    "pesticide_packaging_recovered villages_total villages_covered",
    "housing": "cw_generated cw_utilised cw_landfilled new_building_area green_building_area "
    "prefab_building_area",
    "sludge": "sludge_generated sludge_utilised sludge_landfilled sludge_treated",
    "health": "beds institutions_total institutions_covered medical_waste_generated",
    "postal": "parcels parcels_green packaging_generated packaging_recovered",
    "commerce": "renewable_collected renewable_metal renewable_paper renewable_plastic "
    "renewable_glass renewable_electronics renewable_other",
    "urban": "recyclables_recovered communities_total communities_sorting villages_sorting "
    "household_waste_generated",
    "statistics": "resident_population industrial_value_added gdp zero_waste_cells",
    # per stream: generation and where it went, as the yearbooks report them
    "history": " ".join(
        f"{what}_{stream}"
        for stream in [
            "hazardous",
            "medical",
            "household",
            "kitchen",
            "construction",
            "sludge",
            "industrial",
            "agricultural",
        ]
        for what in ("generated", "utilised", "energy", "landfilled", "treated")
    ),
}


def _item(kind: str, code: str) -> Item:
    found = KINDS[kind].item(code)
    assert found is not None
    return found


def test_the_kinds_and_items_are_the_contracts():
    assert {k: " ".join(i.code for i in kind.items) for k, kind in KINDS.items()} == CONTRACT
    assert "industrial.generated" in item_codes()
    assert len(item_codes()) == len(set(item_codes()))


@pytest.mark.parametrize(
    "kind, item, quantity, stream",
    [
        ("industrial", "stored", Quantity.STORED, "industrial"),
        ("industrial", "disposed_other", Quantity.TREATED, "industrial"),
        ("hazardous", "transferred", "", "hazardous"),
        (
            "agriculture",
            "pesticide_packaging_recovered",
            Quantity.UTILISED,
            "agricultural-pesticide-packaging",
        ),
        ("agriculture", "crop_output", "", "agricultural"),
        ("housing", "cw_landfilled", Quantity.LANDFILLED, "construction"),
        ("sludge", "sludge_treated", Quantity.TREATED, "sludge"),
        ("health", "medical_waste_generated", Quantity.GENERATED, "medical"),
        ("postal", "packaging_recovered", Quantity.UTILISED, "express-packaging"),
        ("commerce", "renewable_glass", Quantity.UTILISED, "renewable"),
        ("urban", "recyclables_recovered", Quantity.UTILISED, "household-recyclable"),
        ("statistics", "gdp", "", ""),
        ("history", "generated_construction", Quantity.GENERATED, "construction"),
        ("history", "generated_medical", Quantity.GENERATED, "medical"),
    ],
)
def test_items_count_as_the_contract_says(kind, item, quantity, stream):
    k = KINDS[kind]
    found = k.item(item)
    assert found is not None
    assert found.quantity == quantity
    assert (found.stream or k.stream) == stream


def test_kind_departments_exist_and_units_have_their_base():
    departments = {code for code, *_rest in DEPARTMENTS}
    for kind in KINDS.values():
        assert kind.department in departments | {""}
        for item in kind.items:
            assert units.units_of(item.unit)[0] == item.base_unit
    assert [
        _item(k, i).base_unit
        for k, i in [
            ("postal", "parcels"),
            ("housing", "new_building_area"),
            ("statistics", "gdp"),
            ("statistics", "resident_population"),
            ("health", "beds"),
            ("sludge", "sludge_generated"),
        ]
    ] == ["万件", "万m²", "万元", "万人", "个", "t"]


def test_items_are_found_by_code_full_code_and_labels_in_any_language():
    kind = KINDS["industrial"]
    assert kind.find_item("generated") is kind.find_item("industrial.generated")
    assert kind.find_item(" 产生量 ") is kind.item("generated")
    assert getattr(kind.find_item("其中：综合利用往年贮存量"), "code", None) == "utilised_prior"
    assert getattr(kind.find_item("generated "), "code", None) == "generated"
    with translation.override("en"):
        assert kind.find_item("产生量") is kind.item("generated")
    assert getattr(kind.find_item("Dumped"), "code", None) == "dumped"
    assert kind.find_item("产量") is None
    assert kind.find_item("agriculture.crop_output") is None


@pytest.mark.parametrize(
    "value, unit, kind, expected",
    [
        ("1.5", "t", units.MASS, "1.5"),
        ("1.5", "", units.MASS, "1.5"),
        ("1500", "kg", units.MASS, "1.5"),
        ("1500", "KG", units.MASS, "1.5"),
        ("1500", "千克", units.MASS, "1.5"),
        ("2", "万吨", units.MASS, "20000"),
        ("0.4", "公斤", units.MASS, "0.0004"),
        (3, "家", units.COUNT, "3"),
        ("12000", "件", units.PARCELS, "1.2"),
        ("1.2", "亿件", units.PARCELS, "12000"),
        ("50000", "平方米", units.AREA, "5"),
        ("50000", "m²", units.AREA, "5"),
        ("50000", "m2", units.AREA, "5"),
        ("3", "万平方米", units.AREA, "3"),
        ("120000", "元", units.MONEY, "12"),
        ("4.4", "亿元", units.MONEY, "44000"),
        ("438000", "人", units.POPULATION, "43.8"),
        ("1,234.5", "t", units.MASS, "1234.5"),
        (0.1 + 0.2, "t", units.MASS, "0.3"),
    ],
)
def test_to_base(value, unit, kind, expected):
    assert units.to_base(value, unit, kind) == Decimal(expected)


@pytest.mark.parametrize(
    "unit, kind",
    [("m²", units.MASS), ("吨", units.AREA), ("件", units.MONEY), ("斤斤", units.MASS), ("t", "x")],
)
def test_units_that_do_not_convert_are_a_typed_error(unit, kind):
    with pytest.raises(units.UnitNotConvertible) as exc:
        units.to_base("1", unit, kind)
    error = exc.value.errors[0]
    assert (error.code, error.field) == ("unit_not_convertible", "unit")
    assert unit in error.message


@pytest.mark.parametrize(
    "value, code",
    [
        ("abc", "invalid_number"),
        ("", "invalid_number"),
        (True, "invalid_number"),
        ("NaN", "invalid_number"),
        ("1e20", "value_too_large"),
    ],
)
def test_numbers_that_are_none(value, code):
    with pytest.raises(Invalid) as exc:
        units.parse_number(value)
    assert exc.value.errors[0].code == code
