"""Work bulletins (工作简报) like seed 004: issue number, issuing office, date, contents,
articles written in the platform, data sections filled from the period's figures, and the
报/发 distribution lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.plan.choices import ArticleKind, BulletinStatus

OFFICE = "许昌市“无废城市”建设试点工作推进小组办公室"
MASTHEAD = "许昌市“无废城市”建设试点 工作简报"


class Bulletin(models.Model):
    number = models.PositiveIntegerField(_("期号"), unique=True)
    masthead = models.CharField(_("刊头"), max_length=60, default=MASTHEAD)
    office = models.CharField(_("编印单位"), max_length=60, default=OFFICE)
    issued_on = models.DateField(_("印发日期"))
    period_start = models.DateField(_("数据期起"), null=True, blank=True)
    period_end = models.DateField(_("数据期止"), null=True, blank=True)
    send_to = models.CharField(_("报"), max_length=200, blank=True)
    copy_to = models.CharField(_("发"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    published_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编辑"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(region=("region",), public=Q(status=BulletinStatus.PUBLISHED))

    class Meta:
        verbose_name = _("工作简报")
        verbose_name_plural = _("工作简报")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.masthead}（第{self.number}期）"


class Article(models.Model):
    bulletin = models.ForeignKey(
        Bulletin, verbose_name=_("简报"), on_delete=models.CASCADE, related_name="articles"
    )
    order = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(
        _("栏目"), max_length=8, choices=ArticleKind.choices, default=ArticleKind.ARTICLE
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"), blank=True)
    data_section = models.CharField(
        _("数据专栏"),
        max_length=24,
        blank=True,
        help_text=_("数据专栏的来源：indicators、manifests、alerts、cases、sorting、ledger。"),
    )
    data = models.JSONField(_("数据快照"), default=dict, blank=True)
    in_contents = models.BooleanField(_("列入本期要目"), default=True)

    scope = Scope(region=("bulletin__region",), public=Q(bulletin__status=BulletinStatus.PUBLISHED))

    class Meta:
        verbose_name = _("简报文章")
        verbose_name_plural = _("简报文章")
        ordering = ["bulletin", "order"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "order"], name="article_order_unique")
        ]

    def __str__(self) -> str:
        return self.title
