"""A small world for the inspection tests: two counties, a factory and a hospital in 魏都区, a
factory in 长葛市, a storage yard in 魏都区, the checklists, and a user for every role that
matters here (the factory's clerk, another enterprise, both county officials, the city, the
ecology bureau)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from wufei.accounts.models import Department, User
from wufei.cases import services
from wufei.cases.checklists import load_checklists
from wufei.cases.models import Checklist, DumpSite, Inspection
from wufei.manifests.tests.world import user
from wufei.registry.models import Party, Region, Site
from wufei.registry.tests import factories

WEIDU, CHANGGE = "411002", "411082"
TODAY = date(2020, 9, 15)


@dataclass
class World:
    weidu: Region
    changge: Region
    factory: Party
    factory_site: Site
    hospital_site: Site
    other_site: Site  # in 长葛市, another party
    yard: DumpSite
    clerk: User
    stranger: User
    county_weidu: User
    county_changge: User
    city: User
    ecology: User

    @staticmethod
    def checklist(kind: str) -> Checklist:
        return Checklist.objects.get(kind=kind, version="1")

    def inspection(self, *, site=None, dump_site=None, kind="hazardous", actor=None, **kw):
        return services.inspection_create(
            actor=actor or self.county_weidu,
            checklist=self.checklist(kind),
            site=site if site is not None or dump_site is not None else self.factory_site,
            dump_site=dump_site,
            inspected_on=kw.pop("inspected_on", date(2020, 6, 1)),
            inspectors="张三、李四",
            today=TODAY,
            **kw,
        )

    def inside(self, region: Region | None = None) -> tuple[str, str]:
        county = (region or self.weidu).county
        return str(county.center_lon), str(county.center_lat)


def build() -> World:
    load_checklists()
    weidu, changge = factories.region(WEIDU), factories.region(CHANGGE)
    factory = factories.PartyFactory(name="魏都化工厂", region=weidu)
    other = factories.PartyFactory(name="长葛铸造厂", region=changge)
    factory_site = factories.SiteFactory(party=factory, region=weidu, kind="factory")
    hospital_site = factories.SiteFactory(region=weidu, kind="hospital")
    other_site = factories.SiteFactory(party=other, region=changge, kind="factory")
    city = user(role="city")
    yard = services.dump_site_register(
        actor=city,
        data=services.DumpSiteInput(
            kind="storage_yard",
            name="魏都区某煤矸石堆场",
            region=weidu,
            found_on=date(2020, 5, 1),
            lon=weidu.center_lon,
            lat=weidu.center_lat,
            party=factory,
        ),
        today=TODAY,
    )
    return World(
        weidu=weidu,
        changge=changge,
        factory=factory,
        factory_site=factory_site,
        hospital_site=hospital_site,
        other_site=other_site,
        yard=yard,
        clerk=user(role="enterprise", party=factory),
        stranger=user(role="enterprise", party=other),
        county_weidu=user(role="county", region=weidu),
        county_changge=user(role="county", region=changge),
        city=city,
        ecology=user(role="department", department=Department.objects.get(code="ecology")),
    )


SIGNATURES = {"jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF", "png": b"\x89PNG\r\n\x1a\n\x00\x00"}


def photo(name: str = "scene.jpg", *, size: int = 64, head: bytes | None = None):
    """An upload that starts like a JPEG or PNG of ``size`` bytes (the services check the
    signature and the size, not the picture)."""
    signature = head if head is not None else SIGNATURES[name.rsplit(".", 1)[-1]]
    return SimpleUploadedFile(name, signature + b"\0" * max(0, size - len(signature)))


def submitted_with_finding(w: World) -> tuple[Inspection, object]:
    inspection = w.inspection()
    item = w.checklist("hazardous").items.get(number="9")
    lon, lat = w.inside()
    finding = services.finding_add(
        actor=w.county_weidu,
        inspection=inspection,
        data=services.FindingInput(description="贮存间未防渗", item=item, lon=lon, lat=lat),
    )
    services.inspection_submit(actor=w.county_weidu, inspection=inspection, summary="发现1项")
    return inspection, finding
