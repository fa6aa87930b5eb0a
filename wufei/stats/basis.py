"""Which source counts for a stream: one basis per top-level stream, so no tonne is counted
twice when both a manifest and a declaration report it.

Manifested streams (hazardous and medical waste, household waste at the weighbridge, kitchen
waste, construction waste, sludge) count what the manifests carried; the others (general
industrial solid waste, agricultural waste, express packaging, renewable resources) count what
enterprises and departments declared. Where a stream's basis has no figures for a period, the
other source's figures for that period count instead: per month for manifested streams (the
years before the platform ran, a county not yet on manifests: history imported as monthly
declarations still makes a series), per year for declared streams (their declarations are
annual and dated at the year's end, so a year with a declaration counts only the declaration,
not the months of manifests before it as well).

Every reader of the rollups (indicators, the balance table, material flows, forecasts, the
cockpit) goes through :func:`counted_months`, so their totals agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from wufei.registry.models import WasteStream
from wufei.stats.choices import Source
from wufei.stats.models import RollupMonth

BASIS: dict[str, str] = {
    "hazardous": Source.MANIFEST,  # with its sub-stream medical waste
    "household": Source.MANIFEST,
    "kitchen": Source.MANIFEST,
    "construction": Source.MANIFEST,
    "sludge": Source.MANIFEST,
    "industrial": Source.DECLARED,
    "agricultural": Source.DECLARED,
    "express-packaging": Source.DECLARED,
    "renewable": Source.DECLARED,
    "other": Source.DECLARED,
}

FIELDS = ("month", "region_id", "stream_id", "category_id", "facility_id", "quantity")


@lru_cache(maxsize=1)
def _top_codes() -> dict[int, str]:
    """Stream id -> code of its top-level stream (streams are reference data)."""
    streams = {s.pk: s for s in WasteStream.objects.only("code", "parent_id")}
    top = {}
    for pk, stream in streams.items():
        while stream.parent_id is not None:
            stream = streams[stream.parent_id]
        top[pk] = stream.code
    return top


def top_stream_code(stream_id: int) -> str:
    return _top_codes()[stream_id]


def basis_of(stream_id: int) -> str:
    return BASIS.get(top_stream_code(stream_id), Source.DECLARED)


def _period_key(row: dict) -> tuple:
    """The period over which a stream's basis is looked for: the month for manifested
    streams, the year for declared ones."""
    month = row["month"]
    period = month if basis_of(row["stream_id"]) == Source.MANIFEST else month.year
    return (period, row["region_id"], top_stream_code(row["stream_id"]))


def choose(rows: Iterable[dict]) -> list[dict]:
    """Keep, per (period, region, top-level stream), only the rows of the stream's basis when
    there are any, otherwise the rows of the other source. Rows are dicts with the keys of
    ``FIELDS`` plus ``source`` and ``tonnes``. Callers pass whole years for declared streams
    (a partial year would decide on the months it holds)."""
    rows = list(rows)
    present = {_period_key(r) for r in rows if r["source"] == basis_of(r["stream_id"])}
    return [
        r for r in rows if (r["source"] == basis_of(r["stream_id"])) == (_period_key(r) in present)
    ]


def counted_months(
    start: date, end: date, region_ids: Iterable[int] | None = None, **filters
) -> list[dict]:
    """The counted monthly figures with ``start <= month <= end`` (months as first days),
    optionally only in ``region_ids`` and matching further ``filters`` on RollupMonth."""
    qs = RollupMonth.objects.filter(month__gte=start, month__lte=end, **filters)
    if region_ids is not None:
        qs = qs.filter(region_id__in=list(region_ids))
    return choose(qs.values(*FIELDS, "source", "tonnes"))
