"""The assessment engine (考核): scoring rules as data, one score per unit and period.

The plan's part 四（三） puts the pilot's results into the units' target-responsibility
assessment (目标责任考核) and asks for a mid-term and a final evaluation. Each
:class:`~wufei.plan.models.ScoringRule` names a *measure* (a function below) and a weight;
the measure returns the share (0–1) of what the unit did right in the period and the facts
behind it, the rule's points are ``weight × share``. ``assess`` computes every city bureau
and every county government for one period, stores one :class:`Score` each with every
item explained (counts and the ids of the milestones, notices, reports and projects it
read) and ranks bureaus among bureaus and counties among counties. Recomputing a period
replaces its scores, so ``assess`` may run as often as the ledger changes.

Everything is judged *as of* ``min(period_end, today)``: what was not yet due on that day
counts neither for nor against a unit.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.plan.choices import (
    MilestoneStatus,
    ProjectStage,
    ReportStatus,
    ScoreMeasure,
    UnitKind,
)
from wufei.plan.models import Milestone, Notice, ProgressReport, Project, Score, ScoringRule, Unit
from wufei.stats.choices import Direction, ValueStatus
from wufei.stats.models import IndicatorValue

RULES_FILE = Path(__file__).parent / "data" / "scoring-rules.json"
ASSESSED_KINDS = (UnitKind.CITY_BUREAU, UnitKind.COUNTY)
CENTS = Decimal("0.01")
WEIGHT_MAX = Decimal(100)
ONE = Decimal(1)


# --- rule parameters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter a measure accepts: its parser (raises ``ValueError`` on bad input),
    its default and what it means (shown on the rules page)."""

    parse: Callable[[Any], Any]
    default: Any
    help: str


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError
        number = int(value)
        if not low <= number <= high:
            raise ValueError
        return number

    return parse


def _points(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError from exc
    if not number.is_finite() or number < 0 or number > WEIGHT_MAX:
        raise ValueError
    return number


def _when_none(value: Any) -> str:
    if value not in ("full", "zero"):
        raise ValueError
    return value


WHEN_NONE = Param(_when_none, "full", "无考核对象时：full 按满分计，zero 记0分")
PARAMS: dict[str, dict[str, Param]] = {
    ScoreMeasure.MILESTONES_ON_TIME: {
        "grace_days": Param(_whole(0, 90), 0, "完成日期晚于时限不超过此天数仍算按时（0–90）"),
        "when_none": WHEN_NONE,
    },
    ScoreMeasure.INDICATOR_PROGRESS: {"when_none": WHEN_NONE},
    ScoreMeasure.NOTICES_ANSWERED: {
        "escalation_points": Param(_points, Decimal(2), "每次升级督办扣分（0–100）"),
        "when_none": WHEN_NONE,
    },
    ScoreMeasure.REPORTS_FILED: {
        "due_day": Param(_whole(1, 28), 5, "次月几日前报送算按时（1–28）"),
        "when_none": WHEN_NONE,
    },
    ScoreMeasure.PROJECTS_ON_SCHEDULE: {
        "tolerance_pct": Param(_whole(0, 100), 10, "形象进度低于计划进度不超过此百分点仍算按期"),
        "when_none": WHEN_NONE,
    },
}


def parse_params(measure: str, params: Any, *, field_name: str = "params") -> dict[str, Any]:
    """The rule's parameters checked against what its measure accepts, defaults filled in;
    an unknown name or a bad value is refused with the parameter named."""
    if measure not in PARAMS:
        raise Invalid([FieldError("measure", "unknown_measure", _("未知的计分依据。"))])
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise Invalid([FieldError(field_name, "params_not_object", _("参数应为 JSON 对象。"))])
    accepted = PARAMS[measure]
    errors = [
        FieldError(
            field_name,
            "unknown_param",
            _("计分依据“%(measure)s”没有参数“%(name)s”；可用参数：%(names)s。")
            % {
                "measure": ScoreMeasure(measure).label,
                "name": name,
                "names": "、".join(accepted),
            },
        )
        for name in params
        if name not in accepted
    ]
    parsed: dict[str, Any] = {}
    for name, spec in accepted.items():
        if name not in params:
            parsed[name] = spec.default
            continue
        try:
            parsed[name] = spec.parse(params[name])
        except (ValueError, TypeError):
            errors.append(
                FieldError(
                    field_name,
                    "bad_param",
                    _("参数“%(name)s”的值“%(value)s”无效：%(help)s。")
                    % {"name": name, "value": params[name], "help": spec.help},
                )
            )
    if errors:
        raise Invalid(errors)
    return parsed


def _check_weight(weight: Any) -> Decimal:
    try:
        value = Decimal(str(weight))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > WEIGHT_MAX:
        raise Invalid([FieldError("weight", "bad_weight", _("分值应为0到100之间的数。"))])
    return value.quantize(CENTS)


def _jsonable_params(measure: str, params: dict) -> dict:
    """What is stored: the given params only (defaults stay implicit), as JSON values."""
    parse_params(measure, params)
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}


# --- rules as data ---------------------------------------------------------------------------


def load_scoring_rules(*, replace: bool = False, path: Path = RULES_FILE) -> int:
    """Create the shipped rules that are missing (``replace``: overwrite edited ones too).
    Run by the data migration, ``wufei assess --load-rules`` and the demo."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    with transaction.atomic():
        for row in spec["rules"]:
            fields = {
                "name": row["name"],
                "measure": row["measure"],
                "weight": _check_weight(row["weight"]),
                "params": _jsonable_params(row["measure"], row.get("params", {})),
                "description": row.get("description", ""),
            }
            if replace:
                ScoringRule.objects.update_or_create(code=row["code"], defaults=fields)
                count += 1
            elif not ScoringRule.objects.filter(code=row["code"]).exists():
                ScoringRule.objects.create(code=row["code"], **fields)
                count += 1
    return count


def scoring_rule_update(
    *,
    actor,
    rule: ScoringRule,
    weight: Any,
    params: Any,
    is_active: bool,
    description: str | None = None,
) -> ScoringRule:
    """A city official changes a rule's weight, parameters or whether it counts. Validated
    before anything is written; the change log keeps the old and new values."""
    if not may(actor, Action.CHANGE, ScoringRule):
        raise NotPermitted(_("只有市级管理人员和平台管理员可以修改考核规则。"))
    errors: list[FieldError] = []
    try:
        checked_weight = _check_weight(weight)
    except Invalid as exc:
        errors += exc.errors
    if isinstance(params, str):
        try:
            params = json.loads(params or "{}")
        except json.JSONDecodeError:
            errors.append(FieldError("params", "params_not_json", _("参数不是有效的 JSON。")))
            params = None
    stored: dict = {}
    if params is not None:
        try:
            stored = _jsonable_params(rule.measure, params)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        locked = ScoringRule.objects.select_for_update().get(pk=rule.pk)
        locked.weight, locked.params, locked.is_active = checked_weight, stored, bool(is_active)
        if description is not None:
            locked.description = description[:300]
        locked.save()
        log_change(actor=actor, obj=locked, action="update")
    return locked


# --- the measures ----------------------------------------------------------------------------


@dataclass
class Fact:
    """One record a measure read: what it is, whether it counts for the unit, and why."""

    type: str  # milestone, notice, report, project
    id: int
    label: str
    ok: bool
    note: str = ""
    value: str | None = None  # a partial share (indicator progress), as text

    def as_dict(self) -> dict:
        out = {"type": self.type, "id": self.id, "label": self.label, "ok": self.ok}
        if self.note:
            out["note"] = self.note
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass
class Outcome:
    """A measure's answer: the share of ``weight`` earned, counts, deductions and facts."""

    share: Decimal | None  # None: nothing to assess
    counts: dict[str, int] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    deduction: Decimal = Decimal(0)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    asof: date  # min(end, today): nothing later is judged


def _ratio(good: int, total: int) -> Decimal | None:
    return Decimal(good) / Decimal(total) if total else None


def milestones_on_time(unit: Unit, period: Period, params: dict) -> Outcome:
    """Milestones of the unit due in the period (and by ``asof``): done by the due date
    (plus ``grace_days``) or not. Cancelled milestones do not count."""
    grace = timedelta(days=params["grace_days"])
    rows = (
        Milestone.objects.filter(unit=unit, due_on__gte=period.start, due_on__lte=period.asof)
        .exclude(status=MilestoneStatus.CANCELLED)
        .order_by("due_on", "id")
    )
    facts = []
    for m in rows:
        done_on = m.done_on if m.status == MilestoneStatus.DONE else None
        done = done_on is not None and done_on <= period.asof
        ok = done_on is not None and done and done_on <= m.due_on + grace
        if ok:
            note = _("%(done)s 完成（时限 %(due)s）") % {"done": done_on, "due": m.due_on}
        elif done_on is not None and done:
            note = _("%(done)s 完成，逾期 %(days)s 天") % {
                "done": done_on,
                "days": (done_on - m.due_on).days,
            }
        else:
            note = _("时限 %(due)s，截至 %(asof)s 未完成") % {"due": m.due_on, "asof": period.asof}
        facts.append(Fact("milestone", m.pk, m.title, ok, note))
    good = sum(f.ok for f in facts)
    return Outcome(
        _ratio(good, len(facts)),
        {"due": len(facts), "on_time": good, "late": len(facts) - good},
        facts,
    )


def _indicator_value(indicator_id: int, region_id: int, year: int) -> IndicatorValue | None:
    """The latest computed value of the indicator for the region in ``year`` or before."""
    return (
        IndicatorValue.objects.filter(
            indicator_id=indicator_id,
            region_id=region_id,
            year__lte=year,
            status=ValueStatus.OK,
            value__isnull=False,
        )
        .order_by("-year")
        .first()
    )


def progress_toward(value: Decimal, target: Decimal, direction: str) -> Decimal:
    """How far ``value`` has come toward ``target`` (0–1): value ÷ target for indicators
    where higher is better, target ÷ value where lower is better; capped at 1."""
    if direction == Direction.DOWN:
        share = ONE if value <= target else (target / value if value else ONE)
    else:
        share = ONE if value >= target else (value / target if target > 0 else ONE)
    return max(Decimal(0), min(ONE, share))


def indicator_progress(unit: Unit, period: Period, params: dict) -> Outcome:
    """Milestones with an indicator and a target, live in the period (task started by its
    end, not cancelled, not due before it started): the indicator's stored value for the
    unit's county (or the task's ledger region) in the period's last year, toward the
    target; averaged by milestone weight. A milestone without a value counts as 0."""
    rows = (
        Milestone.objects.filter(
            unit=unit,
            indicator__isnull=False,
            target__isnull=False,
            due_on__gte=period.start,
            task__starts_on__lte=period.asof,
        )
        .exclude(status=MilestoneStatus.CANCELLED)
        .select_related("indicator", "task__ledger")
        .order_by("due_on", "id")
    )
    facts, total_weight, earned = [], Decimal(0), Decimal(0)
    year = period.asof.year
    for m in rows:
        indicator, target = m.indicator, m.target
        if indicator is None or target is None:  # filtered out by the query
            continue
        region_id = unit.region_id or m.task.ledger.region_id
        found = _indicator_value(indicator.pk, region_id, year)
        weight = Decimal(m.weight)
        total_weight += weight
        value = found.value if found is not None else None
        if found is None or value is None:
            facts.append(
                Fact(
                    "milestone",
                    m.pk,
                    m.title,
                    False,
                    _("指标“%(name)s”暂无计算值") % {"name": indicator.name},
                    "0",
                )
            )
            continue
        share = progress_toward(value, target, indicator.direction)
        earned += weight * share
        facts.append(
            Fact(
                "milestone",
                m.pk,
                m.title,
                share >= ONE,
                _("%(name)s：%(year)s年 %(value)s / 目标 %(target)s %(unit)s")
                % {
                    "name": indicator.name,
                    "year": found.year,
                    "value": _plain(value),
                    "target": _plain(target),
                    "unit": indicator.unit,
                },
                str(share.quantize(Decimal("0.0001"), ROUND_HALF_UP)),
            )
        )
    overall = earned / total_weight if total_weight else None
    reached = sum(f.ok for f in facts)
    return Outcome(overall, {"milestones": len(facts), "reached": reached}, facts)


def notices_answered(unit: Unit, period: Period, params: dict) -> Outcome:
    """Notices to the unit with their deadline in the period (and by ``asof``): answered
    by the deadline or not; each escalation issued in the period deducts
    ``escalation_points`` from the rule's points (never below zero)."""
    rows = Notice.objects.filter(
        unit=unit, deadline__gte=period.start, deadline__lte=period.asof
    ).order_by("deadline", "id")
    facts = []
    for n in rows:
        answered = timezone.localdate(n.answered_at) if n.answered_at else None
        ok = answered is not None and answered <= n.deadline
        if ok:
            note = _("%(at)s 反馈（时限 %(due)s）") % {"at": answered, "due": n.deadline}
        elif answered is not None and answered <= period.asof:
            note = _("%(at)s 反馈，超过时限 %(due)s") % {"at": answered, "due": n.deadline}
        else:
            note = _("时限 %(due)s，截至 %(asof)s 未反馈") % {
                "due": n.deadline,
                "asof": period.asof,
            }
        facts.append(Fact("notice", n.pk, n.number, ok, note))
    escalations = list(
        Notice.objects.filter(
            unit=unit,
            parent__isnull=False,
            issued_at__date__gte=period.start,
            issued_at__date__lte=period.asof,
        ).order_by("issued_at", "id")
    )
    for n in escalations:
        facts.append(
            Fact(
                "notice",
                n.pk,
                n.number,
                False,
                _("升级督办（%(level)s），扣 %(points)s 分")
                % {"level": n.get_level_display(), "points": _plain(params["escalation_points"])},
            )
        )
    good = sum(f.ok for f in facts)
    return Outcome(
        _ratio(good, len(facts) - len(escalations)),
        {
            "due": len(facts) - len(escalations),
            "on_time": good,
            "escalations": len(escalations),
        },
        facts,
        deduction=params["escalation_points"] * len(escalations),
    )


def month_starts(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s month to ``end``'s month."""
    out, current = [], start.replace(day=1)
    while current <= end:
        out.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return out


def report_due(month: date, due_day: int) -> date:
    """The day a month's progress report is due: ``due_day`` of the following month."""
    following = month + timedelta(days=calendar.monthrange(month.year, month.month)[1])
    return following.replace(day=due_day)


def reports_filed(unit: Unit, period: Period, params: dict) -> Outcome:
    """One report per live milestone and month is expected, due on ``due_day`` of the
    following month; the months whose due day falls in the period (and by ``asof``) are
    judged. A milestone is live in a month from its task's start until the month it was
    done (or cancelled: never). A returned report does not count; its replacement does,
    on the day it was filed."""
    due_day = params["due_day"]
    months = [
        m
        for m in month_starts(period.start - timedelta(days=31), period.asof)
        if period.start <= report_due(m, due_day) <= period.asof
    ]
    facts: list[Fact] = []
    if months:
        first, last = months[0], months[-1]
        milestones = (
            Milestone.objects.filter(unit=unit, task__starts_on__lte=_month_end(last))
            .exclude(status=MilestoneStatus.CANCELLED)
            .filter(Q(done_on__isnull=True) | Q(done_on__gte=first))
            .select_related("task")
            .order_by("id")
        )
        filed: dict[tuple[int, date], date] = {}
        for milestone_id, month, at in (
            ProgressReport.objects.filter(
                unit=unit, milestone__in=milestones, period__gte=first, period__lte=last
            )
            .exclude(status=ReportStatus.RETURNED)
            .values_list("milestone_id", "period", "submitted_at")
        ):
            on = timezone.localdate(at)
            key = (milestone_id, month)
            filed[key] = min(on, filed.get(key, on))
        for m in milestones:
            for month in months:
                if m.task.starts_on > _month_end(month):
                    continue
                if m.done_on is not None and m.done_on < month:
                    continue
                due = report_due(month, due_day)
                day = filed.get((m.pk, month))
                ok = day is not None and day <= due
                if day is None:
                    note = _("%(month)s 未报送（%(due)s 前）") % {
                        "month": f"{month:%Y-%m}",
                        "due": due,
                    }
                elif ok:
                    note = _("%(month)s 于 %(day)s 报送") % {"month": f"{month:%Y-%m}", "day": day}
                else:
                    note = _("%(month)s 于 %(day)s 报送，晚于 %(due)s") % {
                        "month": f"{month:%Y-%m}",
                        "day": day,
                        "due": due,
                    }
                facts.append(Fact("report", m.pk, m.title, ok, note))
    good = sum(f.ok for f in facts)
    return Outcome(
        _ratio(good, len(facts)),
        {"expected": len(facts), "on_time": good, "missing_or_late": len(facts) - good},
        facts,
    )


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def projects_on_schedule(unit: Unit, period: Period, params: dict) -> Outcome:
    """The unit's major projects that were under way in the period (started by ``asof``,
    or due to be completed by it) and not completed before it began: completed by the
    planned date, or, still being built, with an image progress no more than
    ``tolerance_pct`` points behind the straight line from start to planned completion.
    Suspended projects and projects not yet started and not yet due are left out."""
    tolerance = params["tolerance_pct"]
    rows = (
        Project.objects.filter(unit=unit)
        .filter(Q(starts_on__lte=period.asof) | Q(planned_completion_on__lte=period.asof))
        .filter(Q(completed_on__isnull=True) | Q(completed_on__gte=period.start))
        .exclude(stage=ProjectStage.SUSPENDED)
        .order_by("planned_completion_on", "id")
    )
    facts = []
    for p in rows:
        if p.completed_on is not None and p.completed_on <= period.asof:
            ok = p.completed_on <= p.planned_completion_on
            note = _("%(done)s 建成（计划 %(plan)s）") % {
                "done": p.completed_on,
                "plan": p.planned_completion_on,
            }
        elif p.planned_completion_on <= period.asof:
            ok = False
            note = _("计划 %(plan)s 建成，截至 %(asof)s 未建成（形象进度 %(pct)s%%）") % {
                "plan": p.planned_completion_on,
                "asof": period.asof,
                "pct": p.progress_pct,
            }
        else:
            expected = _planned_pct(p.starts_on, p.planned_completion_on, period.asof)
            ok = p.progress_pct + tolerance >= expected
            note = _("形象进度 %(pct)s%%，计划进度 %(expected)s%%") % {
                "pct": p.progress_pct,
                "expected": expected,
            }
        facts.append(Fact("project", p.pk, p.name, ok, note))
    good = sum(f.ok for f in facts)
    return Outcome(_ratio(good, len(facts)), {"projects": len(facts), "on_schedule": good}, facts)


def _planned_pct(start: date | None, end: date, asof: date) -> int:
    if start is None or end <= start:
        return 0
    elapsed = min(max((asof - start).days, 0), (end - start).days)
    return round(100 * elapsed / (end - start).days)


MEASURES: dict[str, Callable[[Unit, Period, dict], Outcome]] = {
    ScoreMeasure.MILESTONES_ON_TIME: milestones_on_time,
    ScoreMeasure.INDICATOR_PROGRESS: indicator_progress,
    ScoreMeasure.NOTICES_ANSWERED: notices_answered,
    ScoreMeasure.REPORTS_FILED: reports_filed,
    ScoreMeasure.PROJECTS_ON_SCHEDULE: projects_on_schedule,
}


# --- scoring ---------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def score_item(rule: ScoringRule, unit: Unit, period: Period) -> dict:
    """One rule's item of a unit's score: points, share, counts and facts, JSON-ready."""
    params = parse_params(rule.measure, rule.params)
    outcome = MEASURES[rule.measure](unit, period, params)
    weight = Decimal(rule.weight)
    if outcome.share is None:
        share = ONE if params["when_none"] == "full" else Decimal(0)
    else:
        share = outcome.share
    points = max(Decimal(0), weight * share - outcome.deduction).quantize(CENTS, ROUND_HALF_UP)
    return {
        "rule": rule.code,
        "name": rule.name,
        "measure": rule.measure,
        "weight": str(weight.quantize(CENTS)),
        "share": str(share.quantize(Decimal("0.0001"), ROUND_HALF_UP)),
        "applicable": outcome.share is not None,
        "deduction": str(outcome.deduction.quantize(CENTS)),
        "points": str(points),
        "counts": outcome.counts,
        "facts": [f.as_dict() for f in outcome.facts],
    }


def check_period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise Invalid(
            [FieldError("period_end", "period_reversed", _("考核期止不能早于考核期起。"))]
        )


def rank(scores: Iterable[Score]) -> None:
    """Competition ranking (1, 2, 2, 4) of ``scores`` by total, per unit kind."""
    by_kind: dict[str, list[Score]] = {}
    for s in scores:
        by_kind.setdefault(s.unit.kind, []).append(s)
    for rows in by_kind.values():
        rows.sort(key=lambda s: (-s.total, s.unit.name))
        for i, s in enumerate(rows):
            s.rank = rows[i - 1].rank if i and rows[i - 1].total == s.total else i + 1


def assess(
    *,
    period_start: date,
    period_end: date,
    today: date,
    units: Iterable[Unit] | None = None,
    actor=None,
) -> list[Score]:
    """Score every bureau and county government (or ``units``) for the period with the
    active rules, replacing the period's earlier scores, and rank them. Idempotent."""
    check_period(period_start, period_end)
    if period_start > today:
        raise Invalid(
            [FieldError("period_start", "period_in_future", _("考核期尚未开始，不能计算得分。"))]
        )
    if actor is not None and not may(actor, Action.CHANGE, ScoringRule):
        raise NotPermitted(_("只有市级管理人员和平台管理员可以计算考核得分。"))
    rules = list(ScoringRule.objects.filter(is_active=True).order_by("code"))
    if not rules:
        raise Invalid([FieldError(None, "no_rules", _("没有启用的考核规则。"))])
    for rule in rules:  # a bad rule refuses the whole run before anything is written
        try:
            parse_params(rule.measure, rule.params)
        except Invalid as exc:
            raise Invalid(
                [FieldError("params", e.code, f"{rule.name}：{e.message}") for e in exc.errors]
            ) from exc
    period = Period(period_start, period_end, min(period_end, today))
    chosen = list(
        Unit.objects.filter(kind__in=ASSESSED_KINDS).order_by("kind", "name")
        if units is None
        else units
    )
    now = timezone.now()
    with transaction.atomic():
        Score.objects.filter(
            period_start=period_start, period_end=period_end, unit__in=chosen
        ).delete()
        scores = []
        for unit in chosen:
            items = [score_item(rule, unit, period) for rule in rules]
            total = sum((Decimal(i["points"]) for i in items), Decimal(0))
            scores.append(
                Score(
                    unit=unit,
                    period_start=period_start,
                    period_end=period_end,
                    total=total,
                    items=items,
                    computed_at=now,
                )
            )
        rank(scores)
        Score.objects.bulk_create(scores)
    return scores


def quarters(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar quarters overlapping [start, end]."""
    out = []
    for month in month_starts(start, end):
        if month.month in (1, 4, 7, 10):
            out.append((month, _month_end(month.replace(month=month.month + 2))))
    first = start.replace(month=3 * ((start.month - 1) // 3) + 1, day=1)
    if first < start:
        out.insert(0, (first, _month_end(first.replace(month=first.month + 2))))
    return out
