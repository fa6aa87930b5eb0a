"""Assessment (考核): scoring rules as data, a score per unit and county per period, and the
enterprise environmental credit evaluation."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.plan.choices import CreditLevel, ScoreMeasure
from wufei.plan.models.ledger import Unit


class ScoringRule(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("考核项"), max_length=60)
    measure = models.CharField(_("计分依据"), max_length=24, choices=ScoreMeasure.choices)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    description = models.CharField(_("评分办法"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Score(models.Model):
    """A unit's (or a county government's) score for a period, with each rule's points and
    the facts behind them in ``items``."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("被考核单位"), on_delete=models.PROTECT, related_name="scores"
    )
    period_start = models.DateField(_("考核期起"))
    period_end = models.DateField(_("考核期止"))
    total = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    items = models.JSONField(_("得分明细"), default=list)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    scope = Scope(region=("unit__region",))

    class Meta:
        verbose_name = _("考核得分")
        verbose_name_plural = _("考核得分")
        ordering = ["-period_end", "rank", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period_start", "period_end"], name="score_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start}–{self.period_end}: {self.total}"


class CreditRule(models.Model):
    """One item of the enterprise environmental credit evaluation: what record it reads and
    how many points each occurrence deducts (or adds), capped."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("评价项"), max_length=60)
    points = models.DecimalField(_("每次分值"), max_digits=6, decimal_places=2)
    cap = models.DecimalField(_("封顶分值"), max_digits=6, decimal_places=2)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    description = models.CharField(_("评价标准"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("信用评价规则")
        verbose_name_plural = _("信用评价规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CreditScore(models.Model):
    """A party's environmental credit for a year: score, colour level, and every item."""

    party = models.ForeignKey(
        "registry.Party", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("评价年度"))
    score = models.DecimalField(_("信用分"), max_digits=6, decimal_places=2)
    level = models.CharField(_("信用等级"), max_length=8, choices=CreditLevel.choices)
    items = models.JSONField(_("评价明细"), default=list)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    scope = Scope(region=("party__region", "party__sites__region"), party=("party",))

    class Meta:
        verbose_name = _("环境信用评价")
        verbose_name_plural = _("环境信用评价")
        ordering = ["-year", "score"]
        constraints = [
            models.UniqueConstraint(fields=["party", "year"], name="credit_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.year}: {self.get_level_display()}"
