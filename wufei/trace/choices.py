from django.db import models
from django.utils.translation import gettext_lazy as _


class ContainerKind(models.TextChoices):
    DRUM = "drum", _("桶")
    BAG = "bag", _("袋")
    TONNE_BAG = "tonne_bag", _("吨袋")
    BOX = "box", _("小箱")
    BIG_BOX = "big_box", _("大箱（周转箱）")
    PALLET = "pallet", _("托盘")
    TANK = "tank", _("罐（桶装液体）")
    BIN = "bin", _("收集桶（餐厨）")
    TRUCKLOAD = "truckload", _("整车")
    LOT = "lot", _("批次（产出物）")


class ContainerState(models.TextChoices):
    AT_SOURCE = "at_source", _("在产生单位")
    PACKED = "packed", _("已装入上级容器")
    IN_TRANSIT = "in_transit", _("运输中")
    STORED = "stored", _("在接收单位贮存")
    TREATED = "treated", _("已利用处置")
    TRANSFORMED = "transformed", _("已转化为产出物")
    EMPTIED = "emptied", _("已拆分（空）")


# States a container can still move or change from.
LIVE_STATES = (ContainerState.AT_SOURCE, ContainerState.STORED)


class LinkKind(models.TextChoices):
    PACKED = "packed", _("装入")
    UNPACKED = "unpacked", _("拆出")
    TRANSFORMED = "transformed", _("转化")


class EventKind(models.TextChoices):
    CREATE = "create", _("登记")
    PACK = "pack", _("装箱")
    UNPACK = "unpack", _("拆箱")
    TRANSFORM = "transform", _("转化")
    SUBMIT = "submit", _("提交")
    CANCEL = "cancel", _("撤销")
    PICK_UP = "pick_up", _("起运签收")
    DEPART = "depart", _("在途")
    RECEIVE = "receive", _("接收")
    REJECT = "reject", _("拒收")
    COMPLETE = "complete", _("利用处置完成")
    CORRECTION_PROPOSED = "correction_proposed", _("提出更正")
    CORRECTION_APPROVED = "correction_approved", _("同意更正")
    CORRECTION_REJECTED = "correction_rejected", _("不同意更正")
    CORRECTION_APPLIED = "correction_applied", _("更正生效")
    UPDATE = "update", _("修改草稿")
    WEIGH = "weigh", _("地磅过磅")
