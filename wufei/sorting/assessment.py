"""The 以奖代补 assessment of communities: scores under an :class:`AssessmentScheme` whose rules
are data, the ranking, the award, and the .xlsx the urban management bureau sends the counties.

A rule ``{"measure": code, "weight": w, "full_at": f, "zero_at": z}`` gives a community ``w``
points when the measure is at or beyond ``f``, none at or short of ``z``, linearly between
(``f`` may be below ``z`` for a measure where less is better). A measure without a value (no
households registered, no drop checked, no station inspected) earns nothing and says so in the
breakdown. The score is the sum of the points (one decimal); equal scores share a rank; the
award is score × ``award_per_point`` when the score reaches ``pass_score``, else nothing.

:func:`assess` recomputes the scores of a scheme, period and area in one transaction (the rows of
that period and those communities are replaced), so it can be run again after late drops.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import restrict, role_of
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.sorting.measures import MEASURES, Area, Counts, by_community
from wufei.sorting.models import AssessmentScheme, CommunityScore

OFFICIALS = (Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL)
POINTS = Decimal("0.01")
SCORE = Decimal("0.1")
YUAN = Decimal("0.01")


@dataclass(frozen=True)
class Rule:
    measure: str
    weight: Decimal
    full_at: Decimal
    zero_at: Decimal

    def points(self, value: Decimal | None) -> Decimal:
        if value is None:
            return Decimal(0).quantize(POINTS)
        fraction = (value - self.zero_at) / (self.full_at - self.zero_at)
        fraction = min(max(fraction, Decimal(0)), Decimal(1))
        return (self.weight * fraction).quantize(POINTS, rounding=ROUND_HALF_UP)

    @property
    def name(self) -> str:
        return str(MEASURES[self.measure].name)

    @property
    def unit(self) -> str:
        return MEASURES[self.measure].unit


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    return Decimal(str(value))


def rules_of(scheme: AssessmentScheme) -> list[Rule]:
    """The scheme's rules, checked: known measures, positive weights, ``full_at`` ≠ ``zero_at``.
    Refused with ``Invalid`` on the field ``rules`` (codes ``invalid_rules``,
    ``unknown_measure``, ``invalid_rule``)."""
    raw = scheme.rules
    if not isinstance(raw, list) or not raw:
        raise Invalid([FieldError("rules", "invalid_rules", _("评分规则应为非空列表。"))])
    rules, errors = [], []
    for index, item in enumerate(raw, start=1):
        code = item.get("measure") if isinstance(item, dict) else None
        if code not in MEASURES:
            errors.append(
                FieldError(
                    "rules",
                    "unknown_measure",
                    _("第%(n)s条规则的指标“%(code)s”不存在，可用：%(codes)s。")
                    % {"n": index, "code": code, "codes": "、".join(MEASURES)},
                )
            )
            continue
        try:
            rule = Rule(
                code,
                _number(item["weight"]),
                _number(item["full_at"]),
                _number(item["zero_at"]),
            )
        except (KeyError, InvalidOperation, TypeError, ValueError):
            rule = None
        if rule is None or rule.weight <= 0 or rule.full_at == rule.zero_at:
            errors.append(
                FieldError(
                    "rules",
                    "invalid_rule",
                    _("第%(n)s条规则须有正的权重，且满分值与零分值不同。") % {"n": index},
                )
            )
            continue
        rules.append(rule)
    if errors:
        raise Invalid(errors)
    return rules


@dataclass
class Result:
    """One community's score before it is stored."""

    community_id: int
    counts: Counts
    score: Decimal
    breakdown: dict
    rank: int = 0
    award: Decimal = Decimal(0)


def score(rules: Sequence[Rule], counts: Counts) -> tuple[Decimal, dict]:
    """A community's score and its breakdown (measure values and points, as text)."""
    lines, points_total = [], Decimal(0)
    for rule in rules:
        value = MEASURES[rule.measure].value(counts)
        points = rule.points(value)
        points_total += points
        lines.append(
            {
                "measure": rule.measure,
                "value": None if value is None else str(value),
                "points": str(points),
                "weight": str(rule.weight),
                "full_at": str(rule.full_at),
                "zero_at": str(rule.zero_at),
            }
        )
    breakdown = {
        "households_total": counts.households_total,
        "registered": counts.registered,
        "measures": lines,
    }
    return points_total.quantize(SCORE, rounding=ROUND_HALF_UP), breakdown


def rank(results: list[Result]) -> list[Result]:
    """Best first; equal scores share a rank (1, 2, 2, 4)."""
    results.sort(key=lambda r: -r.score)
    previous, current = None, 0
    for index, result in enumerate(results, start=1):
        if result.score != previous:
            current, previous = index, result.score
        result.rank = current
    return results


def award(scheme: AssessmentScheme, points: Decimal) -> Decimal:
    if points < scheme.pass_score:
        return Decimal(0).quantize(YUAN)
    return (points * scheme.award_per_point).quantize(YUAN, rounding=ROUND_HALF_UP)


def _city() -> Region | None:
    return Region.objects.defer("boundary").filter(level=RegionLevel.CITY).order_by("path").first()


def _ensure_may_assess(actor, region: Region) -> None:
    """Officials assess (the system, ``actor`` None, too); a county's officials their county."""
    if actor is None:
        return
    if role_of(actor) not in OFFICIALS:
        raise NotPermitted(_("只有管理人员可以开展以奖代补考核。"))
    home = getattr(actor, "region", None)
    if home is not None and not region.path.startswith(home.path):
        raise NotPermitted(_("只能考核本辖区的小区（村）。"))


def assess(
    *,
    actor,
    scheme: AssessmentScheme,
    start: dt.date,
    end: dt.date,
    region: Region | None = None,
    now: dt.datetime | None = None,
) -> list[CommunityScore]:
    """Score every active community of ``region`` (the city by default) for the period and store
    the scores, ranked within the region; the stored rows, best first."""
    now = now or timezone.now()
    region = region or _city()
    if region is None:
        raise Invalid([FieldError("region", "no_region", _("尚未加载行政区划。"))])
    _ensure_may_assess(actor, region)
    errors = []
    if start > end:
        errors.append(FieldError("period_end", "period_reversed", _("截止日期不能早于起始日期。")))
    if not scheme.is_active:
        errors.append(FieldError("scheme", "scheme_inactive", _("该考核方案已停用。")))
    if errors:
        raise Invalid(errors)
    rules = rules_of(scheme)
    with transaction.atomic():
        communities = Area(region).communities(actor)
        counts = by_community(communities, start, end)
        results = []
        for community_id, c in counts.items():
            points, breakdown = score(rules, c)
            results.append(Result(community_id, c, points, breakdown))
        for result in rank(results):
            result.award = award(scheme, result.score)
        CommunityScore.objects.filter(
            scheme=scheme,
            period_start=start,
            period_end=end,
            community_id__in=communities.order_by().values("pk"),
        ).delete()
        rows = CommunityScore.objects.bulk_create(
            [
                CommunityScore(
                    scheme=scheme,
                    community_id=r.community_id,
                    period_start=start,
                    period_end=end,
                    score=r.score,
                    rank=r.rank,
                    award_yuan=r.award,
                    breakdown=r.breakdown,
                    computed_at=now,
                )
                for r in results
            ]
        )
        log_change(
            actor=actor,
            obj=scheme,
            action="assess",
            data={
                "period": [start.isoformat(), end.isoformat()],
                "region": region.adcode,
                "communities": len(rows),
                "awarded": str(sum((r.award for r in results), Decimal(0))),
            },
        )
    return rows


def score_list(
    *, actor, scheme: AssessmentScheme, start: dt.date, end: dt.date, region: Region | None = None
) -> QuerySet[CommunityScore]:
    """The stored scores of a scheme and period the actor may see (in ``region``), by rank."""
    rows = CommunityScore.objects.filter(scheme=scheme, period_start=start, period_end=end)
    if region is not None:
        rows = rows.filter(community__region__path__startswith=region.path)
    rows = rows.select_related("community__region__parent").defer(
        "community__region__boundary", "community__region__parent__boundary"
    )
    return restrict(rows, actor, Action.VIEW).order_by("rank", "community__name")


def periods(*, actor, scheme: AssessmentScheme) -> list[tuple[dt.date, dt.date]]:
    """The periods a scheme has stored scores for, latest first."""
    rows = restrict(CommunityScore.objects.filter(scheme=scheme), actor, Action.VIEW)
    pairs = rows.order_by("-period_end", "-period_start").values_list("period_start", "period_end")
    return list(dict.fromkeys(pairs))


# --- the workbook -------------------------------------------------------------------------------


def _county_street(score_row: CommunityScore) -> tuple[str, str]:
    street = score_row.community.region
    county = street.parent if street.level == RegionLevel.TOWN else street
    return (county.name if county else "", street.name if street.level == RegionLevel.TOWN else "")


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def header(rules: Sequence[Rule]) -> list[str]:
    out = [
        _("序号"),
        _("县（市、区）"),
        _("街道（乡镇）"),
        _("小区（村）"),
        _("常住户数"),
        _("登记户数"),
    ]
    for rule in rules:
        out += [f"{rule.name}（{rule.unit}）", _("%(name)s得分") % {"name": rule.name}]
    return [*out, _("总分"), _("排名"), _("奖补金额（元）")]


def row_values(index: int, rules: Sequence[Rule], row: CommunityScore) -> list[Any]:
    county, street = _county_street(row)
    lines = {line["measure"]: line for line in row.breakdown.get("measures", [])}
    out: list[Any] = [
        index,
        county,
        street,
        row.community.name,
        row.breakdown.get("households_total"),
        row.breakdown.get("registered"),
    ]
    for rule in rules:
        line = lines.get(rule.measure, {})
        out += [_decimal(line.get("value")), _decimal(line.get("points"))]
    return [*out, row.score, row.rank, row.award_yuan]


def _period_text(start: dt.date, end: dt.date) -> str:
    return _("%(start)s至%(end)s") % {
        "start": f"{start.year}年{start.month}月{start.day}日",
        "end": f"{end.year}年{end.month}月{end.day}日",
    }


def workbook(
    *,
    scheme: AssessmentScheme,
    start: dt.date,
    end: dt.date,
    scores: Sequence[CommunityScore],
    region: Region | None = None,
) -> bytes:
    """The results as the bureau sends them: sheet 考核结果 (title, period, one row per community
    with each measure's value and points, total, rank, award, and the total award) and sheet
    评分规则 (the scheme's rules, pass score and award per point, the measures' definitions)."""
    rules = rules_of(scheme)
    book = Workbook()
    sheet = book.active
    sheet.title = _("考核结果")
    columns = header(rules)
    width = len(columns)
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DCE6F1")
    area = region.name if region is not None else ""
    sheet.append([_("%(area)s%(scheme)s考核结果") % {"area": area, "scheme": scheme.name}])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    computed = max((s.computed_at for s in scores), default=None)
    note = _("考核期：%(period)s　　奖补起点分：%(pass)s分　　每分奖补：%(yuan)s元") % {
        "period": _period_text(start, end),
        "pass": scheme.pass_score,
        "yuan": scheme.award_per_point,
    }
    if computed is not None:
        note += _("　　计算时间：%(t)s") % {"t": f"{timezone.localtime(computed):%Y-%m-%d %H:%M}"}
    sheet.append([note])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(columns)
    for cell in sheet[3]:
        cell.font, cell.fill, cell.border = bold, fill, box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, row in enumerate(scores, start=1):
        sheet.append(row_values(index, rules, row))
        for cell in sheet[sheet.max_row]:
            cell.border = box
    total_award = sum((s.award_yuan for s in scores), Decimal(0))
    awarded = sum(1 for s in scores if s.award_yuan > 0)
    summary = _("%(n)s个小区（村），%(a)s个获得奖补") % {"n": len(scores), "a": awarded}
    sheet.append([_("合计"), "", "", summary] + [""] * (width - 5) + [total_award])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.border = bold, box
    widths = [6, 14, 16, 20, 10, 10] + [12, 10] * len(rules) + [8, 6, 14]
    for index, value in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = value
    sheet.row_dimensions[3].height = 32
    sheet.freeze_panes = "E4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    rules_sheet = book.create_sheet(_("评分规则"))
    rules_sheet.append([_("%(scheme)s评分规则") % {"scheme": scheme.name}])
    rules_sheet["A1"].font = Font(bold=True, size=14)
    rules_sheet.append(
        [_("指标"), _("代码"), _("权重（分）"), _("满分值"), _("零分值"), _("单位"), _("指标定义")]
    )
    for cell in rules_sheet[2]:
        cell.font, cell.fill, cell.border = bold, fill, box
    for rule in rules:
        measure = MEASURES[rule.measure]
        rules_sheet.append(
            [
                rule.name,
                rule.measure,
                rule.weight,
                rule.full_at,
                rule.zero_at,
                rule.unit,
                str(measure.definition),
            ]
        )
    rules_sheet.append([])
    rules_sheet.append(
        [
            _(
                "计分方法：指标值达到满分值得全部权重分，不高于零分值（满分值低于零分值时为不低于）"
                "得0分，其间按线性插值；无数据的指标得0分。总分为各项得分之和（保留一位小数）。"
            )
        ]
    )
    rules_sheet.append(
        [
            _(
                "奖补：总分达到%(pass)s分的小区（村）按每分%(yuan)s元计算奖补金额；未达到的不予奖补。"
            )
            % {"pass": scheme.pass_score, "yuan": scheme.award_per_point}
        ]
    )
    period = _period_text(start, end)
    rules_sheet.append(
        [_("考核年度：%(year)s；考核期：%(period)s") % {"year": scheme.year, "period": period}]
    )
    for column, value in zip("ABCDEFG", (20, 26, 12, 10, 10, 8, 70), strict=True):
        rules_sheet.column_dimensions[column].width = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
