from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.core.models import in_language


class Department(models.Model):
    """A bureau of the city government and the waste streams it regulates."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=96, blank=True)
    streams = models.ManyToManyField(
        "registry.WasteStream",
        verbose_name=_("主管废物类别"),
        related_name="departments",
        blank=True,
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return in_language(self.name, self.name_en)

    def stream_ids(self) -> list[int]:
        """Ids of this bureau's streams and all their sub-streams (cached per instance)."""
        if not hasattr(self, "_stream_ids"):
            from wufei.registry.models import WasteStream

            self._stream_ids = WasteStream.descendant_ids(self.streams.values_list("pk", flat=True))
        return self._stream_ids


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.PUBLIC)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("管辖区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("县级管理人员为其县（市、区）；督导员为其街道（乡镇）；部门人员可选。"),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.COUNTY_OFFICIAL) | Q(region__isnull=False),
                name="county_official_has_region",
                violation_error_message=_("县级管理人员必须指定所辖县（市、区）。"),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.GUIDE) | Q(region__isnull=False),
                name="guide_has_region",
                violation_error_message=_("督导员必须指定所在街道（乡镇）。"),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.DEPARTMENT_OFFICIAL) | Q(department__isnull=False),
                name="department_official_has_department",
                violation_error_message=_("部门管理人员必须指定部门。"),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.ENTERPRISE, Role.DRIVER]) | Q(party__isnull=False),
                name="enterprise_user_has_party",
                violation_error_message=_("企业用户和驾驶员必须绑定单位。"),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def scope_label(self) -> str:
        """What this account sees, in words (shown in the page header)."""
        parts = [str(self.get_role_display())]
        for item in (self.department, self.region, self.party):
            if item is not None:
                parts.append(str(item))
        return " · ".join(parts)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for an enterprise system or a device; only its hash is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    device = models.ForeignKey(
        "registry.Device",
        verbose_name=_("设备"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
