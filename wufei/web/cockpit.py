"""The cockpit (驾驶舱): one page a mayor puts on the wall, composed from the statistics.

Headline indicators against their targets, the counties coloured by any indicator, monthly
generation with its forecast, the balance table's warnings and the open alerts. Everything
here only reads what other apps computed (indicator values, rollups, forecasts, the balance
table, alerts), through their scoped selectors; every number carries the URL of the page
behind it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, When
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.alerts.choices import AlertStatus
from wufei.alerts.models import Alert
from wufei.core.errors import NotPermitted
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region, WasteStream
from wufei.stats.balance import balance_regions, balance_table
from wufei.stats.basis import BASIS, basis_of, counted_months, top_stream_code
from wufei.stats.choices import Mandatory, Quantity, Source, ValueStatus
from wufei.stats.forecasts import forecast_list
from wufei.stats.indicator_selectors import achieved, target_list, value_list
from wufei.stats.indicators import recompute_values
from wufei.stats.models import Indicator, IndicatorTarget
from wufei.stats.rollups import refresh

HEADLINES = 8
TREND_MONTHS = 36
FORECAST_MONTHS = 12
COUNTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.ZONE)
PAGE_REFRESH_SLICES = 20  # 0.29 s a slice with ten million events (docs/benchmarks.md)


@dataclass
class Headline:
    indicator: Indicator
    value: Decimal | None
    status: str
    target: Decimal | None
    achieved: bool | None
    url: str


@dataclass
class Cockpit:
    year: int
    region: Region
    regions: list[Region]
    years: list[int]
    headlines: list[Headline]
    map_indicator: Indicator | None
    map_values: dict[str, float]  # county name -> value
    map_indicators: list[Indicator]
    map_links: dict[str, str]  # county name -> this page for the county
    trend: dict = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    alert_total: int = 0
    balance_url: str = ""


def cockpit_regions(actor) -> list[Region]:
    """The city and counties whose cockpit ``actor`` may see (the balance table's rule:
    officials and bureaus; a county's officials only their county)."""
    return balance_regions(actor)


def default_year(today: date | None = None) -> int:
    """The last complete year: the annual declarations of the current year are not due."""
    return (today or timezone.localdate()).year - 1


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _headline_indicators(year: int, region: Region) -> list[Indicator]:
    """Indicators with a target for this year here or for the city (a county's cockpit shows
    what the city set targets for, even where the county has none of its own), in catalogue
    order; topped up with the mandatory computable ones. Which indicators have targets is no
    secret; the targets' values are read through the actor's scope."""
    city = Region.objects.filter(level=RegionLevel.CITY).defer("boundary").first()
    regions = {region.pk, city.pk} if city else {region.pk}
    targeted = IndicatorTarget.objects.filter(year=year, region__in=regions)
    ids = set(targeted.values_list("indicator_id", flat=True))
    rows = Indicator.objects.filter(is_active=True, computable=True)
    chosen = list(rows.filter(pk__in=ids).order_by("sort_order", "code")[:HEADLINES])
    if len(chosen) < HEADLINES:
        required_first = Case(When(mandatory=Mandatory.REQUIRED, then=0), default=1)
        more = rows.exclude(pk__in=ids).order_by(required_first, "sort_order", "code")
        chosen += list(more[: HEADLINES - len(chosen)])
    return chosen


def _headlines(actor, year: int, region: Region, indicators: list[Indicator]) -> list[Headline]:
    values = {
        v.indicator_id: v
        for v in value_list(actor=actor).filter(year=year, region=region, indicator__in=indicators)
    }
    targets = {
        t.indicator_id: t.value
        for t in target_list(actor=actor).filter(year=year, region=region, indicator__in=indicators)
    }
    out = []
    for indicator in indicators:
        v = values.get(indicator.pk)
        amount = v.value if v is not None and v.status == ValueStatus.OK else None
        target = targets.get(indicator.pk)
        url = (
            reverse("indicators:value", args=[v.pk])
            if v is not None
            else reverse("indicators:detail", args=[indicator.pk])
        )
        out.append(
            Headline(
                indicator=indicator,
                value=amount,
                status=v.status if v is not None else ValueStatus.NO_DATA,
                target=target,
                achieved=achieved(indicator, amount, target),
                url=url,
            )
        )
    return out


def _map(actor, year: int, region: Region, indicator: Indicator | None, regions) -> tuple:
    counties = [r for r in regions if r.level in COUNTY_LEVELS]
    if region.level != RegionLevel.CITY:
        counties = [region]
    values: dict[str, float] = {}
    if indicator is not None:
        rows = value_list(actor=actor).filter(
            indicator=indicator, year=year, region__in=counties, status=ValueStatus.OK
        )
        names = {c.pk: c.name for c in counties}
        values = {names[v.region_id]: float(v.value) for v in rows if v.value is not None}
    base = reverse("web:cockpit")
    links = {c.name: f"{base}?{urlencode({'year': year, 'region': c.adcode})}" for c in counties}
    return values, links


def _trend(actor, region: Region, visible_streams: set[int] | None) -> dict:
    """Monthly counted generation per top-level stream over the last three years, and the
    forecast of the next twelve months, as ECharts series data. Only the manifested streams:
    the declared ones are annual figures dated at the year's end, no monthly series."""
    today = timezone.localdate()
    last = _months_back(today.replace(day=1), 1)
    first = _months_back(last, TREND_MONTHS - 1)
    ids = list(Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True))
    totals: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for row in counted_months(first, last, ids, quantity=Quantity.GENERATED):
        if visible_streams is not None and row["stream_id"] not in visible_streams:
            continue
        if basis_of(row["stream_id"]) != Source.MANIFEST:
            continue
        totals[top_stream_code(row["stream_id"])][row["month"]] += float(row["tonnes"])
    months = [_months_back(last, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    ahead = [_months_back(last, -n) for n in range(1, FORECAST_MONTHS + 1)]
    forecasts: dict[str, dict[date, float]] = defaultdict(dict)
    rows = forecast_list(actor=actor).filter(region=region, month__in=ahead)
    for f in rows.select_related("stream"):
        if BASIS.get(f.stream.code) == Source.MANIFEST:
            forecasts[f.stream.code][f.month] = float(f.tonnes)
    names = {s.code: s.name for s in WasteStream.objects.filter(parent=None)}
    forecast_url = reverse("balance:forecast")
    series = []
    for code in sorted(set(totals) | set(forecasts), key=lambda c: -sum(totals[c].values())):
        series.append(
            {
                "code": code,
                "name": names.get(code, code),
                "history": [round(totals[code].get(m, 0.0), 1) for m in months],
                "forecast": [forecasts[code].get(m) for m in ahead],
                "url": f"{forecast_url}?{urlencode({'region': region.adcode, 'stream': code})}",
            }
        )
    return {
        "months": [m.strftime("%Y-%m") for m in months + ahead],
        "split": len(months),
        "series": series,
    }


def _warnings(actor, year: int, region: Region) -> tuple[list[dict], str]:
    # The region's own block: the counties' blocks (the balance page shows them) would repeat
    # that a county has no plant of its own for a stream the city's plants serve.
    table = balance_table(actor=actor, year=year, region=region, counties=False)
    url = f"{reverse('balance:table')}?{urlencode({'year': year, 'region': region.adcode})}"
    out = []
    for block in table.blocks:
        for row, warning in block.warnings:
            out.append(
                {
                    "region": block.region.name,
                    "stream": row.label,
                    "code": warning.code,
                    "message": warning.message,
                    "url": url,
                }
            )
    return out, url


def _alerts(actor, region: Region) -> tuple[list[dict], int]:
    rows = restrict(Alert.objects.all(), actor, Action.VIEW).filter(
        status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
    )
    if region.level != RegionLevel.CITY:
        ids = Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True)
        rows = rows.filter(region_id__in=list(ids))
    base = reverse("alerts:alert_list")
    counts = rows.values("rule").annotate(n=Count("id")).order_by("-n")
    labels = dict(Alert._meta.get_field("rule").choices or [])
    out = [
        {
            "rule": c["rule"],
            "label": labels.get(c["rule"], c["rule"]),
            "count": c["n"],
            "url": f"{base}?{urlencode({'rule': c['rule'], 'status': AlertStatus.OPEN})}",
        }
        for c in counts
    ]
    return out, sum(c["count"] for c in out)


def cockpit(
    actor, *, year: int | None = None, adcode: str = "", indicator_code: str = ""
) -> Cockpit:
    regions = cockpit_regions(actor)
    if not regions:
        raise NotPermitted()
    region = next((r for r in regions if r.adcode == adcode), regions[0])
    year = year or default_year()
    # Late or corrected records since the last refresh count now (cheap when none came); a
    # backlog larger than a page view should wait for is left to `wufei rollup` (cron).
    if year in refresh(limit=PAGE_REFRESH_SLICES).years:
        recompute_values(year)
    indicators = _headline_indicators(year, region)
    map_indicators = list(
        Indicator.objects.filter(is_active=True, computable=True).order_by("sort_order", "code")
    )
    chosen = next(
        (i for i in map_indicators if i.code == indicator_code),
        indicators[0] if indicators else None,
    )
    map_values, map_links = _map(actor, year, region, chosen, regions)
    visible = None
    if actor.department_id is not None:
        visible = set(actor.department.stream_ids())
    warnings, balance_url = _warnings(actor, year, region)
    alerts, alert_total = _alerts(actor, region)
    years = sorted(
        set(value_list(actor=actor).values_list("year", flat=True)) | {year}, reverse=True
    )
    return Cockpit(
        year=year,
        region=region,
        regions=regions,
        years=years,
        headlines=_headlines(actor, year, region, indicators),
        map_indicator=chosen,
        map_values=map_values,
        map_indicators=map_indicators,
        map_links=map_links,
        trend=_trend(actor, region, visible),
        warnings=warnings,
        alerts=alerts,
        alert_total=alert_total,
        balance_url=balance_url,
    )
