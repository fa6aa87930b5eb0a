"""Reads of the sorting registry and the guides' roster, scoped to the actor: a county official
sees the county's compounds and villages, a guide the street's, the city everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.sorting.models import (
    Attendance,
    Community,
    Guide,
    Household,
    Shift,
    ShiftStatus,
    Station,
    StationCheck,
    Training,
)


def _count(queryset: QuerySet, key: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` rows whose ``key`` is the outer row (0 if none)."""
    counted = (
        queryset.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def registration_rate(community: Community) -> Decimal | None:
    """Registered (active) households ÷ the community's resident households, as a percentage."""
    total = community.households_total
    registered = getattr(community, "registered", None)
    if not total or registered is None:
        return None
    return (Decimal(registered) * 100 / Decimal(total)).quantize(Decimal("0.1"))


def community_list(*, actor) -> QuerySet[Community]:
    """Communities the actor may see, each with ``registered`` (active households) and
    ``station_count``."""
    rows = Community.objects.select_related("region", "region__parent", "site", "committee")
    rows = rows.annotate(
        registered=_count(Household.objects.filter(is_active=True), "community"),
        station_count=_count(Station.objects.filter(is_active=True), "community"),
    )
    return restrict(rows, actor, Action.VIEW)


def household_list(*, actor) -> QuerySet[Household]:
    rows = Household.objects.select_related("community", "community__region")
    return restrict(rows, actor, Action.VIEW)


def household_by_code(*, actor, code: str) -> Household | None:
    """The household with this code or card number, if the actor may see it."""
    text = (code or "").strip().upper()
    if not text:
        return None
    return household_list(actor=actor).filter(Q(code=text) | Q(card_number=text)).first()


def station_list(*, actor) -> QuerySet[Station]:
    rows = Station.objects.select_related("region", "community", "device", "operator").annotate(
        guide_count=Count("guides", filter=Q(guides__is_active=True), distinct=True)
    )
    return restrict(rows, actor, Action.VIEW).order_by("region__adcode", "name", "pk")


def guide_list(*, actor) -> QuerySet[Guide]:
    rows = (
        Guide.objects.select_related("region", "user")
        .prefetch_related("stations")
        .annotate(station_count=Count("stations", distinct=True))
    )
    return restrict(rows, actor, Action.VIEW).order_by("region__adcode", "name", "pk")


def shift_list(*, actor) -> QuerySet[Shift]:
    rows = Shift.objects.select_related("guide", "station", "station__region")
    return restrict(rows, actor, Action.VIEW)


def check_list(*, actor) -> QuerySet[StationCheck]:
    rows = StationCheck.objects.select_related(
        "station", "station__region", "station__community", "guide", "created_by"
    )
    return restrict(rows, actor, Action.VIEW)


def training_list(*, actor) -> QuerySet[Training]:
    rows = Training.objects.select_related("region").annotate(
        present_count=_count(Attendance.objects.filter(present=True), "training"),
        passed_count=_count(Attendance.objects.filter(passed=True), "training"),
    )
    return restrict(rows, actor, Action.VIEW)


def attendance_of(*, actor, training: Training) -> QuerySet[Attendance]:
    rows = Attendance.objects.filter(training=training).select_related("guide", "guide__region")
    return restrict(rows, actor, Action.VIEW).order_by("guide__name", "pk")


def streets(*, actor) -> QuerySet[Region]:
    """Streets (towns) where the actor sees a community or a station, for the filters."""
    communities = restrict(Community.objects.all(), actor, Action.VIEW).values("region")
    stations = restrict(Station.objects.all(), actor, Action.VIEW).values("region")
    return Region.objects.filter(
        Q(pk__in=communities) | Q(pk__in=stations), level=RegionLevel.TOWN
    ).order_by("adcode")


# --- the week of shifts --------------------------------------------------------------------------


@dataclass
class WeekRow:
    station: Station
    days: list[list[Shift]] = field(default_factory=list)


@dataclass
class Week:
    monday: date
    days: list[date]
    rows: list[WeekRow]
    counts: dict[str, int]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def shift_week(*, actor, monday: date, street: Region | None = None) -> Week:
    """The shifts of one week (Monday to Sunday), one row per station, one cell per day."""
    days = [monday + timedelta(days=i) for i in range(7)]
    shifts = shift_list(actor=actor).filter(day__gte=days[0], day__lte=days[-1])
    if street is not None:
        shifts = shifts.filter(station__region__path__startswith=street.path)
    rows: dict[int, WeekRow] = {}
    counts = dict.fromkeys(ShiftStatus.values, 0)
    for shift in shifts.order_by("station__name", "station_id", "day", "starts"):
        row = rows.get(shift.station_id)
        if row is None:
            row = rows[shift.station_id] = WeekRow(shift.station, [[] for _ in days])
        row.days[(shift.day - monday).days].append(shift)
        counts[shift.status] += 1
    return Week(monday=monday, days=days, rows=list(rows.values()), counts=counts)


def guide_shifts(*, guide: Guide, start: date, end: date) -> QuerySet[Shift]:
    return guide.shifts.filter(day__gte=start, day__lte=end).select_related("station")
