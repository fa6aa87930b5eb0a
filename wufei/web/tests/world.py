"""A small Xuchang for the page tests: rows in 魏都区 (411002) and 禹州市 (411081), one account per
role. Built with the registry factories; used by the tests and by the browser test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.registry.models import Region, TreatmentMethod, WasteStream
from wufei.registry.tests.factories import (
    CapacityFactory,
    DeviceFactory,
    FacilityFactory,
    PartyFactory,
    PermitFactory,
    SiteFactory,
    VehicleFactory,
)

PASSWORD = "Wufei-test-2020"
WEIDU, YUZHOU = "411002", "411081"


@dataclass
class World:
    weidu_generator: object
    weidu_receiver: object
    yuzhou_receiver: object
    transporter: object
    community: object
    weidu_facility: object
    yuzhou_facility: object
    weidu_permit: object
    yuzhou_permit: object
    vehicles: list
    users: dict


def build_world() -> World:
    weidu = Region.objects.get(adcode=WEIDU)
    yuzhou = Region.objects.get(adcode=YUZHOU)
    town = Region.objects.get(adcode="411002001")
    household = WasteStream.objects.get(code="household")
    today = timezone.localdate()

    generator = PartyFactory(name="魏都区测试机械厂", region=weidu, is_generator=True)
    SiteFactory(party=generator, name="魏都区测试机械厂厂区", kind="factory")
    weidu_receiver = PartyFactory(name="魏都区危废处置公司", region=weidu, is_receiver=True)
    yuzhou_receiver = PartyFactory(name="禹州市环保能源公司", region=yuzhou, is_receiver=True)
    weidu_facility = FacilityFactory(
        name="魏都区危废焚烧设施", kind="hazardous", site__party=weidu_receiver
    )
    CapacityFactory(facility=weidu_facility)
    yuzhou_facility = FacilityFactory(
        name="禹州市生活垃圾焚烧发电厂", kind="incineration", site__party=yuzhou_receiver
    )
    CapacityFactory(
        facility=yuzhou_facility,
        stream=household,
        method=TreatmentMethod.objects.get(code="G-INC"),
        tonnes_per_day=Decimal("600"),
        tonnes_per_year=Decimal("200000"),
    )
    weidu_permit = PermitFactory(
        party=weidu_receiver,
        facility=weidu_facility,
        valid_from=today - timedelta(days=700),
        valid_to=today + timedelta(days=30),
    )
    yuzhou_permit = PermitFactory(party=yuzhou_receiver, number="豫环许可危废字Y001号")
    transporter = PartyFactory(name="魏都区危货运输公司", region=weidu, is_transporter=True)
    gps = DeviceFactory(party=transporter, serial="GPS-WD-0001")
    vehicles = [
        VehicleFactory(party=transporter, plate="豫K12345", gps_device=gps),
        VehicleFactory(party=transporter, plate="豫K23456"),
        VehicleFactory(party=yuzhou_receiver, plate="豫K34567"),
    ]
    community = PartyFactory(
        name="西大街道测试社区", region=town, is_generator=False, is_community=True
    )
    SiteFactory(party=community, name="西大街道测试小区", kind="community", region=town)

    ecology = Department.objects.get(code="ecology")
    users = {
        "city": UserFactory(username="city", role="city", first_name="市级"),
        "county": UserFactory(username="weidu", role="county", region=weidu),
        "county_yuzhou": UserFactory(username="yuzhou", role="county", region=yuzhou),
        "department": UserFactory(username="ecology", role="department", department=ecology),
        "enterprise": UserFactory(username="factory", role="enterprise", party=generator),
        "receiver": UserFactory(username="receiver", role="enterprise", party=weidu_receiver),
        "driver": UserFactory(username="driver", role="driver", party=transporter),
        "guide": UserFactory(username="guide", role="guide", region=town),
        "public": UserFactory(username="citizen", role="public"),
    }
    return World(
        weidu_generator=generator,
        weidu_receiver=weidu_receiver,
        yuzhou_receiver=yuzhou_receiver,
        transporter=transporter,
        community=community,
        weidu_facility=weidu_facility,
        yuzhou_facility=yuzhou_facility,
        weidu_permit=weidu_permit,
        yuzhou_permit=yuzhou_permit,
        vehicles=vehicles,
        users=users,
    )
