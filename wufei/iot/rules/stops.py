"""Suspected dumping (疑似偷倒): a loaded truck stands still for more than ``stop_minutes``
away from every known site.

A stop is a run of fixes that stay within ``DRIFT_M`` of the run's first fix, or that
(with the first) report a speed below ``stop_speed_kmh`` and stay within ``CRAWL_M`` —
terminals report speed from Doppler, steadier than positions in urban canyons, but a truck
crawling in a jam also reports low speeds and does move. It is "away" when no active
registry site (generators, transfer stations, facilities, parking lots registered as sites)
lies within ``site_radius_m`` of it. Each stop is its own alert, keyed by manifest and
start time, so a second stop on the same trip is a second alert and a re-run finds the same
key. The place goes into the details, so the alert page can show it on a map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import Subject, alert_raise
from wufei.iot.rules import Tally
from wufei.iot.rules.geo import degrees_around, distance_m
from wufei.iot.rules.trips import Fix, Trip
from wufei.iot.thresholds import Thresholds
from wufei.registry.models import Site

DRIFT_M = 50.0  # GPS noise of a parked truck
CRAWL_M = 500.0  # slow fixes spread wider than this were traffic, not a stop


@dataclass(frozen=True)
class Stop:
    first: Fix
    last: Fix

    @property
    def minutes(self) -> float:
        return (self.last.at - self.first.at).total_seconds() / 60


def _still(anchor: Fix, fix: Fix, stop_speed_kmh: float) -> bool:
    """Whether ``fix`` continues a stop that began at ``anchor``."""
    moved = distance_m(anchor.lat, anchor.lon, fix.lat, fix.lon)
    if moved <= DRIFT_M:
        return True
    slow = anchor.speed_kmh < stop_speed_kmh and fix.speed_kmh < stop_speed_kmh
    return slow and moved <= CRAWL_M


def stops_in(fixes: Sequence[Fix], stop_speed_kmh: float) -> list[Stop]:
    """Every run of stationary fixes (at least two) in a time-ordered track."""
    stops: list[Stop] = []
    anchor: Fix | None = None
    last: Fix | None = None
    for fix in fixes:
        if anchor is not None and _still(anchor, fix, stop_speed_kmh):
            last = fix
            continue
        if anchor is not None and last is not None:
            stops.append(Stop(anchor, last))
        anchor, last = fix, None
    if anchor is not None and last is not None:
        stops.append(Stop(anchor, last))
    return stops


def _near_known_site(stop: Stop, sites: list[tuple[float, float]], radius_m: float) -> bool:
    return any(
        distance_m(stop.first.lat, stop.first.lon, lat, lon) <= radius_m for lat, lon in sites
    )


def _sites_around(stops: Sequence[Stop], radius_m: float) -> list[tuple[float, float]]:
    """Active sites in the bounding box of all the stops (one query)."""
    if not stops:
        return []
    lats = [s.first.lat for s in stops]
    lons = [s.first.lon for s in stops]
    dlat, dlon = degrees_around(max(abs(v) for v in lats), radius_m)
    box = Q(
        lat__gte=min(lats) - dlat,
        lat__lte=max(lats) + dlat,
        lon__gte=min(lons) - dlon,
        lon__lte=max(lons) + dlon,
    )
    rows = Site.objects.filter(box, is_active=True).values_list("lat", "lon")
    return [(float(lat), float(lon)) for lat, lon in rows]


def check_stops(trips: Sequence[Trip], limits: Thresholds) -> Tally:
    minimum = limits.as_float("stop_minutes")
    radius_m = limits.as_float("site_radius_m")
    speed = limits.as_float("stop_speed_kmh")
    long_stops = [
        (trip, stop)
        for trip in trips
        for stop in stops_in(trip.fixes, speed)
        if stop.minutes > minimum
    ]
    sites = _sites_around([stop for _trip, stop in long_stops], radius_m)
    tally = Tally()
    for trip, stop in long_stops:
        if _near_known_site(stop, sites, radius_m):
            continue
        m = trip.manifest
        start = stop.first.at
        alert_raise(
            rule=Rule.SUSPECTED_DUMPING,
            subject=Subject("manifest_stop", f"{m.pk}@{int(start.timestamp())}", m.number),
            message=_("载货车辆 %(plate)s 在已知场所以外停留 %(minutes)d 分钟")
            % {"plate": trip.plate, "minutes": stop.minutes},
            party_id=m.transporter_id,
            region_id=m.region_id,
            stream_id=m.stream_id,
            severity=Severity.CRITICAL,
            details={
                "number": m.number,
                "manifest_id": m.pk,
                "plate": trip.plate,
                "lat": round(stop.first.lat, 6),
                "lon": round(stop.first.lon, 6),
                "from": start.isoformat(),
                "to": stop.last.at.isoformat(),
                "minutes": round(stop.minutes),
            },
            at=stop.last.at,
        )
        tally.fired += 1
    return tally
