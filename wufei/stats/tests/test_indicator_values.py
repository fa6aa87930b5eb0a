"""The shipped catalogue, and every computable indicator computed from a small dataset whose
values were worked out by hand (``indicator_data.weidu_2021``, 魏都区 2021)."""

from decimal import Decimal

import pytest

from wufei.registry.choices import Confidence
from wufei.stats.choices import Mandatory, ValueStatus
from wufei.stats.formula import parse
from wufei.stats.indicator_catalogue import catalogue_rows, level, load_catalogue, mandatory
from wufei.stats.indicators import recompute_values
from wufei.stats.models import Indicator, IndicatorValue
from wufei.stats.tests.indicator_data import (
    CHANGGE,
    CITY,
    WEIDU,
    YEAR,
    ZONE,
    flow,
    region,
    weidu_2021,
)

pytestmark = pytest.mark.django_db

# Hand arithmetic on weidu_2021() (tonnes unless noted). Measures:
#   industrial: generated 1000, utilised 400 + 450 = 850, utilised_prior 50
#   hazardous: generated 200 (+ medical 50 = 250), utilised 60, energy 20, landfilled 30,
#     treated 40 -> handled 60 + 20 + 30 + 40 = 150; landfilled in 2020: 40
#   medical: generated 50, treated 48
#   household: collected 7300 + 730 = 8030; harmless 500 + 6000 + 1000 = 7500;
#     kitchen part utilised 500; recyclables recovered (declared) 1970
#   kitchen: generated 400, utilised 300 + energy 20 = 320
#   construction: 6000 + 4000 = 10000, utilised 4500 (长葛市: 5000 and 500)
#   sludge: generated 800, harmless 200 + 100 + 100 + 300 = 700
#   population 20 万人, industrial value added 500 万元, 35 zero-waste cells
#   medical sites: 4 registered, 3 with a manifest in 2021
#   household sorting: 4 households registered, 3 dropped; 3 drops checked, 2 correct;
#     kitchen 3 + 2 = 5 kg of 3 + 2 + 5 + 2 = 12 kg
#   survey: 2 answers, sums awareness 4 + 3 = 7, participation 3 + 4 = 7, satisfaction
#     5 + 4 = 9, gain 4 + 3 = 7, confidence 5 + 5 = 10 (index = sum / answers * 20)
EXPECTED = {
    "2019-16": "95",  # 190 / 200 * 100
    "2019-17": "92",  # 4600 / 5000 * 100
    "2019-18": "75",  # 6000 / 8000 * 100
    "2019-19": "85",  # 255 / 300 * 100
    "2019-20": "45",  # 4500 / 10000 * 100
    "2019-x1": "35",  # zero-waste cells
    "2019-x2": "80.9524",  # 850 / (1000 + 50) * 100 = 80.952380…
    "2021-a1": "2.4",  # (1000 + 200) / 500
    "2021-a3": "0.803",  # 8030 / 10000 (万吨)
    "2021-a4": "24",  # 60 / 250 * 100 (medical waste included)
    "2021-a5": "45",  # 4500 / 10000 * 100
    "2021-a6": "25",  # (40 - 30) / 40 * 100
    "2021-b1": "80.9524",  # as 2019-x2
    "2021-b2": "92",
    "2021-b3": "75",
    "2021-b4": "85",
    "2021-b5": "85",  # 34 / 40 * 100
    "2021-c1": "24.7",  # (1970 + 500) / (8030 + 1970) * 100 = 2470 / 10000 * 100
    "2021-c3": "80",  # 240 / 300 * 100
    "2021-c4": "93.3998",  # 7500 / 8030 * 100 = 93.399750…
    "2021-d1": "75",  # 90 / 120 * 100
    "common-industrial-intensity": "2.4",
    "common-household-collected": "0.803",
    "common-household-per-capita": "0.11",  # 8030 / 20 / 365 * 0.1 = 401.5 / 365 * 0.1
    "common-zero-waste-cells": "35",
    "common-green-building": "75",
    "common-prefab-building": "25",  # 30 / 120 * 100
    "common-express-green": "80",  # 4000 / 5000 * 100
    "common-industrial-utilisation": "80.9524",
    "common-hazardous-utilisation": "30",  # 60 / 200 * 100 (medical waste left out)
    "common-straw": "92",
    "common-manure": "75",
    "common-film": "85",
    "common-pesticide-packaging": "85",
    "common-agri-collection": "95",
    "common-construction-utilisation": "45",
    "common-household-recycling": "24.7",
    "common-kitchen-utilisation": "80",  # 320 / 400 * 100
    "common-express-recovery": "25",  # 150 / 600 * 100
    "common-renewable-recovered": "400",  # 100 + 200 + 50 + 25 + 15 + 10
    "common-community-sorting": "80",
    "common-rural-sorting": "75",  # 150 / 200 * 100
    "common-hazardous-safe-disposal": "75",  # 150 / 200 * 100
    "common-hazardous-landfill-reduction": "25",  # (40 - 30) / 40 * 100
    "common-medical-coverage": "98",  # 392 / 400 * 100
    "common-medical-manifest-coverage": "75",  # 3 / 4 * 100
    "common-medical-disposal": "96",  # 48 / 50 * 100
    "common-household-harmless": "93.3998",
    "common-sludge-harmless": "87.5",  # 700 / 800 * 100
    "common-sorting-participation": "75",  # 3 / 4 * 100
    "common-sorting-accuracy": "66.6667",  # 2 / 3 * 100 = 66.66666…
    "common-kitchen-separation": "41.6667",  # 5 / 12 * 100 = 41.66666…
    "common-public-satisfaction": "90",  # 9 / 2 * 20
    "common-public-participation": "70",  # 7 / 2 * 20
    "common-public-awareness": "70",
    "common-public-gain": "70",
    "common-public-confidence": "100",  # 10 / 2 * 20
}


def stored(code: str, adcode: str, year: int = YEAR) -> IndicatorValue:
    return IndicatorValue.objects.get(indicator__code=code, region=region(adcode), year=year)


def test_the_catalogue_is_loaded_with_its_marks():
    counts = {
        c: Indicator.objects.filter(catalogue=c).count() for c in ("2019-trial", "2021", "common")
    }
    assert counts == {"2019-trial": 7, "2021": 18, "common": 36}
    construction = Indicator.objects.get(code="2019-20")
    assert construction.mandatory == Mandatory.REQUIRED  # ★ in the source heading
    assert construction.confidence == Confidence.SECONDARY  # formula reconstructed
    assert construction.definition.startswith("建筑垃圾经分拣")  # the source's own wording
    assert construction.department is not None and construction.department.code == "housing"
    assert Indicator.objects.get(code="2019-17").mandatory == Mandatory.OPTIONAL
    assert Indicator.objects.get(code="2019-16").confidence == Confidence.VERIFIED
    assert Indicator.objects.get(code="2021-d2").confidence == Confidence.RECALLED
    assert not Indicator.objects.get(code="2021-c2").computable  # 折算系数 unknown
    assert Indicator.objects.get(code="common-straw").mandatory == Mandatory.OPTIONAL
    assert Indicator.objects.get(code="2021-a6").base_year == 2020
    assert "http://www.xjxbtdc.com/news/291565_5.html" in construction.source.splitlines()


def test_every_shipped_formula_parses_and_every_computable_one_is_checked_by_hand():
    rows = catalogue_rows()
    for row in rows:
        if row["computable"]:
            parse(row["formula"])
    computable = {row["code"] for row in rows if row["computable"]}
    assert computable == set(EXPECTED)


def test_catalogue_markers_are_read_as_documented():
    assert level("固体废物资源化利用 (inferred)") == ("固体废物资源化利用", True)
    assert level("保障能力 or 固体废物源头减量 (placement unknown)") == (
        "保障能力或固体废物源头减量（归属未定）",
        True,
    )
    assert level("固体废物源头减量") == ("固体废物源头减量", False)
    assert mandatory("必选 (★ in source heading)") == "required"
    assert mandatory("可选 (inferred: no ★ in heading)") == "optional"
    assert mandatory("unknown (likely 必选; unverified)") == "unknown"


def test_reloading_the_catalogue_keeps_a_deactivation():
    Indicator.objects.filter(code="2019-17").update(is_active=False, name="x")
    assert load_catalogue() == 61
    reloaded = Indicator.objects.get(code="2019-17")
    assert (reloaded.name, reloaded.is_active) == ("秸秆综合利用率", False)


def test_every_computable_indicator_matches_the_hand_computed_value():
    weidu_2021()
    count = recompute_values(YEAR)
    indicators = Indicator.objects.filter(is_active=True, computable=True).count()
    assert count == indicators * 8  # the city, six counties and the zone
    wrong = {}
    for code, expected in EXPECTED.items():
        value = stored(code, WEIDU)
        if value.status != ValueStatus.OK or value.value != Decimal(expected):
            wrong[code] = (value.value, value.status, value.message)
    assert wrong == {}


def test_the_city_adds_up_its_counties():
    weidu_2021()
    recompute_values(YEAR)
    # construction: (4500 + 500) / (10000 + 5000) * 100 = 33.3333…
    assert stored("2019-20", CITY).value == Decimal("33.3333")
    assert stored("2019-20", CHANGGE).value == Decimal("10")  # 500 / 5000 * 100
    assert stored("common-straw", CITY).value == Decimal("92")  # only 魏都区 declared


def test_missing_inputs_give_no_data_naming_the_measures():
    weidu_2021()
    recompute_values(YEAR)
    straw = stored("common-straw", CHANGGE)
    assert straw.status == ValueStatus.NO_DATA and straw.value is None
    assert straw.message == (
        "缺少数据：秸秆综合利用量（straw_utilised）、秸秆可收集资源量（straw_collectable）"
    )
    assert straw.inputs == {"straw_utilised": None, "straw_collectable": None}
    assert stored("common-straw", ZONE).status == ValueStatus.NO_DATA


def test_inputs_are_stored_as_text_with_base_year_references():
    weidu_2021()
    recompute_values(YEAR)
    value = stored("2021-a6", WEIDU)
    assert value.inputs == {
        "base(industrial_hazardous_landfilled)": "40",
        "industrial_hazardous_landfilled": "30",
    }


def test_a_missing_base_year_figure_is_no_data():
    flow(WEIDU, "hazardous", "landfilled", "30")
    recompute_values(YEAR)
    value = stored("2021-a6", WEIDU)
    assert value.status == ValueStatus.NO_DATA
    assert "基准年" in value.message


def test_recomputing_replaces_the_values_and_may_be_limited_to_regions():
    weidu_2021()
    first = recompute_values(YEAR)
    assert recompute_values(YEAR) == first
    assert IndicatorValue.objects.filter(year=YEAR).count() == first
    Indicator.objects.filter(code="common-straw").update(is_active=False)
    weidu = region(WEIDU).pk
    assert recompute_values(YEAR, [weidu]) == first // 8 - 1
    assert not IndicatorValue.objects.filter(indicator__code="common-straw", region=weidu).exists()
    assert IndicatorValue.objects.filter(indicator__code="common-straw").count() == 7


def test_a_broken_stored_formula_is_an_error_value_not_a_crash():
    Indicator.objects.filter(code="common-straw").update(formula="straw_utilised ** 2")
    recompute_values(YEAR)
    value = stored("common-straw", WEIDU)
    assert value.status == ValueStatus.ERROR
    assert value.message.startswith("公式中只能使用")
