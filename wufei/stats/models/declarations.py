"""Periodic declarations (申报) for what no manifest carries: enterprises' general industrial
solid waste, and each department's figures (agriculture, housing, health, postal, commerce,
statistics). The kinds, their items and units are defined in ``wufei.stats.declaration_kinds``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.stats.choices import DeclarationStatus, Quantity


def _fk(model: str, verbose_name, **kwargs):
    return models.ForeignKey(
        model, verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+", **kwargs
    )


class Declaration(models.Model):
    kind = models.CharField(_("申报类型"), max_length=24)
    party = _fk("registry.Party", _("申报单位"), null=True, blank=True)
    department = _fk("accounts.Department", _("申报部门"), null=True, blank=True)
    region = _fk("registry.Region", _("区划"))
    stream = _fk("registry.WasteStream", _("废物类别"), null=True, blank=True)
    period_start = models.DateField(_("统计期起"))
    period_end = models.DateField(_("统计期止"))
    status = models.CharField(
        _("状态"), max_length=12, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    origin = models.CharField(_("填报方式"), max_length=120, blank=True)  # form, api, file name
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = _fk(settings.AUTH_USER_MODEL, _("填报人"), null=True, blank=True)
    created_at = models.DateTimeField(_("填报时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = _fk(settings.AUTH_USER_MODEL, _("审核人"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    scope = Scope(region=("region",), party=("party",), stream=("stream",))

    class Meta:
        verbose_name = _("统计申报")
        verbose_name_plural = _("统计申报")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="declaration_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "period_start"], name="declaration_kind_period"),
            models.Index(fields=["region", "period_start"], name="declaration_region_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start:%Y-%m}"


class DeclarationLine(models.Model):
    """One declared figure: an item of the kind, for a waste code where the kind asks for one,
    stored in the item's base unit with what was typed kept beside it."""

    declaration = models.ForeignKey(
        Declaration, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.CharField(_("申报项"), max_length=40)
    # the rollup quantity this figure counts as (generation, utilisation, ...), blank for
    # figures that are no waste flow (crop output, beds, population, value added)
    quantity = models.CharField(_("统计量"), max_length=16, choices=Quantity.choices, blank=True)
    stream = _fk("registry.WasteStream", _("废物类别"), null=True, blank=True)
    waste_code = _fk("registry.WasteCode", _("废物代码"), null=True, blank=True)
    category = _fk("registry.WasteCategory", _("废物小类"), null=True, blank=True)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4)
    entered_value = models.DecimalField(_("填报数值"), max_digits=18, decimal_places=4)
    entered_unit = models.CharField(_("填报单位"), max_length=16)

    class Meta:
        verbose_name = _("申报明细")
        verbose_name_plural = _("申报明细")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="declaration_line_nonneg"),
        ]
        indexes = [models.Index(fields=["item"], name="declaration_line_item")]

    def __str__(self) -> str:
        return f"{self.item}={self.value}"
