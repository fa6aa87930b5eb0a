"""The flows: one definition per kind of movement, read by one engine.

A flow names its streams, who signs each step, the permits each party must hold, the
vehicles allowed, the deadlines, the weight tolerance and the methods that may complete it.
``docs/flows.md`` gives the source of every rule; where a rule is a platform default (no
national or local text fixes the figure) the flow says so in ``sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wufei.registry.choices import FacilityKind as FK
from wufei.registry.choices import PermitKind as PK
from wufei.registry.choices import VehicleKind as VK

STORE = "G-STORE"  # completing with this method keeps the containers at the receiver


@dataclass(frozen=True)
class Flow:
    key: str
    name: str | Promise
    prefix: str  # first letters of the manifest number
    streams: tuple[str, ...]  # stream codes (with their sub-streams)
    code_required: bool = False  # each container names a national-list waste code
    transporter_permits: tuple[str, ...] = ()  # any one of these kinds, in force, for the stream
    receiver_permits: tuple[str, ...] = ()
    receiver_covers_code: bool = False  # the receiver's permit must list the code or its category
    annual_quantity: bool = False  # the receiver's permit has an annual quantity to respect
    receiver_facilities: tuple[str, ...] = ()  # facility kinds the receiver may deliver to
    vehicle_kinds: tuple[str, ...] = ()
    vehicle_sealed: bool = False
    vehicle_hazmat: bool = False
    tolerance: Decimal = Decimal("0.05")  # |received - picked up| / picked up
    pickup_hours: int = 24 * 7  # submitted → picked up
    transit_hours: int = 72  # picked up → received
    completion_hours: int = 24 * 30  # received → completed
    storage_hours: int | None = None  # from a container's registration to its pick-up
    methods: tuple[str, ...] = ()  # method codes or families ("R", "D") that complete it
    storage: bool = False  # a receiver may keep the containers (G-STORE) for an onward manifest
    sources: dict[str, str] = field(default_factory=dict)

    def allows_method(self, code: str, family: str) -> bool:
        if code == STORE:
            return self.storage
        return code in self.methods or family in self.methods


PLATFORM = "平台默认值（可在 flows.py 调整）"
TRANSFER_RULES = "《危险废物转移管理办法》（生态环境部 公安部 交通运输部令第23号，2022-01-01施行）"

FLOWS: dict[str, Flow] = {
    f.key: f
    for f in (
        Flow(
            "hazardous",
            _("危险废物转移"),
            "HW",
            ("hazardous",),
            code_required=True,
            transporter_permits=(PK.DANGEROUS_GOODS_TRANSPORT,),
            receiver_permits=(PK.HAZARDOUS_OPERATION,),
            receiver_covers_code=True,
            annual_quantity=True,
            vehicle_kinds=(VK.HAZMAT,),
            vehicle_hazmat=True,
            tolerance=Decimal("0.05"),
            pickup_hours=24 * 7,
            transit_hours=72,
            completion_hours=24 * 30,
            methods=("R", "D", "C"),
            sources={
                "one_per_trip": TRANSFER_RULES + "：运输一车（船或者其他运输工具）次填写一份联单",
                "permits": TRANSFER_RULES
                + "：接受单位须持有覆盖该类危险废物的经营许可证；运输须具备道路危险货物运输资质",
                "deadlines": PLATFORM,
                "tolerance": PLATFORM,
            },
        ),
        Flow(
            "hazardous-small",
            _("小微企业危险废物（园区暂存）"),
            "HS",
            ("hazardous",),
            code_required=True,
            transporter_permits=(PK.DANGEROUS_GOODS_TRANSPORT, PK.HAZARDOUS_COLLECTION),
            receiver_permits=(PK.HAZARDOUS_COLLECTION, PK.HAZARDOUS_OPERATION),
            receiver_covers_code=True,
            annual_quantity=True,
            receiver_facilities=(FK.HAZARDOUS_STORAGE, FK.HAZARDOUS),
            vehicle_kinds=(VK.HAZMAT, VK.BOX_TRUCK),
            tolerance=Decimal("0.05"),
            pickup_hours=24 * 30,
            transit_hours=48,
            completion_hours=24 * 7,
            methods=(),
            storage=True,
            sources={
                "grouping": (
                    "许昌市“无废城市”建设试点实施方案 任务13：在园区设立危险废物临时贮存设施，"
                    "收集后统一运至有资质的处置企业"
                ),
                "permits": "《危险废物经营许可证管理办法》：收集经营许可证",
                "deadlines": PLATFORM,
            },
        ),
        Flow(
            "medical-small-box",
            _("医疗废物小箱收集（小箱进大箱）"),
            "MB",
            ("medical",),
            code_required=True,
            receiver_facilities=(),
            vehicle_kinds=(VK.MEDICAL_VAN, VK.BOX_TRUCK),
            tolerance=Decimal("0.05"),
            pickup_hours=48,
            transit_hours=12,
            completion_hours=24,
            storage_hours=48,
            storage=True,
            sources={
                "small_box": (
                    "许昌市“无废城市”建设试点实施方案 任务14：实施医疗废物“小箱进大箱”工程"
                ),
                "storage_hours": "《医疗废物管理条例》第十七条：医疗废物暂时贮存的时间不得超过2天",
                "deadlines": PLATFORM,
            },
        ),
        Flow(
            "medical",
            _("医疗废物转运处置"),
            "MW",
            ("medical",),
            code_required=True,
            transporter_permits=(PK.MEDICAL_OPERATION, PK.DANGEROUS_GOODS_TRANSPORT),
            receiver_permits=(PK.MEDICAL_OPERATION, PK.HAZARDOUS_OPERATION),
            receiver_covers_code=True,
            annual_quantity=True,
            vehicle_kinds=(VK.MEDICAL_VAN,),
            tolerance=Decimal("0.05"),
            pickup_hours=48,
            transit_hours=24,
            completion_hours=48,
            storage_hours=48,
            methods=("Y", "D10"),
            sources={
                "storage_hours": "《医疗废物管理条例》第十七条：医疗废物暂时贮存的时间不得超过2天",
                "vehicle": "《医疗废物转运车技术要求》（GB 19217）：专用转运车",
                "completion_hours": (
                    "据记忆：《医疗废物集中处置技术规范（试行）》处置单位贮存不超过48小时，待核对"
                ),
                "tolerance": PLATFORM,
            },
        ),
        Flow(
            "kitchen",
            _("餐厨废弃物收运处置"),
            "KW",
            ("kitchen",),
            transporter_permits=(PK.KITCHEN_WASTE, PK.MSW_SERVICE),
            receiver_permits=(PK.KITCHEN_WASTE, PK.MSW_SERVICE),
            receiver_facilities=(FK.KITCHEN_WASTE, FK.BIOGAS, FK.COMPOST, FK.INCINERATION),
            vehicle_kinds=(VK.KITCHEN_TANKER,),
            vehicle_sealed=True,
            tolerance=Decimal("0.10"),
            pickup_hours=24,
            transit_hours=12,
            completion_hours=48,
            methods=("G-AD", "G-COMP", "G-FEED", "G-INC", "G-MAT"),
            sources={
                "ledger": (
                    "实施方案 任务5：建立餐厨垃圾产生单位基本信息台账和产生、收运、处置运行管理台"
                    "账，探索电子联单"
                ),
                "rules": (
                    "《许昌市餐厨废弃物管理办法（暂行）》：收运、处理企业须经许可，密闭运输；日产"
                    "日清"
                ),
                "tolerance": PLATFORM + "（含水率高，磅差放宽至10%）",
            },
        ),
        Flow(
            "sludge",
            _("污泥转移"),
            "SL",
            ("sludge",),
            receiver_facilities=(
                FK.CEMENT_KILN,
                FK.SLUDGE,
                FK.INCINERATION,
                FK.BUILDING_MATERIALS,
                FK.COMPOST,
                FK.LANDFILL,
            ),
            vehicle_kinds=(VK.SLUDGE_TRUCK,),
            vehicle_sealed=True,
            tolerance=Decimal("0.05"),
            pickup_hours=48,
            transit_hours=12,
            completion_hours=24 * 7,
            methods=("C1", "G-KILN", "G-SLUDGE", "G-INC", "G-LF", "G-COMP", "D10"),
            sources={
                "manifest": "实施方案 任务7：鼓励推行污泥转移联单制度，实现污泥全流程数据可查",
                "sealed": "实施方案 任务7：污泥运输全部采取密封措施，防止沿途抛洒、随意倾倒",
                "deadlines": PLATFORM,
            },
        ),
        Flow(
            "construction",
            _("建筑垃圾运输处置"),
            "CW",
            ("construction",),
            transporter_permits=(PK.CONSTRUCTION_TRANSPORT,),
            receiver_permits=(PK.CONSTRUCTION_DISPOSAL,),
            receiver_facilities=(
                FK.CONSTRUCTION_RECYCLING,
                FK.CONSTRUCTION_FILL,
                FK.ROAD_MATERIALS,
                FK.BUILDING_MATERIALS,
            ),
            vehicle_kinds=(VK.DUMP_TRUCK,),
            vehicle_sealed=True,
            tolerance=Decimal("0.10"),
            pickup_hours=24,
            transit_hours=6,
            completion_hours=24 * 7,
            methods=("G-CWR", "G-FILL", "C2"),
            sources={
                "classes": (
                    "实施方案 任务6：按工程渣土、建筑废弃物、装修垃圾分类细化，增加分类运输车辆；"
                    "《建筑垃圾处理技术标准》（CJJ/T 134-2019）五类"
                ),
                "permits": "《城市建筑垃圾管理规定》（建设部令第139号）：运输、处置须经核准",
                "tolerance": PLATFORM,
            },
        ),
        Flow(
            "household",
            _("生活垃圾转运（转运站至处理厂）"),
            "MS",
            ("household",),
            transporter_permits=(PK.MSW_SERVICE,),
            receiver_permits=(PK.MSW_SERVICE,),
            receiver_facilities=(
                FK.INCINERATION,
                FK.LANDFILL,
                FK.KITCHEN_WASTE,
                FK.COMPOST,
                FK.RENEWABLE,
            ),
            vehicle_kinds=(VK.COMPACTOR, VK.HOOKLIFT),
            vehicle_sealed=True,
            tolerance=Decimal("0.03"),
            pickup_hours=24,
            transit_hours=6,
            completion_hours=48,
            methods=("G-INC", "G-LF", "G-AD", "G-COMP", "G-REC"),
            sources={
                "mixing": "实施方案 任务4：严禁将已分类收集的生活垃圾混合运输",
                "weighbridge": "进出厂地磅称重（过磅单），磅差按" + PLATFORM,
                "permits": (
                    "《城市生活垃圾管理办法》（建设部令第157号）：经营性收集、运输、处理服务许可"
                ),
            },
        ),
        Flow(
            "battery",
            _("废铅蓄电池收集转移"),
            "PB",
            ("hazardous",),
            code_required=True,
            transporter_permits=(PK.DANGEROUS_GOODS_TRANSPORT, PK.BATTERY_COLLECTION),
            receiver_permits=(
                PK.HAZARDOUS_OPERATION,
                PK.BATTERY_COLLECTION,
                PK.HAZARDOUS_COLLECTION,
            ),
            receiver_covers_code=True,
            annual_quantity=True,
            vehicle_kinds=(VK.HAZMAT, VK.BOX_TRUCK),
            tolerance=Decimal("0.03"),
            pickup_hours=24 * 30,
            transit_hours=72,
            completion_hours=24 * 30,
            methods=("R4",),
            storage=True,
            sources={
                "pilot": (
                    "实施方案 任务13：稳步推进“河南省废铅酸蓄电池收集处理制度试点”，加快废铅酸"
                    "蓄电池全过程信息化追溯体系建设"
                ),
                "code": "《国家危险废物名录》HW31 900-052-31",
                "deadlines": PLATFORM,
            },
        ),
        Flow(
            "agricultural",
            _("农膜与农药包装废弃物回收"),
            "AG",
            ("agricultural-film", "agricultural-pesticide-packaging"),
            receiver_facilities=(FK.FILM_RECYCLING, FK.RENEWABLE, FK.INCINERATION, FK.HAZARDOUS),
            vehicle_kinds=(VK.BOX_TRUCK, VK.TRICYCLE, VK.COMPACTOR),
            tolerance=Decimal("0.10"),
            pickup_hours=24 * 30,
            transit_hours=48,
            completion_hours=24 * 90,
            methods=("G-REC", "G-MAT", "G-FUEL", "D10", "R3"),
            sources={
                "task": "实施方案 任务9：探索建立农膜回收制度、农药包装废弃物回收处置体系",
                "deadlines": PLATFORM,
            },
        ),
    )
}


def flow(key: str) -> Flow:
    return FLOWS[key]


def flow_choices() -> list[tuple[str, str]]:
    return [(f.key, str(f.name)) for f in FLOWS.values()]
