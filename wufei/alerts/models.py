"""One alert list for every rule in every app: rule, subject, owner, status and its trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.alerts.choices import AlertStatus, Rule, Severity


class Alert(models.Model):
    rule = models.CharField(_("规则"), max_length=24, choices=Rule.choices)
    severity = models.CharField(
        _("级别"), max_length=8, choices=Severity.choices, default=Severity.WARNING
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    subject_type = models.CharField(_("对象类型"), max_length=24)
    subject_id = models.CharField(_("对象编号"), max_length=40)
    subject_label = models.CharField(_("对象"), max_length=120)
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("废物类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.CharField(_("说明"), max_length=300)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    scope = Scope(region=("region",), party=("party",), stream=("stream",))

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id"],
                condition=~Q(status="resolved"),
                name="alert_one_open_per_rule_subject",
            )
        ]
        indexes = [
            models.Index(fields=["status", "opened_at"], name="alert_status_time"),
            models.Index(fields=["subject_type", "subject_id"], name="alert_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.subject_label}"


class AlertAction(models.Model):
    """The trail: who raised, acknowledged, commented on or resolved an alert, and when."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("预警"), on_delete=models.CASCADE, related_name="actions"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=16)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"
