"""The intake: every message becomes a reading, a duplicate, or a quarantined row with its
reason — on SQLite through plain inserts, on PostgreSQL through COPY."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from wufei.iot.contracts import topic_for
from wufei.iot.intake import Incoming, Intake
from wufei.iot.models import (
    Deposit,
    DeviceActivity,
    FillLevel,
    GpsFix,
    QuarantinedMessage,
    WeighTicket,
)
from wufei.iot.tests.devices import NOW, fleet, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices():
    return fleet()


def test_each_kind_is_stored_with_its_links(devices):
    result = Intake().store(
        [
            message("gps", devices.gps.serial, "g1"),
            message("weigh", devices.weighbridge.serial, "w1", manifest="HW2026000001"),
            message("fill", devices.sensor.serial, "f1"),
            message("deposit", devices.smart_bin.serial, "d1"),
        ]
    )
    assert (result.accepted, result.duplicates, result.quarantined) == (4, 0, 0)
    fix = GpsFix.objects.get()
    assert fix.vehicle == devices.vehicle and fix.measured_at == NOW and fix.speed_kmh == 32.5
    ticket = WeighTicket.objects.get()
    assert ticket.vehicle == devices.vehicle and ticket.site == devices.site
    assert ticket.net_kg == Decimal("5400.0") and ticket.manifest_number == "HW2026000001"
    assert ticket.link_status == "pending"
    assert FillLevel.objects.get().site == devices.site
    deposit = Deposit.objects.get()
    assert deposit.waste_class == "kitchen" and deposit.weight_kg == Decimal("1.40")


def test_a_resent_message_is_stored_once(devices):
    first = Intake().store([message("gps", devices.gps.serial, "g1")])
    again = Intake().store(
        [message("gps", devices.gps.serial, "g1"), message("gps", devices.gps.serial, "g1")]
    )
    assert first.accepted == 1
    assert (again.accepted, again.duplicates) == (0, 2)
    assert GpsFix.objects.count() == 1
    activity = DeviceActivity.objects.get(device=devices.gps)
    assert (activity.accepted, activity.duplicates) == (1, 2)


def test_duplicates_inside_one_batch(devices):
    result = Intake().store([message("fill", devices.sensor.serial, "x")] * 3)
    assert (result.accepted, result.duplicates) == (1, 2)
    assert [o.status for o in result.outcomes] == ["accepted", "duplicate", "duplicate"]


CASES = [
    ("bad_topic", lambda d: Incoming("wufei/v9/gps/x", b"{}", NOW), "topic"),
    ("bad_json", lambda d: Incoming(topic_for("gps", d.gps.serial), b"{not json", NOW), ""),
    ("unknown_device", lambda d: message("gps", "NOSUCH", "1"), "serial"),
    ("wrong_device_kind", lambda d: message("gps", d.sensor.serial, "1"), "serial"),
    ("schema", lambda d: message("gps", d.gps.serial, "1", lat=123.0), "lat"),
    ("schema", lambda d: message("deposit", d.smart_bin.serial, "1", **{"class": "gold"}), "class"),
    (
        "future_timestamp",
        lambda d: message("gps", d.gps.serial, "1", received=NOW - timedelta(hours=3)),
        "ts",
    ),
    (
        "too_old",
        lambda d: message("gps", d.gps.serial, "1", received=NOW + timedelta(days=120)),
        "ts",
    ),
    ("out_of_range", lambda d: message("gps", d.gps.serial, "1", lat=0.0, lon=0.0), "lat"),
    (
        "out_of_range",
        lambda d: message("deposit", d.smart_bin.serial, "1", weight_kg=80),
        "weight_kg",
    ),
    (
        "weights_inconsistent",
        lambda d: message("weigh", d.weighbridge.serial, "1", net_kg=900),
        "net_kg",
    ),
    ("schema", lambda d: message("weigh", d.weighbridge.serial, "1", plate="ABCDEFG"), "plate"),
]


@pytest.mark.parametrize(("reason", "build", "field"), CASES)
def test_refused_messages_are_quarantined_with_their_reason(devices, reason, build, field):
    incoming = build(devices)
    result = Intake().store([incoming, message("fill", devices.sensor.serial, "ok")])
    assert (result.accepted, result.quarantined) == (1, 1)
    held = QuarantinedMessage.objects.get()
    assert (held.reason, held.field) == (reason, field)
    assert bytes(held.payload) == incoming.payload and held.topic == incoming.topic
    assert result.outcomes[0].reason == reason


def test_a_quarantined_message_redelivered_is_kept_once(devices):
    bad = message("gps", "NOSUCH", "1")
    Intake().store([bad])
    Intake().store([bad, bad])
    assert QuarantinedMessage.objects.count() == 1


def test_inactive_device_and_token_mismatch(devices):
    devices.sensor.is_active = False
    devices.sensor.save(update_fields=["is_active"])
    foreign = message("gps", devices.gps.serial, "t")
    foreign = Incoming(
        foreign.topic, foreign.payload, foreign.received_at, "http", devices.sensor.pk
    )
    result = Intake().store([message("fill", devices.sensor.serial, "1"), foreign])
    assert [o.reason for o in result.outcomes] == ["device_inactive", "not_permitted"]
    activity = DeviceActivity.objects.get(device=devices.sensor)
    assert activity.rejected == 1


def test_a_device_registered_after_start_is_heard(devices, monkeypatch):
    from wufei.iot import intake as module
    from wufei.registry.tests import factories

    intake = Intake()
    intake.store([message("fill", devices.sensor.serial, "1")])
    factories.DeviceFactory(
        party=devices.site.party, kind="bin_sensor", serial="BSNEW", site=devices.site
    )
    monkeypatch.setattr(module, "DIRECTORY_TTL_S", 0.0)
    result = intake.store([message("fill", "BSNEW", "1")])
    assert result.accepted == 1


def test_late_messages_keep_their_own_time(devices):
    late = message("gps", devices.gps.serial, "late", at=NOW - timedelta(days=3), received=NOW)
    Intake().store([message("gps", devices.gps.serial, "now"), late])
    assert list(GpsFix.objects.order_by("measured_at").values_list("message_id", flat=True)) == [
        "late",
        "now",
    ]
