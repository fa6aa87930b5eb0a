"""The intake: one path from raw message to stored reading, for MQTT, HTTP and replays.

``Intake.store(batch)`` decodes and validates every message, then writes the batch in one
transaction: accepted readings (a redelivered message id is a no-op), refused messages into
quarantine with their reason, and per-device activity. Nothing is dropped: a message either
becomes a reading, is recognised as a duplicate, or lands in quarantine.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from wufei.iot import contracts
from wufei.iot.choices import QuarantineReason, QuarantineStatus
from wufei.iot.models import READING_MODELS, DeviceActivity, QuarantinedMessage
from wufei.iot.writers import writer_for
from wufei.registry.models import Device, Vehicle
from wufei.registry.validators import PLATE_RE, normalise_plate

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=90)
MAX_DEPOSIT_KG = 50.0
WEIGHT_TOLERANCE_KG = 1.0
CHINA_LAT = (3.0, 54.0)
CHINA_LON = (73.0, 136.0)
DIRECTORY_TTL_S = 10.0
NOW_MIN = datetime.min.replace(tzinfo=UTC)


class Incoming(NamedTuple):
    """A raw message as it arrived (a tuple: the worker makes one per message)."""

    topic: str
    payload: bytes
    received_at: datetime
    channel: str = "mqtt"
    token_device_id: int | None = None  # HTTP: the device the token belongs to


@dataclass(frozen=True)
class Outcome:
    status: str  # accepted | duplicate | quarantined
    kind: str = ""
    serial: str = ""
    message_id: str = ""
    reason: str = ""
    field: str = ""
    detail: str = ""


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    kind: str
    active: bool
    site_id: int | None
    vehicle_id: int | None


class Refused(Exception):
    def __init__(self, reason: str, field: str = "", detail: str = "") -> None:
        super().__init__(detail)
        self.reason, self.field, self.detail = reason, field, detail


class DeviceDirectory:
    """Serial → device, plate → vehicle, loaded once and refreshed when an unknown serial or
    plate appears (at most every ``DIRECTORY_TTL_S``), so a newly registered device is heard
    within seconds without a query per message."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.loaded_at = float("-inf")
        self.devices: dict[str, DeviceInfo] = {}
        self.plates: dict[str, int] = {}
        # topic → (kind, serial, device) of topics naming a known device; emptied on reload.
        self.routes: dict[str, tuple[str, str, DeviceInfo]] = {}

    def load(self) -> None:
        bound = dict(
            Vehicle.objects.filter(gps_device__isnull=False).values_list("gps_device_id", "pk")
        )
        self.devices = {
            serial: DeviceInfo(pk, kind, active, site_id, bound.get(pk))
            for pk, serial, kind, active, site_id in Device.objects.values_list(
                "pk", "serial", "kind", "is_active", "site_id"
            )
        }
        self.plates = dict(Vehicle.objects.values_list("plate", "pk"))
        self.routes = {}
        self.loaded_at = self.clock()

    def _fresh(self) -> bool:
        if self.clock() - self.loaded_at < DIRECTORY_TTL_S:
            return False
        self.load()
        return True

    def device(self, serial: str) -> DeviceInfo | None:
        found = self.devices.get(serial)
        if found is None and self._fresh():
            found = self.devices.get(serial)
        return found

    def route(self, topic: str) -> tuple[str, str, DeviceInfo]:
        """``(kind, serial, device)`` of a topic; raises Refused for a malformed topic or an
        unknown device. Known topics are remembered: one dict lookup per message."""
        found = self.routes.get(topic)
        if found is not None:
            return found
        parsed = contracts.parse_topic(topic)
        if parsed is None:
            raise Refused(QuarantineReason.BAD_TOPIC, "topic", topic[:200])
        kind, serial = parsed
        device = self.device(serial)
        if device is None:
            raise Refused(QuarantineReason.UNKNOWN_DEVICE, "serial", serial)
        found = self.routes[topic] = (kind, serial, device)
        return found

    def vehicle(self, plate: str) -> int | None:
        found = self.plates.get(plate)
        if found is None and self._fresh():
            found = self.plates.get(plate)
        return found


def digest(topic: str, payload: bytes) -> str:
    return hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()


def _schema_field(error: msgspec.ValidationError) -> str:
    """``$.lat`` in msgspec's message → ``lat``."""
    text = str(error)
    if "`$." in text:
        return text.split("`$.", 1)[1].split("`", 1)[0].split("[", 1)[0]
    return ""


class Intake:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        from time import monotonic

        self.now = now or timezone.now
        self.directory = DeviceDirectory(monotonic)
        self.columns: dict[str, Callable[[Any, DeviceInfo], tuple]] = {
            "weigh": self._weigh,
            "gps": self._gps,
            "fill": self._fill,
            "deposit": self._deposit,
        }
        self._window: tuple[datetime | None, datetime, datetime] = (None, NOW_MIN, NOW_MIN)

    # --- decoding ---------------------------------------------------------------------------
    def decode(self, message: Incoming) -> tuple[str, tuple]:
        """``(kind, row)`` of an acceptable message; raises Refused otherwise."""
        kind, serial, device = self.directory.route(message.topic)
        if message.token_device_id is not None and message.token_device_id != device.id:
            raise Refused(QuarantineReason.NOT_PERMITTED, "serial", serial)
        if not device.active:
            raise Refused(QuarantineReason.DEVICE_INACTIVE, "serial", serial)
        if device.kind != contracts.DEVICE_KIND[kind]:
            raise Refused(QuarantineReason.WRONG_DEVICE_KIND, "serial", f"{serial}: {device.kind}")
        try:
            body = contracts.DECODERS[kind].decode(message.payload)
        except msgspec.ValidationError as error:
            raise Refused(QuarantineReason.SCHEMA, _schema_field(error), str(error)[:300]) from None
        except msgspec.DecodeError as error:
            raise Refused(QuarantineReason.BAD_JSON, "", str(error)[:300]) from None
        received_at = message.received_at
        if received_at is not self._window[0]:  # a batch shares arrival times: bounds once
            self._window = (received_at, received_at - MAX_AGE, received_at + CLOCK_SKEW)
        _, oldest, latest = self._window
        if body.ts > latest:
            raise Refused(QuarantineReason.FUTURE_TIMESTAMP, "ts", body.ts.isoformat())
        if body.ts < oldest:
            raise Refused(QuarantineReason.TOO_OLD, "ts", body.ts.isoformat())
        head = (device.id, body.id, body.ts, received_at)
        return kind, head + self.columns[kind](body, device)

    def _weigh(self, body: contracts.WeighMessage, device: DeviceInfo) -> tuple:
        plate = normalise_plate(body.plate)
        if not PLATE_RE.match(plate):
            raise Refused(QuarantineReason.SCHEMA, "plate", body.plate)
        if body.gross_kg < body.tare_kg or (
            abs(body.net_kg - (body.gross_kg - body.tare_kg)) > WEIGHT_TOLERANCE_KG
        ):
            raise Refused(
                QuarantineReason.WEIGHTS_INCONSISTENT,
                "net_kg",
                f"{body.gross_kg} - {body.tare_kg} != {body.net_kg}",
            )
        return (
            device.site_id,
            plate,
            self.directory.vehicle(plate),
            body.direction,
            round(Decimal(body.gross_kg), 1),
            round(Decimal(body.tare_kg), 1),
            round(Decimal(body.net_kg), 1),
            body.manifest or "",
            body.container or "",
        )

    def _gps(self, body: contracts.GpsMessage, device: DeviceInfo) -> tuple:
        inside = (
            CHINA_LAT[0] <= body.lat <= CHINA_LAT[1] and CHINA_LON[0] <= body.lon <= CHINA_LON[1]
        )
        if not inside:
            raise Refused(QuarantineReason.OUT_OF_RANGE, "lat", f"{body.lat},{body.lon}")
        return (device.vehicle_id, body.lat, body.lon, body.speed_kmh, body.heading)

    def _fill(self, body: contracts.FillMessage, device: DeviceInfo) -> tuple:
        return (device.site_id, body.bin, body.percent, body.temperature_c)

    def _deposit(self, body: contracts.DepositMessage, device: DeviceInfo) -> tuple:
        if body.weight_kg > MAX_DEPOSIT_KG:
            raise Refused(QuarantineReason.OUT_OF_RANGE, "weight_kg", f"{body.weight_kg} kg")
        return (
            device.site_id,
            body.bin,
            body.household,
            body.waste_class,
            round(Decimal(body.weight_kg), 2),
        )

    # --- storing ----------------------------------------------------------------------------
    def store(self, messages: Sequence[Incoming], *, outcomes: bool = True) -> BatchResult:
        """Decode, validate and write ``messages`` in one transaction. With ``outcomes=False``
        (the MQTT worker, which only needs counts) no per-message Outcome is built for accepted
        and duplicate messages."""
        rows: dict[str, list[tuple]] = defaultdict(list)
        # Per message: (kind, (device id, message id)) of a decoded one, else its Outcome.
        slots: list[tuple[str, tuple[int, str]] | Outcome] = []
        refused: list[tuple[Incoming, Refused, int | None, str]] = []
        decode = self.decode
        for message in messages:
            try:
                kind, row = decode(message)
            except Refused as refusal:
                slots.append(self._refused(message, refusal, refused))
                continue
            rows[kind].append(row)
            slots.append((kind, (row[0], row[1])))
        result = BatchResult()
        with transaction.atomic():
            inserted: set[tuple[str, tuple[int, str]]] = set()
            writer = writer_for(connection)
            for kind, kind_rows in rows.items():
                keys = writer.insert(READING_MODELS[kind], kind_rows)
                inserted.update((kind, key) for key in keys)
            self._quarantine(refused)
            activity = _Activity()
            add = activity.add
            listed = result.outcomes
            accepted = duplicates = 0
            for message, slot in zip(messages, slots, strict=True):
                if isinstance(slot, Outcome):
                    result.quarantined += 1
                    listed.append(slot)
                    known = self.directory.devices.get(slot.serial)
                    if known is not None:
                        add(known.id, message.received_at, rejected=1)
                    continue
                if slot in inserted:
                    inserted.discard(slot)  # a second copy in the same batch is a duplicate
                    accepted += 1
                    add(slot[1][0], message.received_at, accepted=1)
                    if outcomes:
                        listed.append(Outcome("accepted", slot[0], "", slot[1][1]))
                else:
                    duplicates += 1
                    add(slot[1][0], message.received_at, duplicates=1)
                    if outcomes:
                        listed.append(Outcome("duplicate", slot[0], "", slot[1][1]))
            result.accepted, result.duplicates = accepted, duplicates
            activity.write()
        return result

    def _refused(
        self,
        message: Incoming,
        refusal: Refused,
        refused: list[tuple[Incoming, Refused, int | None, str]],
    ) -> Outcome:
        """Note a refused message for quarantine; its Outcome (always listed)."""
        parsed = contracts.parse_topic(message.topic)
        serial = parsed[1] if parsed else ""
        known = self.directory.devices.get(serial) if serial else None
        refused.append((message, refusal, known.id if known else None, serial))
        return Outcome(
            "quarantined",
            parsed[0] if parsed else "",
            serial,
            "",
            refusal.reason,
            refusal.field,
            refusal.detail,
        )

    def store_each(self, messages: Sequence[Incoming]) -> BatchResult:
        """Store messages one at a time; one that still breaks the intake is quarantined as an
        internal error (kept for the operator), so a poison message cannot stall the stream."""
        total = BatchResult()
        for message in messages:
            try:
                result = self.store([message])
            except DatabaseError:
                raise
            except Exception as error:  # any defect of ours: kept with the message
                refusal = Refused(QuarantineReason.INTERNAL, "", repr(error)[:300])
                with transaction.atomic():
                    self._quarantine([(message, refusal, None, "")])
                result = BatchResult(
                    quarantined=1, outcomes=[Outcome("quarantined", reason=refusal.reason)]
                )
            total.accepted += result.accepted
            total.duplicates += result.duplicates
            total.quarantined += result.quarantined
            total.outcomes.extend(result.outcomes)
        return total

    def _quarantine(self, refused: list[tuple[Incoming, Refused, int | None, str]]) -> None:
        if not refused:
            return
        QuarantinedMessage.objects.bulk_create(
            [
                QuarantinedMessage(
                    digest=digest(message.topic, message.payload),
                    channel=message.channel,
                    topic=message.topic[:200],
                    payload=message.payload,
                    received_at=message.received_at,
                    reason=refusal.reason,
                    field=refusal.field[:40],
                    detail=refusal.detail[:300],
                    serial=serial[:64],
                    device_id=device_id,
                    status=QuarantineStatus.PENDING,
                )
                for message, refusal, device_id, serial in refused
            ],
            ignore_conflicts=True,  # the same bad message redelivered is kept once
        )


class _Activity:
    """Per device and hour: counts and the last time heard, written as one upsert."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, datetime], list] = {}
        self.at: datetime | None = None
        self.hour = NOW_MIN

    def add(
        self,
        device_id: int,
        at: datetime,
        accepted: int = 0,
        duplicates: int = 0,
        rejected: int = 0,
    ) -> None:
        if at is not self.at:  # messages of one socket read share ``at``: one hour each
            self.at, self.hour = at, at.replace(minute=0, second=0, microsecond=0)
        cell = self.cells.get((device_id, self.hour))
        if cell is None:
            self.cells[(device_id, self.hour)] = [accepted, duplicates, rejected, at]
            return
        cell[0] += accepted
        cell[1] += duplicates
        cell[2] += rejected
        if at is not cell[3] and at > cell[3]:
            cell[3] = at

    def write(self) -> None:
        if not self.cells:
            return
        table = DeviceActivity._meta.db_table
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        rows = [
            (
                device_id,
                connection.ops.adapt_datetimefield_value(hour),
                accepted,
                duplicates,
                rejected,
                connection.ops.adapt_datetimefield_value(last),
            )
            for (device_id, hour), (accepted, duplicates, rejected, last) in sorted(
                self.cells.items()
            )
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (device_id, hour, accepted, duplicates, rejected, "  # noqa: S608
                "last_seen_at) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (device_id, hour) DO UPDATE SET "
                f"accepted = {table}.accepted + excluded.accepted, "
                f"duplicates = {table}.duplicates + excluded.duplicates, "
                f"rejected = {table}.rejected + excluded.rejected, "
                f"last_seen_at = {greatest}({table}.last_seen_at, excluded.last_seen_at)",
                rows,
            )
