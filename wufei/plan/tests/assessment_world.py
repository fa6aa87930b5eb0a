"""A small hand-built ledger for the assessment tests: two bureaus and a county government,
one city task of 2020 and builders for milestones, notices, reports and projects whose
scores the tests compute by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from wufei.accounts.models import Department, User
from wufei.accounts.tests.factories import UserFactory
from wufei.core.tests.module_rows import built_for_the_module
from wufei.plan import assessment, credit
from wufei.plan.choices import LedgerKind, MilestoneStatus, UnitKind
from wufei.plan.models import (
    Area,
    Ledger,
    Milestone,
    Notice,
    ProgressReport,
    Project,
    Task,
    Unit,
)
from wufei.registry.models import Region

_serial = count(1)
CITY, WEIDU = "411000", "411002"


def at(day: date, hour: int = 10) -> datetime:
    """An aware datetime on ``day`` in the platform's time zone."""
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


@dataclass
class Ledgerland:
    ecology: Unit
    urban: Unit
    weidu: Unit
    task: Task
    city: User
    county: User
    bureau: User

    def milestone(self, unit: Unit | None = None, **kw) -> Milestone:
        kw.setdefault("title", f"节点{next(_serial)}")
        kw.setdefault("due_on", date(2020, 6, 30))
        return Milestone.objects.create(task=self.task, unit=unit or self.ecology, **kw)

    def notice(self, unit: Unit | None = None, **kw) -> Notice:
        kw.setdefault("number", f"DB-{next(_serial):04d}")
        kw.setdefault("reason", "overdue")
        kw.setdefault("text", "请按期推进")
        kw.setdefault("issued_at", at(date(2020, 5, 1)))
        return Notice.objects.create(unit=unit or self.ecology, task=self.task, **kw)

    def report(self, milestone: Milestone, month: date, filed: date, **kw) -> ProgressReport:
        return ProgressReport.objects.create(
            milestone=milestone,
            unit=milestone.unit,
            period=month,
            text="进展顺利",
            submitted_at=at(filed),
            **kw,
        )

    def project(self, unit: Unit | None = None, **kw) -> Project:
        kw.setdefault("name", f"项目{next(_serial)}")
        kw.setdefault("investment_wan", Decimal("1000"))
        return Project.objects.create(task=self.task, unit=unit or self.ecology, **kw)


def build_ledger(*, rules: bool = True) -> Ledgerland:
    city_region = Region.objects.get(adcode=CITY)
    weidu_region = Region.objects.get(adcode=WEIDU)
    ecology_dept = Department.objects.get(code="ecology")
    ecology = Unit.objects.create(
        name="许昌市生态环境局",
        short_name="市生态环境局",
        kind=UnitKind.CITY_BUREAU,
        department=ecology_dept,
    )
    urban = Unit.objects.create(
        name="许昌市城市管理局",
        short_name="市城管局",
        kind=UnitKind.CITY_BUREAU,
        department=Department.objects.get(code="urban"),
    )
    weidu = Unit.objects.create(
        name="魏都区人民政府", short_name="魏都区", kind=UnitKind.COUNTY, region=weidu_region
    )
    ledger = Ledger.objects.create(kind=LedgerKind.CITY, title="全市台账", region=city_region)
    area = Area.objects.create(number=1, title="构建绿色循环生产方式")
    task = Task.objects.create(
        ledger=ledger,
        area=area,
        number="4",
        title="强化工业固废管理",
        lead_unit=ecology,
        starts_on=date(2020, 1, 1),
        ends_on=date(2020, 12, 31),
    )
    task.units.set([ecology, urban, weidu])
    if rules:
        assessment.load_scoring_rules()
        credit.load_credit_rules()
    return Ledgerland(
        ecology=ecology,
        urban=urban,
        weidu=weidu,
        task=task,
        city=UserFactory(role="city"),
        county=UserFactory(role="county", region=weidu_region),
        bureau=UserFactory(role="department", department=ecology_dept),
    )


DONE = MilestoneStatus.DONE


@pytest.fixture(scope="module")
def land(django_db_setup, django_db_blocker):
    """The ledger of ``build_ledger``, built once per module inside a transaction rolled
    back at the end (hashing three passwords per test would cost a second each); each test
    runs in its own savepoint, so what a test writes is gone before the next one."""
    yield from built_for_the_module(django_db_blocker, build_ledger)
