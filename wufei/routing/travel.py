"""Distances and travel times between points, behind one interface.

``TravelProvider.matrix(points, depart_s)`` returns two square int64 arrays: metres and
seconds from every point to every other, for a departure at ``depart_s`` seconds after the
planning day's midnight. The planner asks once per plan (at the shift start); a provider
that knows traffic by hour answers for that hour.

Shipped:

* :class:`GreatCircle` — no road network needed. Distance is the haversine distance times a
  *detour factor* (default 1.3: urban road distance in Chinese prefecture cities is typically
  1.2–1.4 times the straight line). Speed depends on the road class, inferred from the hop's
  length (short hops run on estate and side roads, long ones on arterials), and is slowed in
  the morning and evening peaks. Every figure is a setting (``WUFEI_ROUTING_TRAVEL``).
* :class:`OsrmTable` — the road-network matrix of an OSRM server the city runs (its
  ``/table/v1/driving`` service), at the URL in ``WUFEI_ROUTING_OSRM_URL``. A Valhalla
  ``sources_to_targets`` client would plug in the same way.
"""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from django.conf import settings

Point = tuple[float, float]  # (lat, lon) in degrees
EARTH_RADIUS_M = 6_371_008.8


class TravelProvider(Protocol):
    @property
    def name(self) -> str: ...

    def matrix(self, points: Sequence[Point], depart_s: int) -> tuple[np.ndarray, np.ndarray]:
        """(distance_m, duration_s) between every pair of ``points``; int64, zero diagonal."""
        ...


def haversine_m(points: Sequence[Point], others: Sequence[Point] | None = None) -> np.ndarray:
    """Great-circle distances in metres from every point to every point of ``others``
    (default: ``points`` themselves), as floats."""
    others = points if others is None else others
    if not points or not others:
        return np.zeros((len(points), len(others)))
    a_rad = np.radians(np.asarray(points, dtype=float))
    b_rad = np.radians(np.asarray(others, dtype=float))
    lat, lon = a_rad[:, 0:1], a_rad[:, 1:2]
    lat2, lon2 = b_rad[:, 0][None, :], b_rad[:, 1][None, :]
    h = np.sin((lat2 - lat) / 2) ** 2 + np.cos(lat) * np.cos(lat2) * np.sin((lon2 - lon) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def path_length_m(points: Sequence[Point]) -> float:
    """Length in metres of the polyline through ``points`` (great circle between each pair)."""
    if len(points) < 2:
        return 0.0
    rad = np.radians(np.asarray(points, dtype=float))
    lat, lon = rad[:-1, 0], rad[:-1, 1]
    lat2, lon2 = rad[1:, 0], rad[1:, 1]
    h = np.sin((lat2 - lat) / 2) ** 2 + np.cos(lat) * np.cos(lat2) * np.sin((lon2 - lon) / 2) ** 2
    return float((2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))).sum())


@dataclass(frozen=True)
class RoadClass:
    """Hops shorter than ``up_to_m`` (road distance) run at ``kmh``."""

    up_to_m: float
    kmh: float


@dataclass(frozen=True)
class GreatCircle:
    """Haversine × detour factor; speeds by road class and hour (see the module docstring)."""

    detour: float = 1.3
    road_classes: tuple[RoadClass, ...] = (
        RoadClass(1_500, 18.0),  # estate roads and lanes
        RoadClass(6_000, 28.0),  # urban streets
        RoadClass(math.inf, 45.0),  # arterials, county roads
    )
    # (from hour, to hour, speed factor): slower in the peaks.
    peaks: tuple[tuple[int, int, float], ...] = ((7, 9, 0.7), (17, 19, 0.7))
    name: str = field(default="great_circle")

    @classmethod
    def from_settings(cls) -> GreatCircle:
        conf = getattr(settings, "WUFEI_ROUTING_TRAVEL", {}) or {}
        kwargs: dict = {}
        if "detour" in conf:
            kwargs["detour"] = float(conf["detour"])
        if "road_classes" in conf:
            kwargs["road_classes"] = tuple(
                RoadClass(float(u), float(k)) for u, k in conf["road_classes"]
            )
        if "peaks" in conf:
            kwargs["peaks"] = tuple((int(a), int(b), float(f)) for a, b, f in conf["peaks"])
        return cls(**kwargs)

    def speed_factor(self, depart_s: int) -> float:
        hour = (depart_s // 3600) % 24
        for start, end, factor in self.peaks:
            if start <= hour < end:
                return factor
        return 1.0

    def matrix(self, points: Sequence[Point], depart_s: int) -> tuple[np.ndarray, np.ndarray]:
        road = haversine_m(points) * self.detour
        kmh = np.full(road.shape, self.road_classes[-1].kmh)
        for road_class in reversed(self.road_classes):
            kmh = np.where(road < road_class.up_to_m, road_class.kmh, kmh)
        mps = kmh * self.speed_factor(depart_s) / 3.6
        seconds = np.divide(road, mps, out=np.zeros_like(road), where=mps > 0)
        return np.rint(road).astype(np.int64), np.rint(seconds).astype(np.int64)


class TravelServiceError(Exception):
    """The road-network service did not answer with a usable table."""


@dataclass(frozen=True)
class OsrmTable:
    """OSRM's table service: ``GET {url}/table/v1/driving/{lon,lat;…}?annotations=
    distance,duration``. Cannot be exercised here without a running OSRM; the request and the
    parsing are tested against a recorded answer served on loopback."""

    url: str
    timeout_s: float = 30.0
    name: str = field(default="osrm")

    @classmethod
    def from_settings(cls) -> OsrmTable:
        return cls(url=getattr(settings, "WUFEI_ROUTING_OSRM_URL", ""))

    def request_url(self, points: Sequence[Point]) -> str:
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        return (
            f"{self.url.rstrip('/')}/table/v1/driving/{coordinates}?annotations=distance,duration"
        )

    @staticmethod
    def parse(payload: dict, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The (distance, duration) arrays of an OSRM table answer; unreachable pairs (null)
        become a prohibitive 10⁹ so the solver never uses them."""
        if payload.get("code") != "Ok":
            raise TravelServiceError(f"OSRM: {payload.get('code')} {payload.get('message', '')}")
        out = []
        for key in ("distances", "durations"):
            rows = payload.get(key)
            if rows is None or len(rows) != size or any(len(r) != size for r in rows):
                raise TravelServiceError(f"OSRM: {key} missing or not {size}×{size}")
            values = np.array([[1e9 if v is None else v for v in r] for r in rows], dtype=float)
            out.append(np.rint(values).astype(np.int64))
        return out[0], out[1]

    def matrix(self, points: Sequence[Point], depart_s: int) -> tuple[np.ndarray, np.ndarray]:
        if not points:
            return np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.int64)
        url = self.request_url(points)
        if not url.startswith(("http://", "https://")):
            raise TravelServiceError(f"OSRM: not an HTTP URL: {self.url}")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as answer:  # noqa: S310
                payload = json.loads(answer.read())
        except (OSError, ValueError) as exc:
            raise TravelServiceError(f"OSRM: {exc}") from exc
        return self.parse(payload, len(points))


def default_provider() -> TravelProvider:
    """OSRM when the city configured one, else the great-circle estimate."""
    if getattr(settings, "WUFEI_ROUTING_OSRM_URL", ""):
        return OsrmTable.from_settings()
    return GreatCircle.from_settings()
