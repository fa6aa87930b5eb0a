"""The demo city of Xuchang: which units exist, where, with what plants, permits, fleets and
devices. Magnitudes live in ``figures`` and ``plants``; this module turns them into rows.

Every section draws from its own random stream (``seed:section``), so the same seed gives the
same rows, and changing one section's size does not reshuffle the others.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date

from django.utils import timezone

from wufei.demo import names
from wufei.demo.builder import Builder, Cap, PermitSpec, day_between
from wufei.demo.figures import (
    BATTERY_POINTS,
    COMPACTORS_PER_10K_URBAN,
    COMPOUNDS_PER_COMMUNITY,
    COMPOUNDS_PER_TRICYCLE,
    CONSTRUCTION_TRANSPORTERS,
    COUNTIES,
    COUNTY_BY_CODE,
    DAZHOU_CAPACITY_TARGET,
    FLEETS,
    HOOKLIFTS_PER_10K,
    HW_TRANSPORTERS,
    INDUSTRY,
    OTHER_COMPOUNDS,
    PERSONS_PER_HOUSEHOLD,
    PILOT_BIN_SENSORS,
    PILOT_COMPOUNDS,
    PILOT_HOUSEHOLDS,
    PILOT_SMART_BINS,
    RENEWABLE_COLLECTORS,
    SLUDGE_TRANSPORTERS,
    SOCIAL,
    TRANSFER_T_PER_DAY,
    WEIGHED_TRANSFER_T_PER_DAY,
    WWTP_PER_COUNTY,
    County,
    Sector,
    scaled,
)
from wufei.demo.geography import Geography, Town
from wufei.demo.manifests import manifests_generate
from wufei.demo.models import Generation
from wufei.demo.plants import PARKS, PLANTS, Plant
from wufei.demo.statistics import statistics_generate
from wufei.registry.choices import FacilityKind
from wufei.registry.models import Party, Region, Site

PUBLIC_HOSPITALS = ("人民医院", "中医院", "妇幼保健院", "第二人民医院", "第三人民医院")
BUREAUS = names.words(
    "人民政府 财政局 教育局 公安局 税务局 人力资源和社会保障局 自然资源局 住房和城乡建设局 "
    "农业农村局 卫生健康委员会 市场监督管理局 城市管理局 交通运输局 水利局 民政局 审计局 "
    "统计局 司法局 文化广电和旅游局 应急管理局"
)
TRANSPORT_INDUSTRY = {
    "hw_transport": "危险货物道路运输",
    "construction_transport": "建筑垃圾运输",
    "sludge_transport": "污泥运输",
    "renewable_collect": "再生资源回收",
}
SECTOR_ROLES = {"metal": ("generator", "collector", "receiver")}
FARM_TREATMENT_SHARE = 0.2  # farms with their own manure treatment (invented)
CENTRAL_HOSPITAL = "许昌市中心医院"


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` by ``weights`` (largest remainder; ties in key order)."""
    mass = sum(weights.values())
    exact = {k: total * w / mass for k, w in weights.items()}
    shares = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(shares.values())
    for key in sorted(exact, key=lambda k: shares[k] - exact[k])[:rest]:
        shares[key] += 1
    return shares


def county_weights(spec: str | dict[str, float]) -> dict[str, float]:
    if isinstance(spec, dict):
        return spec
    attribute = {"urban": "urban_population", "rural": "rural_population"}.get(spec, "population")
    return {c.adcode: getattr(c, attribute) for c in COUNTIES}


class CityGenerator:
    def __init__(self, *, scale: str, seed: int, generation: Generation):
        self.scale = scale
        self.seed = seed
        self.geo = Geography()
        self.b = Builder(generation, self.geo)
        self.anchors: dict[str, object] = {}
        self.parks: dict[str, tuple[Town, tuple[float, float]]] = {}
        self.compounds: Counter[str] = Counter()
        self.pilot_by_town: Counter[Region] = Counter()

    # --- basics -------------------------------------------------------------------------------
    def rng(self, section: str) -> random.Random:
        return random.Random(f"{self.seed}:{section}")

    def n(self, city_count: float, minimum: int = 1) -> int:
        return scaled(round(city_count), self.scale, minimum)

    def pick_town(
        self, rng: random.Random, adcode: str, setting: str, preferred: dict[str, float] | None
    ) -> Town:
        towns = {t.name: t for t in self.geo.towns(adcode)}
        present = {name: w for name, w in (preferred or {}).items() if name in towns}
        if present:
            return towns[names.weighted(rng, present)]
        county = COUNTY_BY_CODE[adcode]
        urban_share = {"urban": 0.85, "rural": 0.0}.get(
            setting, county.urban_population / county.population
        )
        where = "urban" if rng.random() < urban_share else "rural"
        return rng.choice(self.geo.towns(adcode, where))

    def unit(
        self,
        rng: random.Random,
        *,
        sector: str,
        name: str,
        town: Town,
        site_kind: str,
        site_name: str | None = None,
        near: tuple[float, float] | None = None,
        spread_km: float | None = None,
        **party_fields,
    ) -> tuple[Party, Site]:
        party = self.b.party(rng, sector=sector, name=name, town=town, **party_fields)
        site = self.b.site(
            rng,
            party=party,
            name=site_name or name,
            kind=site_kind,
            town=town,
            near=near,
            spread_km=spread_km,
        )
        return party, site

    def fleet(self, rng: random.Random, party: Party, spec: str, count: int) -> None:
        for _ in range(count):
            self.b.vehicle(rng, party=party, spec=spec)

    def run(self) -> dict[str, int]:
        self.industrial_parks()
        self.plants()
        self.key_units()
        for sector in INDUSTRY + SOCIAL:
            self.sector(sector)
        self.communities()
        self.utilities()
        self.collection_points()
        self.transporters()
        counts = self.b.write()
        generation = self.b.generation
        generation.anchors = self.anchor_ids()
        today = timezone.localdate(generation.created_at or timezone.now())
        counts.update(manifests_generate(generation, self.rng("manifests"), self.scale, today))
        counts.update(statistics_generate(generation, self.rng("statistics"), today))
        return counts

    def anchor_ids(self) -> dict[str, int]:
        return {key: obj.pk for key, obj in self.anchors.items()}

    # --- plants and parks ---------------------------------------------------------------------
    def industrial_parks(self) -> None:
        rng = self.rng("parks")
        for park in PARKS:
            town = self.geo.town(park.county, park.town)
            _, site = self.unit(
                rng,
                sector="park",
                name=park.operator,
                town=town,
                site_kind="park",
                site_name=park.name,
                credit=park.credit,
                roles=park.roles,
                industry="产业园区运营",
                attrs={"park": park.key, "source": park.source},
            )
            self.parks[park.key] = (town, (float(site.lon), float(site.lat)))

    def plants(self) -> None:
        rng = self.rng("plants")
        for plant in PLANTS:
            county = COUNTY_BY_CODE[plant.county]
            near, spread = None, None
            if plant.park:
                town, near = self.parks[plant.park]
                spread = 0.5
            elif plant.town:
                town = self.geo.town(plant.county, plant.town)
            else:
                town = self.pick_town(rng, plant.county, plant.setting, None)
            name = plant.name or self.b.unique_name(
                rng, lambda r, c=county, p=plant: names.company(r, c.place, p.trade)
            )
            party, site = self.unit(
                rng,
                sector="plant",
                name=name,
                town=town,
                site_kind="treatment",
                site_name=plant.facility_name if plant.name else f"{name}{plant.facility_name}",
                near=near,
                spread_km=spread,
                credit=plant.credit,
                roles=plant.roles,
                industry=str(FacilityKind(plant.facility_kind).label),
                attrs={"plant": plant.key, "source": plant.source},
            )
            facility = self.b.facility(
                site=site,
                name=plant.facility_name,
                kind=plant.facility_kind,
                capacities=plant.capacities,
                status=plant.status,
                commissioned=self._commissioned(rng, plant),
                note=plant.note,
            )
            if plant.weighbridge and plant.status == "operating":
                self.b.device(rng, party=party, kind="weighbridge", site=site)
            for spec in plant.permits:
                self.b.permit(rng, party=party, spec=spec, facility=facility)
            if plant.fleet:
                spec, count = plant.fleet
                self.fleet(rng, party, spec, self.n(count, minimum=2))
            self.anchors.setdefault(f"plant:{plant.key}", party)
        self.anchors["incineration"] = self.anchors["plant:wangneng"]

    @staticmethod
    def _commissioned(rng: random.Random, plant: Plant) -> date | None:
        if plant.commissioned or plant.status != "operating":
            return plant.commissioned
        return day_between(rng, date(2008, 1, 1), date(2021, 12, 31))

    def key_units(self) -> None:
        """The units the demo logins are bound to (present at every scale)."""
        rng = self.rng("key-units")
        hospital, _ = self.unit(
            rng,
            sector="hospital",
            name=CENTRAL_HOSPITAL,
            town=self.geo.town("411002", "东大街道"),
            site_kind="hospital",
            credit="12",
            industry="医院",
            industry_code="8411",
            attrs={
                "hw_codes": ["841-001-01", "841-002-01", "841-003-01", "841-004-01", "841-005-01"]
            },
        )
        self.anchors["hospital"] = hospital
        codes = ("900-252-12", "900-249-08", "900-039-49", "900-214-08")
        generator, _ = self.unit(
            rng,
            sector="power_equipment",
            name=self.b.unique_name(rng, lambda r: names.company(r, "许昌", "power_equipment")),
            town=self.geo.town("411002", "魏北街道"),
            site_kind="factory",
            industry="电力装备",
            industry_code="3821",
            attrs={"hw_codes": list(codes)},
        )
        self.b.permit(
            rng,
            party=generator,
            spec=PermitSpec("discharge", "hazardous", codes=codes),
            number=f"{generator.credit_code}001P",
        )
        self.anchors["hw_generator"] = generator

    # --- generating units by sector -----------------------------------------------------------
    def sector(self, sector: Sector) -> None:
        rng = self.rng(sector.key)
        per_county = apportion(self.n(sector.city_count), county_weights(sector.counties))
        metal_capacity = self._metal_capacities(rng) if sector.key == "metal" else None
        for adcode, count in per_county.items():
            county = COUNTY_BY_CODE[adcode]
            for _ in range(count):
                town = self.pick_town(rng, adcode, sector.setting, sector.towns)
                credit = names.weighted(rng, sector.credit)
                name, credit = self._name(rng, sector, credit, county, town)
                hw = [code for code, share in sector.hw if rng.random() < share]
                party, site = self.unit(
                    rng,
                    sector=sector.key,
                    name=name,
                    town=town,
                    site_kind=sector.site_kind,
                    site_name=self._site_name(rng, sector, name, town),
                    credit=credit,
                    roles=SECTOR_ROLES.get(sector.key, ("generator",)),
                    industry=sector.label,
                    industry_code=sector.industry_code,
                    small_micro=rng.random() < sector.small_micro,
                    attrs={"hw_codes": hw} if hw else None,
                )
                if hw and rng.random() < sector.discharge_permit:
                    self.b.permit(
                        rng,
                        party=party,
                        spec=PermitSpec("discharge", "hazardous", codes=tuple(hw)),
                        number=f"{party.credit_code}001P",
                    )
                if metal_capacity is not None:
                    self._metal_plant(rng, party, site, metal_capacity.pop())
                elif sector.key == "farm" and rng.random() < FARM_TREATMENT_SHARE:
                    self.b.facility(
                        site=site,
                        name=f"{site.name}粪污处理设施",
                        kind="compost",
                        capacities=[
                            Cap("agricultural-manure", "G-COMP", per_day=rng.randint(5, 30))
                        ],
                        commissioned=day_between(rng, date(2016, 1, 1), date(2022, 12, 31)),
                    )

    def _metal_capacities(self, rng: random.Random) -> list[int]:
        """Annual capacities of the 大周 firms, summing to the sourced >300 万 t at city scale."""
        metal = next(s for s in INDUSTRY if s.key == "metal")
        count = self.n(metal.city_count)
        weights = [rng.lognormvariate(0, 1) for _ in range(count)]
        target = DAZHOU_CAPACITY_TARGET * count / metal.city_count
        return [max(1_000, int(round(target * w / sum(weights), -2))) for w in weights]

    def _metal_plant(self, rng: random.Random, party: Party, site: Site, tonnes: int) -> None:
        facility = self.b.facility(
            site=site,
            name=f"{site.name}再生金属加工线",
            kind="metal_recycling",
            capacities=[Cap("renewable", "G-METAL", per_year=tonnes)],
            commissioned=day_between(rng, date(2005, 1, 1), date(2020, 12, 31)),
        )
        self.b.device(rng, party=party, kind="weighbridge", site=site)
        self.b.permit(
            rng,
            party=party,
            spec=PermitSpec("renewable_record", "renewable", annual_tonnes=tonnes),
            facility=facility,
        )

    def _name(
        self, rng: random.Random, sector: Sector, credit: str, county: County, town: Town
    ) -> tuple[str, str]:
        """A unit's name, and its credit-code kind (a taken public name turns private)."""
        key, local = sector.key, f"{county.name}{town.name}"
        if credit == "12" and key == "hospital":
            free = [
                f"{county.name}{suffix}"
                for suffix in PUBLIC_HOSPITALS
                if f"{county.name}{suffix}" not in self.b.party_names
            ]
            if free:
                self.b.party_names.add(free[0])
                return free[0], credit
            credit = "52"
        if credit == "12" and key == "clinic":
            name = f"{local}{'卫生院' if town.kind == 'town' else '社区卫生服务中心'}"
            if name not in self.b.party_names:
                self.b.party_names.add(name)
                return name, credit
            credit = "92"

        def recipe(r: random.Random) -> str:
            if credit == "92":
                return names.shop(r, local, key)
            if credit == "93":
                trade = "养殖" if key == "farm" else "花木"
                return f"{local}{names.village(r)}{trade}专业合作社"
            if credit == "52":
                kind = "门诊部" if key == "clinic" else r.choice(("医院", "骨科医院", "妇产医院"))
                return f"{county.place}{r.choice(names.BRANDS)}{kind}"
            if credit == "12":  # canteens of schools
                return names.school(r, county.name, town.name)
            if credit == "11":
                return f"{county.name}{r.choice(BUREAUS)}"
            trade = "restaurant" if key == "canteen" else key
            return names.company(r, county.place, trade)

        return self.b.unique_name(rng, recipe), credit

    @staticmethod
    def _site_name(rng: random.Random, sector: Sector, name: str, town: Town) -> str:
        if sector.key == "canteen":
            return f"{name}食堂"
        if sector.key == "construction":
            return f"{names.project(rng)}项目工地"
        if sector.key == "farm":
            return f"{town.name}{names.village(rng)}{names.weighted(rng, names.FARM_KINDS)}"
        if sector.key == "nursery":
            return f"{town.name}{names.village(rng)}苗圃基地"
        return name

    # --- households -------------------------------------------------------------------------------
    def communities(self) -> None:
        """Residential compounds grouped into 社区居民委员会; the pilot ones have sensors
        and smart sorting bins."""
        rng = self.rng("communities")
        pilot = self._households(rng, self.n(PILOT_COMPOUNDS), PILOT_HOUSEHOLDS, PILOT_COMPOUNDS)
        other = self._households(rng, self.n(OTHER_COMPOUNDS), None, None)
        pilot_weights = {
            c.adcode: c.urban_population * (3 if c.adcode in ("411002", "411003") else 1)
            for c in COUNTIES
        }
        placed: list[tuple[Town, int, bool]] = []
        for households, pilot_flag, weights in (
            (pilot, True, pilot_weights),
            (other, False, county_weights("urban")),
        ):
            counts = apportion(len(households), weights)
            queue = iter(households)
            for adcode, count in counts.items():
                for _ in range(count):
                    town = self.pick_town(rng, adcode, "urban", None)
                    placed.append((town, next(queue), pilot_flag))
        by_town: dict[str, list[tuple[Town, int, bool]]] = {}
        for item in placed:
            by_town.setdefault(item[0].region.adcode, []).append(item)
        for adcode in sorted(by_town):
            items = by_town[adcode]
            while items:
                group = items[: rng.randint(*COMPOUNDS_PER_COMMUNITY)]
                items = items[len(group) :]
                self._community(rng, group)
        # The sorting guide works in the street with the most pilot compounds.
        self.anchors["guide_town"] = min(
            self.pilot_by_town, key=lambda r: (-self.pilot_by_town[r], r.adcode)
        )

    @staticmethod
    def _households(
        rng: random.Random, count: int, city_total: int | None, city_count: int | None
    ) -> list[int]:
        """Households per compound; the pilot ones add up to the sourced 15.67 万 at city scale."""
        draws = [rng.lognormvariate(math.log(380), 0.55) for _ in range(count)]
        if city_total is None:
            return [max(60, round(d)) for d in draws]
        target = round(city_total * count / city_count)
        values = [max(60, round(target * d / sum(draws))) for d in draws]
        values[-1] += target - sum(values)
        return values

    def _community(self, rng: random.Random, group: list[tuple[Town, int, bool]]) -> None:
        town = group[0][0]
        county = town.county
        name = self.b.unique_name(
            rng, lambda r: f"{county.name}{town.name}{r.choice(names.BRANDS)}社区居民委员会"
        )
        compounds = []
        anchor = self.geo.point(rng, town)
        for _, households, pilot in group:
            compound = names.compound(rng)
            while compound in (c["name"] for c in compounds):
                compound = names.compound(rng)
            compounds.append({"name": compound, "households": households, "pilot": pilot})
        total = sum(c["households"] for c in compounds)
        party = self.b.party(
            rng,
            sector="community",
            name=name,
            town=town,
            credit="Y1",
            roles=("community", "generator"),
            industry="居民小区",
            attrs={
                "households": total,
                "residents": int((total * PERSONS_PER_HOUSEHOLD).to_integral_value()),
                "compounds": compounds,
            },
        )
        for compound in compounds:
            site = self.b.site(
                rng,
                party=party,
                name=compound["name"],
                kind="community",
                town=town,
                near=(float(anchor[0]), float(anchor[1])),
                spread_km=0.4,
            )
            self.compounds[county.adcode] += 1
            if compound["pilot"]:
                self.pilot_by_town[town.region] += 1
                for _ in range(rng.randint(*PILOT_BIN_SENSORS)):
                    self.b.device(rng, party=party, kind="bin_sensor", site=site)
                for _ in range(rng.randint(*PILOT_SMART_BINS)):
                    self.b.device(rng, party=party, kind="smart_bin", site=site)

    # --- municipal utilities ------------------------------------------------------------------
    def utilities(self) -> None:
        """Per county: the sanitation company (transfer stations, compactors, hooklifts,
        tricycles) and the water company (wastewater plants)."""
        rng = self.rng("utilities")
        all_towns = [t for c in COUNTIES for t in self.geo.towns(c.adcode)]
        stations = apportion(
            self.n(len(all_towns)), {c.adcode: len(self.geo.towns(c.adcode)) for c in COUNTIES}
        )
        for county in COUNTIES:
            seat = self.geo.towns(county.adcode, "urban")[0]
            sanitation, _ = self.unit(
                rng,
                sector="sanitation",
                name=self.b.unique_name(
                    rng, lambda r, c=county: names.company(r, c.place, "sanitation")
                ),
                town=seat,
                site_kind="depot",
                site_name=f"{county.name}环卫车辆停车场",
                roles=("transporter", "collector"),
                industry="环境卫生管理",
            )
            self.b.permit(rng, party=sanitation, spec=PermitSpec("msw_service", "household"))
            self._transfer_stations(rng, sanitation, county, stations[county.adcode])
            self.fleet(
                rng,
                sanitation,
                "compactor",
                self.n(county.urban_population / 10_000 * float(COMPACTORS_PER_10K_URBAN)),
            )
            self.fleet(
                rng,
                sanitation,
                "hooklift",
                self.n(county.population / 10_000 * float(HOOKLIFTS_PER_10K)),
            )
            tricycles = max(1, self.compounds[county.adcode] // COMPOUNDS_PER_TRICYCLE)
            self.fleet(rng, sanitation, "tricycle", tricycles)
            self._wastewater_plants(rng, county)

    def _transfer_stations(
        self, rng: random.Random, sanitation: Party, county: County, count: int
    ) -> None:
        towns = self.geo.towns(county.adcode)
        order = rng.sample(towns, len(towns))
        for i in range(count):
            town = order[i % len(order)]
            label = "" if i < len(order) else f"第{i // len(order) + 1}"
            site = self.b.site(
                rng,
                party=sanitation,
                name=f"{town.name}{label}垃圾转运站",
                kind="transfer_station",
                town=town,
            )
            low, high = TRANSFER_T_PER_DAY["town" if town.kind == "town" else "street"]
            per_day = rng.randrange(low, high + 1, 5)
            self.b.facility(
                site=site,
                name=site.name,
                kind="transfer",
                capacities=[Cap("household", "G-TRANSFER", per_day=per_day)],
                commissioned=day_between(rng, date(2012, 1, 1), date(2021, 12, 31)),
            )
            if per_day >= WEIGHED_TRANSFER_T_PER_DAY:
                self.b.device(rng, party=sanitation, kind="weighbridge", site=site)

    def _wastewater_plants(self, rng: random.Random, county: County) -> None:
        count = self.n(WWTP_PER_COUNTY[county.adcode])
        operator = None
        for i in range(count):
            urban = i < max(1, count // 2)
            town = rng.choice(self.geo.towns(county.adcode, "urban" if urban else "rural"))
            name = (
                f"{county.name}第{i + 1}污水处理厂"
                if urban
                else f"{county.name}{town.name}污水处理厂"
            )
            if operator is None:
                operator, _ = self.unit(
                    rng,
                    sector="wastewater",
                    name=self.b.unique_name(rng, lambda r: names.company(r, county.place, "water")),
                    town=town,
                    site_kind="wwtp",
                    site_name=name,
                    industry="污水处理及其再生利用",
                    industry_code="4620",
                    attrs={"plants": count},
                )
            else:
                self.b.site(rng, party=operator, name=name, kind="wwtp", town=town)

    # --- collection networks ------------------------------------------------------------------
    def collection_points(self) -> None:
        """Lead-acid battery points (urban) and film / pesticide packaging points (rural)."""
        rng = self.rng("collection")
        collectors = []
        for i in range(self.n(2)):
            adcode = ("411002", "411082")[i % 2]
            town = self.pick_town(rng, adcode, "urban", None)
            party, site = self.unit(
                rng,
                sector="battery_collect",
                name=self.b.unique_name(
                    rng,
                    lambda r, a=adcode: names.company(
                        r, COUNTY_BY_CODE[a].place, "battery_collect"
                    ),
                ),
                town=town,
                site_kind="collection_point",
                site_name="废铅蓄电池集中贮存库",
                roles=("collector", "transporter"),
                industry="废铅蓄电池收集",
            )
            facility = self.b.facility(
                site=site,
                name=site.name,
                kind="hw_storage",
                capacities=[Cap("hazardous", "G-STORE", per_year=5_000)],
                commissioned=day_between(rng, date(2019, 6, 1), date(2021, 12, 31)),
            )
            spec = PermitSpec(
                "battery_collection", "hazardous", codes=("900-052-31",), annual_tonnes=5_000
            )
            self.b.permit(rng, party=party, spec=spec, facility=facility)
            self.fleet(rng, party, *self._fleet_size(rng, "battery_collect"))
            collectors.append(party)
        points = apportion(self.n(BATTERY_POINTS), county_weights("population"))
        for adcode, count in points.items():
            for i in range(count):
                town = self.pick_town(rng, adcode, "urban", None)
                self.b.site(
                    rng,
                    party=collectors[i % len(collectors)],
                    name=f"{town.name}废铅蓄电池收集网点{i + 1}",
                    kind="collection_point",
                    town=town,
                )
        for county in COUNTIES:
            rural = [t for t in self.geo.towns(county.adcode) if not t.urban]
            if not rural:
                continue
            seat = self.geo.towns(county.adcode, "urban")[0]
            collector, _ = self.unit(
                rng,
                sector="agri_collect",
                name=self.b.unique_name(
                    rng, lambda r, c=county: names.company(r, c.place, "agri_collect")
                ),
                town=seat,
                site_kind="depot",
                site_name=f"{county.name}农业废弃物回收中转站",
                roles=("collector", "transporter"),
                industry="农业废弃物回收",
            )
            self.fleet(rng, collector, *self._fleet_size(rng, "agri_collect"))
            for i in range(self.n(len(rural))):
                town = rural[i % len(rural)]
                for what in ("农膜回收网点", "农药包装废弃物回收点"):
                    suffix = "" if i < len(rural) else str(i // len(rural) + 1)
                    self.b.site(
                        rng,
                        party=collector,
                        name=f"{town.name}{what}{suffix}",
                        kind="collection_point",
                        town=town,
                    )

    def _fleet_size(self, rng: random.Random, trade: str) -> tuple[str, int]:
        spec, (low, high) = FLEETS[trade]
        return spec, rng.randint(low, high)

    # --- transporters -------------------------------------------------------------------------
    def transporters(self) -> None:
        rng = self.rng("transport")
        plans = (
            ("hw_transport", HW_TRANSPORTERS, 2, PermitSpec("dg_transport", "hazardous")),
            (
                "construction_transport",
                CONSTRUCTION_TRANSPORTERS,
                2,
                PermitSpec("cw_transport", "construction"),
            ),
            ("sludge_transport", SLUDGE_TRANSPORTERS, 1, None),
            (
                "renewable_collect",
                RENEWABLE_COLLECTORS,
                1,
                PermitSpec("renewable_record", "renewable"),
            ),
        )
        for trade, city_count, minimum, permit in plans:
            counts = apportion(self.n(city_count, minimum), county_weights("urban"))
            for adcode, count in counts.items():
                for _ in range(count):
                    town = self.pick_town(rng, adcode, "urban", None)
                    roles = (
                        ("transporter", "collector")
                        if trade == "renewable_collect"
                        else ("transporter",)
                    )
                    party, depot = self.unit(
                        rng,
                        sector=trade,
                        name=self.b.unique_name(
                            rng,
                            lambda r, a=adcode, t=trade: names.company(
                                r, COUNTY_BY_CODE[a].place, t
                            ),
                        ),
                        town=town,
                        site_kind="depot",
                        roles=roles,
                        industry=TRANSPORT_INDUSTRY[trade],
                    )
                    facility = None
                    if trade == "renewable_collect":
                        facility = self.b.facility(
                            site=depot,
                            name=f"{depot.name}再生资源分拣中心",
                            kind="renewable",
                            capacities=[
                                Cap("renewable", "G-REC", per_day=rng.randrange(20, 101, 5))
                            ],
                            commissioned=day_between(rng, date(2015, 1, 1), date(2021, 12, 31)),
                        )
                        self.b.device(rng, party=party, kind="weighbridge", site=depot)
                    if permit is not None:
                        self.b.permit(rng, party=party, spec=permit, facility=facility)
                    self.fleet(rng, party, *self._fleet_size(rng, trade))
                    if trade == "hw_transport":
                        self.anchors.setdefault("transporter", party)
