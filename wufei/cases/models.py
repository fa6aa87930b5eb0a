"""Inspections and enforcement (plan task 23: 开展固体废物大督查，排查工业固体废物堆存场地和
非正规垃圾填埋场): campaigns, checklists per site type, inspections and their findings,
rectification orders with deadlines (限期整治), re-inspection and closure, and the register
of storage yards and informal landfills with their rectification state."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.core.models import optional_latitude, optional_longitude


class ChecklistKind(models.TextChoices):
    HAZARDOUS = "hazardous", _("危险废物规范化环境管理")
    STORAGE_YARD = "storage_yard", _("工业固体废物堆存场所")
    INFORMAL_LANDFILL = "informal_landfill", _("非正规垃圾堆放点")
    MEDICAL = "medical", _("医疗废物管理")
    CONSTRUCTION = "construction", _("建筑垃圾消纳与运输")


class Severity(models.TextChoices):
    MINOR = "minor", _("一般问题")
    MAJOR = "major", _("较重问题")
    SERIOUS = "serious", _("严重问题")


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", _("检查中")
    SUBMITTED = "submitted", _("已提交")


class OrderStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    REPORTED = "reported", _("已报整改完成")
    FAILED = "failed", _("复查未通过")
    CLOSED = "closed", _("已销号")


class DumpSiteKind(models.TextChoices):
    STORAGE_YARD = "storage_yard", _("工业固体废物堆存场所")
    INFORMAL_LANDFILL = "informal_landfill", _("非正规垃圾填埋场")


class DumpSiteState(models.TextChoices):
    FOUND = "found", _("已排查登记")
    RECTIFYING = "rectifying", _("整治中")
    RECTIFIED = "rectified", _("已整治待验收")
    CLOSED = "closed", _("已验收销号")


class Campaign(models.Model):
    """An inspection campaign (e.g. 固体废物大督查) over a region and a period."""

    name = models.CharField(_("行动名称"), max_length=120)
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    description = models.TextField(_("工作要求"), blank=True)
    lead = models.CharField(_("牵头单位"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("督查行动")
        verbose_name_plural = _("督查行动")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Checklist(models.Model):
    kind = models.CharField(_("适用场所"), max_length=20, choices=ChecklistKind.choices)
    name = models.CharField(_("检查表"), max_length=120)
    version = models.CharField(_("版本"), max_length=16, default="1")
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("主管废物类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("决定哪个主管部门可按此表检查（如危险废物由生态环境部门）。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="checklist_kind_version")
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("检查表"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.CharField(_("序号"), max_length=8)
    text = models.CharField(_("检查内容"), max_length=300)
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    severity = models.CharField(
        _("不符合时的问题等级"), max_length=8, choices=Severity.choices, default=Severity.MINOR
    )

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["checklist", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "number"], name="checklist_item_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:40]}"


class DumpSite(models.Model):
    """A storage yard or informal landfill found by the 排查, with its rectification state."""

    kind = models.CharField(_("类型"), max_length=20, choices=DumpSiteKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("位置描述"), max_length=200, blank=True)
    lon = optional_longitude()
    lat = optional_latitude()
    area_m2 = models.DecimalField(
        _("占地面积（平方米）"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    volume_m3 = models.DecimalField(
        _("堆存量（立方米）"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    waste = models.CharField(_("堆存物"), max_length=200, blank=True)
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_on = models.DateField(_("发现日期"))
    state = models.CharField(
        _("整治状态"), max_length=12, choices=DumpSiteState.choices, default=DumpSiteState.FOUND
    )
    state_changed_on = models.DateField(_("状态日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    scope = Scope(region=("region",), party=("party",))

    class Meta:
        verbose_name = _("堆存场所与非正规填埋场")
        verbose_name_plural = _("堆存场所与非正规填埋场")
        ordering = ["state", "-found_on"]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    """One visit with one checklist to a registered site or a register entry."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("督查行动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    checklist = models.ForeignKey(
        Checklist, verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        "registry.Site",
        verbose_name=_("检查场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dump_site = models.ForeignKey(
        DumpSite,
        verbose_name=_("堆存点/填埋场"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("被检查单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    inspected_on = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=120)
    status = models.CharField(
        _("状态"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT
    )
    summary = models.TextField(_("检查结论"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(region=("region",), party=("party",), stream=("checklist__stream",))

    class Meta:
        verbose_name = _("现场检查")
        verbose_name_plural = _("现场检查")
        ordering = ["-inspected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False) | Q(dump_site__isnull=False),
                name="inspection_has_a_place",
                violation_error_message=_("检查须指定场所或堆存点。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.site or self.dump_site}"


class Finding(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("现场检查"), on_delete=models.CASCADE, related_name="findings"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("检查项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("问题描述"))
    severity = models.CharField(_("问题等级"), max_length=8, choices=Severity.choices)
    lon = optional_longitude()
    lat = optional_latitude()
    photo = models.FileField(_("照片"), upload_to="cases/findings/%Y/%m/", blank=True)

    scope = Scope(
        region=("inspection__region",),
        party=("inspection__party",),
        stream=("inspection__checklist__stream",),
    )

    class Meta:
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return self.description[:40]


class RectificationOrder(models.Model):
    """A rectification order with a deadline (限期整治); closed only after a passed
    re-inspection."""

    number = models.CharField(_("整改通知编号"), max_length=32, unique=True)
    finding = models.ForeignKey(
        Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="orders"
    )
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("整改责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    requirement = models.TextField(_("整改要求"))
    issued_on = models.DateField(_("下达日期"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    reported_at = models.DateTimeField(_("报整改完成时间"), null=True, blank=True)
    report = models.TextField(_("整改情况"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = Scope(
        region=("region",), party=("party",), stream=("finding__inspection__checklist__stream",)
    )

    class Meta:
        verbose_name = _("限期整改通知")
        verbose_name_plural = _("限期整改通知")
        ordering = ["status", "deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("issued_on")), name="order_deadline_after_issue"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Reinspection(models.Model):
    order = models.ForeignKey(
        RectificationOrder,
        verbose_name=_("整改通知"),
        on_delete=models.CASCADE,
        related_name="reinspections",
    )
    inspected_on = models.DateField(_("复查日期"))
    inspectors = models.CharField(_("复查人员"), max_length=120)
    passed = models.BooleanField(_("通过"))
    note = models.TextField(_("复查意见"), blank=True)
    photo = models.FileField(_("照片"), upload_to="cases/reinspections/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope = Scope(
        region=("order__region",),
        party=("order__party",),
        stream=("order__finding__inspection__checklist__stream",),
    )

    class Meta:
        verbose_name = _("复查")
        verbose_name_plural = _("复查")
        ordering = ["order", "inspected_on", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.inspected_on} {'✓' if self.passed else '✗'}"


# --- residents' reports (plan tasks 21-22: a public that takes part) --------------------------


class ReportKind(models.TextChoices):
    DUMPING = "dumping", _("乱倒乱堆垃圾")
    OVERFLOW = "overflow", _("投放点满溢")
    BURNING = "burning", _("露天焚烧")
    MISSED_PICKUP = "missed_pickup", _("垃圾未及时清运")
    MIXED_TRANSPORT = "mixed_transport", _("混装混运")
    OTHER = "other", _("其他问题")


class ReportStage(models.TextChoices):
    RECEIVED = "received", _("已受理")
    ASSIGNED = "assigned", _("已派单")
    HANDLED = "handled", _("已处置")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")


class StageLimit(models.Model):
    """How long a report may stay in a stage before it is escalated (hours), as data."""

    stage = models.CharField(_("环节"), max_length=10, choices=ReportStage.choices, unique=True)
    hours = models.PositiveIntegerField(_("时限（小时）"), validators=[MinValueValidator(1)])

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["stage"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.hours} h"


class Report(models.Model):
    """A resident's report, filed without an account and followed by its code: received →
    assigned to the responsible unit → handled → answered → rated and closed."""

    code = models.CharField(_("查询码"), max_length=16, unique=True)
    kind = models.CharField(_("问题类型"), max_length=16, choices=ReportKind.choices)
    description = models.TextField(_("问题描述"))
    photo = models.FileField(_("照片"), upload_to="cases/reports/%Y/%m/", blank=True)
    lon = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    lat = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    address = models.CharField(_("位置描述"), max_length=200, blank=True)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在区划"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("由位置确定的乡镇（街道）。"),
    )
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("涉及废物类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_masked = models.CharField(_("联系电话（脱敏）"), max_length=16, blank=True)
    client_key = models.CharField(
        _("来源标识"), max_length=64, db_index=True, help_text=_("提交来源的不可逆摘要，用于限流。")
    )
    stage = models.CharField(
        _("办理环节"), max_length=10, choices=ReportStage.choices, default=ReportStage.RECEIVED
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    stage_since = models.DateTimeField(_("进入本环节时间"), default=timezone.now)
    due_at = models.DateTimeField(_("本环节时限"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    alert = models.ForeignKey(
        "alerts.Alert",
        verbose_name=_("关联预警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    answer = models.TextField(_("答复"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("评价"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价意见"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scope = Scope(region=("region",), party=("assigned_party",), stream=("stream",))

    class Meta:
        verbose_name = _("群众举报")
        verbose_name_plural = _("群众举报")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client_key", "created_at"], name="report_client_time"),
            models.Index(fields=["stage", "due_at"], name="report_stage_due"),
        ]

    def __str__(self) -> str:
        return self.code


class ReportEvent(models.Model):
    """One step of a report's handling, shown to the reporter on the follow page."""

    report = models.ForeignKey(
        Report, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=16)
    stage = models.CharField(_("环节"), max_length=10, choices=ReportStage.choices)
    note = models.TextField(_("说明"), blank=True)
    photo = models.FileField(_("照片"), upload_to="cases/report-events/%Y/%m/", blank=True)
    public = models.BooleanField(_("向举报人公开"), default=True)

    scope = Scope(
        region=("report__region",), party=("report__assigned_party",), stream=("report__stream",)
    )

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["report", "at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"
