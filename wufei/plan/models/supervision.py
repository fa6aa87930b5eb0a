"""Supervision (督办): notices to a unit about an overdue or stalled item, with a deadline, an
answer, escalation when unanswered, and a dated trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.plan.choices import NoticeLevel, NoticeReason, NoticeStatus
from wufei.plan.models.ledger import Milestone, Task, Unit


class Notice(models.Model):
    number = models.CharField(_("督办编号"), max_length=24, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="notices"
    )
    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="notices"
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("节点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    reason = models.CharField(_("督办事由"), max_length=10, choices=NoticeReason.choices)
    level = models.PositiveSmallIntegerField(
        _("督办等级"), choices=NoticeLevel.choices, default=NoticeLevel.REMINDER
    )
    text = models.TextField(_("督办内容"))
    issued_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("为空表示系统按规则自动下发。"),
    )
    deadline = models.DateField(_("反馈时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    answer = models.TextField(_("反馈情况"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("升级自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scope = Scope(region=("task__ledger__region", "task__counties"), multi_valued=True)

    class Meta:
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="notice_status_deadline")]

    def __str__(self) -> str:
        return f"{self.number} {self.unit}"


class NoticeEvent(models.Model):
    """The trail: issued, answered, accepted, returned, escalated, closed — who and when."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("督办通知"), on_delete=models.CASCADE, related_name="events"
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
    action = models.CharField(_("操作"), max_length=12)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    scope = Scope(
        region=("notice__task__ledger__region", "notice__task__counties"), multi_valued=True
    )

    class Meta:
        verbose_name = _("督办记录")
        verbose_name_plural = _("督办记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action}"
