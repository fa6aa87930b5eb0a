"""The rollup rows of the raw records, as grouped queries the database runs.

One set of queries serves both the rebuild of a few dirty slices and the full rebuild: each
source (manifest pick-ups, receipts, completions; declaration lines) is a grouped queryset
restricted to a :class:`Window` (days and record regions), and :func:`insert_daily` sends
their union to the database as one ``INSERT … SELECT … GROUP BY``. Nothing is looped over
per record in Python, so a full rebuild costs a few scans of the manifest table.

Masses are summed as whole grams (exact on SQLite too) and rounded to kilograms (tonnes
with three decimals, half away from zero) per rollup row, so a slice rebuilt alone and the
same slice rebuilt with everything else give identical rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Round, TruncDate, TruncMonth

from wufei.manifests.choices import State
from wufei.manifests.flows import STORE
from wufei.manifests.models import Manifest
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region, WasteCode
from wufei.stats.choices import COUNTED_STATUSES, Quantity, Source
from wufei.stats.models import DeclarationLine, Rollup, RollupMonth
from wufei.trace.choices import LinkKind

COUNTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.ZONE, RegionLevel.CITY)
UNCOUNTED_STATES = (State.DRAFT, State.CANCELLED)
# How deep boxes are followed when asking whether a manifest carries stored waste
# (small box → big box → pallet).
PACK_DEPTH = 2

KEYS = ("r_region", "r_day", "r_stream", "r_category", "r_facility", "r_quantity", "r_source")
RAW_KEYS = ("r_region", "r_day", "r_stream", "r_code", *KEYS[3:])
COLUMNS = ("region_id", "day", "stream_id", "category_id", "facility_id", "quantity", "source")
MONTH_KEYS = ("r_region", "r_month", *KEYS[2:])
MONTH_COLUMNS = ("region_id", "month", *COLUMNS[2:])


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class Window:
    """Which records a query reads: days ``first``..``last`` (local dates, inclusive; open
    ends read everything) in the record regions ``region_ids`` (``None``: everywhere)."""

    first: dt.date | None = None
    last: dt.date | None = None
    region_ids: tuple[int, ...] | None = None

    def during(self, field: str) -> Q:
        """Rows whose datetime ``field`` falls on a local day of the window (an index range)."""
        q = Q(**{f"{field}__isnull": False})
        if self.first is not None:
            q &= Q(**{f"{field}__gte": local_midnight(self.first)})
        if self.last is not None:
            q &= Q(**{f"{field}__lt": local_midnight(self.last + dt.timedelta(days=1))})
        return q

    def between(self, field: str) -> Q:
        """Rows whose date ``field`` falls in the window."""
        q = Q()
        if self.first is not None:
            q &= Q(**{f"{field}__gte": self.first})
        if self.last is not None:
            q &= Q(**{f"{field}__lte": self.last})
        return q

    def in_regions(self, field: str) -> Q:
        return Q() if self.region_ids is None else Q(**{f"{field}__in": self.region_ids})


def record_regions(counties: Iterable[int]) -> tuple[int, ...]:
    """The regions whose records roll up into ``counties`` (``county_id_of`` inverted): the
    counties themselves and the towns below them."""
    counties = list(counties)
    towns = ~Q(level__in=COUNTY_LEVELS) & Q(parent_id__in=counties) & Q(parent__isnull=False)
    return tuple(Region.objects.filter(Q(pk__in=counties) | towns).values_list("pk", flat=True))


def local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=local_zone())


def grams(field: str, per_unit: int) -> Cast:
    """``field`` in whole grams (``per_unit`` grams per unit of the field; negative to count
    the mass out)."""
    scaled = ExpressionWrapper(
        F(field) * Value(per_unit), output_field=DecimalField(max_digits=24, decimal_places=4)
    )
    return Cast(Round(scaled), BigIntegerField())


def null_id() -> Cast:
    return Cast(Value(None), IntegerField())


def grouped(
    rows: QuerySet,
    *,
    region,
    day,
    stream,
    code,
    category,
    facility,
    quantity,
    source: str,
    mass,
) -> QuerySet:
    """``rows`` grouped by the record's own region and waste code (mapped to the county and
    the category on the grouped rows, not on every record), the day and the rest of the
    key, with the signed grams ``g`` and the count ``n``."""
    return (
        rows.order_by()
        .values(
            r_region=region,
            r_day=day,
            r_stream=stream,
            r_code=code,
            r_category=category,
            r_facility=facility,
            r_quantity=quantity,
            r_source=Value(str(source)),
        )
        .annotate(g=Sum(mass), n=Count("pk"))
    )


# --- manifests ----------------------------------------------------------------------------


PRIOR_LEGS = "stats_prior_legs"  # the name of the common table expression below
PRIOR_IDS = "SELECT manifest_id FROM stats_prior_legs"
ONWARD_IDS = "SELECT manifest_id FROM stats_prior_legs WHERE stored = 1"


def _carried_before(rows: QuerySet, earlier: dict) -> list[QuerySet]:
    """Ids of the ``rows`` that carry a container (or a box holding one) which an earlier
    manifest matching the lookups ``earlier`` carried: one join per packing depth."""
    found = []
    path = "items__container"
    packed: dict = {}
    for _depth in range(PACK_DEPTH + 1):
        on = f"{path}__manifest_items__manifest"
        lookups = {f"{on}__{k}": v for k, v in earlier.items()}
        lookups[f"{on}__created_at__lt"] = F("created_at")
        found.append(rows.filter(**lookups, **packed).order_by().values(leg=F("pk")))
        packed[f"{path}__links_in__kind"] = LinkKind.PACKED
        path = f"{path}__links_in__source"
    return found


# A container kept in storage (G-STORE) and then sent on: its new manifest is an onward leg.
STORED_BEFORE = {"state": State.COMPLETED, "method__code": STORE}
# A load refused at the gate goes back to its generator; shipped again, it is no new waste.
REJECTED_BEFORE = {"state": State.REJECTED}


def _counted(w: Window) -> QuerySet:
    return Manifest.objects.exclude(state__in=UNCOUNTED_STATES).filter(w.in_regions("region"))


def _picked(w: Window) -> QuerySet:
    return _counted(w).filter(w.during("picked_up_at"), pickup_kg__isnull=False)


def prior_legs(w: Window) -> tuple[str, list]:
    """SQL of the window's pick-ups that are no new waste, as ``(manifest_id, stored)``:
    onward legs out of storage (stored = 1) and loads shipped again after a rejection (0).
    Sent once, as a materialised common table expression the manifest queries read."""
    parts: list[str] = []
    params: list = []
    for earlier, stored in ((STORED_BEFORE, 1), (REJECTED_BEFORE, 0)):
        for rows in _carried_before(_picked(w), earlier):
            sql, p = rows.query.sql_with_params()
            parts.append(f"SELECT p.leg AS manifest_id, {stored} AS stored FROM ({sql}) p")  # noqa: S608
            params.extend(p)
    return " UNION ALL ".join(parts), params


def manifest_rows(w: Window) -> Iterator[QuerySet]:
    """The manifests' grouped rows; they read the common table expression ``PRIOR_LEGS``."""
    counted = _counted(w)
    common: dict[str, Any] = {
        "region": F("region_id"),
        "stream": F("stream_id"),
        "code": F("waste_code_id"),
        "category": null_id(),
        "source": Source.MANIFEST,
    }
    picked = _picked(w)
    prior = RawSQL(PRIOR_IDS, ())  # noqa: S611
    onward = RawSQL(ONWARD_IDS, ())  # noqa: S611
    yield grouped(
        picked.exclude(pk__in=prior),
        day=local_day("picked_up_at"),
        facility=null_id(),
        quantity=Value(str(Quantity.GENERATED)),
        mass=grams("pickup_kg", 1000),
        **common,
    )
    yield grouped(  # an onward leg takes its load out of storage
        picked.filter(pk__in=onward),
        day=local_day("picked_up_at"),
        facility=null_id(),
        quantity=Value(str(Quantity.STORED)),
        mass=grams("pickup_kg", -1000),
        **common,
    )
    yield grouped(
        counted.filter(w.during("received_at"), accepted_kg__isnull=False),
        day=local_day("received_at"),
        facility=F("receiver_facility_id"),
        quantity=Value(str(Quantity.RECEIVED)),
        mass=grams("accepted_kg", 1000),
        **common,
    )
    completed = counted.filter(
        w.during("completed_at"),
        state=State.COMPLETED,
        method__isnull=False,
        accepted_kg__isnull=False,
    )
    yield grouped(
        completed,
        day=local_day("completed_at"),
        facility=F("receiver_facility_id"),
        quantity=F("method__fate"),
        mass=grams("accepted_kg", 1000),
        **common,
    )


# --- declarations -------------------------------------------------------------------------


def declaration_rows(w: Window) -> Iterator[QuerySet]:
    lines = (
        DeclarationLine.objects.exclude(quantity="")
        .filter(declaration__status__in=COUNTED_STATUSES)
        .filter(w.between("declaration__period_end"), w.in_regions("declaration__region"))
        .annotate(leaf=Coalesce("stream_id", "declaration__stream_id"))
        .filter(leaf__isnull=False)
    )
    yield grouped(
        lines,
        region=F("declaration__region_id"),
        day=F("declaration__period_end"),
        stream=F("leaf"),
        code=null_id(),
        category=F("category_id"),
        facility=null_id(),
        quantity=F("quantity"),
        source=Source.DECLARED,
        mass=grams("value", 1_000_000),
    )


def sources(w: Window) -> list[QuerySet]:
    return [*manifest_rows(w), *declaration_rows(w)]


# --- writing the rows ---------------------------------------------------------------------


def _tonnes(grams_sql: str) -> str:
    """Grams to tonnes with three decimals, rounded half away from zero on every backend."""
    if connection.vendor == "postgresql":
        return f"ROUND(({grams_sql}) / 1000000.0, 3)"
    kilos = f"(CASE WHEN {grams_sql} >= 0 THEN ({grams_sql} + 500) ELSE ({grams_sql} - 500) END)"
    return f"(({kilos}) / 1000) / 1000.0"


def _names(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(n) for n in names)


def _analytic_settings() -> None:
    """PostgreSQL: room to group a city's records in memory, and no JIT compilation (it
    costs more than it saves on these one-off scans). For this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")


def insert_daily(w: Window) -> int:
    """Insert the daily rollup rows of every record in ``w``; the number of rows written.
    The caller (in a transaction) has deleted the rows of the slices ``w`` covers.

    One statement: the prior legs as a materialised CTE, the union of the grouped sources,
    then the records' regions mapped to their counties and waste codes to categories on the
    grouped rows, and the grams summed into tonnes."""
    _analytic_settings()
    prior_sql, prior_params = prior_legs(w)
    parts: list[str] = []
    params: list = []
    for rows in sources(w):
        sql, p = rows.query.sql_with_params()
        parts.append(f"SELECT {', '.join(RAW_KEYS)}, g, n FROM ({sql}) b")  # noqa: S608
        params.extend(p)
    q = connection.ops.quote_name
    region, code = q(Region._meta.db_table), q(WasteCode._meta.db_table)
    county = (
        f"CASE WHEN rg.level IN ({', '.join(['%s'] * len(COUNTY_LEVELS))}) "
        "OR rg.parent_id IS NULL THEN rg.id ELSE rg.parent_id END"
    )
    rest = ", ".join(f"u.{k}" for k in KEYS[4:])
    # Composed of the ORM's compiled queries and constant names; values travel as params.
    sql = (
        f"INSERT INTO {q(Rollup._meta.db_table)} ({_names(COLUMNS)}, tonnes, records) "  # noqa: S608
        f"WITH {PRIOR_LEGS} AS MATERIALIZED ({prior_sql}) "
        f"SELECT {county}, u.r_day, u.r_stream, COALESCE(u.r_category, wc.category_id), "
        f"{rest}, {_tonnes('SUM(u.g)')}, SUM(u.n) "
        f"FROM ({' UNION ALL '.join(parts)}) u "
        f"JOIN {region} rg ON rg.id = u.r_region LEFT JOIN {code} wc ON wc.id = u.r_code "
        f"GROUP BY {', '.join(str(i + 1) for i in range(len(COLUMNS)))}"
    )
    levels = [str(level) for level in COUNTY_LEVELS]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prior_params, *levels, *params])
        return cursor.rowcount


def insert_monthly(w: Window, counties: Iterable[int] | None = None) -> int:
    """Insert the monthly rows summing the daily rows of the window's days (whole months)
    in ``counties`` (``None``: all); the caller has deleted those months' rows."""
    days = Rollup.objects.filter(w.between("day"))
    if counties is not None:
        days = days.filter(region_id__in=list(counties))
    rows = (
        days.order_by()
        .values(
            r_region=F("region_id"),
            r_month=TruncMonth("day"),
            r_stream=F("stream_id"),
            r_category=F("category_id"),
            r_facility=F("facility_id"),
            r_quantity=F("quantity"),
            r_source=F("source"),
        )
        .annotate(t=Sum("tonnes"), n=Sum("records"))
    )
    sql, params = rows.query.sql_with_params()
    keys = ", ".join(MONTH_KEYS)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(RollupMonth._meta.db_table)} "  # noqa: S608
        f"({_names(MONTH_COLUMNS)}, tonnes, records) "
        f"SELECT {keys}, ROUND(t, 3), n FROM ({sql}) m"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
