"""The published measures of household sorting (issue item 5): registration, participation,
accuracy, kitchen-waste separation (分出率), recyclables recovered and the stations' inspection
score, for a community, a street (town), a county or the city, over a day, week, month, quarter
or year.

Each measure is declared once (:data:`MEASURE_LIST`): its code, Chinese name, unit, the
definition shown on the page and in the docs, how it is computed from a community's
:class:`Counts`, and its lineage (the lists of the rows behind it). Figures come from a
handful of grouped queries per call, never one per community:

- the communities (active ones in the area) and their households on record (常住户数);
- the households registered by the end of the period (``Household.registered_on``, active),
  and how many of them dropped in the period (one ``EXISTS`` probe of the drops' index
  ``household, dropped_at`` per household): a household dropping on several days, or at
  another community's station, is one household of its own community;
- the drops, checks, correct drops and kilograms per class, from the daily rollup
  (:class:`CommunityDay`, rebuilt by ``wufei sorting-rollup``);
- the stations' inspection scores (:class:`StationCheck`).

Days are local days (Asia/Shanghai): a period runs from local midnight of its first day to
local midnight after its last. A rate whose denominator is zero is ``None`` (no data), not 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.iot.choices import WasteClass
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.sorting.models import Community, CommunityDay, Drop, Household, StationCheck
from wufei.sorting.rollup import during, hundredths, local_zone

# --- periods ------------------------------------------------------------------------------------

DAY, WEEK, MONTH, QUARTER, YEAR = "day", "week", "month", "quarter", "year"
PERIOD_KINDS = {
    DAY: gettext_lazy("日"),
    WEEK: gettext_lazy("周"),
    MONTH: gettext_lazy("月"),
    QUARTER: gettext_lazy("季度"),
    YEAR: gettext_lazy("年"),
}
KEY_PATTERNS = {
    DAY: re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    WEEK: re.compile(r"^(\d{4})-W(\d{1,2})$"),
    MONTH: re.compile(r"^(\d{4})-(\d{1,2})$"),
    QUARTER: re.compile(r"^(\d{4})-Q([1-4])$"),
    YEAR: re.compile(r"^(\d{4})$"),
}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Period:
    """A calendar period of local days, ``start`` to ``end`` inclusive."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind == DAY:
            return cls(DAY, day, day)
        if kind == WEEK:
            monday = day - dt.timedelta(days=day.weekday())
            return cls(WEEK, monday, monday + dt.timedelta(days=6))
        if kind == MONTH:
            return cls(MONTH, day.replace(day=1), _month_end(day.year, day.month))
        if kind == QUARTER:
            first = 3 * ((day.month - 1) // 3) + 1
            return cls(QUARTER, dt.date(day.year, first, 1), _month_end(day.year, first + 2))
        if kind == YEAR:
            return cls(YEAR, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
        raise ValueError(f"unknown period kind {kind!r}")

    @classmethod
    def parse(cls, key: str) -> Period:
        """A period from its key: 2024-05-03, 2024-W19 (ISO week), 2024-05, 2024-Q2, 2024."""
        key = (key or "").strip()
        for kind, pattern in KEY_PATTERNS.items():
            match = pattern.match(key)
            if not match:
                continue
            numbers = [int(g) for g in match.groups()]
            if kind == DAY:
                return cls.containing(DAY, dt.date(*numbers))
            if kind == WEEK:
                return cls.containing(WEEK, dt.date.fromisocalendar(numbers[0], numbers[1], 1))
            if kind == MONTH:
                return cls.containing(MONTH, dt.date(numbers[0], numbers[1], 1))
            if kind == QUARTER:
                return cls.containing(QUARTER, dt.date(numbers[0], 3 * numbers[1] - 2, 1))
            return cls.containing(YEAR, dt.date(numbers[0], 1, 1))
        raise ValueError(f"not a period key: {key!r}")

    @property
    def key(self) -> str:
        if self.kind == DAY:
            return self.start.isoformat()
        if self.kind == WEEK:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        s = self.start
        if self.kind == DAY:
            return _("%(y)s年%(m)s月%(d)s日") % {"y": s.year, "m": s.month, "d": s.day}
        if self.kind == WEEK:
            year, week, _day = s.isocalendar()
            return _("%(y)s年第%(w)s周（%(a)s—%(b)s）") % {
                "y": year,
                "w": week,
                "a": _("%(m)s月%(d)s日") % {"m": s.month, "d": s.day},
                "b": _("%(m)s月%(d)s日") % {"m": self.end.month, "d": self.end.day},
            }
        if self.kind == MONTH:
            return _("%(y)s年%(m)s月") % {"y": s.year, "m": s.month}
        if self.kind == QUARTER:
            return _("%(y)s年第%(q)s季度") % {"y": s.year, "q": (s.month - 1) // 3 + 1}
        return _("%(y)s年") % {"y": s.year}

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=local_zone())

    @property
    def until(self) -> dt.datetime:
        """Local midnight after the last day (exclusive)."""
        return dt.datetime.combine(
            self.end + dt.timedelta(days=1), dt.time.min, tzinfo=local_zone()
        )

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return Period.containing(self.kind, self.end + dt.timedelta(days=1))


def custom_period(start: dt.date, end: dt.date) -> Period:
    """Any range of days (an assessment period that is not a calendar period)."""
    if start > end:
        raise ValueError("start after end")
    return Period("range", start, end)


# --- areas ----------------------------------------------------------------------------------------

COMMUNITY, STREET, COUNTY, CITY = "community", "street", "county", "city"
AREA_LEVELS = {
    COMMUNITY: gettext_lazy("小区（村）"),
    STREET: gettext_lazy("街道（乡镇）"),
    COUNTY: gettext_lazy("县（市、区）"),
    CITY: gettext_lazy("全市"),
}
REGION_AREA = {
    RegionLevel.CITY: CITY,
    RegionLevel.COUNTY: COUNTY,
    RegionLevel.ZONE: COUNTY,
    RegionLevel.TOWN: STREET,
}


@dataclass(frozen=True)
class Area:
    """Where figures are computed: a community, or a region (street, county, city) with every
    community below it."""

    region: Region
    community: Community | None = None

    @property
    def level(self) -> str:
        return (
            COMMUNITY if self.community is not None else REGION_AREA[RegionLevel(self.region.level)]
        )

    @property
    def name(self) -> str:
        return self.community.name if self.community is not None else self.region.name

    def communities(self, actor=None) -> QuerySet[Community]:
        """The area's active communities (those ``actor`` may see, when given)."""
        rows = Community.objects.filter(is_active=True)
        if self.community is not None:
            rows = rows.filter(pk=self.community.pk)
        else:
            rows = rows.filter(region__path__startswith=self.region.path)
        return rows if actor is None else restrict(rows, actor, Action.VIEW)

    def query(self) -> dict[str, str]:
        """The list filters that select the area's rows."""
        if self.community is not None:
            return {"community": str(self.community.pk)}
        return {"region": self.region.adcode}


def area_of(community: Community) -> Area:
    return Area(community.region, community)


# --- the figures of one community ---------------------------------------------------------------


@dataclass
class Counts:
    """What the measures are computed from, for one community (or summed over several)."""

    households_total: int = 0
    registered: int = 0
    participating: int = 0
    drops: int = 0
    checked: int = 0
    correct: int = 0
    cents: dict[str, int] = field(default_factory=dict)  # hundredths of a kg per class
    check_score: int = 0  # sum of the stations' inspection scores
    checks: int = 0
    communities: int = 0

    def add(self, other: Counts) -> Counts:
        for name in (
            "households_total",
            "registered",
            "participating",
            "drops",
            "checked",
            "correct",
            "check_score",
            "checks",
            "communities",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for waste_class, cents in other.cents.items():
            self.cents[waste_class] = self.cents.get(waste_class, 0) + cents
        return self

    def kg(self, waste_class: str | None = None) -> Decimal:
        cents = sum(self.cents.values()) if waste_class is None else self.cents.get(waste_class, 0)
        return Decimal(cents) / 100


def total(counts: Iterable[Counts]) -> Counts:
    out = Counts()
    for c in counts:
        out.add(c)
    return out


# --- the measures -----------------------------------------------------------------------------

PERCENT, TONNES, SCORE = "%", "t", "分"
HOUSEHOLDS, DROPS, DROPS_CHECKED, DROPS_KITCHEN, DROPS_RECYCLABLE, CHECKS = (
    "households",
    "drops",
    "drops_checked",
    "drops_kitchen",
    "drops_recyclable",
    "checks",
)


@dataclass(frozen=True)
class SortingMeasure:
    code: str
    name: str | Promise
    unit: str
    definition: str | Promise
    numerator: Callable[[Counts], Decimal | int]
    denominator: Callable[[Counts], Decimal | int] | None
    scale: Decimal = Decimal(1)
    places: Decimal = Decimal("0.01")
    lineage: tuple[str, ...] = ()
    parts: tuple[str | Promise, str | Promise] | None = None  # numerator, denominator names

    def value(self, counts: Counts) -> Decimal | None:
        top = Decimal(self.numerator(counts))
        if self.denominator is None:
            return (top * self.scale).quantize(self.places, rounding=ROUND_HALF_UP)
        bottom = Decimal(self.denominator(counts))
        if bottom == 0:
            return None
        return (top / bottom * self.scale).quantize(self.places, rounding=ROUND_HALF_UP)

    def terms(self, counts: Counts) -> tuple[Decimal, Decimal | None]:
        """The numerator and denominator as numbers (shown beside the value)."""
        bottom = None if self.denominator is None else Decimal(self.denominator(counts))
        return Decimal(self.numerator(counts)), bottom


HUNDRED = Decimal(100)
MEASURE_LIST: tuple[SortingMeasure, ...] = (
    SortingMeasure(
        "registration_rate",
        gettext_lazy("住户登记率"),
        PERCENT,
        gettext_lazy(
            "截至期末已登记（一户一码）且有效的住户数 ÷ 小区（村）常住户数 × 100%。"
            "常住户数取小区（村）档案中的登记数。"
        ),
        lambda c: c.registered,
        lambda c: c.households_total,
        HUNDRED,
        lineage=(HOUSEHOLDS,),
        parts=(gettext_lazy("已登记户数"), gettext_lazy("常住户数")),
    ),
    SortingMeasure(
        "participation_rate",
        gettext_lazy("居民参与率"),
        PERCENT,
        gettext_lazy(
            "期末前已登记且有效的住户中，本期至少投放一次的户数 ÷ 这些住户数 × 100%。"
            "一户多次投放只计一户，计入其登记的小区（村）。"
        ),
        lambda c: c.participating,
        lambda c: c.registered,
        HUNDRED,
        lineage=(HOUSEHOLDS, DROPS),
        parts=(gettext_lazy("投放户数"), gettext_lazy("已登记户数")),
    ),
    SortingMeasure(
        "accuracy_rate",
        gettext_lazy("分类准确率"),
        PERCENT,
        gettext_lazy(
            "本期经督导员检查为分类正确的投放次数 ÷ 经检查的投放次数 × 100%；未检查的投放不计入。"
        ),
        lambda c: c.correct,
        lambda c: c.checked,
        HUNDRED,
        lineage=(DROPS_CHECKED,),
        parts=(gettext_lazy("检查正确次数"), gettext_lazy("检查次数")),
    ),
    SortingMeasure(
        "kitchen_separation_rate",
        gettext_lazy("厨余垃圾分出率"),
        PERCENT,
        gettext_lazy("本期投放的厨余垃圾重量 ÷ 四类垃圾投放总重量 × 100%。"),
        lambda c: c.kg(WasteClass.KITCHEN),
        lambda c: c.kg(),
        HUNDRED,
        lineage=(DROPS_KITCHEN, DROPS),
        parts=(gettext_lazy("厨余垃圾（千克）"), gettext_lazy("总重量（千克）")),
    ),
    SortingMeasure(
        "recyclables_tonnes",
        gettext_lazy("可回收物回收量"),
        TONNES,
        gettext_lazy("本期投放的可回收物重量之和（吨）。"),
        lambda c: c.kg(WasteClass.RECYCLABLE),
        None,
        Decimal("0.001"),
        Decimal("0.001"),
        lineage=(DROPS_RECYCLABLE,),
        parts=(gettext_lazy("可回收物（千克）"), ""),
    ),
    SortingMeasure(
        "recyclables_share",
        gettext_lazy("可回收物占比"),
        PERCENT,
        gettext_lazy("本期投放的可回收物重量 ÷ 四类垃圾投放总重量 × 100%。"),
        lambda c: c.kg(WasteClass.RECYCLABLE),
        lambda c: c.kg(),
        HUNDRED,
        lineage=(DROPS_RECYCLABLE, DROPS),
        parts=(gettext_lazy("可回收物（千克）"), gettext_lazy("总重量（千克）")),
    ),
    SortingMeasure(
        "station_check_score",
        gettext_lazy("投放点检查平均得分"),
        SCORE,
        gettext_lazy("本期对小区（村）投放点的检查（桶边督导、巡查）得分的平均值（百分制）。"),
        lambda c: c.check_score,
        lambda c: c.checks,
        Decimal(1),
        Decimal("0.1"),
        lineage=(CHECKS,),
        parts=(gettext_lazy("得分合计"), gettext_lazy("检查次数")),
    ),
)
MEASURES: dict[str, SortingMeasure] = {m.code: m for m in MEASURE_LIST}
RATES = ("participation_rate", "accuracy_rate", "kitchen_separation_rate")


# --- the grouped queries ----------------------------------------------------------------------


def _month(field: str, *, local: bool) -> TruncMonth:
    """The first day of the (local) month of a date or datetime column."""
    if local:
        return TruncMonth(field, output_field=DateField(), tzinfo=local_zone())
    return TruncMonth(field, output_field=DateField())


def _community_ids(communities: QuerySet[Community]) -> QuerySet:
    return communities.order_by().values("pk")


def by_community(
    communities: QuerySet[Community], start: dt.date, end: dt.date
) -> dict[int, Counts]:
    """The counts of each community over the days ``start``..``end`` (four grouped queries)."""
    out: dict[int, Counts] = {}
    for pk, households_total in communities.order_by().values_list("pk", "households_total"):
        out[pk] = Counts(households_total=households_total, communities=1)
    if not out:
        return out
    ids = _community_ids(communities)
    for found in (
        _registered(ids, end)
        .values("community_id")
        .annotate(n=Count("pk"), p=Count("pk", filter=Q(_dropped(start, end))))
        .order_by()
    ):
        counts = out[found["community_id"]]
        counts.registered, counts.participating = found["n"], found["p"]
    days = CommunityDay.objects.filter(community_id__in=ids, day__gte=start, day__lte=end)
    for row in _day_sums(days.values("community_id", "waste_class")):
        _add_day(out[row["community_id"]], row)
    checks = StationCheck.objects.filter(
        during("checked_at", start, end), station__community_id__in=ids
    )
    for checked in (
        checks.values("station__community_id").annotate(s=Sum("score"), n=Count("pk")).order_by()
    ):
        counts = out[checked["station__community_id"]]
        counts.check_score, counts.checks = checked["s"] or 0, checked["n"]
    return out


def _registered(ids, end: dt.date) -> QuerySet[Household]:
    """The active households of the communities registered by ``end``."""
    return Household.objects.filter(community_id__in=ids, is_active=True, registered_on__lte=end)


def _dropped(start: dt.date, end: dt.date) -> Exists:
    """Whether the (outer) household dropped anything on the days ``start``..``end``: one probe
    of the index ``household, dropped_at`` per household, wherever it dropped."""
    drops = Drop.objects.filter(during("dropped_at", start, end), household_id=OuterRef("pk"))
    return Exists(drops.order_by())


def _day_sums(grouped: QuerySet) -> QuerySet:
    return grouped.annotate(
        n=Sum("drops"),
        checked_n=Sum("checked"),
        correct_n=Sum("correct"),
        c=Sum(hundredths("weight_kg")),
    ).order_by()


def _add_day(counts: Counts, row: dict) -> None:
    counts.drops += row["n"] or 0
    counts.checked += row["checked_n"] or 0
    counts.correct += row["correct_n"] or 0
    waste_class = row["waste_class"]
    counts.cents[waste_class] = counts.cents.get(waste_class, 0) + int(row["c"] or 0)


def community_counts(area: Area, period: Period, actor=None) -> dict[int, Counts]:
    """Each community of the area: its counts over the period."""
    return by_community(area.communities(actor), period.start, period.end)


def area_counts(area: Area, period: Period, actor=None) -> Counts:
    """The area's counts over the period (its communities' summed)."""
    return total(community_counts(area, period, actor).values())


def values(counts: Counts) -> dict[str, Decimal | None]:
    """Every measure's value from one set of counts."""
    return {m.code: m.value(counts) for m in MEASURE_LIST}


def compute(area: Area, period: Period, actor=None) -> dict[str, Decimal | None]:
    return values(area_counts(area, period, actor))


def children_counts(
    region: Region, start: dt.date, end: dt.date, actor=None
) -> tuple[list[tuple[Region, Counts]], Counts]:
    """The counts of each region one level below ``region`` (the city's counties, a county's
    streets) that has active communities, by path, and the whole region's counts."""
    communities = Area(region).communities(actor)
    counts = by_community(communities, start, end)
    depth = region.path.count("/") + 1
    below: dict[str, Counts] = {}
    for pk, path in communities.order_by().values_list("pk", "region__path"):
        parts = path.split("/")
        key = parts[depth] if len(parts) > depth else parts[-1]
        below.setdefault(key, Counts()).add(counts[pk])
    regions = Region.objects.defer("boundary").filter(adcode__in=below).order_by("path")
    return [(r, below[r.adcode]) for r in regions], total(counts.values())


# --- monthly trend --------------------------------------------------------------------------


def monthly(area: Area, year: int, actor=None) -> list[tuple[Period, Counts]]:
    """The area's counts for each month of a year (five queries for the twelve)."""
    communities = area.communities(actor)
    ids = _community_ids(communities)
    months = [Period.containing(MONTH, dt.date(year, m, 1)) for m in range(1, 13)]
    out = {p.start: Counts() for p in months}
    base = communities.order_by().aggregate(t=Sum("households_total"), n=Count("pk"))
    for counts in out.values():
        counts.households_total, counts.communities = base["t"] or 0, base["n"]
    # households registered by each month's end, and those of them that dropped in the month
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    aggregates = {}
    for index, p in enumerate(months):
        aggregates[f"r{index}"] = Count("pk", filter=Q(registered_on__lte=p.end))
        aggregates[f"p{index}"] = Count(
            "pk", filter=Q(_dropped(p.start, p.end), registered_on__lte=p.end)
        )
    households = _registered(ids, year_end).aggregate(**aggregates)
    for index, p in enumerate(months):
        out[p.start].registered = households[f"r{index}"]
        out[p.start].participating = households[f"p{index}"]
    days = CommunityDay.objects.filter(community_id__in=ids, day__gte=year_start, day__lte=year_end)
    for row in _day_sums(days.annotate(m=_month("day", local=False)).values("m", "waste_class")):
        _add_day(out[row["m"]], row)
    checks = StationCheck.objects.filter(
        during("checked_at", year_start, year_end), station__community_id__in=ids
    )
    for row in (
        checks.annotate(m=_month("checked_at", local=True))
        .values("m")
        .annotate(s=Sum("score"), n=Count("pk"))
        .order_by()
    ):
        out[row["m"]].check_score, out[row["m"]].checks = row["s"] or 0, row["n"]
    return [(p, out[p.start]) for p in months]


# --- rankings ---------------------------------------------------------------------------------


@dataclass
class Ranked:
    community: Community
    counts: Counts
    value: Decimal | None
    rank: int | None


def ranking(area: Area, period: Period, code: str, actor=None) -> list[Ranked]:
    """The area's communities ranked by a measure over the period, best first (equal values share
    a rank: 1, 2, 2, 4); communities without a value come last, unranked."""
    return rank(community_counts(area, period, actor), code)


def rank(counts: dict[int, Counts], code: str) -> list[Ranked]:
    """Communities (by id, with their counts) ranked by a measure, as :func:`ranking`."""
    measure = MEASURES[code]
    rows_of = Community.objects.select_related("region").defer("region__boundary")
    names = {c.pk: c for c in rows_of.filter(pk__in=list(counts))}
    rows = [Ranked(names[pk], c, measure.value(c), None) for pk, c in counts.items()]
    rows.sort(key=lambda r: (r.value is None, -(r.value or 0), r.community.name))
    previous, current = None, 0
    for index, row in enumerate(rows, start=1):
        if row.value is None:
            break
        if row.value != previous:
            current, previous = index, row.value
        row.rank = current
    return rows


# --- lineage --------------------------------------------------------------------------------------


LINEAGE_LISTS: dict[str, tuple[str, Any, dict[str, str]]] = {
    # kind -> (url name, label, extra filters)
    HOUSEHOLDS: ("sorting:household_list", gettext_lazy("住户名册"), {"is_active": "true"}),
    DROPS: ("points:drop_list", gettext_lazy("投放记录"), {}),
    DROPS_CHECKED: ("points:drop_list", gettext_lazy("已检查的投放记录"), {"checked": "true"}),
    DROPS_KITCHEN: (
        "points:drop_list",
        gettext_lazy("厨余垃圾投放记录"),
        {"waste_class": WasteClass.KITCHEN},
    ),
    DROPS_RECYCLABLE: (
        "points:drop_list",
        gettext_lazy("可回收物投放记录"),
        {"waste_class": WasteClass.RECYCLABLE},
    ),
    CHECKS: ("sorting:check_list", gettext_lazy("投放点检查记录"), {}),
}


def lineage(measure: SortingMeasure, area: Area, period: Period) -> list[dict]:
    """Links to the lists of the rows behind a figure, filtered to the area (``region`` by
    adcode, or ``community``) and the period (drops: ``dropped_from``/``dropped_to``, checks:
    ``checked_from``/``checked_to``, local dates inclusive; the roster as it stands), leaving
    out lists that are not installed. Each link is ``{"label", "url"}``."""
    links = []
    for kind in measure.lineage:
        name, label, extra = LINEAGE_LISTS[kind]
        path = reverse(name)
        query = dict(area.query())
        if kind == CHECKS:
            query["checked_from"] = period.start.isoformat()
            query["checked_to"] = period.end.isoformat()
        elif kind != HOUSEHOLDS:
            query["dropped_from"] = period.start.isoformat()
            query["dropped_to"] = period.end.isoformat()
        query.update({k: str(v) for k, v in extra.items()})
        links.append({"label": str(label), "url": f"{path}?{urlencode(query)}"})
    return links


# --- the stats engine ---------------------------------------------------------------------------

YEAR_CODES = (
    "sorting_households_total",
    "sorting_households_registered",
    "sorting_households_participating",
    "sorting_drops_checked",
    "sorting_drops_correct",
    "sorting_kitchen_kg",
    "sorting_recyclable_kg",
    "sorting_total_kg",
)


def year_values(year: int) -> dict[tuple[str, int], Decimal]:
    """The year's figures per town (the communities' street or town), keyed ``(code, town id)``
    for the indicator engine (which adds them up to counties and the city). Every town with an
    active community has every code (a count of nothing is 0); kilograms are exact."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    communities = Community.objects.filter(is_active=True)
    ids = _community_ids(communities)
    out: dict[tuple[str, int], Decimal] = {}
    towns = list(communities.order_by().values("region_id").annotate(t=Sum("households_total")))
    if not towns:
        return out
    for row in towns:
        for code in YEAR_CODES:
            out[(code, row["region_id"])] = Decimal(0)
        out[("sorting_households_total", row["region_id"])] = Decimal(row["t"] or 0)
    households = (
        _registered(ids, end)
        .values(town=F("community__region_id"))
        .annotate(n=Count("pk"), p=Count("pk", filter=Q(_dropped(start, end))))
        .order_by()
    )
    for row in households:
        out[("sorting_households_registered", row["town"])] = Decimal(row["n"])
        out[("sorting_households_participating", row["town"])] = Decimal(row["p"])
    days = CommunityDay.objects.filter(community_id__in=ids, day__gte=start, day__lte=end)
    sums: dict[int, Counts] = defaultdict(Counts)
    for row in _day_sums(days.values("waste_class", town=F("community__region_id"))):
        _add_day(sums[row["town"]], row)
    for town, counts in sums.items():
        out[("sorting_drops_checked", town)] = Decimal(counts.checked)
        out[("sorting_drops_correct", town)] = Decimal(counts.correct)
        out[("sorting_kitchen_kg", town)] = counts.kg(WasteClass.KITCHEN)
        out[("sorting_recyclable_kg", town)] = counts.kg(WasteClass.RECYCLABLE)
        out[("sorting_total_kg", town)] = counts.kg()
    return out
