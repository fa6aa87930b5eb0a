"""A manifest's journey as the devices saw it: its truck's GPS track from pick-up to receipt,
the weigh tickets linked to it, and the places where the stream rules found something.

Read through ``manifest_get``, so whoever may see the manifest may see its track and nobody
else. A long trip is thinned to ``MAX_POINTS`` (every n-th fix, keeping the last), which a
line on a city map cannot tell apart from the full track and keeps the page light.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.alerts.choices import AlertStatus, Rule
from wufei.alerts.models import Alert
from wufei.iot.choices import LinkStatus
from wufei.iot.models import GpsFix, WeighTicket
from wufei.iot.rules.trips import destination_of, origin_of
from wufei.manifests.models import Manifest
from wufei.manifests.selectors import manifest_get

MAX_POINTS = 2000
PLACED_RULES = (Rule.ROUTE_DEVIATION, Rule.SUSPECTED_DUMPING)


@dataclass
class Track:
    manifest: Manifest
    start: datetime | None
    end: datetime | None
    points: list[list] = field(default_factory=list)  # [lon, lat, speed, ISO time]
    total: int = 0  # fixes in the window before thinning
    tickets: list[WeighTicket] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)  # [{rule, label, lon, lat, open}]

    @property
    def chart(self) -> dict:
        """What the page's chart script reads (as ``json_script``)."""
        a, b = origin_of(self.manifest), destination_of(self.manifest)
        return {
            "points": self.points,
            "origin": [a[1], a[0]] if a else None,
            "destination": [b[1], b[0]] if b else None,
            "marks": self.marks,
        }


def _thin(rows: list[tuple], limit: int) -> list[tuple]:
    if len(rows) <= limit:
        return rows
    step = -(-len(rows) // limit)
    kept = rows[::step]
    return kept if kept[-1] is rows[-1] else [*kept, rows[-1]]


def _marks(actor, m: Manifest) -> list[dict]:
    """The placed alerts of this manifest that the actor may see (the transporter's dumping
    alert is not the generator's business)."""
    alerts = restrict(
        Alert.objects.filter(rule__in=PLACED_RULES, details__number=m.number), actor, Action.VIEW
    ).order_by("opened_at")
    return [
        {
            "rule": a.rule,
            "label": str(a.get_rule_display()),
            "message": a.message,
            "lon": a.details["lon"],
            "lat": a.details["lat"],
            "open": a.status != AlertStatus.RESOLVED,
        }
        for a in alerts
        if "lon" in a.details and "lat" in a.details
    ]


def manifest_track(*, actor, pk: int, now: datetime | None = None) -> Track:
    """The track of a manifest the actor may see (NotFound otherwise)."""
    m = manifest_get(actor=actor, pk=pk)
    start = m.picked_up_at
    end = m.received_at or (now or timezone.now())
    track = Track(manifest=m, start=start, end=m.received_at)
    track.tickets = list(
        WeighTicket.objects.filter(manifest=m, link_status=LinkStatus.LINKED)
        .select_related("site")
        .order_by("measured_at", "id")
    )
    if start is None or m.vehicle_id is None:
        return track
    rows = list(
        GpsFix.objects.filter(vehicle_id=m.vehicle_id, measured_at__gte=start, measured_at__lte=end)
        .order_by("measured_at", "id")
        .values_list("lon", "lat", "speed_kmh", "measured_at")
    )
    track.total = len(rows)
    track.points = [
        [round(lon, 6), round(lat, 6), round(speed, 1), timezone.localtime(at).isoformat()]
        for lon, lat, speed, at in _thin(rows, MAX_POINTS)
    ]
    track.marks = _marks(actor, m)
    return track
