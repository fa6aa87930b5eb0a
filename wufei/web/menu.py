"""The navigation menu, built from what the actor may see."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import may, role_of
from wufei.alerts.models import Alert
from wufei.cases.models import Campaign, DumpSite, Inspection, RectificationOrder, Report
from wufei.iot.models import Deposit, GpsFix, QuarantinedMessage, WeighTicket
from wufei.manifests.models import Manifest
from wufei.outreach.models import Event, SurveyResponse
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
from wufei.sorting.measure_selectors import may_view_measures
from wufei.sorting.models import (
    Community,
    Drop,
    Flag,
    Guide,
    Household,
    Shift,
    SortingItem,
    Station,
    StationCheck,
    Training,
)
from wufei.sorting.points_selectors import may_record_drops, may_redeem
from wufei.stats.models import Declaration, Indicator, RollupMonth
from wufei.trace.models import Container


def staff(model):
    """Signed-in accounts that may view ``model`` (the public has its own page for it)."""
    return lambda actor: role_of(actor) != Role.PUBLIC and may(actor, Action.VIEW, model)


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
        _("生活垃圾分类"),
        (
            ("sortmeasures:index", _("分类指标"), may_view_measures),
            ("sortmeasures:assessment", _("以奖代补考核"), may_view_measures),
            ("points:drop_new", _("登记投放"), may_record_drops),
            ("points:drop_list", _("投放记录"), Drop),
            ("points:redemption_new", _("积分兑换"), may_redeem),
            ("points:flag_list", _("异常投放核查"), Flag),
            ("points:rule_list", _("积分规则"), staff(Drop)),
            ("sorting:community_list", _("分类小区（村）"), Community),
            ("sorting:household_list", _("住户"), Household),
            ("sorting:station_list", _("投放点"), Station),
            ("sorting:guide_list", _("督导员"), Guide),
            ("sorting:shift_list", _("排班"), Shift),
            ("sorting:check_list", _("投放点检查"), StationCheck),
            ("sorting:training_list", _("督导员培训"), Training),
            ("lookup:item_list", _("分类查询词库"), staff(SortingItem)),
        ),
    ),
    (
        _("群众参与"),
        (
            ("reports:list", _("群众举报"), Report),
            ("reports:limits", _("举报办理时限"), Report),
            ("outreach:event_list", _("宣传教育活动"), staff(Event)),
            ("outreach:survey_results", _("满意度调查"), SurveyResponse),
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


def _visible(actor, model) -> bool:
    """An entry names the model whose rows it lists, or a predicate for pages that are not a
    model's list (figures officials alone see)."""
    if isinstance(model, type):
        return may(actor, Action.VIEW, model)
    return model(actor)


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
            if _visible(actor, model):
                url = reverse(name)
                items.append({"label": label, "url": url, "active": _active(url, path)})
        if items:
            menu.append({"label": title, "url": None, "items": items, "active": False})
    if getattr(actor, "is_authenticated", False) and role_of(actor) != Role.PUBLIC:
        url = reverse("accounts:tokens")
        item = {"label": _("API 令牌"), "url": url, "active": _active(url, path)}
        menu.append({"label": _("账户"), "url": None, "items": [item], "active": False})
    return menu
