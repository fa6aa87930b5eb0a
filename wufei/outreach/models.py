"""Education and a public that takes part (plan tasks 21 and 22): events residents can book
(企业开放日, visits to the 无废城市 education base, lectures and contests) and the satisfaction
survey whose results feed the 群众获得感 indicators."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope


class EventKind(models.TextChoices):
    OPEN_DAY = "open_day", _("企业开放日")
    EDUCATION_BASE = "education_base", _("教育基地参观")
    CAMPAIGN = "campaign", _("主题宣传活动")
    CONTEST = "contest", _("创意大赛")
    TRAINING = "training", _("公众培训讲座")


class Event(models.Model):
    kind = models.CharField(_("活动类型"), max_length=16, choices=EventKind.choices)
    title = models.CharField(_("活动名称"), max_length=120)
    description = models.TextField(_("活动介绍"), blank=True)
    host = models.ForeignKey(
        "registry.Party",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"), validators=[MinValueValidator(1)])
    booked = models.PositiveIntegerField(_("已预约人数"), default=0, editable=False)
    booking_closes_at = models.DateTimeField(_("预约截止时间"))
    is_published = models.BooleanField(_("已发布"), default=True)
    cancelled_at = models.DateTimeField(
        _("取消时间"), null=True, blank=True, help_text=_("活动取消后不再发布，预约一并取消。")
    )

    scope = Scope(region=("region",), party=("host",), public=Q(is_published=True))

    class Meta:
        verbose_name = _("宣传教育活动")
        verbose_name_plural = _("宣传教育活动")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=models.F("capacity")), name="event_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    ATTENDED = "attended", _("已参加")


class Booking(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="bookings"
    )
    code = models.CharField(_("预约码"), max_length=16, unique=True)
    name = models.CharField(_("联系人"), max_length=32)
    phone_masked = models.CharField(_("联系电话（脱敏）"), max_length=16)
    people = models.PositiveSmallIntegerField(
        _("人数"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    client_key = models.CharField(_("来源标识"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("预约时间"), default=timezone.now)

    scope = Scope(region=("event__region",), party=("event__host",))

    class Meta:
        verbose_name = _("活动预约")
        verbose_name_plural = _("活动预约")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class SurveyDimension(models.TextChoices):
    """The five dimensions of a public satisfaction survey (as Zhejiang's 无废城市 survey)."""

    AWARENESS = "awareness", _("认知度")
    PARTICIPATION = "participation", _("参与度")
    SATISFACTION = "satisfaction", _("满意度")
    GAIN = "gain", _("获得感")
    CONFIDENCE = "confidence", _("信心度")


class SurveyResponse(models.Model):
    """One anonymous answer to the satisfaction survey: a score of 1-5 per dimension."""

    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    awareness = models.PositiveSmallIntegerField(
        _("认知度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    participation = models.PositiveSmallIntegerField(
        _("参与度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    gain = models.PositiveSmallIntegerField(
        _("获得感"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    confidence = models.PositiveSmallIntegerField(
        _("信心度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("意见建议"), max_length=300, blank=True)
    client_key = models.CharField(_("来源标识"), max_length=64, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    scope = Scope(region=("region",))

    class Meta:
        verbose_name = _("满意度调查答卷")
        verbose_name_plural = _("满意度调查答卷")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.region_id} {self.submitted_at:%Y-%m-%d}"
