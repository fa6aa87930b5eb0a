"""Daily and monthly figures per region × stream × category × facility × quantity × source.

The rollups are derived data: ``wufei.stats.rollups`` rebuilds any (county, day) slice from
the raw records (manifests, declaration lines), so a late or corrected record only marks its
slices dirty (``RollupDirty``) and the next refresh rebuilds them. The monthly table is the
sum of the daily one, rebuilt for the months of the rebuilt days; dashboards, indicators,
forecasts and the balance table read it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.stats.choices import Quantity, Source


def _fk(model: str, verbose_name, **kwargs):
    return models.ForeignKey(
        model, verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+", **kwargs
    )


class Figures(models.Model):
    region = _fk("registry.Region", _("区划"))  # a county or function zone (or the city)
    stream = _fk("registry.WasteStream", _("废物类别"))
    category = _fk("registry.WasteCategory", _("废物小类"), null=True, blank=True)
    facility = _fk("registry.Facility", _("利用处置设施"), null=True, blank=True)
    quantity = models.CharField(_("统计量"), max_length=16, choices=Quantity.choices)
    source = models.CharField(_("数据来源"), max_length=12, choices=Source.choices)
    tonnes = models.DecimalField(_("吨"), max_digits=16, decimal_places=3)
    records = models.PositiveIntegerField(_("记录数"), default=0)

    scope = Scope(region=("region",), stream=("stream",))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.region_id}/{self.stream_id}/{self.quantity}: {self.tonnes} t"


class Rollup(Figures):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        indexes = [
            models.Index(fields=["region", "day"], name="rollup_region_day"),
            models.Index(fields=["day"], name="rollup_day"),
        ]


class RollupMonth(Figures):
    month = models.DateField(_("月份"))  # the first day of the month

    class Meta:
        verbose_name = _("月汇总")
        verbose_name_plural = _("月汇总")
        indexes = [
            models.Index(fields=["month", "region"], name="rollup_month_region"),
            models.Index(fields=["stream", "month"], name="rollup_month_stream"),
        ]


class RollupDirty(models.Model):
    """A (county, day) slice whose raw records changed since its rollup rows were built."""

    region = _fk("registry.Region", _("区划"))
    day = models.DateField(_("日期"))
    marked_at = models.DateTimeField(_("标记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("待重算汇总")
        verbose_name_plural = _("待重算汇总")
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="rollup_dirty_once"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day}"
