"""A small hand-built ledger for the task-ledger, report, supervision and meeting tests.

``ledger_world()`` makes four units (the pilot office, the ecology and urban bureaus linked to
their departments, 魏都区's government), the city ledger with one task (2020-01-01 …
2020-12-31, led by ecology, urban responsible), a county ledger for 魏都区, and users: the
city official, an ecology and an urban official, a 魏都区 official, a 长葛市 official and an
enterprise user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import count

from django.utils import timezone

from wufei.accounts.models import Department, User
from wufei.plan.choices import LedgerKind, UnitKind
from wufei.plan.models import Area, Ledger, Task, Unit
from wufei.registry.models import Region
from wufei.registry.tests.factories import PartyFactory

START, END = date(2020, 1, 1), date(2020, 12, 31)


_serial = count(1)


def user(role: str, **scope) -> User:
    """A user without a password (hashing one costs ~0.5 s; these tests never log in)."""
    return User.objects.create(username=f"plan-user-{next(_serial)}", role=role, **scope)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@dataclass
class LedgerWorld:
    office: Unit
    ecology: Unit
    urban: Unit
    weidu: Unit
    area: Area
    ledger: Ledger
    county_ledger: Ledger
    task: Task
    city: User
    ecology_user: User
    urban_user: User
    weidu_user: User
    changge_user: User
    enterprise: User


def ledger_world() -> LedgerWorld:
    city_region = Region.objects.get(adcode="411000")
    weidu_region = Region.objects.get(adcode="411002")
    office = Unit.objects.create(name="试点办（测试）", kind=UnitKind.OFFICE)
    ecology = Unit.objects.create(
        name="市生态环境局（测试）",
        kind=UnitKind.CITY_BUREAU,
        department=Department.objects.get(code="ecology"),
    )
    urban = Unit.objects.create(
        name="市城市管理局（测试）",
        kind=UnitKind.CITY_BUREAU,
        department=Department.objects.get(code="urban"),
    )
    weidu = Unit.objects.create(
        name="魏都区人民政府（测试）", kind=UnitKind.COUNTY, region=weidu_region
    )
    area = Area.objects.create(number=1, title="构建绿色循环生产方式")
    ledger = Ledger.objects.create(
        kind=LedgerKind.CITY, title="全市台账", region=city_region, unit=office
    )
    county_ledger = Ledger.objects.create(
        kind=LedgerKind.COUNTY, title="魏都区台账", region=weidu_region, unit=weidu
    )
    task = Task.objects.create(
        ledger=ledger,
        area=area,
        number="12",
        title="强化危险废物风险防控能力",
        lead_unit=ecology,
        starts_on=START,
        ends_on=END,
    )
    task.units.add(urban)
    return LedgerWorld(
        office=office,
        ecology=ecology,
        urban=urban,
        weidu=weidu,
        area=area,
        ledger=ledger,
        county_ledger=county_ledger,
        task=task,
        city=user("city"),
        ecology_user=user("department", department=ecology.department),
        urban_user=user("department", department=urban.department),
        weidu_user=user("county", region=weidu_region),
        changge_user=user("county", region=Region.objects.get(adcode="411082")),
        enterprise=user("enterprise", party=PartyFactory()),
    )
