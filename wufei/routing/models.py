"""Collection route plans as records: a plan for one stream, county and day, its routes and
their visits; and the baseline Rounds (fixed district rounds as drivers run them today) that
each plan's saving is measured against.

Times are stored as aware datetimes (shown Asia/Shanghai); figures the solver works in
(metres, seconds, cost units) are stored as integers so a plan reads back exactly as solved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.routing.choices import PlanStatus, VisitKind


class RoutePlan(models.Model):
    """One planning run: what was asked, what the solver found, what the checker said."""

    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("废物类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "registry.Region",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("收运日期"))
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices)
    budget_s = models.FloatField(_("求解时限（秒）"))
    travel = models.CharField(_("距离与时间来源"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    stops_total = models.PositiveIntegerField(_("收集点数"), default=0)
    stops_served = models.PositiveIntegerField(_("已安排收集点"), default=0)
    cost = models.BigIntegerField(_("成本（分）"), default=0)
    distance_m = models.BigIntegerField(_("里程（米）"), default=0)
    duration_s = models.BigIntegerField(_("作业时长（秒）"), default=0)
    runtime_s = models.FloatField(_("求解用时（秒）"), default=0)
    baseline_cost = models.BigIntegerField(_("现行线路成本（分）"), null=True, blank=True)
    baseline_distance_m = models.BigIntegerField(_("现行线路里程（米）"), null=True, blank=True)
    baseline_duration_s = models.BigIntegerField(_("现行线路时长（秒）"), null=True, blank=True)
    saving_pct = models.DecimalField(
        _("成本节约（%）"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    unplannable = models.JSONField(
        _("未能规划的收集点"), default=list, help_text=_("[{key, site, code, message}]")
    )
    deferred = models.JSONField(_("顺延收集点"), default=list)
    violations = models.JSONField(_("校验问题"), default=list)

    scope = Scope(
        region=("county",),
        stream=("stream",),
        party=("routes__vehicle__party",),
        multi_valued=True,
    )

    class Meta:
        verbose_name = _("收运路线方案")
        verbose_name_plural = _("收运路线方案")
        ordering = ["-day", "-created_at", "-pk"]
        indexes = [models.Index(fields=["county", "stream", "day"], name="routeplan_slice")]

    def __str__(self) -> str:
        return f"{self.county} {self.stream} {self.day:%Y-%m-%d}"


class PlannedRoute(models.Model):
    """One vehicle's day in a plan: depot → stops (unloading between trips) → depot."""

    plan = models.ForeignKey(
        RoutePlan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="routes"
    )
    vehicle = models.ForeignKey(
        "registry.Vehicle", verbose_name=_("车辆"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveSmallIntegerField(_("线路序号"))
    start_at = models.DateTimeField(_("出车时间"))
    end_at = models.DateTimeField(_("收车时间"))
    distance_m = models.BigIntegerField(_("里程（米）"))
    duration_s = models.BigIntegerField(_("时长（秒）"))
    cost = models.BigIntegerField(_("成本（分）"))
    trips = models.PositiveSmallIntegerField(_("趟数"), default=1)
    load_profile = models.JSONField(
        _("载重曲线"), default=list, help_text=_("[[时刻（秒）, 载重（千克）], …]")
    )
    path = models.JSONField(_("线路坐标"), default=list, help_text=_("[[经度, 纬度], …]"))

    scope = Scope(region=("plan__county",), stream=("plan__stream",), party=("vehicle__party",))

    class Meta:
        verbose_name = _("规划线路")
        verbose_name_plural = _("规划线路")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="route_number_per_plan"),
            models.UniqueConstraint(fields=["plan", "vehicle"], name="route_vehicle_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} #{self.number} {self.vehicle}"


class PlannedVisit(models.Model):
    """A stop served or an unload, in route order, with planned times and the load after."""

    route = models.ForeignKey(
        PlannedRoute, verbose_name=_("线路"), on_delete=models.CASCADE, related_name="visits"
    )
    seq = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("类型"), max_length=8, choices=VisitKind.choices)
    site = models.ForeignKey(
        "registry.Site",
        verbose_name=_("收集点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    facility = models.ForeignKey(
        "registry.Facility",
        verbose_name=_("卸料设施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    arrive_at = models.DateTimeField(_("到达时间"))
    start_at = models.DateTimeField(_("开始作业"))
    depart_at = models.DateTimeField(_("离开时间"))
    window_start = models.DateTimeField(_("时间窗起"), null=True, blank=True)
    window_end = models.DateTimeField(_("时间窗止"), null=True, blank=True)
    demand_kg = models.PositiveIntegerField(_("收集量（千克）"), default=0)
    load_after_kg = models.PositiveIntegerField(_("作业后载重（千克）"), default=0)
    required = models.BooleanField(_("当日必收"), default=True)

    scope = Scope(
        region=("route__plan__county",),
        stream=("route__plan__stream",),
        party=("route__vehicle__party",),
    )

    class Meta:
        verbose_name = _("规划停靠点")
        verbose_name_plural = _("规划停靠点")
        ordering = ["route", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["route", "seq"], name="visit_seq_per_route"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="stop", site__isnull=False, facility__isnull=True)
                    | models.Q(kind="unload", facility__isnull=False, site__isnull=True)
                ),
                name="visit_names_its_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} · {self.seq}"


class Round(models.Model):
    """The baseline: one vehicle's fixed district round for a stream in a county, in the
    order its driver runs it today. Plans are measured against the cost of these rounds."""

    vehicle = models.ForeignKey(
        "registry.Vehicle", verbose_name=_("车辆"), on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        "registry.Region",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stream = models.ForeignKey(
        "registry.WasteStream",
        verbose_name=_("废物类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("线路名称"), max_length=120)
    is_active = models.BooleanField(_("在用"), default=True)

    scope = Scope(region=("county",), stream=("stream",), party=("vehicle__party",))

    class Meta:
        verbose_name = _("现行收运线路")
        verbose_name_plural = _("现行收运线路")
        ordering = ["county", "stream", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "county", "stream"], name="round_per_vehicle_county_stream"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoundStop(models.Model):
    round = models.ForeignKey(
        Round, verbose_name=_("线路"), on_delete=models.CASCADE, related_name="stops"
    )
    seq = models.PositiveSmallIntegerField(_("顺序"))
    site = models.ForeignKey(
        "registry.Site", verbose_name=_("收集点"), on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(
        region=("round__county",), stream=("round__stream",), party=("round__vehicle__party",)
    )

    class Meta:
        verbose_name = _("现行线路站点")
        verbose_name_plural = _("现行线路站点")
        ordering = ["round", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["round", "seq"], name="roundstop_seq_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.seq}"
