"""Silent devices (设备离线): an active device not heard for longer than its kind's limit.

"Heard" is ``DeviceActivity.last_seen_at``, which the intake upserts with every batch, so
this rule reads one small aggregate instead of the readings. Only devices that have spoken
at least once can go silent (a device registered but not yet installed is not an outage).
The aggregate looks back ``LOOKBACK``: a device quiet for longer was alerted when it went
quiet, and its alert stays open until it speaks again, which clears it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils.translation import gettext as _

from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert
from wufei.alerts.services import Subject, alert_clear, alert_raise
from wufei.iot.models import DeviceActivity
from wufei.iot.rules import Tally
from wufei.iot.thresholds import SILENCE_KEY, Thresholds
from wufei.registry.models import Device

LOOKBACK = timedelta(days=14)


def device_subject(d: Device) -> Subject:
    return Subject("device", str(d.pk), d.serial)


def check_silence(limits: Thresholds, now: datetime) -> Tally:
    last_seen = dict(
        DeviceActivity.objects.filter(hour__gte=now - LOOKBACK)
        .values("device_id")
        .annotate(last=Max("last_seen_at"))
        .values_list("device_id", "last")
    )
    alerted = set(
        Alert.objects.filter(rule=Rule.DEVICE_SILENT, subject_type="device")
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("subject_id", flat=True)
    )
    devices = Device.objects.filter(pk__in=list(last_seen), is_active=True).select_related(
        "site", "party"
    )
    tally = Tally()
    for d in devices:
        last = last_seen[d.pk]
        limit = timedelta(minutes=limits.as_float(SILENCE_KEY[d.kind]))
        if now - last > limit:
            if str(d.pk) in alerted:
                continue
            alert_raise(
                rule=Rule.DEVICE_SILENT,
                subject=device_subject(d),
                message=_("%(device)s 已 %(minutes)d 分钟未上报（允许 %(limit)d 分钟）")
                % {
                    "device": d,
                    "minutes": (now - last).total_seconds() // 60,
                    "limit": limit.total_seconds() // 60,
                },
                party_id=d.party_id,
                region_id=d.site.region_id if d.site is not None else d.party.region_id,
                severity=Severity.WARNING,
                details={"serial": d.serial, "last_seen_at": last.isoformat()},
                at=last + limit,
            )
            tally.fired += 1
        elif str(d.pk) in alerted:
            tally.cleared += alert_clear(
                rule=Rule.DEVICE_SILENT,
                subject=device_subject(d),
                note=_("设备于 %(at)s 恢复上报") % {"at": last.isoformat(timespec="minutes")},
                at=last,
            )
    return tally
