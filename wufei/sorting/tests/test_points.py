"""The points ledger: rules, the daily cap and first-of-day bonus, redemptions, corrections, and
the issue's hypothesis test of random drops, corrections and redemptions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wufei.core.errors import Invalid, NotFound, NotPermitted
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
    PointsRule,
    RuleKind,
)
from wufei.sorting.tests.test_points_world import build

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 6, 8, 0, tzinfo=ZONE)


@pytest.fixture
def world():
    return build()


def entries(household) -> list[PointsEntry]:
    return list(PointsEntry.objects.filter(household=household).order_by("pk"))


def balance(household) -> int:
    return Household.objects.get(pk=household.pk).points_balance


def bare_drop(world, household, waste_class="kitchen", kg="1.5", at=T0, correct=None):
    """A drop written directly (as the demo or absorb would), not credited yet."""
    drop = Drop(
        community=household.community,
        household=household,
        household_code=household.code,
        source=DropSource.SMART_BIN,
        waste_class=waste_class,
        weight_kg=Decimal(kg),
        correct=correct,
        dropped_at=at,
    )
    drop.save()
    return drop


def test_a_correct_drop_earns_its_rules_and_the_first_of_day_bonus(world):
    h = world.households[0]
    drop = record_drop(
        actor=world.users["guide"],
        household_code=h.code,
        waste_class="hazardous",
        weight_kg="0.4",
        correct=True,
        dropped_at=T0,
        now=T0,
    )
    lines = entries(h)
    assert [(e.kind, e.rule.code, e.delta) for e in lines] == [
        (EntryKind.EARN, "drop-any", 1),
        (EntryKind.EARN, "hazardous-drop", 5),
        (EntryKind.BONUS, "first-of-day", 1),
    ]
    assert [e.balance_after for e in lines] == [1, 6, 7]
    assert all(e.drop_id == drop.pk for e in lines)
    assert balance(h) == 7
    # the second drop of the day earns no bonus; recyclables earn 2 per whole kg, floored
    record_drop(
        actor=world.users["guide"],
        household_code=h.card_number,
        waste_class="recyclable",
        weight_kg="3.7",
        dropped_at=T0 + timedelta(hours=2),
        now=T0 + timedelta(hours=2),
    )
    assert [e.delta for e in entries(h)][3:] == [1, 7]
    assert balance(h) == 15
    assert points.balance_check(h).ok


def test_a_drop_checked_wrong_earns_nothing_and_is_never_pending(world):
    h = world.households[0]
    record_drop(
        actor=world.users["guide"],
        household_code=h.code,
        waste_class="kitchen",
        weight_kg="2",
        correct=False,
        dropped_at=T0,
        now=T0,
    )
    assert entries(h) == []
    assert points.credit_pending(now=T0) == 0


def test_the_daily_cap_counts_existing_entries_and_a_capped_drop_gets_a_zero_line(world):
    h = world.households[1]
    for i in range(4):  # 4 hazardous drops: 1+5+1, 6, 6 → 19, then 1 of the 6 fits the cap
        bare_drop(world, h, "hazardous", "0.2", at=T0 + timedelta(hours=i))
    assert points.credit_pending(now=T0) == 4
    assert balance(h) == 20
    late = bare_drop(world, h, "kitchen", "1", at=T0 + timedelta(hours=9))
    points.credit_drop(late, now=T0)
    zero = PointsEntry.objects.get(drop=late)
    assert (zero.delta, zero.rule.code, zero.balance_after) == (0, "daily-cap", 20)
    # the next day starts afresh, bonus included
    bare_drop(world, h, "kitchen", "1", at=T0 + timedelta(days=1))
    assert points.credit_pending(now=T0) == 1
    assert balance(h) == 22
    assert points.credit_pending(now=T0) == 0  # idempotent
    assert points.balance_check(h).ok


def test_local_days_follow_shanghai_time(world):
    h = world.households[2]
    # 23:30 and 00:30 local are two days (but the same UTC day): two bonuses
    bare_drop(world, h, "kitchen", "1", at=datetime(2024, 5, 6, 23, 30, tzinfo=ZONE))
    bare_drop(world, h, "kitchen", "1", at=datetime(2024, 5, 7, 0, 30, tzinfo=ZONE))
    points.credit_pending(now=T0)
    assert PointsEntry.objects.filter(household=h, kind=EntryKind.BONUS).count() == 2


def test_rules_are_read_on_the_drops_local_date(world):
    h = world.households[3]
    rule = world.rules["drop-any"]
    rule.valid_to = date(2024, 5, 6)
    rule.save()
    PointsRule.objects.create(
        code="drop-any-2024",
        name="每次正确投放（新）",
        kind=RuleKind.PER_CORRECT_DROP,
        points=3,
        valid_from=date(2024, 5, 7),
    )
    bare_drop(world, h, "kitchen", "1", at=T0)
    bare_drop(world, h, "kitchen", "1", at=T0 + timedelta(days=1))
    points.credit_pending(now=T0)
    earned = [e.delta for e in entries(h) if e.kind == EntryKind.EARN]
    assert earned == [1, 3]


def test_redeem_spends_points_and_refuses_more_than_the_balance(world):
    h = world.households[0]
    bare_drop(world, h, "hazardous", "0.2", at=T0)
    points.credit_pending(now=T0)
    assert balance(h) == 7
    with pytest.raises(Invalid) as refused:
        points.redeem(
            actor=world.users["guide"], household=h, station=world.shop, item="肥皂", points=8
        )
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "points")
    assert balance(h) == 7 and not h.redemptions.exists()
    redemption = points.redeem(
        actor=world.users["guide"], household=h, station=world.shop, item="肥皂", points=7
    )
    assert balance(h) == 0
    assert redemption.entry.delta == -7 and redemption.entry.balance_after == 0
    with pytest.raises(Invalid) as wrong:
        points.redeem(
            actor=world.users["guide"], household=h, station=world.bin_station, item="x", points=1
        )
    assert wrong.value.code == "not_redemption_point"
    with pytest.raises(Invalid) as zero:
        points.redeem(
            actor=world.users["guide"], household=h, station=world.shop, item="x", points=0
        )
    assert zero.value.code == "invalid_points"


def test_a_guide_cannot_redeem_for_a_household_of_another_street(world):
    with pytest.raises(NotFound):
        points.redeem(
            actor=world.users["other_guide"],
            household=world.households[0],
            station=world.shop,
            item="肥皂",
            points=1,
        )
    assert not world.households[0].redemptions.exists()


def test_a_correction_reverses_one_line_once_and_officials_only(world):
    h = world.households[0]
    bare_drop(world, h, "hazardous", "0.2", at=T0)
    points.credit_pending(now=T0)
    line = PointsEntry.objects.get(household=h, rule__code="hazardous-drop")
    with pytest.raises(NotPermitted):
        points.correct(actor=world.users["guide"], entry=line, note="误记")
    with pytest.raises(Invalid) as no_note:
        points.correct(actor=world.users["county"], entry=line, note=" ")
    assert no_note.value.code == "required"
    reversal = points.correct(actor=world.users["county"], entry=line, note="误记")
    assert (reversal.delta, reversal.reverses_id, reversal.balance_after) == (-5, line.pk, 2)
    with pytest.raises(Invalid) as again:
        points.correct(actor=world.users["county"], entry=line, note="再次")
    assert again.value.code == "already_reversed"
    with pytest.raises(Invalid) as of_correction:
        points.correct(actor=world.users["county"], entry=reversal, note="x")
    assert of_correction.value.code == "not_reversible"
    assert points.balance_check(h).ok


# --- the hypothesis test -----------------------------------------------------------------------

CLASSES = ("kitchen", "other", "recyclable", "hazardous")
MINUTES = (0, 1, 5, 9, 10, 11, 30, 180, 600, 1440, 1441)
GUIDE_REPEATS = 3  # the limit set (as data) for the test, so the pattern shows up often
WEIGHTS = ("0.3", "1.2", "2.5", "4", "9.5", "12", "16", "31")


def expected_points(history: list[tuple]) -> dict[int, int]:
    """The points each drop earns, computed independently from the rules' meaning: drops in
    (time, id) order per household; per drop 1, hazardous +5, recyclable 2 per whole kg, the
    first credited drop of a local day +1, at most 20 a day."""
    out: dict[int, int] = {}
    used: dict = defaultdict(int)
    bonus: set = set()
    for drop_id, hh, cls, kg, at, correct in sorted(history, key=lambda r: (r[1], r[4], r[0])):
        if correct is False:
            continue
        day = (hh, at.astimezone(ZONE).date())
        earn = 1 + (5 if cls == "hazardous" else 0)
        if cls == "recyclable":
            earn += int((Decimal(kg) * 2).to_integral_value(rounding=ROUND_FLOOR))
        if day not in bonus:
            earn += 1
            bonus.add(day)
        got = min(earn, 20 - used[day])
        used[day] += got
        out[drop_id] = got
    return out


def expected_flags(history: list[tuple], guides: dict[int, int | None]) -> set[tuple[str, int]]:
    """The (kind, drop) pairs the default limits flag, computed by brute force."""
    maxima = {"kitchen": 10, "other": 15, "recyclable": 30, "hazardous": 2}
    out = set()
    rows = sorted(history, key=lambda r: (r[4], r[0]))
    for d in rows:
        drop_id, hh, cls, kg, at, _correct = d
        before = [r for r in rows if r[1] == hh and (r[4], r[0]) < (at, drop_id)]
        same_class = [r for r in before if r[2] == cls]
        if same_class and at - max(r[4] for r in same_class) < timedelta(minutes=10):
            out.add((FlagKind.RAPID_REPEAT, drop_id))
        day = at.astimezone(ZONE).date()
        total = Decimal(kg) + sum(
            Decimal(r[3]) for r in before if r[4].astimezone(ZONE).date() == day
        )
        if Decimal(kg) > maxima[cls] or total > 40:
            out.add((FlagKind.IMPLAUSIBLE_WEIGHT, drop_id))
        guide = guides[drop_id]
        if guide is not None:
            recent = [r for r in before if guides[r[0]] == guide and r[4] > at - timedelta(days=7)]
            if len(recent) + 1 > GUIDE_REPEATS:
                out.add((FlagKind.GUIDE_REPEAT, drop_id))
    return out


drop_step = st.tuples(
    st.just("drop"),
    st.sampled_from([0, 0, 1, 1, 2, 3]),  # household
    st.sampled_from(CLASSES),
    st.sampled_from(WEIGHTS),
    st.sampled_from(MINUTES),  # after the previous step (0: the same minute)
    st.sampled_from([None, True, False]),
    st.booleans(),  # recorded by the guide (else a smart bin)
)
step = st.one_of(
    drop_step,
    drop_step,
    drop_step,
    st.tuples(st.just("redeem"), st.integers(0, 3), st.integers(1, 30)),
    st.tuples(st.just("correct"), st.integers(0, 3), st.integers(0, 50)),
    st.tuples(st.just("review"), st.integers(0, 50), st.booleans()),
)


def check_ledgers(households: list[Household]) -> None:
    for h in households:
        lines = entries(h)
        current = balance(h)
        assert current >= 0
        assert current == sum(e.delta for e in lines)
        running = 0
        for e in lines:
            running += e.delta
            assert e.balance_after == running >= 0
        assert points.balance_check(h).ok


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=15, max_size=60))
def test_random_drops_corrections_and_redemptions_keep_every_ledger_sound(world, steps):
    """After every step: each balance equals its ledger's sum, is never negative, the
    balance_after chain is consistent; every drop earned what the rules say (less what was
    corrected); every pattern meeting a flag rule is flagged, and nothing else."""
    households = world.households[:4]
    guide, county = world.users["guide"], world.users["county"]
    flags.limit_set(
        actor=world.users["city"], key="sorting_guide_repeat_count", value=GUIDE_REPEATS
    )
    with transaction.atomic():
        history: list[tuple] = []
        guides: dict[int, int | None] = {}
        at = T0
        for item in steps:
            kind = item[0]
            if kind == "drop":
                _k, hh, cls, kg, minutes, correct, by_guide = item
                at = at + timedelta(minutes=minutes)
                h = households[hh]
                if by_guide:
                    drop = record_drop(
                        actor=guide,
                        household_code=h.code,
                        waste_class=cls,
                        weight_kg=kg,
                        correct=correct,
                        dropped_at=at,
                        now=at,
                    )
                else:
                    drop = bare_drop(world, h, cls, kg, at=at, correct=None)
                    correct = None
                    points.credit(Drop.objects.filter(pk=drop.pk), now=at)
                    flags.check(Drop.objects.filter(pk=drop.pk), now=at)
                if drop.pk in guides:  # an idempotent retry returned the same drop
                    continue
                history.append((drop.pk, h.pk, cls, kg, at, correct))
                guides[drop.pk] = drop.guide_id
            elif kind == "redeem":
                _k, hh, amount = item
                h = households[hh]
                before = balance(h)
                if amount > before:
                    with pytest.raises(Invalid) as refused:
                        points.redeem(
                            actor=guide, household=h, station=world.shop, item="兑换", points=amount
                        )
                    assert refused.value.code == "insufficient_points"
                    assert balance(h) == before
                else:
                    points.redeem(
                        actor=guide, household=h, station=world.shop, item="兑换", points=amount
                    )
                    assert balance(h) == before - amount
            elif kind == "correct":
                _k, hh, index = item
                h = households[hh]
                lines = [
                    e
                    for e in entries(h)
                    if e.kind != EntryKind.CORRECTION
                    and e.delta != 0
                    and not PointsEntry.objects.filter(reverses=e).exists()
                ]
                if not lines:
                    continue
                line = lines[index % len(lines)]
                before = balance(h)
                if before - line.delta < 0:
                    with pytest.raises(Invalid) as refused:
                        points.correct(actor=county, entry=line, note="更正")
                    assert refused.value.code == "insufficient_points"
                else:
                    points.correct(actor=county, entry=line, note="更正")
                    assert balance(h) == before - line.delta
            elif kind == "review":
                _k, index, confirm = item
                open_flags = list(Flag.objects.filter(status=FlagStatus.OPEN).order_by("pk"))
                if not open_flags:
                    continue
                flag = open_flags[index % len(open_flags)]
                flags.review(actor=county, flag=flag, confirm=confirm, note="核查")
            check_ledgers(households)
            raised = set(Flag.objects.values_list("kind", "drop_id"))
            assert raised == expected_flags(history, guides)
        # each drop earned what the rules say, on every household-day where no earn line was
        # corrected (a correction frees room under that day's cap for later drops)
        expected = expected_points(history)
        touched = {
            (hh, dropped.astimezone(ZONE).date())
            for hh, dropped in PointsEntry.objects.filter(
                kind=EntryKind.CORRECTION, drop__isnull=False
            ).values_list("household_id", "drop__dropped_at")
        }
        when = {r[0]: (r[1], r[4].astimezone(ZONE).date()) for r in history}
        for drop_id, due in expected.items():
            if when[drop_id] in touched:
                continue
            got = sum(PointsEntry.objects.filter(drop_id=drop_id).values_list("delta", flat=True))
            assert got == due, (drop_id, got, due)
        transaction.set_rollback(True)
