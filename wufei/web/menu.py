"""The navigation menu, built from what the actor may see."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import may, role_of
from wufei.alerts.models import Alert
from wufei.cases.models import Campaign, DumpSite, Inspection, RectificationOrder
from wufei.iot.models import Deposit, GpsFix, QuarantinedMessage, WeighTicket
from wufei.manifests.models import Manifest
from wufei.plan.models import (
    Bulletin,
    CreditScore,
    Meeting,
    Notice,
    ProgressReport,
    Project,
    Score,
    Task,
)
from wufei.registry import models as registry
from wufei.routing.models import PlannedRoute, RoutePlan
from wufei.stats.models import Declaration, Indicator, RollupMonth
from wufei.trace.models import Container

SECTIONS = (
    (
        _("试点推进"),
        (
            ("plan:ledger", _("工作台账"), Task),
            ("plan:my_unit", _("本单位"), Task),
            ("plan:reviews", _("待审核进展"), ProgressReport),
            ("plan:notices", _("督办"), Notice),
            ("plan:meetings", _("工作会议"), Meeting),
            ("plan:projects", _("重大项目"), Project),
            ("assessment:ranking", _("考核排名"), Score),
            ("bulletins:list", _("工作简报"), Bulletin),
        ),
    ),
    (
        _("统计与决策"),
        (
            ("indicators:catalogue", _("指标体系"), Indicator),
            ("balance:table", _("处置能力平衡表"), RollupMonth),
            ("balance:forecast", _("产生量预测"), RollupMonth),
            ("flows:flows", _("物质流"), RollupMonth),
            ("declarations:declaration_list", _("统计申报"), Declaration),
        ),
    ),
    (
        _("电子联单与追溯"),
        (
            ("manifests:manifest_list", _("电子联单"), Manifest),
            ("alerts:alert_list", _("预警"), Alert),
            ("containers:list", _("容器与标签"), Container),
            ("trace:search", _("追溯查询"), Container),
        ),
    ),
    (
        _("物联网与收运"),
        (
            ("iot:live_map", _("车辆实时位置"), GpsFix),
            ("routing:plan_list", _("收运路线规划"), RoutePlan),
            ("routing:my_route", _("我的线路"), PlannedRoute),
            ("iot:device_health", _("设备运行状况"), registry.Device),
            ("iot:ticket_list", _("过磅单"), WeighTicket),
            ("iot:deposit_list", _("分类投放记录"), Deposit),
            ("iot:quarantine_list", _("隔离报文"), QuarantinedMessage),
            ("iot:thresholds", _("预警阈值"), Alert),
            ("iot:tokens", _("设备令牌"), registry.Device),
        ),
    ),
    (
        _("督查执法"),
        (
            ("cases:campaign_list", _("督查行动"), Campaign),
            ("cases:inspection_list", _("现场检查"), Inspection),
            ("cases:order_list", _("限期整改"), RectificationOrder),
            ("cases:dumpsite_list", _("堆存场所与非正规填埋场"), DumpSite),
            ("assessment:credit_list", _("企业环境信用"), CreditScore),
        ),
    ),
    (
        _("基础登记"),
        (
            ("registry:party_list", _("单位"), registry.Party),
            ("registry:site_list", _("场所"), registry.Site),
            ("registry:facility_list", _("设施"), registry.Facility),
            ("registry:capacity_list", _("设施能力"), registry.FacilityCapacity),
            ("registry:permit_list", _("许可证"), registry.Permit),
            ("registry:vehicle_list", _("车辆"), registry.Vehicle),
            ("registry:device_list", _("设备"), registry.Device),
        ),
    ),
    (
        _("废物名录"),
        (
            ("registry:wastecode_list", _("废物代码"), registry.WasteCode),
            ("registry:codelist_list", _("代码表与来源"), registry.CodeList),
        ),
    ),
)


def _active(url: str, path: str) -> bool:
    return bool(path) and path.startswith(url)


def menu_for(actor, path: str = "") -> list[dict]:
    """Sections of links; an entry is shown only if the actor may view its model."""
    map_url = reverse("web:map")
    menu = [{"label": _("一张图"), "url": map_url, "items": [], "active": _active(map_url, path)}]
    if may(actor, Action.VIEW, RollupMonth):
        url = reverse("web:cockpit")
        menu.insert(
            0, {"label": _("驾驶舱"), "url": url, "items": [], "active": _active(url, path)}
        )
    for title, entries in SECTIONS:
        items = []
        for name, label, model in entries:
            if may(actor, Action.VIEW, model):
                url = reverse(name)
                items.append({"label": label, "url": url, "active": _active(url, path)})
        if items:
            menu.append({"label": title, "url": None, "items": items, "active": False})
    if getattr(actor, "is_authenticated", False) and role_of(actor) != Role.PUBLIC:
        url = reverse("accounts:tokens")
        item = {"label": _("API 令牌"), "url": url, "active": _active(url, path)}
        menu.append({"label": _("账户"), "url": None, "items": [item], "active": False})
    return menu
