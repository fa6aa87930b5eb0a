"""The task ledger (工作台账): units, the plan's areas and tasks, milestones and major projects.

The city ledger holds the plan's eight areas and 25 tasks (seed 000, loaded as data with their
text) and their sub-tasks; each county and each department keeps a ledger of the same shape
(the plan's part 4: 各县（市、区）、各市直有关单位…建立工作台账), whose tasks may point at the
city task they carry out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.plan.choices import (
    LedgerKind,
    MilestoneStatus,
    ProjectStage,
    ReportStatus,
    TaskStatus,
    UnitKind,
)


class Unit(models.Model):
    """A unit with duties in the plan: a city bureau (牵头单位 / 责任单位), a county government,
    the pilot office. Accounts act for a unit through their department or their county."""

    name = models.CharField(_("单位名称"), max_length=64, unique=True)
    short_name = models.CharField(_("简称"), max_length=24, blank=True)
    kind = models.CharField(_("类型"), max_length=8, choices=UnitKind.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("对应部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_units",
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("对应区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_units",
    )

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Ledger(models.Model):
    kind = models.CharField(_("台账类型"), max_length=8, choices=LedgerKind.choices)
    title = models.CharField(_("台账名称"), max_length=80)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("区划"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("全市台账为许昌市，县（市、区）台账为该县（市、区）。"),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledgers",
    )

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("工作台账")
        verbose_name_plural = _("工作台账")
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "unit"], name="ledger_one_per_owner")
        ]

    def __str__(self) -> str:
        return self.title


class Area(models.Model):
    """One of the plan's eight areas (（一）构建绿色循环生产方式 …)."""

    number = models.PositiveSmallIntegerField(_("序号"), unique=True)
    title = models.CharField(_("任务领域"), max_length=40)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("任务领域")
        verbose_name_plural = _("任务领域")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A task of a ledger: one of the plan's 25 (``number`` set, ``text`` verbatim), or a
    sub-task under it (``parent``), or a county's or department's own task."""

    ledger = models.ForeignKey(
        Ledger, verbose_name=_("台账"), on_delete=models.PROTECT, related_name="tasks"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("任务领域"), on_delete=models.PROTECT, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    number = models.CharField(_("编号"), max_length=16, help_text=_("如 4 或 4.2"))
    title = models.CharField(_("任务名称"), max_length=120)
    text = models.TextField(_("任务内容"), blank=True)
    source = models.CharField(_("出处"), max_length=120, blank=True)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_tasks"
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("责任单位"), blank=True, related_name="tasks"
    )
    counties = models.ManyToManyField(
        "registry.Region", verbose_name=_("涉及县（市、区）"), blank=True, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("完成时限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    status_changed_at = models.DateTimeField(_("状态更新时间"), null=True, blank=True)
    indicators = models.ManyToManyField(
        "stats.Indicator", verbose_name=_("关联指标"), blank=True, related_name="plan_tasks"
    )

    scope = Scope(region=("ledger__region", "counties"), multi_valued=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["ledger", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "number"], name="task_number_per_ledger"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="task_period_ordered",
                violation_error_message=_("完成时限不能早于开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Milestone(models.Model):
    """A dated step of a task, reported on monthly by its responsible unit."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("节点名称"), max_length=160)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="milestones"
    )
    due_on = models.DateField(_("完成时限"))
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    indicator = models.ForeignKey(
        "stats.Indicator",
        verbose_name=_("关联指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target = models.DecimalField(
        _("指标目标值"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    scope = Scope(region=("task__ledger__region", "task__counties"), multi_valued=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="milestone_status_due")]

    def __str__(self) -> str:
        return self.title


class Project(models.Model):
    """A major project (重大项目) of a task: investment, stage, completion."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(_("项目名称"), max_length=120)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="projects"
    )
    county = models.ForeignKey(
        "registry.Region",
        verbose_name=_("建设地点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("建设单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    investment_wan = models.DecimalField(_("总投资（万元）"), max_digits=12, decimal_places=2)
    invested_wan = models.DecimalField(
        _("已完成投资（万元）"), max_digits=12, decimal_places=2, default=0
    )
    stage = models.CharField(
        _("建设阶段"), max_length=14, choices=ProjectStage.choices, default=ProjectStage.PLANNING
    )
    starts_on = models.DateField(_("开工日期"), null=True, blank=True)
    planned_completion_on = models.DateField(_("计划建成日期"))
    completed_on = models.DateField(_("实际建成日期"), null=True, blank=True)
    progress_pct = models.PositiveSmallIntegerField(_("形象进度（%）"), default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    is_invented = models.BooleanField(
        _("演示数据"), default=False, help_text=_("演示城市生成的项目，非许昌实际项目。")
    )

    scope = Scope(region=("task__ledger__region", "county"), multi_valued=True)

    class Meta:
        verbose_name = _("重大项目")
        verbose_name_plural = _("重大项目")
        ordering = ["task", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_pct__lte=100), name="project_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProgressReport(models.Model):
    """A unit's monthly progress on a milestone: text, figures, attachments; reviewed by the
    task's lead unit. Returned reports are kept; the unit files a new one."""

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("节点"), on_delete=models.CASCADE, related_name="reports"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.DateField(_("报送月份"), help_text=_("该月的第一天"))
    text = models.TextField(_("进展情况"))
    figures = models.JSONField(_("数据"), default=list, blank=True)
    claims_done = models.BooleanField(_("申请节点完成"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    scope = Scope(
        region=("milestone__task__ledger__region", "milestone__task__counties"), multi_valued=True
    )

    class Meta:
        verbose_name = _("进展报送")
        verbose_name_plural = _("进展报送")
        ordering = ["-period", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "unit", "period"],
                condition=~Q(status="returned"),
                name="report_one_live_per_month",
                violation_error_code="already_reported",
                violation_error_message=_("该单位本月已报送此节点的进展。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period:%Y-%m} {self.milestone}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报送"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("附件"), upload_to="plan/reports/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)

    scope = Scope(
        region=("report__milestone__task__ledger__region", "report__milestone__task__counties"),
        multi_valued=True,
    )

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name
