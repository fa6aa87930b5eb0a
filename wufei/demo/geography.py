"""Where generated things are: points inside the real county polygons, in real towns.

The reference data gives each county its real boundary but towns (乡镇、街道) have none; the
county polygon is the rule a site must obey. To keep a town's sites together on the map, each
town gets an invented anchor point inside its county: the county seat for the seat town,
a disc around the seat for street offices (街道), and well-spread points for the other towns
(Mitchell's best-candidate sampling). Anchors depend only on the county, not on the seed, so
the map looks the same whatever the seed; sites scatter around their town's anchor.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from shapely.geometry import Point, shape
from shapely.prepared import prep

from wufei.demo.figures import COUNTIES, County
from wufei.registry.models import Region

KM_PER_DEGREE = 111.32
COORDINATE = Decimal("0.000001")
SPREAD_KM = {"street": 0.7, "seat": 1.5, "town": 2.2}
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


@dataclass
class Town:
    region: Region
    county: County
    kind: str  # "street", "seat" or "town"
    anchor: tuple[float, float]

    @property
    def urban(self) -> bool:
        return self.kind != "town"

    @property
    def name(self) -> str:
        return self.region.name


def _town_kind(region: Region, county: County) -> str:
    if region.name == county.seat_town:
        return "seat"
    number = int(region.adcode[6:9])
    return "street" if number < 100 or number >= 400 else "town"


def _offset(origin: tuple[float, float], east_km: float, north_km: float) -> tuple[float, float]:
    lon, lat = origin
    return (
        lon + east_km / (KM_PER_DEGREE * math.cos(math.radians(lat))),
        lat + north_km / KM_PER_DEGREE,
    )


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    east = (a[0] - b[0]) * KM_PER_DEGREE * math.cos(math.radians((a[1] + b[1]) / 2))
    north = (a[1] - b[1]) * KM_PER_DEGREE
    return math.hypot(east, north)


class CountyArea:
    """One county: its polygon, its towns and their anchors."""

    def __init__(self, county: County, region: Region, towns: list[Region]):
        self.county = county
        self.region = region
        self.polygon = shape(region.boundary)
        self._inside = prep(self.polygon)
        rng = random.Random(f"anchors:{county.adcode}")
        placed: list[tuple[float, float]] = [county.seat]
        self.towns: list[Town] = []
        streets = [t for t in towns if _town_kind(t, county) == "street"]
        for region_ in towns:
            kind = _town_kind(region_, county)
            if kind == "seat":
                anchor = county.seat
            elif kind == "street":
                anchor = self._street_point(rng, streets.index(region_), len(streets))
            else:
                anchor = self._spread_point(rng, placed)
            placed.append(anchor)
            self.towns.append(Town(region_, county, kind, anchor))

    def contains(self, lon: float, lat: float) -> bool:
        return self._inside.contains(Point(lon, lat))

    def _street_point(self, rng: random.Random, index: int, count: int) -> tuple[float, float]:
        """Street offices fill a disc around the seat (sunflower layout, slightly jittered)."""
        outer = 1.2 * math.sqrt(count)
        for shrink in (1.0, 0.7, 0.4, 0.2):
            radius = outer * shrink * math.sqrt((index + 0.5) / count)
            angle = index * GOLDEN_ANGLE + rng.uniform(-0.2, 0.2)
            point = _offset(self.county.seat, radius * math.cos(angle), radius * math.sin(angle))
            if self.contains(*point):
                return point
        return self.county.seat

    def _uniform_point(self, rng: random.Random) -> tuple[float, float]:
        west, south, east, north = self.polygon.bounds
        while True:
            point = (rng.uniform(west, east), rng.uniform(south, north))
            if self.contains(*point):
                return point

    def _spread_point(
        self, rng: random.Random, placed: list[tuple[float, float]]
    ) -> tuple[float, float]:
        candidates = [self._uniform_point(rng) for _ in range(40)]
        return max(candidates, key=lambda c: min(_distance_km(c, p) for p in placed))

    def scatter(
        self, rng: random.Random, center: tuple[float, float], spread_km: float
    ) -> tuple[Decimal, Decimal]:
        """A point near ``center`` (normal spread), inside the county, to 6 decimals."""
        for _ in range(60):
            lon, lat = _offset(center, rng.gauss(0, spread_km), rng.gauss(0, spread_km))
            point = _quantize(lon, lat)
            if self.contains(float(point[0]), float(point[1])):
                return point
        return _quantize(*center)


def _quantize(lon: float, lat: float) -> tuple[Decimal, Decimal]:
    return Decimal(str(lon)).quantize(COORDINATE), Decimal(str(lat)).quantize(COORDINATE)


class Geography:
    """The six counties of the demo city, loaded from the reference regions."""

    def __init__(self):
        regions = {
            r.adcode: r
            for r in Region.objects.select_related("parent").filter(
                adcode__in=[c.adcode for c in COUNTIES]
            )
        }
        towns: dict[str, list[Region]] = {c.adcode: [] for c in COUNTIES}
        for town in Region.objects.select_related("parent").filter(
            level="town", parent__adcode__in=list(towns)
        ):
            towns[town.parent.adcode].append(town)
        self.areas = {
            c.adcode: CountyArea(c, regions[c.adcode], sorted(towns[c.adcode], key=_adcode))
            for c in COUNTIES
        }

    def area(self, adcode: str) -> CountyArea:
        return self.areas[adcode]

    def towns(self, adcode: str, setting: str = "any") -> list[Town]:
        towns = self.areas[adcode].towns
        if setting == "any":
            return towns
        wanted = [t for t in towns if t.urban == (setting == "urban")]
        return wanted or towns

    def town(self, adcode: str, name: str) -> Town:
        for town in self.areas[adcode].towns:
            if town.name == name:
                return town
        raise KeyError(f"{name} is not a town of {adcode}")

    def point(
        self,
        rng: random.Random,
        town: Town,
        near: tuple[float, float] | None = None,
        spread_km: float | None = None,
    ) -> tuple[Decimal, Decimal]:
        """A point in ``town`` (around its anchor, or around ``near``) inside its county."""
        spread = SPREAD_KM[town.kind] if spread_km is None else spread_km
        return self.areas[town.county.adcode].scatter(rng, near or town.anchor, spread)


def _adcode(region: Region) -> str:
    return region.adcode
