from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Who a user is. One role per account; scope fields on the user narrow it."""

    ADMIN = "admin", _("平台管理员")
    CITY_OFFICIAL = "city", _("市级管理人员")
    COUNTY_OFFICIAL = "county", _("县（市、区）管理人员")
    DEPARTMENT_OFFICIAL = "department", _("部门管理人员")
    ENTERPRISE = "enterprise", _("企业用户")
    DRIVER = "driver", _("驾驶员")
    GUIDE = "guide", _("垃圾分类督导员")
    PUBLIC = "public", _("公众")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    ADD = "add", _("新建")
    CHANGE = "change", _("修改")
