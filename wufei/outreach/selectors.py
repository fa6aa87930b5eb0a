"""Reads of events, bookings and survey results. Officials see the events of their scope (the
city all, a county its county's, an enterprise the ones it hosts); the public sees published
events only, and bookings only by their code."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.outreach import survey
from wufei.outreach.models import Booking, Event, SurveyResponse
from wufei.outreach.services import survey_regions, with_cancelled
from wufei.registry.models import Region


def event_list(*, actor) -> QuerySet[Event]:
    """Events the actor may see (officials: drafts and cancelled ones too), newest first."""
    rows = with_cancelled(Event.objects.select_related("region", "host"))
    return restrict(rows, actor, Action.VIEW).order_by("-starts_at", "-pk")


def public_events(*, now: datetime | None = None, kind: str = "") -> QuerySet[Event]:
    """Published events not yet over, soonest first (what anybody may see and book)."""
    now = now if now is not None else timezone.now()
    rows = restrict(Event.objects.select_related("region", "host"), None, Action.VIEW)
    rows = rows.filter(is_published=True, ends_at__gt=now)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("starts_at", "pk")


def public_event(pk: int) -> Event | None:
    """A published event (over or not), or None."""
    rows = restrict(Event.objects.select_related("region", "host"), None, Action.VIEW)
    return rows.filter(pk=pk, is_published=True).first()


def bookings_of(*, actor, event: Event) -> QuerySet[Booking]:
    rows = restrict(Booking.objects.select_related("event"), actor, Action.VIEW)
    return rows.filter(event=event).order_by("created_at", "pk")


def booking_list(*, actor) -> QuerySet[Booking]:
    return restrict(Booking.objects.select_related("event"), actor, Action.VIEW)


def _county_of(actor) -> Region | None:
    """The county an actor is bound to (a county official, a county bureau, a guide's
    street's county), or None for a city-wide actor."""
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    return region.county if region is not None else None


def survey_counties(*, actor) -> QuerySet[Region]:
    """The counties whose results the actor sees: all, or the actor's own county."""
    county = _county_of(actor)
    counties = survey_regions()
    return counties.filter(pk=county.pk) if county is not None else counties


def survey_results(*, actor, year: int, quarter: int | None = None) -> list[survey.Row]:
    """Per county (those the actor may see) and, for a city-wide actor, the city."""
    start, end = survey.period_bounds(year, quarter)
    counties = survey_counties(actor=actor)
    visible = restrict(SurveyResponse.objects.all(), actor, Action.VIEW)
    whole_city = _county_of(actor) is None
    return survey.results(visible, start=start, end=end, counties=counties, city=whole_city)


def survey_comments(
    *, actor, year: int, quarter: int | None = None, limit: int = 50
) -> QuerySet[SurveyResponse]:
    """The latest comments of the period the actor may see."""
    start, end = survey.period_bounds(year, quarter)
    rows = restrict(SurveyResponse.objects.select_related("region"), actor, Action.VIEW)
    return (
        rows.filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(comment="")
        .order_by("-submitted_at", "-pk")[:limit]
    )
