"""Scoped reads of the registry: every list a page, an API or an export shows."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.registry.choices import PermitStatus
from wufei.registry.models import (
    CodeList,
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Region,
    Site,
    Vehicle,
    WasteCode,
)


def light_regions(queryset: QuerySet, *paths: str) -> QuerySet:
    """``queryset`` with the boundary GeoJSON of the regions at ``paths`` left unread (a path
    ending in ``…region__parent__parent`` covers the region and both parents): a county's
    boundary is 16 kB of JSON and the city's 50 kB, which a list or a trace that only wants
    the names would otherwise decode for every row."""
    deferred = []
    for path in paths:
        node = path
        while True:
            deferred.append(f"{node}__boundary")
            if not node.endswith("__parent"):
                break
            node = node.removesuffix("__parent")
    return queryset.defer(*dict.fromkeys(deferred))


def party_list(*, actor) -> QuerySet[Party]:
    return restrict(
        light_regions(Party.objects.select_related("region"), "region"), actor, Action.VIEW
    )


def site_list(*, actor) -> QuerySet[Site]:
    return restrict(
        light_regions(Site.objects.select_related("party", "region"), "region"), actor, Action.VIEW
    )


def facility_list(*, actor) -> QuerySet[Facility]:
    return restrict(
        light_regions(
            Facility.objects.select_related("site", "site__party", "site__region"), "site__region"
        ),
        actor,
        Action.VIEW,
    )


def capacity_list(*, actor) -> QuerySet[FacilityCapacity]:
    return restrict(
        FacilityCapacity.objects.select_related("facility", "stream", "method"), actor, Action.VIEW
    )


def permit_list(*, actor) -> QuerySet[Permit]:
    return restrict(
        Permit.objects.select_related("party", "stream", "facility"), actor, Action.VIEW
    )


def vehicle_list(*, actor) -> QuerySet[Vehicle]:
    return restrict(Vehicle.objects.select_related("party", "gps_device"), actor, Action.VIEW)


def device_list(*, actor) -> QuerySet[Device]:
    return restrict(Device.objects.select_related("party", "site"), actor, Action.VIEW)


def counties() -> QuerySet[Region]:
    return Region.objects.filter(level="county").order_by("adcode")


def permits_expiring(
    permits: QuerySet[Permit], *, within_days: int, today: date | None = None
) -> QuerySet[Permit]:
    """Active permits whose validity ends within ``within_days`` days from ``today``."""
    today = today or timezone.localdate()
    return permits.filter(
        status=PermitStatus.ACTIVE,
        valid_to__gte=today,
        valid_to__lte=today + timedelta(days=within_days),
    )


def waste_code_list(*, actor) -> QuerySet[WasteCode]:
    return restrict(
        WasteCode.objects.select_related("category__stream", "code_list"), actor, Action.VIEW
    )


def code_list_list(*, actor) -> QuerySet[CodeList]:
    return restrict(CodeList.objects.all(), actor, Action.VIEW)
