"""Weigh tickets find the manifest they weighed (by its number, or by a container code it
carries) and are linked to it, once, in the order the manifest's state machine allows.

A ticket is evidence about a manifest, not a signature: the pick-up weight is signed by the
driver with the generator's one-time code and the receipt weight by the receiver's clerk
(``manifests.services``), and no device may sign for a party. So a linked ticket sets
``WeighTicket.manifest`` and records its net weight as the manifest's bridge weight
(``manifest_weigh``: an unsigned ledger event beside the signatures), which the two-end
weighing and hazmat rules, the manifest page and its receipt form read.

The state machine decides what a ticket may be linked to:
- an *out* ticket (leaving the origin) needs the manifest picked up; one weighed before
  the driver signed waits (stays pending) for ``WAIT`` and is then refused;
- an *in* ticket (arriving at the destination) needs the load on its way or delivered;
- either must be weighed at the manifest's own end (generator site / receiving facility);
- drafts, cancelled manifests and unknown references are refused with the reason.
A ticket that cannot be linked is marked, never raised as an exception: one bad ticket must
not stop the batch. Only pending tickets are read, so running twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.iot.choices import Direction, LinkStatus
from wufei.iot.models import WeighTicket
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest, ManifestItem
from wufei.manifests.services import manifest_weigh
from wufei.registry.models import Site
from wufei.trace.codes import normalise

WAIT = timedelta(hours=48)
BATCH = 2000
ON_THE_ROAD = (State.PICKED_UP, State.IN_TRANSIT)
DELIVERED = (State.RECEIVED, State.COMPLETED, State.REJECTED)
NOT_YET = (State.DRAFT, State.SUBMITTED)


@dataclass(frozen=True)
class Decision:
    status: str
    note: str = ""
    manifest: Manifest | None = None


def _wait_or_refuse(t: WeighTicket, m: Manifest, now: datetime) -> Decision:
    if m.state == State.SUBMITTED and now - t.measured_at < WAIT:
        return Decision(LinkStatus.PENDING, _("等待联单起运后关联"))
    return Decision(
        LinkStatus.REFUSED,
        _("过磅时联单 %(number)s 状态为“%(state)s”，不能关联")
        % {"number": m.number, "state": m.get_state_display()},
    )


def decide(t: WeighTicket, m: Manifest | None, now: datetime) -> Decision:
    """What to do with one pending ticket, given the manifest it names (or ``None``)."""
    if not t.manifest_number and not t.container_code:
        return Decision(LinkStatus.NO_REFERENCE, _("过磅单未注明联单编号或容器编码"))
    if m is None:
        return Decision(
            LinkStatus.NOT_FOUND,
            _("找不到联单 %(ref)s") % {"ref": t.manifest_number or t.container_code},
        )
    if m.state == State.CANCELLED:
        return Decision(LinkStatus.REFUSED, _("联单 %(number)s 已撤销") % {"number": m.number})
    if t.direction == Direction.OUT:
        if m.generator_site_id and t.site_id != m.generator_site_id:
            return Decision(LinkStatus.REFUSED, _("出场过磅地点不是联单的移出地点"))
        if m.state in NOT_YET:
            return _wait_or_refuse(t, m, now)
    else:
        facility = m.receiver_facility
        if facility is not None and t.site_id != facility.site_id:
            return Decision(LinkStatus.REFUSED, _("进场过磅地点不是联单的接收设施"))
        if m.state in NOT_YET:
            return _wait_or_refuse(t, m, now)
    return Decision(LinkStatus.LINKED, _("已关联联单 %(number)s") % {"number": m.number}, m)


def _manifests_for(tickets: list[WeighTicket]) -> dict[int, Manifest]:
    """The manifest each ticket names, by number first, else by container (two queries)."""
    numbers = {t.manifest_number.strip().upper() for t in tickets if t.manifest_number}
    by_number = {
        m.number: m
        for m in Manifest.objects.filter(number__in=numbers).select_related("receiver_facility")
    }
    codes = {
        normalise(t.container_code) for t in tickets if t.container_code and not t.manifest_number
    }
    by_code: dict[str, Manifest] = {}
    items = (
        ManifestItem.objects.filter(container__code__in=codes)
        .exclude(manifest__state__in=(State.DRAFT, State.CANCELLED))
        .select_related("manifest__receiver_facility", "container")
        .order_by("manifest__created_at", "manifest_id")
    )
    for item in items:  # the latest manifest a container travelled on wins
        by_code[item.container.code] = item.manifest
    found = {}
    for t in tickets:
        if t.manifest_number:
            m = by_number.get(t.manifest_number.strip().upper())
        else:
            m = by_code.get(normalise(t.container_code))
        if m is not None:
            found[t.pk] = m
    return found


@dataclass
class LinkResult:
    counts: Counter[str] = field(default_factory=Counter)
    ticket_ids: set[int] = field(default_factory=set)  # linked in this run
    manifest_ids: set[int] = field(default_factory=set)


def _record_weights(tickets: list[WeighTicket]) -> None:
    """Each newly linked ticket's net weight on its manifest, by the weighing site's unit."""
    parties = dict(
        Site.objects.filter(pk__in={t.site_id for t in tickets}).values_list("pk", "party_id")
    )
    for t in sorted(tickets, key=lambda t: (t.measured_at, t.pk)):
        manifest_weigh(
            manifest=t.manifest_id,
            direction=t.direction,
            net_kg=t.net_kg,
            ticket=f"{t.device_id}/{t.message_id}",
            party_id=parties.get(t.site_id),
            weighed_at=t.measured_at,
        )


def link_pending(*, now: datetime | None = None) -> LinkResult:
    """Link every pending weigh ticket that can be linked (counts per outcome, and the
    tickets and manifests newly linked, which the weight rules then look at)."""
    now = now or timezone.now()
    result = LinkResult()
    after = 0
    while True:
        with transaction.atomic():
            tickets = list(
                WeighTicket.objects.select_for_update(skip_locked=True)
                .filter(link_status=LinkStatus.PENDING, pk__gt=after)
                .order_by("pk")[:BATCH]
            )
            if not tickets:
                break
            after = tickets[-1].pk
            manifests = _manifests_for(tickets)
            changed = []
            for t in tickets:
                d = decide(t, manifests.get(t.pk), now)
                result.counts[d.status] += 1
                if (d.status, d.note) == (t.link_status, t.link_note):
                    continue
                t.link_status, t.link_note, t.manifest = d.status, d.note[:200], d.manifest
                changed.append(t)
                if d.manifest is not None:
                    result.ticket_ids.add(t.pk)
                    result.manifest_ids.add(d.manifest.pk)
            WeighTicket.objects.bulk_update(changed, ["link_status", "link_note", "manifest"])
            _record_weights([t for t in changed if t.link_status == LinkStatus.LINKED])
    return result
