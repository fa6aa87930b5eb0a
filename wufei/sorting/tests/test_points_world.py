"""A small sorting world for the points, drops, flags and absorb tests (no tests of its own):
two streets of 魏都区, three communities (one with a registered site and a smart bin), a few
households, stations, two guides with accounts, officials, and the default points rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.iot.models import Deposit
from wufei.registry.models import Region
from wufei.registry.tests.factories import DeviceFactory, PartyFactory, SiteFactory
from wufei.sorting.models import (
    Community,
    Guide,
    Household,
    PointsRule,
    RuleKind,
    Station,
    StationKind,
)

DEFAULT_RULES = (
    ("drop-any", "每次正确投放", RuleKind.PER_CORRECT_DROP, "", 1),
    ("hazardous-drop", "有害垃圾投放", RuleKind.PER_CORRECT_DROP, "hazardous", 5),
    ("recyclable-kg", "可回收物每千克", RuleKind.PER_KG, "recyclable", 2),
    ("first-of-day", "每日首次投放", RuleKind.FIRST_OF_DAY, "", 1),
    ("daily-cap", "每日积分上限", RuleKind.DAILY_CAP, "", 20),
)
_messages = count(1)


def default_rules() -> dict[str, PointsRule]:
    """The contract's default rules (whatever the reference data loaded), valid from 2020."""
    PointsRule.objects.exclude(code__in=[r[0] for r in DEFAULT_RULES]).update(is_active=False)
    out = {}
    for code, name, kind, waste_class, points in DEFAULT_RULES:
        out[code], _ = PointsRule.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "waste_class": waste_class,
                "points": points,
                "valid_from": date(2020, 1, 1),
                "valid_to": None,
                "is_active": True,
            },
        )
    return out


@dataclass
class World:
    town: Region
    other_town: Region
    site: object
    device: object
    a: Community  # with the registered site and the smart bin
    b: Community  # same street, no site
    c: Community  # the other street
    households: list[Household]  # four in a, one in b
    stranger: Household  # in c
    bin_station: Station
    station_b: Station
    station_c: Station
    shop: Station  # a redemption point in the street
    guide: Guide
    other_guide: Guide
    users: dict
    rules: dict


def build() -> World:
    weidu = Region.objects.get(adcode="411002")
    town = Region.objects.get(adcode="411002001")
    other_town = Region.objects.get(adcode="411002002")
    committee = PartyFactory(name="测试社区居委会", region=town, is_community=True)
    site = SiteFactory(party=committee, name="测试花园小区", kind="community", region=town)
    device = DeviceFactory(party=committee, kind="smart_bin", serial="BIN-TEST-0001", site=site)
    a = Community.objects.create(kind="compound", name="测试花园", region=town, site=site)
    b = Community.objects.create(kind="compound", name="测试家园", region=town)
    c = Community.objects.create(kind="compound", name="东大测试小区", region=other_town)
    households = [
        Household.objects.create(
            community=a, code=f"H{site.pk:06d}{i:04d}", card_number=f"XC{9000000000 + i}"
        )
        for i in range(4)
    ]
    households.append(Household.objects.create(community=b, code=f"C{b.pk:06d}0000"))
    stranger = Household.objects.create(community=c, code=f"C{c.pk:06d}0000")
    bin_station = Station.objects.create(
        kind=StationKind.SORTING, name="花园1号投放点", community=a, region=town, device=device
    )
    station_b = Station.objects.create(
        kind=StationKind.SORTING, name="家园投放点", community=b, region=town
    )
    station_c = Station.objects.create(
        kind=StationKind.SORTING, name="东大投放点", community=c, region=other_town
    )
    shop = Station.objects.create(kind=StationKind.REDEMPTION, name="西大积分超市", region=town)
    urban = Department.objects.filter(code="urban").first()
    users = {
        "guide": UserFactory(username="sort-guide", role="guide", region=town),
        "other_guide": UserFactory(username="sort-guide-2", role="guide", region=other_town),
        "county": UserFactory(username="sort-weidu", role="county", region=weidu),
        "city": UserFactory(username="sort-city", role="city", department=urban),
        "public": UserFactory(username="sort-citizen", role="public"),
    }
    guide = Guide.objects.create(name="王督导", user=users["guide"], region=town)
    guide.stations.set([bin_station, station_b])
    other_guide = Guide.objects.create(name="李督导", user=users["other_guide"], region=other_town)
    return World(
        town=town,
        other_town=other_town,
        site=site,
        device=device,
        a=a,
        b=b,
        c=c,
        households=households,
        stranger=stranger,
        bin_station=bin_station,
        station_b=station_b,
        station_c=station_c,
        shop=shop,
        guide=guide,
        other_guide=other_guide,
        users=users,
        rules=default_rules(),
    )


def deposit(world: World, code: str, waste_class: str, kg, at, *, site=None) -> Deposit:
    """A smart-bin deposit as the IoT intake stores it."""
    n = next(_messages)
    return Deposit.objects.create(
        device=world.device,
        message_id=f"m-{n}",
        measured_at=at,
        received_at=at,
        site=site or world.site,
        bin_code="B1",
        household_code=code,
        waste_class=waste_class,
        weight_kg=Decimal(str(kg)),
    )
