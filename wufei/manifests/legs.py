"""The manifests' share of traceability: every manifest a container travelled on is a leg.

Registered with ``wufei.trace.selectors`` in ``ManifestsConfig.ready()``, so the trace app
can show the journeys without importing this app.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from wufei.manifests.choices import State
from wufei.manifests.models import Manifest, ManifestItem
from wufei.registry.selectors import light_regions
from wufei.trace.selectors import Leg, county_name

RELATED = (
    "manifest__generator",
    "manifest__generator_site",
    "manifest__region__parent__parent",
    "manifest__receiver",
    "manifest__transporter",
    "manifest__receiver_facility__site",
    "manifest__receiver_region__parent__parent",
    "manifest__method",
)
REGIONS = ("manifest__region__parent__parent", "manifest__receiver_region__parent__parent")


def _point(site, region) -> tuple[float | None, float | None]:
    if site is not None and site.lon is not None:
        return float(site.lon), float(site.lat)
    if region is not None and region.center_lon is not None:
        return float(region.center_lon), float(region.center_lat)
    return None, None


def manifest_url(m: Manifest) -> str:
    return reverse("manifests:manifest_detail", args=[m.pk])


def manifest_legs(container_ids: Sequence[int]) -> list[Leg]:
    """One leg per (container, manifest) for the containers named; drafts and cancelled
    manifests moved nothing and are left out. One query."""
    items = light_regions(
        ManifestItem.objects.filter(container_id__in=container_ids)
        .exclude(manifest__state__in=(State.DRAFT, State.CANCELLED))
        .select_related(*RELATED)
        .order_by("manifest__created_at", "manifest_id"),
        *REGIONS,
    )
    legs = []
    for item in items:
        m = item.manifest
        facility = m.receiver_facility
        from_lon, from_lat = _point(m.generator_site, m.region)
        to_lon, to_lat = _point(facility.site if facility else None, m.receiver_region)
        method = m.method
        legs.append(
            Leg(
                container_id=item.container_id,
                kind="manifest",
                number=m.number,
                label=str(m.flow_def.name),
                from_party=m.generator.name,
                from_party_id=m.generator_id,
                to_party=m.receiver.name,
                to_party_id=m.receiver_id,
                via_party=m.transporter.name,
                via_party_id=m.transporter_id,
                from_region=county_name(m.region),
                to_region=county_name(m.receiver_region),
                from_lon=from_lon,
                from_lat=from_lat,
                to_lon=to_lon,
                to_lat=to_lat,
                state=m.state,
                state_label=m.get_state_display(),
                started_at=m.picked_up_at or m.submitted_at,
                ended_at=m.received_at,
                declared_kg=item.mass_kg,
                pickup_kg=m.pickup_kg,
                received_kg=m.received_kg,
                accepted_kg=m.accepted_kg,
                method_code=method.code if method else "",
                method_name=method.name if method else "",
                fate=method.fate if method else "",
                fate_label=method.get_fate_display() if method else "",
                url=manifest_url(m),
            )
        )
    return legs


def manifest_containers(actor, number: str) -> list[int] | None:
    """The containers a manifest carried, for a backward trace from a receipt; ``None``
    when ``number`` is no manifest's; NotFound when the actor may not see it."""
    from wufei.manifests.selectors import manifest_get

    number = number.strip().upper()
    if not Manifest.objects.filter(number=number).exists():
        return None
    m = manifest_get(actor=actor, number=number)
    return list(m.items.order_by("pk").values_list("container_id", flat=True))
