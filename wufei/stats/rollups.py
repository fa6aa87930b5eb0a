"""Rollups: marking (county, day) slices dirty when their raw records change, and rebuilding
them.

Every writer of a record the statistics count (manifest steps and corrections, declarations)
calls :func:`mark_dirty` inside its own transaction, so a mark exists exactly when the change
commits; manifests are marked by the ``pre_save``/``post_save`` receivers below (connected in
``StatsConfig.ready``). :func:`refresh` rebuilds the marked slices from the raw records alone
(``wufei.stats.rollup_sources``) and the months they fall in; :func:`rebuild` rebuilds
everything (or one year) with the same queries.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from wufei.manifests.choices import State
from wufei.manifests.flows import STORE
from wufei.manifests.models import Manifest
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.stats import rollup_sources as src
from wufei.stats.models import Rollup, RollupDirty, RollupMonth
from wufei.trace.choices import LinkKind
from wufei.trace.models import ContainerLink

COUNTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.ZONE, RegionLevel.CITY)
BATCH = 500  # marks per refresh transaction


def county_id_of(region: Region) -> int:
    """The rollup region of a record's region: its county or function zone (a town's
    parent), or the city itself for figures declared for the whole city."""
    if region.level in COUNTY_LEVELS or region.parent_id is None:
        return region.pk
    return region.parent_id


def mark_dirty(region_id: int, days: Iterable[dt.date | None]) -> None:
    """Mark the slices (``region_id``'s county, each day) for rebuilding. Idempotent.

    An existing mark gets a new ``marked_at``: a refresh that read the mark before this
    change then leaves it in place (and on PostgreSQL this update waits for a refresh
    holding the mark, so the change is never lost between its read and its delete)."""
    wanted = {d for d in days if d is not None}
    if not wanted:
        return
    county = county_id_of(Region.objects.only("level", "parent_id").get(pk=region_id))
    now = timezone.now()
    for day in sorted(wanted):
        mark = RollupDirty.objects.filter(region_id=county, day=day)
        if mark.update(marked_at=now):
            continue
        try:
            with transaction.atomic():
                RollupDirty.objects.create(region_id=county, day=day, marked_at=now)
        except IntegrityError:  # marked concurrently
            mark.update(marked_at=now)


# --- marking manifests --------------------------------------------------------------------

# What a manifest's rollup rows depend on, and the times that place them on days.
COUNTED_FIELDS = (
    "state",
    "region_id",
    "stream_id",
    "waste_code_id",
    "receiver_facility_id",
    "method_id",
    "pickup_kg",
    "accepted_kg",
    "picked_up_at",
    "received_at",
    "completed_at",
)
DAY_FIELDS = ("picked_up_at", "received_at", "completed_at")
_SAVED_NAMES = {f.removesuffix("_id") for f in COUNTED_FIELDS} | set(COUNTED_FIELDS)
_BEFORE = "_rollup_before"


def _counts(update_fields) -> bool:
    return update_fields is None or bool(_SAVED_NAMES.intersection(update_fields))


def _state_class(state: str) -> str:
    """States that give the same rollup rows: only counting and completion matter."""
    if state in src.UNCOUNTED_STATES:
        return "none"
    return "completed" if state == State.COMPLETED else "counted"


def _figures(values: dict) -> dict:
    return {**values, "state": _state_class(values["state"])}


def _slices(values: dict) -> set[tuple[int, dt.date]]:
    return {
        (values["region_id"], timezone.localdate(values[f]))
        for f in DAY_FIELDS
        if values[f] is not None
    }


def manifest_before_save(sender, instance: Manifest, raw=False, update_fields=None, **kwargs):
    """Keep what the row held before the save (one query, and only for saves that may
    change a counted field)."""
    if raw or instance.pk is None or not _counts(update_fields):
        return
    before = Manifest.objects.filter(pk=instance.pk).values(*COUNTED_FIELDS, "method__code")
    setattr(instance, _BEFORE, before.first())


def manifest_after_save(
    sender, instance: Manifest, created=False, raw=False, update_fields=None, **kwargs
):
    """Mark the slices of the manifest as it was and as it is, when its figures changed."""
    if raw or not _counts(update_fields):
        return
    before = instance.__dict__.pop(_BEFORE, None)
    after = {f: getattr(instance, f) for f in COUNTED_FIELDS}
    if before is not None:
        code = before.pop("method__code")
        if _figures(before) == _figures(after):
            return
        stored_before = before["state"] == State.COMPLETED and code == STORE
    else:
        code, stored_before = None, False
    slices = _slices(after) | (_slices(before) if before is not None else set())
    if stored_before != _stores(instance, before, code):
        slices |= onward_slices(instance)
    _mark(slices)


def _stores(m: Manifest, before: dict | None, code_before: str | None) -> bool:
    """Whether ``m`` is now completed keeping its load in storage (G-STORE)."""
    if m.state != State.COMPLETED or m.method_id is None:
        return False
    if before is not None and before["method_id"] == m.method_id:
        return code_before == STORE
    method = m.method
    return method is not None and method.code == STORE


def onward_slices(m: Manifest) -> set[tuple[int, dt.date]]:
    """Pick-up slices of the later manifests carrying what ``m`` carried (or boxes it was
    packed into): whether they count as onward legs depends on how ``m`` was completed."""
    boxes = set(m.items.values_list("container_id", flat=True))
    frontier = set(boxes)
    for _level in range(src.PACK_DEPTH):
        frontier = (
            set(
                ContainerLink.objects.filter(
                    source_id__in=frontier, kind=LinkKind.PACKED
                ).values_list("target_id", flat=True)
            )
            - boxes
        )
        boxes |= frontier
    later = (
        Manifest.objects.filter(
            items__container_id__in=boxes, created_at__gt=m.created_at, picked_up_at__isnull=False
        )
        .exclude(state__in=src.UNCOUNTED_STATES)
        .values_list("region_id", "picked_up_at")
        .distinct()
    )
    return {(region, timezone.localdate(at)) for region, at in later}


def _mark(slices: set[tuple[int, dt.date]]) -> None:
    by_region: dict[int, set[dt.date]] = defaultdict(set)
    for region, day in slices:
        by_region[region].add(day)
    for region, days in sorted(by_region.items()):
        mark_dirty(region, sorted(days))


def connect() -> None:
    pre_save.connect(manifest_before_save, sender=Manifest, dispatch_uid="stats_rollup_pre")
    post_save.connect(manifest_after_save, sender=Manifest, dispatch_uid="stats_rollup_post")


# --- refresh and rebuild ------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    slices: int = 0  # (county, day) slices rebuilt
    months: int = 0  # (county, month) rows sets rebuilt
    years: tuple[int, ...] = ()  # years whose figures may have changed

    def __add__(self, other: RefreshResult) -> RefreshResult:
        return RefreshResult(
            self.slices + other.slices,
            self.months + other.months,
            tuple(sorted(set(self.years) | set(other.years))),
        )


def _take(limit: int, started: dt.datetime) -> list[tuple[int, int, dt.date, dt.datetime]]:
    marks = RollupDirty.objects.filter(marked_at__lte=started).order_by("day", "region_id")
    if connection.features.has_select_for_update_skip_locked:
        marks = marks.select_for_update(skip_locked=True)
    return list(marks.values_list("pk", "region_id", "day", "marked_at")[:limit])


def _runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def rebuild_slices(slices: Iterable[tuple[int, dt.date]]) -> RefreshResult:
    """Rebuild the daily rows of (county, day) ``slices`` from the raw records, then the
    monthly rows of their months. Runs of consecutive days are rebuilt together, for the
    counties marked in the run (rebuilding a slice that was not marked is harmless)."""
    slices = set(slices)
    counties_on: dict[dt.date, set[int]] = defaultdict(set)
    for county, day in slices:
        counties_on[day].add(county)
    touched: dict[dt.date, set[int]] = defaultdict(set)
    for first, last in _runs(counties_on):
        counties = set().union(
            *(counties_on[first + dt.timedelta(days=i)] for i in range((last - first).days + 1))
        )
        Rollup.objects.filter(region_id__in=counties, day__gte=first, day__lte=last).delete()
        src.insert_daily(src.Window(first, last, src.record_regions(counties)))
        month = _month_of(first)
        while month <= last:
            touched[month] |= counties
            month = _month_end(month) + dt.timedelta(days=1)
    for month, counties in sorted(touched.items()):
        RollupMonth.objects.filter(month=month, region_id__in=counties).delete()
        src.insert_monthly(src.Window(month, _month_end(month)), counties)
    return RefreshResult(
        slices=len(slices),
        months=sum(len(c) for c in touched.values()),
        years=tuple(sorted({m.year for m in touched})),
    )


def _forget(marks: list[tuple[int, int, dt.date, dt.datetime]]) -> None:
    """Delete the marks processed, unless one was set again since it was read."""
    for i in range(0, len(marks), 200):
        chunk = marks[i : i + 200]
        q = reduce(or_, (Q(pk=pk, marked_at=at) for pk, _r, _d, at in chunk))
        RollupDirty.objects.filter(q).delete()


def refresh(batch: int = BATCH, limit: int | None = None) -> RefreshResult:
    """Rebuild every slice marked dirty before this call (at most ``limit`` of them), ``batch``
    marks per transaction; marks held by a writer's open transaction (PostgreSQL) wait for the
    next refresh."""
    started = timezone.now()
    result = RefreshResult()
    while limit is None or result.slices < limit:
        if limit is not None:
            batch = min(batch, limit - result.slices)
        with transaction.atomic():
            marks = _take(batch, started)
            if not marks:
                return result
            result += rebuild_slices((region, day) for _pk, region, day, _at in marks)
            _forget(marks)
    return result


@dataclass(frozen=True)
class RebuildResult:
    days: int  # daily rows written
    months: int  # monthly rows written
    seconds: float


def rebuild(year: int | None = None) -> RebuildResult:
    """Rebuild the daily and monthly rows of every record (or of ``year``'s days) in one
    transaction, grouped in the database, clearing the marks it covers."""
    clock = time.perf_counter()
    first = dt.date(year, 1, 1) if year is not None else None
    last = dt.date(year, 12, 31) if year is not None else None
    with transaction.atomic():
        # The marks go first: a writer re-marking one now waits for this transaction, and
        # its mark then outlives it.
        marks, days = RollupDirty.objects.all(), Rollup.objects.all()
        months = RollupMonth.objects.all()
        if year is not None:
            marks = marks.filter(day__year=year)
            days = days.filter(day__year=year)
            months = months.filter(month__year=year)
        marks.delete()
        days.delete()
        months.delete()
        window = src.Window(first, last)
        daily = src.insert_daily(window)
        monthly = src.insert_monthly(window)
    return RebuildResult(daily, monthly, time.perf_counter() - clock)
