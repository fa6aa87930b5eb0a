"""The device simulator: rounds and readings as functions of time, messages that pass the
contracts and the intake, faults at the asked share, determinism, and one real broker run."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.client import CallbackAPIVersion

from conftest import require
from wufei.iot import simulator as sim
from wufei.iot.contracts import DECODERS, parse_topic
from wufei.iot.intake import Incoming, Intake
from wufei.registry.models import TreatmentMethod, WasteStream
from wufei.registry.tests import factories

NOW = datetime.fromisoformat("2026-06-03T10:00:00+08:00")  # a Wednesday
BROKER = ("127.0.0.1", 1883)


@dataclass
class Town:
    truck_plate: str
    gps_serial: str
    bridge_serial: str
    community_ids: list[int]
    factory_id: int


def town() -> Town:
    """A sanitation company in 魏都区 with a compactor, two pilot compounds with a bin sensor
    and a smart bin each, a factory (not on a compactor's round) and an incinerator with a
    weighbridge."""
    weidu = factories.region("411002")
    sanitation = factories.PartyFactory(name="魏都环卫", region=weidu, is_transporter=True)
    factories.SiteFactory(
        party=sanitation, kind="depot", lon=Decimal("113.80"), lat=Decimal("34.02")
    )
    gps = factories.DeviceFactory(party=sanitation, kind="gps", serial="861000000000001")
    factories.VehicleFactory(party=sanitation, plate="豫K10001", kind="compactor", gps_device=gps)
    community = factories.PartyFactory(name="幸福社区", region=weidu, is_community=True)
    compounds = [
        factories.SiteFactory(party=community, kind="community", lon=lon, lat=Decimal("34.03"))
        for lon in (Decimal("113.83"), Decimal("113.85"))
    ]
    for n, compound in enumerate(compounds):
        factories.DeviceFactory(party=community, kind="bin_sensor", serial=f"BS0{n}", site=compound)
        factories.DeviceFactory(party=community, kind="smart_bin", serial=f"SB0{n}", site=compound)
    factory_site = factories.SiteFactory(kind="factory", region=weidu)
    plant = factories.FacilityFactory(
        site=factories.SiteFactory(
            kind="treatment", region=weidu, lon=Decimal("113.90"), lat=Decimal("34.06")
        ),
        kind="incineration",
    )
    factories.CapacityFactory(
        facility=plant,
        stream=WasteStream.objects.get(code="household"),
        method=TreatmentMethod.objects.filter(code="G-INC").first()
        or TreatmentMethod.objects.first(),
    )
    bridge = factories.DeviceFactory(
        party=plant.site.party, kind="weighbridge", serial="WB0001", site=plant.site
    )
    return Town("豫K10001", gps.serial, bridge.serial, [c.pk for c in compounds], factory_site.pk)


def run(simulator: sim.Simulator, n: int, *, start=NOW, step_s: float = 0.5) -> list[sim.Outgoing]:
    return [simulator.next_message(start + timedelta(seconds=i * step_s)) for i in range(n)]


@pytest.fixture
def world(db) -> sim.World:
    town()
    return sim.load_world(seed=7)


# --- the world and its rounds -------------------------------------------------------------------


def test_world_has_every_device_and_a_round_to_an_accepting_facility(world):
    assert world.counts() == {"gps": 1, "weigh": 1, "fill": 2, "deposit": 2}
    truck = world.trucks[0]
    stops = {seg.start for seg in truck.segments if seg.start == seg.end}
    assert (113.9, 34.06) in stops  # the incinerator
    assert stops <= {(113.8, 34.02), (113.83, 34.03), (113.85, 34.03), (113.9, 34.06)}
    assert [(w.bridge, w.direction) for w in truck.weighings] == [
        ("WB0001", "in"),
        ("WB0001", "out"),
    ]
    assert truck.manifest is None


def test_a_truck_stops_at_its_sites_and_drives_between_them(world):
    truck = world.trucks[0]
    epoch = truck.offset  # position() adds the offset: pick absolute times from round times
    for seg in truck.segments:
        middle = datetime.fromtimestamp(
            (seg.t0 + seg.t1) / 2 - epoch + truck.period * 1000, sim.LOCAL
        )
        fix = sim.position(truck, middle)
        if seg.start == seg.end:
            assert (fix.lon, fix.lat, fix.speed_kmh) == (*seg.start, 0.0)
        else:
            assert fix.speed_kmh > 0
            assert min(seg.start[0], seg.end[0]) <= fix.lon <= max(seg.start[0], seg.end[0])
            assert (fix.lon, fix.lat) not in (seg.start, seg.end)


def test_fill_rises_during_the_day_and_drops_after_collection():
    bin_ = sim.Bin("BS-X", "B1", rate=5.0, temperature=15.0)
    day = datetime.fromisoformat("2026-06-03T00:00:00+08:00")
    drops = rises = 0
    for d in range(30):
        at = day + timedelta(days=d)
        morning = sim.fill_percent(bin_, at.replace(hour=8), seed=1)
        evening = sim.fill_percent(bin_, at.replace(hour=18, minute=30), seed=1)
        after = sim.fill_percent(bin_, at.replace(hour=19, minute=30), seed=1)
        rises += evening > morning
        drops += after < evening
    assert rises == 30
    assert 20 <= drops < 30  # most collections happen, some are missed
    weekend = sim.fill_percent(bin_, datetime.fromisoformat("2026-06-06T18:00:00+08:00"), 3)
    weekday = sim.fill_percent(bin_, datetime.fromisoformat("2026-06-03T18:00:00+08:00"), 3)
    assert weekend > weekday or weekend > 100  # faster at weekends (unless a missed pickup)


# --- the messages ---------------------------------------------------------------------------------


def test_clean_messages_match_the_contracts(world):
    messages = run(sim.Simulator(world, seed=1), 600)
    kinds = Counter()
    for message in messages:
        kind, serial = parse_topic(message.topic)
        body = DECODERS[kind].decode(message.payload)
        kinds[kind] += 1
        if kind == "deposit":
            assert body.household.startswith("H")
            assert body.bin.startswith(serial)
    assert set(kinds) == {"gps", "fill", "deposit"}
    assert 0.5 < kinds["gps"] / len(messages) < 0.7
    assert len({(m.topic, DECODERS[m.kind].decode(m.payload).id) for m in messages}) == 600


def test_weighbridge_prints_tickets_when_the_truck_arrives_and_leaves(world):
    truck = world.trucks[0]
    simulator = sim.Simulator(world, seed=1)
    step = 20.0
    messages = run(simulator, int(2.2 * truck.period / step), step_s=step)
    tickets = [DECODERS["weigh"].decode(m.payload) for m in messages if m.kind == "weigh"]
    assert [t.direction for t in tickets][:4] in (
        ["in", "out", "in", "out"],
        ["out", "in", "out", "in"],
    )
    for ticket in tickets:
        assert ticket.plate == "豫K10001"
        assert ticket.gross_kg >= ticket.tare_kg
        assert abs(ticket.net_kg - (ticket.gross_kg - ticket.tare_kg)) < 1
        assert ticket.ts <= NOW + timedelta(seconds=step * len(messages))


def test_every_clean_message_is_accepted_by_the_intake(world):
    messages = run(sim.Simulator(world, seed=2), 300)
    received = NOW + timedelta(seconds=200)
    result = Intake(now=lambda: received).store(
        [Incoming(m.topic, m.payload, received) for m in messages]
    )
    assert (result.accepted, result.duplicates, result.quarantined) == (300, 0, 0)


def test_faults_come_at_the_share_and_land_where_they_should(world):
    simulator = sim.Simulator(world, seed=3, faults=0.2)
    messages = run(simulator, 2000)
    faults = Counter(m.fault for m in messages if m.fault)
    assert 0.17 < sum(faults.values()) / 2000 < 0.23
    assert set(faults) == set(sim.FAULTS)
    assert min(faults.values()) > 60
    assert simulator.tally.faults == faults
    received = NOW + timedelta(seconds=1100)
    result = Intake(now=lambda: received).store(
        [Incoming(m.topic, m.payload, received) for m in messages]
    )
    expected = {
        "bad_json": "bad_json",
        "unknown_device": "unknown_device",
        "clock_skew": "future_timestamp",
    }
    for message, outcome in zip(messages, result.outcomes, strict=True):
        if message.fault in expected:
            assert (outcome.status, outcome.reason) == ("quarantined", expected[message.fault])
        elif message.fault == "duplicate":
            assert outcome.status == "duplicate"
        else:
            assert outcome.status == "accepted"
    assert result.duplicates == faults["duplicate"]


def test_same_seed_same_stream_other_seed_other_stream(world):
    first = run(sim.Simulator(world, seed=5, faults=0.1), 300)
    again = run(sim.Simulator(world, seed=5, faults=0.1), 300)
    other = run(sim.Simulator(world, seed=6, faults=0.1), 300)
    assert [(m.topic, m.payload) for m in first] == [(m.topic, m.payload) for m in again]
    assert [m.payload for m in first] != [m.payload for m in other]


def test_an_open_manifest_puts_its_number_on_the_first_tickets(world):
    truck = world.trucks[0]
    trip = sim.build_truck(
        rng=sim.seeded(1),
        serial=truck.serial,
        plate=truck.plate,
        vehicle_kind="compactor",
        depot=(113.8, 34.02),
        stops=[(113.83, 34.03)],
        facility=(113.9, 34.06),
        round_=sim.ROUNDS["compactor"],
        load_kg=8000,
        origin_bridge="WB-ORIGIN",
        facility_bridge="WB0001",
        manifest="HW20260601ABC",
        manifest_kg=5230.5,
    )
    simulator = sim.Simulator(sim.World(trucks=(trip,)), seed=1)
    messages = run(simulator, int(2.2 * trip.period / 20), step_s=20)
    tickets = [
        (m.topic, DECODERS["weigh"].decode(m.payload)) for m in messages if m.kind == "weigh"
    ]
    numbered = [(topic, t) for topic, t in tickets if t.manifest == "HW20260601ABC"]
    assert sorted(t.direction for _, t in numbered) == ["in", "out", "out"]
    assert len(tickets) > len(numbered)  # later rounds carry no number
    origin = [t for topic, t in numbered if topic.endswith("/WB-ORIGIN")]
    assert [(t.direction, t.net_kg) for t in origin] == [("out", 5230.5)]


# --- the broker ---------------------------------------------------------------------------


class Recording(sim.Simulator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent: list[sim.Outgoing] = []

    def next_message(self, now):
        message = super().next_message(now)
        self.sent.append(message)
        return message


def test_publishes_to_the_real_broker(world):
    require(
        sim.broker_reachable(*BROKER),
        "Mosquitto at 127.0.0.1:1883",
        "apt-get install mosquitto && mosquitto -d",
    )
    received: Counter[tuple[str, bytes]] = Counter()
    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    listener.on_subscribe = lambda *args: subscribed.set()
    listener.on_message = lambda client, userdata, msg: received.update([(msg.topic, msg.payload)])
    listener.connect(*BROKER)
    listener.loop_start()
    try:
        listener.subscribe("wufei/v1/#", qos=1)
        assert subscribed.wait(5)
        simulator = Recording(world, seed=8, faults=0.1)
        result = sim.publish(simulator, host=BROKER[0], port=BROKER[1], rate=0, count=200)
        assert result.tally.total == 200
        assert result.unacknowledged == 0
        wanted = Counter((m.topic, m.payload) for m in simulator.sent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(received[k] < n for k, n in wanted.items()):
            time.sleep(0.05)
        assert all(received[k] >= n for k, n in wanted.items())
    finally:
        listener.disconnect()
        listener.loop_stop()


def test_an_unreachable_broker_is_a_clear_error(world):
    with pytest.raises(sim.BrokerUnavailable, match=r"127\.0\.0\.1:1\b"):
        sim.publish(sim.Simulator(world), host="127.0.0.1", port=1, count=1)
