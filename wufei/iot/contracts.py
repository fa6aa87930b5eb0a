"""The message contracts, version 1: one JSON object per message, one schema per kind.

Topic layout: ``wufei/v1/<kind>/<serial>``, kind one of ``weigh``, ``gps``, ``fill``,
``deposit``; serial the device's registered serial number. Every payload carries ``id`` (unique
per device; a resend keeps it) and ``ts`` (the device's own time, RFC 3339 with offset).
``docs/iot.md`` documents the fields; ``json_schemas()`` gives the machine-readable schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

VERSION = 1
TOPIC_PREFIX = "wufei/v1/"

MessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Kg = Annotated[float, msgspec.Meta(ge=0, le=200_000)]


class Message(msgspec.Struct, forbid_unknown_fields=False, frozen=True):
    id: MessageId
    ts: Annotated[datetime, msgspec.Meta(tz=True)]


class WeighMessage(Message, frozen=True):
    """A weighbridge ticket: a vehicle weighed in (``in``) or out (``out``) at the site."""

    plate: Annotated[str, msgspec.Meta(min_length=7, max_length=12)]
    gross_kg: Kg
    tare_kg: Kg
    net_kg: Kg
    direction: Literal["in", "out"]
    manifest: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    container: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class GpsMessage(Message, frozen=True):
    """A position of a vehicle terminal; the terminal's binding names the vehicle."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    speed_kmh: Annotated[float, msgspec.Meta(ge=0, le=250)] = 0.0
    heading: Annotated[int, msgspec.Meta(ge=0, le=359)] | None = None
    plate: Annotated[str, msgspec.Meta(max_length=12)] | None = None


class FillMessage(Message, frozen=True):
    """A bin sensor's fill level; above 100 means overflowing."""

    bin: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    percent: Annotated[float, msgspec.Meta(ge=0, le=200)]
    temperature_c: Annotated[float, msgspec.Meta(ge=-50, le=150)] | None = None


class DepositMessage(Message, frozen=True):
    """One household's drop at a smart sorting bin, identified by card number or code."""

    bin: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    household: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]
    waste_class: Literal["recyclable", "hazardous", "kitchen", "other"] = msgspec.field(
        name="class"
    )
    weight_kg: Annotated[float, msgspec.Meta(gt=0, le=1000)]


CONTRACTS: dict[str, type[Message]] = {
    "weigh": WeighMessage,
    "gps": GpsMessage,
    "fill": FillMessage,
    "deposit": DepositMessage,
}

# The device kind (registry.DeviceKind) that may send each message kind.
DEVICE_KIND = {"weigh": "weighbridge", "gps": "gps", "fill": "bin_sensor", "deposit": "smart_bin"}

DECODERS = {kind: msgspec.json.Decoder(struct) for kind, struct in CONTRACTS.items()}


def topic_for(kind: str, serial: str) -> str:
    return f"{TOPIC_PREFIX}{kind}/{serial}"


def parse_topic(topic: str) -> tuple[str, str] | None:
    """``(kind, serial)`` of a well-formed topic, else None."""
    if not topic.startswith(TOPIC_PREFIX):
        return None
    kind, _, serial = topic[len(TOPIC_PREFIX) :].partition("/")
    if kind not in CONTRACTS or not serial or "/" in serial:
        return None
    return kind, serial


def json_schemas() -> dict[str, dict]:
    """The JSON Schema of each kind's payload (published at /api/v1/iot/schemas/)."""
    schemas = {}
    for kind, struct in CONTRACTS.items():
        schema = msgspec.json.schema(struct)
        schema["$id"] = f"https://wufei.example/iot/v{VERSION}/{kind}.json"
        schema["title"] = f"wufei/v{VERSION}/{kind}"
        schemas[kind] = schema
    return schemas
