"""Smart-bin deposits become drops: once each, with their lineage, unmatched codes kept and
matched later, deposits at sites with no community waiting and absorbed once it has one."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wufei.registry.tests.factories import SiteFactory
from wufei.sorting import absorb, points
from wufei.sorting.models import Community, Drop, DropSource, Flag, Household, PointsEntry
from wufei.sorting.tests.test_points_world import build, deposit

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 5, 6, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world():
    return build()


def snapshot():
    return (
        sorted(Drop.objects.values_list("deposit_id", "household_id", "community_id")),
        sorted(PointsEntry.objects.values_list("drop_id", "rule_id", "delta", "balance_after")),
        sorted(Flag.objects.values_list("kind", "drop_id")),
    )


def test_deposits_become_drops_once_with_lineage_points_and_flags(world):
    h = world.households[0]
    first = deposit(world, h.code, "kitchen", "1.5", T0)
    deposit(world, h.card_number, "kitchen", "1.1", T0 + timedelta(minutes=4))  # by card
    deposit(world, h.code, "other", "22", T0 + timedelta(hours=1))  # too heavy
    result = absorb.absorb_deposits(now=T0)
    assert {k: result[k] for k in ("read", "created", "unmatched", "skipped")} == {
        "read": 3,
        "created": 3,
        "unmatched": 0,
        "skipped": 0,
    }
    assert result["credited"] == 3 and result["flags"] == 2
    drop = Drop.objects.get(deposit=first)
    assert (drop.source, drop.community, drop.station, drop.household) == (
        DropSource.SMART_BIN,
        world.a,
        world.bin_station,
        h,
    )
    assert drop.dropped_at == T0 and drop.correct is None and drop.guide is None
    assert Household.objects.get(pk=h.pk).points_balance == 4  # 1+1, 1, 1
    before = snapshot()
    again = absorb.absorb_deposits(now=T0)
    assert again["read"] == again["created"] == 0
    assert snapshot() == before
    # a full rescan finds nothing more either
    assert absorb.absorb_deposits(rescan=True, now=T0)["created"] == 0
    assert snapshot() == before


def test_only_new_deposits_are_read_and_limit_is_honoured(world):
    h = world.households[1]
    for i in range(5):
        deposit(world, h.code, "kitchen", "1", T0 + timedelta(hours=i))
    assert absorb.absorb_deposits(limit=2, now=T0)["created"] == 2
    assert absorb.absorb_deposits(limit=2, now=T0)["created"] == 2
    assert absorb.absorb_deposits(now=T0)["created"] == 1
    assert Drop.objects.count() == 5
    assert absorb.watermark() == max(Drop.objects.values_list("deposit_id", flat=True))


def test_an_unknown_code_is_kept_and_matched_and_credited_when_registered(world):
    code = f"H{world.site.pk:06d}0042"
    deposit(world, code, "hazardous", "2.5", T0)  # too heavy: flagged while unmatched
    deposit(world, code, "kitchen", "1", T0 + timedelta(hours=1))
    result = absorb.absorb_deposits(now=T0)
    assert result["unmatched"] == 2
    kept = Drop.objects.filter(household_code=code)
    assert kept.count() == 2 and not kept.filter(household__isnull=False).exists()
    assert not PointsEntry.objects.exists()
    household = Household.objects.create(community=world.a, code=code)
    assert absorb.match_unregistered(household, now=T0) == 2
    assert Drop.objects.filter(household=household).count() == 2
    household.refresh_from_db()
    assert household.points_balance == 8  # 1+5+1, then 1
    assert points.balance_check(household).ok
    assert Flag.objects.get().household == household
    assert absorb.match_unregistered(household, now=T0) == 0  # idempotent
    assert Household.objects.get(pk=household.pk).points_balance == 8


def test_deposits_at_a_site_without_community_wait_and_are_absorbed_once_it_has_one(world):
    other_site = SiteFactory(party=world.site.party, kind="community", region=world.town)
    h = world.households[0]
    early = [deposit(world, h.code, "kitchen", "1", T0, site=other_site)]
    deposit(world, h.code, "kitchen", "1", T0 + timedelta(hours=1))  # at the known site
    early.append(deposit(world, h.code, "other", "1", T0 + timedelta(hours=2), site=other_site))
    result = absorb.absorb_deposits(now=T0)
    assert result["created"] == 1
    assert result["skipped"] == 2 and result["skipped_sites"] == {other_site.pk: 2}
    # nothing changes on the next run; the one after the watermark is still reported
    again = absorb.absorb_deposits(now=T0)
    assert again["created"] == 0 and again["skipped_sites"] == {other_site.pk: 1}
    community = Community.objects.create(
        kind="compound", name="新登记小区", region=world.town, site=other_site
    )
    third = absorb.absorb_deposits(now=T0)
    assert third["created"] == 2 and third["skipped"] == 0
    assert set(Drop.objects.filter(community=community).values_list("deposit_id", flat=True)) == {
        d.pk for d in early
    }
    assert absorb.absorb_deposits(now=T0)["created"] == 0


def test_the_command_prints_its_counts(world):
    deposit(world, world.households[2].code, "recyclable", "2.6", T0)
    out = StringIO()
    call_command("sorting_absorb", stdout=out)
    assert "created=1" in out.getvalue() and "credited=1" in out.getvalue()
    out = StringIO()
    call_command("sorting_absorb", "--limit", "10", stdout=out)
    assert "created=0" in out.getvalue()
