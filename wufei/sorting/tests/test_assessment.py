"""The 以奖代补 assessment: scoring by the rules (a case computed by hand), ranks, awards, the
workbook, the rights and the refusals.

Default rules: participation 40 (full at 90 %, zero at 50 %), accuracy 30 (90, 60), 分出率 20
(25 %, 5 %), stations' inspection score 10 (95, 60); pass score 60, 100 yuan a point.
March 2024 (test_measures.py's communities):

    甲小区  participation 50 → 0; accuracy 75 → 30 × 15/30 = 15; 分出率 51.06 → 20;
           inspections 87.5 → 10 × 27.5/35 = 7.857… → 7.86;  total 42.86 → 42.9, no award
    乙小区  participation 100 → 40; accuracy 100 → 30; 分出率 50 → 20; no inspection → 0;
           total 90.0, award 90 × 100 = 9000.00
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import Invalid, NotPermitted
from wufei.core.models import ChangeLog
from wufei.sorting.assessment import Rule, assess, rules_of, score_list, workbook
from wufei.sorting.models import AssessmentScheme, Community, CommunityScore
from wufei.sorting.rollup import rebuild
from wufei.sorting.tests.test_measures import build_jia, build_yi, region

pytestmark = pytest.mark.django_db

MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
RULES = [
    {"measure": "participation_rate", "weight": 40, "full_at": 90, "zero_at": 50},
    {"measure": "accuracy_rate", "weight": 30, "full_at": 90, "zero_at": 60},
    {"measure": "kitchen_separation_rate", "weight": 20, "full_at": 25, "zero_at": 5},
    {"measure": "station_check_score", "weight": 10, "full_at": 95, "zero_at": 60},
]


@pytest.fixture
def scheme() -> AssessmentScheme:
    return AssessmentScheme.objects.create(
        name="2024年生活垃圾分类以奖代补考核",
        year=2024,
        rules=RULES,
        award_per_point=Decimal("100"),
        pass_score=Decimal("60"),
    )


@pytest.fixture
def communities():
    jia, yi = build_jia(), build_yi()
    rebuild()
    return jia, yi


def test_scores_by_the_rules_computed_by_hand(scheme, communities):
    jia, yi = communities
    rows = assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    got = {r.community.name: (r.score, r.rank, r.award_yuan) for r in rows}
    assert got == {
        "乙小区": (Decimal("90.0"), 1, Decimal("9000.00")),
        "甲小区": (Decimal("42.9"), 2, Decimal("0.00")),
    }
    jia_score = CommunityScore.objects.get(community=jia)
    points = {
        line["measure"]: (line["value"], line["points"]) for line in jia_score.breakdown["measures"]
    }
    assert points == {
        "participation_rate": ("50.00", "0.00"),
        "accuracy_rate": ("75.00", "15.00"),
        "kitchen_separation_rate": ("51.06", "20.00"),
        "station_check_score": ("87.5", "7.86"),
    }
    assert (jia_score.breakdown["households_total"], jia_score.breakdown["registered"]) == (10, 4)
    yi_lines = CommunityScore.objects.get(community=yi).breakdown["measures"]
    assert yi_lines[3] == {
        "measure": "station_check_score",
        "value": None,  # no inspection: no data, no points
        "points": "0.00",
        "weight": "10",
        "full_at": "95",
        "zero_at": "60",
    }
    assert ChangeLog.objects.filter(action="assess", object_id=str(scheme.pk)).count() == 1


def test_a_rule_interpolates_and_may_run_downwards():
    rule = Rule("accuracy_rate", Decimal(30), Decimal(90), Decimal(60))
    assert [rule.points(Decimal(v)) for v in ("59", "60", "70", "90", "99")] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("10.00"),
        Decimal("30.00"),
        Decimal("30.00"),
    ]
    assert rule.points(None) == 0
    less_is_better = Rule("station_check_score", Decimal(10), Decimal(0), Decimal(40))
    assert less_is_better.points(Decimal(10)) == Decimal("7.50")  # (10 - 40) / (0 - 40) × 10


def test_equal_scores_share_a_rank_and_recomputing_replaces_the_rows(scheme, communities):
    Community.objects.create(kind="village", name="丙村", region=region("411002001"))
    Community.objects.create(kind="village", name="丁村", region=region("411002001"))
    rows = assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    assert [(r.community.name, r.rank) for r in rows][2:] == [("丙村", 3), ("丁村", 3)]
    assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    assert CommunityScore.objects.count() == 4
    assess(actor=None, scheme=scheme, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 15))
    assert CommunityScore.objects.count() == 8  # another period keeps its own rows


def test_the_workbook_has_the_title_period_rows_and_rules(scheme, communities):
    assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    city = UserFactory(role="city")
    scores = list(score_list(actor=city, scheme=scheme, start=MARCH[0], end=MARCH[1]))
    assert score_list(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1]).count() == 0
    content = workbook(
        scheme=scheme, start=MARCH[0], end=MARCH[1], scores=scores, region=region("411000")
    )
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["考核结果", "评分规则"]
    sheet = book["考核结果"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "许昌市2024年生活垃圾分类以奖代补考核考核结果"
    assert rows[1][0].startswith("考核期：2024年3月1日至2024年3月31日")
    assert rows[2][:6] == [
        "序号",
        "县（市、区）",
        "街道（乡镇）",
        "小区（村）",
        "常住户数",
        "登记户数",
    ]
    assert rows[2][6:8] == ["居民参与率（%）", "居民参与率得分"]
    assert rows[2][-3:] == ["总分", "排名", "奖补金额（元）"]
    assert rows[3] == [
        1,
        "魏都区",
        "西大街道",
        "乙小区",
        5,
        2,
        100,
        40,
        100,
        30,
        50,
        20,
        None,
        0,
        90,
        1,
        9000,
    ]
    assert rows[4][:4] == [2, "魏都区", "西大街道", "甲小区"]
    assert rows[4][-3:] == [42.9, 2, 0]
    assert rows[5][0] == "合计" and rows[5][-1] == 9000
    rules = [list(r) for r in book["评分规则"].iter_rows(values_only=True)]
    assert [r[1] for r in rules[2:6]] == [r["measure"] for r in RULES]
    assert rules[2][2:5] == [40, 90, 50]


def test_a_county_official_assesses_the_county_and_sees_its_scores(scheme, communities):
    weidu = UserFactory(role="county", region=region("411002"))
    yuzhou = UserFactory(role="county", region=region("411081"))
    rows = assess(actor=weidu, scheme=scheme, start=MARCH[0], end=MARCH[1], region=region("411002"))
    assert len(rows) == 2
    with pytest.raises(NotPermitted):
        assess(actor=yuzhou, scheme=scheme, start=MARCH[0], end=MARCH[1], region=region("411002"))
    with pytest.raises(NotPermitted):
        assess(actor=yuzhou, scheme=scheme, start=MARCH[0], end=MARCH[1])  # the city
    assert score_list(actor=yuzhou, scheme=scheme, start=MARCH[0], end=MARCH[1]).count() == 0
    assert score_list(actor=weidu, scheme=scheme, start=MARCH[0], end=MARCH[1]).count() == 2
    guide = UserFactory(role="guide", region=region("411002001"))
    with pytest.raises(NotPermitted):
        assess(actor=guide, scheme=scheme, start=MARCH[0], end=MARCH[1], region=region("411002001"))


def test_bad_rules_and_periods_are_refused_before_anything_is_written(scheme, communities):
    scheme.rules = [
        {"measure": "happiness", "weight": 10, "full_at": 1, "zero_at": 0},
        {"measure": "accuracy_rate", "weight": 0, "full_at": 1, "zero_at": 0},
    ]
    with pytest.raises(Invalid) as refused:
        assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    assert [e.code for e in refused.value.errors] == ["unknown_measure", "invalid_rule"]
    assert {e.field for e in refused.value.errors} == {"rules"}
    scheme.rules = RULES
    with pytest.raises(Invalid) as reversed_period:
        assess(actor=None, scheme=scheme, start=MARCH[1], end=MARCH[0])
    assert reversed_period.value.errors[0].code == "period_reversed"
    scheme.is_active = False
    with pytest.raises(Invalid) as inactive:
        assess(actor=None, scheme=scheme, start=MARCH[0], end=MARCH[1])
    assert inactive.value.errors[0].code == "scheme_inactive"
    assert CommunityScore.objects.count() == 0
    assert len(rules_of(AssessmentScheme(rules=RULES))) == 4
