"""Loaded trucks and their tracks: the in-transit manifests of some vehicles with the GPS
fixes each vehicle sent since the manifest's pick-up, in two queries whatever the count.

A manifest is "in transit" from pick-up (the driver signed for the load) until receipt; a
vehicle may carry several at once (a collection round), and each one is judged on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from wufei.alerts.services import Subject
from wufei.iot.models import GpsFix
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest

IN_TRANSIT = (State.PICKED_UP, State.IN_TRANSIT)


@dataclass(frozen=True)
class Fix:
    at: datetime
    lat: float
    lon: float
    speed_kmh: float


@dataclass
class Trip:
    manifest: Manifest
    fixes: list[Fix] = field(default_factory=list)

    @property
    def subject(self) -> Subject:
        return Subject("manifest", str(self.manifest.pk), self.manifest.number)

    @property
    def plate(self) -> str:
        vehicle = self.manifest.vehicle
        return vehicle.plate if vehicle is not None else ""


def _point(site, region) -> tuple[float, float] | None:
    if site is not None and site.lat is not None and site.lon is not None:
        return float(site.lat), float(site.lon)
    if region is not None and region.center_lat is not None and region.center_lon is not None:
        return float(region.center_lat), float(region.center_lon)
    return None


def origin_of(m: Manifest) -> tuple[float, float] | None:
    """Where the load left: the generator's site, else the centre of its region."""
    return _point(m.generator_site, m.region)


def destination_of(m: Manifest) -> tuple[float, float] | None:
    """Where the load goes: the receiving facility's site, else the receiver's region."""
    facility = m.receiver_facility
    return _point(facility.site if facility is not None else None, m.receiver_region)


def trips_for(vehicle_ids: Iterable[int]) -> list[Trip]:
    """The in-transit manifests of these vehicles, each with its vehicle's fixes since the
    pick-up in the order they were measured (late fixes fall into place)."""
    ids = set(vehicle_ids)
    if not ids:
        return []
    manifests = list(
        Manifest.objects.filter(state__in=IN_TRANSIT, vehicle_id__in=ids)
        .exclude(picked_up_at__isnull=True)
        .select_related(
            "vehicle", "generator_site", "region", "receiver_facility__site", "receiver_region"
        )
        .order_by("pk")
    )
    if not manifests:
        return []
    since = min(m.picked_up_at for m in manifests if m.picked_up_at is not None)
    by_vehicle: dict[int, list[Fix]] = defaultdict(list)
    rows = (
        GpsFix.objects.filter(
            vehicle_id__in={m.vehicle_id for m in manifests}, measured_at__gte=since
        )
        .order_by("vehicle_id", "measured_at", "id")
        .values_list("vehicle_id", "measured_at", "lat", "lon", "speed_kmh")
    )
    for vehicle_id, at, lat, lon, speed in rows:
        by_vehicle[vehicle_id].append(Fix(at, lat, lon, speed))
    trips = []
    for m in manifests:
        start = m.picked_up_at
        track = by_vehicle.get(m.vehicle_id or 0, [])
        fixes = [f for f in track if start is not None and f.at >= start]
        trips.append(Trip(m, fixes))
    return trips
