"""Route deviation (偏离预定路线): a loaded truck leaves the corridor between where its load
left and where it is going.

The corridor is a band of ``corridor_km`` either side of the straight segment from the
generator's site to the receiving facility. A straight line needs no road data, works for
every manifest the day it is filed, and in a city of ~50 km across real routes stay within a
few kilometres of it; its weakness is a legitimate detour (a ring road, a closed bridge),
which the width absorbs. A road-network corridor would replace ``_outside`` only: route the
origin–destination pair once on an OSM graph (or the planned route from ``routing`` when the
trip is part of a round), buffer the polyline by the width, and test the fix against the
buffer (``distance_to_segment_m`` over the polyline's segments). The rest — two consecutive
fixes out, so one GPS glitch does not fire; one alert per manifest — stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import alert_raise
from wufei.iot.rules import Tally
from wufei.iot.rules.geo import distance_to_segment_m
from wufei.iot.rules.trips import Fix, Trip, destination_of, origin_of
from wufei.iot.thresholds import Thresholds

CONSECUTIVE_OUT = 2


def first_departure(
    fixes: Sequence[Fix], a: tuple[float, float], b: tuple[float, float], width_m: float
) -> tuple[Fix, float] | None:
    """The first fix of the first run of ``CONSECUTIVE_OUT`` fixes outside the corridor,
    with its distance from the segment; ``None`` if the truck stayed inside."""
    run: list[tuple[Fix, float]] = []
    for fix in fixes:
        off = distance_to_segment_m(fix.lat, fix.lon, a, b)
        if off > width_m:
            run.append((fix, off))
            if len(run) >= CONSECUTIVE_OUT:
                return run[0]
        else:
            run = []
    return None


def check_corridor(trips: Sequence[Trip], limits: Thresholds) -> Tally:
    width_m = limits.as_float("corridor_km") * 1000
    tally = Tally()
    for trip in trips:
        m = trip.manifest
        a, b = origin_of(m), destination_of(m)
        if a is None or b is None or not trip.fixes:
            continue
        found = first_departure(trip.fixes, a, b, width_m)
        if found is None:
            continue
        fix, off = found
        alert_raise(
            rule=Rule.ROUTE_DEVIATION,
            subject=trip.subject,
            message=_("车辆 %(plate)s 偏离起点—终点路线 %(km).1f 千米（允许 %(width)s 千米）")
            % {"plate": trip.plate, "km": off / 1000, "width": limits["corridor_km"].normalize()},
            party_id=m.transporter_id,
            region_id=m.region_id,
            stream_id=m.stream_id,
            severity=Severity.WARNING,
            details={
                "number": m.number,
                "plate": trip.plate,
                "lat": round(fix.lat, 6),
                "lon": round(fix.lon, 6),
                "at": fix.at.isoformat(),
                "off_km": round(off / 1000, 2),
            },
            at=fix.at,
        )
        tally.fired += 1
    return tally
