"""The officials' measures and assessment pages (test_measures.py's communities, March 2024)."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wufei.accounts.tests.factories import UserFactory
from wufei.registry.tests.factories import PartyFactory
from wufei.sorting.models import AssessmentScheme, CommunityScore
from wufei.sorting.rollup import rebuild
from wufei.sorting.tests.test_assessment import RULES
from wufei.sorting.tests.test_measures import build_jia, build_yi, region

pytestmark = pytest.mark.django_db


PAGE = "/sorting/measures/"
ASSESSMENT = "/sorting/measures/assessment/"


@pytest.fixture
def world():
    jia, yi = build_jia(), build_yi()
    rebuild()
    scheme = AssessmentScheme.objects.create(
        name="2024年以奖代补考核", year=2024, rules=RULES, award_per_point=100
    )
    return {"jia": jia, "yi": yi, "scheme": scheme}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_only_officials_see_the_pages(client, world):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    users = {
        "guide": UserFactory(role="guide", region=region("411002001")),
        "public": UserFactory(role="public"),
        "driver": UserFactory(role="driver", party=PartyFactory()),
    }
    for role, user in users.items():
        client.force_login(user)
        assert client.get(PAGE).status_code == 403, role
        assert client.get(ASSESSMENT).status_code == 403, role


def test_the_figures_of_a_county_with_definitions_trend_and_ranking(client, world):
    client.force_login(UserFactory(role="city"))
    response = client.get(PAGE, {"region": "411002", "kind": "month", "period": "2024-03"})
    assert response.status_code == 200
    page = text(response)
    assert "魏都区生活垃圾分类指标 · 2024年3月" in page
    # participation (2 + 2) / (4 + 2), with its definition and terms
    assert re.search(r'id="measure-participation_rate">.*?66\.67<span class="unit">%', page)
    assert "一户多次投放只计一户" in page and "投放户数：4；已登记户数：6" in page
    assert 'id="trend-data"' in page and "居民参与率" in page
    ranking = page.split('data-testid="ranking"')[1]
    assert ranking.index("乙小区") < ranking.index("甲小区")
    assert '<option value="2024-03" selected>2024年3月</option>' in page


def test_a_community_and_another_period_kind(client, world):
    client.force_login(UserFactory(role="city"))
    jia = world["jia"]
    page = text(client.get(PAGE, {"community": jia.pk, "kind": "week", "period": "2024-03"}))
    # a month's key seen as weeks: the week holding March 1st (2024-W09)
    assert "甲小区生活垃圾分类指标 · 2024年第9周（2月26日—3月3日）" in page
    assert 'data-testid="ranking"' not in page  # one community: no ranking
    page = text(client.get(PAGE, {"community": jia.pk, "period": "2024-03"}))
    assert re.search(r'id="measure-registration_rate">.*?40\.00<span class="unit">%', page)
    today = timezone.localdate()
    fallback = text(client.get(PAGE, {"period": "not-a-period"}))  # the current month instead
    assert f"生活垃圾分类指标 · {today.year}年{today.month}月" in fallback


def test_a_county_official_stays_in_the_county(client, world):
    client.force_login(UserFactory(role="county", region=region("411081")))
    assert client.get(PAGE, {"region": "411002"}).status_code == 404
    assert client.get(PAGE, {"community": world["jia"].pk}).status_code == 404
    page = text(client.get(PAGE))
    assert "禹州市生活垃圾分类指标" in page and "魏都区" not in page


def test_the_assessment_is_computed_shown_and_downloaded(client, world):
    client.force_login(UserFactory(role="city"))
    query = {
        "scheme": world["scheme"].pk,
        "start": "2024-03-01",
        "end": "2024-03-31",
        "region": "411000",
    }
    page = text(client.get(ASSESSMENT, query))
    assert "该考核期尚未计算得分" in page and "居民参与率（%）" in page
    response = client.post(ASSESSMENT, query)
    assert response.status_code == 302
    assert CommunityScore.objects.count() == 2
    page = text(client.get(response["Location"]))
    assert "已完成2个小区（村）的考核计分" in page
    scores = page.split('data-testid="scores"')[1]
    assert scores.index("乙小区") < scores.index("甲小区") and "9000.00" in scores
    download = client.get(ASSESSMENT, {**query, "format": "xlsx"})
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(download.content))
    rows = list(book["考核结果"].iter_rows(values_only=True))
    assert [r[3] for r in rows[3:5]] == ["乙小区", "甲小区"]


def test_a_reversed_period_is_refused_on_the_page(client, world):
    client.force_login(UserFactory(role="city"))
    query = {"scheme": world["scheme"].pk, "start": "2024-03-31", "end": "2024-03-01"}
    response = client.post(ASSESSMENT, {**query, "region": "411000"})
    assert response.status_code == 200
    assert "截止日期不能早于起始日期" in text(response)
    assert CommunityScore.objects.count() == 0
