"""Distances on the ground for the stream rules, without a GIS dependency.

At the scale of one city (tens of kilometres) an equirectangular projection around the
points' mean latitude is accurate to well under a metre per kilometre, far below GPS noise,
and costs a few multiplications per fix, which matters over thousands of fixes per run.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0


def _project(lat: float, lon: float, lat0: float) -> tuple[float, float]:
    """Metres east and north of (0, 0) on a plane tangent at latitude ``lat0``."""
    x = math.radians(lon) * math.cos(math.radians(lat0)) * EARTH_RADIUS_M
    y = math.radians(lat) * EARTH_RADIUS_M
    return x, y


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    lat0 = (lat1 + lat2) / 2
    x1, y1 = _project(lat1, lon1, lat0)
    x2, y2 = _project(lat2, lon2, lat0)
    return math.hypot(x2 - x1, y2 - y1)


def distance_to_segment_m(
    lat: float, lon: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    """Distance from a point to the segment a–b (each ``(lat, lon)``), in metres."""
    lat0 = (a[0] + b[0] + lat) / 3
    px, py = _project(lat, lon, lat0)
    ax, ay = _project(a[0], a[1], lat0)
    bx, by = _project(b[0], b[1], lat0)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def degrees_around(lat: float, metres: float) -> tuple[float, float]:
    """Half-sizes (in degrees of latitude and longitude) of a box ``metres`` around a point,
    for a bounding-box prefilter in the database."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return dlat, dlon
