"""The public open-figures page: renders for anonymous visitors with the latest indicators,
this year's sorting per county, the operating facilities and the public links; fits a phone."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from wufei.registry.models import Facility, Region
from wufei.registry.tests.factories import FacilityFactory
from wufei.sorting.models import Community, Drop, Household
from wufei.sorting.rollup import rebuild
from wufei.stats.models import Indicator, IndicatorValue

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = {"width": 360, "height": 740}


PAGE = "/public/figures/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def region(adcode: str) -> Region:
    return Region.objects.defer("boundary").get(adcode=adcode)


def this_year_sorting() -> None:
    """魏都区: one compound, 4 households registered, 3 dropped this year (one checked wrong,
    two right: accuracy 66.7 %), kitchen 6 kg of 8 kg (75 %); 禹州市: one village, nobody
    registered."""
    today = timezone.localdate()
    compound = Community.objects.create(
        kind="compound", name="公开小区", region=region("411002001"), households_total=8
    )
    homes = [
        Household.objects.create(
            community=compound, code=f"T{n}", registered_on=dt.date(2020, 1, 1)
        )
        for n in range(4)
    ]
    when = dt.datetime.combine(today.replace(day=1, month=1), dt.time(9), tzinfo=SHANGHAI)
    for home, waste_class, kg, correct in [
        (homes[0], "kitchen", "3", True),
        (homes[1], "kitchen", "3", True),
        (homes[2], "other", "2", False),
    ]:
        Drop.objects.create(
            community=compound,
            household=home,
            household_code=home.code,
            source="guide",
            waste_class=waste_class,
            weight_kg=Decimal(kg),
            correct=correct,
            dropped_at=when,
        )
    town = Region.objects.filter(parent__adcode="411081").first()
    Community.objects.create(kind="village", name="公开村", region=town, households_total=30)
    rebuild()


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_anonymous_visitors_see_the_figures(client):
    this_year_sorting()
    city = region("411000")
    Indicator.objects.filter(code="common-straw").update(is_active=False)
    for code, year, value in [
        ("common-household-harmless", 2024, "99.5"),
        ("common-household-harmless", 2023, "90"),  # an older year is not shown
        ("common-sorting-participation", 2024, "75"),
        ("common-straw", 2024, "92"),  # inactive indicator
        ("2019-20", 2024, "45"),  # not among the public indicators
    ]:
        IndicatorValue.objects.create(
            indicator=Indicator.objects.get(code=code),
            region=city,
            year=year,
            value=Decimal(value),
            status="ok",
        )
    FacilityFactory(name="运行的焚烧厂", kind="incineration")
    FacilityFactory(name="停运的填埋场", kind="landfill", status="suspended")
    response = client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "许昌市“无废城市”建设公开数据" in page
    assert "主要指标（2024年）" in page
    assert '生活垃圾无害化处理率</div><div class="value">99.5' in page
    assert "居民小区生活垃圾分类参与率" in page
    assert "秸秆综合利用率" not in page and "建筑垃圾综合利用率" not in page
    table = page.split('data-testid="sorting-table"')[1].split("</table>")[0]
    # 魏都区: participation 3 / 4, accuracy 2 / 3, kitchen 6 / 8; 禹州市: no households
    assert "<td>魏都区</td><td>75.0%</td><td>66.7%</td><td>75.0%</td>" in table
    assert "<td>禹州市</td><td>—</td><td>—</td><td>—</td>" in table
    assert "居民参与率：" in page  # each rate with its definition
    operating = Facility.objects.filter(status="operating").count()
    assert f'data-testid="facility-count">{operating}<' in page
    assert 'href="/public/bulletins/"' in page


@pytest.mark.django_db
def test_an_empty_platform_still_renders(client):
    page = text(client.get(PAGE))
    assert "指标尚未计算" in page and "今年尚无分类投放数据" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_fits_a_phone(live_server, chromium, settings):
    from wufei.registry.tests.reference import ensure_reference_data

    ensure_reference_data()
    this_year_sorting()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
        page.goto(live_server.url + PAGE)
        assert "生活垃圾分类" in page.inner_text("[data-testid=open-figures]")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        browser.close()
