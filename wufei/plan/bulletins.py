"""Work bulletins (工作简报) like seed 004: compose, fill the data sections, publish.

A bulletin is composed in one call (its header fields and all its articles, in order), so an
edit never leaves half an issue behind. Data sections (``Article.kind == data``) are filled
from the period's figures when the bulletin is composed and kept in ``Article.data``: the
snapshot is what the preview, the .docx and the public page show, so a published bulletin
never changes when the figures behind it are corrected later. Publishing is refused for an
issue without articles or with a data section that found nothing to report, and a
published bulletin is immutable.

The figures are those of the bulletin's region (the city for the office's bulletins). Only
actors who may add bulletins in that region compose them, and they may already see every
figure of the region, so the sections read the region's rows directly.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted, may, restrict
from wufei.alerts.choices import Rule
from wufei.alerts.models import Alert
from wufei.cases.models import (
    DumpSite,
    Finding,
    Inspection,
    OrderStatus,
    RectificationOrder,
)
from wufei.core.errors import FieldError, Invalid, NotFound, WufeiError
from wufei.core.services import log_change
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.plan.choices import (
    ArticleKind,
    BulletinStatus,
    MilestoneStatus,
    NoticeStatus,
    TaskStatus,
)
from wufei.plan.models import Article, Bulletin, Milestone, Notice, Task
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.stats.choices import Direction, ValueStatus
from wufei.stats.models import IndicatorTarget, IndicatorValue

SEND_TO = "国家生态环境部、省生态环境厅、市委常委、市政府各市长"
COPY_TO = "许昌市“无废城市”建设试点工作推进小组成员单位"
BRIEFS_HEADING = "简讯"
STAR = "★"
NO_DATA = gettext_lazy("暂无数据")
TITLE_MAX = 120  # Article.title
SEED_FILE = Path(__file__).parent / "data" / "bulletin-056.json"

SECTION_TITLES = {
    "indicators": gettext_lazy("主要指标完成情况"),
    "manifests": gettext_lazy("电子联单运行情况"),
    "alerts": gettext_lazy("预警处置情况"),
    "cases": gettext_lazy("执法检查与整改情况"),
    "sorting": gettext_lazy("生活垃圾分类情况"),
    "ledger": gettext_lazy("重点任务推进情况"),
}
SECTIONS = tuple(SECTION_TITLES)


class BulletinPublished(WufeiError):
    code = "bulletin_published"
    status = 409
    default_message = gettext_lazy("简报已印发，不能再修改。")


# --- inputs ---------------------------------------------------------------------------


@dataclass
class ArticleInput:
    """One article as the editor wrote it; ``data_section`` names the figures of a data
    section (its ``data`` is filled at compose time, never typed in)."""

    kind: str = ArticleKind.ARTICLE
    title: str = ""
    body: str = ""
    data_section: str = ""
    in_contents: bool = True


@dataclass
class BulletinInput:
    issued_on: date
    number: int | None = None  # the next free number when left out
    period_start: date | None = None  # the month before ``issued_on`` when left out
    period_end: date | None = None
    masthead: str = ""
    office: str = ""
    send_to: str = SEND_TO
    copy_to: str = COPY_TO
    region: Region | None = None  # the city when left out
    articles: list[ArticleInput] = field(default_factory=list)


# --- reads ----------------------------------------------------------------------------


def bulletin_list(*, actor) -> QuerySet[Bulletin]:
    """The bulletins the actor may see: officials their region's drafts and published
    issues, everybody else (the public) the published ones."""
    return restrict(Bulletin.objects.select_related("region"), actor, Action.VIEW)


def published_list() -> QuerySet[Bulletin]:
    return Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).order_by(
        "-issued_on", "-number"
    )


def bulletin_get(*, actor, pk: int) -> Bulletin:
    bulletin = bulletin_list(actor=actor).filter(pk=pk).first()
    if bulletin is None:
        raise NotFound()
    return bulletin


def may_compose(actor, bulletin: Bulletin | None = None) -> bool:
    """Whether the actor may compose a new bulletin (``bulletin`` None) or edit this draft."""
    if bulletin is None:
        return may(actor, Action.ADD, Bulletin)
    return bulletin.status == BulletinStatus.DRAFT and is_permitted(actor, Action.CHANGE, bulletin)


def default_region(actor) -> Region:
    """A county official's bulletins are the county's; everybody else's are the city's."""
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    return region or city()


def contents(bulletin: Bulletin, articles: Sequence[Article] | None = None) -> list[str]:
    """本期要目: the titles of the articles marked for the contents, in order, with 简讯 as
    one entry (where the first brief stands) when the issue has briefs."""
    rows = list(bulletin.articles.all()) if articles is None else list(articles)
    entries: list[str] = []
    for article in rows:
        if article.kind == ArticleKind.BRIEF:
            if BRIEFS_HEADING not in entries:
                entries.append(BRIEFS_HEADING)
        elif article.in_contents:
            entries.append(article.title)
    return entries


def next_number() -> int:
    last = Bulletin.objects.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def city() -> Region:
    return Region.objects.filter(level=RegionLevel.CITY).order_by("path").first() or _no_city()


def _no_city() -> Region:
    raise WufeiError(_("尚未加载行政区划，无法确定简报所属城市。"), code="no_city")


def default_period(issued_on: date) -> tuple[date, date]:
    """The calendar month before the month of issue: a monthly bulletin reports last month."""
    end = issued_on.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


# --- data sections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    region: Region

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def region_q(self, path: str) -> Q:
        return Q(**{f"{path}__path__startswith": self.region.path})


def _snapshot(
    section: str,
    period: Period,
    *,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    summary: str,
    now: datetime,
) -> dict:
    return {
        "section": section,
        "title": str(SECTION_TITLES[section]),
        "region": period.region.name,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "computed_at": now.isoformat(),
        "summary": summary if rows else str(NO_DATA),
        "columns": [str(c) for c in columns],
        "rows": [[_cell(v) for v in row] for row in rows],
        "empty": not rows,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"
    return str(value)


def _tonnes(kg: Decimal | None) -> Decimal:
    return ((kg or Decimal(0)) / 1000).quantize(Decimal("0.01"))


def _indicators(period: Period, now: datetime) -> dict:
    """The region's indicator values for the period's year beside their targets: the
    indicators that have a target, or, without any target, the computed ones."""
    year = period.end.year
    values = {
        v.indicator_id: v
        for v in IndicatorValue.objects.filter(year=year, region=period.region).select_related(
            "indicator"
        )
    }
    targets = {
        t.indicator_id: t
        for t in IndicatorTarget.objects.filter(year=year, region=period.region).select_related(
            "indicator"
        )
    }
    shown = list(targets) or [i for i, v in values.items() if v.status == ValueStatus.OK]
    indicators = sorted(
        ((targets.get(i) or values[i]).indicator for i in shown),
        key=lambda i: (i.sort_order, i.code),
    )
    rows, met = [], 0
    for indicator in indicators:
        value = values.get(indicator.pk)
        target = targets.get(indicator.pk)
        amount = value.value if value is not None else None
        goal = target.value if target is not None else None
        reached = None
        if amount is not None and goal is not None:
            reached = amount >= goal if indicator.direction == Direction.UP else amount <= goal
            met += reached
        verdict = _("—") if reached is None else (_("已达到") if reached else _("未达到"))
        rows.append([indicator.name, indicator.unit, goal, amount, verdict])
    with_target = sum(1 for i in indicators if i.pk in targets)
    summary = _("%(year)s年，%(region)s列入考核的%(n)s项指标中，%(met)s项已达到年度目标。") % {
        "year": year,
        "region": period.region.name,
        "n": with_target,
        "met": met,
    }
    if not targets:
        summary = _("%(year)s年%(region)s已计算指标%(n)s项（尚未设定目标值）。") % {
            "year": year,
            "region": period.region.name,
            "n": len(rows),
        }
    columns = (_("指标"), _("单位"), _("年度目标"), _("当前值"), _("完成情况"))
    return _snapshot("indicators", period, columns=columns, rows=rows, summary=summary, now=now)


def _manifests(period: Period, now: datetime) -> dict:
    """Manifests completed in the period, per stream: how many, and the tonnes accepted."""
    done = Manifest.objects.filter(
        period.region_q("region"),
        state=State.COMPLETED,
        completed_at__gte=period.since,
        completed_at__lt=period.until,
    )
    per_stream = (
        done.values("stream__name", "stream__sort_order")
        .annotate(n=Count("pk"), kg=Sum("accepted_kg"))
        .order_by("stream__sort_order", "stream__name")
    )
    rows = [[r["stream__name"], r["n"], _tonnes(r["kg"])] for r in per_stream]
    total_n = sum(r[1] for r in rows)
    total_t = sum((r[2] for r in rows), Decimal(0))
    if rows:
        rows.append([_("合计"), total_n, total_t])
    summary = _(
        "%(start)s至%(end)s，全市通过电子联单完成转移并利用处置的固体废物%(n)s单、%(t)s吨。"
    ) % {"start": _day(period.start), "end": _day(period.end), "n": total_n, "t": _cell(total_t)}
    columns = (_("废物类别"), _("完成联单（单）"), _("利用处置量（吨）"))
    return _snapshot("manifests", period, columns=columns, rows=rows, summary=summary, now=now)


def _alerts(period: Period, now: datetime) -> dict:
    """Alerts raised and resolved in the period, per rule."""
    scoped = Alert.objects.filter(period.region_q("region"))
    opened = Counter(
        dict(
            scoped.filter(opened_at__gte=period.since, opened_at__lt=period.until)
            .values_list("rule")
            .annotate(n=Count("pk"))
        )
    )
    resolved = Counter(
        dict(
            scoped.filter(resolved_at__gte=period.since, resolved_at__lt=period.until)
            .values_list("rule")
            .annotate(n=Count("pk"))
        )
    )
    labels = dict(Rule.choices)
    rules = sorted(set(opened) | set(resolved), key=lambda r: list(labels).index(r))
    rows = [[labels[r], opened[r], resolved[r]] for r in rules]
    if rows:
        rows.append([_("合计"), opened.total(), resolved.total()])
    summary = _("本期平台新发现预警%(opened)s条，办结%(resolved)s条。") % {
        "opened": opened.total(),
        "resolved": resolved.total(),
    }
    columns = (_("预警规则"), _("新发现（条）"), _("已解决（条）"))
    return _snapshot("alerts", period, columns=columns, rows=rows, summary=summary, now=now)


def _cases(period: Period, now: datetime) -> dict:
    """Inspections, their findings and rectification orders of the period, and the register of
    storage yards and informal landfills as it stands at the end of the period."""
    inspections = Inspection.objects.filter(
        period.region_q("region"), inspected_on__range=(period.start, period.end)
    )
    findings = Finding.objects.filter(inspection__in=inspections)
    orders = RectificationOrder.objects.filter(period.region_q("region"))
    issued = orders.filter(issued_on__range=(period.start, period.end))
    closed = orders.filter(
        status=OrderStatus.CLOSED, closed_at__gte=period.since, closed_at__lt=period.until
    )
    overdue = orders.filter(
        status__in=(OrderStatus.OPEN, OrderStatus.FAILED), deadline__lt=period.end
    )
    sites = DumpSite.objects.filter(period.region_q("region"), found_on__lte=period.end)
    figures = [
        (_("现场检查（次）"), inspections.count()),
        (_("发现问题（个）"), findings.count()),
        (_("下达整改通知（份）"), issued.count()),
        (_("整改销号（份）"), closed.count()),
        (_("逾期未整改（份）"), overdue.count()),
        (_("登记堆存场所和非正规垃圾堆放点（处）"), sites.count()),
    ]
    rows = [[label, n] for label, n in figures] if any(n for _label, n in figures) else []
    summary = _(
        "本期开展现场检查%(i)s次，发现问题%(f)s个，下达整改通知%(o)s份，整改销号%(c)s份。"
    ) % {"i": figures[0][1], "f": figures[1][1], "o": figures[2][1], "c": figures[3][1]}
    columns = (_("项目"), _("数量"))
    return _snapshot("cases", period, columns=columns, rows=rows, summary=summary, now=now)


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}%"


def _sorting(period: Period, now: datetime) -> dict:
    """Household sorting in the period, per county (per street in a county's bulletin) and for
    the region: households registered by the period's end, participation, accuracy, kitchen
    waste separation (分出率) and recyclables in tonnes, as the sorting measures define them.
    The period's daily rollup is rebuilt first when it misses drops, so the snapshot counts
    every drop recorded by now. No drops in the period: 暂无数据."""
    from wufei.sorting import measures as sm
    from wufei.sorting.models import CommunityDay, Drop
    from wufei.sorting.rollup import rebuild

    columns = (
        _("区域"),
        _("登记住户（户）"),
        _("参与率"),
        _("分类准确率"),
        _("厨余垃圾分出率"),
        _("可回收物（吨）"),
    )
    area = sm.Area(period.region)
    span = sm.custom_period(period.start, period.end)
    communities = area.communities()
    dropped = Drop.objects.filter(
        community__in=communities, dropped_at__gte=span.since, dropped_at__lt=span.until
    ).count()
    if not dropped:
        return _snapshot("sorting", period, columns=columns, rows=[], summary="", now=now)
    rolled = CommunityDay.objects.filter(
        community__in=communities, day__gte=period.start, day__lte=period.end
    ).aggregate(n=Sum("drops"))["n"]
    if rolled != dropped:
        rebuild(start=period.start, end=period.end)
    children, whole = sm.children_counts(period.region, period.start, period.end)

    def line(name: str, c: sm.Counts) -> list[Any]:
        v = sm.values(c)
        return [
            name,
            c.registered,
            _percent(v["participation_rate"]),
            _percent(v["accuracy_rate"]),
            _percent(v["kitchen_separation_rate"]),
            f"{v['recyclables_tonnes']:.3f}",
        ]

    rows = [line(region.name, c) for region, c in children]
    rows.append(line(str(_("合计")), whole))
    figures = sm.values(whole)
    summary = _(
        "%(start)s至%(end)s，%(region)s%(n)s个小区（村）开展生活垃圾分类，登记住户%(h)s户，"
        "居民参与率%(p)s，分类准确率%(a)s，厨余垃圾分出率%(k)s，回收可回收物%(t)s吨。"
    ) % {
        "start": _day(period.start),
        "end": _day(period.end),
        "region": period.region.name,
        "n": whole.communities,
        "h": whole.registered,
        "p": _percent(figures["participation_rate"]) or "—",
        "a": _percent(figures["accuracy_rate"]) or "—",
        "k": _percent(figures["kitchen_separation_rate"]) or "—",
        "t": f"{figures['recyclables_tonnes']:.3f}",
    }
    return _snapshot("sorting", period, columns=columns, rows=rows, summary=summary, now=now)


def _ledger(period: Period, now: datetime) -> dict:
    """The task ledger at the end of the period: tasks by status, milestones done (on time or
    late) in the period and still overdue, supervision notices issued and answered."""
    tasks = Task.objects.filter(
        Q(ledger__region__path__startswith=period.region.path)
        | Q(counties__path__startswith=period.region.path)
    ).distinct()
    by_status = dict(tasks.order_by().values_list("status").annotate(n=Count("pk", distinct=True)))
    milestones = Milestone.objects.filter(task__in=tasks.values("pk"))
    done = milestones.filter(status=MilestoneStatus.DONE, done_on__range=(period.start, period.end))
    late_done = done.filter(done_on__gt=F("due_on"))
    overdue = milestones.filter(status=MilestoneStatus.OPEN, due_on__lt=period.end)
    notices = Notice.objects.filter(task__in=tasks.values("pk"))
    issued = notices.filter(issued_at__gte=period.since, issued_at__lt=period.until)
    answered = notices.filter(answered_at__gte=period.since, answered_at__lt=period.until)
    pending = notices.filter(
        status__in=(NoticeStatus.OPEN, NoticeStatus.ESCALATED), issued_at__lt=period.until
    )
    rows: list[list[Any]] = [
        [label, by_status.get(value, 0)] for value, label in TaskStatus.choices
    ]
    rows += [
        [_("本期完成节点（个）"), done.count()],
        [_("其中逾期完成（个）"), late_done.count()],
        [_("逾期未完成节点（个）"), overdue.count()],
        [_("本期下发督办（件）"), issued.count()],
        [_("本期反馈督办（件）"), answered.count()],
        [_("尚未办结督办（件）"), pending.count()],
    ]
    if not tasks.exists():
        rows = []
    summary = _(
        "截至%(end)s，台账任务%(n)s项，其中已完成%(d)s项、逾期%(l)s项；本期完成节点%(m)s个，"
        "逾期未完成节点%(o)s个，下发督办%(i)s件。"
    ) % {
        "end": _day(period.end),
        "n": sum(by_status.values()),
        "d": by_status.get(TaskStatus.DONE, 0),
        "l": by_status.get(TaskStatus.LATE, 0),
        "m": done.count(),
        "o": overdue.count(),
        "i": issued.count(),
    }
    columns = (_("项目"), _("数量"))
    return _snapshot("ledger", period, columns=columns, rows=rows, summary=summary, now=now)


FILLERS: dict[str, Callable[[Period, datetime], dict]] = {
    "indicators": _indicators,
    "manifests": _manifests,
    "alerts": _alerts,
    "cases": _cases,
    "sorting": _sorting,
    "ledger": _ledger,
}


def section_data(section: str, *, start: date, end: date, region: Region, now: datetime) -> dict:
    """The snapshot of one data section for a period and region (what ``Article.data`` keeps)."""
    return FILLERS[section](Period(start, end, region), now)


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- writes ---------------------------------------------------------------------------


def _validate(data: BulletinInput, *, bulletin: Bulletin | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.number is not None:
        if data.number < 1:
            errors.append(FieldError("number", "invalid_number", _("期号必须为正整数。")))
        taken = Bulletin.objects.filter(number=data.number)
        if bulletin is not None:
            taken = taken.exclude(pk=bulletin.pk)
        if taken.exists():
            errors.append(
                FieldError(
                    "number",
                    "number_taken",
                    _("第%(n)s期简报已存在，请换一个期号。") % {"n": data.number},
                )
            )
    if (data.period_start is None) != (data.period_end is None):
        errors.append(
            FieldError("period_end", "period_incomplete", _("数据期起止日期须同时填写。"))
        )
    elif data.period_start and data.period_end and data.period_start > data.period_end:
        errors.append(FieldError("period_end", "period_reversed", _("数据期止不能早于数据期起。")))
    elif data.period_end and data.period_end > data.issued_on:
        errors.append(
            FieldError("period_end", "period_after_issue", _("数据期止不能晚于印发日期。"))
        )
    for i, article in enumerate(data.articles):
        errors += _validate_article(i, article)
    return errors


def _validate_article(i: int, article: ArticleInput) -> list[FieldError]:
    where = f"articles.{i}"
    errors: list[FieldError] = []
    if article.kind not in ArticleKind.values:
        return [FieldError(f"{where}.kind", "invalid_kind", _("栏目无效。"))]
    if article.kind == ArticleKind.DATA:
        if article.data_section not in SECTIONS:
            errors.append(
                FieldError(
                    f"{where}.data_section",
                    "invalid_data_section",
                    _("数据专栏须为以下之一：%(s)s。") % {"s": "、".join(SECTIONS)},
                )
            )
    elif article.data_section:
        errors.append(
            FieldError(
                f"{where}.data_section",
                "data_section_not_data",
                _("只有“数据专栏”类文章可以选择数据来源。"),
            )
        )
    title = article.title.strip()
    if not title and not (article.kind == ArticleKind.DATA and article.data_section in SECTIONS):
        errors.append(FieldError(f"{where}.title", "title_required", _("请填写标题。")))
    if len(title) > TITLE_MAX:
        errors.append(FieldError(f"{where}.title", "title_too_long", _("标题过长。")))
    if article.kind == ArticleKind.ARTICLE and not article.body.strip():
        errors.append(FieldError(f"{where}.body", "body_required", _("请填写正文。")))
    return errors


def _ensure(actor, action: str, bulletin: Bulletin) -> None:
    """The actor's right on the row; ``None`` is the system itself (the demo, commands)."""
    if actor is not None:
        ensure_permitted(actor, action, bulletin)


def _lock_draft(actor, bulletin: Bulletin) -> Bulletin:
    """The draft, locked for the transaction, if the actor may change it."""
    locked = Bulletin.objects.select_for_update().filter(pk=bulletin.pk).first()
    if locked is None or (actor is not None and not is_permitted(actor, Action.VIEW, locked)):
        raise NotFound()
    _ensure(actor, Action.CHANGE, locked)
    if locked.status != BulletinStatus.DRAFT:
        raise BulletinPublished()
    return locked


@transaction.atomic
def bulletin_compose(
    *, actor, data: BulletinInput, now: datetime, bulletin: Bulletin | None = None
) -> Bulletin:
    """Create a bulletin, or replace a draft's header and articles, in one transaction; the
    data sections are filled from the period's figures now (``now`` stamps the snapshot).
    The articles' order is the order of ``data.articles``."""
    if bulletin is not None:
        bulletin = _lock_draft(actor, bulletin)
    errors = _validate(data, bulletin=bulletin)
    if errors:
        raise Invalid(errors)
    creating = bulletin is None
    if bulletin is None:
        bulletin = Bulletin(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    start, end = data.period_start, data.period_end
    if start is None or end is None:
        start, end = default_period(data.issued_on)
    bulletin.number = (
        data.number
        if data.number is not None
        else (bulletin.number if not creating else next_number())
    )
    bulletin.issued_on = data.issued_on
    bulletin.period_start, bulletin.period_end = start, end
    bulletin.masthead = data.masthead.strip() or Bulletin._meta.get_field("masthead").default
    bulletin.office = data.office.strip() or Bulletin._meta.get_field("office").default
    bulletin.send_to = data.send_to.strip()
    bulletin.copy_to = data.copy_to.strip()
    bulletin.region = data.region or (bulletin.region if not creating else default_region(actor))
    bulletin.save()
    _ensure(actor, Action.ADD if creating else Action.CHANGE, bulletin)
    bulletin.articles.all().delete()
    Article.objects.bulk_create(
        [
            _article(bulletin, order, article, start=start, end=end, now=now)
            for order, article in enumerate(data.articles, start=1)
        ]
    )
    log_change(actor=actor, obj=bulletin, action="create" if creating else "update")
    return bulletin


def _article(
    bulletin: Bulletin, order: int, article: ArticleInput, *, start: date, end: date, now: datetime
) -> Article:
    snapshot: dict = {}
    title = article.title.strip()
    if article.kind == ArticleKind.DATA:
        snapshot = section_data(
            article.data_section,
            start=start,
            end=end,
            region=bulletin.region,
            now=now,
        )
        title = title or snapshot["title"]
    return Article(
        bulletin=bulletin,
        order=order,
        kind=article.kind,
        title=title,
        body=article.body.strip(),
        data_section=article.data_section if article.kind == ArticleKind.DATA else "",
        data=snapshot,
        in_contents=article.in_contents and article.kind != ArticleKind.BRIEF,
    )


def publish_errors(bulletin: Bulletin) -> list[FieldError]:
    """Why the bulletin cannot be published yet (empty when it can)."""
    articles = list(bulletin.articles.all())
    if not articles:
        return [FieldError(None, "no_articles", _("简报还没有文章，不能印发。"))]
    errors = []
    for article in articles:
        if article.kind == ArticleKind.DATA and (not article.data or article.data.get("empty")):
            errors.append(
                FieldError(
                    f"articles.{article.order - 1}",
                    "empty_data_section",
                    _("数据专栏“%(title)s”本期暂无数据，请删除该专栏或更换数据期后再印发。")
                    % {"title": article.title},
                )
            )
    return errors


@transaction.atomic
def bulletin_publish(*, actor, bulletin: Bulletin, now: datetime) -> Bulletin:
    """Publish (印发) a draft: from now on it is public and immutable."""
    locked = _lock_draft(actor, bulletin)
    errors = publish_errors(locked)
    if errors:
        raise Invalid(errors)
    locked.status = BulletinStatus.PUBLISHED
    locked.published_at = now
    locked.save(update_fields=["status", "published_at"])
    log_change(actor=actor, obj=locked, action="publish")
    return locked


@transaction.atomic
def bulletin_delete(*, actor, bulletin: Bulletin) -> None:
    """Discard a draft; published bulletins stay on record."""
    locked = _lock_draft(actor, bulletin)
    log_change(actor=actor, obj=locked, action="delete")
    locked.delete()


# --- seed 004 --------------------------------------------------------------------------


def seed_issue() -> dict:
    """Seed 004 (工作简报第56期, 2020-09-15) as data: its verbatim text and attribution."""
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


def seed_input(issue: dict | None = None) -> BulletinInput:
    issue = issue or seed_issue()
    return BulletinInput(
        number=issue["number"],
        issued_on=date.fromisoformat(issue["issued_on"]),
        period_start=date.fromisoformat(issue["period"][0]),
        period_end=date.fromisoformat(issue["period"][1]),
        masthead=issue["masthead"],
        office=issue["office"],
        send_to=issue["send_to"],
        copy_to=issue["copy_to"],
        articles=[
            ArticleInput(kind=a["kind"], title=a["title"], body="\n".join(a["paragraphs"]))
            for a in issue["articles"]
        ],
    )


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
