"""The satisfaction survey: validation codes per field, one answer per client and quarter, the
results arithmetic against hand-computed figures, and ``year_values`` for the indicator engine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from wufei.core.errors import Invalid
from wufei.outreach import selectors, services, survey
from wufei.outreach.models import SurveyResponse
from wufei.outreach.tests.conftest import Town, new_key

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_THREE = dict.fromkeys(services.DIMENSIONS, 3)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def answer(region, scores=None, *, key=None, when=None, comment=""):
    return services.survey_submit(
        region=region,
        scores=scores if scores is not None else ALL_THREE,
        comment=comment,
        client_key=key or new_key(),
        now=when or at(2020, 5, 10, 9),
    )


def codes(exc: Invalid) -> dict[str | None, str]:
    return {e.field: e.code for e in exc.errors}


def scores(a, p, s, g, c) -> dict:
    return dict(zip(services.DIMENSIONS, (a, p, s, g, c), strict=True))


def test_every_field_has_its_code(town: Town):
    bad = {"awareness": 0, "participation": 6, "satisfaction": "x", "gain": None}
    with pytest.raises(Invalid) as exc:
        answer(town.street, bad, comment="很" * 301)  # a street, not a county
    assert codes(exc.value) == {
        "region": "region_invalid",
        "awareness": "out_of_range",
        "participation": "out_of_range",
        "satisfaction": "out_of_range",
        "gain": "required",
        "confidence": "required",
        "comment": "too_long",
    }
    with pytest.raises(Invalid) as exc:
        answer(None)
    assert codes(exc.value) == {"region": "region_invalid"}
    assert not SurveyResponse.objects.exists()
    saved = answer(town.weidu, scores(1, 2, 3, 4, "5"), comment="好" * 300)
    assert (saved.awareness, saved.confidence, len(saved.comment)) == (1, 5, 300)


def test_one_answer_per_client_and_quarter(town: Town):
    answer(town.weidu, key="k", when=at(2020, 3, 31, 23, 30))  # Q1, late evening
    with pytest.raises(Invalid) as exc:
        answer(town.yuzhou, key="k", when=at(2020, 1, 1, 0, 0))
    assert codes(exc.value) == {None: "already_answered"}
    answer(town.weidu, key="k", when=at(2020, 4, 1, 0, 10))  # Q2 in Xuchang (still 31 March UTC)
    answer(town.weidu, key="other", when=at(2020, 3, 31, 12))
    assert SurveyResponse.objects.count() == 3
    assert services.has_answered(client_key="k", now=at(2020, 6, 30, 23, 59))
    assert not services.has_answered(client_key="k", now=at(2020, 7, 1, 0, 0))


def test_quarter_bounds_are_local():
    start, end = services.quarter_bounds(at(2020, 12, 31, 23, 59))
    assert (start, end) == (at(2020, 10, 1), at(2021, 1, 1))
    assert survey.period_bounds(2020, 2) == (at(2020, 4, 1), at(2020, 7, 1))
    assert survey.period_bounds(2020) == (at(2020, 1, 1), at(2021, 1, 1))


@pytest.fixture
def answered(town: Town):
    """魏都区: three answers in Q2 2020, 禹州市: one; and answers outside Q2."""
    answer(town.weidu, scores(5, 4, 4, 5, 5), when=at(2020, 4, 1, 0, 0))
    answer(town.weidu, scores(4, 2, 5, 4, 3), when=at(2020, 5, 20, 12), comment="希望多设回收点")
    answer(town.weidu, scores(2, 1, 3, 3, 4), when=at(2020, 6, 30, 23, 59))
    answer(town.yuzhou, scores(3, 3, 3, 3, 3), when=at(2020, 6, 1))
    answer(town.weidu, scores(1, 1, 1, 1, 1), when=at(2020, 3, 31, 23, 59))  # Q1
    answer(town.yuzhou, scores(5, 5, 5, 5, 5), when=at(2020, 7, 1, 0, 0))  # Q3
    answer(town.weidu, scores(5, 5, 5, 5, 5), when=at(2019, 12, 31, 23, 0))  # 2019
    return town


def test_results_for_a_quarter_by_hand(answered: Town):
    start, end = survey.period_bounds(2020, 2)
    rows = {r.name: r for r in survey.results(start=start, end=end)}
    weidu, yuzhou, city = rows["魏都区"], rows["禹州市"], rows["全市"]
    assert (weidu.responses, yuzhou.responses, city.responses) == (3, 1, 4)
    assert rows["长葛市"].responses == 0 and rows["长葛市"].overall_index is None
    # 魏都区 awareness: 5 + 4 + 2 = 11 → mean 3.67, index 11 × 20 / 3 = 73.3; 4-5: two of three
    a = weidu.dimension("awareness")
    assert (a.total, a.mean, a.index, a.satisfied, a.share) == (
        11,
        Decimal("3.67"),
        Decimal("73.3"),
        2,
        Decimal("66.7"),
    )
    # participation: 4 + 2 + 1 = 7 → 2.33, 46.7, one of three satisfied → 33.3 %
    p = weidu.dimension("participation")
    assert (p.mean, p.index, p.share) == (Decimal("2.33"), Decimal("46.7"), Decimal("33.3"))
    # overall: the 15 scores, 11 + 7 + 12 + 12 + 12 = 54 → 54 × 20 / 15 = 72.0
    assert weidu.overall_index == Decimal("72.0")
    assert yuzhou.dimension("gain").index == Decimal("60.0")
    assert yuzhou.dimension("gain").share == Decimal("0.0")
    # the city counts the four answers: awareness 5 + 4 + 2 + 3 = 14 → 3.50, 70.0, 2 of 4 → 50 %
    c = city.dimension("awareness")
    assert (c.total, c.mean, c.index, c.share) == (
        14,
        Decimal("3.50"),
        Decimal("70.0"),
        Decimal("50.0"),
    )
    # satisfaction: 4 + 5 + 3 + 3 = 15 → 75.0; 4-5: two → 50.0
    assert city.dimension("satisfaction").index == Decimal("75.0")
    assert city.overall_index == Decimal("69.0")  # (54 + 15) × 20 / (4 answers × 5)


def test_year_values_feed_the_indicator_engine(answered: Town):
    values = survey.year_values(2020)
    weidu, yuzhou = answered.weidu.pk, answered.yuzhou.pk
    assert set(values) == {
        ("survey_responses", weidu),
        ("survey_responses", yuzhou),
        *((f"survey_{d}_sum", weidu) for d in services.DIMENSIONS),
        *((f"survey_{d}_sum", yuzhou) for d in services.DIMENSIONS),
    }
    assert values[("survey_responses", weidu)] == Decimal(4)  # Q1 and Q2, not 2019
    assert values[("survey_awareness_sum", weidu)] == Decimal(5 + 4 + 2 + 1)
    assert values[("survey_responses", yuzhou)] == Decimal(2)
    assert values[("survey_confidence_sum", yuzhou)] == Decimal(3 + 5)
    assert all(isinstance(v, Decimal) for v in values.values())
    assert survey.year_values(2019) == {
        ("survey_responses", weidu): Decimal(1),
        **{(f"survey_{d}_sum", weidu): Decimal(5) for d in services.DIMENSIONS},
    }
    assert survey.year_values(2018) == {}


def test_officials_see_their_scope(answered: Town):
    users = answered.users
    city_rows = selectors.survey_results(actor=users["city"], year=2020, quarter=2)
    assert [r.name for r in city_rows][-1] == "全市" and len(city_rows) == 8
    county_rows = selectors.survey_results(actor=users["county"], year=2020, quarter=2)
    assert [(r.name, r.responses) for r in county_rows] == [("魏都区", 3)]
    assert selectors.survey_results(actor=users["factory"], year=2020, quarter=2)[-1].responses == 0
    assert list(selectors.survey_comments(actor=users["county_yuzhou"], year=2020)) == []
    mine = selectors.survey_comments(actor=users["county"], year=2020, quarter=2)
    assert [r.comment for r in mine] == ["希望多设回收点"]
    assert list(selectors.survey_comments(actor=users["county"], year=2020, quarter=3)) == []
