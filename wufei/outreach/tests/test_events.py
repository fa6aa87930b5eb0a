"""Organising events: who may (the city, a county in its county, a recycling company for its own
企业开放日), the rules of an event, publishing, cancelling and the door check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.models import ChangeLog
from wufei.outreach import selectors, services
from wufei.outreach.models import Booking, BookingStatus, Event, EventKind
from wufei.outreach.tests.conftest import Town, new_key

pytestmark = pytest.mark.django_db


def codes(exc: Invalid) -> dict[str | None, str]:
    return {e.field: e.code for e in exc.errors}


def book(event, people=1):
    return services.book(
        event=event, name="李四", phone="13812345678", people=people, client_key=new_key()
    )


def test_city_and_county_officials_organise_in_their_scope(town: Town):
    users = town.users
    city_event = town.event(users["city"], region=town.yuzhou, host=town.yuzhou_recycler)
    county_event = town.event(users["county"])
    assert city_event.region == town.yuzhou and county_event.region == town.weidu
    before = Event.objects.count()
    with pytest.raises(NotPermitted):  # 魏都区 may not organise in 禹州市
        town.event(users["county"], region=town.yuzhou, kind=EventKind.TRAINING, host=None)
    with pytest.raises(Invalid) as exc:  # nor name a company it does not see
        town.event(users["county"], host=town.yuzhou_recycler)
    assert codes(exc.value) == {"host": "host_invalid"}
    assert Event.objects.count() == before
    assert ChangeLog.objects.filter(object_repr="再生资源企业开放日", action="create").count() == 2


@pytest.mark.parametrize("role", ["department", "guide", "public"])
def test_other_roles_do_not_organise(town: Town, role):
    with pytest.raises(NotPermitted):
        town.event(town.users[role])
    assert not Event.objects.exists()


def test_a_recycling_company_hosts_its_own_open_day(town: Town):
    recycler = town.users["recycler"]
    event = town.event(recycler, host=None)  # the host is always the company itself
    assert event.host == town.recycler
    with pytest.raises(Invalid) as exc:
        town.event(recycler, host=town.yuzhou_recycler)
    assert codes(exc.value) == {"host": "host_not_own"}
    with pytest.raises(Invalid) as exc:
        town.event(recycler, kind=EventKind.CAMPAIGN)
    assert codes(exc.value) == {"kind": "kind_not_allowed"}


def test_an_open_day_is_hosted_by_a_recycler(town: Town):
    with pytest.raises(Invalid) as exc:
        town.event(town.users["factory"])
    assert codes(exc.value) == {"host": "host_not_recycler"}
    with pytest.raises(Invalid) as exc:
        town.event(host=town.factory)
    assert codes(exc.value) == {"host": "host_not_recycler"}
    with pytest.raises(Invalid) as exc:
        town.event(host=None)
    assert codes(exc.value) == {"host": "host_required"}
    lecture = town.event(kind=EventKind.TRAINING, host=None, title="垃圾分类讲座")
    assert lecture.host is None


def test_the_rules_of_an_event(town: Town):
    now = timezone.now()
    with pytest.raises(Invalid) as exc:
        town.event(
            now=now,
            title=" ",
            starts_at=now - timedelta(hours=1),
            ends_at=now - timedelta(hours=2),
            booking_closes_at=now,
            capacity=0,
        )
    assert codes(exc.value) == {
        "title": "required",
        "ends_at": "ends_before_start",
        "booking_closes_at": "closes_after_start",
        "capacity": "capacity_invalid",
        "starts_at": "in_past",
    }
    assert not Event.objects.exists()


def test_places_never_below_those_booked(town: Town):
    event = town.event(capacity=10)
    book(event, 6)
    data = {"capacity": 5}
    with pytest.raises(Invalid) as exc:
        services.event_update(actor=town.users["city"], obj=event, data=data)
    assert codes(exc.value) == {"capacity": "capacity_below_booked"}
    saved = services.event_update(actor=town.users["county"], obj=event, data={"capacity": 6})
    assert saved.capacity == 6 and saved.booked == 6
    with pytest.raises(NotFound):  # another county's official does not see it
        services.event_update(actor=town.users["county_yuzhou"], obj=event, data={"capacity": 8})


def test_publish_withdraw_and_cancel(town: Town):
    city = town.users["city"]
    event = town.event(publish=False)
    assert not services.booking_open(event)
    event = services.event_publish(actor=city, event=event)
    assert event.is_published
    first, second = book(event, 2), book(event, 3)
    with pytest.raises(services.InvalidTransition) as exc:
        services.event_unpublish(actor=city, event=event)
    assert exc.value.code == "has_bookings"
    services.event_cancel(actor=city, event=event)
    event.refresh_from_db()
    assert not event.is_published and event.booked == 0
    assert services.is_cancelled(event)
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
    assert {first.pk, second.pk} == set(Booking.objects.values_list("pk", flat=True))
    with pytest.raises(services.InvalidTransition) as exc:
        services.event_publish(actor=city, event=event)
    assert exc.value.code == "event_cancelled"
    listed = selectors.event_list(actor=city).get(pk=event.pk)
    assert listed.cancelled is True


def test_a_draft_may_be_withdrawn(town: Town):
    event = town.event()
    event = services.event_unpublish(actor=town.users["recycler"], event=event)
    assert not event.is_published and not services.is_cancelled(event)


def test_no_publishing_after_the_end(town: Town):
    event = town.event(publish=False)
    with pytest.raises(services.InvalidTransition) as exc:
        services.event_publish(
            actor=town.users["city"], event=event, now=event.ends_at + timedelta(minutes=1)
        )
    assert exc.value.code == "event_over"


def test_the_organiser_checks_in_at_the_door(town: Town):
    event = town.event(town.users["recycler"])
    booking = book(event, 2)
    on_the_day = event.starts_at
    with pytest.raises(services.InvalidTransition) as exc:
        services.mark_attended(
            actor=town.users["recycler"], booking=booking, now=on_the_day - timedelta(days=2)
        )
    assert exc.value.code == "too_early"
    marked = services.mark_attended(actor=town.users["recycler"], booking=booking, now=on_the_day)
    assert marked.status == BookingStatus.ATTENDED
    undone = services.mark_attended(
        actor=town.users["county"], booking=booking, attended=False, now=on_the_day
    )
    assert undone.status == BookingStatus.BOOKED
    with pytest.raises(NotFound):  # neither another company nor another county sees it
        services.mark_attended(actor=town.users["factory"], booking=booking, now=on_the_day)
    with pytest.raises(NotFound):
        services.mark_attended(actor=town.users["county_yuzhou"], booking=booking, now=on_the_day)
    with pytest.raises(NotPermitted):
        services.mark_attended(actor=town.users["department"], booking=booking, now=on_the_day)
    services.cancel(booking.code)
    with pytest.raises(services.InvalidTransition) as exc:
        services.mark_attended(actor=town.users["city"], booking=booking, now=on_the_day)
    assert exc.value.code == "booking_cancelled"


def test_who_sees_which_events(town: Town):
    users = town.users
    weidu = town.event(users["recycler"], title="魏都开放日")
    yuzhou = town.event(region=town.yuzhou, host=town.yuzhou_recycler, title="禹州开放日")
    draft = town.event(kind=EventKind.TRAINING, host=None, publish=False, title="草稿")

    def seen(actor) -> set[str]:
        return set(selectors.event_list(actor=actor).values_list("title", flat=True))

    assert seen(users["city"]) == {"魏都开放日", "禹州开放日", "草稿"}
    assert seen(users["county"]) == {"魏都开放日", "草稿"}
    assert seen(users["county_yuzhou"]) == {"禹州开放日"}
    assert seen(users["recycler"]) == {"魏都开放日"}
    assert seen(users["factory"]) == set()
    assert seen(None) == {"魏都开放日", "禹州开放日"}  # the public: published only
    public = {e.pk for e in selectors.public_events()}
    assert public == {weidu.pk, yuzhou.pk} and draft.pk not in public
