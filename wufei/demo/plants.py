"""The treatment, utilisation and disposal plants of the demo city, and its industrial parks.

The real ones named by the plan (seed 000) and by the news of the pilot (seed 004) come first,
with the capacities the reference note gives where it gives one; ``source`` says which
figures are sourced. Everything marked ``INVENTED`` (names of operators the sources do not
name, locations inside a county, capacities, dates) is an estimate for the demo.
Every plant is generated at every scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wufei.demo.builder import Cap, PermitSpec
from wufei.demo.figures import INVENTED, JINKE_TONNES, JUNSHENG_MEDICAL_TONNES

PLAN = "许昌市“无废城市”建设试点实施方案（seed 000）"
NEWS_004 = "政协委员视察“无废城市”建设（seed 004）"
FIGURES_JINKE = "xuchang-figures §3: gdtianyu.net/industry/110986.html (~2013), C"
FIGURES_JUNSHENG = "xuchang-figures §6: 襄城县政府 EIA notice 2025-10, A"
FIGURES_ALBA = "xuchang-figures §2: gdtianyu.net/industry/144111.html (completed winter 2020), C"
FIGURES_TIANJIAN = "xuchang-figures §4: newenergy.in-en.com/html/newenergy-2291441.shtml, C"

HW_DISPOSAL_CATEGORIES = (
    "HW02",
    "HW03",
    "HW06",
    "HW08",
    "HW09",
    "HW11",
    "HW12",
    "HW13",
    "HW17",
    "HW18",
    "HW34",
    "HW35",
    "HW49",
    "HW50",
)
SMALL_MICRO_CODES = (
    "900-214-08",
    "900-249-08",
    "900-041-49",
    "900-039-49",
    "900-252-12",
    "900-023-29",
)


@dataclass(frozen=True)
class Park:
    key: str
    name: str  # the park (site)
    operator: str  # the party running it
    county: str
    town: str
    credit: str = "91"
    roles: tuple[str, ...] = ("receiver",)
    source: str = INVENTED


@dataclass(frozen=True)
class Plant:
    key: str
    name: str | None  # the operating party; None: generated from ``trade``
    county: str
    town: str | None  # None: a town of the county by ``setting``
    facility_kind: str
    facility_name: str
    capacities: tuple[Cap, ...]
    trade: str = ""
    credit: str = "91"
    roles: tuple[str, ...] = ("receiver",)
    status: str = "operating"
    commissioned: date | None = None
    permits: tuple[PermitSpec, ...] = ()
    park: str | None = None
    setting: str = "rural"
    weighbridge: bool = True
    fleet: tuple[str, int] | None = None  # vehicle kind and city-scale count
    source: str = INVENTED
    note: str = ""


PARKS: tuple[Park, ...] = (
    Park(
        "xuchang",
        "许昌市静脉产业园",
        "许昌市静脉产业园建设发展有限公司",
        "411003",
        "小召乡",
        source=PLAN,
    ),
    Park(
        "yanling",
        "鄢陵县静脉产业园",
        "鄢陵县静脉产业园运营管理有限公司",
        "411024",
        "彭店镇",
        source=PLAN,
    ),
    Park(
        "xiangcheng",
        "襄城县静脉产业园",
        "襄城县静脉产业园运营管理有限公司",
        "411025",
        "库庄镇",
        source=PLAN,
    ),
    Park(
        "dazhou",
        "长葛市大周再生金属循环经济产业集聚区",
        "长葛市大周再生金属循环产业集聚区管理委员会",
        "411082",
        "大周镇",
        credit="11",
        roles=("regulator",),
        source=PLAN,
    ),
)

PLANTS: tuple[Plant, ...] = (
    # --- named by the sources -----------------------------------------------------------------
    Plant(
        "jinke",
        "许昌金科资源再生股份有限公司",
        "411003",
        "邓庄街道",
        "cw_recycling",
        "金科建筑垃圾资源化利用基地",
        (Cap("construction", "G-CWR", per_year=JINKE_TONNES, source=FIGURES_JINKE),),
        roles=("receiver", "transporter", "collector"),
        permits=(
            PermitSpec("cw_disposal", "construction", annual_tonnes=JINKE_TONNES),
            PermitSpec("cw_transport", "construction"),
        ),
        fleet=("dump_truck", 60),
        source=f"{NEWS_004}; {FIGURES_JINKE}",
        note="产能 >400 万吨/年、再生利用率 >95 %（约 2013 年数据）",
    ),
    Plant(
        "wangneng",
        "许昌旺能环保能源有限公司",
        "411002",
        "高桥营街道",
        "incineration",
        "许昌旺能生活垃圾焚烧发电厂",
        (Cap("household", "G-INC", per_day=2_000),),
        permits=(PermitSpec("msw_service", "household", annual_tonnes=660_000),),
        source=f"{NEWS_004}; {FIGURES_TIANJIAN}",
        note="替代 2004 年投运的天健热电 1000 吨/日 CFB 焚烧厂（搬迁项目）；2000 吨/日为虚构",
    ),
    Plant(
        "wangtian",
        "许昌市旺田生活垃圾综合处理中心",
        "411002",
        "高桥营街道",
        "landfill",
        "旺田生活垃圾卫生填埋场（庞庄）",
        (Cap("household", "G-LF", per_day=600),),
        credit="12",
        source=FIGURES_TIANJIAN,
        note="名称见来源；规模与现状为虚构（应急填埋）",
    ),
    Plant(
        "wanli",
        "河南万里交通科技集团股份有限公司",
        "411002",
        "产业集聚区街道",
        "road_materials",
        "固废制道路材料生产基地",
        (
            Cap("construction", "G-CWR", per_year=300_000),
            Cap("industrial", "G-MAT", per_year=200_000),
        ),
        permits=(PermitSpec("cw_disposal", "construction", annual_tonnes=300_000),),
        source=f"{NEWS_004}; {PLAN}（河南省低碳环保道路材料工程技术研究中心）",
    ),
    Plant(
        "medical",
        "许昌市医疗废物集中处置中心",
        "411003",
        "河街乡",
        "medical",
        "许昌市医疗废物集中处置中心",
        (Cap("medical", "Y11", per_day=25),),
        roles=("receiver", "transporter", "collector"),
        commissioned=date(2012, 6, 1),
        permits=(PermitSpec("mw_operation", "medical", categories=("HW01",), annual_tonnes=8_250),),
        fleet=("medical_van", 14),
        source=PLAN,
        note="计划“小箱进大箱”；规模、工艺、地点为虚构",
    ),
    Plant(
        "junsheng",
        "襄城县骏盛环保科技有限公司",
        "411025",
        None,
        "medical",
        "医疗废物微波消毒处理项目",
        (Cap("medical", "Y13", per_year=JUNSHENG_MEDICAL_TONNES, source=FIGURES_JUNSHENG),),
        status="construction",
        park="xiangcheng",
        source=FIGURES_JUNSHENG,
        note="环评公示 2025-10；年处理 2000 吨",
    ),
    Plant(
        "alba",
        "许昌欧绿保再生资源有限公司",
        "411003",
        None,
        "kitchen_waste",
        "许昌市餐厨废弃物资源化利用项目（欧绿保）",
        (Cap("kitchen", "G-AD", per_day=300), Cap("household-kitchen", "G-AD", per_day=100)),
        roles=("receiver", "transporter", "collector"),
        commissioned=date(2020, 12, 1),
        permits=(PermitSpec("kitchen_waste", "kitchen", annual_tonnes=99_000),),
        park="xuchang",
        fleet=("kitchen_tanker", 24),
        source=FIGURES_ALBA,
        note="欧绿保（ALBA）项目 2020 年冬建成；公司名称与规模为虚构",
    ),
    Plant(
        "cement_kiln",
        None,
        "411081",
        "无梁镇",
        "cement_kiln",
        "水泥窑协同处置污泥技改项目",
        (Cap("sludge", "G-KILN", per_day=300), Cap("hazardous", "C1", per_day=100)),
        trade="cement",
        roles=("receiver", "generator"),
        permits=(
            PermitSpec(
                "hw_operation",
                "hazardous",
                categories=("HW08", "HW12", "HW17", "HW49"),
                annual_tonnes=33_000,
            ),
        ),
        source=PLAN,
        note="计划选取禹州市作为水泥窑协同处置污泥技改项目试点；企业名称与规模为虚构",
    ),
    Plant(
        "hw_centre",
        None,
        "411003",
        None,
        "hazardous",
        "许昌市危险废物集中处置中心",
        (
            Cap("hazardous", "D10", per_day=30),
            Cap("hazardous", "D9", per_day=10),
            Cap("hazardous", "D1", per_year=20_000),
        ),
        trade="hw_disposal",
        park="xuchang",
        permits=(
            PermitSpec(
                "hw_operation", "hazardous", categories=HW_DISPOSAL_CATEGORIES, annual_tonnes=33_000
            ),
        ),
    ),
    Plant(
        "sludge_centre",
        None,
        "411003",
        None,
        "sludge",
        "许昌市污泥处理处置中心",
        (Cap("sludge", "G-SLUDGE", per_day=300),),
        trade="sludge",
        park="xuchang",
    ),
    Plant(
        "acid",
        None,
        "411082",
        None,
        "hazardous",
        "大周酸洗废酸处置中心",
        (Cap("hazardous", "R6", per_year=30_000),),
        trade="hw_disposal",
        status="construction",
        park="dazhou",
        source=PLAN,
        note="计划：加快推进大周“城市矿产”示范基地酸洗废酸处置中心建设",
    ),
    # --- invented utilisers and disposers -----------------------------------------------------
    Plant(
        "al_dross",
        None,
        "411082",
        None,
        "hazardous",
        "铝灰渣资源化利用生产线",
        (Cap("hazardous", "R4", per_year=20_000),),
        trade="hw_disposal",
        park="dazhou",
        permits=(
            PermitSpec("hw_operation", "hazardous", codes=("321-026-48",), annual_tonnes=20_000),
        ),
    ),
    Plant(
        "lead",
        None,
        "411082",
        None,
        "battery",
        "废铅蓄电池再生利用生产线",
        (Cap("hazardous", "R4", per_year=50_000),),
        trade="battery",
        park="dazhou",
        permits=(
            PermitSpec("hw_operation", "hazardous", codes=("900-052-31",), annual_tonnes=50_000),
        ),
    ),
    Plant(
        "oil_1",
        None,
        "411003",
        None,
        "hazardous",
        "废矿物油再生利用装置",
        (Cap("hazardous", "R9", per_year=15_000),),
        trade="oil",
        permits=(
            PermitSpec(
                "hw_operation",
                "hazardous",
                codes=("900-214-08", "900-249-08", "900-210-08"),
                annual_tonnes=15_000,
            ),
        ),
    ),
    Plant(
        "oil_2",
        None,
        "411025",
        None,
        "hazardous",
        "废矿物油再生利用装置",
        (Cap("hazardous", "R9", per_year=10_000),),
        trade="oil",
        park="xiangcheng",
        permits=(
            PermitSpec(
                "hw_operation",
                "hazardous",
                codes=("900-214-08", "900-249-08"),
                annual_tonnes=10_000,
            ),
        ),
    ),
    Plant(
        "carbon",
        None,
        "411025",
        None,
        "hazardous",
        "废活性炭再生装置",
        (Cap("hazardous", "R15", per_year=8_000),),
        trade="carbon",
        park="xiangcheng",
        permits=(
            PermitSpec("hw_operation", "hazardous", codes=("900-039-49",), annual_tonnes=8_000),
        ),
    ),
    Plant(
        "catalyst",
        None,
        "411081",
        None,
        "hazardous",
        "废脱硝催化剂再生利用线",
        (Cap("hazardous", "R8", per_year=5_000),),
        trade="carbon",
        permits=(
            PermitSpec("hw_operation", "hazardous", codes=("772-007-50",), annual_tonnes=5_000),
        ),
    ),
    Plant(
        "gangue",
        None,
        "411025",
        None,
        "building_materials",
        "煤矸石新型建材生产线",
        (Cap("industrial", "G-MAT", per_year=500_000),),
        trade="cement",
        park="xiangcheng",
        source=PLAN,
        note="计划：以煤矸石、废石等为原料的建材产业；规模为虚构",
    ),
    Plant(
        "ind_landfill",
        None,
        "411025",
        None,
        "general_industrial",
        "一般工业固体废物填埋场",
        (Cap("industrial", "D1", per_year=200_000),),
        trade="cement",
        park="xiangcheng",
    ),
    Plant(
        "ash_bricks_1",
        None,
        "411081",
        None,
        "building_materials",
        "粉煤灰蒸压砖生产线",
        (Cap("industrial", "G-MAT", per_year=150_000),),
        trade="cement",
    ),
    Plant(
        "ash_bricks_2",
        None,
        "411003",
        None,
        "building_materials",
        "工业固废制新型墙材生产线",
        (Cap("industrial", "G-MAT", per_year=120_000), Cap("sludge", "G-SLUDGE", per_day=50)),
        trade="cement",
        source=PLAN,
        note="计划：城区周边建材厂无害化处置城市污泥",
    ),
    Plant(
        "ylkitchen",
        None,
        "411024",
        None,
        "kitchen_waste",
        "鄢陵县餐厨垃圾处理厂",
        (Cap("kitchen", "G-AD", per_day=50),),
        trade="kitchen",
        park="yanling",
        permits=(PermitSpec("kitchen_waste", "kitchen", annual_tonnes=16_500),),
    ),
    Plant(
        "ylcompost",
        None,
        "411024",
        None,
        "compost",
        "有机废弃物协同处置中心",
        (
            Cap("agricultural-manure", "G-COMP", per_day=100),
            Cap("agricultural-straw", "G-COMP", per_day=50),
        ),
        trade="compost",
        park="yanling",
        source=PLAN,
        note="计划：畜禽粪污、餐厨垃圾等有机废弃物协同处置",
    ),
    # Construction-waste recyclers: with 金科 the "10+" firms of the reference note.
    *(
        Plant(
            f"cwr_{i}",
            None,
            county,
            None,
            "cw_recycling",
            "建筑垃圾资源化利用厂",
            (Cap("construction", "G-CWR", per_year=tonnes),),
            trade="cw_recycling",
            park="yanling" if county == "411024" else None,
            permits=(PermitSpec("cw_disposal", "construction", annual_tonnes=tonnes),),
            source="xuchang-figures §2: 10+ firms (count sourced; each firm invented)",
        )
        for i, (county, tonnes) in enumerate(
            (
                ("411002", 600_000),
                ("411003", 800_000),
                ("411003", 400_000),
                ("411024", 300_000),
                ("411025", 300_000),
                ("411081", 500_000),
                ("411081", 250_000),
                ("411082", 500_000),
                ("411082", 200_000),
            ),
            start=1,
        )
    ),
    *(
        Plant(
            f"fill_{county}",
            None,
            county,
            None,
            "cw_fill",
            "建筑垃圾消纳场",
            (Cap("construction", "G-FILL", per_year=tonnes),),
            trade="earthwork",
            permits=(PermitSpec("cw_disposal", "construction", annual_tonnes=tonnes),),
        )
        for county, tonnes in (
            ("411002", 300_000),
            ("411003", 500_000),
            ("411024", 200_000),
            ("411025", 200_000),
            ("411081", 400_000),
            ("411082", 300_000),
        )
    ),
    *(
        Plant(
            f"straw_{county}",
            None,
            county,
            None,
            "straw",
            "秸秆综合利用中心",
            (
                Cap("agricultural-straw", "G-FUEL", per_year=tonnes),
                Cap("agricultural-straw", "G-FEED", per_year=tonnes // 4),
            ),
            trade="straw",
        )
        for county, tonnes in (("411025", 120_000), ("411024", 100_000), ("411081", 150_000))
    ),
    *(
        Plant(
            f"compost_{county}",
            None,
            county,
            None,
            "compost",
            "畜禽粪污有机肥厂",
            (Cap("agricultural-manure", "G-COMP", per_day=tpd),),
            trade="compost",
        )
        for county, tpd in (("411082", 150), ("411025", 120), ("411081", 150), ("411003", 80))
    ),
    *(
        Plant(
            f"biogas_{county}",
            None,
            county,
            None,
            "biogas",
            "规模化沼气工程",
            (Cap("agricultural-manure", "G-AD", per_day=tpd),),
            trade="compost",
        )
        for county, tpd in (("411082", 100), ("411081", 80))
    ),
    *(
        Plant(
            f"film_{county}",
            None,
            county,
            None,
            "film_recycling",
            "废旧农膜回收加工厂",
            (
                Cap("agricultural-film", "G-REC", per_year=tonnes),
                Cap("agricultural-pesticide-packaging", "G-REC", per_year=tonnes // 5),
            ),
            trade="film",
            source=PLAN,
            note="计划：积极培育农膜加工回收企业；规模为虚构",
        )
        for county, tonnes in (("411024", 6_000), ("411081", 5_000))
    ),
    # Centralised collection and storage of small and micro enterprises' hazardous waste.
    *(
        Plant(
            f"hw_collect_{county}",
            None,
            county,
            None,
            "hw_storage",
            "小微企业危险废物集中收集贮存点",
            (Cap("hazardous", "G-STORE", per_year=3_000),),
            trade="hw_collect",
            roles=("collector",),
            setting="urban",
            source=PLAN,
            note="计划：在园区设立危险废物临时贮存设施",
            permits=(
                PermitSpec(
                    "hw_collection", "hazardous", codes=SMALL_MICRO_CODES, annual_tonnes=3_000
                ),
            ),
        )
        for county in ("411002", "411003", "411024", "411025", "411081", "411082")
    ),
)
