"""The demo city's inspections and enforcement (plan task 23): the 2019 and 2020 固体废物大督查
campaigns and a special inspection over the year that ends at ``today``; inspections of a
sample of the generated hazardous-waste generators, facilities and hospitals, their findings,
rectification orders, re-inspections (some failing first) and closures; and the register of
storage yards and informal landfills found by the 排查 — a few in every county, most rectified
and closed by 2020-12, a few still being rectified.

Rows are built in memory and bulk-inserted (the services check one row at a time and log each
change; the demo writes hundreds of rows at once), with the services' rules kept: checklists
fit the place, findings lie at the place, deadlines follow issue dates, an order is closed
only after a passed re-inspection, a register entry only after an inspection that follows its
rectification. Everything is drawn from ``seed``: the same seed gives the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wufei.cases.checklists import load_checklists
from wufei.cases.models import (
    Campaign,
    Checklist,
    ChecklistItem,
    DumpSite,
    DumpSiteKind,
    DumpSiteState,
    Finding,
    Inspection,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
    Reinspection,
)
from wufei.cases.services import next_order_number
from wufei.demo.figures import COUNTIES
from wufei.demo.geography import Geography
from wufei.demo.models import GeneratedParty
from wufei.registry.models import Facility, Party, Region, Site

ORIGIN = "演示数据"
SHANGHAI = ZoneInfo("Asia/Shanghai")
INSPECTORS = ("张伟、李娜", "王强、刘洋", "陈静、杨帆", "赵磊、周敏", "吴昊、孙丽", "郑凯、黄蕾")
REGISTER_PER_COUNTY = (4, 8)
RECENT, SLOW_SHARE = timedelta(days=150), 0.5  # recent orders some parties have not answered
HAZARDOUS_SITE_KINDS = (
    "factory",
    "park",
    "auto_repair",
    "treatment",
)  # a few dozen entries in the six counties


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    starts_on: date
    ends_on: date
    sample: int  # sites inspected
    fail_rate: float  # share of checklist items found failing
    description: str


def campaign_specs(today: date) -> list[CampaignSpec]:
    year_ago = today - timedelta(days=364)
    specs = [
        CampaignSpec(
            "2019年许昌市固体废物大督查",
            date(2019, 6, 1),
            date(2019, 10, 31),
            60,
            0.16,
            "全面排查危险废物产生和经营单位规范化管理情况，排查工业固体废物堆存场地和"
            "非正规垃圾填埋场，建立问题清单和整改台账。",
        ),
        CampaignSpec(
            "2020年许昌市固体废物大督查",
            date(2020, 4, 1),
            date(2020, 9, 30),
            60,
            0.10,
            "对2019年发现问题整改情况开展“回头看”，继续推进堆存场所和非正规垃圾填埋场整治销号。",
        ),
    ]
    if year_ago > date(2020, 12, 31):
        specs.append(
            CampaignSpec(
                f"{today.year}年度固体废物专项执法检查",
                year_ago,
                today,
                50,
                0.10,
                "危险废物规范化环境管理评估及医疗废物、一般工业固体废物专项检查。",
            )
        )
    return [s for s in specs if s.starts_on <= today]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


class InspectionGenerator:
    def __init__(self, *, seed: int, today: date):
        self.seed, self.today = seed, today
        self.checklists = {c.kind: c for c in Checklist.objects.filter(version="1")}
        self.items = {
            kind: list(ChecklistItem.objects.filter(checklist=c).order_by("id"))
            for kind, c in self.checklists.items()
        }
        self.city = Region.objects.get(adcode="411000")
        self.numbers: dict[str, int] = {}
        self.counts = dict.fromkeys(
            (
                "cases.Campaign",
                "cases.Inspection",
                "cases.Finding",
                "cases.RectificationOrder",
                "cases.Reinspection",
                "cases.DumpSite",
            ),
            0,
        )

    def rng(self, key: str) -> random.Random:
        return random.Random(f"{self.seed}:inspections:{key}")

    # --- places -------------------------------------------------------------------------------

    def targets(self) -> list[tuple[Site, str]]:
        """(site, checklist kind): hazardous-waste generators, hazardous-waste facilities and
        hospitals of the generated city, in a stable order."""
        generated = GeneratedParty.objects.values("party_id")
        hw_parties = set(
            GeneratedParty.objects.filter(attrs__has_key="hw_codes").values_list(
                "party_id", flat=True
            )
        )
        facility_sites = set(
            Facility.objects.filter(
                kind__in=("hazardous", "hw_storage"), site__party__in=generated
            ).values_list("site_id", flat=True)
        )
        sites = Site.objects.filter(party__in=generated, lon__isnull=False, lat__isnull=False)
        out = []
        for site in sites.select_related("party", "region").order_by("pk"):
            if site.kind == "hospital":
                out.append((site, "medical"))
            elif site.pk in facility_sites or (
                site.party_id in hw_parties and site.kind in HAZARDOUS_SITE_KINDS
            ):
                out.append((site, "hazardous"))
        return out

    # --- campaigns, inspections, findings, orders ---------------------------------------------

    def run(self) -> dict[str, int]:
        targets = self.targets()
        campaigns = []
        for index, spec in enumerate(campaign_specs(self.today)):
            campaign = Campaign.objects.create(
                name=spec.name,
                region=self.city,
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                description=spec.description,
                lead="许昌市生态环境局",
            )
            self.counts["cases.Campaign"] += 1
            campaigns.append(campaign)
            rng = self.rng(f"campaign:{index}")
            sample = rng.sample(targets, min(spec.sample, len(targets)))
            for site, kind in sorted(sample, key=lambda t: t[0].pk):
                self.inspect(rng, campaign, spec, site, kind)
        self.register(campaigns)
        return dict(self.counts)

    def _campaign_of(self, campaigns: list[Campaign], day: date) -> Campaign | None:
        return next((c for c in campaigns if c.starts_on <= day <= c.ends_on), None)

    def _inspection(self, rng, *, campaign, kind, day, site=None, dump_site=None, summary=""):
        place = site if site is not None else dump_site
        inspection = Inspection.objects.create(
            campaign=campaign,
            checklist=self.checklists[kind],
            site=site,
            dump_site=dump_site,
            party=place.party,
            region=place.region,
            inspected_on=day,
            inspectors=rng.choice(INSPECTORS),
            status=InspectionStatus.SUBMITTED,
            summary=summary,
        )
        self.counts["cases.Inspection"] += 1
        return inspection

    def _findings(self, rng, inspection, kind, place, rate: float, at_least: int = 0):
        items = self.items[kind]
        failed = [item for item in items if rng.random() < rate]
        if len(failed) < at_least:
            failed = sorted(rng.sample(items, at_least), key=lambda i: i.pk)
        findings = []
        for item in failed:
            topic = item.text.split("：")[0]
            findings.append(
                Finding.objects.create(
                    inspection=inspection,
                    item=item,
                    description=f"{topic}：{rng.choice(PROBLEMS)}",
                    severity=item.severity,
                    lon=place.lon,
                    lat=place.lat,
                )
            )
        self.counts["cases.Finding"] += len(findings)
        inspection.summary = f"检查{len(items)}项，发现问题{len(findings)}项。"
        inspection.save(update_fields=["summary"])
        return findings

    def inspect(self, rng, campaign, spec: CampaignSpec, site: Site, kind: str) -> None:
        day = _day(rng, spec.starts_on, min(spec.ends_on, self.today))
        inspection = self._inspection(rng, campaign=campaign, kind=kind, day=day, site=site)
        for finding in self._findings(rng, inspection, kind, site, spec.fail_rate):
            if finding.severity != "minor" or rng.random() < 0.5:
                self.order(rng, finding, inspection)

    def order(self, rng, finding: Finding, inspection: Inspection) -> None:
        """An order and what became of it by ``today``: reported, re-inspected (a fifth fail
        the first time and get a new deadline), closed — or still open, some overdue."""
        issued = inspection.inspected_on + timedelta(days=rng.randint(1, 5))
        if issued > self.today:
            return
        order = RectificationOrder.objects.create(
            number=next_order_number(inspection.region, issued),
            finding=finding,
            party=inspection.party,
            region=inspection.region,
            requirement=f"限期整改：{finding.description}",
            issued_on=issued,
            deadline=issued + timedelta(days=rng.choice((15, 30, 30, 60))),
        )
        self.counts["cases.RectificationOrder"] += 1
        reinspections = []
        if issued > self.today - RECENT and rng.random() < SLOW_SHARE:
            return  # a party that has not answered yet (overdue once the deadline passes)
        for attempt in range(2):
            reported = order.deadline - timedelta(days=rng.randint(-10, 12))
            reported = max(reported, order.issued_on + timedelta(days=1))
            if reported > self.today:
                break
            order.status, order.reported_at = OrderStatus.REPORTED, _moment(reported, 16)
            order.report = "已按整改要求完成整改，附整改前后照片和台账。"
            checked = reported + timedelta(days=rng.randint(3, 15))
            if checked > self.today:
                break
            passed = attempt == 1 or rng.random() > 0.2
            reinspections.append(
                Reinspection(
                    order=order,
                    inspected_on=checked,
                    inspectors=rng.choice(INSPECTORS),
                    passed=passed,
                    note="整改到位。" if passed else "整改不到位，需继续整改。",
                    created_at=_moment(checked, 17),
                )
            )
            if passed:
                closed = checked + timedelta(days=rng.randint(0, 5))
                if closed <= self.today:
                    order.status, order.closed_at = OrderStatus.CLOSED, _moment(closed, 9)
                break
            order.status, order.deadline = OrderStatus.FAILED, checked + timedelta(days=30)
        order.save()
        Reinspection.objects.bulk_create(reinspections)
        self.counts["cases.Reinspection"] += len(reinspections)

    # --- the register of storage yards and informal landfills ---------------------------------

    def register(self, campaigns: list[Campaign]) -> None:
        geography = Geography()
        for county in COUNTIES:
            rng = self.rng(f"register:{county.adcode}")
            region = geography.area(county.adcode).region
            industry = list(
                Party.objects.filter(
                    pk__in=GeneratedParty.objects.filter(
                        sector__in=INDUSTRIAL_SECTORS, party__region__path__startswith=region.path
                    ).values("party_id")
                ).order_by("pk")[:200]
            )
            for _ in range(rng.randint(*REGISTER_PER_COUNTY)):
                self.register_one(rng, geography, county.adcode, industry, campaigns)

    def register_one(self, rng, geography, adcode: str, industry: list, campaigns) -> None:
        town = rng.choice(geography.towns(adcode))
        lon, lat = geography.point(rng, town, spread_km=3.0)
        roll = rng.random()
        found_on = (
            _day(rng, date(2019, 5, 15), date(2019, 10, 31))
            if roll < 0.7
            else _day(rng, date(2020, 4, 1), date(2020, 9, 30))
        )
        if found_on > self.today:
            return
        if rng.random() < 0.4:
            kind, waste = DumpSiteKind.STORAGE_YARD, rng.choice(YARD_WASTES)
            name = f"{town.name}{waste}堆场"
            party = rng.choice(industry) if industry else None
        else:
            kind, waste = DumpSiteKind.INFORMAL_LANDFILL, rng.choice(LANDFILL_WASTES)
            name = f"{town.name}{rng.choice(VILLAGES)}村{waste}堆放点"
            party = None
        site = DumpSite.objects.create(
            kind=kind,
            name=name,
            region=town.region,
            address=f"{town.name}{rng.choice(VILLAGES)}村附近",
            lon=lon,
            lat=lat,
            area_m2=rng.randint(3, 120) * 100,
            volume_m3=rng.randint(5, 400) * 100,
            waste=waste,
            party=party,
            found_on=found_on,
            state=DumpSiteState.FOUND,
            state_changed_on=found_on,
            note=f"{ORIGIN}：固体废物大督查排查发现。",
        )
        self.counts["cases.DumpSite"] += 1
        first = self._inspection(
            rng,
            campaign=self._campaign_of(campaigns, found_on),
            kind=kind,
            day=found_on,
            dump_site=site,
        )
        self._findings(rng, first, kind, site, 0.3, at_least=2)
        target = rng.choices(("closed", "rectified", "rectifying"), weights=(72, 10, 18))[0]
        steps = [(DumpSiteState.RECTIFYING, found_on + timedelta(days=rng.randint(10, 45)))]
        steps.append((DumpSiteState.RECTIFIED, steps[-1][1] + timedelta(days=rng.randint(45, 200))))
        accepted_on = steps[-1][1] + timedelta(days=rng.randint(5, 25))
        steps.append((DumpSiteState.CLOSED, accepted_on + timedelta(days=rng.randint(1, 10))))
        wanted = {"rectifying": 1, "rectified": 2, "closed": 3}[target]
        for state, day in steps[:wanted]:
            if day > self.today:
                break
            if state == DumpSiteState.CLOSED:
                self._inspection(
                    rng,
                    campaign=self._campaign_of(campaigns, accepted_on),
                    kind=kind,
                    day=accepted_on,
                    dump_site=site,
                    summary="整治验收：现场已清理平整，符合销号条件。",
                )
            site.state, site.state_changed_on = state, day
        site.save(update_fields=["state", "state_changed_on"])


INDUSTRIAL_SECTORS = (
    "metal",
    "coal_chemical",
    "ceramics",
    "cement",
    "power_equipment",
    "machinery",
    "plant",
)
PROBLEMS = (
    "未按要求落实",
    "记录不完整",
    "现场不符合要求",
    "制度未建立或未上墙",
    "未及时更新",
    "措施不到位",
)
YARD_WASTES = ("煤矸石", "粉煤灰", "炉渣", "废石", "尾矿", "铸造废砂", "脱硫石膏")
LANDFILL_WASTES = ("生活垃圾", "建筑垃圾", "混合垃圾")
VILLAGES = ("东", "西", "南", "北", "前", "后", "张庄", "李庄", "王庄", "刘庄", "陈营", "大", "小")


def inspections_reset() -> dict[str, int]:
    """Remove what ``inspections_generate`` wrote (before the generated parties and sites,
    which its rows protect): inspections of generated parties and of generated register
    entries, their findings, orders and re-inspections, the entries, and the campaigns no
    person created that are left without inspections."""
    generated = GeneratedParty.objects.values("party_id")
    entries = DumpSite.objects.filter(note__startswith=ORIGIN)
    inspections = Inspection.objects.filter(party__in=generated) | Inspection.objects.filter(
        dump_site__in=entries
    )
    orders = RectificationOrder.objects.filter(finding__inspection__in=inspections)
    removed: dict[str, int] = {}
    for queryset in (
        Reinspection.objects.filter(order__in=orders),
        orders,
        Finding.objects.filter(inspection__in=inspections),
        inspections,
        entries,
        Campaign.objects.filter(created_by__isnull=True, inspections__isnull=True),
    ):
        label = queryset.model._meta.label
        removed[label] = removed.get(label, 0) + queryset.delete()[1].get(label, 0)
    return removed


def inspections_generate(*, seed: int, today: date) -> dict[str, int]:
    """Generate the demo city's campaigns, inspections, orders and register (row counts)."""
    load_checklists()  # idempotent: the checklists are reference data the rows point at
    return InspectionGenerator(seed=seed, today=today).run()
