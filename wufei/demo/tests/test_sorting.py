"""The demo city's household sorting, residents' reports and public participation, on the
small city (seed 11): what is generated, that it follows the contract (codes, times, the
ledger), that the year shows what it should (participation and accuracy rising, the gaming
patterns flagged), that the smart-bin simulator sends registered codes, and that the resets
remove everything but the reference data."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from wufei.cases.models import Report, ReportEvent, ReportStage, StageLimit
from wufei.core.tests.module_rows import settle_deferred_checks
from wufei.demo.figures import PILOT_COMPOUNDS, PILOT_HOUSEHOLDS, scaled
from wufei.demo.models import GeneratedParty
from wufei.demo.outreach import outreach_generate, outreach_reset
from wufei.demo.reports import reports_generate, reports_reset
from wufei.demo.sorting import (
    SCHEDULE,
    card_number,
    household_code,
    link_guide_login,
    sorting_generate,
    sorting_reset,
    unit_label,
)
from wufei.iot import simulator as sim
from wufei.outreach.models import Booking, BookingStatus, Event, EventKind, SurveyResponse
from wufei.registry.models import Device, Site
from wufei.sorting.models import (
    AssessmentScheme,
    Attendance,
    Community,
    CommunityDay,
    CommunityKind,
    Drop,
    DropSource,
    EntryKind,
    Flag,
    FlagKind,
    Guide,
    Household,
    PointsEntry,
    PointsRule,
    Redemption,
    Shift,
    SortingItem,
    Station,
    StationCheck,
    StationKind,
    Training,
)

LOCAL = ZoneInfo("Asia/Shanghai")
SORTING_ROWS = (
    Community,
    Household,
    Station,
    Guide,
    Shift,
    StationCheck,
    Training,
    Attendance,
    Drop,
    PointsEntry,
    Redemption,
    Flag,
    CommunityDay,
)


@pytest.fixture(scope="module")
def _module_sorting(_module_city, django_db_blocker):
    """The sorting, reports and outreach of the module's small city (unless the city generator
    already made them), inside the module's transaction."""
    from wufei.demo.models import Generation

    with django_db_blocker.unblock():
        generation = Generation.objects.get(pk=_module_city)
        today = timezone.localdate(generation.created_at)
        now = timezone.now()
        counts = dict(generation.counts)
        if not Community.objects.exists():
            counts.update(sorting_generate(seed=11, scale="small", today=today, now=now))
        if not Report.objects.filter(client_key__startswith="demo-").exists():
            counts.update(reports_generate(seed=11, scale="small", today=today, now=now))
        if not SurveyResponse.objects.exists():
            counts.update(outreach_generate(seed=11, scale="small", today=today, now=now))
        settle_deferred_checks()
        yield {"today": today, "now": now, "counts": counts}


@pytest.fixture
def city(_module_sorting, small_city):
    return _module_sorting


def _pilots() -> list[tuple[int, int]]:
    """(site id, households) of every pilot compound, from the committees' attrs."""
    out = []
    sites = {
        (s.party_id, s.name): s.pk for s in Site.objects.filter(kind="community").order_by("pk")
    }
    for party_id, attrs in GeneratedParty.objects.filter(sector="community").values_list(
        "party_id", "attrs"
    ):
        for compound in attrs["compounds"]:
            if compound["pilot"]:
                out.append((sites[(party_id, compound["name"])], compound["households"]))
    return sorted(out)


def _start(today: date) -> date:
    return date(today.year - 1, today.month, 1)


def _months(today: date) -> list[tuple[date, date]]:
    first, out = _start(today), []
    while first <= today:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        out.append((first, following - timedelta(days=1)))
        first = following
    return out


def _reference() -> tuple[int, int, int]:
    return (
        PointsRule.objects.count(),
        SortingItem.objects.count(),
        AssessmentScheme.objects.count(),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL)


# --- what is generated ------------------------------------------------------------------------


def test_a_community_per_compound_and_every_pilot_household_registered(city):
    pilots = _pilots()
    assert len(pilots) == scaled(PILOT_COMPOUNDS, "small")
    compounds = Community.objects.filter(kind=CommunityKind.COMPOUND)
    assert compounds.count() == Site.objects.filter(kind="community").count()
    assert set(compounds.filter(is_pilot=True).values_list("site_id", flat=True)) == {
        s for s, _n in pilots
    }
    households = sum(n for _s, n in pilots)
    # The pilot's 15.67 万 households, scaled (the small city has 16 of the 389 compounds).
    expected = round(PILOT_HOUSEHOLDS * len(pilots) / PILOT_COMPOUNDS)
    assert households == expected
    assert Household.objects.count() == households
    assert city["counts"]["sorting.Household"] == households
    pilot_rows = compounds.filter(is_pilot=True)
    assert all(
        c.sorting_since is not None and date(2019, 7, 1) <= c.sorting_since <= date(2020, 12, 31)
        for c in pilot_rows
    )
    assert sum(pilot_rows.values_list("households_total", flat=True)) == households
    # The compounds outside the pilot are known (for the registration rate) but not sorting.
    assert not Household.objects.filter(community__is_pilot=False).exists()
    assert not Drop.objects.filter(community__is_pilot=False).exists()
    committees = dict(Site.objects.filter(kind="community").values_list("pk", "party_id"))
    assert all(committees.get(c.site_id or 0) == c.committee_id for c in compounds)
    villages = Community.objects.filter(kind=CommunityKind.VILLAGE)
    assert villages.exists() and not villages.filter(households__isnull=False).exists()
    assert villages.filter(coarse_sorting=True).exists()


def test_codes_cards_and_units_follow_the_contract(city):
    codes = dict(Household.objects.values_list("code", "community__site_id"))
    by_site = defaultdict(set)
    for code, site_id in codes.items():
        assert re.fullmatch(r"H\d{10}", code)
        assert code.startswith(f"H{site_id:06d}")
        by_site[site_id].add(int(code[7:]))
    for site_id, n in _pilots():
        assert by_site[site_id] == set(range(n))  # seq 0000 … n-1, what the smart bins send
        assert household_code(site_id, n - 1) in codes
    cards = [c for c in Household.objects.values_list("card_number", flat=True) if c]
    assert 0.5 < len(cards) / len(codes) < 0.7
    assert len(set(cards)) == len(cards)
    assert all(re.fullmatch(r"XC\d{10}", c) for c in cards)
    units = Household.objects.values_list("unit", flat=True)
    assert all(re.fullmatch(r"\d+号楼\d单元\d+0[12]", u) for u in units)
    assert unit_label(0, 6, 2) == "1号楼1单元101"
    assert unit_label(13, 6, 2) == "1号楼2单元102"  # 6 floors × 2 doors a unit
    assert unit_label(24, 6, 2) == "2号楼1单元101"
    assert len({card_number(s, q) for s in range(50) for q in range(200)}) == 10_000


def test_stations_guides_shifts_checks_and_trainings(city):
    today = city["today"]
    for community in Community.objects.filter(is_pilot=True):
        sorting = community.stations.filter(kind=StationKind.SORTING)
        bins = Device.objects.filter(site=community.site, kind="smart_bin")
        assert sorting.count() == bins.count() >= 1
        assert set(sorting.values_list("device_id", flat=True)) == set(
            bins.values_list("pk", flat=True)
        )
        for station in sorting:
            assert len(station.schedule) == len(SCHEDULE)
            (m0, m1), (e0, e1) = station.schedule
            assert "06:30" <= m0 < m1 <= "09:00" and "17:30" <= e0 < e1 <= "21:30"
    streets = set(
        Community.objects.filter(is_pilot=True).values_list("region_id", flat=True).distinct()
    )
    for kind in (StationKind.RECYCLABLES, StationKind.REDEMPTION):
        points = Station.objects.filter(kind=kind)
        assert set(points.values_list("region_id", flat=True)) == streets
    assert Station.objects.filter(kind=StationKind.RECYCLABLES, operator__isnull=False).exists()
    pilots = Community.objects.filter(is_pilot=True).count()
    guides = Guide.objects.count()
    assert pilots / 2 <= guides <= pilots / 2 + len(streets)
    assert set(Guide.objects.values_list("region_id", flat=True)) == streets
    assert not Guide.objects.filter(stations__isnull=True).exists()
    # Shifts: four weeks back, a week ahead; done ones checked in, future ones planned.
    days = Shift.objects.values_list("day", flat=True)
    assert min(days) == today - timedelta(days=28) and max(days) == today + timedelta(days=7)
    assert not Shift.objects.filter(day__gt=today).exclude(status="planned").exists()
    past = Shift.objects.filter(day__lt=today)
    assert past.filter(status="on_duty", checked_in_at__isnull=False).count() > 0.9 * past.count()
    # Weekly checks of every sorting station; scores better at the end of the year.
    checks = StationCheck.objects.filter(station__kind=StationKind.SORTING)
    per_station = checks.values("station").annotate(n=Count("pk")).values_list("n", flat=True)
    assert min(per_station) >= 50
    start = _start(today)
    first = checks.filter(checked_at__lt=_midnight(start + timedelta(days=91)))
    last = checks.filter(checked_at__gte=_midnight(today - timedelta(days=91)))
    assert last.aggregate(s=Sum("score"))["s"] / last.count() > (
        first.aggregate(s=Sum("score"))["s"] / first.count() + 5
    )
    trainings = Training.objects.all()
    assert trainings.count() >= 4
    assert Attendance.objects.filter(present=True).count() > 0.85 * Attendance.objects.count()


def test_the_demo_guide_login_is_linked_to_a_guide_of_its_street(city, small_city):
    from wufei.demo.logins import demo_logins_ensure

    users = {u.username: u for u in demo_logins_ensure(generation=small_city)}
    guide = link_guide_login()
    assert guide is not None
    assert guide.user == users["guide"]
    assert guide.region_id == users["guide"].region_id
    assert link_guide_login() == guide  # idempotent


# --- the year of drops ------------------------------------------------------------------------


def test_drops_lie_within_the_year_and_follow_their_source(city):
    today = city["today"]
    drops = Drop.objects.all()
    assert drops.count() == city["counts"]["sorting.Drop"]
    span = drops.order_by("dropped_at").values_list("dropped_at", flat=True)
    first, last = span.first(), span.last()
    assert first is not None and first >= _midnight(_start(today))
    assert last is not None and last <= city["now"]
    assert not drops.filter(deposit__isnull=False).exists()
    assert not drops.filter(source=DropSource.GUIDE, guide__isnull=True).exists()
    assert not drops.filter(source=DropSource.GUIDE, correct__isnull=True).exists()
    assert not drops.filter(source=DropSource.SMART_BIN).exclude(correct=None).exists()
    assert 0.07 < drops.filter(source=DropSource.GUIDE).count() / drops.count() < 0.14
    assert (
        not drops.filter(household__isnull=False)
        .exclude(household__community=F("community"))
        .exists()
    )
    # Every drop at a station of its own compound, at the station's put-out times.
    sample = drops.filter(household__isnull=False, source=DropSource.SMART_BIN).select_related(
        "station"
    )[:500]
    for drop in sample:
        station = drop.station
        assert station is not None and station.community_id == drop.community_id
        at = timezone.localtime(drop.dropped_at).strftime("%H:%M")
        assert any(a <= at <= b for a, b in station.schedule), (at, station.schedule)


def test_participation_rises_through_the_year_as_accuracy_and_kitchen_share(city):
    """Monthly participation as the measures define it: active households registered by the
    month's end with at least one drop in the month ÷ those households."""
    today = city["today"]
    months = _months(today)[:-1]  # full months only
    rates = []
    for first, last in months:
        registered = Household.objects.filter(is_active=True, registered_on__lte=last)
        active = (
            Drop.objects.filter(
                household__in=registered,
                dropped_at__gte=_midnight(first),
                dropped_at__lt=_midnight(last + timedelta(days=1)),
            )
            .values("household")
            .distinct()
            .count()
        )
        rates.append(active / registered.count())
    assert 0.45 < rates[0] < 0.6
    assert 0.84 < rates[-1] < 0.95
    assert all(b > a - 0.04 for a, b in itertools.pairwise(rates))

    def accuracy(start: date, end: date) -> float:
        checked = Drop.objects.filter(
            correct__isnull=False,
            dropped_at__gte=_midnight(start),
            dropped_at__lt=_midnight(end),
            guide__flags__isnull=True,
        )
        return checked.filter(correct=True).count() / checked.count()

    first_quarter = accuracy(months[0][0], months[2][1])
    last_quarter = accuracy(months[-3][0], months[-1][1])
    assert 0.68 < first_quarter < 0.84 and 0.84 < last_quarter < 0.96

    kg = dict(
        Drop.objects.filter(household__isnull=False)
        .values("waste_class")
        .annotate(kg=Sum("weight_kg"))
        .values_list("waste_class", "kg")
    )
    share = kg["kitchen"] / sum(kg.values())
    assert Decimal("0.2") < share < Decimal("0.3")


def test_the_gaming_patterns_are_flagged_and_unregistered_codes_kept(city):
    flags = Counter(Flag.objects.values_list("kind", flat=True))
    assert flags[FlagKind.RAPID_REPEAT] >= 2
    assert flags[FlagKind.IMPLAUSIBLE_WEIGHT] >= 1
    assert flags[FlagKind.GUIDE_REPEAT] >= 5
    gaming = Flag.objects.filter(kind=FlagKind.GUIDE_REPEAT)
    assert gaming.values("guide").distinct().count() >= 1
    assert (
        gaming.values("household").distinct().count()
        <= 4 * gaming.values("guide").distinct().count()
    )
    # The ordinary drops raise nothing: every flag is one of the planted patterns.
    assert Flag.objects.count() < 0.01 * Drop.objects.count()
    codes = set(Household.objects.values_list("code", flat=True))
    unmatched = Drop.objects.filter(household__isnull=True)
    assert unmatched.exists()
    assert not set(unmatched.values_list("household_code", flat=True)) & codes
    assert all(
        re.fullmatch(r"H\d{10}", c) for c in unmatched.values_list("household_code", flat=True)
    )


def test_every_balance_equals_its_ledger_and_redemptions_were_affordable(city):
    assert PointsEntry.objects.filter(kind=EntryKind.EARN).exists()
    sums = dict(
        PointsEntry.objects.values("household")
        .annotate(s=Sum("delta"))
        .values_list("household", "s")
    )
    for pk, balance in Household.objects.values_list("pk", "points_balance"):
        assert balance == sums.get(pk, 0) >= 0
    # Running balances in id order never drop below zero, and the last one is the balance.
    last = {}
    for household_id, after in PointsEntry.objects.order_by("household", "pk").values_list(
        "household", "balance_after"
    ):
        assert after >= 0
        last[household_id] = after
    balances = dict(Household.objects.values_list("pk", "points_balance"))
    assert all(balances[h] == after for h, after in last.items())
    redemptions = Redemption.objects.all()
    assert redemptions.exists()
    assert redemptions.count() == PointsEntry.objects.filter(kind=EntryKind.REDEEM).count()
    assert set(redemptions.values_list("station__kind", flat=True)) == {StationKind.REDEMPTION}
    assert not redemptions.exclude(station__region=F("household__community__region")).exists()
    # Every earning drop was credited.
    earning = Drop.objects.filter(household__isnull=False).filter(
        Q(correct=True) | Q(correct__isnull=True)
    )
    assert not earning.exclude(points__kind__in=(EntryKind.EARN, EntryKind.BONUS)).exists()
    assert CommunityDay.objects.aggregate(n=Sum("drops"))["n"] == Drop.objects.count()


# --- reports and outreach -----------------------------------------------------------------------


def test_reports_of_the_year_with_their_steps_in_time(city):
    today = city["today"]
    reports = Report.objects.filter(client_key__startswith="demo-")
    assert reports.count() == city["counts"]["cases.Report"] >= 40
    stages = Counter(reports.values_list("stage", flat=True))
    assert stages[ReportStage.CLOSED] > 0.6 * reports.count()
    assert stages[ReportStage.REJECTED] >= 1
    assert reports.filter(rating__isnull=False).count() > 0.4 * reports.count()
    limits = {s: timedelta(hours=h) for s, h in StageLimit.objects.values_list("stage", "hours")}
    for report in reports.prefetch_related("events"):
        events = list(report.events.all())
        assert events[0].action == "receive" and events[0].at == report.created_at
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].stage == report.stage or events[-1].action == "escalate"
        assert report.created_at >= _midnight(today - timedelta(days=364))
        assert report.region.level == "town"
        if report.stage in (ReportStage.CLOSED, ReportStage.REJECTED):
            assert report.closed_at == events[-1].at and report.due_at is None
        else:
            assert report.due_at is not None and report.closed_at is None
        steps = [e for e in events if e.action != "escalate"]
        for before, after in itertools.pairwise(steps):
            took = after.at - before.at
            late = any(e.action == "escalate" and before.at < e.at < after.at for e in events)
            if before.stage in limits and not late and after.action != "auto_close":
                assert took <= limits[before.stage], (report.code, before.action, took)
    assert ReportEvent.objects.filter(action="escalate").exists()
    assert reports.filter(escalations__gt=0).count() == (
        reports.filter(events__action="escalate").distinct().count()
    )


def test_events_bookings_and_a_survey_that_improves(city):
    events = Event.objects.all()
    kinds = set(events.values_list("kind", flat=True))
    assert {EventKind.OPEN_DAY, EventKind.EDUCATION_BASE, EventKind.TRAINING} <= kinds
    assert events.filter(kind=EventKind.EDUCATION_BASE, place__contains="科技馆").exists()
    assert events.filter(kind=EventKind.EDUCATION_BASE, place__contains="规划").exists()
    assert not events.filter(kind=EventKind.OPEN_DAY, host__isnull=True).exists()
    assert events.filter(starts_at__gt=timezone.now()).exists()  # some still open to book
    for event in events:
        people = Booking.objects.filter(event=event).exclude(status=BookingStatus.CANCELLED)
        assert event.booked == (people.aggregate(n=Sum("people"))["n"] or 0) <= event.capacity
        assert event.booking_closes_at <= event.starts_at
    future = Booking.objects.filter(event__starts_at__gt=timezone.now())
    assert not future.filter(status=BookingStatus.ATTENDED).exists()
    answers = SurveyResponse.objects.all()
    assert answers.count() >= 30
    assert answers.values("region").distinct().count() == 6
    ordered = list(answers.order_by("submitted_at").values_list("satisfaction", "gain"))
    third = len(ordered) // 3
    early = sum(a + b for a, b in ordered[:third]) / third
    late = sum(a + b for a, b in ordered[-third:]) / third
    assert late > early + 0.5


# --- the smart-bin simulator ----------------------------------------------------------------------


def test_smart_bins_send_registered_household_codes(city):
    world = sim.load_world(seed=3)
    pilots = dict(_pilots())
    assert world.smart_bins
    for smart_bin in world.smart_bins:
        site_id = int(smart_bin.household_prefix[1:])
        assert smart_bin.households == pilots[site_id]
    codes = set(Household.objects.values_list("code", flat=True))
    simulator = sim.Simulator(world, seed=5)
    sent = [
        simulator.household_code(world.smart_bins[i % len(world.smart_bins)]) for i in range(3000)
    ]
    unknown = [c for c in sent if c not in codes]
    assert 0.003 < len(unknown) / len(sent) < 0.02
    assert all(c[:7] in {b.household_prefix for b in world.smart_bins} for c in unknown)


# --- resets -------------------------------------------------------------------------------------


def test_the_resets_leave_only_the_reference_data_and_generation_repeats(city):
    """The resets remove the generated rows and keep the reference data; the same seed then
    gives the same rows (those of the days before today: today's depend on the clock)."""
    today = city["today"]
    reference = _reference()
    assert reference[0] > 0

    def snapshot() -> dict:
        return {
            "communities": sorted(Community.objects.values_list("region_id", "name")),
            "households": sorted(Household.objects.values_list("code", "card_number", "unit")),
            "stations": sorted(Station.objects.values_list("name", "kind", "device_id")),
            "guides": sorted(Guide.objects.values_list("name", "region_id")),
            "drops": sorted(
                Drop.objects.filter(dropped_at__lt=_midnight(today)).values_list(
                    "household_code", "waste_class", "weight_kg", "dropped_at", "correct"
                )
            ),
            "reports": sorted(
                Report.objects.filter(
                    client_key__startswith="demo-", created_at__lt=_midnight(today)
                ).values_list("code", "kind", "created_at")
            ),
        }

    before = snapshot()
    drops, reports = Drop.objects.count(), Report.objects.filter(client_key__startswith="demo-")
    report_count = reports.count()
    removed = sorting_reset()
    assert removed["sorting.Drop"] == drops
    for model in SORTING_ROWS:
        assert not model._base_manager.exists(), model
    assert _reference() == reference
    removed = reports_reset()
    assert removed["cases.Report"] == report_count
    assert not reports.exists()
    assert not ReportEvent.objects.filter(report__client_key__startswith="demo-").exists()
    outreach_reset()
    assert not Event.objects.exists() and not Booking.objects.exists()
    assert not SurveyResponse.objects.exists()
    sorting_generate(seed=11, scale="small", today=today)
    reports_generate(seed=11, scale="small", today=today)
    assert snapshot() == before
