"""The electronic transfer manifest (电子联单), the containers it carries, its corrections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.flows import flow_choices
from wufei.trace.models import ChainOwner


def _mass(verbose_name):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=3, null=True, blank=True)


def _party(verbose_name, **kwargs):
    return models.ForeignKey(
        "registry.Party",
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


class Manifest(ChainOwner):
    number = models.CharField(_("联单编号"), max_length=32, unique=True)
    flow = models.CharField(_("联单类型"), max_length=24, choices=flow_choices())
    version = models.PositiveIntegerField(_("版本"), default=1)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("废物类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    waste_code = models.ForeignKey(
        "registry.WasteCode",
        verbose_name=_("废物代码"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("废物名称与说明"), max_length=200, blank=True)
    generator = _party(_("移出单位"))
    generator_site = models.ForeignKey(
        "registry.Site",
        verbose_name=_("移出地点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("移出地区划"), on_delete=models.PROTECT, related_name="+"
    )
    transporter = _party(_("运输单位"))
    transporter_permit = models.ForeignKey(
        "registry.Permit",
        verbose_name=_("运输许可"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    vehicle = models.ForeignKey(
        "registry.Vehicle",
        verbose_name=_("车辆"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("驾驶员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiver = _party(_("接收单位"))
    receiver_facility = models.ForeignKey(
        "registry.Facility",
        verbose_name=_("接收设施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiver_region = models.ForeignKey(
        "registry.Region", verbose_name=_("接收地区划"), on_delete=models.PROTECT, related_name="+"
    )
    receiver_permit = models.ForeignKey(
        "registry.Permit",
        verbose_name=_("接收许可"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    declared_kg = _mass(_("申报量（千克）"))
    pickup_kg = _mass(_("起运量（千克）"))
    received_kg = _mass(_("接收过磅量（千克）"))
    accepted_kg = _mass(_("接收量（千克）"))
    # The weighbridges' net weights (出场 at the generator, 进场 at the receiver), from the IoT
    # stream: shown beside the parties' signed weights, never instead of them.
    bridge_out_kg = _mass(_("出场地磅净重（千克）"))
    bridge_in_kg = _mass(_("进场地磅净重（千克）"))
    rejection_reason = models.CharField(_("拒收/部分接收原因"), max_length=200, blank=True)
    method = models.ForeignKey(
        "registry.TreatmentMethod",
        verbose_name=_("利用处置方式"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("起运时间"), null=True, blank=True)
    departed_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    signing_nonce = models.CharField(max_length=32, blank=True, editable=False)
    idempotency_key = models.CharField(_("幂等键"), max_length=64, blank=True)
    request_hash = models.CharField(max_length=64, blank=True, editable=False)
    items_hash = models.CharField(max_length=64, blank=True, editable=False)

    scope = Scope(
        region=("region", "receiver_region"),
        party=("generator", "transporter", "receiver"),
        stream=("stream",),
    )

    class Meta:
        verbose_name = _("电子联单")
        verbose_name_plural = _("电子联单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["generator", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="manifest_idempotency_per_generator",
            ),
            models.CheckConstraint(
                condition=Q(declared_kg__gt=0) | Q(declared_kg__isnull=True),
                name="manifest_declared_positive",
            ),
            models.CheckConstraint(
                condition=Q(pickup_kg__gt=0) | Q(pickup_kg__isnull=True),
                name="manifest_pickup_positive",
            ),
            models.CheckConstraint(
                condition=Q(accepted_kg__gte=0) | Q(accepted_kg__isnull=True),
                name="manifest_accepted_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="manifest_state_time"),
            models.Index(fields=["generator", "created_at"], name="manifest_generator_time"),
            models.Index(fields=["receiver", "received_at"], name="manifest_receiver_time"),
            models.Index(fields=["transporter", "state"], name="manifest_transporter_state"),
            models.Index(fields=["receiver_permit", "received_at"], name="manifest_permit_time"),
            models.Index(fields=["region", "created_at"], name="manifest_region_time"),
            # the statistics rebuild a (county, day) slice from the manifests picked up,
            # received or completed that day
            models.Index(fields=["picked_up_at"], name="manifest_picked_up"),
            models.Index(fields=["received_at"], name="manifest_received"),
            models.Index(fields=["completed_at"], name="manifest_completed"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ledger_chain(self) -> str:
        return self.number

    @property
    def flow_def(self):
        from wufei.manifests.flows import FLOWS

        return FLOWS[self.flow]


class ManifestItem(models.Model):
    """A container carried by a manifest, with the mass declared for it."""

    manifest = models.ForeignKey(
        Manifest, verbose_name=_("联单"), on_delete=models.PROTECT, related_name="items"
    )
    container = models.ForeignKey(
        "trace.Container",
        verbose_name=_("容器"),
        on_delete=models.PROTECT,
        related_name="manifest_items",
    )
    mass_kg = models.DecimalField(_("申报质量（千克）"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("联单明细")
        verbose_name_plural = _("联单明细")
        constraints = [
            models.UniqueConstraint(fields=["manifest", "container"], name="manifest_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.manifest_id}:{self.container_id}"


class ManifestRevision(models.Model):
    """A correction: the proposed content as a new version; every named party must approve.

    Version 1's content is kept too (recorded when the first correction is proposed), so the
    full history of what each party signed stays readable.
    """

    manifest = models.ForeignKey(
        Manifest, verbose_name=_("联单"), on_delete=models.PROTECT, related_name="revisions"
    )
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RevisionStatus.choices, default=RevisionStatus.PENDING
    )
    content = models.JSONField(_("内容"))
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    changes = models.JSONField(_("更正项"), default=dict)
    reason = models.CharField(_("更正原因"), max_length=200)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    approvals = models.JSONField(
        _("各方确认"), default=dict, help_text=_("单位角色 → {签名人, 时间, 意见}")
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联单更正")
        verbose_name_plural = _("联单更正")
        ordering = ["manifest", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["manifest", "version"], name="manifest_revision_version"
            ),
            models.UniqueConstraint(
                fields=["manifest"],
                condition=Q(status="pending"),
                name="manifest_one_pending_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manifest_id} v{self.version}"
