"""Reads of the indicator system, scoped to the actor: the catalogue (reference data, seen by
everyone), targets and values (by region), a value's lineage, and the rows of the report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may, restrict
from wufei.core.errors import NotFound
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.registry.selectors import light_regions
from wufei.stats.choices import Direction
from wufei.stats.formula import Ref, describe
from wufei.stats.measures import (
    MEASURES,
    Tree,
    YearFigures,
    evaluate_year,
    records_links,
    year_bounds,
)
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

CATALOGUE_NAMES = {
    "2019-trial": gettext_lazy("2019年试行版"),
    "2021": gettext_lazy("2021年版"),
    "common": gettext_lazy("常用统计指标"),
    "custom": gettext_lazy("自定义指标"),
}
TOTAL_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)


def catalogue_label(code: str) -> str:
    return str(CATALOGUE_NAMES.get(code, code))


def indicator_list(
    *, actor, catalogue: str = "", q: str = "", include_inactive: bool = False
) -> QuerySet[Indicator]:
    rows = Indicator.objects.select_related("department")
    if not include_inactive:
        rows = rows.filter(is_active=True)
    if catalogue:
        rows = rows.filter(catalogue=catalogue)
    if q:
        rows = rows.filter(
            Q(name__icontains=q)
            | Q(code__icontains=q)
            | Q(level1__icontains=q)
            | Q(level2__icontains=q)
            | Q(name_en__icontains=q)
        )
    return restrict(rows, actor, Action.VIEW).order_by("sort_order", "code")


def indicator_get(*, actor, pk: int) -> Indicator:
    indicator = indicator_list(actor=actor, include_inactive=True).filter(pk=pk).first()
    if indicator is None:
        raise NotFound()
    return indicator


def target_list(*, actor) -> QuerySet[IndicatorTarget]:
    rows = light_regions(IndicatorTarget.objects.select_related("indicator", "region"), "region")
    return restrict(rows, actor, Action.VIEW).order_by("indicator__sort_order", "year", "region")


def value_list(*, actor) -> QuerySet[IndicatorValue]:
    rows = light_regions(IndicatorValue.objects.select_related("indicator", "region"), "region")
    return restrict(rows, actor, Action.VIEW).order_by(
        "year", "region__path", "indicator__sort_order", "indicator__code"
    )


def value_get(*, actor, pk: int) -> IndicatorValue:
    value = value_list(actor=actor).filter(pk=pk).first()
    if value is None:
        raise NotFound()
    return value


def value_years(*, actor) -> list[int]:
    years = value_list(actor=actor).order_by("-year").values_list("year", flat=True).distinct()
    return list(years)


def visible_regions(*, actor) -> list[Region]:
    """The city, counties and zones whose values the actor may see, city first: all of them,
    or those within the actor's region (a county official's county)."""
    if not may(actor, Action.VIEW, IndicatorValue):
        return []
    rows = Region.objects.filter(level__in=TOTAL_LEVELS).defer("boundary").order_by("path")
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    if region is not None:
        rows = rows.filter(path__startswith=region.path)
    return list(rows)


def achieved(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> bool | None:
    """Whether the value meets the target in the indicator's direction (None: cannot say)."""
    if value is None or target is None:
        return None
    return value >= target if indicator.direction == Direction.UP else value <= target


@dataclass
class Row:
    """One indicator for one (year, region): its value, its target and whether it is met."""

    indicator: Indicator
    region: Region | None
    value: IndicatorValue | None
    target: IndicatorTarget | None

    @property
    def amount(self) -> Decimal | None:
        return self.value.value if self.value is not None else None

    @property
    def target_value(self) -> Decimal | None:
        return self.target.value if self.target is not None else None

    @property
    def achieved(self) -> bool | None:
        return achieved(self.indicator, self.amount, self.target_value)

    @property
    def status_text(self) -> str:
        if not self.indicator.computable:
            return _("不可计算")
        if self.value is None:
            return _("未计算")
        return str(self.value.get_status_display())


def indicator_rows(
    *, indicators, region: Region, year: int, values: QuerySet, targets: QuerySet
) -> list[Row]:
    """Rows for ``indicators`` in (region, year) from scoped ``values`` and ``targets``."""
    found = {v.indicator_id: v for v in values.filter(year=year, region=region)}
    goals = {t.indicator_id: t for t in targets.filter(year=year, region=region)}
    return [Row(i, region, found.get(i.pk), goals.get(i.pk)) for i in indicators]


def region_rows(*, actor, indicator: Indicator, year: int) -> list[Row]:
    """One indicator in every region the actor may see, for a year (the detail page)."""
    values = {
        v.region_id: v for v in value_list(actor=actor).filter(indicator=indicator, year=year)
    }
    targets = {
        t.region_id: t for t in target_list(actor=actor).filter(indicator=indicator, year=year)
    }
    return [
        Row(indicator, region, values.get(region.pk), targets.get(region.pk))
        for region in visible_regions(actor=actor)
    ]


@dataclass
class Input:
    """One input of a value: the measure, its figure, the year it is for, the region and the
    links to the records behind it."""

    ref: str
    name: str
    unit: str
    how: str
    value: str | None
    year: int | None
    period: str
    links: list[dict]


class Sources:
    """Which sources (manifests, declarations, registry) each measure's figure came from, per
    year, evaluated once for all the values shown together (a list of values, a page)."""

    def __init__(self) -> None:
        self.tree = Tree.load()
        self.years: dict[int, YearFigures] = {}

    def of(self, code: str, year: int, region_id: int) -> set[str]:
        if year not in self.years:
            self.years[year] = evaluate_year(year, None, self.tree)
        return self.years[year].sources_of(code, region_id)


def lineage(value: IndicatorValue, sources: Sources | None = None) -> list[Input]:
    """The inputs of a stored value with their period, region and records. The figures are
    those stored with the value (what it was computed from); the links list today's records."""
    indicator = value.indicator
    region = value.region
    sources = sources or Sources()
    years = {"": value.year, "prev": value.year - 1, "base": indicator.base_year}
    out = []
    for text, figure in (value.inputs or {}).items():
        ref = _ref(text)
        measure = MEASURES.get(ref.measure)
        year = years.get(ref.when)
        links: list[dict] = []
        if measure is not None and year is not None:
            found = sources.of(ref.measure, year, region.pk)
            links = records_links(measure, year, region, found)
        start, end = year_bounds(year) if year else (None, None)
        out.append(
            Input(
                ref=text,
                name=describe(ref),
                unit=measure.unit if measure else "",
                how=measure.describe() if measure else _("（统计量已不存在）"),
                value=figure,
                year=year,
                period=f"{start:%Y-%m-%d} — {end:%Y-%m-%d}" if start and end else "",
                links=links,
            )
        )
    return out


def _ref(text: str) -> Ref:
    if text.endswith(")") and "(" in text:
        when, measure = text[:-1].split("(", 1)
        return Ref(measure, when)
    return Ref(text)
