"""What the field devices report, what could not be accepted, and who may post over HTTP.

Readings are append-only and keyed by (device, message id), so a redelivered message is a
no-op. Each reading keeps the device's own timestamp (``measured_at``, which places late and
out-of-order messages) and the time it reached the platform (``received_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.iot.choices import (
    Channel,
    Direction,
    LinkStatus,
    MessageKind,
    QuarantineReason,
    QuarantineStatus,
    WasteClass,
)

DEVICE_SCOPE = Scope(
    region=("device__site__region", "device__party__region"), party=("device__party",)
)


class Reading(models.Model):
    device = models.ForeignKey(
        "registry.Device", verbose_name=_("设备"), on_delete=models.PROTECT, related_name="+"
    )
    message_id = models.CharField(_("报文编号"), max_length=64)
    measured_at = models.DateTimeField(_("采集时间"))
    received_at = models.DateTimeField(_("接收时间"))

    scope = DEVICE_SCOPE
    kind: str = ""

    class Meta:
        abstract = True


def _unique_message(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["device", "message_id"], name=f"{name}_one_per_id")


class WeighTicket(Reading):
    """A weighbridge ticket (过磅单): one vehicle weighed in or out at a site."""

    kind = MessageKind.WEIGH
    site = models.ForeignKey(
        "registry.Site", verbose_name=_("过磅场所"), on_delete=models.PROTECT, related_name="+"
    )
    plate = models.CharField(_("车牌号"), max_length=12)
    vehicle = models.ForeignKey(
        "registry.Vehicle",
        verbose_name=_("车辆"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    gross_kg = models.DecimalField(_("毛重（千克）"), max_digits=10, decimal_places=1)
    tare_kg = models.DecimalField(_("皮重（千克）"), max_digits=10, decimal_places=1)
    net_kg = models.DecimalField(_("净重（千克）"), max_digits=10, decimal_places=1)
    manifest_number = models.CharField(_("联单编号"), max_length=32, blank=True)
    container_code = models.CharField(_("容器编码"), max_length=40, blank=True)
    manifest = models.ForeignKey(
        "manifests.Manifest",
        verbose_name=_("联单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link_status = models.CharField(
        _("关联状态"), max_length=12, choices=LinkStatus.choices, default=LinkStatus.PENDING
    )
    link_note = models.CharField(_("关联说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("过磅单")
        verbose_name_plural = _("过磅单")
        ordering = ["-measured_at", "-id"]
        constraints = [_unique_message("weigh")]
        indexes = [
            models.Index(fields=["site", "measured_at"], name="weigh_site_time"),
            models.Index(fields=["plate", "measured_at"], name="weigh_plate_time"),
            models.Index(fields=["manifest"], name="weigh_manifest"),
            models.Index(
                fields=["link_status"], condition=Q(link_status="pending"), name="weigh_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.net_kg} kg @ {self.measured_at:%Y-%m-%d %H:%M}"


class GpsFix(Reading):
    """One position of a vehicle's terminal (JT/T 808 or any GNSS tracker)."""

    kind = MessageKind.GPS
    vehicle = models.ForeignKey(
        "registry.Vehicle",
        verbose_name=_("车辆"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    speed_kmh = models.FloatField(_("速度（千米/时）"))
    heading = models.SmallIntegerField(_("方向角"), null=True, blank=True)

    class Meta:
        verbose_name = _("定位点")
        verbose_name_plural = _("定位点")
        ordering = ["-measured_at", "-id"]
        constraints = [_unique_message("gps")]
        indexes = [
            models.Index(fields=["vehicle", "measured_at"], name="gps_vehicle_time"),
            models.Index(fields=["received_at"], name="gps_received"),
        ]

    def __str__(self) -> str:
        return f"{self.lat:.5f},{self.lon:.5f} @ {self.measured_at:%H:%M:%S}"


class FillLevel(Reading):
    """A bin sensor's reading: how full one bin is."""

    kind = MessageKind.FILL
    site = models.ForeignKey(
        "registry.Site", verbose_name=_("投放点"), on_delete=models.PROTECT, related_name="+"
    )
    bin_code = models.CharField(_("桶编号"), max_length=32)
    percent = models.FloatField(_("满溢度（%）"))
    temperature_c = models.FloatField(_("温度（℃）"), null=True, blank=True)

    class Meta:
        verbose_name = _("满溢度读数")
        verbose_name_plural = _("满溢度读数")
        ordering = ["-measured_at", "-id"]
        constraints = [_unique_message("fill")]
        indexes = [models.Index(fields=["site", "bin_code", "measured_at"], name="fill_bin_time")]

    def __str__(self) -> str:
        return f"{self.bin_code} {self.percent:.0f}%"


class Deposit(Reading):
    """A household's drop at a smart sorting bin, by card or code (一户一码)."""

    kind = MessageKind.DEPOSIT
    site = models.ForeignKey(
        "registry.Site", verbose_name=_("投放点"), on_delete=models.PROTECT, related_name="+"
    )
    bin_code = models.CharField(_("桶编号"), max_length=32)
    household_code = models.CharField(_("户码/卡号"), max_length=32)
    waste_class = models.CharField(_("垃圾类别"), max_length=12, choices=WasteClass.choices)
    weight_kg = models.DecimalField(_("重量（千克）"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("投放记录")
        verbose_name_plural = _("投放记录")
        ordering = ["-measured_at", "-id"]
        constraints = [_unique_message("deposit")]
        indexes = [
            models.Index(fields=["household_code", "measured_at"], name="deposit_household"),
            models.Index(fields=["site", "measured_at"], name="deposit_site_time"),
        ]

    def __str__(self) -> str:
        return f"{self.household_code} {self.get_waste_class_display()} {self.weight_kg} kg"


READING_MODELS: dict[str, type[Reading]] = {
    MessageKind.WEIGH: WeighTicket,
    MessageKind.GPS: GpsFix,
    MessageKind.FILL: FillLevel,
    MessageKind.DEPOSIT: Deposit,
}


class QuarantinedMessage(models.Model):
    """A message the platform could not accept, kept verbatim with the reason, to be fixed and
    replayed or discarded by an operator. One row per distinct (topic, payload)."""

    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    channel = models.CharField(_("通道"), max_length=8, choices=Channel.choices)
    topic = models.CharField(_("主题"), max_length=200)
    payload = models.BinaryField(_("原始报文"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=24, choices=QuarantineReason.choices)
    field = models.CharField(_("字段"), max_length=40, blank=True)
    detail = models.CharField(_("详情"), max_length=300, blank=True)
    serial = models.CharField(_("设备编号"), max_length=64, blank=True)
    device = models.ForeignKey(
        "registry.Device",
        verbose_name=_("设备"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=QuarantineStatus.choices, default=QuarantineStatus.PENDING
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("处理说明"), max_length=300, blank=True)

    scope = Scope(
        region=("device__site__region", "device__party__region"), party=("device__party",)
    )

    class Meta:
        verbose_name = _("隔离报文")
        verbose_name_plural = _("隔离报文")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="quarantine_status_time"),
            models.Index(fields=["device", "received_at"], name="quarantine_device_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.topic}"

    @property
    def text(self) -> str:
        return bytes(self.payload).decode("utf-8", errors="replace")


class DeviceActivity(models.Model):
    """Messages accepted and refused per device per hour, and when it was last heard: the
    device health page and the silent-device rule read this, never the readings."""

    device = models.ForeignKey(
        "registry.Device", verbose_name=_("设备"), on_delete=models.CASCADE, related_name="+"
    )
    hour = models.DateTimeField(_("小时"))
    accepted = models.PositiveIntegerField(_("接收"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    rejected = models.PositiveIntegerField(_("隔离"), default=0)
    last_seen_at = models.DateTimeField(_("最近上报"))

    scope = DEVICE_SCOPE

    class Meta:
        verbose_name = _("设备活动")
        verbose_name_plural = _("设备活动")
        ordering = ["-hour"]
        constraints = [
            models.UniqueConstraint(fields=["device", "hour"], name="activity_one_per_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="activity_hour")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.hour:%Y-%m-%d %H}:00 +{self.accepted}/-{self.rejected}"


class Threshold(models.Model):
    """An alert threshold an official may change; the defaults live in ``iot.thresholds``."""

    key = models.CharField(_("参数"), max_length=40, unique=True)
    value = models.DecimalField(_("取值"), max_digits=12, decimal_places=3)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("预警阈值")
        verbose_name_plural = _("预警阈值")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class WatchMark(models.Model):
    """How far the stream rules have read each kind of reading, by arrival time. Concurrent
    workers commit out of key order, so the watcher rereads an overlap before this mark;
    its rules are idempotent."""

    kind = models.CharField(_("报文类型"), max_length=8, choices=MessageKind.choices, unique=True)
    received_until = models.DateTimeField(_("已处理至"))
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("规则进度")
        verbose_name_plural = _("规则进度")

    def __str__(self) -> str:
        return f"{self.kind} ≤ {self.received_until:%Y-%m-%d %H:%M:%S}"
