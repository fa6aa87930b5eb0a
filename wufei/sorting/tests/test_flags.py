"""Anti-gaming flags: each rule on a hand-made pattern, late drops flagging their neighbours,
limits as data, idempotent scans, and the review (confirm reverses points, clear keeps them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from wufei.core.errors import Invalid, NotPermitted
from wufei.core.models import ChangeLog
from wufei.sorting import flags, points
from wufei.sorting.drops import record_drop
from wufei.sorting.models import (
    Drop,
    DropSource,
    EntryKind,
    Flag,
    FlagKind,
    FlagStatus,
    Household,
    PointsEntry,
)
from wufei.sorting.tests.test_points_world import build

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 5, 6, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world():
    return build()


def drop(world, h=None, cls="kitchen", kg="1", at=T0, guide=None, code=None):
    """A drop written directly (not checked yet)."""
    h = world.households[0] if h is None else h
    row = Drop(
        community=world.a,
        household=h if code is None else None,
        household_code=code or h.code,
        source=DropSource.GUIDE if guide else DropSource.SMART_BIN,
        guide=guide,
        waste_class=cls,
        weight_kg=Decimal(kg),
        dropped_at=at,
    )
    row.save()
    return row


def kinds(row) -> set[str]:
    return set(Flag.objects.filter(drop=row).values_list("kind", flat=True))


def test_rapid_repeat_is_per_household_and_class(world):
    first = drop(world)
    other_class = drop(world, cls="other", at=T0 + timedelta(minutes=2))
    other_household = drop(world, h=world.households[1], at=T0 + timedelta(minutes=3))
    repeat = drop(world, at=T0 + timedelta(minutes=9, seconds=59))
    later = drop(world, at=T0 + timedelta(minutes=19, seconds=59))  # exactly 10 min: not
    assert flags.scan() == 1
    assert kinds(repeat) == {FlagKind.RAPID_REPEAT}
    for row in (first, other_class, other_household, later):
        assert kinds(row) == set()
    flag = Flag.objects.get(drop=repeat)
    assert flag.household == world.households[0]
    assert "9 分钟" in flag.detail
    assert flags.scan() == 0  # idempotent


def test_implausible_weight_per_drop_per_class_and_per_day(world):
    ok = drop(world, cls="hazardous", kg="2")
    heavy = drop(world, cls="hazardous", kg="2.01", at=T0 + timedelta(hours=1))
    recyclable = drop(world, cls="recyclable", kg="30", at=T0 + timedelta(hours=2))
    # 2 + 2.01 + 30 = 34.01 so far; 6 more kg of other waste takes the day to 40.01
    over_day = drop(world, cls="other", kg="6", at=T0 + timedelta(hours=3))
    next_day = drop(world, cls="other", kg="6", at=T0 + timedelta(days=1))
    flags.scan()
    assert kinds(ok) == set() and kinds(recyclable) == set() and kinds(next_day) == set()
    assert kinds(heavy) == {FlagKind.IMPLAUSIBLE_WEIGHT}
    assert kinds(over_day) == {FlagKind.IMPLAUSIBLE_WEIGHT}
    assert "当日累计" in Flag.objects.get(drop=over_day).detail


def test_guide_repeat_flags_the_drops_beyond_the_limit_within_the_window(world):
    rows = [drop(world, at=T0 + timedelta(hours=11 * i), guide=world.guide) for i in range(16)]
    flags.scan()
    flagged = [r for r in rows if FlagKind.GUIDE_REPEAT in kinds(r)]
    # 14 allowed in 7 days (168 h); every 11 h, the 15th and 16th make 15 and 16 in 7 days
    assert flagged == rows[14:]
    assert Flag.objects.get(drop=rows[14]).guide == world.guide
    # another guide, or the smart bin, for the same household does not count
    drop(world, at=T0 + timedelta(days=8, hours=1), guide=world.other_guide)
    assert flags.scan() == 0


def test_a_late_drop_flags_the_neighbour_it_makes_suspicious(world):
    later = drop(world, at=T0 + timedelta(minutes=5))
    assert flags.scan() == 0
    early = drop(world, at=T0)  # arrives late, dropped earlier
    assert flags.check(Drop.objects.filter(pk=early.pk)) == 1
    assert kinds(later) == {FlagKind.RAPID_REPEAT} and kinds(early) == set()


def test_limits_are_data_officials_change(world):
    with pytest.raises(NotPermitted):
        flags.limit_set(actor=world.users["guide"], key="sorting_rapid_minutes", value="30")
    with pytest.raises(Invalid) as bad:
        flags.limit_set(actor=world.users["city"], key="sorting_rapid_minutes", value="0")
    assert bad.value.code == "out_of_range"
    with pytest.raises(Invalid) as unknown:
        flags.limit_set(actor=world.users["city"], key="corridor_km", value="3")
    assert unknown.value.code == "unknown_threshold"
    drop(world)
    late = drop(world, at=T0 + timedelta(minutes=20))
    assert flags.scan() == 0
    flags.limit_set(actor=world.users["city"], key="sorting_rapid_minutes", value="30")
    assert ChangeLog.objects.filter(data__key="sorting_rapid_minutes").exists()
    assert flags.scan() == 1 and kinds(late) == {FlagKind.RAPID_REPEAT}
    assert {r["spec"].key: r["value"] for r in flags.limit_rows()}["sorting_rapid_minutes"] == 30


def test_an_unmatched_drop_is_judged_by_its_weight_alone(world):
    row = drop(world, kg="16", cls="other", code="H0000990001")
    drop(world, kg="1", cls="other", code="H0000990001", at=T0 + timedelta(minutes=1))
    assert flags.scan() == 1
    flag = Flag.objects.get(drop=row)
    assert (flag.kind, flag.household) == (FlagKind.IMPLAUSIBLE_WEIGHT, None)


def _credited_rapid_pair(world):
    guide = world.users["guide"]
    h = world.households[0]
    record_drop(
        actor=guide, household_code=h.code, waste_class="hazardous", weight_kg="0.5", now=T0
    )
    second = record_drop(
        actor=guide,
        household_code=h.code,
        waste_class="hazardous",
        weight_kg="0.4",
        dropped_at=T0 + timedelta(minutes=3),
        now=T0 + timedelta(minutes=3),
    )
    return h, second, Flag.objects.get(drop=second)


def test_confirming_a_flag_reverses_the_drops_points(world):
    h, second, flag = _credited_rapid_pair(world)
    assert Household.objects.get(pk=h.pk).points_balance == 13  # 1+5+1, then 1+5
    with pytest.raises(NotPermitted):
        flags.review(actor=world.users["guide"], flag=flag, confirm=True, note="x")
    with pytest.raises(Invalid) as no_note:
        flags.review(actor=world.users["county"], flag=flag, confirm=True, note="")
    assert no_note.value.code == "required"
    flags.review(actor=world.users["county"], flag=flag, confirm=True, note="同一户重复刷卡")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED and flag.reviewed_by == world.users["county"]
    reversals = PointsEntry.objects.filter(drop=second, kind=EntryKind.CORRECTION)
    assert sorted(r.delta for r in reversals) == [-5, -1]
    assert Household.objects.get(pk=h.pk).points_balance == 7
    assert points.balance_check(h).ok
    with pytest.raises(Invalid) as twice:
        flags.review(actor=world.users["county"], flag=flag, confirm=False, note="")
    assert twice.value.code == "already_reviewed"


def test_clearing_a_flag_keeps_the_points(world):
    h, _second, flag = _credited_rapid_pair(world)
    flags.review(actor=world.users["county"], flag=flag, confirm=False, note="")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.CLEARED
    assert not PointsEntry.objects.filter(kind=EntryKind.CORRECTION).exists()
    assert Household.objects.get(pk=h.pk).points_balance == 13


def test_confirming_after_the_points_were_spent_takes_back_what_is_left(world):
    h, second, flag = _credited_rapid_pair(world)
    points.redeem(
        actor=world.users["guide"], household=h, station=world.shop, item="毛巾", points=10
    )
    flags.review(actor=world.users["county"], flag=flag, confirm=True, note="重复")
    assert Household.objects.get(pk=h.pk).points_balance == 0
    taken = PointsEntry.objects.filter(drop=second, kind=EntryKind.CORRECTION)
    assert sum(r.delta for r in taken) == -3
    assert any("余额不足" in r.note for r in taken)
    assert points.balance_check(h).ok


def test_a_confirmed_drop_never_earns_even_when_matched_later(world):
    row = drop(world, kg="16", cls="other", code="H0000990002")
    flags.scan()
    flag = Flag.objects.get(drop=row)
    flags.review(actor=world.users["county"], flag=flag, confirm=True, note="虚报重量")
    Drop.objects.filter(pk=row.pk).update(household=world.households[3])
    assert points.credit_pending() == 0
    assert not PointsEntry.objects.filter(drop=row).exists()
