"""The planning problem and its solution, independent of Django and of any solver.

Everything is an integer: distances in metres, durations and times in seconds from the
planning day's midnight, loads in the problem's own units per dimension (the city planner uses
kilograms and litres; the benchmark instances their own demand units). Index conventions:
``Problem.distance[i][j]`` and ``duration[i][j]`` are between *locations*; depots, stops and
unloads each name a location by index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Window = tuple[int, int]
ALL_DAY: Window = (0, 86_400)


@dataclass(frozen=True)
class Depot:
    key: str
    location: int
    window: Window = ALL_DAY


@dataclass(frozen=True)
class Stop:
    """A place to collect from. An optional stop (``required=False``) may wait for another day;
    serving it earns ``prize`` (in cost units)."""

    key: str
    location: int
    demand: tuple[int, ...]
    service_s: int = 0
    window: Window = ALL_DAY
    required: bool = True
    prize: int = 0
    release_s: int = 0  # earliest departure from the depot of a trip that serves it


@dataclass(frozen=True)
class Unload:
    """Where a vehicle empties: a receiving facility (or the depot, in the benchmark's
    multi-trip instances). ``capacity`` is what it can still take today per dimension; None is
    unlimited."""

    key: str
    location: int
    window: Window = ALL_DAY
    service_s: int = 0
    capacity: tuple[int, ...] | None = None


@dataclass(frozen=True)
class VehicleType:
    key: str
    count: int
    capacity: tuple[int, ...]
    depot: int  # index into Problem.depots; routes start and end there
    shift: Window = ALL_DAY
    max_duration_s: int | None = None
    unloads: tuple[int, ...] = ()  # indices into Problem.unloads this type may use
    max_trips: int = 1  # 1: no unloading midway; the route ends at an unload, then the depot
    must_unload_at_end: bool = False  # city rounds: empty at a facility before returning
    fixed_cost: int = 0
    cost_per_km: int = 1_000  # cost units per kilometre (the benchmark: 1 per distance unit)
    cost_per_hour: int = 0


@dataclass
class Problem:
    depots: list[Depot]
    stops: list[Stop]
    unloads: list[Unload]
    vehicle_types: list[VehicleType]
    distance: np.ndarray  # (n_locations, n_locations) int64
    duration: np.ndarray  # (n_locations, n_locations) int64
    dimensions: tuple[str, ...] = ("kg",)
    name: str = ""


@dataclass(frozen=True)
class Visit:
    """One step of a route: a stop served or an unload, with times and the load after it."""

    kind: str  # "stop" | "unload"
    index: int  # into Problem.stops or Problem.unloads
    arrive_s: int
    start_s: int  # service start (after waiting for the window)
    depart_s: int
    load_after: tuple[int, ...]


@dataclass
class Route:
    vehicle_type: int
    visits: list[Visit]
    start_s: int
    end_s: int
    distance_m: int
    duration_s: int
    cost: int


@dataclass
class Solution:
    routes: list[Route]
    unserved: list[int] = field(default_factory=list)  # optional stops left for another day
    cost: int = 0
    distance_m: int = 0
    runtime_s: float = 0.0
    iterations: int = 0
    seed: int | None = None


@dataclass(frozen=True)
class Violation:
    code: str  # capacity, window, shift, facility_capacity, facility_hours, missed, repeated, ...
    message: str  # Chinese, for officials
    route: int | None = None
    stop: int | None = None


@dataclass(frozen=True)
class Unplannable:
    """A stop the planner set aside before solving, and why (no coordinates, demand above
    every vehicle, unreachable window, no facility accepts the stream)."""

    key: str
    code: str
    message: str
