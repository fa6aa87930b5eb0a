from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("地级市")
    COUNTY = "county", _("县（市、区）")
    ZONE = "zone", _("功能区")
    TOWN = "town", _("乡镇（街道）")


class SiteKind(models.TextChoices):
    FACTORY = "factory", _("工业企业")
    INDUSTRIAL_PARK = "park", _("产业集聚区")
    HOSPITAL = "hospital", _("医院")
    CLINIC = "clinic", _("基层医疗机构")
    RESTAURANT = "restaurant", _("餐饮单位")
    CANTEEN = "canteen", _("单位食堂")
    AUTO_REPAIR = "auto_repair", _("机动车维修")
    CONSTRUCTION = "construction", _("建设工地")
    FARM = "farm", _("规模养殖场")
    FARMLAND = "farmland", _("种植基地")
    COMMUNITY = "community", _("居民小区")
    VILLAGE = "village", _("行政村")
    WASTEWATER_PLANT = "wwtp", _("污水处理厂")
    COLLECTION_POINT = "collection_point", _("收集点")
    TRANSFER_STATION = "transfer_station", _("垃圾转运站")
    TREATMENT = "treatment", _("利用处置场所")
    DEPOT = "depot", _("车辆停车场")
    EXPRESS_OUTLET = "express_outlet", _("快递网点")
    SCHOOL = "school", _("学校")
    MARKET = "market", _("商场超市与集贸市场")
    OFFICE = "office", _("党政机关与事业单位")


class FacilityKind(models.TextChoices):
    INCINERATION = "incineration", _("生活垃圾焚烧发电厂")
    LANDFILL = "landfill", _("卫生填埋场")
    KITCHEN_WASTE = "kitchen_waste", _("餐厨废弃物处理厂")
    CONSTRUCTION_RECYCLING = "cw_recycling", _("建筑垃圾资源化利用厂")
    CONSTRUCTION_FILL = "cw_fill", _("建筑垃圾消纳场")
    HAZARDOUS = "hazardous", _("危险废物利用处置设施")
    HAZARDOUS_STORAGE = "hw_storage", _("危险废物集中收集贮存设施")
    MEDICAL = "medical", _("医疗废物集中处置中心")
    CEMENT_KILN = "cement_kiln", _("水泥窑协同处置")
    SLUDGE = "sludge", _("污泥处理处置设施")
    METAL_RECYCLING = "metal_recycling", _("再生金属加工")
    RENEWABLE = "renewable", _("再生资源回收分拣中心")
    BATTERY = "battery", _("废铅蓄电池利用")
    ROAD_MATERIALS = "road_materials", _("固废制道路材料")
    BUILDING_MATERIALS = "building_materials", _("固废制建材")
    COMPOST = "compost", _("有机肥与堆肥")
    BIOGAS = "biogas", _("沼气工程")
    STRAW = "straw", _("秸秆综合利用")
    FILM_RECYCLING = "film_recycling", _("农膜与农药包装回收利用")
    TRANSFER = "transfer", _("生活垃圾转运站")
    GENERAL_INDUSTRIAL = "general_industrial", _("一般工业固废利用处置")


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", _("规划")
    UNDER_CONSTRUCTION = "construction", _("在建")
    OPERATING = "operating", _("运行")
    SUSPENDED = "suspended", _("停运")
    CLOSED = "closed", _("关闭")


class PermitKind(models.TextChoices):
    HAZARDOUS_OPERATION = "hw_operation", _("危险废物经营许可证")
    HAZARDOUS_COLLECTION = "hw_collection", _("危险废物收集经营许可证")
    MEDICAL_OPERATION = "mw_operation", _("医疗废物经营许可证")
    DANGEROUS_GOODS_TRANSPORT = "dg_transport", _("道路危险货物运输许可")
    DISCHARGE = "discharge", _("排污许可证")
    MSW_SERVICE = "msw_service", _("城市生活垃圾经营性收集、运输、处理服务许可")
    KITCHEN_WASTE = "kitchen_waste", _("餐厨废弃物收运处理许可")
    CONSTRUCTION_TRANSPORT = "cw_transport", _("建筑垃圾运输核准")
    CONSTRUCTION_DISPOSAL = "cw_disposal", _("建筑垃圾处置（消纳）核准")
    RENEWABLE_RECORD = "renewable_record", _("再生资源回收经营者备案")
    BATTERY_COLLECTION = "battery_collection", _("废铅蓄电池收集试点资格")


class PermitStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("吊销")


class EffectivePermitStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    NOT_YET_VALID = "not_yet_valid", _("未生效")
    EXPIRED = "expired", _("已过期")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("吊销")


class VehicleKind(models.TextChoices):
    COMPACTOR = "compactor", _("压缩式垃圾车")
    KITCHEN_TANKER = "kitchen_tanker", _("餐厨垃圾密闭运输车")
    MEDICAL_VAN = "medical_van", _("医疗废物转运车")
    HAZMAT = "hazmat", _("危险货物运输车")
    DUMP_TRUCK = "dump_truck", _("建筑垃圾密闭运输车（渣土车）")
    SLUDGE_TRUCK = "sludge_truck", _("污泥密闭运输车")
    BOX_TRUCK = "box_truck", _("厢式货车")
    TRICYCLE = "tricycle", _("分类收集三轮车")
    HOOKLIFT = "hooklift", _("勾臂车")


class DeviceKind(models.TextChoices):
    WEIGHBRIDGE = "weighbridge", _("地磅")
    GPS = "gps", _("车载定位终端")
    BIN_SENSOR = "bin_sensor", _("满溢传感器")
    SMART_BIN = "smart_bin", _("智能分类回收箱")


class Confidence(models.TextChoices):
    VERIFIED = "verified", _("已核实（官方来源）")
    SECONDARY = "secondary", _("二手来源")
    RECALLED = "recalled", _("据记忆，未核实")
    PLATFORM = "platform", _("平台自定义")


class MethodKind(models.TextChoices):
    UTILISATION = "utilisation", _("利用")
    DISPOSAL = "disposal", _("处置")
    STORAGE = "storage", _("贮存")


class Fate(models.TextChoices):
    """Where a tonne ends up, as the statistics count it."""

    UTILISED = "utilised", _("资源化利用")
    ENERGY = "energy", _("能量回收")
    LANDFILLED = "landfilled", _("填埋")
    TREATED = "treated", _("无害化处理（其他）")
    STORED = "stored", _("贮存")


class HazardTrait(models.TextChoices):
    TOXICITY = "T", _("毒性")
    CORROSIVITY = "C", _("腐蚀性")
    IGNITABILITY = "I", _("易燃性")
    REACTIVITY = "R", _("反应性")
    INFECTIVITY = "In", _("感染性")
