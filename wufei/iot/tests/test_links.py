"""Weigh tickets find their manifest, in the order its state machine allows, once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from wufei.iot.choices import Direction, LinkStatus
from wufei.iot.contracts import topic_for
from wufei.iot.intake import Incoming, Intake
from wufei.iot.links import link_pending
from wufei.iot.models import WeighTicket
from wufei.iot.tests.road import road
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.manifests.forms import ReceiveForm
from wufei.manifests.tests.world import run_to
from wufei.trace.ledger import verify
from wufei.trace.models import LedgerEvent

pytestmark = pytest.mark.django_db


def status(ticket) -> tuple[str, int | None]:
    ticket.refresh_from_db()
    return ticket.link_status, ticket.manifest_id


def test_tickets_at_both_ends_of_a_load_on_the_road_are_linked():
    r = road()
    out = r.ticket(Direction.OUT, "5000", minutes=-2, linked=False)
    inn = r.ticket(Direction.IN, "4990", minutes=60, linked=False, number=r.m.number.lower())
    result = link_pending()
    assert status(out) == status(inn) == (LinkStatus.LINKED, r.m.pk)
    assert result.manifest_ids == {r.m.pk}
    assert result.ticket_ids == {out.pk, inn.pk}
    r.m.refresh_from_db()
    assert (r.m.pickup_kg, r.m.received_kg) == (5000, None)  # a ticket never signs
    assert (r.m.bridge_out_kg, r.m.bridge_in_kg) == (5000, 4990)  # it records the bridge
    weighed = LedgerEvent.objects.filter(chain=r.m.number, kind="weigh").order_by("seq")
    assert [e.payload["direction"] for e in weighed] == ["out", "in"]
    assert all(e.actor_id is None for e in weighed)
    assert verify().ok
    form = ReceiveForm(actor=None, manifest=r.m)
    assert form.fields["received_kg"].initial == 4990  # the receipt form offers the bridge


def test_linking_twice_changes_nothing():
    r = road()
    r.ticket(Direction.OUT, "5000", linked=False)
    link_pending()
    link_pending()
    assert LedgerEvent.objects.filter(chain=r.m.number, kind="weigh").count() == 1


def test_a_container_code_finds_the_manifest_that_carries_it():
    r = road()
    code = r.m.items.first().container.code
    t = r.ticket(Direction.IN, "4990", linked=False, number="", container=code.lower())
    link_pending()
    assert status(t) == (LinkStatus.LINKED, r.m.pk)


def test_missing_and_unknown_references_are_marked_not_raised():
    r = road()
    bare = r.ticket(Direction.IN, "10", linked=False, number="")
    unknown = r.ticket(Direction.IN, "10", linked=False, number="HW000000000000")
    no_box = r.ticket(Direction.IN, "10", linked=False, number="", container="WF0000000000")
    counts = link_pending().counts
    assert status(bare) == (LinkStatus.NO_REFERENCE, None)
    assert status(unknown) == (LinkStatus.NOT_FOUND, None)
    assert status(no_box) == (LinkStatus.NOT_FOUND, None)
    assert counts == {LinkStatus.NO_REFERENCE: 1, LinkStatus.NOT_FOUND: 2}
    unknown.refresh_from_db()
    assert unknown.link_note == "找不到联单 HW000000000000"


def test_a_ticket_at_the_wrong_end_is_refused_with_the_reason():
    r = road()
    t = r.ticket(Direction.IN, "5000", linked=False)
    t.site = r.out_bridge.site  # weighed "in" at the generator
    t.save(update_fields=["site"])
    link_pending()
    t.refresh_from_db()
    assert (t.link_status, t.link_note) == (LinkStatus.REFUSED, "进场过磅地点不是联单的接收设施")


def test_an_out_ticket_before_the_pick_up_waits_then_links_or_expires():
    r = road(State.SUBMITTED)
    r.m.picked_up_at = timezone.now()  # the helper needs a time origin; the state is SUBMITTED
    early = r.ticket(Direction.OUT, "5000", linked=False)
    link_pending()
    early.refresh_from_db()
    assert (early.link_status, early.link_note) == (LinkStatus.PENDING, "等待联单起运后关联")
    stale = r.ticket(Direction.OUT, "5000", minutes=-3 * 24 * 60, linked=False)
    link_pending()
    assert status(stale)[0] == LinkStatus.REFUSED
    run_to(r.w, State.PICKED_UP, manifest=r.m, pickup_kg="5000")
    link_pending()
    assert status(early) == (LinkStatus.LINKED, r.m.pk)


def test_a_cancelled_manifest_refuses_its_tickets():
    r = road(State.SUBMITTED)
    r.m.picked_up_at = timezone.now()
    services.manifest_cancel(actor=r.w.clerk, manifest=r.m, reason="客户取消")
    t = r.ticket(Direction.OUT, "5000", linked=False)
    link_pending()
    t.refresh_from_db()
    assert t.link_status == LinkStatus.REFUSED
    assert "已撤销" in t.link_note


def test_linking_twice_changes_nothing_on_the_ticket():
    r = road()
    t = r.ticket(Direction.OUT, "5000", linked=False)
    link_pending()
    t.refresh_from_db()
    first = (t.link_status, t.link_note, t.manifest_id)
    again = link_pending()
    t.refresh_from_db()
    assert (t.link_status, t.link_note, t.manifest_id) == first
    assert again.ticket_ids == set() and dict(again.counts) == {}


def test_a_ticket_through_the_intake_links_to_its_manifest():
    r = road()
    at = timezone.now()
    body = {
        "id": "t-1",
        "ts": (at - timedelta(minutes=1)).isoformat(),
        "plate": r.w.vehicle.plate,
        "gross_kg": 14000,
        "tare_kg": 9000,
        "net_kg": 5000,
        "direction": "in",
        "manifest": r.m.number,
    }
    result = Intake(now=lambda: at).store(
        [Incoming(topic_for("weigh", r.in_bridge.serial), json.dumps(body).encode(), at)]
    )
    assert result.accepted == 1, result.outcomes
    link_pending()
    t = WeighTicket.objects.get(message_id="t-1")
    assert (t.link_status, t.manifest_id, t.vehicle_id) == (
        LinkStatus.LINKED,
        r.m.pk,
        r.w.vehicle.pk,
    )
