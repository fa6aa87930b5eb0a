from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStream(models.TextChoices):
    """The streams the planner knows how to collect (codes of ``registry.WasteStream``)."""

    HOUSEHOLD = "household", _("生活垃圾")
    KITCHEN = "kitchen", _("餐厨废弃物")
    MEDICAL = "medical", _("医疗废物")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("已规划")
    FAILED = "failed", _("校验未通过")


class VisitKind(models.TextChoices):
    STOP = "stop", _("收集点")
    UNLOAD = "unload", _("卸料")


class UnplannableCode(models.TextChoices):
    """Why a stop was set aside before solving (stable codes; the solver's presolve adds its
    own with the same meaning)."""

    NO_COORDINATES = "no_coordinates", _("无坐标")
    OVER_CAPACITY = "demand_above_capacity", _("超过所有车辆载量")
    UNREACHABLE_WINDOW = "window_unreachable", _("时间窗无法到达")
    NO_FACILITY = "no_facility", _("无接收设施")
    NO_VEHICLE = "no_vehicle", _("无可用车辆")
    FLEET_SHORT = "fleet_short", _("车辆不足，时间窗内无法收运")
