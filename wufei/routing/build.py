"""The city's planning problem for one stream, county and day, read from the database.

Stops: the stream's sites in the county with the day's demand (bin stations from their
latest fill levels, else history; restaurants and canteens with windows after lunch and
dinner; clinics with the 48-hour rule). Fleet: the active vehicles of the right kinds of the
county's transporters (the city's, when the county has none: the kitchen-waste and medical
operators serve every county), grouped into types by depot, kind and capacity. Unloads: the
operating facilities of the city that accept the stream, with what they can still take today
and their opening hours.

What cannot be planned (no coordinates, no vehicle, no facility) is set aside here with a code
and a Chinese message; what only the numbers can tell (too heavy for every vehicle, a window
nobody reaches) is the solver's ``presolve``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.iot.models import FillLevel
from wufei.manifests.models import Manifest, ManifestItem
from wufei.registry.choices import FacilityStatus, SiteKind
from wufei.registry.models import Facility, Region, Site, Vehicle, WasteStream
from wufei.routing.choices import PlanStream, UnplannableCode
from wufei.routing.solver.problem import (
    Depot,
    Problem,
    Stop,
    Unload,
    Unplannable,
    VehicleType,
    Window,
)
from wufei.routing.travel import Point, TravelProvider

HOUR = 3600


def hm(hours: int, minutes: int = 0) -> int:
    return hours * HOUR + minutes * 60


@dataclass(frozen=True)
class Collection:
    """One collection a site of ``kind`` gets in a day: its window and its share of the
    day's demand (restaurants are emptied after lunch and again after dinner)."""

    label: str
    window: Window
    share: float


@dataclass(frozen=True)
class StreamRule:
    """How one stream is collected. Figures are the platform's defaults (invented, typical of
    a Chinese prefecture city), each documented where used."""

    site_kinds: tuple[str, ...]
    vehicle_kinds: tuple[str, ...]
    unload_streams: tuple[str, ...]
    kg_per_litre: float  # density of the waste in the vehicle body (compacted for compactors)
    service_s: int  # time at a stop
    shift: Window
    collections: dict[str, tuple[Collection, ...]]  # per site kind
    default_kg_per_day: dict[str, int]  # history fallback per site kind
    max_trips: int = 4
    cost_per_km: int = 400  # fen: fuel and wear
    cost_per_hour: int = 6_000  # fen: driver and crew
    fixed_cost: int = 20_000  # fen per vehicle sent out


ALL_SHIFT = "all"
LUNCH = Collection("lunch", (hm(13, 30), hm(16)), 0.45)
DINNER = Collection("dinner", (hm(20, 30), hm(23)), 0.55)

RULES: dict[str, StreamRule] = {
    PlanStream.HOUSEHOLD: StreamRule(
        site_kinds=(SiteKind.COMMUNITY, SiteKind.COLLECTION_POINT),
        vehicle_kinds=("compactor",),
        unload_streams=("household", "household-other"),
        kg_per_litre=0.45,
        service_s=6 * 60,
        shift=(hm(5), hm(14)),
        collections={},
        default_kg_per_day={SiteKind.COMMUNITY: 800, SiteKind.COLLECTION_POINT: 300},
    ),
    PlanStream.KITCHEN: StreamRule(
        site_kinds=(SiteKind.RESTAURANT, SiteKind.CANTEEN),
        vehicle_kinds=("kitchen_tanker",),
        unload_streams=("kitchen",),
        kg_per_litre=1.0,
        service_s=5 * 60,
        shift=(hm(13), hm(24)),
        collections={
            SiteKind.RESTAURANT: (LUNCH, DINNER),
            SiteKind.CANTEEN: (Collection("lunch", LUNCH.window, 1.0),),
        },
        default_kg_per_day={SiteKind.RESTAURANT: 60, SiteKind.CANTEEN: 120},
        cost_per_km=450,
    ),
    PlanStream.MEDICAL: StreamRule(
        site_kinds=(SiteKind.CLINIC,),
        vehicle_kinds=("medical_van",),
        unload_streams=("medical",),
        kg_per_litre=0.15,
        service_s=8 * 60,
        shift=(hm(8), hm(18)),
        collections={SiteKind.CLINIC: (Collection("day", (hm(8, 30), hm(17)), 1.0),)},
        default_kg_per_day={SiteKind.CLINIC: 6},
        max_trips=2,
        cost_per_km=300,
    ),
}
BIN_FULL_KG = 60  # a 240-litre bin, full of household waste
FILL_READINGS_WITHIN = timedelta(hours=36)
HISTORY_DAYS = 28
MEDICAL_REQUIRED_AFTER = timedelta(hours=24)  # collected ≥ 24 h ago: due today (48-hour limit)
MEDICAL_PRIZE = 50_000  # fen: what serving an optional clinic is worth to the solver
UNLOAD_SERVICE_S = 15 * 60
FACILITY_HOURS: dict[str, Window] = {"transfer": (hm(4, 30), hm(21))}  # else all day
UNLIMITED_L = 10**9


@dataclass
class PlanContext:
    """What ties the problem's indices back to rows (by stop key, so a presolved problem with
    fewer stops maps back as well)."""

    day: date
    stream: WasteStream
    county: Region
    midnight: datetime
    points: list[Point] = field(default_factory=list)
    stop_sites: dict[str, int] = field(default_factory=dict)  # stop key → site id
    stop_required: dict[str, bool] = field(default_factory=dict)
    unload_facilities: list[int] = field(default_factory=list)  # unload index → facility id
    depot_sites: list[int] = field(default_factory=list)
    type_vehicles: list[list[int]] = field(default_factory=list)  # type index → vehicle ids
    site_names: dict[int, str] = field(default_factory=dict)

    def at(self, seconds: int) -> datetime:
        return self.midnight + timedelta(seconds=int(seconds))


def rule_for(stream: WasteStream | str) -> StreamRule:
    code = stream if isinstance(stream, str) else stream.code
    return RULES[code]


def has_coordinates(site: Site) -> bool:
    """The registry requires coordinates; imported rows without them carry 0, 0."""
    return not (site.lat == 0 and site.lon == 0)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def stream_sites(rule: StreamRule, county: Region) -> list[Site]:
    """The county's active sites of the stream; collection points only of communities
    (the others take batteries or farm film, not household waste)."""
    kinds = Q(kind__in=[k for k in rule.site_kinds if k != SiteKind.COLLECTION_POINT])
    if SiteKind.COLLECTION_POINT in rule.site_kinds:
        kinds |= Q(kind=SiteKind.COLLECTION_POINT, party__is_community=True)
    return list(
        Site.objects.filter(kinds, is_active=True, region__path__startswith=county.path)
        .select_related("region")
        .order_by("pk")
    )


def fill_demand(site_ids: list[int], midnight: datetime) -> dict[int, int]:
    """kg per site from the latest reading of each bin within 36 h before the day starts."""
    readings = FillLevel.objects.filter(
        site_id__in=site_ids,
        measured_at__lt=midnight,
        measured_at__gte=midnight - FILL_READINGS_WITHIN,
    ).order_by("site_id", "bin_code", "-measured_at")
    latest: dict[tuple[int, str], float] = {}
    for site_id, bin_code, percent in readings.values_list("site_id", "bin_code", "percent"):
        latest.setdefault((site_id, bin_code), percent)
    out: dict[int, int] = defaultdict(int)
    for (site_id, _bin), percent in latest.items():
        out[site_id] += round(max(0.0, min(percent, 120.0)) / 100 * BIN_FULL_KG)
    return dict(out)


def history_demand(site_ids: list[int], streams: list[int], midnight: datetime) -> dict[int, int]:
    """Mean kg per day picked up from each site over the last four weeks (manifests)."""
    since = midnight - timedelta(days=HISTORY_DAYS)
    rows = (
        ManifestItem.objects.filter(
            manifest__generator_site_id__in=site_ids,
            manifest__stream_id__in=streams,
            manifest__picked_up_at__gte=since,
            manifest__picked_up_at__lt=midnight,
        )
        .values("manifest__generator_site_id")
        .annotate(kg=Sum("mass_kg"))
    )
    return {
        r["manifest__generator_site_id"]: round(float(r["kg"]) / HISTORY_DAYS)
        for r in rows
        if r["kg"]
    }


def last_collected(site_ids: list[int], streams: list[int], midnight: datetime) -> dict:
    rows = (
        Manifest.objects.filter(
            generator_site_id__in=site_ids, stream_id__in=streams, picked_up_at__lt=midnight
        )
        .values("generator_site_id")
        .annotate(last=Max("picked_up_at"))
    )
    return {r["generator_site_id"]: r["last"] for r in rows}


def fleet(rule: StreamRule, county: Region) -> list[Vehicle]:
    """Active vehicles of the right kinds of the county's transporters, else the city's."""
    vehicles = Vehicle.objects.filter(
        kind__in=rule.vehicle_kinds, is_active=True, party__is_active=True
    ).select_related("party")
    local = list(vehicles.filter(party__region__path__startswith=county.path).order_by("pk"))
    if local or county.parent is None:
        return local
    return list(vehicles.filter(party__region__path__startswith=county.parent.path).order_by("pk"))


def depot_of(party_id: int) -> Site | None:
    sites = Site.objects.filter(party_id=party_id, is_active=True).order_by("pk")
    return sites.filter(kind=SiteKind.DEPOT).first() or sites.first()


def receiving_facilities(
    rule: StreamRule, county: Region, day: date, midnight: datetime
) -> list[tuple[Facility, int]]:
    """Operating facilities of the city accepting the stream on ``day``, with the kg they can
    still take today (daily capacity minus today's receipts so far); full ones left out."""
    city_path = county.parent.path if county.parent is not None else county.path
    facilities = (
        Facility.objects.filter(
            status=FacilityStatus.OPERATING,
            site__region__path__startswith=city_path,
            capacities__stream__code__in=rule.unload_streams,
        )
        .filter(Q(capacities__valid_from__isnull=True) | Q(capacities__valid_from__lte=day))
        .filter(Q(capacities__valid_to__isnull=True) | Q(capacities__valid_to__gte=day))
        .annotate(tonnes=Sum("capacities__tonnes_per_day"))
        .select_related("site")
        .order_by("pk")
    )
    received = dict(
        ManifestItem.objects.filter(
            manifest__receiver_facility__in=[f.pk for f in facilities],
            manifest__received_at__gte=midnight,
            manifest__received_at__lt=midnight + timedelta(days=1),
        )
        .values_list("manifest__receiver_facility_id")
        .annotate(kg=Sum("mass_kg"))
    )
    out: list[tuple[Facility, int]] = []
    for facility in facilities:
        remaining = int((facility.tonnes or Decimal(0)) * 1000 - received.get(facility.pk, 0))
        if remaining > 0 and has_coordinates(facility.site):
            out.append((facility, remaining))
    return out


def _set_aside(sites: list[Site], code: str, message: str) -> list[Unplannable]:
    return [
        Unplannable(key=f"site:{s.pk}", code=code, message=message % {"site": s.name})
        for s in sites
    ]


def build_problem(
    stream: WasteStream | str, county: Region, day: date, *, travel: TravelProvider
) -> tuple[Problem, PlanContext, list[Unplannable]]:
    """The planning problem of ``stream`` in ``county`` on ``day`` (see the module docstring)."""
    if isinstance(stream, str):
        stream = WasteStream.objects.get(code=stream)
    rule = rule_for(stream)
    midnight = local_midnight(day)
    stream_ids = WasteStream.descendant_ids([stream.pk])
    sites = stream_sites(rule, county)
    context = PlanContext(day=day, stream=stream, county=county, midnight=midnight)
    context.site_names = {s.pk: s.name for s in sites}
    unplannable = _set_aside(
        [s for s in sites if not has_coordinates(s)],
        UnplannableCode.NO_COORDINATES,
        _("%(site)s 没有坐标，无法计算行驶距离。"),
    )
    sites = [s for s in sites if has_coordinates(s)]

    vehicles = fleet(rule, county)
    facilities = receiving_facilities(rule, county, day, midnight)
    if not vehicles:
        unplannable += _set_aside(
            sites, UnplannableCode.NO_VEHICLE, _("%(site)s：本县及全市均无可用的收运车辆。")
        )
        sites = []
    elif not facilities:
        unplannable += _set_aside(
            sites,
            UnplannableCode.NO_FACILITY,
            _("%(site)s：今日没有运行中且有余量的设施接收该类废物。"),
        )
        sites = []

    points: list[Point] = []

    def locate(lat, lon) -> int:
        points.append((float(lat), float(lon)))
        return len(points) - 1

    # Depots and vehicle types.
    depots: list[Depot] = []
    depot_index: dict[int, int] = {}
    groups: dict[tuple, list[Vehicle]] = defaultdict(list)
    for vehicle in vehicles if sites else []:
        depot = depot_of(vehicle.party_id)
        if depot is None or not has_coordinates(depot):
            continue
        if depot.pk not in depot_index:
            depot_index[depot.pk] = len(depots)
            depots.append(Depot(key=f"depot:{depot.pk}", location=locate(depot.lat, depot.lon)))
            context.depot_sites.append(depot.pk)
        litres = int(vehicle.volume_m3 * 1000) if vehicle.volume_m3 else UNLIMITED_L
        groups[(depot_index[depot.pk], vehicle.kind, int(vehicle.load_kg), litres)].append(vehicle)

    # Unloads.
    unloads: list[Unload] = []
    for facility, remaining_kg in facilities if sites else []:
        unloads.append(
            Unload(
                key=f"facility:{facility.pk}",
                location=locate(facility.site.lat, facility.site.lon),
                window=FACILITY_HOURS.get(facility.kind, (0, hm(24))),
                service_s=UNLOAD_SERVICE_S,
                capacity=(remaining_kg, UNLIMITED_L),
            )
        )
        context.unload_facilities.append(facility.pk)

    vehicle_types = []
    for (depot, kind, kg, litres), members in sorted(groups.items()):
        vehicle_types.append(
            VehicleType(
                key=f"{kind}:{kg}kg:{litres}l@{context.depot_sites[depot]}",
                count=len(members),
                capacity=(kg, litres),
                depot=depot,
                shift=rule.shift,
                unloads=tuple(range(len(unloads))),
                max_trips=rule.max_trips,
                must_unload_at_end=True,
                fixed_cost=rule.fixed_cost,
                cost_per_km=rule.cost_per_km,
                cost_per_hour=rule.cost_per_hour,
            )
        )
        context.type_vehicles.append([v.pk for v in members])

    stops = _stops(rule, stream_ids, sites, midnight, context, locate)
    context.points = points
    distance, duration = travel.matrix(points, rule.shift[0])
    problem = Problem(
        depots=depots,
        stops=stops,
        unloads=unloads,
        vehicle_types=vehicle_types,
        distance=distance,
        duration=duration,
        dimensions=("kg", "L"),
        name=f"{county.adcode}-{stream.code}-{day:%Y%m%d}",
    )
    return problem, context, unplannable


def _stops(rule, stream_ids, sites, midnight, context, locate) -> list[Stop]:
    ids = [s.pk for s in sites]
    measured = fill_demand(ids, midnight) if rule is RULES[PlanStream.HOUSEHOLD] else {}
    history = history_demand(ids, stream_ids, midnight)
    last = last_collected(ids, stream_ids, midnight) if rule is RULES[PlanStream.MEDICAL] else {}
    stops = []
    for site in sites:
        daily = measured.get(site.pk) or history.get(site.pk) or rule.default_kg_per_day[site.kind]
        required, prize = True, 0
        if rule is RULES[PlanStream.MEDICAL]:
            since = last.get(site.pk)
            required = since is None or midnight - since >= MEDICAL_REQUIRED_AFTER
            days = 2 if since is None else min(2, max(1, (midnight - since).days + 1))
            daily *= days
            prize = 0 if required else MEDICAL_PRIZE
        location = locate(site.lat, site.lon)
        collections = rule.collections.get(site.kind) or (Collection(ALL_SHIFT, rule.shift, 1),)
        for collection in collections:
            kg = max(1, round(daily * collection.share))
            key = f"site:{site.pk}" + ("" if len(collections) == 1 else f":{collection.label}")
            stops.append(
                Stop(
                    key=key,
                    location=location,
                    demand=(kg, max(1, round(kg / rule.kg_per_litre))),
                    service_s=rule.service_s,
                    window=collection.window,
                    required=required,
                    prize=prize,
                )
            )
            context.stop_sites[key] = site.pk
            context.stop_required[key] = required
    return stops
