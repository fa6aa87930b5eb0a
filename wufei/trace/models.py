"""Containers and batches with printable codes, the links between them, and the ledger.

The ledger is append-only: one row per event, each carrying the hash of the event before it
in the same chain (a manifest's number or a container's code). The subject row keeps the
chain's head (sequence and hash), so appending costs one insert and no extra read.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.trace.choices import ContainerKind, ContainerState, EventKind, LinkKind

POSITIVE_MASS = MinValueValidator(Decimal("0.001"), message=_("质量须大于 0。"))


class LedgerEvent(models.Model):
    """One event of one chain; never updated, never deleted (``wufei verify-ledger``)."""

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(_("链"), max_length=40)
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签名人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("签名单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payload = models.JSONField(_("内容"), default=dict)
    prev_hash = models.CharField(_("前一事件哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("台账事件")
        verbose_name_plural = _("台账事件")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="ledger_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise RuntimeError("ledger events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ledger events are append-only")


class ChainOwner(models.Model):
    """A row that heads a ledger chain: it keeps the chain's last sequence and hash."""

    ledger_seq = models.PositiveIntegerField(_("台账序号"), default=0, editable=False)
    ledger_head = models.CharField(_("台账链头哈希"), max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def ledger_chain(self) -> str:
        raise NotImplementedError


class Container(ChainOwner):
    """A drum, bag, box, big box, pallet, tank, truckload or output lot, with its code."""

    code = models.CharField(_("追溯码"), max_length=20, unique=True)
    kind = models.CharField(_("容器类型"), max_length=12, choices=ContainerKind.choices)
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
    description = models.CharField(_("说明"), max_length=200, blank=True)
    mass_kg = models.DecimalField(
        _("质量（千克）"), max_digits=14, decimal_places=3, validators=[POSITIVE_MASS]
    )
    origin = models.ForeignKey(
        "registry.Party", verbose_name=_("产生单位"), on_delete=models.PROTECT, related_name="+"
    )
    holder = models.ForeignKey(
        "registry.Party", verbose_name=_("当前持有单位"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("产生地"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=ContainerState.choices, default=ContainerState.AT_SOURCE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("所在上级容器"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    method = models.ForeignKey(
        "registry.TreatmentMethod",
        verbose_name=_("利用处置方式"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    facility = models.ForeignKey(
        "registry.Facility",
        verbose_name=_("利用处置设施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    settled_at = models.DateTimeField(_("利用处置时间"), null=True, blank=True)

    scope = Scope(
        region=("region", "holder__region"),
        party=("origin", "holder"),
        stream=("stream",),
    )

    class Meta:
        verbose_name = _("容器/批次")
        verbose_name_plural = _("容器/批次")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["holder", "state"], name="container_holder_state"),
            models.Index(fields=["origin", "created_at"], name="container_origin_time"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def ledger_chain(self) -> str:
        return self.code


class ContainerLink(models.Model):
    """Mass moving from one container into another: packed, unpacked or transformed."""

    source = models.ForeignKey(
        Container, verbose_name=_("来源"), on_delete=models.PROTECT, related_name="links_out"
    )
    target = models.ForeignKey(
        Container, verbose_name=_("去向"), on_delete=models.PROTECT, related_name="links_in"
    )
    kind = models.CharField(_("关系"), max_length=12, choices=LinkKind.choices)
    mass_kg = models.DecimalField(_("质量（千克）"), max_digits=14, decimal_places=3)
    at = models.DateTimeField(_("时间"))
    event = models.ForeignKey(
        LedgerEvent, verbose_name=_("台账事件"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("容器关系")
        verbose_name_plural = _("容器关系")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.kind})"
