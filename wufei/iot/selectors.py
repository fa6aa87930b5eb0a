"""Reads behind the IoT pages, scoped to the actor: latest vehicle positions, device health
(from the hourly activity counters, never by counting readings), quarantine, readings, tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from wufei.accounts.choices import Action
from wufei.accounts.models import ApiToken
from wufei.accounts.scoping import restrict
from wufei.iot.models import (
    Deposit,
    DeviceActivity,
    GpsFix,
    QuarantinedMessage,
    WeighTicket,
)
from wufei.iot.thresholds import SILENCE_KEY, Thresholds
from wufei.registry.models import Device

LIVE_WINDOW = timedelta(minutes=15)


def latest_fixes(*, actor, now: datetime, window: timedelta = LIVE_WINDOW) -> QuerySet[GpsFix]:
    """The newest fix of each vehicle heard within ``window`` before ``now`` (by device time,
    so a late message does not move a truck back)."""
    fixes = restrict(
        GpsFix.objects.filter(measured_at__gte=now - window, vehicle__isnull=False),
        actor,
        Action.VIEW,
    )
    newest = (
        GpsFix.objects.filter(vehicle=OuterRef("vehicle"), measured_at__gte=now - window)
        .order_by("-measured_at", "-id")
        .values("id")[:1]
    )
    return (
        fixes.filter(id=Subquery(newest))
        .select_related("vehicle", "vehicle__party")
        .order_by("vehicle__plate")
    )


def _activity_sum(field: str, since: datetime) -> Coalesce:
    rows = (
        DeviceActivity.objects.filter(device=OuterRef("pk"), hour__gte=since)
        .order_by()
        .values("device")
        .annotate(n=Sum(field))
        .values("n")[:1]
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class HealthStatus:
    """A device's state on the health page (derived, so not a stored choice)."""

    OK = "ok"
    SILENT = "silent"
    NEVER = "never"


def silent_after(thresholds: Thresholds) -> dict[str, timedelta]:
    """How long each kind of device may stay quiet before it counts as silent."""
    return {kind: timedelta(minutes=thresholds.as_float(key)) for kind, key in SILENCE_KEY.items()}


def device_health(*, actor, now: datetime) -> QuerySet[Device]:
    """Every device the actor may see, with ``last_seen``, ``hour_total`` (this hour),
    ``day_total``, ``day_rejected``, ``day_duplicates`` (last 24 h) and ``health``."""
    last_seen = (
        DeviceActivity.objects.filter(device=OuterRef("pk"))
        .order_by("-hour")
        .values("last_seen_at")[:1]
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = hour - timedelta(hours=23)
    quiet = silent_after(Thresholds.load())
    silent = Q()
    for kind, delay in quiet.items():
        silent |= Q(kind=kind, last_seen__lt=now - delay)
    devices = (
        Device.objects.select_related("site", "party")
        .annotate(
            last_seen=Subquery(last_seen),
            hour_accepted=_activity_sum("accepted", hour),
            hour_rejected=_activity_sum("rejected", hour),
            hour_duplicates=_activity_sum("duplicates", hour),
            day_accepted=_activity_sum("accepted", day),
            day_rejected=_activity_sum("rejected", day),
            day_duplicates=_activity_sum("duplicates", day),
        )
        .annotate(
            hour_total=F("hour_accepted") + F("hour_rejected") + F("hour_duplicates"),
            day_total=F("day_accepted") + F("day_rejected") + F("day_duplicates"),
            health=Case(
                When(last_seen__isnull=True, then=Value(HealthStatus.NEVER)),
                When(silent, then=Value(HealthStatus.SILENT)),
                default=Value(HealthStatus.OK),
            ),
        )
        .order_by("kind", "serial")
    )
    return restrict(devices, actor, Action.VIEW)


def vehicle_of_devices(devices: list[Device]) -> dict[int, str]:
    """The plate bound to each GPS terminal among ``devices`` (one query)."""
    from wufei.registry.models import Vehicle

    ids = [d.pk for d in devices if d.kind == "gps"]
    rows = Vehicle.objects.filter(gps_device_id__in=ids).values_list("gps_device_id", "plate")
    return dict(rows)


def quarantine_list(*, actor) -> QuerySet[QuarantinedMessage]:
    rows = QuarantinedMessage.objects.select_related("device", "handled_by")
    return restrict(rows, actor, Action.VIEW)


def weigh_ticket_list(*, actor) -> QuerySet[WeighTicket]:
    rows = WeighTicket.objects.select_related("device", "site", "vehicle", "manifest")
    return restrict(rows, actor, Action.VIEW)


def deposit_list(*, actor) -> QuerySet[Deposit]:
    return restrict(Deposit.objects.select_related("device", "site"), actor, Action.VIEW)


def token_list(*, actor) -> QuerySet[ApiToken]:
    """Device tokens (API tokens bound to a device) of the devices the actor may see."""
    devices = restrict(Device.objects.all(), actor, Action.VIEW)
    rows = ApiToken.objects.filter(device__in=devices)
    return rows.select_related("device", "device__party", "user")


def device_for_token(*, actor, serial: str) -> Device | None:
    """The device ``serial`` names, if the actor may see it (the service checks the right)."""
    return restrict(Device.objects.filter(serial=serial), actor, Action.VIEW).first()
