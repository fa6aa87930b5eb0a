"""What the demo generator wrote, so that a second run can refuse and ``--reset`` can remove
exactly the generated rows (and nothing of the reference data or of real users' work)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope


class Generation(models.Model):
    """One run of ``wufei generate``: its scale, seed, row counts and well-known parties."""

    scale = models.CharField(_("规模"), max_length=16)
    seed = models.BigIntegerField(_("随机种子"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    seconds = models.FloatField(_("耗时（秒）"), default=0)
    counts = models.JSONField(_("生成行数"), default=dict)
    anchors = models.JSONField(
        _("关键单位"),
        default=dict,
        help_text=_(
            "演示账号绑定的单位与区划：键为用途（如 hospital、guide_town），值为单位或区划 ID。"
        ),
    )

    # Only the platform administrators and the city office see generator runs.
    scope = Scope()

    class Meta:
        verbose_name = _("演示数据生成记录")
        verbose_name_plural = _("演示数据生成记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.scale} · {self.seed}"


class GeneratedParty(models.Model):
    """A party the generator created; its sites, facilities, permits, vehicles and devices
    hang off it, so this one link identifies every generated registry row."""

    generation = models.ForeignKey(
        Generation, verbose_name=_("生成记录"), on_delete=models.CASCADE, related_name="parties"
    )
    party = models.OneToOneField(
        "registry.Party", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    sector = models.CharField(_("门类"), max_length=32, db_index=True)
    attrs = models.JSONField(
        _("生成属性"),
        default=dict,
        blank=True,
        help_text=_("模型中没有字段的属性，如小区户数、是否试点小区。"),
    )

    scope = Scope(region=("party__region",), party=("party",))

    class Meta:
        verbose_name = _("演示单位")
        verbose_name_plural = _("演示单位")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sector} · {self.party_id}"
