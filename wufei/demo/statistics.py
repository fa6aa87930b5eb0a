"""The demo city's statistics: the declarations a real city would hold, and the targets.

- Annual declarations 2019 … last year by the departments of each county (agriculture,
  housing, health, postal, commerce, urban management), the county's own statistics
  (population, value added) and every factory's general industrial solid waste.
- Monthly history (the ``history`` kind) of the manifested streams for the months before the
  platform's manifests start, so generation series run from 2019 and the forecasts can see
  seasons; sludge history as the housing bureau's monthly sludge declarations.
- Monthly hazardous-waste declarations of the generators on the platform for the manifest
  months, agreeing with their manifests except a few that declare more than they moved, so
  the reconciliation has something to find.
- Targets for the headline indicators (city, 2020 and 2025), from the sources
  ``docs/demo-data.md`` cites where there are any.

Magnitudes are invented unless ``docs/demo-data.md`` says otherwise; history is scaled from
the demo's own manifests so that each series runs on without a jump. Rows are bulk-inserted
(each as the declaration services would have stored it) and marked ``origin=DEMO_ORIGIN`` so
the reset removes exactly them.
"""

from __future__ import annotations

import calendar
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wufei.accounts.models import Department
from wufei.demo.figures import COUNTIES
from wufei.demo.models import GeneratedParty, Generation
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.registry.choices import RegionLevel, SiteKind
from wufei.registry.models import Party, Region, Site, WasteCategory, WasteCode, WasteStream
from wufei.stats.choices import DeclarationStatus
from wufei.stats.declaration_kinds import KINDS, item_stream
from wufei.stats.forecasts import refit
from wufei.stats.indicators import recompute_values
from wufei.stats.models import (
    Declaration,
    DeclarationLine,
    Forecast,
    Indicator,
    IndicatorTarget,
)
from wufei.stats.rollups import rebuild

DEMO_ORIGIN = "演示数据"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_YEAR = 2019
TONNE = Decimal("0.001")

# Annual growth of generation (invented), and each month's share of a year (invented shape:
# summer peaks for food waste, the Spring Festival trough for construction).
GROWTH = {
    "hazardous": 0.05,
    "medical": 0.06,
    "household": 0.03,
    "kitchen": 0.08,
    "construction": -0.02,
    "sludge": 0.04,
}
SEASON = {
    "household": (0.95, 0.97, 0.97, 0.99, 1.02, 1.05, 1.08, 1.08, 1.03, 0.99, 0.95, 0.92),
    "kitchen": (0.9, 0.85, 0.97, 1.0, 1.04, 1.08, 1.1, 1.1, 1.04, 1.0, 0.97, 0.95),
    "construction": (0.8, 0.55, 1.0, 1.12, 1.15, 1.1, 1.0, 1.0, 1.1, 1.12, 1.1, 0.96),
    "sludge": (0.93, 0.9, 0.96, 1.0, 1.03, 1.07, 1.1, 1.09, 1.04, 1.0, 0.96, 0.92),
}
FLAT = (1.0,) * 12
HISTORY_STREAMS = ("hazardous", "medical", "household", "kitchen", "construction")


def history_fates(stream: str, progress: float) -> dict[str, float]:
    """Where a history month's tonnes went, as shares (invented; 2019 → last year the
    incineration replaces landfill, construction waste recycling grows). The rest of
    hazardous waste stays in storage."""
    p = progress
    return {
        "hazardous": {
            "utilised": 0.45 + 0.1 * p,
            "treated": 0.45 - 0.08 * p,
            "landfilled": 0.08 - 0.04 * p,
        },
        "medical": {"treated": 1.0},
        "household": {"energy": 0.7 + 0.3 * p, "landfilled": 0.3 - 0.3 * p},
        "kitchen": {"utilised": 0.95, "treated": 0.05},
        "construction": {"utilised": 0.55 + 0.3 * p, "landfilled": (0.45 - 0.3 * p) * 0.95},
    }[stream]


UNDECLARED_SHARE = 0.04  # hazardous generators declaring more transferred than they moved


def _dec(value: float, places: str = "0.001") -> Decimal:
    return Decimal(str(max(value, 0.0))).quantize(Decimal(places))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months(first: date, last: date) -> Iterator[date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _trend(rate: float, years: float) -> float:
    return (1 + rate) ** years


@dataclass
class Batch:
    """Declarations and their lines, built in memory, inserted together."""

    declarations: list[Declaration]
    lines: list[list[DeclarationLine]]

    def add(self, declaration: Declaration, figures: list[DeclarationLine]) -> None:
        if figures:
            self.declarations.append(declaration)
            self.lines.append(figures)

    def write(self) -> tuple[int, int]:
        Declaration.objects.bulk_create(self.declarations, batch_size=1000)
        lines = []
        for declaration, figures in zip(self.declarations, self.lines, strict=True):
            for line in figures:
                line.declaration_id = declaration.pk
                lines.append(line)
        DeclarationLine.objects.bulk_create(lines, batch_size=2000)
        return len(self.declarations), len(lines)


class StatisticsGenerator:
    def __init__(self, generation: Generation, rng: random.Random, today: date):
        self.generation = generation
        self.rng = rng
        self.today = today
        self.last_year = today.year - 1
        self.stamp = timezone.make_aware(datetime.combine(today, time(9)), SHANGHAI)
        self.streams = {s.code: s for s in WasteStream.objects.all()}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.counties = {
            r.adcode: r
            for r in Region.objects.filter(level__in=(RegionLevel.COUNTY, RegionLevel.ZONE))
        }
        self.batch = Batch([], [])
        self.first_manifest_month = self._first_manifest_month()

    # --- building blocks -----------------------------------------------------------------

    def declaration(
        self, kind: str, region: Region, start: date, end: date, *, party=None
    ) -> Declaration:
        k = KINDS[kind]
        submitted = timezone.make_aware(datetime.combine(end, time(17)), SHANGHAI)
        return Declaration(
            kind=kind,
            party=party,
            department=self.departments.get(k.department),
            region=region,
            stream=self.streams.get(k.stream) if k.stream else None,
            period_start=start,
            period_end=end,
            status=DeclarationStatus.ACCEPTED,
            origin=DEMO_ORIGIN,
            created_at=submitted,
            submitted_at=submitted,
            reviewed_at=submitted,
        )

    def line(self, kind: str, item: str, value: float, *, waste_code=None, category=None):
        k = KINDS[kind]
        i = k.item(item)
        if i is None:
            raise KeyError(f"{kind}.{item}")
        stream_code = item_stream(k, i)
        if waste_code is not None:
            category = waste_code.category
        stream = category.stream if category is not None else self.streams.get(stream_code)
        amount = _dec(value, "0.0001")
        return DeclarationLine(
            item=item,
            quantity=i.quantity,
            stream=stream,
            waste_code=waste_code,
            category=category,
            value=amount,
            entered_value=amount,
            entered_unit=i.base_unit,
        )

    def annual(self, kind: str, region: Region, year: int, figures: dict, *, party=None):
        lines = [self.line(kind, item, v) for item, v in figures.items() if v is not None]
        self.batch.add(
            self.declaration(kind, region, date(year, 1, 1), date(year, 12, 31), party=party),
            lines,
        )

    def noise(self, spread: float = 0.05) -> float:
        return 1 + self.rng.uniform(-spread, spread)

    # --- the sections --------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        site_counts = self._site_counts()
        for adcode, county in self.counties.items():
            spec = next((c for c in COUNTIES if c.adcode == adcode), None)
            if spec is None:  # the development zone: no population figures of its own
                continue
            for year in range(FIRST_YEAR, self.last_year + 1):
                self.county_year(county, spec, year, site_counts[county.pk])
        self.factories()
        self.history()
        self.hazardous_months()
        declarations, lines = self.batch.write()
        targets = self.targets()
        return {
            "stats.Declaration": declarations,
            "stats.DeclarationLine": lines,
            "stats.IndicatorTarget": targets,
        }

    def _site_counts(self) -> dict[int, dict[str, int]]:
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        rows = Site.objects.values("region__parent_id", "region_id", "region__level", "kind")
        for row in rows.annotate(n=Count("id")):
            county = (
                row["region_id"] if row["region__level"] != "town" else row["region__parent_id"]
            )
            counts[county][row["kind"]] += row["n"]
        return counts

    def county_year(self, county: Region, spec, year: int, sites: dict[str, int]) -> None:
        t = year - 2020
        share = spec.population / 4_379_998
        rural = spec.rural_population / spec.population
        progress = min(max((year - FIRST_YEAR) / 6, 0), 1)  # 2019 → 0, 2025 → 1
        n = self.noise
        self.annual(
            "statistics",
            county,
            year,
            {
                "resident_population": spec.population / 10_000 * (1 - 0.003 * t),
                "gdp": 34_500_000 * share * _trend(0.055, t) * n(0.03),
                "industrial_value_added": 14_000_000 * share * _trend(0.06, t) * n(0.05),
                "zero_waste_cells": round(15 * share * 20 * (1 + 3 * progress)),
            },
        )
        crop = 3_200_000 * share * rural * 2 * n(0.04)
        collectable = crop * 1.1 * 0.85
        villages = max(sites.get(SiteKind.VILLAGE, 0), round(380 * share * 2 * rural))
        self.annual(
            "agriculture",
            county,
            year,
            {
                "crop_output": crop,
                "straw_theoretical": crop * 1.1,
                "straw_collectable": collectable,
                "straw_utilised": collectable * (0.88 + 0.05 * progress) * n(0.01),
                "manure_generated": sites.get(SiteKind.FARM, 0) * 3_000 * n(0.05),
                "manure_utilised": sites.get(SiteKind.FARM, 0) * 3_000 * (0.78 + 0.08 * progress),
                "film_used": 2_500 * share * 2 * rural * n(0.05),
                "film_recovered": 2_500 * share * 2 * rural * (0.78 + 0.08 * progress),
                "pesticide_packaging_generated": 300 * share * 2 * rural,
                "pesticide_packaging_recovered": 300 * share * 2 * rural * (0.6 + 0.22 * progress),
                "villages_total": villages,
                "villages_covered": round(villages * (0.6 + 0.4 * progress)),
            },
        )
        building = 300 * share * _trend(0.03, t)
        self.annual(
            "housing",
            county,
            year,
            {
                # construction waste figures come with the history (one source per tonne)
                "new_building_area": building,
                "green_building_area": building * (0.5 + 0.45 * progress),
                "prefab_building_area": building * (0.1 + 0.25 * progress),
            },
        )
        institutions = sites.get(SiteKind.HOSPITAL, 0) + sites.get(SiteKind.CLINIC, 0)
        self.annual(
            "health",
            county,
            year,
            {
                "beds": sites.get(SiteKind.HOSPITAL, 0) * 260 * _trend(0.02, t),
                "institutions_total": institutions,
                "institutions_covered": round(institutions * (0.85 + 0.15 * progress)),
            },
        )
        parcels = 8_000 * share * _trend(0.18, t)
        self.annual(
            "postal",
            county,
            year,
            {
                "parcels": parcels,
                "parcels_green": parcels * (0.3 + 0.6 * progress),
                "packaging_generated": parcels * 1.5,  # 万件 × 0.15 kg
                "packaging_recovered": parcels * 1.5 * (0.1 + 0.2 * progress),
            },
        )
        metal = 3_000_000 if spec.slug == "changge" else 40_000 * share
        other = 350_000 * share * _trend(0.04, t)
        self.annual(
            "commerce",
            county,
            year,
            {
                "renewable_collected": (metal + other) * n(0.02),
                "renewable_metal": metal,
                "renewable_paper": other * 0.45,
                "renewable_plastic": other * 0.25,
                "renewable_glass": other * 0.1,
                "renewable_electronics": other * 0.05,
                "renewable_other": other * 0.1,
            },
        )
        communities = sites.get(SiteKind.COMMUNITY, 0)
        self.annual(
            "urban",
            county,
            year,
            {
                "recyclables_recovered": 150_000 * share * (0.6 + 0.8 * progress),
                "communities_total": communities,
                "communities_sorting": round(communities * (0.15 + 0.85 * progress)),
                "villages_sorting": round(villages * (0.1 + 0.6 * progress)),
            },
        )

    def factories(self) -> None:
        """Every generated factory's annual general industrial solid waste, by the
        industry's typical magnitude (invented), meeting the statistics identity."""
        category = WasteCategory.objects.filter(stream__code="industrial").first()
        if category is None:
            return
        typical = {
            "水泥": 60_000,
            "煤化工与炭素": 40_000,
            "再生金属加工": 2_000,
            "钧瓷与陶瓷": 1_500,
            "电力装备": 600,
            "机械与汽车零部件": 500,
            "食品加工": 1_000,
            "发制品": 100,
        }
        generated = GeneratedParty.objects.filter(generation=self.generation).values("party_id")
        sites = (
            Site.objects.filter(kind=SiteKind.FACTORY, party__in=generated)
            .select_related("party__region")
            .order_by("party_id")
        )
        for site in sites:
            party = site.party
            base = typical.get(party.industry, 300) * math.exp(self.rng.gauss(0, 0.5))
            for year in range(FIRST_YEAR, self.last_year + 1):
                progress = min(max((year - FIRST_YEAR) / 6, 0), 1)
                g = base * _trend(0.02, year - 2020) * self.noise(0.08)
                fresh = g * (0.75 + 0.13 * progress)  # utilised of this year's waste
                prior = g * 0.02
                landfill, other = g * (0.06 - 0.03 * progress), g * 0.03
                figures = {
                    "generated": g,
                    "utilised": fresh + prior,
                    "utilised_prior": prior,
                    "disposed_landfill": landfill,
                    "disposed_other": other,
                    "disposed_prior": 0,
                    "stored": g - fresh - landfill - other,
                    "dumped": 0,
                }
                lines = [
                    self.line("industrial", item, v, category=category)
                    for item, v in figures.items()
                ]
                self.batch.add(
                    self.declaration(
                        "industrial",
                        party.region,
                        date(year, 1, 1),
                        date(year, 12, 31),
                        party=party,
                    ),
                    lines,
                )

    # --- history of the manifested streams -------------------------------------------------

    def _first_manifest_month(self) -> date:
        first = (
            Manifest.objects.exclude(picked_up_at=None)
            .order_by("picked_up_at")
            .values_list("picked_up_at", flat=True)
            .first()
        )
        day = timezone.localtime(first, SHANGHAI).date() if first else self.today
        return day.replace(day=1)

    def _manifest_means(self) -> dict[tuple[int, str], float]:
        """Mean monthly first-leg generation (t) per (county, history stream) over the
        complete manifest months."""
        first_full = date(
            self.first_manifest_month.year + (self.first_manifest_month.month == 12),
            self.first_manifest_month.month % 12 + 1,
            1,
        )
        rows = (
            Manifest.objects.exclude(state__in=(State.DRAFT, State.CANCELLED))
            .exclude(picked_up_at=None)
            .filter(
                picked_up_at__date__gte=first_full, picked_up_at__date__lt=self.today.replace(day=1)
            )
            .values(
                "region_id",
                "region__level",
                "region__parent_id",
                "stream__code",
                "stream__parent__code",
            )
            .annotate(month=TruncMonth("picked_up_at", tzinfo=SHANGHAI), kg=Sum("pickup_kg"))
        )
        totals: dict[tuple[int, str], float] = defaultdict(float)
        months: dict[tuple[int, str], set] = defaultdict(set)
        for r in rows:
            county = r["region_id"] if r["region__level"] != "town" else r["region__parent_id"]
            code = r["stream__code"]
            stream = code if code in HISTORY_STREAMS else r["stream__parent__code"] or code
            if stream not in HISTORY_STREAMS and stream != "sludge":
                continue
            totals[(county, stream)] += float(r["kg"]) / 1000
            months[(county, stream)].add(r["month"])
        return {key: total / max(len(months[key]), 1) for key, total in totals.items()}

    def history(self) -> None:
        means = self._manifest_means()
        last = _month_end(date(self.first_manifest_month.year, self.first_manifest_month.month, 1))
        months = [m for m in _months(date(FIRST_YEAR, 1, 1), last) if m < self.first_manifest_month]
        mid = self.first_manifest_month.year + (self.first_manifest_month.month + 5) / 12
        by_county: dict[int, dict[str, float]] = defaultdict(dict)
        for (county, stream), mean in means.items():
            by_county[county][stream] = mean
        regions = {r.pk: r for r in Region.objects.filter(pk__in=list(by_county))}
        for county_id, streams in sorted(by_county.items()):
            region = regions[county_id]
            for month in months:
                years = month.year + (month.month - 1) / 12 - mid
                values = {}
                for stream, mean in streams.items():
                    shape = SEASON.get(stream, FLAT)[month.month - 1]
                    values[stream] = mean * _trend(GROWTH[stream], years) * shape * self.noise(0.06)
                end = _month_end(month)
                progress = min(max((month.year - FIRST_YEAR) / 6, 0), 1)
                lines = []
                for stream, tonnes in values.items():
                    if stream not in HISTORY_STREAMS:
                        continue
                    lines.append(self.line("history", f"generated_{stream}", tonnes))
                    for fate, share in history_fates(stream, progress).items():
                        lines.append(self.line("history", f"{fate}_{stream}", tonnes * share))
                self.batch.add(self.declaration("history", region, month, end), lines)
                if "sludge" in values:
                    s = values["sludge"]
                    sludge = {
                        "sludge_generated": s,
                        "sludge_utilised": s * 0.3,
                        "sludge_landfilled": s * 0.1,
                        "sludge_treated": s * 0.6,
                    }
                    lines = [self.line("sludge", item, v) for item, v in sludge.items()]
                    self.batch.add(self.declaration("sludge", region, month, end), lines)

    def hazardous_months(self) -> None:
        """Monthly hazardous declarations for the complete manifest months: what each
        generator's manifests carried, per waste code, as transferred; generated a little
        more (stored on site); a few declare more transferred than their manifests show."""
        if "monthly" not in KINDS["hazardous"].periods:
            return
        rows = (
            Manifest.objects.filter(
                flow="hazardous",
                generator__in=GeneratedParty.objects.filter(generation=self.generation).values(
                    "party_id"
                ),
            )
            .exclude(state__in=(State.DRAFT, State.CANCELLED))
            .exclude(picked_up_at=None)
            .exclude(waste_code=None)
            .filter(picked_up_at__date__lt=self.today.replace(day=1))
            .values("generator_id", "waste_code_id")
            .annotate(month=TruncMonth("picked_up_at", tzinfo=SHANGHAI), kg=Sum("pickup_kg"))
            .order_by("generator_id", "month", "waste_code_id")
        )
        grouped: dict[tuple[int, date], list[tuple[int, float]]] = defaultdict(list)
        for r in rows:
            month = r["month"].date() if isinstance(r["month"], datetime) else r["month"]
            grouped[(r["generator_id"], month)].append((r["waste_code_id"], float(r["kg"]) / 1000))
        parties = Party.objects.in_bulk({g for g, _ in grouped})
        codes = WasteCode.objects.select_related("category__stream").in_bulk(
            {c for lines in grouped.values() for c, _ in lines}
        )
        for (party_id, month), moved in sorted(grouped.items()):
            overstated = self.rng.random() < UNDECLARED_SHARE
            lines = []
            for code_id, tonnes in moved:
                code = codes[code_id]
                declared = tonnes * (1.15 if overstated else 1)
                stored = tonnes * 0.03
                for item, value in (
                    ("generated", declared + stored),
                    ("stored", stored),
                    ("transferred", declared),
                ):
                    lines.append(self.line("hazardous", item, value, waste_code=code))
            party = parties[party_id]
            self.batch.add(
                self.declaration("hazardous", party.region, month, _month_end(month), party=party),
                lines,
            )

    # --- targets -------------------------------------------------------------------------

    def targets(self) -> int:
        city = Region.objects.filter(level=RegionLevel.CITY).first()
        if city is None:
            return 0
        rows = []
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=TARGETS)}
        for code, (value, note) in TARGETS.items():
            indicator = indicators.get(code)
            if indicator is None:
                continue
            for year in (2020, 2025, self.today.year):
                rows.append(
                    IndicatorTarget(
                        indicator=indicator,
                        year=year,
                        region=city,
                        value=Decimal(str(value)),
                        note=f"{DEMO_ORIGIN}：{note}",
                    )
                )
        IndicatorTarget.objects.bulk_create(rows, ignore_conflicts=True)
        return len(rows)


# Headline targets of the city (the same for each target year). Sourced where a Henan or
# national figure exists (xuchang-figures, copied into docs/demo-data.md); otherwise invented.
TARGETS: dict[str, tuple[float, str]] = {
    "common-industrial-utilisation": (90, "参照安徽省2023年水平（>93%），演示设定"),
    "common-hazardous-safe-disposal": (100, "演示设定"),
    "common-straw": (93, "河南省秸秆综合利用率2027年稳定在93%以上（qikan.com.cn）"),
    "common-manure": (85, "演示设定（安徽省2023年>83%）"),
    "common-film": (80, "河南省“十三五”农膜回收率≥80%（nativeclients.com）"),
    "common-pesticide-packaging": (80, "演示设定（安徽省2023年>81%）"),
    "common-construction-utilisation": (70, "河南省省辖市城区2020年建筑垃圾资源化利用率70%以上"),
    "common-household-harmless": (100, "演示设定"),
    "common-medical-coverage": (100, "演示设定"),
    "common-community-sorting": (100, "演示设定"),
}


def statistics_generate(generation: Generation, rng: random.Random, today: date) -> dict:
    """The declarations and targets; the derived tables are ``statistics_derive``'s."""
    return StatisticsGenerator(generation, rng, today).run()


def statistics_derive(today: date) -> dict[str, int]:
    """Rollups, indicator values for every year with figures, and the forecasts: what the
    nightly ``wufei rollup`` / ``wufei indicators`` / ``wufei forecast`` keep current."""
    rebuild()
    values = sum(recompute_values(year) for year in range(FIRST_YEAR, today.year + 1))
    refit(as_of=today)
    return {"stats.IndicatorValue": values, "stats.Forecast": Forecast.objects.count()}
