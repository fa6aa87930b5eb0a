"""A small sorting registry for the registry tests: on top of the web tests' world (one account
per role, 魏都区 and 禹州市), a compound with a registered site (H codes) and one without (C
codes) in 西大街道, a compound in 东大街道, a village in 禹州市, stations with fixed times, a guide
on the roster linked to the guide's account, and accounts of the urban management bureau and
of a second street's guide. No tests here: the fixtures' builder only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.registry.models import Region
from wufei.registry.tests.factories import DeviceFactory, PartyFactory, SiteFactory
from wufei.sorting.models import Community, Guide, Station
from wufei.web.tests.world import build_world

WEST, EAST, YUZHOU_TOWN = "411002001", "411002002", "411081001"
SCHEDULE = [["07:00", "09:00"], ["18:00", "21:00"]]
# 1×1 PNG: a real photo by content and by name.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class Registry:
    users: dict
    west: Region
    east: Region
    yuzhou_town: Region
    site: object
    compound: Community  # with a site: H codes
    plain: Community  # without a site: C codes
    east_compound: Community
    village: Community
    station: Station
    evening: Station  # a second station of the compound, same times
    east_station: Station
    guide: Guide
    east_guide: Guide
    smart_bin: object


def build() -> Registry:
    world = build_world()
    west = Region.objects.get(adcode=WEST)
    east = Region.objects.get(adcode=EAST)
    yuzhou_town = Region.objects.get(adcode=YUZHOU_TOWN)
    committee = world.community
    site = committee.sites.get()
    compound = Community.objects.create(
        kind="compound",
        name="西大街道测试小区",
        region=west,
        site=site,
        committee=committee,
        households_total=400,
        is_pilot=True,
    )
    plain = Community.objects.create(
        kind="compound", name="西大街道无场所小区", region=west, households_total=100
    )
    east_compound = Community.objects.create(
        kind="compound", name="东大街道测试小区", region=east, households_total=200
    )
    village = Community.objects.create(
        kind="village",
        name="禹州测试村",
        region=yuzhou_town,
        households_total=300,
        coarse_sorting=True,
        collection_covered=False,
    )
    smart_bin = DeviceFactory(party=committee, site=site, kind="smart_bin", serial="BIN-WD-0001")
    station = Station.objects.create(
        kind="sorting", name="3号楼投放点", community=compound, region=west, schedule=SCHEDULE
    )
    evening = Station.objects.create(
        kind="sorting", name="7号楼投放点", community=compound, region=west, schedule=SCHEDULE
    )
    east_station = Station.objects.create(
        kind="sorting",
        name="东大街投放点",
        community=east_compound,
        region=east,
        schedule=[["06:30", "08:30"]],
    )
    users = dict(world.users)
    users["urban"] = UserFactory(
        username="urban", role="department", department=Department.objects.get(code="urban")
    )
    users["east_guide"] = UserFactory(username="eastguide", role="guide", region=east)
    guide = Guide.objects.create(
        name="王督导", region=west, user=users["guide"], joined_on=date(2021, 3, 1)
    )
    guide.stations.set([station, evening])
    east_guide = Guide.objects.create(name="李督导", region=east, user=users["east_guide"])
    east_guide.stations.set([east_station])
    return Registry(
        users=users,
        west=west,
        east=east,
        yuzhou_town=yuzhou_town,
        site=site,
        compound=compound,
        plain=plain,
        east_compound=east_compound,
        village=village,
        station=station,
        evening=evening,
        east_station=east_station,
        guide=guide,
        east_guide=east_guide,
        smart_bin=smart_bin,
    )


def weidu_point() -> tuple[Decimal, Decimal]:
    county = Region.objects.get(adcode="411002")
    return county.center_lon, county.center_lat


def yuzhou_point() -> tuple[Decimal, Decimal]:
    county = Region.objects.get(adcode="411081")
    return county.center_lon, county.center_lat


def party_in_west(name: str = "西大街道测试物业"):
    return PartyFactory(name=name, region=Region.objects.get(adcode=WEST))


def village_site():
    town = Region.objects.get(adcode=YUZHOU_TOWN)
    party = PartyFactory(name="禹州测试村委会", region=town, is_community=True)
    return SiteFactory(party=party, name="禹州测试村村部", kind="village", region=town)


def module_world(django_db_blocker):
    """Build the registry once for a test module inside a transaction rolled back at its end
    (each test then runs in its own savepoint); a generator for a module-scoped fixture."""
    from django.test import override_settings

    from wufei.core.tests.module_rows import built_for_the_module

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield from built_for_the_module(django_db_blocker, build)
