from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    """The four message contracts; the value is the topic segment (wufei/v1/<kind>/<serial>)."""

    WEIGH = "weigh", _("过磅单")
    GPS = "gps", _("定位点")
    FILL = "fill", _("满溢度")
    DEPOSIT = "deposit", _("分类投放")


class Direction(models.TextChoices):
    IN = "in", _("进场")
    OUT = "out", _("出场")


class WasteClass(models.TextChoices):
    """The four household classes of GB/T 19095-2019."""

    RECYCLABLE = "recyclable", _("可回收物")
    HAZARDOUS = "hazardous", _("有害垃圾")
    KITCHEN = "kitchen", _("厨余垃圾")
    OTHER = "other", _("其他垃圾")


class Channel(models.TextChoices):
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP")
    REPLAY = "replay", _("重放")


class QuarantineReason(models.TextChoices):
    """Why a message was not accepted; stable codes, shown in Chinese."""

    BAD_TOPIC = "bad_topic", _("主题格式错误")
    BAD_JSON = "bad_json", _("不是合法的 JSON")
    SCHEMA = "schema", _("不符合报文格式")
    UNKNOWN_DEVICE = "unknown_device", _("未登记的设备")
    DEVICE_INACTIVE = "device_inactive", _("设备已停用")
    WRONG_DEVICE_KIND = "wrong_device_kind", _("设备类型与报文类型不符")
    FUTURE_TIMESTAMP = "future_timestamp", _("时间晚于接收时间（设备时钟偏差）")
    TOO_OLD = "too_old", _("时间过早")
    OUT_OF_RANGE = "out_of_range", _("数值超出合理范围")
    WEIGHTS_INCONSISTENT = "weights_inconsistent", _("毛重、皮重、净重不一致")
    NOT_PERMITTED = "not_permitted", _("令牌与设备不符")
    INTERNAL = "internal_error", _("平台处理出错")


class QuarantineStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    REPLAYED = "replayed", _("已重放入库")
    DISCARDED = "discarded", _("已作废")


class LinkStatus(models.TextChoices):
    """Whether a weigh ticket found the manifest or container it names."""

    PENDING = "pending", _("待关联")
    LINKED = "linked", _("已关联")
    NO_REFERENCE = "no_reference", _("未注明联单")
    NOT_FOUND = "not_found", _("联单或容器不存在")
    REFUSED = "refused", _("关联被拒绝")
