"""The device simulator behind ``wufei simulate-devices``: believable message streams from the
devices registered in the database, so the live map, the device pages and the stream alerts
have something to show without field hardware.

Three layers, each testable on its own:

* ``load_world()`` reads the registry once (GPS terminals bound to vehicles, weighbridges, bin
  sensors and smart bins, the sites and facilities they serve, the open manifests) into plain,
  frozen dataclasses. It is the only part that touches the database.
* ``Simulator`` turns a world into messages. Every vehicle drives a fixed round that is a pure
  function of the clock (depot → collection stops → a facility accepting its stream → depot),
  so its position at any instant is known without keeping state; weighbridges print tickets
  when a truck arrives at or leaves their site; fill levels are a pure function of the bin and
  the time (rising by area and weekday, dropping at collection times); deposits are drawn from
  the community's stable household codes. ``next_message(now)`` returns one ``Outgoing``
  (topic and payload bytes, exactly what goes to the broker), replacing a chosen share by
  faults. Same world, seed and clock readings → same bytes.
* ``publish()`` paces a simulator to a rate and sends QoS 1 over MQTT 5.
"""

from __future__ import annotations

import heapq
import math
import os
import random
import socket
import threading
import time
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
import paho.mqtt.client as mqtt
from django.db.models import Count
from paho.mqtt.client import CallbackAPIVersion

from wufei.iot.contracts import (
    DepositMessage,
    FillMessage,
    GpsMessage,
    Message,
    WeighMessage,
    topic_for,
)
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.registry.choices import DeviceKind, FacilityStatus
from wufei.registry.models import Device, FacilityCapacity, Site, Vehicle

LOCAL = ZoneInfo("Asia/Shanghai")
Point = tuple[float, float]  # (lon, lat)

# --- what drives where --------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    """The collection round of one kind of vehicle: the stream it carries, the kinds of site it
    collects from, and the kinds of facility it may unload at (which must also hold a capacity
    for the stream)."""

    stream: str
    stops: tuple[str, ...]
    facilities: tuple[str, ...]
    stop_count: tuple[int, int] = (4, 8)
    dwell_s: tuple[int, int] = (180, 480)


ROUNDS: dict[str, Round] = {
    "compactor": Round(
        "household",
        ("community", "school", "office", "market"),
        ("incineration", "landfill", "transfer"),
    ),
    "tricycle": Round("household", ("community",), ("transfer",), (3, 6), (120, 300)),
    "hooklift": Round(
        "household", ("transfer_station",), ("incineration", "landfill"), (1, 2), (600, 900)
    ),
    "kitchen_tanker": Round(
        "kitchen", ("restaurant", "canteen", "school"), ("kitchen_waste",), (5, 9)
    ),
    "medical_van": Round("medical", ("clinic", "hospital"), ("medical",), (3, 6), (300, 600)),
    "hazmat": Round(
        "hazardous",
        ("factory", "auto_repair"),
        ("hazardous", "cement_kiln", "hw_storage"),
        (1, 3),
        (900, 1500),
    ),
    "dump_truck": Round(
        "construction",
        ("construction",),
        ("cw_recycling", "cw_fill", "road_materials"),
        (1, 1),
        (900, 1500),
    ),
    "sludge_truck": Round("sludge", ("wwtp",), ("sludge", "cement_kiln"), (1, 1), (900, 1200)),
    "box_truck": Round(
        "renewable",
        ("collection_point", "market"),
        ("renewable", "metal_recycling", "hw_storage", "film_recycling"),
        (2, 5),
    ),
}

FACILITY_DWELL_S = (900, 1500)
DEPOT_DWELL_S = (1200, 3600)
ROAD_FACTOR = 1.3  # road distance over straight-line distance, for timing
TARE_PER_LOAD = 1.1  # a vehicle's tare from its rated load (no tare in the registry)

# Household sorting: shares of drops and typical weights (kg) per class (invented, in the
# range of the pilot communities' published shares).
CLASS_SHARES = {"kitchen": 0.55, "other": 0.30, "recyclable": 0.13, "hazardous": 0.02}
CLASS_WEIGHT_KG = {"kitchen": 1.2, "other": 0.8, "recyclable": 1.5, "hazardous": 0.15}
CLASS_LETTER = {"kitchen": "K", "other": "O", "recyclable": "R", "hazardous": "H"}
UNREGISTERED = 0.01  # share of deposits with a household code nobody registered

# Bins: emptied twice a day; a share of collections is missed (that is what makes bins full).
EMPTY_HOURS = (7, 19)
MISSED_COLLECTION = 0.15
WEEKDAY_FACTOR = (1.15, 1.0, 1.0, 1.0, 1.05, 1.35, 1.4)  # Monday … Sunday
CENTRAL_COUNTIES = ("411002", "411003")  # 魏都区, 建安区: denser, faster filling
CENTRAL_FACTOR = 1.25

# Periodic messages share the rate in these proportions (among the kinds that have devices);
# weigh tickets are events and take their slot when due.
MIX = {"gps": 0.6, "fill": 0.2, "deposit": 0.2}
FAULTS = ("bad_json", "unknown_device", "clock_skew", "duplicate")
UNKNOWN_SERIAL = "SIM-UNREG-"


# --- the world ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """``start`` → ``end`` between ``t0`` and ``t1`` seconds into the round (a stop when the
    two points are equal)."""

    t0: float
    t1: float
    start: Point
    end: Point
    speed_kmh: float
    heading: int | None


@dataclass(frozen=True)
class Weighing:
    """A truck on a weighbridge ``at`` seconds into its round; ``loaded`` says whether it
    carries its cargo at that moment."""

    at: float
    bridge: str
    direction: str
    loaded: bool


@dataclass(frozen=True)
class Truck:
    serial: str  # the GPS terminal
    plate: str
    vehicle_kind: str
    stream: str
    segments: tuple[Segment, ...]
    offset: float  # seconds: where in its round the truck is at the epoch
    weighings: tuple[Weighing, ...] = ()
    tare_kg: float = 10_000.0
    load_kg: float = 8_000.0
    manifest: str | None = None
    manifest_kg: float | None = None

    @property
    def period(self) -> float:
        return self.segments[-1].t1


@dataclass(frozen=True)
class Bin:
    serial: str
    code: str
    rate: float  # percent per hour on an ordinary weekday
    temperature: float  # mean °C


@dataclass(frozen=True)
class SmartBin:
    serial: str
    household_prefix: str  # stable per community: the compound's site id
    households: int


@dataclass(frozen=True)
class World:
    trucks: tuple[Truck, ...] = ()
    bins: tuple[Bin, ...] = ()
    smart_bins: tuple[SmartBin, ...] = ()
    bridges: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "gps": len(self.trucks),
            "weigh": len(self.bridges),
            "fill": len(self.bins),
            "deposit": len(self.smart_bins),
        }


# --- geometry -----------------------------------------------------------------------------------


def distance_km(a: Point, b: Point) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def bearing(a: Point, b: Point) -> int:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return round(math.degrees(math.atan2(y, x))) % 360


def nearest_first(start: Point, points: Sequence[Point]) -> list[int]:
    """Indices of ``points`` in nearest-neighbour order from ``start``: a plausible round."""
    left, order, here = set(range(len(points))), [], start
    while left:
        nxt = min(left, key=lambda i: (distance_km(here, points[i]), i))
        order.append(nxt)
        left.remove(nxt)
        here = points[nxt]
    return order


@dataclass
class _RoundBuilder:
    rng: random.Random
    segments: list[Segment] = field(default_factory=list)
    clock: float = 0.0
    here: Point | None = None

    def dwell(self, point: Point, seconds: tuple[int, int]) -> tuple[float, float]:
        if self.here is not None and self.here != point:
            self.drive(point)
        self.here = point
        t0 = self.clock
        self.clock += self.rng.randint(*seconds)
        self.segments.append(Segment(t0, self.clock, point, point, 0.0, None))
        return t0, self.clock

    def drive(self, to: Point) -> None:
        if self.here is None:
            raise ValueError("a round starts with a stop")
        km = distance_km(self.here, to)
        speed = self.rng.uniform(25, 40) if km < 8 else self.rng.uniform(40, 60)
        seconds = max(60.0, km * ROAD_FACTOR / speed * 3600)
        t0 = self.clock
        self.clock += round(seconds)
        self.segments.append(
            Segment(t0, self.clock, self.here, to, round(speed, 1), bearing(self.here, to))
        )
        self.here = to


def build_truck(
    *,
    rng: random.Random,
    serial: str,
    plate: str,
    vehicle_kind: str,
    depot: Point,
    stops: Sequence[Point],
    facility: Point,
    round_: Round,
    load_kg: float,
    origin_bridge: str | None = None,
    facility_bridge: str | None = None,
    manifest: str | None = None,
    manifest_kg: float | None = None,
) -> Truck:
    """One vehicle's round as timed segments, with the weighings on the way. ``stops`` are
    visited in nearest-neighbour order from the depot; ``origin_bridge`` weighs the truck out
    of the (single) origin of a manifested trip."""
    built = _RoundBuilder(rng)
    built.dwell(depot, DEPOT_DWELL_S)
    weighings = []
    ordered = [stops[i] for i in nearest_first(depot, stops)]
    for index, stop in enumerate(ordered):
        _, left = built.dwell(stop, round_.dwell_s)
        if origin_bridge and index == len(ordered) - 1:
            weighings.append(Weighing(left - 60, origin_bridge, "out", loaded=True))
    arrived, left = built.dwell(facility, FACILITY_DWELL_S)
    if facility_bridge:
        weighings.append(Weighing(arrived + 60, facility_bridge, "in", loaded=True))
        weighings.append(Weighing(left - 60, facility_bridge, "out", loaded=False))
    built.drive(depot)
    return Truck(
        serial=serial,
        plate=plate,
        vehicle_kind=vehicle_kind,
        stream=round_.stream,
        segments=tuple(built.segments),
        offset=rng.uniform(0, built.clock),
        weighings=tuple(weighings),
        tare_kg=round(load_kg * TARE_PER_LOAD, -1),
        load_kg=load_kg,
        manifest=manifest,
        manifest_kg=manifest_kg,
    )


# --- state as a function of time ----------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    lon: float
    lat: float
    speed_kmh: float
    heading: int | None


def position(truck: Truck, at: datetime) -> Fix:
    """Where ``truck`` is at ``at``: interpolated along its round (straight lines between
    points; roads are not modelled, the corridor rule is straight-line too)."""
    s = (at.timestamp() + truck.offset) % truck.period
    starts = [seg.t0 for seg in truck.segments]
    seg = truck.segments[max(0, bisect_right(starts, s) - 1)]
    f = 0.0 if seg.t1 <= seg.t0 else min(1.0, (s - seg.t0) / (seg.t1 - seg.t0))
    lon = seg.start[0] + (seg.end[0] - seg.start[0]) * f
    lat = seg.start[1] + (seg.end[1] - seg.start[1]) * f
    return Fix(round(lon, 6), round(lat, 6), seg.speed_kmh, seg.heading)


def seeded(*parts: object) -> random.Random:
    """A random stream named by ``parts``: the same parts give the same draws in every process
    (unlike ``hash()``), and one device's draws do not shift another's. Simulation, not secrets."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311


def _unit(*parts: object) -> float:
    """A deterministic uniform [0, 1) from ``parts``."""
    return seeded(*parts).random()


def cargo_kg(truck: Truck, cycle: int, seed: int) -> float:
    """What the truck carries on round number ``cycle``: its manifest's quantity when it has
    one, else 55–95 % of its rated load."""
    if truck.manifest_kg:
        return round(truck.manifest_kg, 1)
    return round(truck.load_kg * (0.55 + 0.4 * _unit(seed, truck.serial, cycle)), -1)


def fill_percent(bin_: Bin, at: datetime, seed: int) -> float:
    """The fill level of ``bin_`` at ``at``: rising at the bin's rate (more at weekends, more in
    the central districts, already folded into the rate), back to a few percent at each
    collection (07:00, 19:00 local), unless that collection was missed."""
    local = at.astimezone(LOCAL)
    slot = local.replace(minute=0, second=0, microsecond=0)
    slot = slot.replace(
        hour=max((h for h in EMPTY_HOURS if h <= local.hour), default=EMPTY_HOURS[-1])
    )
    if local.hour < EMPTY_HOURS[0]:
        slot -= timedelta(days=1)
    for _ in range(6):  # at most three days of missed collections
        if _unit(seed, bin_.serial, slot.date(), slot.hour) >= MISSED_COLLECTION:
            break
        earlier = [h for h in EMPTY_HOURS if h < slot.hour]
        slot = (
            slot.replace(hour=earlier[-1])
            if earlier
            else (slot - timedelta(days=1)).replace(hour=EMPTY_HOURS[-1])
        )
    hours = (local - slot).total_seconds() / 3600
    level = 3 + bin_.rate * WEEKDAY_FACTOR[local.weekday()] * hours
    return round(min(level, 160.0), 1)


def temperature(bin_: Bin, at: datetime, noise: float) -> float:
    hour = at.astimezone(LOCAL).hour + at.minute / 60
    return round(bin_.temperature + 7 * math.sin(2 * math.pi * (hour - 9) / 24) + noise, 1)


# --- the stream ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    kind: str  # the message kind of the topic
    fault: str | None = None


_ENCODER = msgspec.json.Encoder()


def encode(message: Message) -> bytes:
    return _ENCODER.encode(message)


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def add(self, message: Outgoing) -> None:
        self.sent[message.kind] += 1
        if message.fault:
            self.faults[message.fault] += 1


class Simulator:
    """Messages from ``world``: call ``next_message(now)`` with a non-decreasing clock."""

    def __init__(self, world: World, *, seed: int = 2020, faults: float = 0.0):
        if not 0 <= faults <= 1:
            raise ValueError("faults must be a share between 0 and 1")
        self.world = world
        self.seed = seed
        self.faults = faults
        self.rng = seeded(seed, "stream")
        self.sequence = 0
        self.tally = Tally()
        self._cursor: Counter[str] = Counter()
        self._due: list[tuple[float, int, int, int]] = []  # (time, truck, weighing, cycle)
        self._started = False
        self._recent: list[Outgoing] = []
        self._manifests_weighed: set[tuple[str, str]] = set()
        self._kinds, self._weights = self._mix()

    def _mix(self) -> tuple[list[str], list[float]]:
        present = {
            "gps": bool(self.world.trucks),
            "fill": bool(self.world.bins),
            "deposit": bool(self.world.smart_bins),
        }
        kinds = [k for k in MIX if present[k]]
        return kinds, [MIX[k] for k in kinds]

    # --- scheduling of weighings -------------------------------------------------------------
    def _schedule(self, index: int, after: float) -> None:
        """Queue the first weighing of truck ``index`` after ``after`` (epoch seconds)."""
        truck = self.world.trucks[index]
        if not truck.weighings:
            return
        phase = after + truck.offset
        cycle = math.floor(phase / truck.period)
        cycle_start = cycle * truck.period - truck.offset
        for k in (0, 1):
            base = cycle_start + k * truck.period
            for w, weighing in enumerate(truck.weighings):
                if base + weighing.at > after:
                    heapq.heappush(self._due, (base + weighing.at, index, w, cycle + k))
                    return

    def _start(self, now: datetime) -> None:
        self._started = True
        for index in range(len(self.world.trucks)):
            self._schedule(index, now.timestamp())

    # --- messages -----------------------------------------------------------------------------
    def _id(self, at: datetime) -> str:
        self.sequence += 1
        return f"{int(at.timestamp() * 1000):x}-{self.sequence}"

    def _next(self, kind: str, pool: Sequence):
        item = pool[self._cursor[kind] % len(pool)]
        self._cursor[kind] += 1
        return item

    def ticket(self, truck: Truck, weighing: Weighing, cycle: int, at: datetime) -> Outgoing:
        """A weighbridge ticket: the loaded weighing measures the gross, the empty one the
        tare; each ticket carries both (the other from the truck's record), as printed."""
        cargo = cargo_kg(truck, cycle, self.seed)
        if weighing.direction == "in" and weighing.loaded:
            cargo = round(cargo * (1 - 0.004 * _unit(self.seed, truck.serial, cycle, "loss")), -1)
        tare = truck.tare_kg
        if not weighing.loaded:
            tare = round(tare + self.rng.uniform(-20, 20), -1)
        gross = round(truck.tare_kg + cargo, 1)
        manifest = None
        if (
            truck.manifest
            and (truck.manifest, weighing.bridge + weighing.direction)
            not in self._manifests_weighed
        ):
            # An open manifest is one trip: only the first round after start carries its number.
            self._manifests_weighed.add((truck.manifest, weighing.bridge + weighing.direction))
            manifest = truck.manifest
        message = WeighMessage(
            id=self._id(at),
            ts=at.astimezone(LOCAL),
            plate=truck.plate,
            gross_kg=gross,
            tare_kg=tare,
            net_kg=round(gross - tare, 1),
            direction=weighing.direction,  # type: ignore[arg-type]
            manifest=manifest,
        )
        return Outgoing(topic_for("weigh", weighing.bridge), encode(message), "weigh")

    def gps(self, now: datetime) -> Outgoing:
        truck = self._next("gps", self.world.trucks)
        fix = position(truck, now)
        speed = fix.speed_kmh
        if speed:
            speed = round(max(0.0, speed + self.rng.uniform(-5, 5)), 1)
        message = GpsMessage(
            id=self._id(now),
            ts=now.astimezone(LOCAL),
            lat=fix.lat,
            lon=fix.lon,
            speed_kmh=speed,
            heading=fix.heading,
            plate=truck.plate,
        )
        return Outgoing(topic_for("gps", truck.serial), encode(message), "gps")

    def fill(self, now: datetime) -> Outgoing:
        bin_ = self._next("fill", self.world.bins)
        message = FillMessage(
            id=self._id(now),
            ts=now.astimezone(LOCAL),
            bin=bin_.code,
            percent=fill_percent(bin_, now, self.seed),
            temperature_c=temperature(bin_, now, self.rng.uniform(-1, 1)),
        )
        return Outgoing(topic_for("fill", bin_.serial), encode(message), "fill")

    def deposit(self, now: datetime) -> Outgoing:
        station = self._next("deposit", self.world.smart_bins)
        waste_class = self.rng.choices(list(CLASS_SHARES), weights=list(CLASS_SHARES.values()))[0]
        weight = CLASS_WEIGHT_KG[waste_class] * self.rng.lognormvariate(0, 0.45)
        message = DepositMessage(
            id=self._id(now),
            ts=now.astimezone(LOCAL),
            bin=f"{station.serial}-{CLASS_LETTER[waste_class]}",
            household=self.household_code(station),
            waste_class=waste_class,  # type: ignore[arg-type]
            weight_kg=round(min(max(weight, 0.01), 50.0), 2),
        )
        return Outgoing(topic_for("deposit", station.serial), encode(message), "deposit")

    def household_code(self, station: SmartBin) -> str:
        """A registered household of the bin's compound; now and then (``UNREGISTERED``) a code
        nobody registered — a misprinted or a neighbour's old card — which the sorting absorb
        keeps as an unmatched drop (未登记户码)."""
        seq = self.rng.randrange(station.households)
        if self.rng.random() < UNREGISTERED:
            seq = station.households + self.rng.randrange(1, 50)
        return f"{station.household_prefix}{seq:04d}"

    def clean_message(self, now: datetime) -> Outgoing:
        """The next message before faults: a due weighing first, else a periodic reading."""
        if not self._started:
            self._start(now)
        if self._due and self._due[0][0] <= now.timestamp():
            when, index, w, cycle = heapq.heappop(self._due)
            truck = self.world.trucks[index]
            self._schedule(index, when)
            at = datetime.fromtimestamp(when, tz=now.tzinfo)
            return self.ticket(truck, truck.weighings[w], cycle, at)
        if not self._kinds:
            raise ValueError("the world has no devices to simulate")
        kind = self.rng.choices(self._kinds, weights=self._weights)[0]
        return getattr(self, kind)(now)

    def next_message(self, now: datetime) -> Outgoing:
        message = self.clean_message(now)
        if self.faults and self.rng.random() < self.faults:
            message = self.spoil(message, self.rng.choice(FAULTS), now)
        else:
            self._recent = [*self._recent[-49:], message]
        self.tally.add(message)
        return message

    def spoil(self, message: Outgoing, fault: str, now: datetime) -> Outgoing:
        """``message`` turned into a fault of kind ``fault`` (what real devices get wrong)."""
        if fault == "duplicate" and not self._recent:
            fault = "bad_json"
        if fault == "bad_json":
            payload = message.payload[: max(1, len(message.payload) // 2)]
            return Outgoing(message.topic, payload, message.kind, fault)
        if fault == "unknown_device":
            serial = f"{UNKNOWN_SERIAL}{self.rng.randrange(10**6):06d}"
            return Outgoing(topic_for(message.kind, serial), message.payload, message.kind, fault)
        if fault == "clock_skew":
            data = msgspec.json.decode(message.payload)
            ahead = now + timedelta(hours=self.rng.uniform(2, 6))
            data["ts"] = ahead.astimezone(LOCAL).isoformat()
            data["id"] = self._id(ahead)
            return Outgoing(message.topic, _ENCODER.encode(data), message.kind, fault)
        original = self.rng.choice(self._recent)  # duplicate: the same bytes resent
        return Outgoing(original.topic, original.payload, original.kind, fault)

    def stream(self, clock: Callable[[], datetime]) -> Iterator[Outgoing]:
        while True:
            yield self.next_message(clock())


# --- the world from the database ----------------------------------------------------------------


def county_of(path: str) -> str | None:
    """The county adcode of a region path (``411000/411002/411002001`` → ``411002``)."""
    parts = path.split("/")
    return parts[1] if len(parts) > 1 else None


def _point(lon: Decimal | float, lat: Decimal | float) -> Point:
    return (float(lon), float(lat))


@dataclass(frozen=True)
class _Place:
    site_id: int
    point: Point
    county: str | None
    kind: str = ""


def _places_by_kind(kinds: set[str]) -> dict[tuple[str | None, str], list[_Place]]:
    found: dict[tuple[str | None, str], list[_Place]] = {}
    rows = Site.objects.filter(is_active=True, kind__in=kinds).order_by("id")
    for pk, kind, lon, lat, path in rows.values_list("id", "kind", "lon", "lat", "region__path"):
        place = _Place(pk, _point(lon, lat), county_of(path), kind)
        found.setdefault((place.county, kind), []).append(place)
        found.setdefault((None, kind), []).append(place)
    return found


def _destinations() -> dict[str, list[_Place]]:
    """Operating facilities by the stream they hold a capacity for (a sub-stream counts for
    its parent: household-kitchen is household waste too)."""
    found: dict[str, dict[int, _Place]] = {}
    rows = FacilityCapacity.objects.filter(facility__status=FacilityStatus.OPERATING).order_by("id")
    for kind, site_id, lon, lat, path, stream, parent in rows.values_list(
        "facility__kind",
        "facility__site_id",
        "facility__site__lon",
        "facility__site__lat",
        "facility__site__region__path",
        "stream__code",
        "stream__parent__code",
    ):
        place = _Place(site_id, _point(lon, lat), county_of(path), kind)
        for code in filter(None, (stream, parent)):
            found.setdefault(code, {})[site_id] = place
    return {code: list(places.values()) for code, places in found.items()}


def _open_trips() -> dict[int, tuple[str, _Place, _Place, float | None]]:
    """Per vehicle, its latest manifest on the road: number, origin, destination, quantity."""
    trips: dict[int, tuple[str, _Place, _Place, float | None]] = {}
    rows = (
        Manifest.objects.filter(
            state__in=(State.PICKED_UP, State.IN_TRANSIT),
            vehicle__isnull=False,
            generator_site__isnull=False,
            receiver_facility__isnull=False,
        )
        .order_by("vehicle_id", "-id")
        .values_list(
            "vehicle_id",
            "number",
            "generator_site_id",
            "generator_site__lon",
            "generator_site__lat",
            "receiver_facility__site_id",
            "receiver_facility__site__lon",
            "receiver_facility__site__lat",
            "pickup_kg",
        )
    )
    for vehicle, number, origin, olon, olat, dest, dlon, dlat, kg in rows:
        if vehicle not in trips:
            trips[vehicle] = (
                number,
                _Place(origin, _point(olon, olat), None),
                _Place(dest, _point(dlon, dlat), None),
                float(kg) if kg else None,
            )
    return trips


def _households_by_site() -> dict[int, int]:
    """Households per compound site, so smart bins send the codes of registered households
    (``H{site:06d}{seq:04d}``, seq from 0): the households registered in the site's sorting
    community, else the compound's households in its committee's generated attributes (the demo
    city before its sorting is generated). A site in neither gets a stable invented count."""
    from wufei.demo.models import GeneratedParty
    from wufei.sorting.models import Household

    compounds: dict[tuple[int, str], int] = {}
    for party_id, attrs in GeneratedParty.objects.filter(sector="community").values_list(
        "party_id", "attrs"
    ):
        for compound in (attrs or {}).get("compounds", []):
            if compound.get("name") and compound.get("households"):
                compounds[(party_id, compound["name"])] = int(compound["households"])
    found: dict[int, int] = {}
    sites = Site.objects.filter(kind="community", party_id__in={p for p, _name in compounds})
    for site_id, party_id, name in sites.values_list("id", "party_id", "name"):
        if (party_id, name) in compounds:
            found[site_id] = compounds[(party_id, name)]
    rows = (
        Household.objects.filter(community__site__isnull=False)
        .values_list("community__site_id")
        .annotate(n=Count("id"))
        .values_list("community__site_id", "n")
    )
    found.update({site_id: n for site_id, n in rows if n})
    return found


def _nearest(places: Sequence[_Place], to: Point) -> _Place:
    return min(places, key=lambda p: (distance_km(p.point, to), p.site_id))


def load_world(*, seed: int) -> World:
    """Read the active devices and what they serve; the same database and seed give the same
    world."""
    bridges = dict(
        Device.objects.filter(kind=DeviceKind.WEIGHBRIDGE, is_active=True, site__isnull=False)
        .order_by("id")
        .values_list("site_id", "serial")
    )
    stop_kinds = {kind for round_ in ROUNDS.values() for kind in round_.stops}
    places = _places_by_kind(stop_kinds)
    destinations = _destinations()
    trips = _open_trips()
    depots: dict[int, Point] = {}
    for party, lon, lat in (
        Site.objects.filter(kind="depot", is_active=True)
        .order_by("-id")
        .values_list("party_id", "lon", "lat")
    ):
        depots[party] = _point(lon, lat)
    trucks = []
    vehicles = (
        Vehicle.objects.filter(is_active=True, gps_device__is_active=True)
        .order_by("id")
        .values_list(
            "id",
            "plate",
            "kind",
            "load_kg",
            "gps_device__serial",
            "party_id",
            "party__region__path",
        )
    )
    for pk, plate, kind, load, serial, party, path in vehicles:
        round_ = ROUNDS.get(kind)
        if round_ is None:
            continue
        rng = seeded(seed, "truck", serial)
        county = county_of(path)
        trip = trips.get(pk)
        if trip is not None:
            number, origin, destination, kg = trip
            stops, facility = [origin.point], destination
            origin_bridge = bridges.get(origin.site_id)
        else:
            number, kg, origin_bridge = None, None, None
            pool = [p for k in round_.stops for p in places.get((county, k), [])]
            pool = pool or [p for k in round_.stops for p in places.get((None, k), [])]
            accepting = [
                p for p in destinations.get(round_.stream, []) if p.kind in round_.facilities
            ]
            if not pool or not accepting:
                continue
            picked = rng.sample(pool, min(len(pool), rng.randint(*round_.stop_count)))
            stops = [p.point for p in picked]
            centre = (sum(p[0] for p in stops) / len(stops), sum(p[1] for p in stops) / len(stops))
            local = [p for p in accepting if p.county == county]
            facility = _nearest(local or accepting, centre)
        trucks.append(
            build_truck(
                rng=rng,
                serial=serial,
                plate=plate,
                vehicle_kind=kind,
                depot=depots.get(party, stops[0]),
                stops=stops,
                facility=facility.point,
                round_=round_,
                load_kg=float(load),
                origin_bridge=origin_bridge,
                facility_bridge=bridges.get(facility.site_id),
                manifest=number,
                manifest_kg=kg,
            )
        )
    fixed = (
        Device.objects.filter(
            kind__in=(DeviceKind.BIN_SENSOR, DeviceKind.SMART_BIN),
            is_active=True,
            site__isnull=False,
        )
        .order_by("id")
        .values_list("kind", "serial", "site_id", "site__region__path")
    )
    bins, smart_bins = [], []
    registered = _households_by_site()
    for kind, serial, site, path in fixed:
        if kind == DeviceKind.BIN_SENSOR:
            area = CENTRAL_FACTOR if county_of(path) in CENTRAL_COUNTIES else 1.0
            rate = (3.5 + 4.0 * _unit(seed, "bin", serial)) * area
            bins.append(
                Bin(serial, f"B{serial[-8:]}", round(rate, 2), 12 + 6 * _unit(seed, "t", serial))
            )
        else:
            households = registered.get(site) or 150 + int(450 * _unit(seed, "households", site))
            smart_bins.append(SmartBin(serial, f"H{site:06d}", households))
    return World(
        tuple(trucks), tuple(bins), tuple(smart_bins), tuple(sorted(set(bridges.values())))
    )


# --- publishing ---------------------------------------------------------------------------------

INFLIGHT = 200
DRAIN_S = 10.0
CONNECT_S = 5.0


class BrokerUnavailable(Exception):
    """The broker refused or could not be reached."""


@dataclass
class Published:
    tally: Tally
    seconds: float
    unacknowledged: int

    @property
    def rate(self) -> float:
        return self.tally.total / self.seconds if self.seconds else 0.0


def broker_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def connect(host: str, port: int, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(INFLIGHT)
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            refused.append(str(reason_code))
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise BrokerUnavailable(f"{host}:{port}: {exc}") from exc
    client.loop_start()
    if not connected.wait(CONNECT_S) or refused:
        client.loop_stop()
        raise BrokerUnavailable(f"{host}:{port}: {refused[0] if refused else 'no CONNACK'}")
    return client


def publish(
    simulator: Simulator,
    *,
    host: str = "127.0.0.1",
    port: int = 1883,
    rate: float = 20.0,
    count: int | None = None,
    duration: float | None = None,
    clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
) -> Published:
    """Send ``simulator``'s messages (QoS 1) at ``rate`` per second (0: as fast as the broker
    takes them) until ``count`` messages, ``duration`` seconds or ``stop``; then wait for the
    broker's acknowledgements."""
    clock = clock or (lambda: datetime.now(LOCAL))
    client = connect(host, port, f"wufei-sim-{os.getpid()}-{simulator.seed}")
    pending: deque[mqtt.MQTTMessageInfo] = deque()
    started = time.monotonic()
    sent = 0
    try:
        while not (stop and stop.is_set()):
            elapsed = time.monotonic() - started
            if (count is not None and sent >= count) or (
                duration is not None and elapsed >= duration
            ):
                break
            if rate and sent >= rate * elapsed:
                time.sleep(min(0.05, (sent + 1) / rate - elapsed))
                continue
            message = simulator.next_message(clock())
            pending.append(client.publish(message.topic, message.payload, qos=1))
            sent += 1
            while pending and pending[0].is_published():
                pending.popleft()
        deadline = time.monotonic() + DRAIN_S
        for info in pending:
            info.wait_for_publish(timeout=max(0.01, deadline - time.monotonic()))
        seconds = time.monotonic() - started
        return Published(simulator.tally, seconds, sum(not i.is_published() for i in pending))
    finally:
        client.disconnect()
        client.loop_stop()
