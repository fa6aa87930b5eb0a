"""Open figures (公开数据): the city's zero-waste progress for residents, no account needed.

What the page publishes, all city- or county-wide aggregates (no row of any party):

- selected indicators of the latest year the indicator engine has computed values for the city
  (the stored ``IndicatorValue`` rows, as on the officials' indicator pages);
- household sorting this year per county: participation, accuracy and kitchen waste separation
  (分出率), as ``wufei.sorting.measures`` defines them;
- the number of operating utilisation and disposal facilities (what the registry shows the
  public), by kind;
- links to the published bulletins and the other public pages.

The figures are computed at most every ``CACHE_SECONDS`` (the sorting figures read a year of
drops), the same for every visitor.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.registry.choices import FacilityKind, RegionLevel
from wufei.registry.models import Facility, Region
from wufei.sorting import measures as sm
from wufei.stats.choices import ValueStatus
from wufei.stats.models import IndicatorValue

CACHE_SECONDS = 600
# The indicators residents are shown, in this order, when the city has a value for them.
PUBLIC_INDICATORS = (
    "common-household-harmless",
    "common-household-recycling",
    "common-community-sorting",
    "common-sorting-participation",
    "common-sorting-accuracy",
    "common-kitchen-separation",
    "common-industrial-utilisation",
    "common-construction-utilisation",
    "common-medical-disposal",
    "common-straw",
    "common-zero-waste-cells",
    "common-public-satisfaction",
)
SORTING_RATES = ("participation_rate", "accuracy_rate", "kitchen_separation_rate")
LINKS = (
    ("public-bulletins:list", _("工作简报")),
    ("sortguide:index", _("垃圾分类指南与查询")),
    ("report-public:new", _("随手拍举报")),
    ("outreach-public:event_list", _("开放日与教育基地预约")),
    ("outreach-public:survey", _("满意度调查")),
)


def city() -> Region | None:
    return Region.objects.defer("boundary").filter(level=RegionLevel.CITY).order_by("path").first()


def indicators(region: Region) -> tuple[int | None, list[IndicatorValue]]:
    """The latest year with a computed value of a public indicator for ``region``, and those
    values in the order of :data:`PUBLIC_INDICATORS`."""
    rows = IndicatorValue.objects.filter(
        region=region,
        status=ValueStatus.OK,
        indicator__code__in=PUBLIC_INDICATORS,
        indicator__is_active=True,
    )
    year = rows.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return None, []
    found = {v.indicator.code: v for v in rows.filter(year=year).select_related("indicator")}
    return year, [found[c] for c in PUBLIC_INDICATORS if c in found]


def sorting(region: Region, year: int, today: dt.date) -> dict:
    """Sorting this year (to today) per county and for the city."""
    end = min(dt.date(year, 12, 31), today)
    children, whole = sm.children_counts(region, dt.date(year, 1, 1), end)

    def rates(counts: sm.Counts) -> list:
        return [sm.MEASURES[code].value(counts) for code in SORTING_RATES]

    return {
        "year": year,
        "end": end,
        "rows": [(r.name, c.communities, rates(c)) for r, c in children],
        "total": (region.name, whole.communities, rates(whole)),
        "households": whole.registered,
        "recyclables": sm.MEASURES["recyclables_tonnes"].value(whole),
        "empty": whole.drops == 0 and whole.registered == 0,
    }


def facilities() -> tuple[int, list[tuple[str, int]]]:
    """Operating facilities (as the public sees them in the registry), in total and by kind."""
    rows = restrict(Facility.objects.all(), None, Action.VIEW)
    kinds = Counter(rows.values_list("kind", flat=True))
    labels = dict(FacilityKind.choices)
    by_kind = sorted(((str(labels.get(k, k)), n) for k, n in kinds.items()), key=lambda x: -x[1])
    return sum(kinds.values()), by_kind


def links() -> list[tuple[str, str]]:
    return [(reverse(name), str(label)) for name, label in LINKS]


def figures_data(today: dt.date) -> dict:
    region = city()
    if region is None:
        return {"region": None}
    year, values = indicators(region)
    total, by_kind = facilities()
    return {
        "region": region,
        "indicator_year": year,
        "indicators": values,
        "sorting": sorting(region, today.year, today),
        "facilities": total,
        "facility_kinds": by_kind,
        "today": today,
    }


def index(request):
    today = timezone.localdate()
    key = f"web:figures:{today.isoformat()}:{get_language()}"
    data = cache.get(key)
    if data is None:
        data = figures_data(today)
        cache.set(key, data, CACHE_SECONDS)
    return render(
        request,
        "web/figures.html",
        {**data, "links": links(), "measures": [sm.MEASURES[c] for c in SORTING_RATES]},
    )
