"""A loaded truck on the road for the stream-rule tests: a hazardous manifest driven through
the manifest services to "in transit", its vehicle's GPS terminal, weighbridges at both
ends, and helpers that write readings the way the intake does (ORM rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from wufei.iot.choices import Direction, LinkStatus
from wufei.iot.models import GpsFix, WeighTicket
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.manifests.tests.world import World, hazardous_world, run_to
from wufei.registry.models import Device
from wufei.registry.tests import factories

_ids = count(1)
BACKDATE = timedelta(hours=3)


@dataclass
class Road:
    w: World
    m: Manifest
    gps: Device
    out_bridge: Device  # at the generator's site
    in_bridge: Device  # at the receiving facility
    a: tuple[float, float]
    b: tuple[float, float]

    @property
    def t0(self) -> datetime:
        assert self.m.picked_up_at is not None
        return self.m.picked_up_at

    def along(self, frac: float, *, aside_km: float = 0.0) -> tuple[float, float]:
        """A point ``frac`` of the way from origin to destination, ``aside_km`` to its left."""
        lat = self.a[0] + (self.b[0] - self.a[0]) * frac
        lon = self.a[1] + (self.b[1] - self.a[1]) * frac
        if aside_km:
            k = math.cos(math.radians(lat))
            dy, dx = self.b[0] - self.a[0], (self.b[1] - self.a[1]) * k
            norm = math.hypot(dx, dy)
            deg = aside_km / 111.195
            lat += dx / norm * deg
            lon -= dy / norm * deg / k
        return lat, lon

    def fix(
        self,
        minutes: float,
        point: tuple[float, float],
        *,
        speed: float = 40.0,
        received: datetime | None = None,
    ) -> GpsFix:
        at = self.t0 + timedelta(minutes=minutes)
        return GpsFix.objects.create(
            device=self.gps,
            message_id=f"g{next(_ids)}",
            measured_at=at,
            received_at=received or at + timedelta(seconds=2),
            vehicle=self.w.vehicle,
            lat=point[0],
            lon=point[1],
            speed_kmh=speed,
        )

    def ticket(
        self,
        direction: str,
        net_kg: str,
        *,
        minutes: float = 0,
        plate: str | None = None,
        linked: bool = True,
        number: str | None = None,
        container: str = "",
        received: datetime | None = None,
    ) -> WeighTicket:
        at = self.t0 + timedelta(minutes=minutes)
        bridge = self.out_bridge if direction == Direction.OUT else self.in_bridge
        net = Decimal(net_kg)
        return WeighTicket.objects.create(
            device=bridge,
            message_id=f"w{next(_ids)}",
            measured_at=at,
            received_at=received or at + timedelta(seconds=2),
            site=bridge.site,
            plate=plate or self.w.vehicle.plate,
            vehicle=None if plate else self.w.vehicle,
            direction=direction,
            gross_kg=net + 9000,
            tare_kg=Decimal(9000),
            net_kg=net,
            manifest_number=self.m.number if number is None else number,
            container_code=container,
            manifest=self.m if linked else None,
            link_status=LinkStatus.LINKED if linked else LinkStatus.PENDING,
        )


def road(state: str = State.IN_TRANSIT) -> Road:
    w = hazardous_world()
    # The world's transport permit has a fixed number; give it a unique one, so a test can
    # put several trucks on the road (kind, number and start date are unique together).
    w.transporter_permit.number = f"{w.transporter_permit.number}-{next(_ids)}"
    w.transporter_permit.save(update_fields=["number"])
    m = run_to(w, state, pickup_kg="5000")
    if m.picked_up_at is not None:  # picked up three hours ago, so the trip lies in the past
        m.picked_up_at -= BACKDATE
        Manifest.objects.filter(pk=m.pk).update(picked_up_at=m.picked_up_at)
    gps = factories.DeviceFactory(party=w.transporter, kind="gps")
    w.vehicle.gps_device = gps
    w.vehicle.save(update_fields=["gps_device"])
    site, facility_site = w.generator_site, w.facility.site
    out_bridge = factories.DeviceFactory(
        party=w.generator, kind="weighbridge", serial=f"WBO{next(_ids)}", site=site
    )
    in_bridge = factories.DeviceFactory(
        party=w.receiver, kind="weighbridge", serial=f"WBI{next(_ids)}", site=facility_site
    )
    return Road(
        w=w,
        m=m,
        gps=gps,
        out_bridge=out_bridge,
        in_bridge=in_bridge,
        a=(float(site.lat), float(site.lon)),
        b=(float(facility_site.lat), float(facility_site.lon)),
    )
