"""Work meetings (推进会, 联席会议) and their decisions, each of which becomes a ledger item."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.plan.choices import MeetingKind
from wufei.plan.models.ledger import Milestone, Task, Unit


class Meeting(models.Model):
    kind = models.CharField(_("会议类型"), max_length=14, choices=MeetingKind.choices)
    title = models.CharField(_("会议名称"), max_length=120)
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=80, blank=True)
    chaired_by = models.CharField(_("主持"), max_length=80, blank=True)
    attendees = models.TextField(_("参会单位与人员"), blank=True)
    summary = models.TextField(_("会议纪要"), blank=True)
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("工作会议")
        verbose_name_plural = _("工作会议")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """A decided matter (议定事项): a unit, a due date, and the ledger item it became."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.TextField(_("议定事项"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="decisions"
    )
    due_on = models.DateField(_("完成时限"))
    task = models.ForeignKey(
        Task,
        verbose_name=_("纳入任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    milestone = models.OneToOneField(
        Milestone,
        verbose_name=_("形成节点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision",
    )

    scope = Scope(region=("meeting__region",))

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text[:40]
