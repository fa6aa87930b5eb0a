"""Bulletins: compose (numbers, periods, contents, data sections as snapshots), bad input,
publish (refusals, immutability) and who may do what; seed 004 as data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wufei.accounts.models import Department
from wufei.alerts.models import Alert
from wufei.cases.models import DumpSite
from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.manifests.choices import State
from wufei.manifests.tests.world import hazardous_world, run_to, user
from wufei.plan import bulletins as svc
from wufei.plan.choices import ArticleKind, BulletinStatus, MilestoneStatus, TaskStatus
from wufei.plan.models import Area, Article, Bulletin, Ledger, Milestone, Task, Unit
from wufei.registry.tests.factories import region
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
ISSUED = date(2026, 11, 20)


def article(title="动态", body="正文一段。", **kw) -> svc.ArticleInput:
    return svc.ArticleInput(title=title, body=body, **kw)


def data(section: str, **kw) -> svc.ArticleInput:
    return svc.ArticleInput(kind=ArticleKind.DATA, data_section=section, **kw)


def brief(title: str) -> svc.ArticleInput:
    return svc.ArticleInput(kind=ArticleKind.BRIEF, title=title, body="详情。")


def compose(actor, *articles, bulletin=None, **head) -> Bulletin:
    head.setdefault("issued_on", ISSUED)
    return svc.bulletin_compose(
        actor=actor,
        now=NOW,
        bulletin=bulletin,
        data=svc.BulletinInput(articles=list(articles), **head),
    )


@pytest.fixture
def office():
    return user(role="city")


def test_compose_defaults_number_period_region_and_contents(office):
    Bulletin.objects.create(number=7, issued_on=date(2026, 1, 1), region=region("411000"))
    b = compose(
        office,
        article("甲"),
        brief("简讯一。"),
        article("乙", in_contents=False),
        brief("简讯二。"),
        article("丙"),
    )
    assert b.number == 8
    assert (b.period_start, b.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert b.region.adcode == "411000"
    assert b.send_to == svc.SEND_TO and b.status == BulletinStatus.DRAFT
    assert [a.order for a in b.articles.all()] == [1, 2, 3, 4, 5]
    assert svc.contents(b) == ["甲", "简讯", "丙"]


def test_edit_replaces_articles_in_the_given_order(office):
    b = compose(office, article("甲"), article("乙"))
    compose(office, article("乙"), article("丙"), bulletin=b)
    assert list(b.articles.values_list("title", flat=True)) == ["乙", "丙"]
    assert Article.objects.count() == 2


@pytest.mark.parametrize(
    ("head", "articles", "field", "code"),
    [
        ({"number": 0}, [], "number", "invalid_number"),
        ({"period_start": date(2026, 10, 9)}, [], "period_end", "period_incomplete"),
        (
            {"period_start": date(2026, 10, 9), "period_end": date(2026, 10, 1)},
            [],
            "period_end",
            "period_reversed",
        ),
        (
            {"period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)},
            [],
            "period_end",
            "period_after_issue",
        ),
        ({}, [data("weather")], "articles.0.data_section", "invalid_data_section"),
        ({}, [article(data_section="alerts")], "articles.0.data_section", "data_section_not_data"),
        ({}, [article(body=" ")], "articles.0.body", "body_required"),
        ({}, [article(title="")], "articles.0.title", "title_required"),
        ({}, [article(title="长" * 121)], "articles.0.title", "title_too_long"),
    ],
)
def test_bad_input_is_refused_with_field_and_code(office, head, articles, field, code):
    with pytest.raises(Invalid) as caught:
        compose(office, *articles, **head)
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == (field, code)
    assert not Bulletin.objects.exists()


def test_number_taken_is_refused(office):
    compose(office, number=5)
    with pytest.raises(Invalid) as caught:
        compose(office, number=5)
    assert caught.value.code == "number_taken"


def test_publish_refuses_without_articles_and_with_an_empty_data_section(office):
    empty = compose(office)
    with pytest.raises(Invalid) as caught:
        svc.bulletin_publish(actor=office, bulletin=empty, now=NOW)
    assert caught.value.code == "no_articles"
    sorting = compose(office, article(), data("sorting"))
    assert sorting.articles.get(order=2).data["summary"] == "暂无数据"
    with pytest.raises(Invalid) as caught:
        svc.bulletin_publish(actor=office, bulletin=sorting, now=NOW)
    assert (caught.value.code, caught.value.field) == ("empty_data_section", "articles.1")
    sorting.refresh_from_db()
    assert sorting.status == BulletinStatus.DRAFT


def test_published_bulletin_is_public_and_immutable(office):
    b = compose(office, article())
    assert not svc.bulletin_list(actor=None).exists()
    svc.bulletin_publish(actor=office, bulletin=b, now=NOW)
    b.refresh_from_db()
    assert (b.status, b.published_at) == (BulletinStatus.PUBLISHED, NOW)
    assert list(svc.bulletin_list(actor=None)) == [b]
    assert list(svc.published_list()) == [b]
    for attempt in (
        lambda: compose(office, article("改"), bulletin=b),
        lambda: svc.bulletin_publish(actor=office, bulletin=b, now=NOW),
        lambda: svc.bulletin_delete(actor=office, bulletin=b),
    ):
        with pytest.raises(svc.BulletinPublished):
            attempt()
    assert list(b.articles.values_list("title", flat=True)) == ["动态"]


def test_who_may_compose_and_publish(office):
    weidu = region("411002")
    county = user(role="county", region=weidu)
    other_county = user(role="county", region=region("411082"))
    bureau = user(role="department", department=Department.objects.get(code="ecology"))
    city_issue = compose(office, article())
    with pytest.raises(NotPermitted):
        compose(bureau, article())
    with pytest.raises(NotFound):
        svc.bulletin_publish(actor=county, bulletin=city_issue, now=NOW)
    county_issue = compose(county, article())
    assert county_issue.region == weidu
    assert list(svc.bulletin_list(actor=county)) == [county_issue]
    with pytest.raises(NotFound):
        compose(other_county, article(), bulletin=county_issue)
    svc.bulletin_publish(actor=office, bulletin=county_issue, now=NOW)
    assert svc.may_compose(office) and svc.may_compose(county) and not svc.may_compose(bureau)


def test_delete_discards_a_draft(office):
    b = compose(office, article())
    svc.bulletin_delete(actor=office, bulletin=b)
    assert not Bulletin.objects.exists() and not Article.objects.exists()


# --- data sections -------------------------------------------------------------------


def period_of(day: date) -> dict:
    return {"issued_on": day, "period_start": day.replace(day=1), "period_end": day}


def test_manifest_section_counts_completed_manifests_per_stream_and_is_a_snapshot(office):
    w = hazardous_world()
    run_to(w, State.COMPLETED)
    run_to(w, State.RECEIVED)  # not completed: not counted
    today = timezone.localdate()
    b = compose(office, data("manifests"), **period_of(today))
    snap = b.articles.get().data
    assert b.articles.get().title == "电子联单运行情况"
    assert snap["rows"] == [["危险废物", "1", "0.35"], ["合计", "1", "0.35"]]
    assert "1单" in snap["summary"] and not snap["empty"]
    run_to(w, State.COMPLETED)  # later figures do not change the stored snapshot
    assert b.articles.get().data == snap
    last_month = compose(office, data("manifests"), issued_on=today.replace(day=1))
    assert last_month.articles.get().data["empty"]


def test_alert_section_counts_opened_and_resolved_per_rule(office):
    weidu = region("411002")
    at = datetime(2026, 10, 5, 10, tzinfo=SHANGHAI)
    for i, rule in enumerate(["weight_gap", "weight_gap", "rejected"]):
        Alert.objects.create(
            rule=rule,
            subject_type="manifest",
            subject_id=str(i),
            subject_label=f"M{i}",
            region=weidu,
            message="…",
            opened_at=at,
            status="resolved" if i == 2 else "open",
            resolved_at=at + timedelta(days=1) if i == 2 else None,
        )
    Alert.objects.create(
        rule="rejected",
        subject_type="manifest",
        subject_id="9",
        subject_label="M9",
        region=weidu,
        message="…",
        opened_at=at - timedelta(days=40),
    )
    snap = compose(office, data("alerts")).articles.get().data
    assert snap["rows"] == [["磅差超限", "2", "0"], ["拒收", "1", "1"], ["合计", "3", "1"]]


def test_cases_section_guards_an_empty_register_and_counts_dump_sites(office):
    assert compose(office, data("cases")).articles.get().data["empty"]
    DumpSite.objects.create(
        kind="informal_landfill",
        name="某村堆放点",
        region=region("411002"),
        found_on=date(2026, 10, 3),
    )
    DumpSite.objects.create(
        kind="storage_yard", name="晚登记", region=region("411002"), found_on=date(2026, 11, 5)
    )
    rows = compose(office, data("cases")).articles.get().data["rows"]
    assert ["登记堆存场所和非正规垃圾堆放点（处）", "1"] in rows  # as of the period's end


def test_ledger_section_counts_tasks_milestones_done_and_late(office):
    city = region("411000")
    unit = Unit.objects.create(name="市生态环境局", kind="bureau")
    ledger = Ledger.objects.create(kind="city", title="全市台账", region=city)
    area = Area.objects.get_or_create(number=1, defaults={"title": "领域"})[0]
    task = Task.objects.create(
        ledger=ledger,
        area=area,
        number="1",
        title="任务",
        lead_unit=unit,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        status=TaskStatus.AT_RISK,
    )
    on_time, late, open_late = (
        (date(2026, 10, 20), date(2026, 10, 10)),
        (date(2026, 10, 1), date(2026, 10, 15)),
        (date(2026, 9, 1), None),
    )
    for due, done in (on_time, late, open_late):
        Milestone.objects.create(
            task=task,
            title="节点",
            unit=unit,
            due_on=due,
            status=MilestoneStatus.DONE if done else MilestoneStatus.OPEN,
            done_on=done,
        )
    rows = dict(map(tuple, compose(office, data("ledger")).articles.get().data["rows"]))
    assert rows["进度滞后"] == "1" and rows["已完成"] == "0"
    assert rows["本期完成节点（个）"] == "2"
    assert rows["其中逾期完成（个）"] == "1"
    assert rows["逾期未完成节点（个）"] == "1"


def test_indicator_section_shows_values_against_targets(office):
    city = region("411000")
    up, down = (
        Indicator.objects.filter(direction="up")[:1].get(),
        Indicator.objects.filter(direction="down")[:1].get(),
    )
    IndicatorTarget.objects.create(indicator=up, year=2026, region=city, value=Decimal(90))
    IndicatorTarget.objects.create(indicator=down, year=2026, region=city, value=Decimal(10))
    IndicatorValue.objects.create(
        indicator=up, year=2026, region=city, value=Decimal("95.5"), status="ok"
    )
    IndicatorValue.objects.create(
        indicator=down, year=2026, region=city, value=Decimal(12), status="ok"
    )
    snap = compose(office, data("indicators")).articles.get().data
    verdicts = {row[0]: (row[2], row[3], row[4]) for row in snap["rows"]}
    assert verdicts[up.name] == ("90", "95.50", "已达到")
    assert verdicts[down.name] == ("10", "12", "未达到")
    assert "2项指标中，1项已达到" in snap["summary"]


# --- seed 004 ------------------------------------------------------------------------


def test_seed_issue_56_composes_verbatim():
    issue = svc.seed_issue()
    b = svc.bulletin_compose(actor=None, now=NOW, data=svc.seed_input(issue))
    assert (b.number, b.issued_on, b.office) == (56, date(2020, 9, 15), issue["office"])
    titles = svc.contents(b)
    assert len(titles) == len(issue["contents"]) == 5 and titles[-1] == "简讯"
    assert titles[1:4] == issue["contents"][1:4]
    assert b.articles.filter(kind="brief").count() == 4
    assert "坚决打好打赢污染防治攻坚战" in b.articles.get(order=3).body  # page break joined
    assert b.copy_to == "许昌市“无废城市”建设试点工作推进小组成员单位"
    assert "第56期" in issue["source"] and issue["source"].startswith(issue["office"])
