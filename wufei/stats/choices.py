from django.db import models
from django.utils.translation import gettext_lazy as _


class Quantity(models.TextChoices):
    """What a rollup row measures. The five fates are the registry's ``Fate`` values, so a
    treatment method's fate is the quantity its tonnes are counted under."""

    GENERATED = "generated", _("产生量")
    RECEIVED = "received", _("接收量")
    UTILISED = "utilised", _("资源化利用量")
    ENERGY = "energy", _("能量回收量")
    LANDFILLED = "landfilled", _("填埋量")
    TREATED = "treated", _("无害化处理（其他）量")
    STORED = "stored", _("贮存净增量")
    UTILISED_PRIOR = "utilised_prior", _("其中：综合利用往年贮存量")
    DISPOSED_PRIOR = "disposed_prior", _("其中：处置往年贮存量")
    DUMPED = "dumped", _("倾倒丢弃量")


FATES = (
    Quantity.UTILISED,
    Quantity.ENERGY,
    Quantity.LANDFILLED,
    Quantity.TREATED,
    Quantity.STORED,
)


class Source(models.TextChoices):
    MANIFEST = "manifest", _("电子联单")
    DECLARED = "declared", _("申报")


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已审核")
    RETURNED = "returned", _("已退回")


# Declarations whose figures count in the statistics.
COUNTED_STATUSES = (DeclarationStatus.SUBMITTED, DeclarationStatus.ACCEPTED)


class Direction(models.TextChoices):
    UP = "up", _("越高越好")
    DOWN = "down", _("越低越好")


class Mandatory(models.TextChoices):
    REQUIRED = "required", _("必选")
    OPTIONAL = "optional", _("可选")
    UNKNOWN = "unknown", _("未核实")


class ValueStatus(models.TextChoices):
    OK = "ok", _("已计算")
    NO_DATA = "no_data", _("缺少数据")
    ERROR = "error", _("公式错误")
