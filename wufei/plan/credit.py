"""Enterprise environmental credit (企业环境信用评价): a score per party and year from its record.

The convention is the national 《企业环境信用评价办法（试行）》 (环发〔2013〕150号): four
levels shown as colours — green (环保诚信), blue (环保良好), yellow (环保警示), red
(环保不良) — to which the provinces add black (严重失信). The platform scores by deduction
(记分制): the party starts at ``scheme.start`` points; every :class:`CreditRule` counts
occurrences in the party's record for the year and deducts (negative ``points``) or adds
(positive) per occurrence, at most ``cap`` in all; the total sets the level by the
thresholds of ``data/credit-rules.json``, and any occurrence of a rule marked ``black``
makes the party black whatever its points.

Each rule's ``params.counter`` names what it counts (:data:`COUNTERS`), so the items are
data: an office adds a rule on critical alerts of one kind by writing a row, not code. Every
occurrence is kept in the score's items with its record's type and id, so each deduction
can be shown and followed to the alert, finding, order or declaration behind it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.alerts.choices import Rule, Severity
from wufei.alerts.models import Alert
from wufei.cases.models import (
    DumpSiteKind,
    Finding,
    InspectionStatus,
    RectificationOrder,
    Reinspection,
)
from wufei.cases.models import Severity as FindingSeverity
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.plan.choices import CreditLevel
from wufei.plan.models import CreditRule, CreditScore
from wufei.registry.models import Party
from wufei.stats.choices import DeclarationStatus
from wufei.stats.declaration_kinds import ANNUAL, KINDS, PARTY
from wufei.stats.models import Declaration

RULES_FILE = Path(__file__).parent / "data" / "credit-rules.json"
POINTS_LIMIT = Decimal(100)
CENTS = Decimal("0.01")


# --- the level scheme (data) -----------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """Points to start from and the level thresholds, best first (``levels``: (level,
    lowest score)); below the last threshold ``below``; ``black`` for a serious item."""

    start: Decimal
    levels: tuple[tuple[str, Decimal], ...]
    below: str
    black: str
    source: str

    def level_of(self, score: Decimal, *, blacklisted: bool) -> str:
        if blacklisted:
            return self.black
        for level, lowest in self.levels:
            if score >= lowest:
                return level
        return self.below


def load_scheme(path: Path = RULES_FILE) -> Scheme:
    spec = json.loads(path.read_text(encoding="utf-8"))
    raw = spec["scheme"]
    levels = tuple((level, Decimal(lowest)) for level, lowest in raw["levels"])
    names = {level for level, _lowest in levels} | {raw["below"], raw["black"]}
    if not names <= set(CreditLevel.values) or list(levels) != sorted(
        levels, key=lambda lv: -lv[1]
    ):
        raise ValueError(f"{path}: levels must be credit levels with descending thresholds")
    return Scheme(Decimal(raw["start"]), levels, raw["below"], raw["black"], spec["source"])


SCHEME = load_scheme()


# --- counters: what a rule counts ------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One record that a rule counts against (or for) a party."""

    type: str  # alert, finding, order, reinspection, declaration
    id: int | None
    label: str
    on: date
    note: str = ""

    def as_dict(self) -> dict:
        out = {"type": self.type, "id": self.id, "label": self.label, "on": self.on.isoformat()}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Window:
    year: int
    start: date
    asof: date  # the last day judged: 31 December, or today for the current year

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.asof, time.max, tzinfo=tz),
        )


Counted = dict[int | None, list[Occurrence]]  # by party id (never None in practice)


def _choices(allowed: Iterable[str]) -> Callable[[Any], list[str]]:
    allowed = set(allowed)

    def parse(value: Any) -> list[str]:
        if not isinstance(value, list) or not value or not all(v in allowed for v in value):
            raise ValueError
        return list(value)

    return parse


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError
        return value

    return parse


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _month_day(value: Any) -> tuple[int, int]:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        date(2001, month, day)  # a valid day of a common year
    except (TypeError, ValueError) as exc:
        raise ValueError from exc
    return month, day


def count_alerts(parties: list[int], window: Window, params: dict) -> Counted:
    """Alerts owned by the party opened in the year, of the listed rules (or all but the
    excluded ones) and severities. Alerts resolved as false alarms still count: the
    platform has no such outcome yet (see the report)."""
    start, end = window.bounds()
    rows = Alert.objects.filter(party_id__in=parties, opened_at__gte=start, opened_at__lte=end)
    if params.get("rules"):
        rows = rows.filter(rule__in=params["rules"])
    if params.get("exclude_rules"):
        rows = rows.exclude(rule__in=params["exclude_rules"])
    if params.get("severities"):
        rows = rows.filter(severity__in=params["severities"])
    out: Counted = defaultdict(list)
    for a in rows.order_by("opened_at", "id"):
        out[a.party_id].append(
            Occurrence(
                "alert",
                a.pk,
                f"{a.get_rule_display()} · {a.subject_label}",
                timezone.localdate(a.opened_at),
                f"{a.get_severity_display()}：{a.message}",
            )
        )
    return out


def _submitted_findings(parties: list[int], window: Window):
    return Finding.objects.filter(
        inspection__party_id__in=parties,
        inspection__status=InspectionStatus.SUBMITTED,
        inspection__inspected_on__gte=window.start,
        inspection__inspected_on__lte=window.asof,
    ).select_related("inspection")


def count_findings(parties: list[int], window: Window, params: dict) -> Counted:
    """Findings of the party's submitted inspections in the year, of the given severities."""
    out: Counted = defaultdict(list)
    rows = _submitted_findings(parties, window).filter(severity__in=params["severities"])
    for f in rows.order_by("inspection__inspected_on", "id"):
        out[f.inspection.party_id].append(
            Occurrence(
                "finding",
                f.pk,
                f.description[:60],
                f.inspection.inspected_on,
                str(f.get_severity_display()),
            )
        )
    return out


def count_dumping(parties: list[int], window: Window, params: dict) -> Counted:
    """Serious findings of submitted inspections at a storage yard or informal landfill
    of the register, counted against the inspected party or the site's responsible party:
    dumping confirmed on the spot, not merely suspected from GPS tracks."""
    out: Counted = defaultdict(list)
    rows = (
        Finding.objects.filter(
            inspection__status=InspectionStatus.SUBMITTED,
            inspection__inspected_on__gte=window.start,
            inspection__inspected_on__lte=window.asof,
            inspection__dump_site__isnull=False,
            severity=FindingSeverity.SERIOUS,
        )
        .filter(
            Q(inspection__party_id__in=parties) | Q(inspection__dump_site__party_id__in=parties)
        )
        .select_related("inspection__dump_site")
    )
    for f in rows.order_by("inspection__inspected_on", "id"):
        site = f.inspection.dump_site
        if site is None:  # filtered out by the query
            continue
        owners: set[int] = {f.inspection.party_id, site.party_id} & set(parties)  # type: ignore[assignment]
        kind = DumpSiteKind(site.kind).label
        for party_id in sorted(owners):
            out[party_id].append(
                Occurrence(
                    "finding",
                    f.pk,
                    f.description[:60],
                    f.inspection.inspected_on,
                    f"{kind}：{site.name}",
                )
            )
    return out


def count_orders_overdue(parties: list[int], window: Window, params: dict) -> Counted:
    """Rectification orders of the party whose deadline passed in the year (before
    ``asof``) without the rectification being reported by then."""
    out: Counted = defaultdict(list)
    rows = RectificationOrder.objects.filter(
        party_id__in=parties, deadline__gte=window.start, deadline__lt=window.asof
    ).order_by("deadline", "id")
    for o in rows:
        reported = timezone.localdate(o.reported_at) if o.reported_at else None
        if reported is not None and reported <= o.deadline:
            continue
        note = (
            _("期限 %(due)s，%(at)s 才报整改完成") % {"due": o.deadline, "at": reported}
            if reported is not None and reported <= window.asof
            else _("期限 %(due)s，未报整改完成") % {"due": o.deadline}
        )
        out[o.party_id].append(Occurrence("order", o.pk, o.number, o.deadline, note))
    return out


def count_orders_failed(parties: list[int], window: Window, params: dict) -> Counted:
    """Failed re-inspections of the party's rectification orders in the year."""
    out: Counted = defaultdict(list)
    rows = (
        Reinspection.objects.filter(
            order__party_id__in=parties,
            passed=False,
            inspected_on__gte=window.start,
            inspected_on__lte=window.asof,
        )
        .select_related("order")
        .order_by("inspected_on", "id")
    )
    for r in rows:
        out[r.order.party_id].append(
            Occurrence("order", r.order_id, r.order.number, r.inspected_on, r.note[:120])
        )
    return out


def count_declarations(parties: list[int], window: Window, params: dict) -> Counted:
    """The annual declarations of the previous year, due on ``due`` (MM-DD) of the
    evaluated year: ``count: late`` counts those submitted after the due day, ``missing``
    those not submitted by ``asof`` from parties that declared the kind before (a party
    that never declared is not known to owe one). Judged only once the due day passed."""
    month, day = params["due"]
    due = date(window.year, month, day)
    out: Counted = defaultdict(list)
    if window.asof <= due:
        return out
    declared = window.year - 1
    for code in params["kinds"]:
        kind = KINDS[code]
        first: dict[int, date | None] = {}
        for party_id, at in Declaration.objects.filter(
            kind=code,
            party_id__in=parties,
            period_start=date(declared, 1, 1),
            period_end=date(declared, 12, 31),
        ).values_list("party_id", "submitted_at"):
            on = timezone.localdate(at) if at is not None else None
            if on is not None and on <= window.asof:
                earlier = first.get(party_id)
                first[party_id] = on if earlier is None else min(earlier, on)
            else:
                first.setdefault(party_id, None)
        label = _("%(year)s年度%(kind)s申报") % {"year": declared, "kind": kind.label}
        if params["count"] == "late":
            for party_id, on in first.items():
                if on is not None and on > due:
                    out[party_id].append(
                        Occurrence(
                            "declaration",
                            None,
                            label,
                            on,
                            _("%(on)s 提交，晚于 %(due)s") % {"on": on, "due": due},
                        )
                    )
            continue
        known = set(
            Declaration.objects.filter(
                kind=code,
                party_id__in=parties,
                period_end__lt=date(declared, 1, 1),
                status__in=(DeclarationStatus.SUBMITTED, DeclarationStatus.ACCEPTED),
            ).values_list("party_id", flat=True)
        )
        for party_id in sorted(known):
            if first.get(party_id) is None:
                out[party_id].append(
                    Occurrence(
                        "declaration",
                        None,
                        label,
                        due,
                        _("应于 %(due)s 前提交，截至 %(asof)s 未提交")
                        % {"due": due, "asof": window.asof},
                    )
                )
    return out


@dataclass(frozen=True)
class Counter:
    count: Callable[[list[int], Window, dict], Counted]
    params: dict[str, Callable[[Any], Any]]
    required: tuple[str, ...] = ()


_ALERT_PARAMS = {
    "rules": _choices(Rule.values),
    "exclude_rules": _choices(Rule.values),
    "severities": _choices(Severity.values),
}
_ANNUAL_PARTY_KINDS = [
    k.code for k in KINDS.values() if k.declarant == PARTY and ANNUAL in k.periods
]
COUNTERS: dict[str, Counter] = {
    "alerts": Counter(count_alerts, _ALERT_PARAMS),
    "findings": Counter(
        count_findings, {"severities": _choices(FindingSeverity.values)}, ("severities",)
    ),
    "dumping": Counter(count_dumping, {}),
    "orders_overdue": Counter(count_orders_overdue, {}),
    "orders_failed": Counter(count_orders_failed, {}),
    "declarations": Counter(
        count_declarations,
        {
            "kinds": _choices(_ANNUAL_PARTY_KINDS),
            "due": _month_day,
            "count": _one_of(("late", "missing")),
        },
        ("kinds", "due", "count"),
    ),
}
COMMON_PARAMS = {"counter", "black"}


def parse_params(params: Any) -> dict[str, Any]:
    """A credit rule's parameters checked: a known ``counter``, only the names it accepts,
    valid values, required ones present; ``black`` a boolean."""
    if not isinstance(params, dict):
        raise Invalid([FieldError("params", "params_not_object", _("参数应为 JSON 对象。"))])
    counter = COUNTERS.get(params.get("counter"))  # type: ignore[arg-type]
    if counter is None:
        raise Invalid(
            [
                FieldError(
                    "params",
                    "unknown_counter",
                    _("参数 counter 应为以下之一：%(names)s。") % {"names": "、".join(COUNTERS)},
                )
            ]
        )
    errors = []
    parsed: dict[str, Any] = {"counter": params["counter"], "black": False}
    for name, value in params.items():
        if name == "counter":
            continue
        parse = _flag if name == "black" else counter.params.get(name)
        if parse is None:
            errors.append(
                FieldError(
                    "params",
                    "unknown_param",
                    _("计数方式“%(counter)s”没有参数“%(name)s”；可用参数：%(names)s。")
                    % {
                        "counter": params["counter"],
                        "name": name,
                        "names": "、".join([*counter.params, "black"]),
                    },
                )
            )
            continue
        try:
            parsed[name] = parse(value)
        except (ValueError, TypeError):
            errors.append(
                FieldError(
                    "params",
                    "bad_param",
                    _("参数“%(name)s”的值“%(value)s”无效。") % {"name": name, "value": value},
                )
            )
    errors += [
        FieldError("params", "missing_param", _("缺少参数“%(name)s”。") % {"name": name})
        for name in counter.required
        if name not in params
    ]
    if errors:
        raise Invalid(errors)
    return parsed


def _decimal(value: Any, field_name: str, *, signed: bool) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    low = -POINTS_LIMIT if signed else Decimal(0)
    if not number.is_finite() or not low <= number <= POINTS_LIMIT:
        message = (
            _("每次分值应为 -100 到 100 之间的数（负数为扣分）。")
            if signed
            else _("封顶分值应为 0 到 100 之间的数。")
        )
        raise Invalid([FieldError(field_name, f"bad_{field_name}", message)])
    return number.quantize(CENTS)


def check_rule(points: Any, cap: Any, params: Any) -> tuple[Decimal, Decimal, dict]:
    """Points, cap and params of a credit rule, validated together (every error at once)."""
    errors: list[FieldError] = []
    checked: list[Any] = []
    for step in (
        lambda: _decimal(points, "points", signed=True),
        lambda: _decimal(cap, "cap", signed=False),
        lambda: parse_params(params),
    ):
        try:
            checked.append(step())
        except Invalid as exc:
            errors += exc.errors
            checked.append(None)
    if errors:
        raise Invalid(errors)
    return checked[0], checked[1], params


# --- rules as data ---------------------------------------------------------------------------


def load_credit_rules(*, replace: bool = False, path: Path = RULES_FILE) -> int:
    """Create the shipped credit rules that are missing (``replace``: overwrite them)."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    with transaction.atomic():
        for row in spec["rules"]:
            points, cap, params = check_rule(row["points"], row["cap"], row["params"])
            fields = {
                "name": row["name"],
                "points": points,
                "cap": cap,
                "params": params,
                "description": row.get("description", ""),
            }
            if replace:
                CreditRule.objects.update_or_create(code=row["code"], defaults=fields)
                count += 1
            elif not CreditRule.objects.filter(code=row["code"]).exists():
                CreditRule.objects.create(code=row["code"], **fields)
                count += 1
    return count


def credit_rule_update(
    *, actor, rule: CreditRule, points: Any, cap: Any, params: Any, is_active: bool
) -> CreditRule:
    """An official of the city changes a credit rule; validated before anything is written."""
    if not may(actor, Action.CHANGE, CreditRule):
        raise NotPermitted(_("只有市级管理人员和平台管理员可以修改信用评价规则。"))
    if isinstance(params, str):
        try:
            params = json.loads(params or "{}")
        except json.JSONDecodeError as exc:
            raise Invalid(
                [FieldError("params", "params_not_json", _("参数不是有效的 JSON。"))]
            ) from exc
    checked_points, checked_cap, checked_params = check_rule(points, cap, params)
    with transaction.atomic():
        locked = CreditRule.objects.select_for_update().get(pk=rule.pk)
        locked.points, locked.cap = checked_points, checked_cap
        locked.params, locked.is_active = checked_params, bool(is_active)
        locked.save()
        log_change(actor=actor, obj=locked, action="update")
    return locked


# --- evaluation ------------------------------------------------------------------------------


def enterprises() -> Iterable[Party]:
    """The parties evaluated: active enterprises that generate, collect, carry or receive
    waste (not communities, not authorities)."""
    return (
        Party.objects.filter(is_active=True, is_community=False, is_regulator=False)
        .filter(
            Q(is_generator=True)
            | Q(is_collector=True)
            | Q(is_transporter=True)
            | Q(is_receiver=True)
        )
        .order_by("pk")
    )


def window_of(year: Any, today: date) -> Window:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= today.year:
        raise Invalid(
            [
                FieldError(
                    "year",
                    "bad_year",
                    _("评价年度应在2000年至%(this)s年之间。") % {"this": today.year},
                )
            ]
        )
    return Window(year, date(year, 1, 1), min(date(year, 12, 31), today))


def rule_item(rule: CreditRule, params: dict, occurrences: list[Occurrence]) -> dict:
    raw = rule.points * len(occurrences)
    effect = max(-rule.cap, min(rule.cap, raw))
    return {
        "rule": rule.code,
        "name": rule.name,
        "points": str(rule.points),
        "cap": str(rule.cap),
        "count": len(occurrences),
        "effect": str(effect.quantize(CENTS)),
        "capped": effect != raw,
        "black": params.get("black", False) and bool(occurrences),
        "occurrences": [o.as_dict() for o in occurrences],
    }


def credit_evaluate(
    *, year: Any, today: date, parties: Iterable[Party] | None = None, actor=None
) -> list[CreditScore]:
    """Evaluate every enterprise (or ``parties``) for ``year`` with the active rules,
    replacing their scores of that year. Items list every occurrence; only rules with
    occurrences appear. Idempotent."""
    window = window_of(year, today)
    if actor is not None and not may(actor, Action.CHANGE, CreditRule):
        raise NotPermitted(_("只有市级管理人员和平台管理员可以开展信用评价。"))
    rules = list(CreditRule.objects.filter(is_active=True).order_by("code"))
    checked = []
    for rule in rules:
        try:
            checked.append((rule, parse_params(rule.params)))
        except Invalid as exc:
            raise Invalid(
                [FieldError("params", e.code, f"{rule.name}：{e.message}") for e in exc.errors]
            ) from exc
    chosen = list(enterprises() if parties is None else parties)
    ids = [p.pk for p in chosen]
    counted = [
        (rule, params, COUNTERS[params["counter"]].count(ids, window, params))
        for rule, params in checked
    ]
    now = timezone.now()
    scores = []
    for party in chosen:
        items = [
            rule_item(rule, params, found[party.pk])
            for rule, params, found in counted
            if found.get(party.pk)
        ]
        total = SCHEME.start + sum((Decimal(i["effect"]) for i in items), Decimal(0))
        total = max(Decimal(0), min(SCHEME.start, total))
        scores.append(
            CreditScore(
                party=party,
                year=window.year,
                score=total,
                level=SCHEME.level_of(total, blacklisted=any(i["black"] for i in items)),
                items=items,
                computed_at=now,
            )
        )
    with transaction.atomic():
        CreditScore.objects.filter(year=window.year, party_id__in=ids).delete()
        CreditScore.objects.bulk_create(scores, batch_size=500)
    return scores
