"""Reads of manifests, each scoped to what the actor may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import NotFound
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.services import signing_code
from wufei.registry.selectors import light_regions
from wufei.trace.models import LedgerEvent

LIST_RELATED = (
    "stream",
    "waste_code",
    "generator",
    "transporter",
    "receiver",
    "region",
    "receiver_region",
    "vehicle",
    "method",
)


def manifest_list(*, actor) -> QuerySet[Manifest]:
    manifests = Manifest.objects.select_related(*LIST_RELATED)
    return restrict(light_regions(manifests, "region", "receiver_region"), actor, Action.VIEW)


def manifest_get(*, actor, pk: int | None = None, number: str | None = None) -> Manifest:
    qs = manifest_list(actor=actor).select_related("generator_site", "receiver_facility", "driver")
    m = qs.filter(pk=pk).first() if pk is not None else qs.filter(number=number).first()
    if m is None:
        raise NotFound()
    return m


def manifest_items(m: Manifest) -> QuerySet[ManifestItem]:
    return m.items.select_related("container", "container__waste_code").order_by("pk")


def manifest_events(m: Manifest) -> QuerySet[LedgerEvent]:
    """The manifest's signed events, oldest first: who signed what, when, and the hashes."""
    return (
        LedgerEvent.objects.filter(chain=m.number).select_related("actor", "party").order_by("seq")
    )


def manifest_revisions(m: Manifest) -> QuerySet[ManifestRevision]:
    return m.revisions.select_related("proposed_by").order_by("version")


def signing_code_for(*, actor, m: Manifest) -> str | None:
    """The pick-up code, shown only to the generator's own users while it can be used."""
    if m.state != State.SUBMITTED or getattr(actor, "party_id", None) != m.generator_id:
        return None
    return signing_code(m)


def pending_for(*, actor) -> QuerySet[Manifest]:
    """What waits for the actor's party to sign: to submit, pick up, receive or complete."""
    party = getattr(actor, "party_id", None)
    if party is None:
        return Manifest.objects.none()
    return manifest_list(actor=actor).filter(
        Q(generator_id=party, state=State.DRAFT)
        | Q(transporter_id=party, state__in=(State.SUBMITTED, State.PICKED_UP))
        | Q(receiver_id=party, state__in=(State.IN_TRANSIT, State.RECEIVED))
    )


def counterparties(*, flow_key: str, signer: str) -> QuerySet:
    """Who may be named as transporter or receiver on a manifest of a flow: parties with a
    permit of the flow's kinds in force today (or, for flows without permits, the parties
    registered in that role). Licensed operators are public information, so an enterprise
    may choose among them although it cannot see their other records."""
    from django.utils import timezone

    from wufei.manifests.flows import FLOWS
    from wufei.registry.choices import PermitStatus
    from wufei.registry.models import Party

    flow = FLOWS.get(flow_key)
    if flow is None:
        return Party.objects.none()
    kinds = flow.transporter_permits if signer == "transporter" else flow.receiver_permits
    parties = Party.objects.filter(is_active=True)
    if kinds:
        today = timezone.localdate()
        parties = parties.filter(
            permits__kind__in=kinds,
            permits__status=PermitStatus.ACTIVE,
            permits__valid_from__lte=today,
            permits__valid_to__gte=today,
        )
    elif signer == "transporter":
        parties = parties.filter(Q(is_transporter=True) | Q(is_collector=True))
    else:
        parties = parties.filter(Q(is_receiver=True) | Q(is_collector=True))
    return parties.distinct().order_by("name")
