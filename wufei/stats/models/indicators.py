"""The indicator system as data: catalogue rows with formulas over named measures, targets per
year and region, and the computed values with the inputs they came from (their lineage)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.registry.choices import Confidence
from wufei.stats.choices import Direction, Mandatory, ValueStatus


class Indicator(models.Model):
    code = models.SlugField(_("指标代码"), max_length=40, unique=True)
    catalogue = models.CharField(_("指标体系"), max_length=24)  # 2019-trial, 2021, common, custom
    level1 = models.CharField(_("一级指标"), max_length=40)
    level2 = models.CharField(_("二级指标"), max_length=60, blank=True)
    name = models.CharField(_("指标名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    unit = models.CharField(_("单位"), max_length=16)
    # the machine formula over measures (wufei.stats.formula); blank when not computable
    formula = models.TextField(_("计算公式"), blank=True)
    # the source's own wording of the definition and method, kept verbatim
    definition = models.TextField(_("原文定义与算法"), blank=True)
    computable = models.BooleanField(_("可计算"), default=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    mandatory = models.CharField(
        _("必选/可选"), max_length=12, choices=Mandatory.choices, default=Mandatory.UNKNOWN
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("数据来源部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    base_year = models.PositiveSmallIntegerField(_("基准年"), null=True, blank=True)
    source = models.TextField(_("依据与来源"), blank=True)
    confidence = models.CharField(_("可信度"), max_length=12, choices=Confidence.choices)
    notes = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["indicator", "year", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "region"], name="indicator_target_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}: {self.value}"


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="values"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("指标值"), max_digits=18, decimal_places=4, null=True)
    status = models.CharField(_("计算状态"), max_length=8, choices=ValueStatus.choices)
    inputs = models.JSONField(_("输入量"), default=dict)  # measure code -> value (as text)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "region"], name="indicator_value_once"
            ),
        ]
        indexes = [models.Index(fields=["year", "region"], name="indicator_value_year_region")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}: {self.value}"
