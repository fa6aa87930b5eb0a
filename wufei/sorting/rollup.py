"""The daily rollup of household sorting: one :class:`CommunityDay` row per community, local day
(Asia/Shanghai) and waste class, summed from the drops.

:func:`rebuild` deletes the rows of a range of days and inserts them again from one grouped
query over the drops (``INSERT … SELECT … GROUP BY``), in one transaction, so running it twice
gives the same rows and a reader never sees a half-rebuilt range. The local day is computed by
the database (``TruncDate`` with the time zone: ``AT TIME ZONE`` on PostgreSQL, Django's date
function on SQLite), weights are summed as whole hundredths of a kilogram (exact on SQLite too).

The daily to yearly measures read these rows; distinct households over a period are counted from
the drops themselves (a household that drops on two days is one household).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Cast, Round, TruncDate

from wufei.sorting.models import CommunityDay, Drop

COLUMNS = ("community_id", "day", "waste_class", "drops", "households", "weight_kg", "checked")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of a local day as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


@lru_cache(maxsize=4)
def fixed_offset(zone_name: str) -> int | None:
    """The zone's UTC offset in seconds if it has not changed since 1992 and will not by 2100
    (Asia/Shanghai: +8 h), else ``None``."""
    zone = ZoneInfo(zone_name)
    offsets = {
        dt.datetime(year, month, 1, tzinfo=zone).utcoffset()
        for year in range(1992, 2101)
        for month in (1, 7)
    }
    only = offsets.pop() if len(offsets) == 1 else None
    return None if only is None else int(only.total_seconds())


class LocalDate(TruncDate):
    """``TruncDate`` in the local zone; on SQLite, for a zone with a fixed offset, computed by
    SQLite's own ``date()`` (Django's per-row Python function is five times slower)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        offset = fixed_offset(settings.TIME_ZONE)
        if offset is None:
            return self.as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, %s)", (*params, f"{offset:+d} seconds")


def local_day(field: str) -> TruncDate:
    """The local (Asia/Shanghai) date of a datetime column, computed by the database."""
    return LocalDate(field, tzinfo=local_zone())


def hundredths(field: str) -> Cast:
    """A kilogram column as whole hundredths of a kilogram (an exact integer to sum)."""
    scaled = ExpressionWrapper(
        F(field) * 100, output_field=DecimalField(max_digits=16, decimal_places=2)
    )
    return Cast(Round(scaled), BigIntegerField())


def during(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    """Rows whose datetime ``field`` falls on a local day from ``start`` to ``end`` (inclusive;
    an open end reads everything), as an index range."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": local_midnight(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": local_midnight(end + dt.timedelta(days=1))})
    return q


def grouped_drops(start: dt.date | None = None, end: dt.date | None = None):
    """The drops of the days, grouped by community, local day and class."""
    return (
        Drop.objects.filter(during("dropped_at", start, end))
        .values(
            r_community=F("community_id"), r_day=local_day("dropped_at"), r_class=F("waste_class")
        )
        .annotate(
            n=Count("pk"),
            h=Count("household_id", distinct=True),
            cents=Sum(hundredths("weight_kg")),
            checked=Count("pk", filter=Q(correct__isnull=False)),
            ok=Count("pk", filter=Q(correct=True)),
        )
        .order_by()
    )


def rebuild(*, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Recompute the CommunityDay rows of the local days ``start``..``end`` (inclusive; ``None``
    leaves that end open: everything) from the drops; the number of rows written."""
    if start is not None and end is not None and start > end:
        raise ValueError("start after end")
    days = Q()
    if start is not None:
        days &= Q(day__gte=start)
    if end is not None:
        days &= Q(day__lte=end)
    sql, params = grouped_drops(start, end).query.sql_with_params()
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in (*COLUMNS, "correct"))
    # Composed of the ORM's compiled query and constant names; values travel as parameters.
    insert = (
        f"INSERT INTO {q(CommunityDay._meta.db_table)} ({columns}) "  # noqa: S608
        "SELECT b.r_community, b.r_day, b.r_class, b.n, b.h, b.cents / 100.0, b.checked, b.ok "
        f"FROM ({sql}) b"
    )
    with transaction.atomic():
        CommunityDay.objects.filter(days).delete()
        with connection.cursor() as cursor:
            cursor.execute(insert, params)
            return max(cursor.rowcount, 0)
