from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.TextChoices):
    """Every rule that raises an alert, across the apps."""

    WEIGHT_GAP = "weight_gap", _("磅差超限")
    PICKUP_OVERDUE = "pickup_overdue", _("超时未起运")
    RECEIPT_OVERDUE = "receipt_overdue", _("超时未接收")
    COMPLETION_OVERDUE = "completion_overdue", _("超时未完成利用处置")
    STORAGE_OVERDUE = "storage_overdue", _("暂存超时")
    PERMIT_INVALID = "permit_invalid", _("许可证失效或不覆盖该废物")
    ANNUAL_QUANTITY = "annual_quantity", _("超出年许可量")
    VEHICLE_UNFIT = "vehicle_unfit", _("车辆不符合要求")
    REJECTED = "rejected", _("拒收")
    ROUTE_DEVIATION = "route_deviation", _("偏离预定路线")
    SUSPECTED_DUMPING = "suspected_dumping", _("疑似偷倒（异常停留）")
    TICKET_WEIGHT_GAP = "ticket_weight_gap", _("两端过磅重量不符")
    UNLICENSED_HAZMAT = "unlicensed_hazmat", _("无资质车辆运输危险废物")
    BIN_FULL = "bin_full", _("垃圾桶满溢")
    DEVICE_SILENT = "device_silent", _("设备离线")


class Severity(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("警告")
    CRITICAL = "critical", _("严重")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已解决")
