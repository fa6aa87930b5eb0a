"""Household waste sorting (plan tasks 4 and 10): the compounds and villages that sort, their
households with one code each (一户一码), the stations where waste is put out at fixed times
(定时定点) and recyclables points (两网融合), the sorting guides (督导员) with their shifts,
inspections and training, every drop of waste, the points it earns, the flags of suspicious
patterns, the sorting lookup dictionary and the 以奖代补 assessment of communities.

Drops and points entries are append-only: a mistake is corrected by a reversing entry, never by
an edit, so a household's balance always equals the sum of its ledger.
"""

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
from wufei.iot.choices import WasteClass

HOUSEHOLD = "household"  # the stream household sorting is about (urban management regulates it)


class AppendOnly(models.Model):
    """A row that is written once: saving it again or deleting it is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


# --- places -------------------------------------------------------------------------------------


class CommunityKind(models.TextChoices):
    COMPOUND = "compound", _("城镇居民小区")
    VILLAGE = "village", _("行政村")


class Community(models.Model):
    """A residential compound (小区) under a street, or a village under a town, that sorts."""

    kind = models.CharField(_("类型"), max_length=12, choices=CommunityKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    site = models.OneToOneField(
        "registry.Site",
        verbose_name=_("登记场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sorting_community",
        help_text=_("平台登记的居民小区或行政村场所，智能分类箱的投放记录据此归属。"),
    )
    committee = models.ForeignKey(
        "registry.Party",
        verbose_name=_("社区居委会（村委会）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    households_total = models.PositiveIntegerField(
        _("常住户数"), default=0, help_text=_("小区（村）的常住户数，用于计算登记率。")
    )
    is_pilot = models.BooleanField(_("分类试点"), default=False)
    sorting_since = models.DateField(_("开始分类日期"), null=True, blank=True)
    coarse_sorting = models.BooleanField(
        _("大类粗分"), default=False, help_text=_("农村按“可烂、不可烂”等大类粗分投放。")
    )
    collection_covered = models.BooleanField(
        _("纳入收运体系"), default=True, help_text=_("生活垃圾有固定收运服务覆盖。")
    )
    lon = optional_longitude()
    lat = optional_latitude()
    is_active = models.BooleanField(_("有效"), default=True)

    scope = Scope(region=("region",), party=("committee",), stream_code=HOUSEHOLD)

    class Meta:
        verbose_name = _("分类小区（村）")
        verbose_name_plural = _("分类小区（村）")
        ordering = ["region__adcode", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="community_name_in_region")
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """One household, known by its printed code and card number; no names are kept."""

    community = models.ForeignKey(
        Community, verbose_name=_("小区（村）"), on_delete=models.PROTECT, related_name="households"
    )
    code = models.CharField(_("户码"), max_length=32, unique=True)
    card_number = models.CharField(_("卡号"), max_length=32, unique=True, null=True, blank=True)
    unit = models.CharField(_("门牌"), max_length=40, blank=True, help_text=_("如 3号楼2单元501。"))
    phone_masked = models.CharField(
        _("联系电话（脱敏）"),
        max_length=16,
        blank=True,
        help_text=_("只保存脱敏号码，如 138****1234。"),
    )
    registered_on = models.DateField(_("登记日期"), default=timezone.localdate)
    is_active = models.BooleanField(_("有效"), default=True)
    points_balance = models.IntegerField(_("积分余额"), default=0, editable=False)

    scope = Scope(
        region=("community__region",),
        party=("community__committee",),
        stream_code=HOUSEHOLD,
        guide_can_write=True,
    )

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["community", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="household_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.code


class StationKind(models.TextChoices):
    SORTING = "sorting", _("分类投放点")
    RECYCLABLES = "recyclables", _("可回收物回收点")
    HAZARDOUS = "hazardous", _("有害垃圾暂存点")
    REDEMPTION = "redemption", _("积分兑换点")


class Station(models.Model):
    """A place residents bring waste to, at fixed times (定时定点), or redeem points at."""

    kind = models.CharField(_("类型"), max_length=12, choices=StationKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    community = models.ForeignKey(
        Community,
        verbose_name=_("小区（村）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stations",
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    device = models.ForeignKey(
        "registry.Device",
        verbose_name=_("智能分类箱"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    operator = models.ForeignKey(
        "registry.Party",
        verbose_name=_("运营单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("回收点、兑换点的经营者（两网融合）。"),
    )
    schedule = models.JSONField(
        _("投放时段"),
        default=list,
        blank=True,
        help_text=_('定时投放时段，如 [["07:00", "09:00"], ["18:00", "21:00"]]；空表示全天。'),
    )
    lon = optional_longitude()
    lat = optional_latitude()
    is_active = models.BooleanField(_("有效"), default=True)

    scope = Scope(
        region=("region",), party=("operator", "community__committee"), stream_code=HOUSEHOLD
    )

    class Meta:
        verbose_name = _("投放点")
        verbose_name_plural = _("投放点")
        ordering = ["region__adcode", "name"]

    def __str__(self) -> str:
        return self.name


# --- guides ------------------------------------------------------------------------------------


class Guide(models.Model):
    """A sorting guide (垃圾分类宣传引导员/督导员) on the roster of a street."""

    name = models.CharField(_("姓名"), max_length=32)
    phone_masked = models.CharField(_("联系电话（脱敏）"), max_length=16, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guide",
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stations = models.ManyToManyField(
        Station, verbose_name=_("负责投放点"), blank=True, related_name="guides"
    )
    is_volunteer = models.BooleanField(_("志愿者"), default=False)
    joined_on = models.DateField(_("上岗日期"), default=timezone.localdate)
    is_active = models.BooleanField(_("在岗"), default=True)

    scope = Scope(region=("region",), stream_code=HOUSEHOLD)

    class Meta:
        verbose_name = _("督导员")
        verbose_name_plural = _("督导员")
        ordering = ["region__adcode", "name"]

    def __str__(self) -> str:
        return self.name


class ShiftStatus(models.TextChoices):
    PLANNED = "planned", _("已排班")
    ON_DUTY = "on_duty", _("已到岗")
    ABSENT = "absent", _("缺岗")


class Shift(models.Model):
    """A guide's duty at a station during its put-out times."""

    guide = models.ForeignKey(
        Guide, verbose_name=_("督导员"), on_delete=models.CASCADE, related_name="shifts"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("投放点"), on_delete=models.CASCADE, related_name="shifts"
    )
    day = models.DateField(_("日期"))
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    status = models.CharField(
        _("状态"), max_length=8, choices=ShiftStatus.choices, default=ShiftStatus.PLANNED
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    scope = Scope(region=("station__region",), stream_code=HOUSEHOLD, guide_can_write=True)

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["-day", "starts"]
        constraints = [
            models.UniqueConstraint(
                fields=["guide", "day", "starts"], name="shift_one_per_guide_and_start"
            ),
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="shift_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guide_id} {self.day} {self.starts:%H:%M}"


class StationCheck(models.Model):
    """A guide's or official's inspection of a station (桶边督导、巡查)."""

    station = models.ForeignKey(
        Station, verbose_name=_("投放点"), on_delete=models.PROTECT, related_name="checks"
    )
    guide = models.ForeignKey(
        Guide,
        verbose_name=_("督导员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checks",
    )
    checked_at = models.DateTimeField(_("检查时间"), default=timezone.now)
    bins_clean = models.BooleanField(_("桶体整洁"), default=True)
    overflowing = models.BooleanField(_("满溢"), default=False)
    mixed = models.BooleanField(_("混投混放"), default=False)
    signage_ok = models.BooleanField(_("标识齐全"), default=True)
    score = models.PositiveSmallIntegerField(
        _("得分"), validators=[MaxValueValidator(100)], help_text=_("0-100。")
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    photo = models.FileField(_("照片"), upload_to="sorting/checks/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = Scope(region=("station__region",), stream_code=HOUSEHOLD, guide_can_write=True)

    class Meta:
        verbose_name = _("投放点检查")
        verbose_name_plural = _("投放点检查")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.station_id} {self.checked_at:%Y-%m-%d}"


class Training(models.Model):
    """A training session for guides (宣传引导员专项培训)."""

    title = models.CharField(_("培训主题"), max_length=120)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=120)
    trainer = models.CharField(_("主讲"), max_length=64, blank=True)
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("组织区划"), on_delete=models.PROTECT, related_name="+"
    )
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, default=Decimal(2))
    guides = models.ManyToManyField(
        Guide, through="Attendance", verbose_name=_("参训督导员"), related_name="trainings"
    )

    scope = Scope(region=("region",), stream_code=HOUSEHOLD)

    class Meta:
        verbose_name = _("督导员培训")
        verbose_name_plural = _("督导员培训")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("培训"), on_delete=models.CASCADE, related_name="attendance"
    )
    guide = models.ForeignKey(
        Guide, verbose_name=_("督导员"), on_delete=models.CASCADE, related_name="attendance"
    )
    present = models.BooleanField(_("出席"), default=True)
    passed = models.BooleanField(_("考核合格"), null=True, blank=True)

    scope = Scope(region=("training__region",), stream_code=HOUSEHOLD)

    class Meta:
        verbose_name = _("培训签到")
        verbose_name_plural = _("培训签到")
        constraints = [
            models.UniqueConstraint(fields=["training", "guide"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.training_id} {self.guide_id}"


# --- drops, points and flags -----------------------------------------------------------------


class DropSource(models.TextChoices):
    SMART_BIN = "smart_bin", _("智能分类箱")
    GUIDE = "guide", _("督导员登记")


class Drop(AppendOnly):
    """One household's drop of one class of waste, from a smart bin or a guide's phone.

    A drop whose household code is not registered is kept with ``household`` empty (未登记户码),
    to be matched when the household is registered; nothing is dropped."""

    community = models.ForeignKey(
        Community, verbose_name=_("小区（村）"), on_delete=models.PROTECT, related_name="drops"
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("投放点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drops",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("住户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drops",
    )
    household_code = models.CharField(_("户码/卡号"), max_length=32)
    source = models.CharField(_("来源"), max_length=10, choices=DropSource.choices)
    deposit = models.OneToOneField(
        "iot.Deposit",
        verbose_name=_("设备投放记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drop",
    )
    waste_class = models.CharField(_("垃圾类别"), max_length=12, choices=WasteClass.choices)
    weight_kg = models.DecimalField(_("重量（千克）"), max_digits=7, decimal_places=2)
    correct = models.BooleanField(
        _("分类正确"), null=True, blank=True, help_text=_("督导员检查的结果；空表示未检查。")
    )
    guide = models.ForeignKey(
        Guide,
        verbose_name=_("督导员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drops",
    )
    photo = models.FileField(_("照片"), upload_to="sorting/drops/%Y/%m/", blank=True)
    dropped_at = models.DateTimeField(_("投放时间"))
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope = Scope(
        region=("community__region",),
        party=("community__committee",),
        stream_code=HOUSEHOLD,
        guide_can_write=True,
    )

    class Meta:
        verbose_name = _("投放记录")
        verbose_name_plural = _("投放记录")
        ordering = ["-dropped_at", "-id"]
        indexes = [
            models.Index(fields=["community", "dropped_at"], name="drop_community_time"),
            models.Index(fields=["household", "dropped_at"], name="drop_household_time"),
            models.Index(fields=["household_code"], name="drop_code"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="drop_weight_positive")
        ]

    def __str__(self) -> str:
        return f"{self.household_code} {self.get_waste_class_display()} {self.weight_kg} kg"


class RuleKind(models.TextChoices):
    PER_CORRECT_DROP = "per_drop", _("每次正确投放")
    PER_KG = "per_kg", _("每千克")
    FIRST_OF_DAY = "first_of_day", _("每日首次投放奖励")
    DAILY_CAP = "daily_cap", _("每日积分上限")


class PointsRule(models.Model):
    """A points rule, as data: what earns how many points, from when to when."""

    code = models.SlugField(_("规则代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("规则类型"), max_length=16, choices=RuleKind.choices)
    waste_class = models.CharField(
        _("垃圾类别"),
        max_length=12,
        choices=WasteClass.choices,
        blank=True,
        help_text=_("空表示所有类别。"),
    )
    points = models.PositiveIntegerField(
        _("积分"), help_text=_("每次、每千克或奖励的积分；上限规则为每日最多积分。")
    )
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    EARN = "earn", _("投放积分")
    BONUS = "bonus", _("奖励积分")
    CORRECTION = "correction", _("更正")
    REDEEM = "redeem", _("兑换")


class Redemption(AppendOnly):
    """Points spent at a redemption point or recyclables shop."""

    household = models.ForeignKey(
        Household, verbose_name=_("住户"), on_delete=models.PROTECT, related_name="redemptions"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("兑换点"), on_delete=models.PROTECT, related_name="redemptions"
    )
    item = models.CharField(_("兑换物品"), max_length=64)
    points = models.PositiveIntegerField(_("积分"), validators=[MinValueValidator(1)])
    redeemed_at = models.DateTimeField(_("兑换时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = Scope(
        region=("household__community__region",),
        party=("station__operator", "household__community__committee"),
        stream_code=HOUSEHOLD,
        guide_can_write=True,
    )

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-redeemed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item} −{self.points}"


class PointsEntry(AppendOnly):
    """One line of a household's points ledger; ``balance_after`` is the running balance."""

    household = models.ForeignKey(
        Household, verbose_name=_("住户"), on_delete=models.PROTECT, related_name="points"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    delta = models.IntegerField(_("积分变动"))
    balance_after = models.IntegerField(_("变动后余额"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    drop = models.ForeignKey(
        Drop,
        verbose_name=_("投放记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points",
    )
    rule = models.ForeignKey(
        PointsRule,
        verbose_name=_("积分规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    redemption = models.OneToOneField(
        Redemption,
        verbose_name=_("兑换"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entry",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲正对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = Scope(
        region=("household__community__region",),
        party=("household__community__committee",),
        stream_code=HOUSEHOLD,
    )

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["household", "id"]
        indexes = [models.Index(fields=["household", "at"], name="points_household_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_balance_after_not_negative"
            ),
            models.UniqueConstraint(
                fields=["drop", "rule"],
                condition=Q(kind__in=["earn", "bonus"]),
                name="points_once_per_drop_and_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"


class FlagKind(models.TextChoices):
    RAPID_REPEAT = "rapid_repeat", _("短时间内重复投放")
    IMPLAUSIBLE_WEIGHT = "implausible_weight", _("重量异常")
    GUIDE_REPEAT = "guide_repeat", _("督导员反复为同一住户登记")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    CLEARED = "cleared", _("核查无误")
    CONFIRMED = "confirmed", _("确认违规")


class Flag(models.Model):
    """A suspicious pattern, kept for a person to review: confirming it reverses the points the
    flagged drops earned; clearing it keeps them."""

    kind = models.CharField(_("类型"), max_length=20, choices=FlagKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("住户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
    )
    guide = models.ForeignKey(
        Guide,
        verbose_name=_("督导员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
    )
    drop = models.ForeignKey(
        Drop,
        verbose_name=_("投放记录"),
        on_delete=models.PROTECT,
        related_name="flags",
        help_text=_("触发核查的那次投放。"),
    )
    detail = models.CharField(_("说明"), max_length=300)
    raised_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_note = models.CharField(_("核查意见"), max_length=300, blank=True)

    scope = Scope(
        region=("drop__community__region",),
        party=("drop__community__committee",),
        stream_code=HOUSEHOLD,
    )

    class Meta:
        verbose_name = _("异常投放核查")
        verbose_name_plural = _("异常投放核查")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "drop"], name="flag_once_per_kind_and_drop")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.drop_id}"


# --- published measures ----------------------------------------------------------------------


class CommunityDay(models.Model):
    """A community's drops of one class on one day, summed from the drops (derived; rebuilt by
    ``wufei sorting-rollup``). Daily to yearly figures read these; distinct households over a
    period are counted from the drops."""

    community = models.ForeignKey(
        Community, verbose_name=_("小区（村）"), on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("日期"))
    waste_class = models.CharField(_("垃圾类别"), max_length=12, choices=WasteClass.choices)
    drops = models.PositiveIntegerField(_("投放次数"))
    households = models.PositiveIntegerField(_("投放户数"))
    weight_kg = models.DecimalField(_("重量（千克）"), max_digits=12, decimal_places=2)
    checked = models.PositiveIntegerField(_("检查次数"))
    correct = models.PositiveIntegerField(_("正确次数"))

    scope = Scope(
        region=("community__region",), party=("community__committee",), stream_code=HOUSEHOLD
    )

    class Meta:
        verbose_name = _("小区日汇总")
        verbose_name_plural = _("小区日汇总")
        ordering = ["-day", "community"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "day", "waste_class"], name="community_day_class_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day} {self.waste_class}"


class AssessmentScheme(models.Model):
    """The 以奖代补 scoring rules for communities, as data: ``rules`` is a list of
    ``{"measure": code, "weight": points, "full_at": value, "zero_at": value}``; a measure at
    or beyond ``full_at`` earns the full weight, at or short of ``zero_at`` nothing, linearly
    between."""

    name = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    rules = models.JSONField(_("评分规则"))
    award_per_point = models.DecimalField(
        _("每分奖补金额（元）"), max_digits=10, decimal_places=2, default=Decimal(0)
    )
    pass_score = models.DecimalField(
        _("奖补起点分"), max_digits=5, decimal_places=1, default=Decimal(60)
    )
    is_active = models.BooleanField(_("启用"), default=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("以奖代补考核方案")
        verbose_name_plural = _("以奖代补考核方案")
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return self.name


class CommunityScore(models.Model):
    """A community's score under a scheme for one period (derived; recomputed on demand)."""

    scheme = models.ForeignKey(
        AssessmentScheme,
        verbose_name=_("考核方案"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    community = models.ForeignKey(
        Community, verbose_name=_("小区（村）"), on_delete=models.CASCADE, related_name="scores"
    )
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    rank = models.PositiveIntegerField(_("排名"))
    award_yuan = models.DecimalField(_("奖补金额（元）"), max_digits=12, decimal_places=2)
    breakdown = models.JSONField(_("得分明细"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    scope = Scope(
        region=("community__region",), party=("community__committee",), stream_code=HOUSEHOLD
    )

    class Meta:
        verbose_name = _("小区考核得分")
        verbose_name_plural = _("小区考核得分")
        ordering = ["scheme", "period_start", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "community", "period_start", "period_end"],
                name="community_score_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.score}"


# --- the lookup ----------------------------------------------------------------------------------


class SortingItem(models.Model):
    """An entry of the sorting lookup (垃圾分类查询): an item, its class and how to put it out."""

    name = models.CharField(_("物品"), max_length=40, unique=True)
    aliases = models.CharField(
        _("别名"), max_length=200, blank=True, help_text=_("用顿号或逗号分隔。")
    )
    waste_class = models.CharField(_("垃圾类别"), max_length=12, choices=WasteClass.choices)
    group = models.CharField(
        _("小类"), max_length=20, blank=True, help_text=_("如 纸类、塑料、电池。")
    )
    instruction = models.CharField(_("投放要求"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("分类查询词条")
        verbose_name_plural = _("分类查询词条")
        ordering = ["waste_class", "name"]

    def __str__(self) -> str:
        return self.name
