"""Enterprise environmental credit: each counter on a hand-computed record, caps, the colour
levels and black, idempotency, and bad rules and years refused."""

from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from wufei.alerts.services import Subject, alert_raise
from wufei.cases.models import (
    Checklist,
    DumpSite,
    Finding,
    Inspection,
    RectificationOrder,
    Reinspection,
)
from wufei.core.errors import Invalid, NotPermitted
from wufei.plan import credit
from wufei.plan.models import CreditRule, CreditScore
from wufei.plan.tests import assessment_world
from wufei.plan.tests.assessment_world import at
from wufei.registry.models import Region
from wufei.registry.tests.factories import PartyFactory, SiteFactory
from wufei.stats.models import Declaration

pytestmark = pytest.mark.django_db
land = assessment_world.land
TODAY = date(2021, 1, 10)
ORDER_NUMBERS = count(1)


def evaluate(party, year=2020) -> CreditScore:
    (score,) = credit.credit_evaluate(year=year, today=TODAY, parties=[party])
    return score


def item(score: CreditScore, rule: str) -> dict:
    return next(i for i in score.items if i["rule"] == rule)


def alert(party, rule: str, day: date, severity: str = "warning", n: int = 1) -> None:
    for i in range(n):
        alert_raise(
            rule=rule,
            subject=Subject("manifest", f"{party.pk}-{rule}-{day}-{i}", "联单"),
            message="测试",
            party_id=party.pk,
            severity=severity,
            at=at(day),
        )


def test_a_clean_record_is_green_with_no_items(land):
    score = evaluate(PartyFactory())
    assert score.score == Decimal(100) and score.level == "green" and score.items == []


def test_alerts_per_rule_and_severity_with_caps(land):
    party = PartyFactory()
    alert(party, "pickup_overdue", date(2020, 3, 1), n=11)  # 11 × −2 = −22, capped at −20
    alert(party, "weight_gap", date(2020, 4, 1))  # −3
    alert(party, "route_deviation", date(2020, 5, 1), severity="critical")  # −3
    alert(party, "bin_full", date(2020, 6, 1))  # −1
    alert(party, "weight_gap", date(2019, 12, 31))  # another year
    score = evaluate(party)
    late = item(score, "manifest-late")
    assert (late["count"], late["effect"], late["capped"]) == (11, "-20.00", True)
    assert item(score, "weight-gap")["count"] == 1
    assert item(score, "alerts-critical")["count"] == 1
    assert item(score, "alerts-warning")["count"] == 1  # weight_gap is not counted twice
    assert score.score == Decimal(73) and score.level == "yellow"


def _inspection(party, day: date, *, dump_site=None) -> Inspection:
    checklist, _ = Checklist.objects.get_or_create(
        kind="hazardous", version="t", defaults={"name": "危险废物规范化检查表"}
    )
    return Inspection.objects.create(
        checklist=checklist,
        site=None if dump_site else SiteFactory(party=party),
        dump_site=dump_site,
        party=party,
        region=party.region,
        inspected_on=day,
        inspectors="张三、李四",
        status="submitted",
    )


def _order(finding, party, *, deadline: date, reported: date | None = None):
    return RectificationOrder.objects.create(
        number=f"ZG-{next(ORDER_NUMBERS):04d}",
        finding=finding,
        party=party,
        region=party.region,
        requirement="限期整改",
        issued_on=date(2020, 3, 1),
        deadline=deadline,
        reported_at=at(reported) if reported else None,
        status="reported" if reported else "open",
    )


def test_findings_and_rectification_orders(land):
    party = PartyFactory()
    visit = _inspection(party, date(2020, 3, 1))
    minor = [
        Finding.objects.create(inspection=visit, description=f"标识不全{i}", severity="minor")
        for i in range(2)
    ]
    serious = Finding.objects.create(
        inspection=visit, description="贮存场所渗漏", severity="serious"
    )
    draft = _inspection(party, date(2020, 3, 2))
    draft.status = "draft"
    draft.save()
    Finding.objects.create(inspection=draft, description="未提交的检查", severity="serious")
    _order(minor[0], party, deadline=date(2020, 4, 1))  # never reported: overdue
    _order(minor[1], party, deadline=date(2020, 4, 1), reported=date(2020, 4, 5))  # late
    on_time = _order(serious, party, deadline=date(2020, 4, 1), reported=date(2020, 3, 30))
    Reinspection.objects.create(
        order=on_time, inspected_on=date(2020, 4, 10), inspectors="张三", passed=False
    )
    score = evaluate(party)
    assert item(score, "findings-minor")["count"] == 2
    assert item(score, "findings-serious")["count"] == 1
    assert item(score, "orders-overdue")["count"] == 2
    assert item(score, "orders-failed")["count"] == 1
    # 100 − 2 − 8 − 2 × 4 − 4
    assert score.score == Decimal(78) and score.level == "yellow"


def test_dumping_confirmed_at_a_landfill_is_black_whatever_the_points(land):
    party = PartyFactory()
    site = DumpSite.objects.create(
        kind="informal_landfill",
        name="东郊非正规垃圾堆放点",
        region=Region.objects.get(adcode="411002"),
        party=party,
        found_on=date(2020, 2, 1),
    )
    visit = _inspection(party, date(2020, 5, 1), dump_site=site)
    visit.party = None  # the site's responsible party answers for it
    visit.save()
    Finding.objects.create(inspection=visit, description="倾倒建筑垃圾", severity="serious")
    score = evaluate(party)
    assert item(score, "illegal-dumping")["black"] is True
    assert score.score == Decimal(80)  # −20; the finding was not of the party's inspection
    assert score.level == "black"


def _declaration(party, kind: str, year: int, submitted: date | None):
    return Declaration.objects.create(
        kind=kind,
        party=party,
        region=party.region,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        status="submitted" if submitted else "draft",
        submitted_at=at(submitted) if submitted else None,
    )


def test_declarations_late_and_missing(land):
    party = PartyFactory()
    _declaration(party, "industrial", 2018, date(2019, 3, 1))
    _declaration(party, "industrial", 2019, date(2020, 4, 15))  # after 31 March: late
    _declaration(party, "hazardous", 2018, date(2019, 3, 1))
    _declaration(party, "hazardous", 2019, None)  # a draft never submitted: missing
    newcomer = PartyFactory()  # never declared: owes nothing known
    score = evaluate(party)
    assert item(score, "declaration-late")["count"] == 1
    assert item(score, "declaration-missing")["count"] == 1
    assert score.score == Decimal(93) and score.level == "green"
    assert evaluate(newcomer).items == []
    early = credit.credit_evaluate(year=2020, today=date(2020, 3, 31), parties=[party])[0]
    assert early.items == []  # not yet due


@pytest.mark.parametrize(
    ("points", "level"),
    [("90", "green"), ("89.99", "blue"), ("80", "blue"), ("60", "yellow"), ("59.99", "red")],
)
def test_levels_follow_the_thresholds(points, level):
    assert credit.SCHEME.level_of(Decimal(points), blacklisted=False) == level
    assert credit.SCHEME.level_of(Decimal(points), blacklisted=True) == "black"


def test_evaluation_is_idempotent(land):
    party = PartyFactory()
    alert(party, "weight_gap", date(2020, 4, 1))
    evaluate(party)
    evaluate(party)
    assert CreditScore.objects.filter(party=party, year=2020).count() == 1
    assert CreditScore.objects.get(party=party, year=2020).score == Decimal(97)


def test_bad_rules_and_years_are_refused(land):
    rule = CreditRule.objects.get(code="weight-gap")
    with pytest.raises(Invalid) as bad:
        credit.credit_rule_update(
            actor=land.city, rule=rule, points="abc", cap="-1", params=rule.params, is_active=True
        )
    assert [e.code for e in bad.value.errors] == ["bad_points", "bad_cap"]
    with pytest.raises(Invalid) as unknown:
        credit.credit_rule_update(
            actor=land.city,
            rule=rule,
            points="-3",
            cap="15",
            params={"counter": "alerts", "colour": "red"},
            is_active=True,
        )
    assert unknown.value.errors[0].code == "unknown_param"
    with pytest.raises(Invalid) as counter:
        credit.credit_rule_update(
            actor=land.city, rule=rule, points="-3", cap="15", params={}, is_active=True
        )
    assert counter.value.errors[0].code == "unknown_counter"
    with pytest.raises(Invalid) as severity:
        credit.credit_rule_update(
            actor=land.city,
            rule=rule,
            points="-3",
            cap="15",
            params={"counter": "findings", "severities": ["fatal"]},
            is_active=True,
        )
    assert severity.value.errors[0].code == "bad_param"
    with pytest.raises(NotPermitted):
        credit.credit_rule_update(
            actor=land.county, rule=rule, points="-3", cap="15", params=rule.params, is_active=True
        )
    rule.refresh_from_db()
    assert rule.points == Decimal(-3) and rule.cap == Decimal(15)
    with pytest.raises(Invalid) as year:
        credit.credit_evaluate(year=2022, today=TODAY)
    assert year.value.errors[0].code == "bad_year"
