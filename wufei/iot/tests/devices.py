"""Devices of every kind and messages for them, for the IoT tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from wufei.iot.contracts import topic_for
from wufei.iot.intake import Incoming
from wufei.registry.models import Device, Site, Vehicle
from wufei.registry.tests import factories

NOW = datetime.fromisoformat("2026-06-01T10:00:00+08:00")


@dataclass
class Fleet:
    site: Site
    vehicle: Vehicle
    gps: Device
    weighbridge: Device
    sensor: Device
    smart_bin: Device


def fleet() -> Fleet:
    site = factories.SiteFactory(kind="community")
    vehicle = factories.VehicleFactory(plate="豫K12345", kind="compactor")
    gps = factories.DeviceFactory(party=vehicle.party, kind="gps", serial="861234567890123")
    vehicle.gps_device = gps
    vehicle.save(update_fields=["gps_device"])
    return Fleet(
        site=site,
        vehicle=vehicle,
        gps=gps,
        weighbridge=factories.DeviceFactory(
            party=site.party, kind="weighbridge", serial="WB41100200001", site=site
        ),
        sensor=factories.DeviceFactory(
            party=site.party, kind="bin_sensor", serial="BS41100200001", site=site
        ),
        smart_bin=factories.DeviceFactory(
            party=site.party, kind="smart_bin", serial="SB41100200001", site=site
        ),
    )


PAYLOADS = {
    "gps": {"lat": 34.03, "lon": 113.85, "speed_kmh": 32.5, "heading": 90},
    "weigh": {
        "plate": "豫K12345",
        "gross_kg": 15200,
        "tare_kg": 9800,
        "net_kg": 5400,
        "direction": "in",
    },
    "fill": {"bin": "B1", "percent": 64.0, "temperature_c": 21.5},
    "deposit": {"bin": "B1", "household": "411002-0001-0001", "class": "kitchen", "weight_kg": 1.4},
}


def message(
    kind: str,
    serial: str,
    ident: str,
    *,
    at: datetime = NOW,
    received: datetime | None = None,
    **fields,
) -> Incoming:
    body = {"id": ident, "ts": at.isoformat(), **PAYLOADS[kind], **fields}
    return Incoming(
        topic=topic_for(kind, serial),
        payload=json.dumps(body).encode(),
        received_at=received or at + timedelta(seconds=2),
    )
