"""Each stream rule: a crafted series that must fire it, one that must not, and clearing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert
from wufei.iot.choices import Direction
from wufei.iot.models import DeviceActivity, FillLevel
from wufei.iot.rules.bins import check_bins
from wufei.iot.rules.corridor import check_corridor
from wufei.iot.rules.hazmat import check_hazmat
from wufei.iot.rules.silence import check_silence
from wufei.iot.rules.stops import check_stops, stops_in
from wufei.iot.rules.trips import Fix, trips_for
from wufei.iot.rules.weights import check_ticket_weights
from wufei.iot.tests.road import road
from wufei.iot.thresholds import Thresholds
from wufei.manifests.choices import State
from wufei.registry.models import Permit, Vehicle
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db
LIMITS = Thresholds({})


def alerts(rule: str):
    return Alert.objects.filter(rule=rule)


@pytest.fixture
def r():
    return road()


def trips(r):
    return trips_for([r.w.vehicle.pk])


# --- corridor ---------------------------------------------------------------------------


def test_two_fixes_out_of_the_corridor_raise_a_route_deviation(r):
    r.fix(5, r.along(0.2))
    r.fix(10, r.along(0.4, aside_km=6))
    r.fix(15, r.along(0.5, aside_km=7))
    r.fix(20, r.along(0.7))
    check_corridor(trips(r), LIMITS)
    alert = alerts(Rule.ROUTE_DEVIATION).get()
    assert (alert.subject_type, alert.subject_id) == ("manifest", str(r.m.pk))
    assert alert.party_id == r.w.transporter.pk
    assert 5.5 < alert.details["off_km"] < 6.5
    assert alert.opened_at == r.t0 + timedelta(minutes=10)


def test_one_glitch_and_a_wide_but_inside_track_do_not(r):
    r.fix(5, r.along(0.2, aside_km=2.5))  # inside the 3 km band
    r.fix(10, r.along(0.4, aside_km=40))  # one wild fix
    r.fix(15, r.along(0.5, aside_km=-2.8))
    r.fix(20, r.along(1.05))  # just past the facility, still within the band around it
    assert check_corridor(trips(r), LIMITS).fired == 0
    assert not alerts(Rule.ROUTE_DEVIATION).exists()


def test_fixes_before_pick_up_or_of_a_delivered_load_are_not_judged(r):
    r.fix(-30, r.along(0.5, aside_km=9))
    r.fix(-25, r.along(0.5, aside_km=9))
    assert check_corridor(trips(r), LIMITS).fired == 0
    r.fix(5, r.along(0.5, aside_km=9))
    r.fix(6, r.along(0.5, aside_km=9))
    r.m.state = State.RECEIVED
    r.m.save(update_fields=["state"])  # test set-up: the load is no longer on the road
    assert trips(r) == []


def test_a_narrower_corridor_set_by_an_official_fires_where_the_default_does_not(r):
    r.fix(5, r.along(0.3, aside_km=1.5))
    r.fix(6, r.along(0.3, aside_km=1.6))
    assert check_corridor(trips(r), LIMITS).fired == 0
    assert check_corridor(trips(r), Thresholds({"corridor_km": Decimal("1")})).fired == 1


# --- stops ------------------------------------------------------------------------------


def test_a_long_stop_away_from_any_site_is_suspected_dumping_with_its_place(r):
    r.fix(5, r.along(0.3))
    spot = r.along(0.5, aside_km=1)
    for minute in range(10, 41, 5):  # 30 minutes, drifting a few metres
        r.fix(minute, (spot[0] + minute * 1e-6, spot[1]), speed=0.5)
    r.fix(45, r.along(0.7))
    check_stops(trips(r), LIMITS)
    alert = alerts(Rule.SUSPECTED_DUMPING).get()
    assert alert.severity == Severity.CRITICAL
    assert alert.details["lat"] == pytest.approx(spot[0] + 10e-6, abs=1e-6)
    assert alert.details["lon"] == pytest.approx(spot[1], abs=1e-6)
    assert alert.details["minutes"] == 30
    check_stops(trips(r), LIMITS)  # the same stop again: the same alert
    assert alerts(Rule.SUSPECTED_DUMPING).count() == 1


def test_short_stops_and_stops_at_a_known_site_are_not(r):
    spot = r.along(0.5, aside_km=1)
    for minute in (10, 15, 20):  # 10 minutes only
        r.fix(minute, spot, speed=0)
    parking = factories.SiteFactory(
        party=r.w.transporter, region=r.w.generator_site.region, kind="collection_point"
    )
    near = r.along(0.6, aside_km=-1)
    parking.lat, parking.lon = Decimal(f"{near[0]:.6f}"), Decimal(f"{near[1] + 0.002:.6f}")
    parking.save()  # ~180 m from where the truck waits an hour
    for minute in range(30, 91, 10):
        r.fix(minute, near, speed=0)
    assert check_stops(trips(r), LIMITS).fired == 0


def test_slow_fixes_count_as_stopped_but_crawling_far_or_moving_ends_the_stop():
    t = timezone.now()

    def at(minutes, lat, speed):
        return Fix(t + timedelta(minutes=minutes), lat, 113.8, speed)

    fixes = [
        at(0, 34.0, 30),  # arriving: not part of the stop
        at(1, 34.003, 0),
        at(6, 34.0038, 1.0),  # ~90 m away but reporting 1 km/h: still stopped
        at(10, 34.0100, 2.0),  # slow, but 780 m on: a jam, the stop ended
        at(20, 34.0102, 0),
        at(21, 34.0200, 40),
    ]
    first, second = stops_in(fixes, 3.0)
    assert (first.first, first.last, first.minutes) == (fixes[1], fixes[2], 5)
    assert (second.first, second.last) == (fixes[3], fixes[4])


# --- two-end weighing -------------------------------------------------------------------


def test_tickets_that_disagree_raise_and_a_reweighing_clears(r):
    r.ticket(Direction.OUT, "5000", minutes=-5)
    r.ticket(Direction.IN, "4600", minutes=60)
    check_ticket_weights([r.m.pk], LIMITS)
    alert = alerts(Rule.TICKET_WEIGHT_GAP).get()
    assert alert.details["gap_kg"] == "400.0"
    assert alert.severity == Severity.WARNING
    r.ticket(Direction.IN, "4950", minutes=75)
    assert check_ticket_weights([r.m.pk], LIMITS).cleared == 1
    assert alerts(Rule.TICKET_WEIGHT_GAP).get().status == AlertStatus.RESOLVED


def test_tickets_within_the_percentage_or_the_floor_do_not(r):
    r.ticket(Direction.OUT, "5000", minutes=-5)
    r.ticket(Direction.IN, "4800", minutes=60)  # 4 % < 5 %
    assert check_ticket_weights([r.m.pk], LIMITS).fired == 0
    small = road()
    small.ticket(Direction.OUT, "400", minutes=-5)
    small.ticket(Direction.IN, "360", minutes=60)  # 10 %, but 40 kg < 50 kg floor
    assert check_ticket_weights([small.m.pk], LIMITS).fired == 0
    assert not alerts(Rule.TICKET_WEIGHT_GAP).exists()


def test_one_ticket_alone_says_nothing(r):
    r.ticket(Direction.IN, "100", minutes=60)
    assert check_ticket_weights([r.m.pk], LIMITS).fired == 0


# --- hazardous loads --------------------------------------------------------------------


def test_a_hazardous_load_on_a_certified_licensed_vehicle_is_fine(r):
    assert check_hazmat([], timezone.now()).fired == 0


def test_an_uncertified_vehicle_on_the_road_fires(r):
    Vehicle.objects.filter(pk=r.w.vehicle.pk).update(is_hazmat_certified=False)
    check_hazmat([], timezone.now())
    alert = alerts(Rule.UNLICENSED_HAZMAT).get()
    assert "无危险货物运输资质" in alert.message
    assert alert.details["seen_by"] == "manifest"


def test_a_lapsed_transport_permit_fires(r):
    Permit.objects.filter(pk=r.w.transporter_permit.pk).update(
        valid_to=timezone.localdate() - timedelta(days=1)
    )
    check_hazmat([], timezone.now())
    assert "无有效的运输许可" in alerts(Rule.UNLICENSED_HAZMAT).get().message


def test_a_weigh_ticket_of_a_swapped_uncertified_truck_fires(r):
    other = factories.VehicleFactory(party=r.w.transporter, is_hazmat_certified=False)
    t = r.ticket(Direction.IN, "5000", minutes=50, plate=other.plate)
    t.vehicle = other
    t.save(update_fields=["vehicle"])
    r.m.state = State.RECEIVED  # test set-up: only the ticket sees the load now
    r.m.save(update_fields=["state"])
    assert check_hazmat([], timezone.now()).fired == 0
    check_hazmat([t.pk], timezone.now())
    alert = alerts(Rule.UNLICENSED_HAZMAT).get()
    assert alert.details == {
        "number": r.m.number,
        "plate": other.plate,
        "seen_by": "ticket",
        "at": t.measured_at.isoformat(),
    }


# --- bins -------------------------------------------------------------------------------


@pytest.fixture
def bin_site():
    return factories.SiteFactory(kind="community")


def reading(site, percent: float, minutes: int, *, code: str = "B1"):
    sensor = factories.DeviceFactory(party=site.party, kind="bin_sensor", site=site)
    at = timezone.now() - timedelta(hours=5) + timedelta(minutes=minutes)
    return FillLevel.objects.create(
        device=sensor,
        message_id=f"f{minutes}-{code}",
        measured_at=at,
        received_at=timezone.now(),
        site=site,
        bin_code=code,
        percent=percent,
    )


def check(site, code="B1"):
    return check_bins([(site.pk, code)], LIMITS, timezone.now())


def test_full_warns_overflowing_is_critical_and_emptying_clears(bin_site):
    reading(bin_site, 85, 0)
    reading(bin_site, 97, 0, code="B2")
    check(bin_site)
    check(bin_site, "B2")
    by_bin = {a.subject_id: a.severity for a in alerts(Rule.BIN_FULL)}
    assert by_bin == {f"{bin_site.pk}:B1": Severity.WARNING, f"{bin_site.pk}:B2": Severity.CRITICAL}
    reading(bin_site, 12, 30)
    assert check(bin_site).cleared == 1


def test_half_full_bins_and_the_band_between_emptied_and_full_change_nothing(bin_site):
    reading(bin_site, 60, 0)
    assert check(bin_site).fired == 0
    reading(bin_site, 90, 10)
    check(bin_site)
    reading(bin_site, 50, 20)  # not emptied: the alert stays open
    assert check(bin_site).cleared == 0
    assert alerts(Rule.BIN_FULL).get().status == AlertStatus.OPEN


def test_a_late_old_reading_neither_reopens_nor_clears(bin_site):
    reading(bin_site, 90, 0)
    check(bin_site)
    reading(bin_site, 5, 20)
    check(bin_site)
    reading(bin_site, 99, 10)  # arrives late, measured before the emptying
    assert check(bin_site).fired == 0
    assert alerts(Rule.BIN_FULL).get().status == AlertStatus.RESOLVED
    reading(bin_site, 88, 40)
    check(bin_site)
    reading(bin_site, 3, 30)  # late again, measured before the new filling
    assert check(bin_site).cleared == 0
    assert alerts(Rule.BIN_FULL).filter(status=AlertStatus.OPEN).count() == 1


# --- silence ----------------------------------------------------------------------------


def heard(device, minutes_ago: float):
    now = timezone.now()
    seen = now - timedelta(minutes=minutes_ago)
    DeviceActivity.objects.update_or_create(
        device=device,
        hour=seen.replace(minute=0, second=0, microsecond=0),
        defaults={"accepted": 1, "last_seen_at": seen},
    )


def test_a_device_silent_past_its_kind_limit_fires_and_speaking_clears():
    gps = factories.DeviceFactory(kind="gps")
    bridge = factories.DeviceFactory(kind="weighbridge", site=factories.SiteFactory())
    factories.DeviceFactory(kind="gps")  # never spoke: no alert
    heard(gps, 120)  # limit 30 min
    heard(bridge, 120)  # limit 24 h
    check_silence(LIMITS, timezone.now())
    alert = alerts(Rule.DEVICE_SILENT).get()
    assert (alert.subject_id, alert.subject_label) == (str(gps.pk), gps.serial)
    assert check_silence(LIMITS, timezone.now()).fired == 0  # already open
    heard(gps, 1)
    assert check_silence(LIMITS, timezone.now()).cleared == 1
    assert alerts(Rule.DEVICE_SILENT).get().status == AlertStatus.RESOLVED


def test_an_inactive_device_does_not_go_silent():
    gps = factories.DeviceFactory(kind="gps", is_active=False)
    heard(gps, 600)
    assert check_silence(LIMITS, timezone.now()).fired == 0
