"""The kinds of periodic declaration (申报) and their items, as data read by one engine.

A kind says who declares it (an enterprise for its own party, a department for its region,
or the city and county officials), the periods it is declared for, whether it has one row
per waste code (and from which code lists), its items with their unit kind, the rollup
quantity each counts as and the stream it belongs to, and the rules a declaration of it must
meet, with the source of each rule (as ``wufei.manifests.flows`` does for manifests).

Item codes are ``kind.item`` (``industrial.generated``); the indicator measures use exactly
these codes, so they are a contract: change one only together with the measures. A stored
``DeclarationLine.item`` is the item's own code (``generated``; the longest full code would
not fit the column), its kind is the declaration's: full code = ``f"{kind}.{item}"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wufei.stats import units as u
from wufei.stats.choices import Quantity as Q

# who declares
PARTY = "party"  # an enterprise, for its own party (officials may declare on its behalf)
DEPARTMENT = "department"  # a department, for its region (the city when it has none)
OFFICIAL = "official"  # city and county officials only

# periods
ANNUAL = "annual"
MONTHLY = "monthly"
PERIOD_LABELS = {ANNUAL: _("年度"), MONTHLY: _("月度")}

SOURCE_LABELS = {
    "items": _("申报项与口径"),
    "balance": _("平衡关系"),
    "parts": _("分项与总量"),
    "declarant": _("申报主体"),
    "review": _("审核"),
    "periods": _("统计期"),
    "transferred": _("转移量"),
    "purpose": _("用途"),
}

PLATFORM = "平台默认值（可在 declaration_kinds.py 调整）"
PART_OF_WHOLE = "分项不能大于总量（定义如此）"
ENV_STATS = (
    "环境统计指标解释（一般工业固体废物）：产生量 =（综合利用量 − 其中：综合利用往年贮存量）"
    "+ 贮存量 +（处置量 − 其中：处置往年贮存量）+ 倾倒丢弃量；"
    "转引自 https://www.togowu.cn/article/wtcraz"
)
PILOT_INDICATORS = (
    "《“无废城市”建设指标体系（试行）》（2019）及《“无废城市”建设指标体系》（2021）"
    "相应指标的统计口径，见 wufei/stats/data"
)

BALANCE_TOLERANCE = Decimal("0.01")  # |generated - balance| <= 1 % of the larger


@dataclass(frozen=True)
class Item:
    code: str
    label: str | Promise  # Chinese msgid
    label_en: str
    unit: str = u.MASS  # unit kind
    quantity: str = ""  # the rollup quantity it counts as; blank: not a waste flow
    stream: str = ""  # stream code; blank: the kind's (or, per code, the code's)
    help: str | Promise = ""

    @property
    def base_unit(self) -> str:
        return u.base_unit(self.unit)


@dataclass(frozen=True)
class Balance:
    """``total`` must equal the sum of ``plus`` minus the sum of ``minus`` (within the
    tolerance), items missing counting as zero; checked per waste code."""

    total: str
    plus: tuple[str, ...]
    minus: tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    label_en: str
    declarant: str  # PARTY, DEPARTMENT or OFFICIAL
    department: str  # the department that declares it (DEPARTMENT) or reviews it (PARTY)
    periods: tuple[str, ...]
    items: tuple[Item, ...]
    stream: str = ""  # the declaration's stream; blank: none (figures of several streams)
    per_code: bool = False
    code_streams: tuple[str, ...] = ()  # per code: codes of these streams (and below)
    hazardous_codes: bool = False  # per code: the national hazardous list (True) or not
    code_lists: str | Promise = ""  # which code lists, in words
    balance: Balance | None = None
    parts: tuple[tuple[str, str], ...] = ()  # (part, whole): part <= whole
    sources: dict[str, str] = field(default_factory=dict)

    def item(self, code: str) -> Item | None:
        return _ITEMS[self.code].get(code)

    def label_of(self, code: str) -> str:
        """The Chinese label of item ``code`` (as the active language shows it)."""
        return str(_ITEMS[self.code][code].label)

    def full_code(self, item: Item | str) -> str:
        return f"{self.code}.{getattr(item, 'code', item)}"

    def find_item(self, text) -> Item | None:
        """An item by its code (``generated``), full code (``industrial.generated``),
        Chinese label (``产生量``) or English label, as a person may type it."""
        key = str(text or "").strip()
        if not key:
            return None
        if key.startswith(f"{self.code}."):
            key = key[len(self.code) + 1 :]
        return _ITEMS[self.code].get(key) or _labels(self.code).get(_fold(key))

    @property
    def monthly(self) -> bool:
        return MONTHLY in self.periods


def _fold(text: str) -> str:
    return "".join(str(text).split()).lower()


def _items(*items: Item) -> tuple[Item, ...]:
    return items


T = u.MASS

HISTORY_STREAMS = (
    ("hazardous", _("危险废物"), "Hazardous waste"),
    ("medical", _("医疗废物"), "Medical waste"),
    ("household", _("生活垃圾"), "Household waste"),
    ("kitchen", _("餐厨废弃物"), "Kitchen waste"),
    ("construction", _("建筑垃圾"), "Construction waste"),
    ("sludge", _("污泥"), "Sewage sludge"),
    ("industrial", _("一般工业固体废物"), "General industrial solid waste"),
    ("agricultural", _("农业固体废物"), "Agricultural solid waste"),
)
HISTORY_QUANTITIES = (
    ("generated", Q.GENERATED, _("产生量"), "generated"),
    ("utilised", Q.UTILISED, _("资源化利用量"), "utilised"),
    ("energy", Q.ENERGY, _("焚烧发电（能量回收）量"), "energy recovered"),
    ("landfilled", Q.LANDFILLED, _("填埋量"), "landfilled"),
    ("treated", Q.TREATED, _("其他无害化处理量"), "treated otherwise"),
)


def _history_items() -> tuple[Item, ...]:
    """Per stream: generation and where it went (``generated_household``,
    ``energy_household`` …), as the yearbooks and environmental statistics report them."""
    return tuple(
        Item(
            f"{prefix}_{code.replace('-', '_')}",
            format_lazy(_("{stream}{what}"), stream=label, what=what),
            f"{name} {what_en}",
            quantity=quantity,
            stream=code,
        )
        for code, label, name in HISTORY_STREAMS
        for prefix, quantity, what, what_en in HISTORY_QUANTITIES
    )


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind(
            "industrial",
            _("一般工业固体废物产生与利用处置"),
            "General industrial solid waste",
            PARTY,
            "ecology",
            (ANNUAL,),
            _items(
                Item("generated", _("产生量"), "Generated", quantity=Q.GENERATED),
                Item("utilised", _("综合利用量"), "Utilised", quantity=Q.UTILISED),
                Item(
                    "utilised_prior",
                    _("其中：综合利用往年贮存量"),
                    "of which: utilised from prior years' storage",
                    quantity=Q.UTILISED_PRIOR,
                ),
                Item(
                    "disposed_landfill",
                    _("处置量（填埋）"),
                    "Disposed (landfill)",
                    quantity=Q.LANDFILLED,
                ),
                Item(
                    "disposed_other",
                    _("处置量（其他方式）"),
                    "Disposed (other)",
                    quantity=Q.TREATED,
                ),
                Item(
                    "disposed_prior",
                    _("其中：处置往年贮存量"),
                    "of which: disposed from prior years' storage",
                    quantity=Q.DISPOSED_PRIOR,
                ),
                Item("stored", _("贮存量"), "Stored", quantity=Q.STORED),
                Item("dumped", _("倾倒丢弃量"), "Dumped", quantity=Q.DUMPED),
            ),
            stream="industrial",
            per_code=True,
            code_streams=("industrial",),
            hazardous_codes=False,
            code_lists=_("《固体废物分类与代码目录》（2024）一般工业固体废物代码（S01–S59）"),
            balance=Balance(
                "generated",
                ("utilised", "stored", "disposed_landfill", "disposed_other", "dumped"),
                ("utilised_prior", "disposed_prior"),
            ),
            parts=(("utilised_prior", "utilised"),),
            sources={
                "items": ENV_STATS,
                "balance": ENV_STATS + "；1 % 容差为" + PLATFORM,
                "declarant": "产废单位按年申报（排污许可执行报告、固体废物管理台账）",
                "review": "市生态环境局审核（" + PLATFORM + "）",
            },
        ),
        Kind(
            "hazardous",
            _("危险废物产生与自行利用处置"),
            "Hazardous waste (annual report)",
            PARTY,
            "ecology",
            (ANNUAL,),
            _items(
                Item("generated", _("产生量"), "Generated", quantity=Q.GENERATED),
                Item("utilised_self", _("自行利用量"), "Utilised on site", quantity=Q.UTILISED),
                Item("disposed_self", _("自行处置量"), "Disposed on site", quantity=Q.TREATED),
                Item("stored", _("贮存量"), "Stored", quantity=Q.STORED),
                Item(
                    "transferred",
                    _("转移量"),
                    "Transferred",
                    help=_("已由电子联单记录，仅用于与联单核对，不计入统计"),
                ),
            ),
            stream="hazardous",
            per_code=True,
            code_streams=("hazardous",),
            hazardous_codes=True,
            code_lists=_("《国家危险废物名录》废物代码（含 HW01 医疗废物）"),
            sources={
                "declarant": "《固体废物污染环境防治法》第七十八条：产生危险废物的单位应当通过"
                "国家危险废物信息管理系统申报危险废物的种类、产生量、流向、贮存、处置等有关资料",
                "transferred": "转移量由电子联单计入统计，申报值只用于核对（避免重复计算）",
            },
        ),
        Kind(
            "agriculture",
            _("农业固体废物"),
            "Agricultural solid waste",
            DEPARTMENT,
            "agriculture",
            (ANNUAL,),
            _items(
                Item("crop_output", _("农作物产量"), "Crop output"),
                Item("straw_theoretical", _("秸秆理论资源量"), "Straw (theoretical)"),
                Item(
                    "straw_collectable",
                    _("秸秆可收集资源量"),
                    "Straw (collectable)",
                    quantity=Q.GENERATED,
                    stream="agricultural-straw",
                ),
                Item(
                    "straw_utilised",
                    _("秸秆综合利用量"),
                    "Straw utilised",
                    quantity=Q.UTILISED,
                    stream="agricultural-straw",
                ),
                Item(
                    "manure_generated",
                    _("畜禽粪污产生量"),
                    "Manure generated",
                    quantity=Q.GENERATED,
                    stream="agricultural-manure",
                ),
                Item(
                    "manure_utilised",
                    _("畜禽粪污综合利用量"),
                    "Manure utilised",
                    quantity=Q.UTILISED,
                    stream="agricultural-manure",
                ),
                Item(
                    "film_used",
                    _("农膜使用量"),
                    "Agricultural film used",
                    quantity=Q.GENERATED,
                    stream="agricultural-film",
                ),
                Item(
                    "film_recovered",
                    _("农膜回收量"),
                    "Agricultural film recovered",
                    quantity=Q.UTILISED,
                    stream="agricultural-film",
                ),
                Item(
                    "pesticide_packaging_generated",
                    _("农药包装废弃物产生量"),
                    "Pesticide packaging generated",
                    quantity=Q.GENERATED,
                    stream="agricultural-pesticide-packaging",
                ),
                Item(
                    "pesticide_packaging_recovered",
                    _("农药包装废弃物回收量"),
                    "Pesticide packaging recovered",
                    quantity=Q.UTILISED,
                    stream="agricultural-pesticide-packaging",
                ),
                Item("villages_total", _("行政村总数"), "Villages", unit=u.COUNT),
                Item(
                    "villages_covered",
                    _("纳入收储运体系的行政村数"),
                    "Villages in the collection-storage-transport system",
                    unit=u.COUNT,
                ),
            ),
            stream="agricultural",
            parts=(
                ("straw_collectable", "straw_theoretical"),
                ("straw_utilised", "straw_collectable"),
                ("manure_utilised", "manure_generated"),
                ("film_recovered", "film_used"),
                ("pesticide_packaging_recovered", "pesticide_packaging_generated"),
                ("villages_covered", "villages_total"),
            ),
            sources={"items": PILOT_INDICATORS, "parts": PART_OF_WHOLE},
        ),
        Kind(
            "housing",
            _("建筑垃圾与绿色建筑"),
            "Construction waste and green building",
            DEPARTMENT,
            "housing",
            (ANNUAL,),
            _items(
                Item(
                    "cw_generated",
                    _("建筑垃圾产生量"),
                    "Construction waste generated",
                    quantity=Q.GENERATED,
                    stream="construction",
                ),
                Item(
                    "cw_utilised",
                    _("建筑垃圾资源化利用量"),
                    "Construction waste utilised",
                    quantity=Q.UTILISED,
                    stream="construction",
                ),
                Item(
                    "cw_landfilled",
                    _("建筑垃圾填埋（消纳）量"),
                    "Construction waste landfilled",
                    quantity=Q.LANDFILLED,
                    stream="construction",
                ),
                Item("new_building_area", _("新建建筑面积"), "New building area", unit=u.AREA),
                Item(
                    "green_building_area",
                    _("绿色建筑面积"),
                    "Green building area",
                    unit=u.AREA,
                ),
                Item(
                    "prefab_building_area",
                    _("装配式建筑面积"),
                    "Prefabricated building area",
                    unit=u.AREA,
                ),
            ),
            stream="construction",
            parts=(
                ("green_building_area", "new_building_area"),
                ("prefab_building_area", "new_building_area"),
            ),
            sources={"items": PILOT_INDICATORS, "parts": PART_OF_WHOLE},
        ),
        Kind(
            "sludge",
            _("城镇污水处理厂污泥"),
            "Sewage sludge",
            DEPARTMENT,
            "housing",
            (MONTHLY, ANNUAL),
            _items(
                Item("sludge_generated", _("污泥产生量"), "Sludge generated", quantity=Q.GENERATED),
                Item(
                    "sludge_utilised", _("污泥资源化利用量"), "Sludge utilised", quantity=Q.UTILISED
                ),
                Item(
                    "sludge_landfilled", _("污泥填埋量"), "Sludge landfilled", quantity=Q.LANDFILLED
                ),
                Item(
                    "sludge_treated",
                    _("污泥无害化处理（其他）量"),
                    "Sludge treated (other)",
                    quantity=Q.TREATED,
                ),
            ),
            stream="sludge",
            sources={"items": PILOT_INDICATORS, "periods": "按月或按年申报（" + PLATFORM + "）"},
        ),
        Kind(
            "health",
            _("医疗卫生机构与医疗废物"),
            "Health institutions and medical waste",
            DEPARTMENT,
            "health",
            (ANNUAL,),
            _items(
                Item("beds", _("床位数"), "Beds", unit=u.COUNT),
                Item("institutions_total", _("医疗卫生机构数"), "Institutions", unit=u.COUNT),
                Item(
                    "institutions_covered",
                    _("医疗废物收集处置体系覆盖的机构数"),
                    "Institutions covered by medical waste collection",
                    unit=u.COUNT,
                ),
                Item(
                    "medical_waste_generated",
                    _("医疗废物产生量"),
                    "Medical waste generated",
                    quantity=Q.GENERATED,
                    stream="medical",
                ),
            ),
            stream="medical",
            parts=(("institutions_covered", "institutions_total"),),
            sources={"items": PILOT_INDICATORS, "parts": PART_OF_WHOLE},
        ),
        Kind(
            "postal",
            _("快递包装"),
            "Express packaging",
            DEPARTMENT,
            "postal",
            (ANNUAL,),
            _items(
                Item("parcels", _("快递业务量"), "Parcels", unit=u.PARCELS),
                Item(
                    "parcels_green",
                    _("使用绿色或可循环包装的快件量"),
                    "Parcels with green or reusable packaging",
                    unit=u.PARCELS,
                ),
                Item(
                    "packaging_generated",
                    _("快递包装废弃物产生量"),
                    "Packaging waste generated",
                    quantity=Q.GENERATED,
                ),
                Item(
                    "packaging_recovered",
                    _("快递包装废弃物回收量"),
                    "Packaging waste recovered",
                    quantity=Q.UTILISED,
                ),
            ),
            stream="express-packaging",
            parts=(
                ("parcels_green", "parcels"),
                ("packaging_recovered", "packaging_generated"),
            ),
            sources={"items": PILOT_INDICATORS, "parts": PART_OF_WHOLE},
        ),
        Kind(
            "commerce",
            _("再生资源回收"),
            "Renewable resources",
            DEPARTMENT,
            "commerce",
            (ANNUAL,),
            _items(
                Item(
                    "renewable_collected",
                    _("再生资源回收总量"),
                    "Renewable resources collected",
                    quantity=Q.GENERATED,
                ),
                Item("renewable_metal", _("废钢铁与有色金属"), "Scrap metal", quantity=Q.UTILISED),
                Item("renewable_paper", _("废纸"), "Waste paper", quantity=Q.UTILISED),
                Item("renewable_plastic", _("废塑料"), "Waste plastics", quantity=Q.UTILISED),
                Item("renewable_glass", _("废玻璃"), "Waste glass", quantity=Q.UTILISED),
                Item(
                    "renewable_electronics",
                    _("废弃电器电子产品"),
                    "Waste electrical and electronic equipment",
                    quantity=Q.UTILISED,
                ),
                Item("renewable_other", _("其他再生资源"), "Other", quantity=Q.UTILISED),
            ),
            stream="renewable",
            sources={"items": PILOT_INDICATORS},
        ),
        Kind(
            "urban",
            _("生活垃圾分类与回收"),
            "Household waste sorting and recycling",
            DEPARTMENT,
            "urban",
            (ANNUAL,),
            _items(
                Item(
                    "recyclables_recovered",
                    _("可回收物回收量"),
                    "Recyclables recovered",
                    quantity=Q.UTILISED,
                    stream="household-recyclable",
                ),
                Item(
                    "communities_total",
                    _("城市居民小区总数"),
                    "Residential communities",
                    unit=u.COUNT,
                ),
                Item(
                    "communities_sorting",
                    _("实行生活垃圾分类的居民小区数"),
                    "Communities sorting household waste",
                    unit=u.COUNT,
                ),
                Item(
                    "villages_sorting",
                    _("实行生活垃圾分类的行政村数"),
                    "Villages sorting household waste",
                    unit=u.COUNT,
                ),
                Item(
                    "household_waste_generated",
                    _("生活垃圾清运量"),
                    "Household waste generated",
                    quantity=Q.GENERATED,
                    stream="household",
                    help=_("无地磅数据时的估算值"),
                ),
            ),
            stream="household",
            parts=(("communities_sorting", "communities_total"),),
            sources={"items": PILOT_INDICATORS, "parts": PART_OF_WHOLE},
        ),
        Kind(
            "statistics",
            _("社会经济统计"),
            "Socio-economic statistics",
            OFFICIAL,
            "",
            (ANNUAL,),
            _items(
                Item(
                    "resident_population", _("常住人口"), "Resident population", unit=u.POPULATION
                ),
                Item(
                    "industrial_value_added",
                    _("工业增加值"),
                    "Industrial value added",
                    unit=u.MONEY,
                ),
                Item("gdp", _("地区生产总值"), "GDP", unit=u.MONEY),
                Item("zero_waste_cells", _("“无废细胞”数量"), "Zero-waste cells", unit=u.COUNT),
            ),
            sources={"items": PILOT_INDICATORS, "declarant": "统计部门数据，由市、县管理人员填报"},
        ),
        Kind(
            "history",
            _("历史统计数据"),
            "Historical statistics",
            OFFICIAL,
            "",
            (MONTHLY, ANNUAL),
            _history_items(),
            sources={
                "purpose": "平台运行前各年度（月度）的统计数据，使产生量序列可以向前延伸；"
                "某月某区有电子联单数据时以联单为准（wufei/stats/basis.py）",
            },
        ),
    )
}

_ITEMS: dict[str, dict[str, Item]] = {k.code: {i.code: i for i in k.items} for k in KINDS.values()}


@cache
def _labels(kind_code: str) -> dict[str, Item]:
    """Folded Chinese (the msgids, whatever language is active) and English labels."""
    items = KINDS[kind_code].items
    with translation.override(settings.LANGUAGE_CODE):
        return {
            **{_fold(i.label_en): i for i in items},
            **{_fold(str(i.label)): i for i in items},
        }


def get_kind(code: str) -> Kind | None:
    return KINDS.get(code or "")


def kind_choices(kinds: Iterable[Kind] | None = None) -> list[tuple[str, str]]:
    return [(k.code, str(k.label)) for k in (KINDS.values() if kinds is None else kinds)]


def item_codes() -> list[str]:
    """Every item's full code (``industrial.generated`` …), the measures' vocabulary."""
    return [k.full_code(i) for k in KINDS.values() for i in k.items]


def item_stream(kind: Kind, item: Item) -> str:
    """The stream code a figure of ``item`` counts under when no waste code says better."""
    return item.stream or kind.stream
