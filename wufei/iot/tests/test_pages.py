"""The IoT pages: each renders for an official, shows an enterprise only its own devices'
rows, and the quarantine and token actions work through the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wufei.accounts.models import ApiToken
from wufei.iot.contracts import topic_for
from wufei.iot.models import (
    Deposit,
    DeviceActivity,
    GpsFix,
    QuarantinedMessage,
    WeighTicket,
)
from wufei.manifests.tests.world import user
from wufei.registry.models import Device, Party
from wufei.registry.tests import factories

BASE = "/iot/"


@dataclass
class Side:
    party: Party
    gps: Device
    sensor: Device
    plate: str


def side(name: str, adcode: str, n: int) -> Side:
    region = factories.region(adcode)
    party = factories.PartyFactory(name=name, region=region, is_transporter=True)
    site = factories.SiteFactory(party=party, kind="community", name=f"{name}小区")
    gps = factories.DeviceFactory(party=party, kind="gps", serial=f"86100000000000{n}")
    plate = f"豫K9000{n}"
    vehicle = factories.VehicleFactory(party=party, plate=plate, kind="compactor", gps_device=gps)
    sensor = factories.DeviceFactory(party=party, kind="bin_sensor", serial=f"BS-{n}", site=site)
    bridge = factories.DeviceFactory(party=party, kind="weighbridge", serial=f"WB-{n}", site=site)
    smart = factories.DeviceFactory(party=party, kind="smart_bin", serial=f"SB-{n}", site=site)
    now = timezone.now()
    common = {"measured_at": now - timedelta(minutes=2), "received_at": now}
    GpsFix.objects.create(
        device=gps,
        message_id="g1",
        vehicle=vehicle,
        lat=34.0,
        lon=113.8 + n / 100,
        speed_kmh=30,
        **common,
    )
    WeighTicket.objects.create(
        device=bridge,
        message_id="w1",
        site=site,
        plate=plate,
        vehicle=vehicle,
        direction="in",
        gross_kg=Decimal("15000"),
        tare_kg=Decimal("9000"),
        net_kg=Decimal("6000"),
        **common,
    )
    Deposit.objects.create(
        device=smart,
        message_id="d1",
        site=site,
        bin_code="B1",
        household_code=f"H{n}0001",
        waste_class="kitchen",
        weight_kg=Decimal("1.20"),
        **common,
    )
    DeviceActivity.objects.create(
        device=gps,
        hour=now.replace(minute=0, second=0, microsecond=0),
        accepted=8,
        rejected=2,
        last_seen_at=now,
    )
    QuarantinedMessage.objects.create(
        digest=f"digest-{n}",
        channel="mqtt",
        topic=topic_for("fill", sensor.serial),
        payload=b'{"id":"x","bin":"<script>alert(1)</script>"',
        reason="bad_json",
        serial=sensor.serial,
        device=sensor,
    )
    return Side(party, gps, sensor, plate)


@pytest.fixture
def town(db):
    mine = side("甲环卫公司", "411002", 1)
    other = side("乙环卫公司", "411082", 2)
    official = user(role="city")
    clerk = user(role="enterprise", party=mine.party)
    return mine, other, official, clerk


PAGES = ("live/", "devices/", "quarantine/", "tickets/", "deposits/", "tokens/")


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_an_official_with_every_party(client, town, page):
    mine, other, official, _clerk = town
    client.force_login(official)
    response = client.get(BASE + page)
    assert response.status_code == 200
    if page not in ("live/", "tokens/"):
        body = response.content.decode()
        assert mine.party.name in body or mine.plate in body or mine.sensor.serial in body
        assert other.party.name in body or other.plate in body or other.sensor.serial in body


@pytest.mark.parametrize("page", ("devices/", "quarantine/", "tickets/", "deposits/"))
def test_an_enterprise_sees_only_its_own_rows(client, town, page):
    mine, other, _official, clerk = town
    client.force_login(clerk)
    body = client.get(BASE + page).content.decode()
    for marker in (other.party.name, other.plate, other.sensor.serial, other.gps.serial):
        assert marker not in body
    assert any(m in body for m in (mine.party.name, mine.plate, mine.sensor.serial))


def test_live_positions_are_scoped(client, town):
    mine, _other, official, clerk = town
    client.force_login(official)
    data = client.get(BASE + "live/positions.json").json()
    assert data["vehicles"] == 2
    client.force_login(clerk)
    data = client.get(BASE + "live/positions.json").json()
    assert [p["plate"] for layer in data["layers"] for p in layer["points"]] == [mine.plate]


def test_device_health_counts_from_activity_and_filters(client, town):
    mine, _other, official, _clerk = town
    client.force_login(official)
    body = client.get(BASE + "devices/", {"kind": "gps"}).content.decode()
    assert mine.gps.serial in body and mine.sensor.serial not in body
    assert "20.0%" in body  # 2 of 10 messages quarantined this hour
    never = client.get(BASE + "devices/", {"status": "never"}).content.decode()
    assert mine.sensor.serial in never and mine.gps.serial not in never


def test_the_payload_is_shown_escaped(client, town):
    mine, _other, official, _clerk = town
    client.force_login(official)
    item = QuarantinedMessage.objects.get(device=mine.sensor)
    body = client.get(f"{BASE}quarantine/{item.pk}/").content.decode()
    assert "&lt;script&gt;" in body and "<script>alert(1)" not in body


def test_discard_through_the_page(client, town):
    mine, _other, official, _clerk = town
    client.force_login(official)
    item = QuarantinedMessage.objects.get(device=mine.sensor)
    response = client.post(f"{BASE}quarantine/{item.pk}/discard/", {"note": "设备调试报文"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.note) == ("discarded", "设备调试报文")


def test_replay_through_the_page_stores_the_fixed_message(client, town):
    mine, _other, official, _clerk = town
    client.force_login(official)
    now = timezone.now()
    payload = f'{{"id":"late-1","ts":"{now.isoformat()}","bin":"B1","percent":88.5}}'.encode()
    item = QuarantinedMessage.objects.create(
        digest="digest-replay",
        channel="mqtt",
        topic=topic_for("fill", mine.sensor.serial),
        payload=payload,
        reason="device_inactive",
        serial=mine.sensor.serial,
        device=mine.sensor,
    )
    response = client.post(f"{BASE}quarantine/{item.pk}/replay/")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "replayed"
    from wufei.iot.models import FillLevel

    assert FillLevel.objects.filter(device=mine.sensor, message_id="late-1").count() == 1


def test_an_enterprise_cannot_act_on_another_partys_message(client, town):
    _mine, other, _official, clerk = town
    client.force_login(clerk)
    item = QuarantinedMessage.objects.get(device=other.sensor)
    assert client.post(f"{BASE}quarantine/{item.pk}/discard/", {"note": "x"}).status_code == 404
    item.refresh_from_db()
    assert item.status == "pending"


def test_a_token_is_shown_once_and_can_be_revoked(client, town):
    mine, _other, official, clerk = town
    client.force_login(official)  # an official sees the device but does not own it
    response = client.post(BASE + "tokens/", {"serial": mine.sensor.serial})
    assert "只有设备所属单位的账户" in response.content.decode()
    client.force_login(clerk)
    response = client.post(BASE + "tokens/", {"serial": mine.sensor.serial})
    assert response.status_code == 200
    token = ApiToken.objects.get(device=mine.sensor)
    secret = response.context["issued"]["secret"]
    assert secret.startswith(token.prefix) or token.prefix in secret
    assert secret in response.content.decode()
    assert secret not in client.get(BASE + "tokens/").content.decode()
    assert client.post(f"{BASE}tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_for_an_unknown_device_is_refused_on_the_form(client, town):
    _mine, other, _official, clerk = town
    client.force_login(clerk)
    response = client.post(BASE + "tokens/", {"serial": other.sensor.serial})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "没有这个设备" in response.content.decode()
