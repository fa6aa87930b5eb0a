"""Plausible Chinese names, addresses, phone numbers, plates and device serials.

All invented, drawn from a seeded ``random.Random``; any likeness to a real enterprise's name
is chance. The few real names the demo uses (the facilities the plan and the news name, the
public hospitals of each county) are spelled out in ``wufei.demo.city``.
"""

from __future__ import annotations

import random


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BRANDS = words(
    "鑫源 宏达 华通 恒泰 金桥 瑞丰 永盛 天成 中原 豫丰 广源 昌盛 嘉禾 新亚 汇丰 德润 聚鑫 "
    "万通 安泰 博远 诚信 东方 福瑞 富源 光明 国鑫 海达 昊天 弘毅 鸿运 华瑞 汇通 佳和 金鼎 "
    "锦程 君安 凯达 康泰 兰亭 乐康 利民 龙腾 隆盛 茂源 明德 鹏程 启航 千禧 瑞祥 润泽 三和 "
    "盛世 顺达 泰和 天润 通达 万隆 伟业 祥和 新宇 信诚 兴旺 亚泰 怡和 益民 银河 永安 裕丰 "
    "远航 兆丰 正大 志成 中天 众诚 卓越 宗华 泽润 星辰 莲城 魏都 钧台 颍川 许都 葛天 建安"
)
SURNAMES = words(
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧 "
    "程 曹 袁 邓 许 傅 沈 曾 彭 吕 苏 卢 蒋 蔡 贾 丁 魏 薛 叶 阎 余 潘 杜 戴 夏 钟 汪 田 任 姜"
)
GIVEN = words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉 萍 红 建 国 "
    "文 辉 力 鹏 飞 斌 宇 浩 凯 欣 颖 晨 阳 帅 雪 琳 晶 亮 峰 婷 博 鑫 瑞 海 波 宁 东 林 志"
)
ROADS = {
    "411002": words(
        "许继大道 魏武大道 八一路 七一路 五一路 文峰路 劳动路 天宝路 莲城大道 学院路 北海路"
    ),
    "411003": words("建安大道 许由路 新元大道 昌盛路 邓庄路 永昌路 魏文路 尚德路"),
    "411024": words("人民路 花都大道 陈化店路 健康路 黄河路 金汇大道"),
    "411025": words("紫云大道 文化路 八七路 城关大道 首山路 襄州路"),
    "411081": words("颍川路 钧台大道 夏都大道 药城路 禹王大道 滨河路"),
    "411082": words("长社路 建设路 金桥路 长兴路 钟繇大道 葛天大道"),
}
VILLAGE_SUFFIX = words("庄 营 寨 村 集 店 湾 岗 楼 屯")
DIRECTIONS = words("东 西 南 北 前 后 大 小")

COMPANY_SUFFIX = (("有限公司", 0.8), ("有限责任公司", 0.12), ("股份有限公司", 0.08))

TRADES = {
    "metal": words("再生资源 金属材料 不锈钢 铝业 再生金属 废旧物资回收 有色金属 合金材料"),
    "coal_chemical": words("煤化工 焦化 炭素 化工 新材料 硅材料"),
    "ceramics": words("钧瓷 陶瓷 钧窑 瓷业 钧瓷文化"),
    "cement": words("水泥 建材 新型建材"),
    "hair": words("发制品 工艺品 假发 发艺"),
    "power_equipment": words("电气 电力设备 电器 开关 变压器 输配电"),
    "food": words("食品 面业 粮油 肉制品 腐竹 饮品"),
    "machinery": words("机械 汽车零部件 机电 精密制造 重工 铸造"),
    "hw_transport": ["危险货物运输"],
    "construction_transport": words("渣土运输 建筑垃圾清运 运输"),
    "sludge_transport": ["环保运输"],
    "renewable_collect": words("再生资源回收 废旧物资 资源回收"),
    "battery_collect": ["废旧电池回收"],
    "agri_collect": ["农业废弃物回收"],
    "sanitation": ["环境卫生服务"],
    "water": ["水务"],
    "construction": words("建筑工程 建设工程 建工 城建"),
    "farm": words("牧业 养殖 农牧 畜牧"),
    "nursery": words("花木 园林 苗木 花卉"),
    "express": words("快递 速运 物流"),
    "auto_repair": words("汽车维修 汽车服务 汽修"),
    "restaurant": words("餐饮管理 餐饮服务 酒店管理"),
    # operators of plants the sources do not name
    "hw_disposal": words("环保科技 环境治理 固废处置"),
    "sludge": words("环保科技 水务环境"),
    "battery": words("再生铅 再生资源"),
    "oil": words("石化再生 润滑油再生"),
    "carbon": words("环保材料 活性炭 催化剂"),
    "kitchen": words("环境科技 生物能源"),
    "compost": words("生物肥业 农业科技 生态农业"),
    "cw_recycling": words("建材再生 再生建材 绿色建材"),
    "earthwork": words("土方工程 建筑垃圾消纳"),
    "straw": words("秸秆综合利用 生物质能源"),
    "film": words("塑业 农膜回收"),
    "hw_collect": words("环保科技 危废收集"),
}
DISHES = words("烩面 胡辣汤 火锅 烧烤 家常菜 饺子 牛肉面 酒楼 饭庄 大酒店 羊肉汤 小吃")
PROJECT_WORDS = words("花园 府 苑 城 广场 名邸 家园 公馆 嘉园 中心")
COMPOUND_WORDS = words("小区 家园 花园 苑 新村 社区 公寓 华庭 雅居 名苑")
FARM_KINDS = (("养猪场", 0.5), ("奶牛场", 0.1), ("肉牛场", 0.15), ("蛋鸡场", 0.15), ("肉鸡场", 0.1))
EXPRESS_BRANDS = words("中通 圆通 申通 韵达 顺丰 极兔 邮政 京东")


def weighted(rng: random.Random, options):
    """One of ``options`` (pairs of value and weight, or a dict)."""
    items = list(options.items()) if isinstance(options, dict) else list(options)
    values = [v for v, _ in items]
    weights = [float(w) for _, w in items]
    return rng.choices(values, weights=weights, k=1)[0]


def person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1-99 in Chinese numerals (第十二中学)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


def school(rng: random.Random, county: str, town: str) -> str:
    if rng.random() < 0.4:
        return f"{county}{town}{rng.choice(('中心小学', '中心幼儿园', '初级中学', '中心学校'))}"
    kind, most = rng.choice((("小学", 30), ("小学", 30), ("初级中学", 20), ("高级中学", 8)))
    return f"{county}第{cn_number(rng.randint(1, most))}{kind}"


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(
        (
            "130",
            "131",
            "132",
            "135",
            "137",
            "138",
            "139",
            "150",
            "152",
            "155",
            "158",
            "176",
            "177",
            "181",
            "186",
            "187",
            "189",
            "199",
        )
    )
    return prefix + f"{rng.randrange(10**8):08d}"


def village(rng: random.Random) -> str:
    base = rng.choice(SURNAMES) + rng.choice(VILLAGE_SUFFIX)
    return (rng.choice(DIRECTIONS) + base) if rng.random() < 0.3 else base


def address(rng: random.Random, county_name: str, county_code: str, town: str, urban: bool) -> str:
    if urban:
        road = rng.choice(ROADS[county_code])
        return f"许昌市{county_name}{town}{road}{rng.randint(1, 999)}号"
    name = village(rng)
    return f"许昌市{county_name}{town}{name if name.endswith('村') else name + '村'}"


def company(rng: random.Random, place: str, trade: str) -> str:
    return f"{place}{rng.choice(BRANDS)}{rng.choice(TRADES[trade])}{weighted(rng, COMPANY_SUFFIX)}"


def shop(rng: random.Random, place: str, kind: str) -> str:
    """An individual business (个体工商户) name."""
    owner = rng.choice(SURNAMES)
    if kind == "restaurant":
        return f"{place}{owner}记{rng.choice(DISHES)}"
    if kind == "auto_repair":
        return f"{place}{owner}{rng.choice(GIVEN)}汽车修理部"
    if kind == "clinic":
        return f"{place}{owner}{rng.choice(GIVEN)}诊所"
    if kind == "express":
        return f"{place}{rng.choice(EXPRESS_BRANDS)}快递{rng.choice(BRANDS)}网点"
    if kind == "ceramics":
        return f"{place}{owner}家钧窑"
    if kind == "hair":
        return f"{place}{owner}{rng.choice(GIVEN)}发制品加工厂"
    return f"{place}{owner}{rng.choice(GIVEN)}经营部"


def compound(rng: random.Random) -> str:
    return f"{rng.choice(BRANDS)}{rng.choice(COMPOUND_WORDS)}"


def project(rng: random.Random) -> str:
    return (
        f"{rng.choice(BRANDS)}{rng.choice(PROJECT_WORDS)}{rng.choice(('一期', '二期', '三期', ''))}"
    )


# --- plates and serials -----------------------------------------------------------------------
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def plate(rng: random.Random) -> str:
    """A Xuchang plate: 豫K and five symbols, mostly digits, at most two letters (GA 36)."""
    symbols = [str(rng.randrange(10)) for _ in range(5)]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        symbols[rng.randrange(4)] = rng.choice(PLATE_LETTERS)
    return "豫K" + "".join(symbols)


def imei(rng: random.Random) -> str:
    """A 15-digit IMEI-like terminal serial with a Luhn check digit."""
    body = "86" + "".join(str(rng.randrange(10)) for _ in range(12))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)
