"""Reads behind the measures and assessment pages, scoped to the actor: who may see them, the
areas (city, counties, streets with communities, communities) an actor may pick, and the
assessment schemes."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may, restrict, role_of
from wufei.core.errors import NotFound, NotPermitted
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.sorting.assessment import OFFICIALS
from wufei.sorting.measures import Area
from wufei.sorting.models import AssessmentScheme, Community, CommunityDay

TOTAL_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)


def may_view_measures(actor) -> bool:
    """Officials (city, county, departments, administrators) whose grant covers sorting rows."""
    return role_of(actor) in OFFICIALS and may(actor, Action.VIEW, CommunityDay)


def home_region(actor) -> Region | None:
    """The actor's own region (a county official's county), else the city."""
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    if region is not None:
        return Region.objects.defer("boundary").get(pk=region.pk)
    return Region.objects.defer("boundary").filter(level=RegionLevel.CITY).order_by("path").first()


def _within_actor(rows: QuerySet[Region], actor) -> QuerySet[Region]:
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    if region is not None:
        rows = rows.filter(path__startswith=region.path)
    return rows


def area_regions(*, actor) -> list[Region]:
    """The regions an actor may pick as an area, by path: the city, counties and zones, and the
    streets (towns) that have active communities, within the actor's own region."""
    towns = (
        Community.objects.filter(is_active=True)
        .order_by()
        .values_list("region_id", flat=True)
        .distinct()
    )
    rows = Region.objects.defer("boundary").filter(Q(level__in=TOTAL_LEVELS) | Q(pk__in=towns))
    return list(_within_actor(rows, actor).order_by("path"))


def community_options(*, actor, region: Region) -> list[Community]:
    rows = Community.objects.filter(is_active=True, region__path__startswith=region.path)
    return list(restrict(rows, actor, Action.VIEW).only("pk", "name", "region_id").order_by("name"))


def area_for(*, actor, adcode: str = "", community: str = "") -> Area:
    """The area named by a page's ``region`` (adcode) and ``community`` (pk) parameters, within
    what the actor sees; the actor's home region when neither is given. ``NotFound`` for an
    unknown or foreign region or community."""
    if community:
        try:
            pk = int(community)
        except ValueError as exc:
            raise NotFound() from exc
        rows = restrict(Community.objects.select_related("region"), actor, Action.VIEW)
        found = rows.defer("region__boundary").filter(pk=pk, is_active=True).first()
        if found is None:
            raise NotFound()
        return Area(found.region, found)
    if adcode:
        region = (
            _within_actor(Region.objects.defer("boundary"), actor).filter(adcode=adcode).first()
        )
        if region is None:
            raise NotFound()
        return Area(region)
    region = home_region(actor)
    if region is None:
        raise NotFound(_("尚未加载行政区划。"))
    return Area(region)


def scheme_list(*, actor) -> QuerySet[AssessmentScheme]:
    if not may_view_measures(actor):
        raise NotPermitted()
    return AssessmentScheme.objects.order_by("-year", "name")
