"""The portal: a home page per role, the one map (一张图) and its data endpoints."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, FloatField, Max, Sum
from django.db.models.functions import Cast
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition, require_GET

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import restrict, role_of
from wufei.alerts import selectors as alert_selectors
from wufei.alerts.choices import AlertStatus
from wufei.core.errors import NotPermitted
from wufei.core.pages import table
from wufei.manifests import selectors as manifest_selectors
from wufei.manifests.choices import OPEN_STATES
from wufei.registry import selectors
from wufei.registry import views as registry_pages
from wufei.registry.choices import (
    FacilityKind,
    RegionLevel,
    SiteKind,
)
from wufei.registry.models import (
    Device,
    Facility,
    Party,
    Permit,
    Region,
    Site,
    Vehicle,
    WasteCategory,
    WasteCode,
    WasteStream,
)
from wufei.web.cockpit import cockpit

EXPIRY_WINDOW_DAYS = 90
HOME_ROWS = 10

# --- home ---------------------------------------------------------------------------------


def expiring_permits(actor, today=None):
    """Active permits of the actor's scope whose validity ends within 90 days."""
    return selectors.permits_expiring(
        selectors.permit_list(actor=actor), within_days=EXPIRY_WINDOW_DAYS, today=today
    )


def _card(label, count, url, note=None) -> dict:
    return {"label": label, "count": count, "url": url, "note": note}


def _official(actor) -> dict:
    """Counts of everything in the official's scope, and the permits about to expire."""
    expiring = expiring_permits(actor)
    cards = [
        _card(_("单位"), _count(Party, actor), reverse("registry:party_list")),
        _card(_("场所"), _count(Site, actor), reverse("registry:site_list")),
        _card(_("设施"), _count(Facility, actor), reverse("registry:facility_list")),
        _card(
            _("许可证"),
            _count(Permit, actor),
            f"{reverse('registry:permit_list')}?expires_within={EXPIRY_WINDOW_DAYS}",
            note=_("%(count)s 张 90 天内到期") % {"count": expiring.count()},
        ),
        _card(_("车辆"), _count(Vehicle, actor), reverse("registry:vehicle_list")),
        _card(
            _("未完结联单"),
            manifest_selectors.manifest_list(actor=actor).filter(state__in=OPEN_STATES).count(),
            reverse("manifests:manifest_list"),
        ),
        _card(
            _("待处理预警"),
            alert_selectors.alert_list(actor=actor).exclude(status=AlertStatus.RESOLVED).count(),
            reverse("alerts:alert_list"),
        ),
        _card(_("设备"), _count(Device, actor), reverse("registry:device_list")),
    ]
    soon = expiring.select_related("party", "stream").order_by("valid_to")[:HOME_ROWS]
    return {
        "template": "web/home/official.html",
        "cards": cards,
        "expiring": table(registry_pages.PERMIT_COLUMNS, soon),
    }


def _count(model, actor) -> int:
    return restrict(model.objects.all(), actor, Action.VIEW).count()


def _party_home(actor, *, with_sites: bool, with_permits: bool) -> dict:
    party = actor.party
    fields = table(registry_pages.PARTY_DETAIL[:7], [party]) if party else None
    blocks = []
    if with_sites:
        sites = selectors.site_list(actor=actor).filter(party=party)
        blocks.append((_("本单位场所"), table(registry_pages.SITE_COLUMNS, sites[:HOME_ROWS])))
    if with_permits:
        permits = selectors.permit_list(actor=actor).filter(party=party)
        blocks.append(
            (_("本单位许可证"), table(registry_pages.PERMIT_COLUMNS, permits[:HOME_ROWS]))
        )
    vehicles = selectors.vehicle_list(actor=actor).filter(party=party)
    blocks.append((_("车辆"), table(registry_pages.VEHICLE_COLUMNS, vehicles[:HOME_ROWS])))
    return {
        "template": "web/home/party.html",
        "pending": manifest_selectors.pending_for(actor=actor).order_by("-created_at")[:HOME_ROWS],
        "party": party,
        "party_url": reverse("registry:party_detail", args=[party.pk]) if party else None,
        "party_table": fields,
        "blocks": blocks,
    }


def _enterprise(actor) -> dict:
    return _party_home(actor, with_sites=True, with_permits=True)


def _driver(actor) -> dict:
    return _party_home(actor, with_sites=False, with_permits=False)


def _guide(actor) -> dict:
    """The guide's phone start page: today's shifts with check-in, the stations with their
    times, quick links (deposit, station check, household), then the street's communities."""
    from wufei.sorting.registry_views import guide_home  # the sorting app's part of the page

    communities = restrict(
        Party.objects.filter(is_community=True).select_related("region"), actor, Action.VIEW
    )
    homes = selectors.site_list(actor=actor).filter(kind__in=(SiteKind.COMMUNITY, SiteKind.VILLAGE))
    return {
        "template": "web/home/guide.html",
        "region": actor.region,
        **guide_home(actor),
        "communities": table(registry_pages.PARTY_COLUMNS, communities[:50]),
        "community_count": communities.count(),
        "homes": table(registry_pages.SITE_COLUMNS, homes[:50]),
        "home_count": homes.count(),
    }


def catalogue_summary() -> list[dict]:
    """Top-level waste streams with how many categories and codes lie under each."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in WasteStream.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    per_stream = {
        row["stream_id"]: row
        for row in WasteCategory.objects.values("stream_id")
        .annotate(categories=Count("id", distinct=True), codes=Count("codes", distinct=True))
        .order_by()
    }
    out = []
    for stream in WasteStream.objects.filter(parent__isnull=True).order_by("sort_order", "code"):
        stack, ids = [stream.pk], []
        while stack:
            pk = stack.pop()
            ids.append(pk)
            stack.extend(children.get(pk, ()))
        rows = [per_stream[pk] for pk in ids if pk in per_stream]
        out.append(
            {
                "stream": stream,
                "categories": sum(r["categories"] for r in rows),
                "codes": sum(r["codes"] for r in rows),
            }
        )
    return out


def _public(actor) -> dict:
    facilities = restrict(Facility.objects.all(), actor, Action.VIEW)
    labels = dict(FacilityKind.choices)
    by_kind = [
        (labels.get(row["kind"], row["kind"]), row["n"])
        for row in facilities.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    ]
    streams = catalogue_summary()
    return {
        "template": "web/home/public.html",
        "facility_count": sum(n for _label, n in by_kind),
        "by_kind": by_kind,
        "streams": streams,
        "code_count": WasteCode.objects.count(),
        **map_context(actor),
    }


HOMES = {
    Role.ADMIN: _official,
    Role.CITY_OFFICIAL: _official,
    Role.COUNTY_OFFICIAL: _official,
    Role.DEPARTMENT_OFFICIAL: _official,
    Role.ENTERPRISE: _enterprise,
    Role.DRIVER: _driver,
    Role.GUIDE: _guide,
    Role.PUBLIC: _public,
}


def home(request):
    """Each role's own start page; the anonymous get the public landing with a log-in link."""
    actor = request.user
    role = role_of(actor)
    context = HOMES.get(role, _public)(actor)
    return render(request, "web/home.html", {"role": role, **context})


# --- the one map --------------------------------------------------------------------------

BOUNDARY_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY)
BOUNDARY_CACHE_SECONDS = 3600


def _boundary_regions():
    return Region.objects.filter(level__in=BOUNDARY_LEVELS, boundary__isnull=False)


def boundaries_etag(request) -> str:
    stamp = _boundary_regions().aggregate(n=Count("id"), last=Max("updated_at"))
    text = f"{stamp['n']}:{stamp['last'].isoformat() if stamp['last'] else ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@require_GET
@gzip_page
@condition(etag_func=boundaries_etag)
def map_boundaries(request):
    """The city's and the counties' real boundaries as one GeoJSON FeatureCollection.

    Counties come first and the city last, so the city's outline is drawn on top.
    Reference data, the same for everyone: cached by ETag (304 when unchanged).
    """
    key = f"wufei:boundaries:{boundaries_etag(request)}"
    body = cache.get(key)
    if body is None:
        features = [
            {
                "type": "Feature",
                "properties": {
                    "adcode": r.adcode,
                    "name": r.name,
                    "level": r.level,
                    # ECharts places a region's label at ``cp``: a point inside the region
                    # (建安区's centroid lies in 魏都区, which it surrounds).
                    "cp": [float(r.center_lon), float(r.center_lat)]
                    if r.center_lon is not None
                    else None,
                },
                "geometry": r.boundary,
            }
            for r in _boundary_regions().order_by("-level", "adcode")
        ]
        body = json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        cache.set(key, body, BOUNDARY_CACHE_SECONDS)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={BOUNDARY_CACHE_SECONDS}"
    return response


def _region_filter(request):
    adcode = request.GET.get("region", "").strip()
    if not adcode:
        return None
    return Region.objects.filter(adcode=adcode).first()


def _float(path: str) -> Cast:
    """Coordinates as floats straight from the database (no Decimal per point)."""
    return Cast(path, FloatField())


def _layers(rows, group: str, labels: dict, parties: dict, capacity: dict | None) -> list:
    """Group ``(id, name, kind, lon, lat, party_id, party_name)`` rows into compact layers."""
    layers: dict[str, dict] = {}
    for pk, name, kind, lon, lat, party_id, party_name in rows:
        if lon is None or lat is None:
            continue
        layer = layers.get(kind)
        if layer is None:
            layer = layers[kind] = {
                "group": group,
                "kind": kind,
                "label": str(labels.get(kind, kind)),
                "ids": [],
                "coords": [],
                "names": [],
                "parties": [],
            }
            if capacity is not None:
                layer["capacity"] = []
        if party_id not in parties:
            parties[party_id] = (len(parties), party_name)
        layer["ids"].append(pk)
        layer["coords"] += [round(lon, 6), round(lat, 6)]
        layer["names"].append(name)
        layer["parties"].append(parties[party_id][0])
        if capacity is not None:
            total = capacity.get(pk)
            layer["capacity"].append(float(total) if total is not None else None)
    order = list(labels)
    for layer in layers.values():
        layer["index"] = order.index(layer["kind"])  # a kind keeps its colour in every view
    return sorted(layers.values(), key=lambda item: item["index"])


@require_GET
@gzip_page
def map_points(request):
    """Every facility and site the actor may see, as compact JSON layers (one per kind)."""
    actor = request.user
    region = _region_filter(request)
    facilities = restrict(Facility.objects.all(), actor, Action.VIEW)
    sites = restrict(Site.objects.all(), actor, Action.VIEW)
    if region is not None:
        facilities = facilities.filter(site__region__path__startswith=region.path)
        sites = sites.filter(region__path__startswith=region.path)
    capacity = dict(
        selectors.capacity_list(actor=actor)
        .filter(facility__in=facilities.values("pk"))
        .order_by()
        .values_list("facility_id")
        .annotate(total=Sum("tonnes_per_day"))
    )
    parties: dict[int, tuple[int, str]] = {}
    layers = _layers(
        facilities.values_list(
            "id",
            "name",
            "kind",
            _float("site__lon"),
            _float("site__lat"),
            "site__party_id",
            "site__party__name",
        ).order_by("id"),
        "facility",
        dict(FacilityKind.choices),
        parties,
        capacity,
    )
    layers += _layers(
        sites.values_list(
            "id", "name", "kind", _float("lon"), _float("lat"), "party_id", "party__name"
        ).order_by("id"),
        "site",
        dict(SiteKind.choices),
        parties,
        None,
    )
    names = [name for _index, name in sorted(parties.values())]
    response = JsonResponse(
        {"region": region.adcode if region else None, "parties": names, "layers": layers},
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    response["Cache-Control"] = "private, max-age=60"
    return response


def map_counties(actor) -> list[Region]:
    """The counties an actor can pick in the map's filter (an official bound to one: that one)."""
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("adcode")
    if region is not None and region.county is not None:
        counties = counties.filter(pk=region.county.pk)
    return list(counties)


def map_context(actor) -> dict:
    counties = map_counties(actor)
    bound = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    return {
        "counties": counties,
        "default_region": counties[0].adcode if bound is not None and counties else "",
        "facility_url": reverse("registry:facility_detail", args=[0]),
        "site_url": reverse("registry:site_detail", args=[0]),
        "boundaries_url": reverse("web:map_boundaries"),
        "points_url": reverse("web:map_points"),
    }


def map_page(request):
    return render(request, "web/map.html", map_context(request.user))


# --- the cockpit ----------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def cockpit_page(request):
    """驾驶舱: the officials' one-page view (county officials: their county)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        data = cockpit(
            request.user,
            year=_int(request.GET.get("year")),
            adcode=request.GET.get("region", ""),
            indicator_code=request.GET.get("indicator", ""),
        )
    except NotPermitted as exc:
        raise PermissionDenied from exc
    chart = {
        "trend": data.trend,
        "map": {
            "values": data.map_values,
            "links": data.map_links,
            "name": data.map_indicator.name if data.map_indicator else "",
            "unit": data.map_indicator.unit if data.map_indicator else "",
            "region": data.region.adcode,
        },
    }
    return render(
        request,
        "web/cockpit.html",
        {
            "c": data,
            "chart": chart,
            "boundaries_url": reverse("web:map_boundaries"),
        },
    )
