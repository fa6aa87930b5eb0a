from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交待起运")
    PICKED_UP = "picked_up", _("已起运")
    IN_TRANSIT = "in_transit", _("运输中")
    RECEIVED = "received", _("已接收")
    COMPLETED = "completed", _("已完成")
    REJECTED = "rejected", _("已拒收")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATES = (State.SUBMITTED, State.PICKED_UP, State.IN_TRANSIT, State.RECEIVED)
CLOSED_STATES = (State.COMPLETED, State.REJECTED, State.CANCELLED)


class Signer(models.TextChoices):
    GENERATOR = "generator", _("移出单位")
    TRANSPORTER = "transporter", _("运输单位")
    RECEIVER = "receiver", _("接收单位")


class RevisionStatus(models.TextChoices):
    PENDING = "pending", _("待各方确认")
    APPLIED = "applied", _("已生效")
    REJECTED = "rejected", _("未通过")
