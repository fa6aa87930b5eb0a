"""Measures: the named inputs of indicator formulas, defined in code.

A measure is a figure for a (year, region subtree): the counted monthly figures of a stream
(``wufei.stats.basis.counted_months``, the stream and its sub-streams, some quantities), the
sum of declared items (``kind.item`` lines of counted declarations whose period lies in the
year), a count from the registry, the number of days of the year, or a figure another app
computes from its own records (``external``: household sorting's drops, the satisfaction
survey's answers; the app's ``year_values(year)`` gives ``{(code, region id): value}``).
A measure without any record behind it is ``None`` (missing), never 0: a rate over a stream
nobody reported is unknown, not zero.

:func:`evaluate_year` computes every measure for every region of a year with a handful of
grouped queries; :func:`records_links` says where the records behind a figure are listed.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, Sum, Value, When
from django.db.models.fields import BooleanField
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wufei.outreach.survey import year_values as survey_year_values
from wufei.registry.choices import RegionLevel, SiteKind
from wufei.registry.models import Region, Site, WasteStream
from wufei.sorting.measures import year_values as sorting_year_values
from wufei.stats.basis import counted_months
from wufei.stats.choices import COUNTED_STATUSES, Quantity, Source
from wufei.stats.models import DeclarationLine

FLOW, DECLARED, REGISTRY, CALENDAR = "flow", "declared", "registry", "calendar"
EXTERNAL = "external"
SORTING_PROVIDER = "wufei.sorting.measures"
SURVEY_PROVIDER = "wufei.outreach.survey"
HANDLED = (Quantity.UTILISED, Quantity.ENERGY, Quantity.LANDFILLED, Quantity.TREATED)
MEDICAL_SITES = (SiteKind.HOSPITAL, SiteKind.CLINIC)
DECLARATIONS_PATH = "/stats/declarations/"  # the declarations list (wufei.stats declarations)


@dataclass(frozen=True)
class Measure:
    code: str
    name: str | Promise  # a lazy translation
    unit: str
    kind: str
    streams: tuple[str, ...] = ()  # flow: stream codes, each with its sub-streams
    exclude: tuple[str, ...] = ()  # flow: sub-streams left out (medical from hazardous)
    quantities: tuple[str, ...] = ()  # flow: rollup quantities summed
    items: tuple[str, ...] = ()  # declared: item codes ``kind.item`` summed
    provider: str = ""  # external: the module whose ``year_values(year)`` gives the figures
    text: str | Promise = ""  # external: how the app computes the figure

    @property
    def kinds(self) -> tuple[str, ...]:
        """The declaration kinds of a declared measure."""
        return tuple(dict.fromkeys(item.split(".")[0] for item in self.items))

    def describe(self) -> str:
        """How the measure is computed, in words."""
        if self.kind == FLOW:
            names = "、".join(str(Quantity(q).label) for q in self.quantities)
            text = _("按统计口径计入的月度汇总：%(streams)s（含下级类别）的%(names)s") % {
                "streams": stream_names(self.streams),
                "names": names,
            }
            if self.exclude:
                text += _("，不含%(streams)s") % {"streams": stream_names(self.exclude)}
            return str(text)
        if self.kind == DECLARED:
            return str(_("已提交或已审核申报的申报项之和：%(items)s")) % {
                "items": "、".join(self.items)
            }
        if self.kind == REGISTRY:
            return str(REGISTRY_COUNTS[self.code][0])
        if self.kind == EXTERNAL:
            return str(self.text)
        return str(_("当年日历天数"))


@lru_cache(maxsize=1)
def _stream_names() -> dict[str, str]:
    """Stream code -> name (streams are reference data, read once)."""
    return dict(WasteStream.objects.values_list("code", "name"))


def stream_names(codes: Iterable[str]) -> str:
    names = _stream_names()
    return "、".join(names.get(code, code) for code in codes)


def _flow(code, name, streams, quantities, exclude=()) -> Measure:
    return Measure(code, name, "t", FLOW, tuple(streams), tuple(exclude), tuple(quantities))


def _declared(code, name, unit, *items) -> Measure:
    return Measure(code, name, unit, DECLARED, items=items)


def _sorting(code, name, unit, text) -> Measure:
    return Measure(code, name, unit, EXTERNAL, provider=SORTING_PROVIDER, text=text)


def _survey(code, name, unit, text) -> Measure:
    return Measure(code, name, unit, EXTERNAL, provider=SURVEY_PROVIDER, text=text)


G, U, UP, ST = Quantity.GENERATED, Quantity.UTILISED, Quantity.UTILISED_PRIOR, Quantity.STORED
L, E, T = Quantity.LANDFILLED, Quantity.ENERGY, Quantity.TREATED
HW, MW = ("hazardous",), ("medical",)

MEASURE_LIST: tuple[Measure, ...] = (
    # general industrial solid waste (basis: enterprises' declarations)
    _flow("industrial_generated", _("一般工业固体废物产生量"), ["industrial"], [G]),
    _flow("industrial_utilised", _("一般工业固体废物综合利用量"), ["industrial"], [U]),
    _flow("industrial_utilised_prior", _("其中：综合利用往年贮存量"), ["industrial"], [UP]),
    _flow("industrial_disposed", _("一般工业固体废物处置量"), ["industrial"], [L, T, E]),
    _flow("industrial_stored", _("一般工业固体废物贮存量"), ["industrial"], [ST]),
    # hazardous and medical waste (basis: manifests)
    _flow("hazardous_generated", _("危险废物产生量（含医疗废物）"), HW, [G]),
    _flow("hazardous_utilised", _("危险废物利用量（含医疗废物）"), HW, [U]),
    _flow("hazardous_handled", _("危险废物利用处置量（含医疗废物）"), HW, HANDLED),
    _flow("industrial_hazardous_generated", _("工业危险废物产生量"), HW, [G], MW),
    _flow("industrial_hazardous_utilised", _("工业危险废物利用量"), HW, [U], MW),
    _flow("industrial_hazardous_handled", _("工业危险废物利用处置量"), HW, HANDLED, MW),
    _flow("industrial_hazardous_landfilled", _("工业危险废物填埋处置量"), HW, [L], MW),
    _flow("medical_generated", _("医疗废物产生量"), MW, [G]),
    _flow("medical_handled", _("医疗废物处置量"), MW, HANDLED),
    # household, kitchen, construction waste and sludge (basis: manifests)
    _flow("household_collected", _("生活垃圾清运量"), ["household"], [G]),
    _flow("household_harmless", _("生活垃圾无害化处理量"), ["household"], HANDLED),
    _flow("household_landfilled", _("生活垃圾填埋量"), ["household"], [L]),
    _flow("household_kitchen_utilised", _("厨余垃圾资源化利用量"), ["household-kitchen"], [U]),
    _flow("kitchen_generated", _("餐厨废弃物收运量"), ["kitchen"], [G]),
    _flow("kitchen_utilised", _("餐厨废弃物资源化利用量"), ["kitchen"], [U, E]),
    _flow("construction_generated", _("建筑垃圾产生量"), ["construction"], [G]),
    _flow("construction_utilised", _("建筑垃圾资源化利用量"), ["construction"], [U]),
    _flow("construction_landfilled", _("建筑垃圾填埋（消纳）量"), ["construction"], [L]),
    _flow("sludge_generated", _("污泥产生量"), ["sludge"], [G]),
    _flow("sludge_utilised", _("污泥资源化利用量"), ["sludge"], [U, E]),
    _flow("sludge_harmless", _("污泥无害化处置量"), ["sludge"], HANDLED),
    # agriculture (declared by the agriculture bureau)
    _declared("straw_collectable", _("秸秆可收集资源量"), "t", "agriculture.straw_collectable"),
    _declared("straw_utilised", _("秸秆综合利用量"), "t", "agriculture.straw_utilised"),
    _declared("manure_generated", _("畜禽粪污产生量"), "t", "agriculture.manure_generated"),
    _declared("manure_utilised", _("畜禽粪污综合利用量"), "t", "agriculture.manure_utilised"),
    _declared("film_used", _("农膜使用量"), "t", "agriculture.film_used"),
    _declared("film_recovered", _("农膜回收量"), "t", "agriculture.film_recovered"),
    _declared(
        "pesticide_packaging_generated",
        _("农药包装废弃物产生量"),
        "t",
        "agriculture.pesticide_packaging_generated",
    ),
    _declared(
        "pesticide_packaging_recovered",
        _("农药包装废弃物回收量"),
        "t",
        "agriculture.pesticide_packaging_recovered",
    ),
    _declared("villages_total", _("行政村总数"), "个", "agriculture.villages_total"),
    _declared(
        "villages_covered",
        _("纳入农业废弃物收储运体系的行政村数"),
        "个",
        "agriculture.villages_covered",
    ),
    # housing and construction
    _declared("new_building_area", _("新建建筑面积"), "万m²", "housing.new_building_area"),
    _declared("green_building_area", _("新建绿色建筑面积"), "万m²", "housing.green_building_area"),
    _declared(
        "prefab_building_area", _("新建装配式建筑面积"), "万m²", "housing.prefab_building_area"
    ),
    # health
    _declared("medical_institutions_total", _("医疗机构总数"), "个", "health.institutions_total"),
    _declared(
        "medical_institutions_covered",
        _("纳入医疗废物收集处置体系的医疗机构数"),
        "个",
        "health.institutions_covered",
    ),
    # postal
    _declared("parcels", _("快递业务量"), "万件", "postal.parcels"),
    _declared("parcels_green", _("使用绿色或可循环包装的快件量"), "万件", "postal.parcels_green"),
    _declared(
        "express_packaging_generated", _("快递包装废弃物产生量"), "t", "postal.packaging_generated"
    ),
    _declared(
        "express_packaging_recovered", _("快递包装废弃物回收量"), "t", "postal.packaging_recovered"
    ),
    # commerce
    _declared("renewable_collected", _("再生资源回收总量"), "t", "commerce.renewable_collected"),
    _declared(
        "renewable_recovered",
        _("主要再生资源回收量"),
        "t",
        "commerce.renewable_metal",
        "commerce.renewable_paper",
        "commerce.renewable_plastic",
        "commerce.renewable_glass",
        "commerce.renewable_electronics",
        "commerce.renewable_other",
    ),
    # urban management
    _declared("recyclables_recovered", _("可回收物回收量"), "t", "urban.recyclables_recovered"),
    _declared("communities_total", _("城市居民小区总数"), "个", "urban.communities_total"),
    _declared(
        "communities_sorting",
        _("开展生活垃圾分类的城市居民小区数"),
        "个",
        "urban.communities_sorting",
    ),
    _declared("villages_sorting", _("开展生活垃圾分类的行政村数"), "个", "urban.villages_sorting"),
    # statistics
    _declared("resident_population", _("常住人口"), "万人", "statistics.resident_population"),
    _declared(
        "industrial_value_added", _("工业增加值"), "万元", "statistics.industrial_value_added"
    ),
    _declared("gdp", _("地区生产总值"), "万元", "statistics.gdp"),
    _declared("zero_waste_cells", _("“无废城市细胞”数量"), "个", "statistics.zero_waste_cells"),
    # household sorting (drops recorded on the platform: smart bins and guides' phones)
    _sorting(
        "sorting_households_total",
        _("分类小区（村）常住户数"),
        "户",
        _("开展分类的有效小区（村）档案中的常住户数之和"),
    ),
    _sorting(
        "sorting_households_registered",
        _("分类登记住户数"),
        "户",
        _("截至年末已登记（一户一码）且有效的住户数"),
    ),
    _sorting(
        "sorting_households_participating",
        _("参与分类投放的住户数"),
        "户",
        _(
            "年末前已登记的有效住户中，当年至少投放一次的户数（一户只计一次，计入其登记的小区（村））"
        ),
    ),
    _sorting(
        "sorting_drops_checked",
        _("经检查的投放次数"),
        "次",
        _("当年经督导员检查（标记正确或错误）的投放次数，按小区日汇总"),
    ),
    _sorting(
        "sorting_drops_correct",
        _("检查为分类正确的投放次数"),
        "次",
        _("当年经督导员检查为分类正确的投放次数，按小区日汇总"),
    ),
    _sorting("sorting_kitchen_kg", _("厨余垃圾投放量"), "kg", _("当年分类投放的厨余垃圾重量之和")),
    _sorting(
        "sorting_recyclable_kg", _("可回收物投放量"), "kg", _("当年分类投放的可回收物重量之和")
    ),
    _sorting("sorting_total_kg", _("分类投放总量"), "kg", _("当年四类垃圾分类投放重量之和")),
    # the public satisfaction survey (1-5 points per dimension and answer)
    _survey("survey_responses", _("满意度调查答卷数"), "份", _("当年提交的满意度调查有效答卷数")),
    _survey(
        "survey_awareness_sum",
        _("满意度调查认知度得分之和"),
        "分",
        _("当年满意度调查答卷中“认知度”一项的得分（1—5分）之和"),
    ),
    _survey(
        "survey_participation_sum",
        _("满意度调查参与度得分之和"),
        "分",
        _("当年满意度调查答卷中“参与度”一项的得分（1—5分）之和"),
    ),
    _survey(
        "survey_satisfaction_sum",
        _("满意度调查满意度得分之和"),
        "分",
        _("当年满意度调查答卷中“满意度”一项的得分（1—5分）之和"),
    ),
    _survey(
        "survey_gain_sum",
        _("满意度调查获得感得分之和"),
        "分",
        _("当年满意度调查答卷中“获得感”一项的得分（1—5分）之和"),
    ),
    _survey(
        "survey_confidence_sum",
        _("满意度调查信心度得分之和"),
        "分",
        _("当年满意度调查答卷中“信心度”一项的得分（1—5分）之和"),
    ),
    # registry and calendar
    Measure("medical_sites_registered", _("平台登记的医疗机构数（当前）"), "个", REGISTRY),
    Measure("medical_sites_served", _("当年有医疗废物联单的医疗机构数"), "个", REGISTRY),
    Measure("days_in_year", _("当年天数"), "天", CALENDAR),
)
MEASURES: dict[str, Measure] = {m.code: m for m in MEASURE_LIST}


# --- the region tree ---------------------------------------------------------------------------


@dataclass
class Tree:
    """The regions (without boundaries): parents, children and the ancestors of each."""

    regions: dict[int, Region]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Tree:
        rows = Region.objects.only("adcode", "name", "level", "parent_id", "path")
        tree = cls({r.pk: r for r in rows})
        for region in tree.regions.values():
            tree.children.setdefault(region.parent_id, []).append(region.pk)
        return tree

    def ancestors(self, region_id: int) -> Iterable[int]:
        """The region itself and every region above it."""
        node: int | None = region_id
        while node is not None:
            yield node
            node = self.regions[node].parent_id

    def totals(self) -> list[int]:
        """The regions indicators are computed for: the city, counties and function zones."""
        levels = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)
        rows = [r for r in self.regions.values() if r.level in levels]
        return [r.pk for r in sorted(rows, key=lambda r: r.path)]


# --- evaluation ---------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


@dataclass
class YearFigures:
    """Every measure for every region of one year: ``get(code, region_id)`` (None: missing),
    and the sources (manifest, declared, registry) the figure came from."""

    year: int
    values: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    sources: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    def get(self, code: str, region_id: int) -> Decimal | None:
        return self.values.get((code, region_id))

    def sources_of(self, code: str, region_id: int) -> set[str]:
        return self.sources.get((code, region_id), set())

    def add(self, code: str, region_id: int, amount: Decimal, sources: Iterable[str]) -> None:
        key = (code, region_id)
        self.values[key] = self.values.get(key, Decimal(0)) + amount
        self.sources.setdefault(key, set()).update(sources)


class Streams:
    """The stream tree, read once: the ids of streams with their sub-streams."""

    def __init__(self) -> None:
        rows = list(WasteStream.objects.values_list("pk", "parent_id", "code"))
        self.ids = {code: pk for pk, _parent, code in rows}
        self.children: dict[int | None, list[int]] = defaultdict(list)
        for pk, parent, _code in rows:
            self.children[parent].append(pk)

    def below(self, codes: Iterable[str]) -> set[int]:
        out: set[int] = set()
        stack = [self.ids[c] for c in codes if c in self.ids]
        while stack:
            pk = stack.pop()
            out.add(pk)
            stack.extend(self.children.get(pk, ()))
        return out

    def of(self, measure: Measure) -> set[int]:
        return self.below(measure.streams) - self.below(measure.exclude)

    def codes(self, ids: Iterable[int]) -> set[str]:
        names = {pk: code for code, pk in self.ids.items()}
        return {names[pk] for pk in ids}


def _add_flows(figures: YearFigures, tree: Tree, measures: list[Measure]) -> None:
    """One read of the counted monthly figures of the year, summed per measure and region
    (each rollup row counts for its region and every region above it). A region has a figure
    for a measure when it has counted rows of the measure's streams, whatever their quantity:
    a stream reported without landfill has landfilled 0, a stream never reported has none."""
    if not measures:
        return
    start, end = year_bounds(figures.year)
    tonnes: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    for row in counted_months(start, end.replace(day=1)):
        tonnes[(row["region_id"], row["stream_id"], row["quantity"])] += row["tonnes"]
        found[(row["region_id"], row["stream_id"])].add(row["source"])
    streams = Streams()
    for measure in measures:
        ids = streams.of(measure)
        for (region_id, stream_id), sources in found.items():
            if stream_id not in ids:
                continue
            amount = sum(
                (tonnes.get((region_id, stream_id, q), Decimal(0)) for q in measure.quantities),
                Decimal(0),
            )
            for target in tree.ancestors(region_id):
                figures.add(measure.code, target, amount, sources)


def _item_code(kind: str, item: str) -> str:
    return item if "." in item else f"{kind}.{item}"


def _declared_totals(year: int) -> dict[tuple[bool, str, int], dict[str, Decimal]]:
    """(enterprise?, kind, region id) -> {item code: total} of the counted lines of the year."""
    start, end = year_bounds(year)
    enterprise = Case(
        When(declaration__party__isnull=False, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rows = (
        DeclarationLine.objects.filter(
            declaration__status__in=COUNTED_STATUSES,
            declaration__period_start__gte=start,
            declaration__period_end__lte=end,
        )
        .annotate(enterprise=enterprise)
        .values("declaration__kind", "declaration__region_id", "item", "enterprise")
        .annotate(total=Sum("value"))
        .order_by()
    )
    out: dict[tuple[bool, str, int], dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        kind = row["declaration__kind"]
        items = out[(row["enterprise"], kind, row["declaration__region_id"])]
        item = _item_code(kind, row["item"])
        items[item] = items.get(item, Decimal(0)) + row["total"]
    return out


def _merge(into: dict[str, Decimal], items: dict[str, Decimal]) -> None:
    for item, total in items.items():
        into[item] = into.get(item, Decimal(0)) + total


def _add_declared(figures: YearFigures, tree: Tree, measures: list[Measure]) -> None:
    """Declared items per region subtree. An enterprise's figures add up wherever it is; a
    figure declared for an area (by a department or an official) stands for that area's whole
    subtree, so a city-wide total is not added to the counties' figures again: an area's value
    is its own declared figure where it has one, else the sum of its sub-areas'. A region has
    a figure for a measure when it has counted declarations of the measure's kind."""
    if not measures:
        return
    totals = _declared_totals(figures.year)
    for kind in {kind for m in measures for kind in m.kinds}:
        per_region: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for (is_enterprise, k, region_id), items in totals.items():
            if is_enterprise and k == kind:
                for target in tree.ancestors(region_id):
                    _merge(per_region[target], items)
        areas = {r: items for (e, k, r), items in totals.items() if not e and k == kind}
        for region_id, items in _area_values(tree, areas).items():
            _merge(per_region[region_id], items)
        for measure in measures:
            if kind not in measure.kinds:
                continue
            for region_id, items in per_region.items():
                amount = sum((items.get(i, Decimal(0)) for i in measure.items), Decimal(0))
                figures.add(measure.code, region_id, amount, [Source.DECLARED])


def _area_values(tree: Tree, declared: dict[int, dict[str, Decimal]]) -> dict[int, dict]:
    """Per region: its own area figures where declared, else the sum of its children's."""
    out: dict[int, dict[str, Decimal]] = {}

    def visit(region_id: int) -> None:
        for child in tree.children.get(region_id, ()):
            visit(child)
        if region_id in declared:
            out[region_id] = dict(declared[region_id])
            return
        below = [out[c] for c in tree.children.get(region_id, ()) if c in out]
        if below:
            out[region_id] = {}
            for items in below:
                _merge(out[region_id], items)

    for root in tree.children.get(None, ()):
        visit(root)
    return out


def _year_datetimes(year: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def _count_medical_sites_registered(year: int) -> Iterable[tuple[int, int]]:
    rows = (
        Site.objects.filter(kind__in=MEDICAL_SITES, is_active=True)
        .values("region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["region_id"], r["n"]) for r in rows]


def _count_medical_sites_served(year: int) -> Iterable[tuple[int, int]]:
    from wufei.manifests.choices import State
    from wufei.manifests.models import Manifest

    start, end = _year_datetimes(year)
    rows = (
        Manifest.objects.filter(
            stream_id__in=Streams().below(["medical"]),
            picked_up_at__gte=start,
            picked_up_at__lt=end,
            generator_site__kind__in=MEDICAL_SITES,
        )
        .exclude(state__in=(State.DRAFT, State.CANCELLED))
        .values("generator_site__region_id")
        .annotate(n=Count("generator_site", distinct=True))
        .order_by()
    )
    return [(r["generator_site__region_id"], r["n"]) for r in rows]


# measure code -> (description, counter(year) -> [(region id, count)])
REGISTRY_COUNTS = {
    "medical_sites_registered": (
        _("平台登记的、有效的医院和基层医疗机构场所数（当前登记，不随年度变化）"),
        _count_medical_sites_registered,
    ),
    "medical_sites_served": (
        _("当年有已起运医疗废物电子联单的医院和基层医疗机构场所数"),
        _count_medical_sites_served,
    ),
}


def _add_registry(figures: YearFigures, tree: Tree, measures: list[Measure]) -> None:
    for measure in measures:
        counter = REGISTRY_COUNTS[measure.code][1]
        for region_id, n in counter(figures.year):
            for target in tree.ancestors(region_id):
                figures.add(measure.code, target, Decimal(n), [REGISTRY])


def _add_calendar(figures: YearFigures, tree: Tree, measures: list[Measure]) -> None:
    days = Decimal(366 if calendar.isleap(figures.year) else 365)
    for measure in measures:
        for region_id in tree.regions:
            figures.values[(measure.code, region_id)] = days


def _year_values(provider: str):
    """The provider's ``year_values(year)``: sorting's measures or the survey's sums."""
    return {SORTING_PROVIDER: sorting_year_values, SURVEY_PROVIDER: survey_year_values}[provider]


def _add_external(figures: YearFigures, tree: Tree, measures: list[Measure]) -> None:
    """Figures other apps compute from their records, per region (a town, a county): each
    counts for its region and every region above it, like the flows. A region the app gives
    no figure for has none (missing), not 0."""
    by_provider: dict[str, set[str]] = defaultdict(set)
    for measure in measures:
        by_provider[measure.provider].add(measure.code)
    for provider, codes in by_provider.items():
        year_values = _year_values(provider)
        for (code, region_id), amount in year_values(figures.year).items():
            if code not in codes or region_id not in tree.regions:
                continue
            for target in tree.ancestors(region_id):
                figures.add(code, target, Decimal(amount), [EXTERNAL_SOURCES[provider]])


EXTERNAL_SOURCES = {SORTING_PROVIDER: "sorting", SURVEY_PROVIDER: "survey"}
ADDERS = {
    FLOW: _add_flows,
    DECLARED: _add_declared,
    REGISTRY: _add_registry,
    EXTERNAL: _add_external,
}


def evaluate_year(year: int, codes: Iterable[str] | None = None, tree: Tree | None = None):
    """Every measure named in ``codes`` (all by default) for every region, in one year."""
    tree = tree or Tree.load()
    wanted = [MEASURES[c] for c in (codes if codes is not None else MEASURES) if c in MEASURES]
    figures = YearFigures(year)
    for kind, adder in ADDERS.items():
        adder(figures, tree, [m for m in wanted if m.kind == kind])
    _add_calendar(figures, tree, [m for m in wanted if m.kind == CALENDAR])
    return figures


# --- lineage: where the records behind a figure are listed ------------------------------------


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _link(label, path: str, query: dict) -> dict:
    return {"label": str(label), "url": f"{path}?{urlencode(query)}"}


def _manifest_links(streams: Iterable[str], year: int, region: Region) -> list[dict]:
    path = _url("manifests:manifest_list", "/manifests/")
    return [
        _link(
            _("电子联单：%(stream)s") % {"stream": stream_names([stream])},
            path,
            {
                "stream": stream,
                "region": region.adcode,
                "received_after": f"{year}-01-01",
                "received_before": f"{year + 1}-01-01",
            },
        )
        for stream in streams
    ]


def _declaration_links(year: int, region: Region, kinds: Iterable[str]) -> list[dict]:
    from wufei.stats.declaration_kinds import get_kind

    links = []
    for code in kinds:
        kind = get_kind(code)
        label = _("申报：%(kind)s") % {"kind": kind.label if kind else code}
        query = {"kind": code, "year": year, "region": region.adcode}
        links.append(_link(label, DECLARATIONS_PATH, query))
    return links


def declaration_kinds_of(measure: Measure) -> list[str]:
    """The declaration kinds whose items count in a flow measure (its streams and
    quantities), or the kinds of a declared measure's items."""
    if measure.kind != FLOW:
        return list(measure.kinds)
    from wufei.stats.declaration_kinds import KINDS, item_stream

    streams = Streams()
    codes = streams.codes(streams.of(measure))
    return [
        kind.code
        for kind in KINDS.values()
        if any(
            item.quantity in measure.quantities and item_stream(kind, item) in codes
            for item in kind.items
        )
    ]


def records_links(measure: Measure, year: int, region: Region, sources: set[str]) -> list[dict]:
    """Links to the lists of the records behind a measure's figure: the manifests (filtered by
    stream, region and year), the declarations (by kind, year and region) or the registry's
    sites. Each link is ``{"label", "url"}``."""
    if measure.kind == FLOW:
        links = []
        if Source.MANIFEST in sources:
            links += _manifest_links(measure.streams, year, region)
        if Source.DECLARED in sources:
            links += _declaration_links(year, region, declaration_kinds_of(measure))
        return links
    if measure.kind == DECLARED:
        return _declaration_links(year, region, measure.kinds)
    if measure.code == "medical_sites_served":
        return _manifest_links(["medical"], year, region)
    if measure.kind == REGISTRY:
        path = _url("registry:site_list", "/registry/sites/")
        return [
            _link(SiteKind(kind).label, path, {"kind": kind, "region": region.adcode})
            for kind in MEDICAL_SITES
        ]
    if measure.kind == EXTERNAL:
        return _external_links(measure, year, region)
    return []


# external provider -> (url name of the page showing its figures, label, query of a year)
EXTERNAL_PAGES = {
    SORTING_PROVIDER: (
        "sortmeasures:index",
        _("生活垃圾分类指标"),
        lambda year, region: {"region": region.adcode, "period": year},
    ),
    SURVEY_PROVIDER: (
        "outreach:survey_results",
        _("满意度调查结果"),
        lambda year, region: {"year": year, "quarter": ""},
    ),
}


def _external_links(measure: Measure, year: int, region: Region) -> list[dict]:
    name, label, query = EXTERNAL_PAGES[measure.provider]
    return [_link(label, reverse(name), query(year, region))]
