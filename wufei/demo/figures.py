"""Every magnitude the demo city is built from, each marked sourced or invented.

Sourced values come from the project's reference note on Xuchang (copied into
``docs/demo-data.md`` with its sources); everything else is an estimate made for the demo and
says so. ``docs/demo-data.md`` lists the same values with the reasoning behind each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

INVENTED = "invented"

# --- sourced figures (reliability marks A/B/C as in the reference note) -----------------------
CENSUS_2020 = "第七次全国人口普查（2020-11-01）"
CITY_POPULATION = 4_379_998  # 常住人口, C: qiantimeigw.com quoting the statistical communiqué
DISTRICTS_POPULATION = 1_337_940  # 市辖区常住人口, B: 许昌市辖区第七次全国人口普查公报
DISTRICTS_URBAN_POPULATION = 850_403  # 市辖区城镇人口 (63.56 %), same source
PERSONS_PER_HOUSEHOLD = Decimal("2.83")  # 市辖区, same source
PILOT_COMPOUNDS = 389  # 垃圾分类试点小区, C: gdtianyu.net/industry/144111.html (~2020-12)
PILOT_HOUSEHOLDS = 156_700  # 15.67 万户 in the pilot compounds, same source
DAZHOU_SCRAP_TONNES = 3_000_000  # >300 万 t/yr scrap metal at 大周, same source
CONSTRUCTION_RECYCLERS = 10  # "10+ construction-waste recycling firms", same source
JINKE_TONNES = 4_000_000  # >400 万 t/yr, C: gdtianyu.net/industry/110986.html (~2013)
JUNSHENG_MEDICAL_TONNES = 2_000  # A: 襄城县 EIA notice 2025-10 (microwave disinfection)
TIANJIAN_TONNES_PER_DAY = 1_000  # C: newenergy.in-en.com 2291441 (the plant 旺能 replaces)

# Operating days per year used to turn an annual capacity into t/d (invented convention).
OPERATING_DAYS = 330


@dataclass(frozen=True)
class County:
    adcode: str
    name: str
    slug: str
    population: int  # invented split of the sourced totals (see docs/demo-data.md)
    urban_population: int
    seat: tuple[float, float]  # approximate lon/lat of the county seat (GCJ-02), invented
    place: str  # how enterprise names start ("长葛市", "许昌")
    seat_town: str | None = None  # the town that is the county seat when there are no streets

    @property
    def rural_population(self) -> int:
        return self.population - self.urban_population


# Populations: the 市辖区 total (魏都 + 建安) and the city total are sourced; the split inside
# each is an estimate. 魏都 is almost all urban; 建安 takes the rest of the sourced 市辖区
# urban population. County urban shares are estimates giving a city rate near the sourced
# 2019 rate (54.13 %).
COUNTIES: tuple[County, ...] = (
    County("411002", "魏都区", "weidu", 720_000, 662_400, (113.826, 34.030), "许昌"),
    County(
        "411003",
        "建安区",
        "jianan",
        DISTRICTS_POPULATION - 720_000,
        DISTRICTS_URBAN_POPULATION - 662_400,
        (113.840, 34.100),
        "许昌市建安区",
    ),
    County("411024", "鄢陵县", "yanling", 540_000, 226_800, (114.177, 34.102), "鄢陵县", "安陵镇"),
    County(
        "411025", "襄城县", "xiangcheng", 672_058, 282_264, (113.506, 33.851), "襄城县", "城关镇"
    ),
    County("411081", "禹州市", "yuzhou", 1_130_000, 598_900, (113.488, 34.140), "禹州市"),
    County("411082", "长葛市", "changge", 700_000, 385_000, (113.768, 34.217), "长葛市"),
)
COUNTY_BY_CODE = {c.adcode: c for c in COUNTIES}

SCALES = {"small": Decimal("0.04"), "city": Decimal("1"), "large": Decimal("4")}


def scaled(city_count: int, scale: str, minimum: int = 1) -> int:
    """How many of a thing a scale has, given how many the real city has."""
    if city_count == 0:
        return 0
    return max(minimum, int((city_count * SCALES[scale]).to_integral_value()))


# --- generating units by sector ---------------------------------------------------------------
# ``counties``: weights per county adcode, or "urban" / "rural" / "population" to weigh by the
# county figures. ``towns``: preferred towns by name inside the chosen county (weights);
# ``setting``: where in the county a unit sits when no town is preferred.
# ``hw``: hazardous waste codes the unit generates, each with the share of units that do.


@dataclass(frozen=True)
class Sector:
    key: str
    label: str
    city_count: int
    site_kind: str
    stream: str  # the main stream the unit generates
    counties: str | dict[str, float]
    setting: str = "any"  # "urban", "rural" or "any"
    towns: dict[str, float] = field(default_factory=dict)
    credit: tuple[tuple[str, float], ...] = (("91", 1.0),)
    hw: tuple[tuple[str, float], ...] = ()
    small_micro: float = 0.0
    discharge_permit: float = 0.0  # share holding a 排污许可证 listing their hazardous wastes
    industry_code: str = ""
    source: str = INVENTED


INDUSTRY: tuple[Sector, ...] = (
    Sector(
        "metal",
        "再生金属加工",
        180,
        "factory",
        "renewable",
        {"411082": 1.0},
        towns={"大周镇": 0.75, "后河镇": 0.10, "石固镇": 0.08, "和尚桥镇": 0.07},
        hw=(("321-026-48", 0.4), ("336-064-17", 0.4), ("900-249-08", 0.9), ("900-041-49", 0.5)),
        small_micro=0.3,
        discharge_permit=0.5,
        industry_code="4210",
    ),
    Sector(
        "coal_chemical",
        "煤化工与炭素",
        16,
        "factory",
        "industrial",
        {"411025": 1.0},
        towns={"库庄镇": 0.4, "湛北乡": 0.3, "十里铺镇": 0.2, "茨沟乡": 0.1},
        hw=(("772-007-50", 0.5), ("900-249-08", 1.0), ("900-039-49", 0.8)),
        discharge_permit=1.0,
        industry_code="2520",
    ),
    Sector(
        "ceramics",
        "钧瓷与陶瓷",
        140,
        "factory",
        "industrial",
        {"411081": 1.0},
        towns={"神垕镇": 0.7, "鸠山镇": 0.1, "方山镇": 0.1, "浅井镇": 0.1},
        credit=(("91", 0.6), ("92", 0.4)),
        hw=(("900-041-49", 0.6), ("900-249-08", 0.3)),
        small_micro=0.8,
        discharge_permit=0.1,
        industry_code="3075",
    ),
    Sector(
        "cement",
        "水泥",
        5,
        "factory",
        "industrial",
        {"411081": 1.0},
        towns={"无梁镇": 0.3, "火龙镇": 0.2, "浅井镇": 0.2, "磨街乡": 0.15, "花石镇": 0.15},
        hw=(("900-249-08", 1.0), ("900-041-49", 0.6)),
        discharge_permit=1.0,
        industry_code="3011",
    ),
    Sector(
        "hair",
        "发制品",
        220,
        "factory",
        "industrial",
        {"411002": 0.45, "411003": 0.40, "411025": 0.15},
        setting="urban",
        towns={"灵井镇": 0.4, "尚集镇": 0.3, "苏桥镇": 0.3},
        credit=(("91", 0.7), ("92", 0.3)),
        hw=(("900-041-49", 0.5), ("900-249-08", 0.2)),
        small_micro=0.7,
        discharge_permit=0.15,
        industry_code="4190",
    ),
    Sector(
        "power_equipment",
        "电力装备",
        80,
        "factory",
        "industrial",
        {"411002": 0.5, "411003": 0.25, "411082": 0.25},
        setting="urban",
        hw=(
            ("900-252-12", 0.7),
            ("900-249-08", 0.9),
            ("900-039-49", 0.6),
            ("900-015-13", 0.2),
            ("900-214-08", 0.5),
        ),
        small_micro=0.2,
        discharge_permit=0.6,
        industry_code="3821",
    ),
    Sector(
        "food",
        "食品加工",
        130,
        "factory",
        "industrial",
        "rural",
        hw=(("900-041-49", 0.3), ("900-249-08", 0.3)),
        small_micro=0.5,
        discharge_permit=0.3,
        industry_code="1399",
    ),
    Sector(
        "machinery",
        "机械与汽车零部件",
        180,
        "factory",
        "industrial",
        {
            "411082": 0.35,
            "411003": 0.25,
            "411002": 0.15,
            "411081": 0.15,
            "411024": 0.05,
            "411025": 0.05,
        },
        hw=(("336-064-17", 0.4), ("900-249-08", 0.9), ("900-252-12", 0.5), ("900-214-08", 0.4)),
        small_micro=0.5,
        discharge_permit=0.3,
        industry_code="3670",
    ),
)

SOCIAL: tuple[Sector, ...] = (
    Sector(
        "hospital",
        "医院",
        110,
        "hospital",
        "medical",
        "population",
        setting="urban",
        credit=(("12", 0.55), ("52", 0.45)),
        hw=(
            ("841-001-01", 1.0),
            ("841-002-01", 1.0),
            ("841-003-01", 0.6),
            ("841-004-01", 0.5),
            ("841-005-01", 0.5),
        ),
        industry_code="8411",
    ),
    Sector(
        "clinic",
        "基层医疗机构",
        1_000,
        "clinic",
        "medical",
        "population",
        credit=(("12", 0.2), ("52", 0.3), ("92", 0.5)),
        hw=(("841-001-01", 1.0), ("841-002-01", 0.9), ("841-005-01", 0.3)),
        small_micro=1.0,
        industry_code="8425",
    ),
    Sector(
        "restaurant",
        "餐饮单位",
        3_000,
        "restaurant",
        "kitchen",
        "urban",
        setting="urban",
        credit=(("92", 0.6), ("91", 0.4)),
        small_micro=1.0,
        industry_code="6210",
    ),
    Sector(
        "canteen",
        "单位食堂",
        600,
        "canteen",
        "kitchen",
        "population",
        setting="urban",
        credit=(("12", 0.7), ("11", 0.15), ("91", 0.15)),
    ),
    Sector(
        "auto_repair",
        "机动车维修",
        1_200,
        "auto_repair",
        "hazardous",
        "population",
        setting="urban",
        credit=(("92", 0.6), ("91", 0.4)),
        hw=(("900-214-08", 1.0), ("900-052-31", 0.8), ("900-249-08", 0.7), ("900-041-49", 0.6)),
        small_micro=1.0,
        industry_code="8111",
    ),
    Sector(
        "construction",
        "建设工地",
        350,
        "construction",
        "construction",
        "urban",
        setting="urban",
        industry_code="4710",
    ),
    Sector(
        "farm",
        "规模养殖场",
        800,
        "farm",
        "agricultural-manure",
        {"411081": 0.28, "411082": 0.2, "411024": 0.2, "411025": 0.22, "411003": 0.1},
        setting="rural",
        credit=(("91", 0.5), ("93", 0.5)),
        industry_code="0313",
    ),
    Sector(
        "nursery",
        "花木苗圃",
        300,
        "farmland",
        "agricultural-film",
        {"411024": 1.0},
        setting="rural",
        towns={"柏梁镇": 0.3, "陈化店镇": 0.25, "大马镇": 0.2, "张桥镇": 0.1, "马栏镇": 0.15},
        credit=(("91", 0.4), ("93", 0.6)),
        industry_code="0143",
    ),
    Sector(
        "express",
        "快递网点",
        300,
        "express_outlet",
        "express-packaging",
        "urban",
        setting="urban",
        credit=(("92", 0.5), ("91", 0.5)),
        small_micro=1.0,
        industry_code="6020",
    ),
)

# Capacity of the 大周 recycled-metal firms at city scale sums to this (the sourced >300 万 t).
DAZHOU_CAPACITY_TARGET = 3_200_000

# --- households -------------------------------------------------------------------------------
OTHER_COMPOUNDS = 800  # compounds outside the pilot (invented)
COMPOUNDS_PER_COMMUNITY = (1, 4)  # 小区 per 社区居民委员会 (invented)
PILOT_BIN_SENSORS = (2, 6)  # per pilot compound (invented)
PILOT_SMART_BINS = (1, 3)  # per pilot compound (invented)

# --- utilities --------------------------------------------------------------------------------
# Wastewater plants per county (invented: 1-2 urban plants plus town plants).
WWTP_PER_COUNTY = {"411002": 4, "411003": 4, "411024": 3, "411025": 3, "411081": 4, "411082": 4}
# Transfer stations: one per town and street of the six counties at city scale (invented).
TRANSFER_T_PER_DAY = {"street": (60, 200), "town": (20, 60)}
WEIGHED_TRANSFER_T_PER_DAY = 100  # stations this large have a weighbridge

# --- collection and transport -----------------------------------------------------------------
BATTERY_POINTS = 80  # 废铅蓄电池收集网点 (invented)
HW_TRANSPORTERS = 8  # (invented)
CONSTRUCTION_TRANSPORTERS = 40  # (invented)
SLUDGE_TRANSPORTERS = 3  # (invented)
RENEWABLE_COLLECTORS = 10  # (invented)
COMPACTORS_PER_10K_URBAN = Decimal("1.0")  # (invented: ~0.75 kg/person·day, 8 t loads)
HOOKLIFTS_PER_10K = Decimal("0.25")  # (invented)
COMPOUNDS_PER_TRICYCLE = 4  # (invented)

# Vehicle specs: kind, load range (kg), volume range (m3), sealed, dangerous-goods certified.
VEHICLES = {
    "hazmat": ("hazmat", (5_000, 15_000), (10, 30), True, True),
    "medical_van": ("medical_van", (1_500, 3_000), (8, 16), True, True),
    "compactor": ("compactor", (5_000, 10_000), (8, 16), True, False),
    "hooklift": ("hooklift", (8_000, 12_000), (12, 20), True, False),
    "tricycle": ("tricycle", (300, 500), None, False, False),
    "kitchen_tanker": ("kitchen_tanker", (3_000, 8_000), (5, 10), True, False),
    "dump_truck": ("dump_truck", (14_000, 18_000), (12, 18), True, False),
    "sludge_truck": ("sludge_truck", (10_000, 20_000), (10, 18), True, False),
    "box_truck": ("box_truck", (2_000, 8_000), (15, 35), False, False),
    "battery_truck": ("box_truck", (2_000, 5_000), (10, 20), True, True),
}
# Vehicles per transporter by its trade: spec and range (invented).
FLEETS = {
    "hw_transport": ("hazmat", (6, 14)),
    "construction_transport": ("dump_truck", (8, 30)),
    "sludge_transport": ("sludge_truck", (4, 8)),
    "renewable_collect": ("box_truck", (2, 4)),
    "battery_collect": ("battery_truck", (3, 5)),
    "agri_collect": ("box_truck", (2, 3)),
}
