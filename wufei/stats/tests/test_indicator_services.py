"""Custom indicators and targets: who may write them, what is checked, what is refused."""

from decimal import Decimal

import pytest

from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.registry.choices import Confidence
from wufei.registry.tests import factories
from wufei.stats import indicators as services
from wufei.stats.choices import ValueStatus
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue
from wufei.stats.tests.indicator_data import (
    CHANGGE,
    WEIDU,
    WEIDU_TOWN,
    YEAR,
    declare,
    official,
    region,
)

pytestmark = pytest.mark.django_db

CUSTOM = {
    "name": "快递包装回收与绿色包装综合指数",
    "level1": "固体废物资源化利用",
    "unit": "%",
    "formula": "(express_packaging_recovered ÷ express_packaging_generated + parcels_green "
    "÷ parcels) × 50",
    "direction": "up",
}


def errors(exc_info) -> list[tuple[str | None, str]]:
    return [(e.field, e.code) for e in exc_info.value.errors]


def test_a_city_official_creates_a_custom_indicator_that_is_computed():
    city = official("city")
    indicator = services.indicator_create(actor=city, data=CUSTOM)
    assert (indicator.code, indicator.catalogue) == ("custom-1", "custom")
    assert indicator.confidence == Confidence.PLATFORM
    assert indicator.created_by == city
    assert services.indicator_create(actor=city, data=CUSTOM).code == "custom-2"
    declare(
        "postal",
        WEIDU,
        {"parcels": "5000", "parcels_green": "4000", "packaging_generated": "600"},
    )
    declare("postal", WEIDU, {"packaging_recovered": "150"})
    services.recompute_values(YEAR)
    value = IndicatorValue.objects.get(indicator=indicator, region=region(WEIDU), year=YEAR)
    # (150 / 600 + 4000 / 5000) * 50 = (0.25 + 0.8) * 50 = 52.5
    assert (value.status, value.value) == (ValueStatus.OK, Decimal("52.5"))


@pytest.mark.parametrize(
    ("formula", "code"),
    [
        ("parcels_green / nothing", "unknown_measure"),
        ("parcels_green ** 2", "formula_not_allowed"),
        ("parcels_green /", "formula_syntax"),
        ("", "formula_syntax"),
    ],
)
def test_a_bad_formula_is_refused_on_the_formula_field(formula, code):
    with pytest.raises(Invalid) as caught:
        services.indicator_create(actor=official("city"), data={**CUSTOM, "formula": formula})
    assert errors(caught) == [("formula", code)]
    assert not Indicator.objects.filter(catalogue="custom").exists()


def test_base_needs_a_base_year():
    data = {**CUSTOM, "formula": "(base(parcels) - parcels) / base(parcels) * 100"}
    with pytest.raises(Invalid) as caught:
        services.indicator_create(actor=official("city"), data=data)
    assert errors(caught) == [("base_year", "base_year_required")]
    created = services.indicator_create(actor=official("city"), data={**data, "base_year": 2020})
    assert created.base_year == 2020


def test_a_taken_code_is_refused():
    with pytest.raises(Invalid) as caught:
        services.indicator_create(actor=official("city"), data={**CUSTOM, "code": "common-straw"})
    assert errors(caught) == [("code", "unique")]


@pytest.mark.parametrize("role", ["county", "department", "enterprise", "public"])
def test_only_city_officials_and_admins_write_indicators(role):
    fields = {"party": factories.PartyFactory()} if role == "enterprise" else {}
    actor = official(role, **fields)
    with pytest.raises(NotPermitted):
        services.indicator_create(actor=actor, data=CUSTOM)
    straw = Indicator.objects.get(code="common-straw")
    with pytest.raises(NotPermitted):
        services.indicator_set_active(actor=actor, obj=straw, active=False)
    assert Indicator.objects.get(code="common-straw").is_active


def test_an_admin_may_write_too():
    assert services.indicator_create(actor=official("admin"), data=CUSTOM).pk


def test_only_custom_indicators_are_changed_and_any_may_be_deactivated():
    city = official("city")
    straw = Indicator.objects.get(code="common-straw")
    with pytest.raises(Invalid) as caught:
        services.indicator_update(actor=city, obj=straw, data={"formula": "parcels"})
    assert errors(caught) == [(None, "not_custom")]
    custom = services.indicator_create(actor=city, data=CUSTOM)
    changed = services.indicator_update(
        actor=city, obj=custom, data={"formula": "parcels_green / parcels * 100", "code": "x"}
    )
    assert (changed.formula, changed.code) == ("parcels_green / parcels * 100", "custom-1")
    with pytest.raises(Invalid):
        services.indicator_update(actor=city, obj=custom, data={"formula": "parcels +"})
    assert Indicator.objects.get(pk=custom.pk).formula == "parcels_green / parcels * 100"
    services.indicator_set_active(actor=city, obj=straw, active=False)
    assert not Indicator.objects.get(pk=straw.pk).is_active


def target(adcode: str = WEIDU, value: str = "90", **overrides) -> dict:
    return {
        "indicator": Indicator.objects.get(code="common-straw"),
        "year": YEAR,
        "region": region(adcode),
        "value": Decimal(value),
        "note": "规划目标",
        **overrides,
    }


def test_setting_a_target_twice_changes_it():
    city = official("city")
    first = services.target_set(actor=city, data=target())
    again = services.target_set(actor=city, data=target(value="95"))
    assert first.pk == again.pk
    assert IndicatorTarget.objects.get().value == Decimal("95")


def test_county_officials_set_targets_in_their_county_only():
    county = official("county")  # 魏都区
    assert services.target_set(actor=county, data=target()).region.adcode == WEIDU
    with pytest.raises(NotPermitted):
        services.target_set(actor=county, data=target(CHANGGE))
    assert not IndicatorTarget.objects.filter(region__adcode=CHANGGE).exists()
    changge = services.target_set(actor=official("city"), data=target(CHANGGE))
    with pytest.raises(NotFound):  # another county's target is not even visible
        services.target_update(actor=county, obj=changge, data={"value": Decimal("1")})
    assert IndicatorTarget.objects.get(pk=changge.pk).value == Decimal("90")


@pytest.mark.parametrize("role", ["department", "public"])
def test_others_set_no_targets(role):
    with pytest.raises(NotPermitted):
        services.target_set(actor=official(role), data=target())
    assert not IndicatorTarget.objects.exists()


def test_targets_are_set_for_the_city_counties_and_zones_in_a_sensible_year():
    city = official("city")
    with pytest.raises(Invalid) as caught:
        services.target_set(actor=city, data=target(WEIDU_TOWN, year=1900))
    assert sorted(errors(caught)) == [("region", "region_level"), ("year", "year_out_of_range")]


def test_recompute_on_request_covers_the_officials_scope():
    total = services.recompute_for(actor=official("city"), year=YEAR)
    assert total == IndicatorValue.objects.filter(year=YEAR).count()
    IndicatorValue.objects.all().delete()
    county = services.recompute_for(actor=official("county"), year=YEAR)
    assert county == total // 8
    assert set(IndicatorValue.objects.values_list("region__adcode", flat=True)) == {WEIDU}
    with pytest.raises(NotPermitted):
        services.recompute_for(actor=official("department"), year=YEAR)
