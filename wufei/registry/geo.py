"""Region boundaries as shapely geometries, and the point-in-region rule for sites."""

from __future__ import annotations

from functools import lru_cache

from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep


@lru_cache(maxsize=64)
def _prepared(region_pk: int, version: str) -> PreparedGeometry | None:
    from wufei.registry.models import Region

    boundary = Region.objects.values_list("boundary", flat=True).get(pk=region_pk)
    return prep(shape(boundary)) if boundary else None


def boundary_of(region) -> PreparedGeometry | None:
    """The prepared polygon of ``region`` or, for a town without one, of its county."""
    node = region
    while node is not None:
        if node.boundary:
            return _prepared(node.pk, node.updated_at.isoformat())
        node = node.parent
    return None


def contains(region, lon: float, lat: float) -> bool:
    geometry = boundary_of(region)
    return geometry is None or geometry.contains(Point(float(lon), float(lat)))
