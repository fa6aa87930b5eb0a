"""A minimal single-threaded MQTT 5 subscriber for the ingest worker (stdlib only).

Why not paho: paho reads on its own network thread and wakes it through a socketpair for every
acknowledgement, so the worker's main thread waited on the network thread and sent one PUBACK per
socket write. This client does only what the worker needs — CONNECT with a persistent session,
SUBSCRIBE one filter at QoS 1, read PUBLISH packets from large chunks of the socket in one tight
loop, acknowledge a whole batch with one ``sendall`` after the commit, PINGREQ when the line is
quiet, DISCONNECT — all on the caller's thread, so nothing waits on anything but the socket.

The codec (``split``, ``connect_packet``, …) works on bytes and is tested without a broker.
Topic aliases are not enabled (a CONNECT without Topic Alias Maximum means 0), so every PUBLISH
carries its topic. QoS 2 is never granted: the subscription asks for QoS 1 at most.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time
from typing import NamedTuple

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK = 1, 2, 3, 4, 8, 9
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14

PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"  # normal disconnection; the session is kept (its expiry runs)
_PUBACK = struct.Struct("!BBH")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

CHUNK_SIZE = 256 * 1024
SUBSCRIBE_PACKET_ID = 1

# Property identifier → how its value is encoded (MQTT 5.0, 2.2.2.2).
_BYTE, _U16_T, _U32_T, _VARINT, _STRING, _BINARY, _PAIR = range(7)
PROPERTY_TYPES = {
    0x01: _BYTE,
    0x02: _U32_T,
    0x03: _STRING,
    0x08: _STRING,
    0x09: _BINARY,
    0x0B: _VARINT,
    0x11: _U32_T,
    0x12: _STRING,
    0x13: _U16_T,
    0x15: _STRING,
    0x16: _BINARY,
    0x17: _BYTE,
    0x18: _U32_T,
    0x19: _BYTE,
    0x1A: _STRING,
    0x1C: _STRING,
    0x1F: _STRING,
    0x21: _U16_T,
    0x22: _U16_T,
    0x23: _U16_T,
    0x24: _BYTE,
    0x25: _BYTE,
    0x26: _PAIR,
    0x27: _U32_T,
    0x28: _BYTE,
    0x29: _BYTE,
    0x2A: _BYTE,
}
SESSION_EXPIRY_INTERVAL, RECEIVE_MAXIMUM = 0x11, 0x21
SERVER_KEEP_ALIVE, REASON_STRING = 0x13, 0x1F

# CONNACK reason codes worth trying again later; any other refusal is a configuration error.
TRANSIENT_REFUSALS = frozenset({0x88, 0x89, 0x97, 0x9F})  # unavailable, busy, quota, rate


class MqttError(Exception):
    """Base of this client's errors."""


class ProtocolError(MqttError):
    """The bytes on the wire are not the MQTT 5 we expect."""


class ConnectionLost(MqttError):
    """The connection is gone (closed, reset, silent, or ended by the broker)."""


class BrokerRefused(MqttError):
    """The broker answered CONNECT or SUBSCRIBE with a failure reason code."""

    def __init__(self, packet: str, code: int, reason: str = "") -> None:
        super().__init__(f"{packet} refused: reason code 0x{code:02X} {reason}".rstrip())
        self.code = code

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_REFUSALS


class Publish(NamedTuple):
    topic: str
    payload: bytes
    packet_id: int  # 0 for QoS 0
    qos: int


class Packet(NamedTuple):
    """Any packet other than PUBLISH: its type, flags and body (after the fixed header)."""

    type: int
    flags: int
    body: bytes


# --- encoding ----------------------------------------------------------------------------------
def encode_varint(value: int) -> bytes:
    if not 0 <= value <= 268_435_455:
        raise ValueError(f"variable byte integer out of range: {value}")
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def encode_string(text: str) -> bytes:
    return encode_binary(text.encode())


def encode_binary(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError("string longer than 65,535 bytes")
    return _U16.pack(len(data)) + data


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + encode_varint(len(body)) + body


def connect_packet(
    *,
    client_id: str,
    keepalive: int,
    clean_start: bool,
    session_expiry_s: int,
    receive_maximum: int,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    flags = (0x02 if clean_start else 0) | (0x80 if username else 0) | (0x40 if password else 0)
    properties = (
        bytes([SESSION_EXPIRY_INTERVAL])
        + _U32.pack(session_expiry_s)
        + bytes([RECEIVE_MAXIMUM])
        + _U16.pack(receive_maximum)
    )
    body = (
        encode_string("MQTT")
        + bytes([5, flags])
        + _U16.pack(keepalive)
        + encode_varint(len(properties))
        + properties
        + encode_string(client_id)
    )
    if username:
        body += encode_string(username)
    if password:
        body += encode_binary(password.encode())
    return _packet(CONNECT << 4, body)


def subscribe_packet(packet_id: int, topic_filter: str, qos: int) -> bytes:
    # Options byte: maximum QoS only (No Local must stay 0 for shared subscriptions).
    body = _U16.pack(packet_id) + b"\x00" + encode_string(topic_filter) + bytes([qos])
    return _packet(SUBSCRIBE << 4 | 0x02, body)


def puback_packets(packet_ids: list[int]) -> bytes:
    """PUBACKs (success, no reason code) for every QoS 1 packet id; QoS 0 ids (0) are skipped."""
    pack = _PUBACK.pack
    return b"".join([pack(0x40, 2, packet_id) for packet_id in packet_ids if packet_id])


# --- decoding ----------------------------------------------------------------------------------
def decode_varint(data: bytes, pos: int) -> tuple[int, int] | None:
    """``(value, next position)``, or None when the bytes end inside the integer."""
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 21:
            raise ProtocolError("malformed variable byte integer")
    return None


def split(data: bytes) -> tuple[list[Publish], list[Packet], bytes]:
    """The whole packets at the start of ``data``: PUBLISHes, other packets, and the incomplete
    tail to put in front of the next chunk. The hot path of the worker: one loop, no calls per
    PUBLISH beyond slicing and decoding its topic."""
    publishes: list[Publish] = []
    others: list[Packet] = []
    end = len(data)
    pos = 0
    while pos < end:
        first = data[pos]
        i = pos + 1
        length = shift = 0
        while True:  # the remaining length, inline
            if i >= end:
                return publishes, others, data[pos:]
            byte = data[i]
            i += 1
            length |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 21:
                raise ProtocolError("malformed remaining length")
        stop = i + length
        if stop > end:
            break
        if first >> 4 == PUBLISH:
            qos = (first >> 1) & 3
            topic_end = i + 2 + (data[i] << 8 | data[i + 1]) if length >= 2 else stop + 1
            if qos:
                packet_id = data[topic_end] << 8 | data[topic_end + 1] if topic_end < stop else 0
                j = topic_end + 2
            else:
                packet_id = 0
                j = topic_end
            if j >= stop or qos == 3 or (qos and not packet_id) or topic_end == i + 2:
                raise ProtocolError(f"malformed PUBLISH (qos {qos}, length {length})")
            properties = data[j]
            if properties < 0x80:
                j += 1 + properties
            else:
                decoded = decode_varint(data, j)
                if decoded is None:
                    raise ProtocolError("malformed PUBLISH properties")
                j = decoded[1] + decoded[0]
            if j > stop:
                raise ProtocolError("PUBLISH properties beyond the packet")
            publishes.append(
                Publish(
                    data[i + 2 : topic_end].decode("utf-8", "replace"), data[j:stop], packet_id, qos
                )
            )
        else:
            others.append(Packet(first >> 4, first & 0x0F, data[i:stop]))
        pos = stop
    return publishes, others, data[pos:]


def parse_properties(data: bytes, pos: int) -> tuple[dict[int, object], int]:
    """The property block at ``pos``: ``{identifier: value}`` and the position after it."""
    decoded = decode_varint(data, pos)
    if decoded is None:
        raise ProtocolError("truncated properties")
    length, pos = decoded
    end = pos + length
    if end > len(data):
        raise ProtocolError("properties beyond the packet")
    found: dict[int, object] = {}
    while pos < end:
        identifier = data[pos]
        kind = PROPERTY_TYPES.get(identifier)
        pos += 1
        value: object
        if kind == _BYTE:
            value, pos = data[pos], pos + 1
        elif kind == _U16_T:
            value, pos = _U16.unpack_from(data, pos)[0], pos + 2
        elif kind == _U32_T:
            value, pos = _U32.unpack_from(data, pos)[0], pos + 4
        elif kind == _VARINT:
            decoded = decode_varint(data, pos)
            if decoded is None:
                raise ProtocolError("truncated property")
            value, pos = decoded
        elif kind in (_STRING, _BINARY):
            size = _U16.unpack_from(data, pos)[0]
            raw = data[pos + 2 : pos + 2 + size]
            value, pos = (
                (raw.decode("utf-8", "replace") if kind == _STRING else raw),
                pos + 2 + size,
            )
        elif kind == _PAIR:
            key_size = _U16.unpack_from(data, pos)[0]
            pos += 2 + key_size
            value_size = _U16.unpack_from(data, pos)[0]
            pos += 2 + value_size
            continue  # user properties carry nothing this client uses
        else:
            raise ProtocolError(f"unknown property 0x{identifier:02X}")
        found[identifier] = value
    if pos != end:
        raise ProtocolError("properties overrun their length")
    return found, end


def reason_of(body: bytes) -> tuple[int, str]:
    """Reason code and reason string of a CONNACK-less body such as DISCONNECT's."""
    if not body:
        return 0, ""
    properties = parse_properties(body, 1)[0] if len(body) > 1 else {}
    return body[0], str(properties.get(REASON_STRING, ""))


# --- the client --------------------------------------------------------------------------------
class Subscriber:
    """One connection to the broker with one QoS 1 subscription, driven by ``receive`` and
    ``ack`` from a single thread. Messages the broker sent on a connection can only be
    acknowledged on that connection: after ``ConnectionLost`` the caller drops what it has not
    acknowledged and calls ``connect`` again; the broker redelivers the rest."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        topic_filter: str,
        keepalive: int = 30,
        session_expiry_s: int = 0,
        receive_maximum: int = 65_535,
        clean_start: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self.topic_filter = topic_filter
        self.keepalive = keepalive
        self.session_expiry_s = session_expiry_s
        self.receive_maximum = receive_maximum
        self.clean_start = clean_start
        self.username, self.password = username, password
        self.timeout_s = timeout_s
        self.chunk_size = chunk_size
        self.sock: socket.socket | None = None
        self.selector: selectors.DefaultSelector | None = None
        self.tail = b""
        self.pending: list[Publish] = []
        self.last_send = 0.0
        self.ping_sent_at: float | None = None
        self.granted_qos = -1

    # --- connection ---------------------------------------------------------------------------
    def connect(self) -> bool:
        """Open the connection and subscribe; True when the broker resumed an existing session.
        Raises ``BrokerRefused`` on a refusal and ``ConnectionLost`` when the broker cannot be
        reached or hangs up."""
        self.close()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as error:
            raise ConnectionLost(f"cannot reach {self.host}:{self.port}: {error}") from error
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ)
        self.tail, self.pending, self.ping_sent_at = b"", [], None
        try:
            self._send(
                connect_packet(
                    client_id=self.client_id,
                    keepalive=self.keepalive,
                    clean_start=self.clean_start,
                    session_expiry_s=self.session_expiry_s,
                    receive_maximum=self.receive_maximum,
                    username=self.username,
                    password=self.password,
                )
            )
            connack = self._await(CONNACK)
            if len(connack.body) < 2:
                raise ProtocolError("short CONNACK")
            session_present = bool(connack.body[0] & 0x01)
            properties = parse_properties(connack.body, 2)[0] if len(connack.body) > 2 else {}
            if connack.body[1] >= 0x80:
                raise BrokerRefused(
                    "CONNECT", connack.body[1], str(properties.get(REASON_STRING, ""))
                )
            server_keepalive = properties.get(SERVER_KEEP_ALIVE)
            if isinstance(server_keepalive, int):
                self.keepalive = server_keepalive  # the broker's word overrides ours
            self._send(subscribe_packet(SUBSCRIBE_PACKET_ID, self.topic_filter, 1))
            suback = self._await(SUBACK)
            if len(suback.body) < 4 or _U16.unpack_from(suback.body, 0)[0] != SUBSCRIBE_PACKET_ID:
                raise ProtocolError("SUBACK for another packet")
            properties, pos = parse_properties(suback.body, 2)
            code = suback.body[pos]
            if code >= 0x80:
                raise BrokerRefused("SUBSCRIBE", code, str(properties.get(REASON_STRING, "")))
            self.granted_qos = code
        except BaseException:
            self.close()
            raise
        return session_present

    def _await(self, packet_type: int) -> Packet:
        """Read until a packet of ``packet_type`` arrives; PUBLISHes meanwhile are kept for the
        next ``receive`` (a resumed session redelivers right after CONNACK)."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectionLost(f"no answer from the broker within {self.timeout_s} s")
            publishes, others = self._read(left)
            self.pending.extend(publishes)
            for packet in others:
                if packet.type == packet_type:
                    return packet
                self._handle(packet)

    def disconnect(self, linger_s: float = 2.0) -> None:
        """End the connection normally (the persistent session stays at the broker).

        Waits (up to ``linger_s``) for the broker to close its side: it reads our packets in
        order, so by then it has taken every acknowledgement sent before. Closing at once could
        reset the connection and make the broker drop acknowledgements it had not read yet."""
        if self.sock is not None:
            with contextlib.suppress(OSError):  # already gone: closing is all that is left
                self.sock.sendall(DISCONNECT_PACKET)
                self.sock.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + linger_s
                while (left := deadline - time.monotonic()) > 0:
                    self.sock.settimeout(left)
                    if not self.sock.recv(self.chunk_size):
                        break
        self.close()

    def ping(self) -> None:
        """Send PINGREQ now (unless one is outstanding); ``ping_sent_at`` returns to None when
        the PINGRESP is read, which proves the broker has read everything sent before."""
        if self.ping_sent_at is None:
            self._send(PINGREQ_PACKET)
            self.ping_sent_at = time.monotonic()

    def close(self) -> None:
        if self.selector is not None:
            self.selector.close()
            self.selector = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # --- traffic ------------------------------------------------------------------------------
    def receive(self, timeout: float) -> list[Publish]:
        """The PUBLISHes that arrive within ``timeout`` seconds (one socket read, up to
        ``chunk_size`` bytes); keeps the connection alive on the way."""
        if self.pending:
            publishes, self.pending = self.pending, []
            self._keep_alive(idle=False)
            return publishes
        if self.keepalive:
            timeout = min(timeout, self.last_send + self.keepalive / 2 - time.monotonic())
        publishes, others = self._read(max(0.0, timeout))
        for packet in others:
            self._handle(packet)
        self._keep_alive(idle=not publishes and not others)
        return publishes

    def ack(self, packet_ids: list[int]) -> None:
        """Acknowledge a batch in one write (call after its commit)."""
        data = puback_packets(packet_ids)
        if data:
            self._send(data)

    def _read(self, timeout: float) -> tuple[list[Publish], list[Packet]]:
        if self.sock is None or self.selector is None:
            raise ConnectionLost("not connected")
        if not self.selector.select(timeout):
            return [], []
        try:
            data = self.sock.recv(self.chunk_size)
        except (BlockingIOError, InterruptedError):
            return [], []
        except OSError as error:
            raise ConnectionLost(f"read failed: {error}") from error
        if not data:
            raise ConnectionLost("the broker closed the connection")
        publishes, others, self.tail = split(self.tail + data if self.tail else data)
        return publishes, others

    def _send(self, data: bytes) -> None:
        if self.sock is None:
            raise ConnectionLost("not connected")
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise ConnectionLost(f"write failed: {error}") from error
        self.last_send = time.monotonic()

    def _handle(self, packet: Packet) -> None:
        if packet.type == PINGRESP:
            self.ping_sent_at = None
        elif packet.type == DISCONNECT:
            code, reason = reason_of(packet.body)
            raise ConnectionLost(f"the broker disconnected: reason code 0x{code:02X} {reason}")
        else:
            raise ProtocolError(f"unexpected packet type {packet.type}")

    def _keep_alive(self, *, idle: bool) -> None:
        """PINGREQ after ``keepalive / 2`` without sending; a PINGREQ unanswered for a whole
        ``keepalive`` while nothing at all arrives means the line is dead. (Only an idle read
        counts: a worker stopped by SIGSTOP must not declare a live connection dead.)"""
        if not self.keepalive:
            return
        now = time.monotonic()
        if self.ping_sent_at is not None:
            if idle and now - self.ping_sent_at > self.keepalive:
                raise ConnectionLost("no PINGRESP from the broker")
        elif now - self.last_send >= self.keepalive / 2:
            self.ping()
