"""The assessment engine: each measure on a hand-computed case, totals and ranks,
idempotency, and rules refused when their weight or parameters are bad."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from wufei.core.errors import Invalid, NotPermitted
from wufei.demo.assessment import assessment_generate
from wufei.plan import assessment
from wufei.plan.choices import MilestoneStatus, ProjectStage
from wufei.plan.models import Score, ScoringRule
from wufei.plan.tests import assessment_world
from wufei.plan.tests.assessment_world import DONE, at
from wufei.registry.models import Region
from wufei.stats.models import Indicator, IndicatorValue

pytestmark = pytest.mark.django_db
land = assessment_world.land  # the module-scoped fixture

Q2 = {"period_start": date(2020, 4, 1), "period_end": date(2020, 6, 30), "today": date(2020, 7, 10)}


def item(score: Score, rule: str) -> dict:
    return next(i for i in score.items if i["rule"] == rule)


def score_of(scores, unit) -> Score:
    return next(s for s in scores if s.unit_id == unit.pk)


def test_milestones_on_time_counts_only_what_fell_due(land):
    on_time = land.milestone(due_on=date(2020, 5, 31), status=DONE, done_on=date(2020, 5, 30))
    late = land.milestone(due_on=date(2020, 6, 15), status=DONE, done_on=date(2020, 6, 20))
    still_open = land.milestone(due_on=date(2020, 6, 30))
    land.milestone(due_on=date(2020, 7, 31))  # after the period
    land.milestone(due_on=date(2020, 3, 31))  # before it
    land.milestone(due_on=date(2020, 6, 1), status=MilestoneStatus.CANCELLED)
    scores = assessment.assess(**Q2)
    got = item(score_of(scores, land.ecology), "milestones-on-time")
    assert got["counts"] == {"due": 3, "on_time": 1, "late": 2}
    assert got["points"] == "10.00"  # 30 × 1/3
    assert {f["id"]: f["ok"] for f in got["facts"]} == {
        on_time.pk: True,
        late.pk: False,
        still_open.pk: False,
    }
    rule = ScoringRule.objects.get(code="milestones-on-time")
    assessment.scoring_rule_update(
        actor=land.city, rule=rule, weight="30", params={"grace_days": 5}, is_active=True
    )
    again = item(score_of(assessment.assess(**Q2), land.ecology), "milestones-on-time")
    assert again["points"] == "20.00"  # five days' grace: 2 of 3


def test_a_milestone_not_yet_due_on_today_is_not_judged(land):
    land.milestone(due_on=date(2020, 6, 30))
    scores = assessment.assess(
        period_start=date(2020, 4, 1), period_end=date(2020, 6, 30), today=date(2020, 6, 29)
    )
    got = item(score_of(scores, land.ecology), "milestones-on-time")
    assert got["applicable"] is False and got["points"] == "30.00"


def test_notices_answered_by_deadline_and_escalations_deduct(land):
    land.notice(deadline=date(2020, 5, 10), answered_at=at(date(2020, 5, 9)), status="answered")
    land.notice(deadline=date(2020, 5, 20), answered_at=at(date(2020, 5, 25)), status="answered")
    unanswered = land.notice(deadline=date(2020, 6, 10), status="escalated")
    land.notice(
        deadline=date(2020, 7, 20), parent=unanswered, level=2, issued_at=at(date(2020, 6, 12))
    )
    got = item(score_of(assessment.assess(**Q2), land.ecology), "notices-answered")
    assert got["counts"] == {"due": 3, "on_time": 1, "escalations": 1}
    assert got["deduction"] == "2.00"
    assert got["points"] == "4.67"  # 20 × 1/3 − 2


def test_reports_filed_monthly_by_the_fifth(land):
    open_one = land.milestone(due_on=date(2020, 12, 31))
    done_early = land.milestone(due_on=date(2020, 3, 31), status=DONE, done_on=date(2020, 3, 20))
    land.report(open_one, date(2020, 3, 1), date(2020, 4, 3))  # on time
    land.report(open_one, date(2020, 4, 1), date(2020, 5, 8))  # late
    land.report(open_one, date(2020, 5, 1), date(2020, 6, 1), status="returned")  # not counted
    land.report(done_early, date(2020, 3, 1), date(2020, 4, 1))  # on time; no April due
    got = item(score_of(assessment.assess(**Q2), land.ecology), "reports-filed")
    # March, April and May reports fall due in Q2 (5 April, 5 May, 5 June)
    assert got["counts"] == {"expected": 4, "on_time": 2, "missing_or_late": 2}
    assert got["points"] == "10.00"


def test_projects_on_schedule(land):
    land.project(
        planned_completion_on=date(2020, 6, 30),
        completed_on=date(2020, 6, 1),
        starts_on=date(2019, 6, 1),
        stage=ProjectStage.OPERATING,
    )
    land.project(planned_completion_on=date(2020, 5, 31), starts_on=date(2019, 6, 1))
    behind = land.project(
        starts_on=date(2020, 1, 1), planned_completion_on=date(2020, 12, 31), progress_pct=30
    )
    land.project(
        starts_on=date(2020, 1, 1), planned_completion_on=date(2020, 12, 31), progress_pct=45
    )
    land.project(
        starts_on=date(2020, 1, 1),
        planned_completion_on=date(2020, 6, 1),
        stage=ProjectStage.SUSPENDED,
    )
    land.project(
        starts_on=date(2019, 1, 1),
        planned_completion_on=date(2020, 3, 1),
        completed_on=date(2020, 3, 1),
    )  # done before the period
    land.project(starts_on=date(2020, 9, 1), planned_completion_on=date(2021, 6, 30))
    got = item(score_of(assessment.assess(**Q2), land.ecology), "projects-on-schedule")
    assert got["counts"] == {"projects": 4, "on_schedule": 2}
    assert got["points"] == "5.00"
    fact = next(f for f in got["facts"] if f["id"] == behind.pk)
    assert fact["note"] == "形象进度 30%，计划进度 50%"  # 181 of 365 days; 30 + 10 < 50


def _indicator(code: str, direction: str) -> Indicator:
    return Indicator.objects.create(
        code=code,
        catalogue="custom",
        level1="测试",
        name=code,
        unit="%",
        direction=direction,
        confidence="platform",
    )


def test_indicator_progress_weighted_by_milestone(land):
    city = Region.objects.get(adcode="411000")
    up, down = _indicator("t-up", "up"), _indicator("t-down", "down")
    IndicatorValue.objects.create(indicator=up, year=2020, region=city, value=60, status="ok")
    IndicatorValue.objects.create(indicator=down, year=2019, region=city, value=20, status="ok")
    land.milestone(indicator=up, target=Decimal(80), weight=1, due_on=date(2020, 12, 31))
    land.milestone(indicator=down, target=Decimal(10), weight=3, due_on=date(2020, 12, 31))
    got = item(score_of(assessment.assess(**Q2), land.ecology), "indicator-progress")
    # (0.75 × 1 + 0.5 × 3) / 4 = 0.5625 of 20 points
    assert got["share"] == "0.5625"
    assert got["points"] == "11.25"


def test_totals_ranks_and_nothing_to_assess_scores_full(land):
    land.milestone(due_on=date(2020, 5, 31))  # ecology: late
    scores = assessment.assess(**Q2)
    eco, urban, weidu = (score_of(scores, u) for u in (land.ecology, land.urban, land.weidu))
    assert urban.total == Decimal(100) and urban.rank == 1
    # the late milestone loses its 30 points, and its March–May reports, all missing, 20
    assert eco.total == Decimal(50) and eco.rank == 2
    assert weidu.rank == 1  # counties are ranked among counties
    assert len(scores) == 3


def test_assess_is_idempotent_and_recompute_replaces(land):
    m = land.milestone(due_on=date(2020, 5, 31))
    first = assessment.assess(**Q2)
    assessment.assess(**Q2)
    assert Score.objects.count() == len(first) == 3
    m.status, m.done_on = DONE, date(2020, 5, 1)
    m.save()
    assessment.assess(**Q2)
    assert Score.objects.count() == 3
    assert item(Score.objects.get(unit=land.ecology), "milestones-on-time")["points"] == "30.00"


def test_bad_rules_are_refused_and_nothing_is_written(land):
    rule = ScoringRule.objects.get(code="notices-answered")
    with pytest.raises(Invalid) as negative:
        assessment.scoring_rule_update(
            actor=land.city, rule=rule, weight="-5", params={}, is_active=True
        )
    assert negative.value.errors[0].code == "bad_weight"
    with pytest.raises(Invalid) as unknown:
        assessment.scoring_rule_update(
            actor=land.city, rule=rule, weight="20", params={"tolerance_pct": 5}, is_active=True
        )
    assert unknown.value.errors[0].code == "unknown_param"
    assert "tolerance_pct" in unknown.value.errors[0].message
    with pytest.raises(Invalid) as bad:
        assessment.scoring_rule_update(
            actor=land.city,
            rule=rule,
            weight="20",
            params='{"escalation_points": "x"}',
            is_active=True,
        )
    assert bad.value.errors[0].code == "bad_param"
    with pytest.raises(NotPermitted):
        assessment.scoring_rule_update(
            actor=land.county, rule=rule, weight="20", params={}, is_active=True
        )
    rule.refresh_from_db()
    assert rule.weight == Decimal(20) and rule.params == {
        "escalation_points": "2",
        "when_none": "full",
    }


def test_a_rule_broken_in_the_database_refuses_the_whole_run(land):
    ScoringRule.objects.filter(code="reports-filed").update(params={"due_day": 40})
    with pytest.raises(Invalid) as refused:
        assessment.assess(**Q2)
    assert refused.value.errors[0].code == "bad_param"
    assert Score.objects.count() == 0


def test_bad_periods_are_refused(land):
    with pytest.raises(Invalid) as reversed_:
        assessment.assess(
            period_start=date(2020, 6, 30), period_end=date(2020, 4, 1), today=date(2020, 7, 1)
        )
    assert reversed_.value.errors[0].code == "period_reversed"
    with pytest.raises(Invalid) as future:
        assessment.assess(
            period_start=date(2021, 1, 1), period_end=date(2021, 3, 31), today=date(2020, 7, 1)
        )
    assert future.value.errors[0].code == "period_in_future"


def test_quarters_cover_the_range():
    assert assessment.quarters(date(2020, 2, 15), date(2020, 7, 1)) == [
        (date(2020, 1, 1), date(2020, 3, 31)),
        (date(2020, 4, 1), date(2020, 6, 30)),
        (date(2020, 7, 1), date(2020, 9, 30)),
    ]


def test_the_commands_and_the_demo_generator_call_the_engines(land):
    land.milestone(due_on=date(2020, 5, 31))
    out = io.StringIO()
    call_command("assess", "--quarter", "2020Q2", "--today", "2020-07-10", stdout=out)
    assert "50.00 许昌市生态环境局" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("assess", "--start", "2020-06-30", "--end", "2020-04-01")
    call_command("credit", "--year", "2020", "--today", "2021-01-10", stdout=out)
    assert "parties" in out.getvalue()
    counts = assessment_generate(seed=1, today=date(2020, 7, 10))
    # the year 2020 and the quarters 2019Q4–2020Q3 (3 units each)
    assert counts["plan.Score"] == 5 * 3
    assert Score.objects.filter(period_start=date(2020, 4, 1)).count() == 3
