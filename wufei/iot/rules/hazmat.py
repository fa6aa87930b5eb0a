"""Hazardous load without the right to carry it (无资质车辆运输危险废物).

Two sightings of a hazardous or medical load are checked: a manifest in transit (its
vehicle as signed at pick-up) and a weigh ticket linked to such a manifest (the vehicle the
weighbridge actually saw, which may not be the one on the manifest). The carrier needs a
vehicle certified for dangerous goods and, unless the generator carries its own waste, a
permit of its party in force that day, of a kind the flow accepts for transporters and
covering the stream. The manifest engine checks this at pick-up for the signed vehicle; this
rule catches the swap on the road.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import Subject, alert_raise
from wufei.iot.models import WeighTicket
from wufei.iot.rules import Tally
from wufei.iot.rules.trips import IN_TRANSIT
from wufei.manifests.models import Manifest
from wufei.registry.choices import PermitStatus
from wufei.registry.models import Permit, Vehicle, WasteStream

HAZARDOUS_ROOTS = ("hazardous", "medical")


@dataclass(frozen=True)
class Sighting:
    manifest: Manifest
    vehicle: Vehicle | None
    plate: str
    at: datetime
    source: str  # "manifest" or "ticket"


def hazardous_stream_ids() -> list[int]:
    roots = WasteStream.objects.filter(code__in=HAZARDOUS_ROOTS).values_list("pk", flat=True)
    return WasteStream.descendant_ids(list(roots))


def _sightings(ticket_ids: Iterable[int], stream_ids: list[int], now: datetime) -> list[Sighting]:
    related = ("vehicle__party", "transporter")
    found = [
        Sighting(m, m.vehicle, m.vehicle.plate if m.vehicle else "", now, "manifest")
        for m in Manifest.objects.filter(
            state__in=IN_TRANSIT, stream_id__in=stream_ids, vehicle__isnull=False
        ).select_related(*related)
    ]
    tickets = WeighTicket.objects.filter(
        pk__in=list(ticket_ids), manifest__stream_id__in=stream_ids
    ).select_related("vehicle__party", *(f"manifest__{r}" for r in related))
    for t in tickets:
        if t.manifest is not None:
            found.append(Sighting(t.manifest, t.vehicle, t.plate, t.measured_at, "ticket"))
    return found


def _permits_by_party(party_ids: set[int]) -> dict[int, list[Permit]]:
    by_party: dict[int, list[Permit]] = {}
    for p in Permit.objects.filter(party_id__in=party_ids, status=PermitStatus.ACTIVE):
        by_party.setdefault(p.party_id, []).append(p)
    return by_party


class StreamTree:
    """Which streams a permit's stream covers (itself and its sub-streams), computed once
    per stream for the run instead of once per permit checked."""

    def __init__(self) -> None:
        self._below: dict[int, set[int]] = {}

    def covers(self, root: int, stream_id: int) -> bool:
        if root not in self._below:
            self._below[root] = set(WasteStream.descendant_ids([root]))
        return stream_id in self._below[root]


def _has_permit(
    permits: Sequence[Permit], kinds: Sequence[str], stream_id: int, day: date, tree: StreamTree
) -> bool:
    return any(
        p.kind in kinds
        and p.valid_from <= day <= p.valid_to
        and tree.covers(p.stream_id, stream_id)
        for p in permits
    )


def problems_of(s: Sighting, permits: Sequence[Permit], day: date, tree: StreamTree) -> list[str]:
    m = s.manifest
    if s.vehicle is None:
        return [_("车辆 %(plate)s 未登记") % {"plate": s.plate}]
    found = []
    if not s.vehicle.is_hazmat_certified:
        found.append(_("车辆 %(plate)s 无危险货物运输资质") % {"plate": s.plate})
    carrier = s.vehicle.party_id
    kinds = m.flow_def.transporter_permits
    if (
        kinds
        and carrier != m.generator_id
        and not _has_permit(permits, kinds, m.stream_id, day, tree)
    ):
        found.append(_("承运单位 %(party)s 无有效的运输许可") % {"party": s.vehicle.party.name})
    return found


def check_hazmat(ticket_ids: Iterable[int], now: datetime) -> Tally:
    """Check every hazardous load on the road ``now``, and the tickets ``ticket_ids``."""
    stream_ids = hazardous_stream_ids()
    sightings = _sightings(ticket_ids, stream_ids, now)
    permits = _permits_by_party({s.vehicle.party_id for s in sightings if s.vehicle is not None})
    tree = StreamTree()
    tally = Tally()
    for s in sightings:
        day = timezone.localdate(s.at)
        carrier = s.vehicle.party_id if s.vehicle is not None else None
        found = problems_of(s, permits.get(carrier, []) if carrier else [], day, tree)
        if not found:
            continue
        m = s.manifest
        alert_raise(
            rule=Rule.UNLICENSED_HAZMAT,
            subject=Subject("manifest", str(m.pk), m.number),
            message="；".join(found),
            party_id=carrier or m.transporter_id,
            region_id=m.region_id,
            stream_id=m.stream_id,
            severity=Severity.CRITICAL,
            details={
                "number": m.number,
                "plate": s.plate,
                "seen_by": s.source,
                "at": s.at.isoformat(),
            },
            at=s.at,
        )
        tally.fired += 1
    return tally
