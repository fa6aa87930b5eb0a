"""The disposal-capacity balance table (固废处置能力平衡表) of a year and a region.

Per top-level stream: the counted generation of the year (``counted_months``, with a sub-row
per waste category), the demand of the next three years (the stored forecasts, or the year's
generation grown at a rate the scenario sets), the capacity of the registered facilities in
the region by route (the treatment method's fate), what those facilities received, their load
factor, and the surplus or gap (capacity − demand) of each year, with warnings.

Rules, also printed under the table (``NOTES``):

* capacity is the design capacity of the facilities operating at the end of the year (status
  运行, commissioned by 31 December, the capacity row in force on 31 December): the annual
  capacity where one is registered, else the daily capacity × 365 days × 90 %;
* storage (贮存, with transfer stations) is shown but not counted in the capacity total, since
  a tonne stored is not yet utilised or disposed of;
* the receipts are the manifest receipts at those facilities (from any region), split over a
  facility's routes by their capacity; storage routes' share is left out like their capacity;
* a forecast year uses the stored forecast of each month, the counted figure for months before
  the forecast starts (a year already past), and is blank when neither exists;
* the city's table is its counties' and zones' generation (with city-wide declarations) and all
  the facilities in the city; a county's, its own.

A :class:`Scenario` (what-if) adds facilities, closes facilities from a year on and sets growth
rates; it changes only the computed table, never the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import Grant, grant_for, scope_filter
from wufei.core.errors import NotPermitted
from wufei.registry.choices import FacilityStatus, Fate, RegionLevel
from wufei.registry.models import (
    FacilityCapacity,
    Region,
    TreatmentMethod,
    WasteCategory,
    WasteStream,
)
from wufei.stats.basis import counted_months, top_stream_code
from wufei.stats.choices import Quantity
from wufei.stats.forecasts import last_complete_month, rollup_region_ids, top_streams
from wufei.stats.models import Forecast, RollupMonth
from wufei.stats.rollups import COUNTY_LEVELS

ROUTES = (Fate.UTILISED, Fate.ENERGY, Fate.LANDFILLED, Fate.TREATED, Fate.STORED)
DISPOSAL_ROUTES = ROUTES[:4]  # storage is not disposal
OPERATING_DAYS = Decimal(365) * Decimal("0.9")  # a daily capacity's days of a year
LOAD_LIMIT = Decimal("0.9")
AHEAD = 3  # forecast years after the table's year
ZERO = Decimal(0)
TONNE = Decimal("0.001")

NOTES = (
    gettext_lazy(
        "产生量：平台统计汇总，按各类别的统计口径取数（危险废物、医疗废物、生活垃圾、餐厨废弃物、"
        "建筑垃圾、污泥以电子联单为准，其他类别以统计申报为准；某月口径数据缺失时取另一来源）。"
    ),
    gettext_lazy(
        "预测产生量：各区划、各类别按月预测的年合计（历史满24个月用 Holt-Winters 指数平滑，"
        "12～23个月用 Holt 线性趋势，不足12个月取均值）；已过去的年份取实际统计数；"
        "设定增长率时按本年产生量×（1＋增长率）^n 计算。"
    ),
    gettext_lazy(
        "处置利用能力：年末在运行设施的设计能力，有年处理能力的取年处理能力，"
        "否则按日处理能力×365天×90%折算；按利用处置方式的最终去向分列；"
        "贮存（含转运）能力单列，不计入能力合计。"
    ),
    gettext_lazy(
        "实际接收量：上述设施按电子联单的接收量（含区外来源），按设施各去向能力比例分摊，"
        "不含贮存部分；负荷率＝实际接收量÷（能力合计×有联单接收记录的月数÷12），"
        "即按电子联单覆盖的月份折算为全年。"
    ),
    gettext_lazy(
        "富余（＋）/缺口（－）＝能力合计－产生量（预测产生量）。预警：任一年产生量超过能力、"
        "负荷率超过90%、有产生量而本区域无处置利用能力。"
    ),
    gettext_lazy(
        "农业固体废物（以还田、饲料、燃料等就地利用为主）、再生资源（由回收市场消纳）、"
        "快递包装废弃物和其他固体废物不依赖处置设施，表中列出能力但不作缺口预警。"
    ),
)

# Streams used mostly outside facilities (straw and manure in the fields, renewable resources
# through the recycling market): their capacity is listed but a gap is no warning.
NOT_FACILITY_BOUND = frozenset({"agricultural", "renewable", "express-packaging", "other"})

SOURCE_LABELS = {
    "actual": gettext_lazy("实际"),
    "forecast": gettext_lazy("预测"),
    "mixed": gettext_lazy("实际＋预测"),
    "growth": gettext_lazy("按增长率"),
}


# --- who may see it -------------------------------------------------------------------------


def within(region: Region, area: Region) -> bool:
    return region.path == area.path or region.path.startswith(area.path + "/")


def may_view_balance(actor) -> bool:
    """Whether ``actor`` may see any balance table (officials; not enterprises, the public)."""
    return scope_filter(RollupMonth, actor, Action.VIEW) is not None


def allowed_streams(actor, region: Region) -> frozenset[int] | None:
    """The top-level stream ids ``actor`` may see in ``region``'s table (``None``: all).

    The rule is the rollups' scope: officials of a county (and county bureaus) see their
    county only, bureaus their own streams, enterprises and the public nothing.
    """
    if not may_view_balance(actor):
        raise NotPermitted()
    grant = grant_for(actor, Action.VIEW)
    regional = grant in (Grant.REGION, Grant.DEPARTMENT) and actor.region_id is not None
    if regional and not within(region, actor.region):
        raise NotPermitted()
    if grant is Grant.DEPARTMENT:
        return frozenset(actor.department.stream_ids())
    return None


def balance_regions(actor) -> list[Region]:
    """The regions (city, counties, zones) whose table ``actor`` may see."""
    regions = Region.objects.filter(level__in=COUNTY_LEVELS).defer("boundary").order_by("path")
    out = []
    for region in regions:
        try:
            allowed_streams(actor, region)
        except NotPermitted:
            continue
        out.append(region)
    return out


# --- what-if --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedFacility:
    stream: WasteStream
    method: TreatmentMethod
    tonnes_per_year: Decimal
    region: Region
    from_year: int


@dataclass(frozen=True)
class ClosedFacility:
    facility_id: int
    from_year: int


@dataclass(frozen=True)
class Scenario:
    added: tuple[AddedFacility, ...] = ()
    closed: tuple[ClosedFacility, ...] = ()
    growth: Mapping[str, Decimal] = field(default_factory=dict)  # top code -> rate (0.05)

    def __bool__(self) -> bool:
        return bool(self.added or self.closed or self.growth)

    def describe(self) -> list[str]:
        lines = [
            _("新增设施：%(region)s %(stream)s %(method)s %(tonnes)s 吨/年，%(year)s年起")
            % {
                "region": a.region.name,
                "stream": a.stream.name,
                "method": f"{a.method.code} {a.method.name}",
                "tonnes": f"{a.tonnes_per_year:,.0f}",
                "year": a.from_year,
            }
            for a in self.added
        ]
        lines += [
            _("关停设施（编号 %(id)s），%(year)s年起") % {"id": c.facility_id, "year": c.from_year}
            for c in self.closed
        ]
        names = dict(WasteStream.objects.filter(code__in=self.growth).values_list("code", "name"))
        lines += [
            _("%(stream)s 产生量年增长率 %(rate)s%%")
            % {"stream": names.get(code, code), "rate": f"{(rate * 100).normalize():f}"}
            for code, rate in self.growth.items()
        ]
        return lines


# --- capacity -------------------------------------------------------------------------------


def annual_capacity(capacity: FacilityCapacity) -> Decimal:
    """The capacity rule: tonnes a year where registered, else tonnes a day × 365 × 90 %."""
    if capacity.tonnes_per_year > 0:
        return capacity.tonnes_per_year
    return capacity.tonnes_per_day * OPERATING_DAYS


@dataclass(frozen=True)
class CapacityLine:
    facility_id: int | None  # None: added by the scenario
    facility_name: str
    top: str
    route: str
    tonnes: Decimal
    since: date | None
    until: date | None

    def operating_at(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (
            self.until is None or self.until >= day
        )

    def in_year(self, year: int) -> bool:
        return self.operating_at(date(year, 12, 31))


def _in_region(prefix: str, region: Region) -> Q:
    below = Q(**{f"{prefix}path__startswith": region.path + "/"})
    return Q(**{f"{prefix}path": region.path}) | below


def capacity_lines(region: Region, scenario: Scenario) -> list[CapacityLine]:
    """The capacities of the operating facilities in ``region``, with the scenario's
    closures (not operating from their year on) and additions."""
    closed = {c.facility_id: c.from_year for c in scenario.closed}
    rows = (
        FacilityCapacity.objects.filter(facility__status=FacilityStatus.OPERATING)
        .filter(_in_region("facility__site__region__", region))
        .select_related("facility", "method")
        .order_by("pk")
    )
    lines = []
    for cap in rows:
        starts = [d for d in (cap.facility.commissioned_on, cap.valid_from) if d is not None]
        until = cap.valid_to
        if cap.facility_id in closed:
            last = date(closed[cap.facility_id] - 1, 12, 31)
            until = last if until is None else min(until, last)
        lines.append(
            CapacityLine(
                facility_id=cap.facility_id,
                facility_name=cap.facility.name,
                top=top_stream_code(cap.stream_id),
                route=cap.method.fate,
                tonnes=annual_capacity(cap),
                since=max(starts) if starts else None,
                until=until,
            )
        )
    for added in scenario.added:
        if within(added.region, region):
            lines.append(
                CapacityLine(
                    facility_id=None,
                    facility_name=_("（新增）"),
                    top=top_stream_code(added.stream.pk),
                    route=added.method.fate,
                    tonnes=added.tonnes_per_year,
                    since=date(added.from_year, 1, 1),
                    until=None,
                )
            )
    return lines


def _receipt_months(year: int, as_of: date) -> tuple[date, date]:
    """The complete months of ``year`` (first and last) whose receipts count."""
    return date(year, 1, 1), min(date(year, 12, 1), last_complete_month(as_of))


def covered_share(year: int, as_of: date) -> Decimal:
    """The share of ``year`` the platform's manifests cover: the complete months with any
    receipt anywhere, over twelve. A load factor is the receipts over that share of the
    capacity, so a year the manifests started in (or one not over) is not understated."""
    first, last = _receipt_months(year, as_of)
    months = (
        RollupMonth.objects.filter(quantity=Quantity.RECEIVED, month__gte=first, month__lte=last)
        .values("month")
        .distinct()
        .count()
    )
    return Decimal(months) / 12


def received_by_line(
    lines: list[CapacityLine], year: int, as_of: date
) -> dict[tuple[str, str], Decimal]:
    """Receipts at the year's facilities per (top stream, route), each facility's receipts of
    a stream split over its routes for that stream by their capacity."""
    current = [ln for ln in lines if ln.facility_id is not None and ln.in_year(year)]
    ids = sorted({ln.facility_id for ln in current if ln.facility_id is not None})
    received: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if ids:
        rows = counted_months(
            *_receipt_months(year, as_of),
            None,
            quantity=Quantity.RECEIVED,
            facility_id__in=ids,
        )
        for row in rows:
            received[(row["facility_id"], top_stream_code(row["stream_id"]))] += row["tonnes"]
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (facility_id, top), tonnes in received.items():
        own = [ln for ln in current if ln.facility_id == facility_id and ln.top == top]
        total = sum((ln.tonnes for ln in own), ZERO)
        for ln in own:
            if total > 0:
                out[(top, ln.route)] += tonnes * ln.tonnes / total
    return out


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceWarning:
    code: str  # capacity_short | overloaded | no_capacity
    message: str


@dataclass
class CategoryRow:
    code: str
    label: str
    generated: Decimal


@dataclass
class Row:
    code: str  # the top-level stream's code, or "total"
    label: str
    generated: Decimal = ZERO
    demand: dict[int, Decimal | None] = field(default_factory=dict)  # Y+1..Y+3
    demand_source: dict[int, str | None] = field(default_factory=dict)
    capacity: dict[str, Decimal] = field(default_factory=dict)  # route -> t, year Y
    capacity_total: dict[int, Decimal] = field(default_factory=dict)  # Y..Y+3, no storage
    received: Decimal | None = None
    load: Decimal | None = None  # a fraction
    gap: dict[int, Decimal | None] = field(default_factory=dict)  # Y..Y+3
    warnings: list[BalanceWarning] = field(default_factory=list)
    categories: list[CategoryRow] = field(default_factory=list)

    def demand_of(self, year: int, first: int) -> Decimal | None:
        return self.generated if year == first else self.demand.get(year)


@dataclass
class Block:
    region: Region
    rows: list[Row]
    total: Row

    @property
    def warnings(self) -> list[tuple[Row, BalanceWarning]]:
        return [(row, w) for row in self.rows for w in row.warnings]


@dataclass
class BalanceTable:
    year: int
    region: Region
    blocks: list[Block]
    scenario: Scenario
    as_of: date
    notes: list[str]

    @property
    def years(self) -> list[int]:
        return [self.year + n for n in range(AHEAD + 1)]

    @property
    def ahead(self) -> list[int]:
        return self.years[1:]

    @property
    def title(self) -> str:
        return _("%(region)s固体废物处置能力平衡表（%(year)s年）") % {
            "region": self.region.name,
            "year": self.year,
        }


class _Figures:
    """The counted generation of one block's regions for the table's years, read once."""

    def __init__(self, region: Region, year: int, as_of: date):
        self.year = year
        self.last = last_complete_month(as_of)
        rows = counted_months(
            date(year, 1, 1),
            date(year + AHEAD, 12, 1),
            rollup_region_ids(region),
            quantity=Quantity.GENERATED,
        )
        self.monthly: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.categories: dict[str, dict[int | None, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        for row in rows:
            top = top_stream_code(row["stream_id"])
            self.monthly[top][row["month"]] += row["tonnes"]
            if row["month"].year == year:
                self.categories[top][row["category_id"]] += row["tonnes"]
        ids = {k for by_category in self.categories.values() for k in by_category if k}
        self.category_rows = {c.pk: c for c in WasteCategory.objects.filter(pk__in=ids)}
        self.forecast: dict[str, dict[date, Decimal]] = defaultdict(dict)
        stored = Forecast.objects.filter(
            region=region, month__gte=date(year + 1, 1, 1), month__lte=date(year + AHEAD, 12, 1)
        ).values_list("stream__code", "month", "tonnes")
        for code, month, tonnes in stored:
            self.forecast[code][month] = tonnes

    def generated(self, top: str) -> Decimal:
        return sum((t for m, t in self.monthly[top].items() if m.year == self.year), ZERO)

    def projected(self, top: str, year: int) -> tuple[Decimal | None, str | None]:
        """A forecast year's demand and where it came from (forecast, actual or both); blank
        when a month of it has neither a forecast nor has passed."""
        total, used = ZERO, set()
        for month in range(1, 13):
            day = date(year, month, 1)
            if day in self.forecast[top]:
                total += self.forecast[top][day]
                used.add("forecast")
            elif day <= self.last:
                total += self.monthly[top].get(day, ZERO)
                used.add("actual")
            else:
                return None, None
        return total, ("mixed" if len(used) == 2 else used.pop())


def _tops(allowed: frozenset[int] | None) -> list[WasteStream]:
    return [s for s in top_streams() if allowed is None or s.pk in allowed]


def _category_rows(
    by_category: Mapping[int | None, Decimal], named: Mapping[int, WasteCategory]
) -> list[CategoryRow]:
    """Sub-rows of a stream's generation by category, when it has more than one."""
    rows = [
        CategoryRow(category.code, f"{category.code} {category.name}", t)
        for k, t in by_category.items()
        if k is not None and t != 0 and (category := named.get(k)) is not None
    ]
    rows.sort(key=lambda r: r.code)
    if by_category.get(None):
        rows.append(CategoryRow("", _("未分小类"), by_category[None]))
    return rows if len(rows) > 1 else []


def _warnings(row: Row, years: list[int], first: int) -> list[BalanceWarning]:
    out = []
    demanded = any((row.demand_of(y, first) or ZERO) > 0 for y in years)
    if demanded and all(row.capacity_total[y] == 0 for y in years):
        out.append(
            BalanceWarning(
                "no_capacity",
                _("本区域无%(stream)s处置利用能力，产生量需跨区域利用处置。")
                % {"stream": row.label},
            )
        )
        return out
    short = [(y, -gap) for y in years if (gap := row.gap[y]) is not None and gap < 0]
    if short:
        gaps = "；".join(
            _("%(year)s年缺口 %(tonnes)s 吨") % {"year": y, "tonnes": f"{t:,.0f}"} for y, t in short
        )
        out.append(BalanceWarning("capacity_short", _("产生量超过处置利用能力：%s") % gaps))
    if row.load is not None and row.load > LOAD_LIMIT:
        out.append(
            BalanceWarning(
                "overloaded",
                _("设施负荷率 %(load)s%%，超过90%%。") % {"load": f"{row.load * 100:.1f}"},
            )
        )
    return out


def _row(
    stream: WasteStream,
    figures: _Figures,
    lines: list[CapacityLine],
    received: Mapping[tuple[str, str], Decimal],
    scenario: Scenario,
    years: list[int],
    elapsed: Decimal,
) -> Row:
    first = years[0]
    top = stream.code
    row = Row(code=top, label=stream.name, generated=figures.generated(top))
    row.categories = _category_rows(figures.categories[top], figures.category_rows)
    rate = scenario.growth.get(top)
    for n, year in enumerate(years[1:], start=1):
        if rate is not None:
            row.demand[year] = row.generated * (1 + rate) ** n
            row.demand_source[year] = "growth"
        else:
            row.demand[year], row.demand_source[year] = figures.projected(top, year)
    own = [ln for ln in lines if ln.top == top]
    row.capacity = {
        r: sum((ln.tonnes for ln in own if ln.route == r and ln.in_year(first)), ZERO)
        for r in ROUTES
    }
    for year in years:
        row.capacity_total[year] = sum(
            (ln.tonnes for ln in own if ln.route in DISPOSAL_ROUTES and ln.in_year(year)), ZERO
        )
        demand = row.demand_of(year, first)
        row.gap[year] = None if demand is None else row.capacity_total[year] - demand
    pieces = [received[(top, r)] for r in DISPOSAL_ROUTES if (top, r) in received]
    row.received = sum(pieces, ZERO) if pieces else None
    row.load = _load(row.received, row.capacity_total[first], elapsed)
    row.warnings = [] if row.code in NOT_FACILITY_BOUND else _warnings(row, years, first)
    return row


def _load(received: Decimal | None, capacity: Decimal, elapsed: Decimal) -> Decimal | None:
    if received is None or capacity <= 0 or elapsed <= 0:
        return None
    return received / (capacity * elapsed)


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, ZERO) if known else None


def _total(rows: list[Row], years: list[int], elapsed: Decimal) -> Row:
    first = years[0]
    total = Row(code="total", label=_("合计"))
    total.generated = sum((r.generated for r in rows), ZERO)
    total.demand = {y: _sum(r.demand[y] for r in rows) for y in years[1:]}
    total.capacity = {route: sum((r.capacity[route] for r in rows), ZERO) for route in ROUTES}
    total.capacity_total = {y: sum((r.capacity_total[y] for r in rows), ZERO) for y in years}
    total.received = _sum(r.received for r in rows)
    total.load = _load(total.received, total.capacity_total[first], elapsed)
    for year in years:
        demand = total.demand_of(year, first)
        total.gap[year] = None if demand is None else total.capacity_total[year] - demand
    return total


def block(
    region: Region,
    year: int,
    scenario: Scenario,
    allowed: frozenset[int] | None,
    as_of: date,
) -> Block:
    """The rows of one region: every top-level stream with any figure."""
    years = [year + n for n in range(AHEAD + 1)]
    figures = _Figures(region, year, as_of)
    lines = capacity_lines(region, scenario)
    received = received_by_line(lines, year, as_of)
    elapsed = covered_share(year, as_of)
    rows = []
    for stream in _tops(allowed):
        row = _row(stream, figures, lines, received, scenario, years, elapsed)
        figures_present = [
            row.generated,
            *row.demand.values(),
            *row.capacity.values(),
            *row.capacity_total.values(),
            row.received,
        ]
        if any(v for v in figures_present):
            rows.append(row)
    return Block(region=region, rows=rows, total=_total(rows, years, elapsed))


def balance_table(
    *,
    actor,
    year: int,
    region: Region,
    scenario: Scenario | None = None,
    as_of: date | None = None,
    counties: bool = True,
) -> BalanceTable:
    """The table of ``region`` for ``year``; for the city, a block for the whole city and
    (``counties``) one for each county and zone."""
    allowed = allowed_streams(actor, region)
    scenario = scenario or Scenario()
    as_of = as_of or timezone.localdate()
    regions = [region]
    if counties and region.level == RegionLevel.CITY:
        regions += list(
            Region.objects.filter(parent=region, level__in=COUNTY_LEVELS)
            .defer("boundary")
            .order_by("adcode")
        )
    notes = [str(n) for n in NOTES]
    if last_complete_month(as_of) < date(year, 12, 1):
        notes.append(
            _("%(year)s年数据截至%(month)s，尚不完整。")
            % {"year": year, "month": last_complete_month(as_of).strftime("%Y-%m")}
        )
    notes += [_("情景：%s") % line for line in scenario.describe()]
    return BalanceTable(
        year=year,
        region=region,
        blocks=[block(r, year, scenario, allowed, as_of) for r in regions],
        scenario=scenario,
        as_of=as_of,
        notes=notes,
    )
