"""Reads of drops, the points ledger, redemptions, flags and rules: every queryset restricted to
what the actor may see, so the pages, the API and the exports agree on every row."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may, restrict
from wufei.sorting.models import (
    Community,
    Drop,
    Flag,
    Household,
    PointsEntry,
    PointsRule,
    Redemption,
    Station,
)
from wufei.sorting.points import REDEMPTION_KINDS


def drop_list(*, actor) -> QuerySet[Drop]:
    rows = Drop.objects.select_related(
        "community", "station", "household", "guide", "deposit", "deposit__device"
    ).annotate(flagged=Exists(Flag.objects.filter(drop_id=OuterRef("pk"))))
    return restrict(rows, actor, Action.VIEW)


def household_list(*, actor) -> QuerySet[Household]:
    rows = Household.objects.select_related("community", "community__region")
    return restrict(rows, actor, Action.VIEW)


def entry_list(*, actor) -> QuerySet[PointsEntry]:
    rows = PointsEntry.objects.select_related(
        "rule", "drop", "redemption", "redemption__station", "reverses", "created_by"
    ).annotate(reversed=Exists(PointsEntry.objects.filter(reverses_id=OuterRef("pk"))))
    return restrict(rows, actor, Action.VIEW)


def redemption_list(*, actor) -> QuerySet[Redemption]:
    rows = Redemption.objects.select_related("household", "station", "created_by")
    return restrict(rows, actor, Action.VIEW)


def flag_list(*, actor) -> QuerySet[Flag]:
    rows = Flag.objects.select_related(
        "household", "guide", "drop", "drop__community", "reviewed_by"
    )
    return restrict(rows, actor, Action.VIEW)


def community_choices(*, actor) -> QuerySet[Community]:
    return restrict(Community.objects.filter(is_active=True), actor, Action.VIEW)


def station_choices(*, actor) -> QuerySet[Station]:
    """Active stations in the actor's reach (where it may record drops)."""
    rows = Station.objects.filter(is_active=True).select_related("community")
    return restrict(rows, actor, Action.VIEW)


def redemption_stations(*, actor) -> QuerySet[Station]:
    return station_choices(actor=actor).filter(kind__in=REDEMPTION_KINDS)


def rule_list() -> QuerySet[PointsRule]:
    """Every rule, current and past versions (reference data, readable by all)."""
    return PointsRule.objects.order_by("kind", "waste_class", "valid_from", "code")


def may_record_drops(actor) -> bool:
    """Menu and buttons: the guides and officials who record drops somewhere."""
    return may(actor, Action.ADD, Drop)


def may_redeem(actor) -> bool:
    return may(actor, Action.ADD, Redemption)
