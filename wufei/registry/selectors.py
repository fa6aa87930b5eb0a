"""Scoped reads of the registry: every list a page, an API or an export shows."""

from __future__ import annotations

from django.db.models import QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.registry.models import (
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Region,
    Site,
    Vehicle,
)


def party_list(*, actor) -> QuerySet[Party]:
    return restrict(Party.objects.select_related("region"), actor, Action.VIEW)


def site_list(*, actor) -> QuerySet[Site]:
    return restrict(Site.objects.select_related("party", "region"), actor, Action.VIEW)


def facility_list(*, actor) -> QuerySet[Facility]:
    return restrict(
        Facility.objects.select_related("site", "site__party", "site__region"), actor, Action.VIEW
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
