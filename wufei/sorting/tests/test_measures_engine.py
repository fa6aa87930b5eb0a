"""The sorting and survey measures in the indicator engine, the indicators they feed, and the
bulletins' sorting section — with test_measures.py's communities (2024: 甲小区 and 乙小区 in
西大街道, 魏都区; registered 5 + 2 = 7, all 7 dropped; checked 5, correct 4; kitchen 9.5 kg of
17.25 kg; recyclables 3 kg)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from wufei.outreach.models import SurveyResponse
from wufei.plan.bulletins import section_data
from wufei.sorting.models import CommunityDay
from wufei.sorting.rollup import rebuild
from wufei.sorting.tests.test_measures import build_jia, build_yi, region
from wufei.stats.indicators import recompute_values
from wufei.stats.measures import MEASURES, evaluate_year, records_links
from wufei.stats.models import IndicatorValue

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 4, 5, 9, tzinfo=SHANGHAI)
SORTING_CODES = [
    "sorting_households_total",
    "sorting_households_registered",
    "sorting_households_participating",
    "sorting_drops_checked",
    "sorting_drops_correct",
    "sorting_kitchen_kg",
    "sorting_recyclable_kg",
    "sorting_total_kg",
]


@pytest.fixture
def communities():
    build_jia(), build_yi()
    rebuild()


def answer(adcode: str, scores: tuple[int, int, int, int, int], when: str) -> SurveyResponse:
    dimensions = ("awareness", "participation", "satisfaction", "gain", "confidence")
    return SurveyResponse.objects.create(
        region=region(adcode),
        client_key="test",
        submitted_at=dt.datetime.fromisoformat(when).replace(tzinfo=SHANGHAI),
        **dict(zip(dimensions, scores, strict=True)),
    )


def test_sorting_measures_add_up_from_the_town_to_the_city(communities):
    figures = evaluate_year(2024, SORTING_CODES)
    expected = {
        "sorting_households_total": Decimal(15),
        "sorting_households_registered": Decimal(7),
        "sorting_households_participating": Decimal(7),
        "sorting_drops_checked": Decimal(5),
        "sorting_drops_correct": Decimal(4),
        "sorting_kitchen_kg": Decimal("9.5"),
        "sorting_recyclable_kg": Decimal(3),
        "sorting_total_kg": Decimal("17.25"),
    }
    for adcode in ("411002001", "411002", "411000"):
        got = {code: figures.get(code, region(adcode).pk) for code in SORTING_CODES}
        assert got == expected, adcode
    assert figures.get("sorting_total_kg", region("411081").pk) is None  # no communities
    assert figures.sources_of("sorting_total_kg", region("411002").pk) == {"sorting"}
    assert MEASURES["sorting_households_participating"].describe().startswith("年末前已登记")


def test_the_sorting_and_survey_indicators_are_computed(communities):
    answer("411002", (4, 3, 5, 4, 5), "2024-06-01 10:00")
    answer("411002", (3, 4, 4, 3, 5), "2024-06-02 10:00")
    answer("411081", (1, 1, 1, 1, 1), "2024-06-02 10:00")
    answer("411002", (5, 5, 5, 5, 5), "2023-12-31 23:59")  # another year (local time)
    recompute_values(2024)

    def value(code: str, adcode: str) -> Decimal | None:
        row = IndicatorValue.objects.get(indicator__code=code, region=region(adcode), year=2024)
        return row.value

    assert value("common-sorting-participation", "411002") == Decimal(100)  # 7 / 7
    assert value("common-sorting-accuracy", "411002") == Decimal(80)  # 4 / 5
    assert value("common-kitchen-separation", "411002") == Decimal("55.0725")  # 9.5 / 17.25
    assert value("common-kitchen-separation", "411000") == Decimal("55.0725")
    assert value("common-sorting-accuracy", "411081") is None  # no data in 禹州市
    assert value("common-public-satisfaction", "411002") == Decimal(90)  # (5 + 4) / 2 × 20
    assert value("common-public-awareness", "411002") == Decimal(70)  # (4 + 3) / 2 × 20
    assert value("common-public-confidence", "411002") == Decimal(100)
    assert value("common-public-satisfaction", "411081") == Decimal(20)
    # the city counts every answer: (5 + 4 + 1) / 3 × 20
    assert value("common-public-satisfaction", "411000") == Decimal("66.6667")


def test_the_lineage_of_a_sorting_measure_is_the_figures_page(communities):
    links = records_links(MEASURES["sorting_total_kg"], 2024, region("411002"), {"sorting"})
    assert links == [
        {"label": "生活垃圾分类指标", "url": "/sorting/measures/?region=411002&period=2024"}
    ]
    links = records_links(MEASURES["survey_responses"], 2024, region("411002"), set())
    assert links == [{"label": "满意度调查结果", "url": "/outreach/survey/?year=2024&quarter="}]


def test_the_bulletin_section_reports_each_county(communities):
    march = section_data(
        "sorting",
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 3, 31),
        region=region("411000"),
        now=NOW,
    )
    assert not march["empty"]
    assert march["columns"][:3] == ["区域", "登记住户（户）", "参与率"]
    # March: registered 4 + 2, participating 2 + 2, checked 4 + 1 (3 + 1 correct),
    # kitchen 6 + 2 kg of 11.75 + 4 kg, recyclables 3 kg
    assert march["rows"] == [
        ["魏都区", "6", "66.7%", "80.0%", "50.8%", "0.003"],
        ["合计", "6", "66.7%", "80.0%", "50.8%", "0.003"],
    ]
    assert "许昌市2个小区（村）开展生活垃圾分类，登记住户6户，居民参与率66.7%" in march["summary"]
    county = section_data(
        "sorting",
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 3, 31),
        region=region("411002"),
        now=NOW,
    )
    assert county["rows"][0][:2] == ["西大街道", "6"]  # a county's bulletin: per street


def test_the_bulletin_section_rebuilds_a_stale_rollup_and_says_when_there_is_nothing(communities):
    CommunityDay.objects.all().delete()
    march = section_data(
        "sorting",
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 3, 31),
        region=region("411000"),
        now=NOW,
    )
    assert march["rows"][-1][1:] == ["6", "66.7%", "80.0%", "50.8%", "0.003"]
    january = section_data(
        "sorting",
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 1, 31),
        region=region("411000"),
        now=NOW,
    )
    assert january["empty"] and january["summary"] == "暂无数据" and january["rows"] == []
    yuzhou = section_data(
        "sorting",
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 3, 31),
        region=region("411081"),
        now=NOW,
    )
    assert yuzhou["empty"]
