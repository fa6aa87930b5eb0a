"""Results of the satisfaction survey (群众满意度调查), per county and for the city.

For a period (a quarter or a year, in local time) and each of the five dimensions
(认知度 awareness, 参与度 participation, 满意度 satisfaction, 获得感 gain, 信心度 confidence):

- responses: the answers given in the period;
- mean: the sum of the scores (1–5) ÷ responses;
- index (0–100): mean × 20 (= sum × 20 ÷ responses);
- share satisfied: answers scoring 4 or 5 ÷ responses, as a percentage.

The overall index of a row is the mean of its five indices. The city row counts every answer
of the counties shown (it is not the mean of the county means).

``year_values(year)`` feeds the indicator engine: per county with at least one answer in the
year, ``('survey_responses', county_id)`` and ``('survey_<dimension>_sum', county_id)``; the
engine's measures turn them into the 群众获得感 indices (index = sum ÷ responses × 20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.outreach.models import SurveyDimension, SurveyResponse
from wufei.outreach.services import DIMENSIONS, month_start, survey_regions
from wufei.registry.models import Region

SATISFIED = 4  # scores 4 and 5 count as satisfied

# The questionnaire: one plain question per dimension, its answers from 1 (lowest) to 5.
QUESTIONS: dict[str, tuple] = {
    SurveyDimension.AWARENESS: (
        gettext_lazy("您对许昌“无废城市”建设了解吗？"),
        (
            gettext_lazy("完全不了解"),
            gettext_lazy("不太了解"),
            gettext_lazy("听说过一些"),
            gettext_lazy("比较了解"),
            gettext_lazy("非常了解"),
        ),
    ),
    SurveyDimension.PARTICIPATION: (
        gettext_lazy("您参加垃圾分类、旧物回收、“光盘行动”这些活动吗？"),
        (
            gettext_lazy("从不参加"),
            gettext_lazy("很少参加"),
            gettext_lazy("有时参加"),
            gettext_lazy("经常参加"),
            gettext_lazy("每次都参加"),
        ),
    ),
    SurveyDimension.SATISFACTION: (
        gettext_lazy("您对身边垃圾的收集、清运和环境卫生满意吗？"),
        (
            gettext_lazy("很不满意"),
            gettext_lazy("不太满意"),
            gettext_lazy("一般"),
            gettext_lazy("比较满意"),
            gettext_lazy("非常满意"),
        ),
    ),
    SurveyDimension.GAIN: (
        gettext_lazy("“无废城市”建设让您身边的环境变好了吗？"),
        (
            gettext_lazy("没有变化"),
            gettext_lazy("变化很小"),
            gettext_lazy("好了一些"),
            gettext_lazy("明显变好"),
            gettext_lazy("好了很多"),
        ),
    ),
    SurveyDimension.CONFIDENCE: (
        gettext_lazy("您对许昌建成“无废城市”有信心吗？"),
        (
            gettext_lazy("没有信心"),
            gettext_lazy("信心不足"),
            gettext_lazy("说不好"),
            gettext_lazy("比较有信心"),
            gettext_lazy("非常有信心"),
        ),
    ),
}
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def period_bounds(year: int, quarter: int | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a year or of one of its quarters (1-4), local midnight, aware."""
    if quarter is None:
        return month_start(year, 1), month_start(year + 1, 1)
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter}")
    first = (quarter - 1) * 3 + 1
    end = month_start(year + 1, 1) if quarter == 4 else month_start(year, first + 3)
    return month_start(year, first), end


def period_label(year: int, quarter: int | None = None) -> str:
    if quarter is None:
        return _("%(year)s年") % {"year": year}
    return _("%(year)s年第%(q)s季度") % {"year": year, "q": quarter}


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    total: int  # the sum of the scores
    satisfied: int  # answers scoring 4 or 5
    responses: int

    @property
    def mean(self) -> Decimal | None:
        if not self.responses:
            return None
        return _round(Decimal(self.total) / self.responses, TWO_PLACES)

    @property
    def index(self) -> Decimal | None:
        if not self.responses:
            return None
        return _round(Decimal(self.total) * 20 / self.responses, ONE_PLACE)

    @property
    def share(self) -> Decimal | None:
        """Percentage of answers scoring 4 or 5."""
        if not self.responses:
            return None
        return _round(Decimal(self.satisfied) * 100 / self.responses, ONE_PLACE)


@dataclass(frozen=True)
class Row:
    region: Region | None  # None: the whole city
    name: str
    responses: int
    dimensions: tuple[Dimension, ...]

    @property
    def overall_index(self) -> Decimal | None:
        if not self.responses:
            return None
        total = sum((Decimal(d.total) for d in self.dimensions), Decimal(0))
        return _round(total * 20 / (self.responses * len(self.dimensions)), ONE_PLACE)

    def dimension(self, code: str) -> Dimension:
        return next(d for d in self.dimensions if d.code == code)


def _aggregates() -> dict:
    out: dict = {"responses": Count("pk")}
    for code in DIMENSIONS:
        out[f"{code}_sum"] = Sum(code)
        out[f"{code}_satisfied"] = Count("pk", filter=Q(**{f"{code}__gte": SATISFIED}))
    return out


def _row(region: Region | None, name: str, values: dict) -> Row:
    responses = values.get("responses") or 0
    labels = dict(SurveyDimension.choices)
    return Row(
        region=region,
        name=name,
        responses=responses,
        dimensions=tuple(
            Dimension(
                code=code,
                label=str(labels[code]),
                total=values.get(f"{code}_sum") or 0,
                satisfied=values.get(f"{code}_satisfied") or 0,
                responses=responses,
            )
            for code in DIMENSIONS
        ),
    )


def results(
    responses: QuerySet[SurveyResponse] | None = None,
    *,
    start: datetime,
    end: datetime,
    counties: QuerySet[Region] | None = None,
    city: bool = True,
) -> list[Row]:
    """One row per county (every county, with or without answers), then the city's row.

    ``responses`` are the answers to count (default: all; the officials' page passes the
    actor's), ``counties`` the rows to show (default: every county and zone).
    """
    rows = (responses if responses is not None else SurveyResponse.objects.all()).filter(
        submitted_at__gte=start, submitted_at__lt=end
    )
    counties = counties if counties is not None else survey_regions()
    county_list = list(counties)
    by_region = {
        item.pop("region"): item
        for item in rows.filter(region__in=[c.pk for c in county_list])
        .order_by()
        .values("region")
        .annotate(**_aggregates())
    }
    out = [_row(c, c.name, by_region.get(c.pk, {})) for c in county_list]
    if city:
        totals = rows.filter(region__in=[c.pk for c in county_list]).aggregate(**_aggregates())
        out.append(_row(None, _("全市"), totals))
    return out


def year_values(year: int) -> dict[tuple[str, int], Decimal]:
    """``(measure code, county id) → value`` for the indicator engine: the answers of the
    local calendar year per county, and the sum of each dimension's scores."""
    start, end = period_bounds(year)
    aggregates = {"responses": Count("pk"), **{f"{c}_sum": Sum(c) for c in DIMENSIONS}}
    out: dict[tuple[str, int], Decimal] = {}
    for item in (
        SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .order_by()
        .values("region")
        .annotate(**aggregates)
    ):
        county = item["region"]
        out[("survey_responses", county)] = Decimal(item["responses"])
        for code in DIMENSIONS:
            out[(f"survey_{code}_sum", county)] = Decimal(item[f"{code}_sum"] or 0)
    return out
