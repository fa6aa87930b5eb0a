"""The worker's MQTT 5 subscriber: the codec on bytes, then the client against the real broker."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid

import paho.mqtt.client as paho
import pytest

from wufei.iot import mqtt
from wufei.iot.mqtt import Packet, ProtocolError, Publish, Subscriber, split

# --- the codec ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (2_097_152, b"\x80\x80\x80\x01"),
        (268_435_455, b"\xff\xff\xff\x7f"),
    ],
)
def test_variable_byte_integers_round_trip(value, encoded):
    assert mqtt.encode_varint(value) == encoded
    assert mqtt.decode_varint(b"\x00" + encoded + b"\x33", 1) == (value, 1 + len(encoded))
    assert mqtt.decode_varint(encoded[:-1], 0) is None  # cut inside the integer


def test_malformed_variable_byte_integers_are_refused():
    with pytest.raises(ValueError, match="out of range"):
        mqtt.encode_varint(268_435_456)
    with pytest.raises(ProtocolError):
        mqtt.decode_varint(b"\x80\x80\x80\x80\x01", 0)
    with pytest.raises(ProtocolError, match="remaining length"):
        split(b"\x30\x80\x80\x80\x80\x01")


def publish_packet(
    topic: str, payload: bytes, qos: int, packet_id: int, props: bytes = b""
) -> bytes:
    """A PUBLISH as a broker writes it (built here by hand, independently of the client)."""
    body = mqtt.encode_string(topic)
    if qos:
        body += packet_id.to_bytes(2, "big")
    body += mqtt.encode_varint(len(props)) + props + payload
    return bytes([0x30 | qos << 1]) + mqtt.encode_varint(len(body)) + body


# Payload format indicator, message expiry, a user property and a subscription identifier.
PROPS = b"\x01\x01" + b"\x02\x00\x00\x00\x3c" + b"\x26\x00\x01k\x00\x02vv" + b"\x0b\x05"
STREAM = [
    (
        publish_packet("wufei/v1/gps/G1", b'{"id":"1"}', 1, 7),
        Publish("wufei/v1/gps/G1", b'{"id":"1"}', 7, 1),
    ),
    (publish_packet("wufei/v1/fill/S1", b"", 0, 0, PROPS), Publish("wufei/v1/fill/S1", b"", 0, 0)),
    (b"\xd0\x00", Packet(mqtt.PINGRESP, 0, b"")),
    (publish_packet("t/长", b"x" * 300, 1, 65_535), Publish("t/长", b"x" * 300, 65_535, 1)),
    (publish_packet("big", b"y" * 20_000, 1, 1, PROPS * 30), Publish("big", b"y" * 20_000, 1, 1)),
    (b"\x90\x04\x00\x01\x00\x01", Packet(mqtt.SUBACK, 0, b"\x00\x01\x00\x01")),
]


def split_in_chunks(data: bytes, size: int) -> tuple[list[Publish], list[Packet]]:
    publishes, others, tail = [], [], b""
    for start in range(0, len(data), size):
        found, other, tail = split(tail + data[start : start + size])
        publishes += found
        others += other
    assert tail == b""
    return publishes, others


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1000, 4096, 1 << 20])
def test_packets_split_the_same_whatever_the_chunk_sizes(size):
    data = b"".join(raw for raw, _ in STREAM) * 3
    publishes, others = split_in_chunks(data, size)
    assert publishes == [p for _, p in STREAM if isinstance(p, Publish)] * 3
    assert others == [p for _, p in STREAM if isinstance(p, Packet)] * 3


def test_an_incomplete_packet_stays_in_the_tail():
    whole = publish_packet("a/b", b"payload", 1, 3)
    for cut in range(len(whole)):
        assert split(whole[:cut]) == ([], [], whole[:cut])


@pytest.mark.parametrize(
    "raw",
    [
        publish_packet("", b"x", 1, 1),  # an empty topic would need a topic alias
        publish_packet("a", b"x", 1, 0),  # QoS 1 without a packet id
        b"\x36\x06\x00\x01a\x00\x01\x00",  # QoS 3
        b"\x32\x03\x00\x01a",  # cut before the packet id
        b"\x30\x04\x00\x01a\x09",  # properties beyond the packet
    ],
)
def test_malformed_publishes_are_protocol_errors(raw):
    with pytest.raises(ProtocolError):
        split(raw)


def test_connect_packet_bytes():
    packet = mqtt.connect_packet(
        client_id="w-0",
        keepalive=30,
        clean_start=False,
        session_expiry_s=86_400,
        receive_maximum=65_535,
        username="u",
        password="p",
    )
    assert packet == (
        b"\x10\x1e"  # CONNECT, 30 bytes
        b"\x00\x04MQTT\x05"  # protocol name and level 5
        b"\xc0"  # username and password, clean start off
        b"\x00\x1e"  # keepalive 30
        b"\x08\x11\x00\x01\x51\x80\x21\xff\xff"  # session expiry 86,400, receive maximum 65,535
        b"\x00\x03w-0\x00\x01u\x00\x01p"
    )
    anonymous = mqtt.connect_packet(
        client_id="w", keepalive=0, clean_start=True, session_expiry_s=0, receive_maximum=10
    )
    assert anonymous[9] == 0x02  # clean start only


def test_subscribe_and_puback_bytes():
    assert mqtt.subscribe_packet(1, "$share/g/wufei/v1/#", 1) == (
        b"\x82\x19\x00\x01\x00\x00\x13$share/g/wufei/v1/#\x01"
    )
    assert mqtt.puback_packets([1, 0, 258]) == b"\x40\x02\x00\x01\x40\x02\x01\x02"
    assert mqtt.puback_packets([0]) == b""


def test_properties_are_parsed_and_unknown_ones_refused():
    block = mqtt.encode_varint(len(PROPS) + 7) + PROPS + b"\x13\x00\x3c" + b"\x1f\x00\x01!"
    found, end = mqtt.parse_properties(b"\xaa" + block, 1)
    assert found == {0x01: 1, 0x02: 60, 0x0B: 5, 0x13: 60, 0x1F: "!"}
    assert end == 1 + len(block)
    with pytest.raises(ProtocolError, match="unknown property"):
        mqtt.parse_properties(b"\x02\x7e\x00", 0)
    assert mqtt.reason_of(b"\x8e\x04\x1f\x00\x01!") == (0x8E, "!")
    assert mqtt.reason_of(b"") == (0, "")


# --- the client against the broker -------------------------------------------------------------


@pytest.fixture
def run_id():
    return uuid.uuid4().hex[:10]


@pytest.fixture
def subscribers(broker):
    """Subscribers whose sessions are ended at the broker afterwards."""
    made: list[Subscriber] = []

    def make(client_id: str, topic_filter: str, **options) -> Subscriber:
        options.setdefault("session_expiry_s", 300)
        subscriber = Subscriber(
            host=broker[0],
            port=broker[1],
            client_id=client_id,
            topic_filter=topic_filter,
            **options,
        )
        made.append(subscriber)
        return subscriber

    yield make
    for subscriber in made:
        subscriber.close()
        forget = Subscriber(
            host=broker[0],
            port=broker[1],
            client_id=subscriber.client_id,
            topic_filter=subscriber.topic_filter,
            clean_start=True,
        )
        forget.connect()
        forget.disconnect()


def send(broker, messages: list[tuple[str, bytes]], qos: int = 1) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect(*broker)
    client.loop_start()
    for info in [client.publish(topic, payload, qos=qos) for topic, payload in messages]:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def receive(subscriber: Subscriber, count: int, timeout: float = 10.0) -> list[Publish]:
    got: list[Publish] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += subscriber.receive(0.2)
    return got


def test_receive_acknowledge_and_resume_the_session(broker, subscribers, run_id):
    topic = f"test/{run_id}"
    subscriber = subscribers(f"t-{run_id}", f"{topic}/#")
    assert subscriber.connect() is False  # a new session
    messages = [(f"{topic}/{n % 3}", f"m{n}".encode()) for n in range(500)]
    send(broker, messages)
    got = receive(subscriber, 500)
    assert [(p.topic, p.payload) for p in got] == messages
    assert {p.qos for p in got} == {1} and len({p.packet_id for p in got}) == 500
    subscriber.ack([p.packet_id for p in got])
    subscriber.disconnect()

    assert subscriber.connect() is True  # the session was kept
    assert receive(subscriber, 1, timeout=0.5) == []  # acknowledged: nothing comes back
    send(broker, [(f"{topic}/x", b"qos0")], qos=0)
    assert receive(subscriber, 1) == [Publish(f"{topic}/x", b"qos0", 0, 0)]


def test_unacknowledged_messages_come_back_after_a_broken_connection(broker, subscribers, run_id):
    topic = f"test/{run_id}"
    subscriber = subscribers(f"t-{run_id}", topic)
    subscriber.connect()
    send(broker, [(topic, f"m{n}".encode()) for n in range(50)])
    first = receive(subscriber, 50)
    subscriber.ack([p.packet_id for p in first[:20]])
    subscriber.ping()  # its answer comes after the broker has read the acknowledgements
    deadline = time.monotonic() + 5
    while subscriber.ping_sent_at is not None and time.monotonic() < deadline:
        subscriber.receive(0.1)
    assert subscriber.sock is not None
    subscriber.sock.shutdown(socket.SHUT_RDWR)  # no DISCONNECT: as if the network broke
    with pytest.raises(mqtt.ConnectionLost):
        subscriber.receive(0.1)
    assert subscriber.connect() is True
    again = receive(subscriber, 30)
    assert [p.payload for p in again] == [f"m{n}".encode() for n in range(20, 50)]


def test_a_session_taken_over_ends_the_old_connection(broker, subscribers, run_id):
    first = subscribers(f"t-{run_id}", f"test/{run_id}")
    first.connect()
    second = subscribers(f"t-{run_id}", f"test/{run_id}")
    second.connect()
    with pytest.raises(mqtt.ConnectionLost):  # Mosquitto 2.0 closes without a DISCONNECT
        receive(first, 1, timeout=5)


def test_pings_keep_a_quiet_connection_alive(broker, subscribers, run_id):
    subscriber = subscribers(f"t-{run_id}", f"test/{run_id}", keepalive=1)
    subscriber.connect()
    pinged = answered = False
    deadline = time.monotonic() + 5
    while not (pinged and answered) and time.monotonic() < deadline:
        subscriber.receive(0.1)
        pinged = pinged or subscriber.ping_sent_at is not None
        answered = pinged and subscriber.ping_sent_at is None
    assert pinged and answered


@pytest.fixture
def refusing_broker():
    """A one-shot fake broker that answers CONNECT with the CONNACK it is given."""
    server = socket.create_server(("127.0.0.1", 0))
    answers: list[bytes] = []

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(answers[0])
            connection.recv(1024)  # until the client hangs up

    def start(connack: bytes) -> int:
        answers.append(connack)
        threading.Thread(target=serve, daemon=True).start()
        return server.getsockname()[1]

    yield start
    server.close()


@pytest.mark.parametrize(("code", "transient"), [(0x87, False), (0x89, True)])
def test_a_refusal_says_why(refusing_broker, code, transient):
    # CONNACK: no session, the reason code, and a reason string property "no".
    port = refusing_broker(bytes([0x20, 0x08, 0x00, code, 0x05, 0x1F, 0x00, 0x02]) + b"no")
    subscriber = Subscriber(host="127.0.0.1", port=port, client_id="x", topic_filter="x")
    with pytest.raises(mqtt.BrokerRefused, match=f"0x{code:02X} no") as refused:
        subscriber.connect()
    assert refused.value.transient is transient
    assert subscriber.sock is None


def test_an_unreachable_broker_is_a_lost_connection():
    subscriber = Subscriber(host="127.0.0.1", port=1, client_id="x", topic_filter="x")
    with pytest.raises(mqtt.ConnectionLost, match="cannot reach"):
        subscriber.connect()


# --- the worker on this client -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_the_worker_reconnects_and_a_lost_acknowledgement_costs_only_a_duplicate(
    broker, run_id, caplog
):
    from django.utils import timezone

    from wufei.iot.contracts import topic_for
    from wufei.iot.models import FillLevel
    from wufei.iot.tests.devices import PAYLOADS
    from wufei.iot.worker import Settings, Worker
    from wufei.registry.tests import factories
    from wufei.registry.tests.reference import ensure_reference_data

    ensure_reference_data()
    site = factories.SiteFactory(kind="community")
    sensor = factories.DeviceFactory(
        party=site.party, kind="bin_sensor", serial=f"S{run_id}", site=site
    )
    at = timezone.now().isoformat()
    messages = [
        (
            topic_for("fill", sensor.serial),
            json.dumps({"id": f"f{n}", "ts": at, **PAYLOADS["fill"]}).encode(),
        )
        for n in range(300)
    ]
    settings = Settings(*broker, group=f"g{run_id}", client_id=f"t-{run_id}-0", batch=100)
    worker = Worker(settings)
    try:
        worker.connect()
        send(broker, messages)
        deadline = time.monotonic() + 10
        while len(worker.inbox) < 100 and time.monotonic() < deadline:
            worker._receive(0.2)
        first = worker.take()
        assert len(first) == 100
        assert worker.subscriber.sock is not None
        worker.subscriber.sock.shutdown(socket.SHUT_RDWR)  # the network breaks mid-batch
        with caplog.at_level("INFO", logger="wufei.iot.worker"):
            worker.process(first)  # committed; its acknowledgements cannot be sent
            assert worker.connection == 2 and not worker.inbox
            totals = worker.run(until_idle_s=1.0)
        assert "lost the broker" in caplog.text and "(session resumed)" in caplog.text
    finally:
        worker.subscriber.close()
        forget = Subscriber(
            host=broker[0],
            port=broker[1],
            client_id=settings.client_id,
            topic_filter="x",
            clean_start=True,
        )
        forget.connect()
        forget.disconnect()
    assert FillLevel.objects.filter(device=sensor).count() == 300
    assert (totals.accepted, totals.duplicates) == (300, 100)  # the first batch came back once
