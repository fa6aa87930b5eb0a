"""A small Xuchang for the outreach tests: two counties, a recycling company and a factory,
one account per role; and a helper making an event through the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.outreach import services
from wufei.outreach.models import Event, EventKind
from wufei.registry.models import Region
from wufei.registry.tests.factories import PartyFactory

WEIDU, YUZHOU = "411002", "411081"
_keys = count()


@dataclass
class Town:
    weidu: Region
    yuzhou: Region
    street: Region
    recycler: object
    yuzhou_recycler: object
    factory: object
    users: dict

    def event(self, actor=None, *, now: datetime | None = None, publish=True, **fields) -> Event:
        """An event starting in ten days (by default a 企业开放日 at the 魏都区 recycler)."""
        now = now or timezone.now()
        actor = actor or self.users["city"]
        data = {
            "kind": EventKind.OPEN_DAY,
            "title": "再生资源企业开放日",
            "host": self.recycler,
            "region": self.weidu,
            "place": "魏都区循环经济产业园",
            "starts_at": now + timedelta(days=10),
            "ends_at": now + timedelta(days=10, hours=2),
            "booking_closes_at": now + timedelta(days=9),
            "capacity": 20,
            "description": "参观废旧物资分拣和再生利用生产线。",
            "is_published": publish,
            **fields,
        }
        return services.event_create(actor=actor, data=data, now=now)


def new_key() -> str:
    return f"client-{next(_keys):06d}"


@pytest.fixture
def town(db) -> Town:
    return build_town()


def build_town() -> Town:
    weidu = Region.objects.get(adcode=WEIDU)
    yuzhou = Region.objects.get(adcode=YUZHOU)
    street = Region.objects.get(adcode="411002001")
    recycler = PartyFactory(
        name="许昌再生资源回收利用公司", region=weidu, is_generator=False, is_receiver=True
    )
    yuzhou_recycler = PartyFactory(
        name="禹州市再生资源公司", region=yuzhou, is_generator=False, is_collector=True
    )
    factory = PartyFactory(name="魏都区测试机械厂", region=weidu, is_generator=True)
    ecology = Department.objects.get(code="ecology")
    users = {
        "city": UserFactory(username="o-city", role="city"),
        "county": UserFactory(username="o-weidu", role="county", region=weidu),
        "county_yuzhou": UserFactory(username="o-yuzhou", role="county", region=yuzhou),
        "recycler": UserFactory(username="o-recycler", role="enterprise", party=recycler),
        "factory": UserFactory(username="o-factory", role="enterprise", party=factory),
        "department": UserFactory(username="o-ecology", role="department", department=ecology),
        "guide": UserFactory(username="o-guide", role="guide", region=street),
        "public": UserFactory(username="o-citizen", role="public"),
    }
    return Town(weidu, yuzhou, street, recycler, yuzhou_recycler, factory, users)
