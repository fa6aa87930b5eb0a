"""A small hand-built county for planning tests: a sanitation company with compactors at a
depot in the middle of 魏都区, a transfer station, and residential compounds around it; plus
kitchen and medical operators when a test asks for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from wufei.registry.models import Region, Site, TreatmentMethod, WasteStream
from wufei.registry.tests.factories import (
    CapacityFactory,
    FacilityFactory,
    PartyFactory,
    SiteFactory,
    VehicleFactory,
)
from wufei.routing.models import Round, RoundStop

COUNTY = "411002"


@dataclass
class World:
    county: Region
    centre: tuple[Decimal, Decimal]
    operator: object = None
    depot: Site | None = None
    vehicles: list = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    facility: object = None


def at(world: World, dlat: float, dlon: float) -> dict:
    lat, lon = world.centre
    return {"lat": lat + Decimal(str(dlat)), "lon": lon + Decimal(str(dlon))}


def place(world: World, **kwargs) -> Site:
    return SiteFactory(region=world.county, **kwargs)


def stream_world(
    *,
    stream: str = "household",
    site_kind: str = "community",
    vehicle_kind: str = "compactor",
    facility_kind: str = "transfer",
    method: str = "G-TRANSFER",
    sites: int = 8,
    vehicles: int = 2,
    load_kg: int = 8000,
    tonnes_per_day: str = "100",
) -> World:
    county = Region.objects.get(adcode=COUNTY)
    world = World(county=county, centre=(county.center_lat, county.center_lon))
    world.operator = PartyFactory(region=county, is_transporter=True, is_collector=True)
    world.depot = place(world, party=world.operator, kind="depot", name="停车场")
    for _ in range(vehicles):
        world.vehicles.append(
            VehicleFactory(
                party=world.operator, kind=vehicle_kind, load_kg=Decimal(load_kg),
                volume_m3=Decimal(16), is_hazmat_certified=False,
            )
        )  # fmt: skip
    plant_site = place(world, party=world.operator, kind="treatment", **at(world, 0.03, 0.02))
    world.facility = FacilityFactory(site=plant_site, kind=facility_kind, name="接收设施")
    CapacityFactory(
        facility=world.facility,
        stream=WasteStream.objects.get(code=stream),
        method=TreatmentMethod.objects.get(code=method),
        tonnes_per_day=Decimal(tonnes_per_day),
    )
    owner = PartyFactory(region=county, is_community=True)
    for k in range(sites):
        angle_lat = 0.01 * ((k % 4) - 1.5)
        angle_lon = 0.012 * ((k // 4) - 0.5) + 0.002 * k
        where = at(world, angle_lat, angle_lon)
        world.sites.append(place(world, party=owner, kind=site_kind, name=f"小区{k:02d}", **where))
    return world


def rounds(world: World, stream: str = "household") -> list[Round]:
    """Today's rounds: the sites in name order, split between the vehicles."""
    made = []
    per = -(-len(world.sites) // len(world.vehicles))
    for n, vehicle in enumerate(world.vehicles):
        run = world.sites[n * per : (n + 1) * per]
        if not run:
            continue
        r = Round.objects.create(
            vehicle=vehicle, county=world.county, stream=WasteStream.objects.get(code=stream),
            name=f"{n + 1}号线",
        )  # fmt: skip
        for seq, site in enumerate(reversed(run), start=1):  # drivers' order: not the best
            RoundStop.objects.create(round=r, seq=seq, site=site)
        made.append(r)
    return made
