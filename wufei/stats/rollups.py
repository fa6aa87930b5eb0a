"""Rollups: marking (county, day) slices dirty when their raw records change.

Every writer of a record the statistics count (manifest steps and corrections, declarations)
calls :func:`mark_dirty` inside its own transaction, so a mark exists exactly when the change
commits. Rebuilding the slices is done by ``refresh`` (below), from the raw records alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction

from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.stats.models import RollupDirty

COUNTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.ZONE, RegionLevel.CITY)


def county_id_of(region: Region) -> int:
    """The rollup region of a record's region: its county or function zone (a town's
    parent), or the city itself for figures declared for the whole city."""
    if region.level in COUNTY_LEVELS or region.parent_id is None:
        return region.pk
    return region.parent_id


def mark_dirty(region_id: int, days: Iterable[date | None]) -> None:
    """Mark the slices (``region_id``'s county, each day) for rebuilding. Idempotent."""
    county = county_id_of(Region.objects.only("level", "parent_id").get(pk=region_id))
    for day in {d for d in days if d is not None}:
        try:
            with transaction.atomic():
                RollupDirty.objects.get_or_create(region_id=county, day=day)
        except IntegrityError:  # marked concurrently: the mark exists, which is all we need
            pass
