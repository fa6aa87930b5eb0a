"""Forecasts of generation per region and stream, with the back-test error of the model that
made them, stored so the cockpit and the balance table read them without refitting."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope


class Forecast(models.Model):
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("废物类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.DateField(_("月份"))  # first day of the forecast month
    tonnes = models.DecimalField(_("预测量（吨）"), max_digits=16, decimal_places=3)
    lower = models.DecimalField(_("下限（吨）"), max_digits=16, decimal_places=3, null=True)
    upper = models.DecimalField(_("上限（吨）"), max_digits=16, decimal_places=3, null=True)
    method = models.CharField(_("模型"), max_length=60)
    history_end = models.DateField(_("历史数据截至"))
    backtest_months = models.PositiveSmallIntegerField(_("回测月数"), default=0)
    backtest_mape = models.DecimalField(
        _("回测平均绝对百分比误差（%）"), max_digits=8, decimal_places=2, null=True
    )
    fitted_at = models.DateTimeField(_("拟合时间"), default=timezone.now)

    scope = Scope(region=("region",), stream=("stream",))

    class Meta:
        verbose_name = _("产生量预测")
        verbose_name_plural = _("产生量预测")
        ordering = ["region", "stream", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "stream", "month"], name="forecast_once_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id} {self.month:%Y-%m}: {self.tonnes}"
