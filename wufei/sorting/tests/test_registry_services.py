"""The registry services: communities, household codes (scheme, continuation, uniqueness, one
bulk insert), masked phones, stations and their schedules, the roster, shifts, station checks
and training; bad input refused with stable codes, nothing written; scope enforced."""

from __future__ import annotations

import re
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.models import ChangeLog
from wufei.sorting import registry_services as services
from wufei.sorting.models import (
    Attendance,
    Community,
    Drop,
    Household,
    Shift,
    ShiftStatus,
    Station,
    StationCheck,
    Training,
)
from wufei.sorting.tests.test_registry_world import (
    PNG,
    SCHEDULE,
    module_world,
    party_in_west,
    village_site,
    weidu_point,
    yuzhou_point,
)

pytestmark = pytest.mark.django_db
TODAY = date(2024, 5, 20)  # a Monday


@pytest.fixture(scope="module")
def w(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def refused(exc_info) -> tuple[str, str | None]:
    return exc_info.value.code, exc_info.value.field


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def register(w, community=None, count=3, actor=None, **kwargs):
    return services.households_register(
        actor=actor or w.users["city"],
        community=community or w.compound,
        count=count,
        today=TODAY,
        **kwargs,
    )


# --- communities ---------------------------------------------------------------------------------


def community_data(w, **overrides) -> dict:
    data = {"kind": "compound", "name": "西大街道新小区", "region": w.west, "households_total": 120}
    data.update(overrides)
    return data


def test_a_county_official_creates_a_compound_and_the_change_is_logged(w):
    lon, lat = weidu_point()
    community = services.community_create(
        actor=w.users["county"], data=community_data(w, lon=lon, lat=lat)
    )
    assert community.pk and community.region == w.west
    assert ChangeLog.objects.filter(object_id=str(community.pk), action="create").exists()


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"region": "county"}, "region_not_town", "region"),
        ({"coarse_sorting": True}, "coarse_sorting_village_only", "coarse_sorting"),
        ({"site": "village_site"}, "site_kind_mismatch", "site"),
        ({"committee": "plain_party"}, "committee_not_community", "committee"),
        ({"lon": "yuzhou"}, "outside_region", "lon"),
        ({"name": "西大街道测试小区"}, "name_taken", "name"),
        ({"households_total": -1}, "min_value", "households_total"),
    ],
)
def test_bad_communities_are_refused_before_anything_is_written(w, overrides, code, field):
    values = dict(overrides)
    if values.get("region") == "county":
        values["region"] = w.west.parent
    if values.get("site") == "village_site":
        values["site"] = village_site()
    if values.get("committee") == "plain_party":
        values["committee"] = party_in_west()
    if values.get("lon") == "yuzhou":
        values["lon"], values["lat"] = yuzhou_point()
    before = Community.objects.count()
    with pytest.raises(Invalid) as exc:
        services.community_create(actor=w.users["city"], data=community_data(w, **values))
    codes = {(e.code, e.field) for e in exc.value.errors}
    assert any(c == code and (field is None or f == field) for c, f in codes), codes
    assert Community.objects.count() == before


def test_a_village_keeps_coarse_sorting_and_coverage(w):
    site = village_site()
    village = services.community_create(
        actor=w.users["county_yuzhou"],
        data={
            "kind": "village",
            "name": "禹州新村",
            "region": w.yuzhou_town,
            "site": site,
            "coarse_sorting": True,
            "collection_covered": False,
            "households_total": 80,
        },
    )
    assert village.coarse_sorting and not village.collection_covered
    assert services.code_prefix(village) == f"H{site.pk:06d}"


@pytest.mark.parametrize("who", ["county_yuzhou", "guide", "department", "enterprise", "public"])
def test_who_may_not_create_a_community_in_west_street(w, who):
    before = Community.objects.count()
    with pytest.raises(NotPermitted):
        services.community_create(actor=w.users[who], data=community_data(w))
    assert Community.objects.count() == before


def test_the_urban_management_bureau_manages_communities(w):
    community = services.community_create(actor=w.users["urban"], data=community_data(w))
    updated = services.community_update(
        actor=w.users["urban"], obj=community, data={"households_total": 150, "is_pilot": True}
    )
    assert updated.households_total == 150 and updated.is_pilot


def test_a_county_official_cannot_edit_another_countys_community(w):
    with pytest.raises(NotFound):
        services.community_update(
            actor=w.users["county_yuzhou"], obj=w.compound, data={"households_total": 1}
        )
    w.compound.refresh_from_db()
    assert w.compound.households_total == 400


# --- household codes -----------------------------------------------------------------------------

CODE = re.compile(r"^[HC]\d{10}$")


def test_codes_follow_the_scheme_and_continue_the_sequence(w):
    first = register(w, count=3)
    assert [h.code for h in first] == [f"H{w.site.pk:06d}{i:04d}" for i in range(3)]
    second = register(w, count=2)
    assert [h.code for h in second] == [f"H{w.site.pk:06d}{i:04d}" for i in (3, 4)]
    plain = register(w, community=w.plain, count=2)
    assert [h.code for h in plain] == [f"C{w.plain.pk:06d}{i:04d}" for i in (0, 1)]
    assert all(CODE.match(h.code) for h in first + second + plain)
    assert all(h.registered_on == TODAY and h.card_number is None for h in first)
    assert services.next_code(w.compound) == f"H{w.site.pk:06d}0005"


def test_card_numbers_are_xc_and_ten_digits_continuing(w):
    first = register(w, count=2, with_cards=True)
    register(w, count=1)  # no card for this one
    more = register(w, count=2, with_cards=True)
    cards = [h.card_number for h in first + more]
    assert cards == [f"XC{w.compound.pk:06d}{i:04d}" for i in range(4)]
    assert all(re.match(r"^XC\d{10}$", c) for c in cards)


def test_codes_continue_after_codes_used_elsewhere_with_the_same_prefix(w):
    # A household moved over from a site reassignment keeps its code: the sequence skips it.
    Household.objects.create(community=w.plain, code=f"H{w.site.pk:06d}0041")
    created = register(w, count=1)
    assert created[0].code == f"H{w.site.pk:06d}0042"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=5))
def test_codes_are_consecutive_and_unique_over_any_batches(w, batches):
    community = Community.objects.create(
        kind="compound",
        name=f"批次小区{Community.objects.count()}",
        region=w.west,
        households_total=500,
    )
    codes: list[str] = []
    for size in batches:
        codes += [h.code for h in register(w, community=community, count=size, with_cards=True)]
    prefix = f"C{community.pk:06d}"
    assert codes == [f"{prefix}{i:04d}" for i in range(sum(batches))]
    assert len(set(codes)) == len(codes)
    cards = list(community.households.values_list("card_number", flat=True))
    assert len(set(cards)) == len(cards) == sum(batches)


def test_unit_labels_are_one_per_household(w):
    created = register(w, count=2, unit_labels=["1号楼101", "1号楼102"])
    assert [h.unit for h in created] == ["1号楼101", "1号楼102"]


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"count": 0}, "count_invalid", "count"),
        ({"count": -3}, "count_invalid", "count"),
        ({"count": 2, "unit_labels": ["a"]}, "unit_labels_count", "unit_labels"),
        ({"count": 1, "unit_labels": ["x" * 41]}, "too_long", "unit_labels"),
        ({"count": 10001}, "too_many", "count"),
    ],
)
def test_bad_registrations_are_refused(w, kwargs, code, field):
    before = Household.objects.count()
    with pytest.raises(Invalid) as exc:
        services.households_register(
            actor=w.users["city"], community=w.compound, today=TODAY, **kwargs
        )
    assert refused(exc) == (code, field)
    assert Household.objects.count() == before


def test_the_sequence_has_room_for_ten_thousand_households(w):
    Household.objects.create(community=w.plain, code=f"C{w.plain.pk:06d}9998")
    with pytest.raises(Invalid) as exc:
        register(w, community=w.plain, count=2)
    assert refused(exc) == ("too_many", "count")
    assert register(w, community=w.plain, count=1)[0].code == f"C{w.plain.pk:06d}9999"


def test_an_inactive_community_registers_nobody(w):
    Community.objects.filter(pk=w.plain.pk).update(is_active=False)
    with pytest.raises(Invalid) as exc:
        register(w, community=w.plain)
    assert refused(exc) == ("community_inactive", "community")


@pytest.mark.parametrize("who", ["county_yuzhou", "east_guide"])
def test_someone_from_elsewhere_cannot_register_households_here(w, who):
    before = Household.objects.count()
    with pytest.raises(NotFound):
        register(w, actor=w.users[who])
    assert Household.objects.count() == before


@pytest.mark.parametrize("who", ["enterprise", "public", "driver"])
def test_accounts_without_the_right_cannot_register(w, who):
    with pytest.raises((NotPermitted, NotFound)):
        register(w, actor=w.users[who])


def test_a_guide_registers_households_in_the_street_and_it_is_logged_once(w):
    created = register(w, actor=w.users["guide"], count=4)
    assert len(created) == 4
    log = ChangeLog.objects.get(object_id=str(w.compound.pk), action="register")
    assert log.data["households"] == 4 and log.data["first"] == created[0].code


def test_registering_a_thousand_households_is_one_bulk_insert(w):
    with CaptureQueriesContext(connection) as queries:
        started = clock.perf_counter()
        created = register(w, community=w.plain, count=1000, with_cards=True)
        elapsed = clock.perf_counter() - started
    inserts = [q for q in queries.captured_queries if 'INSERT INTO "sorting_household"' in q["sql"]]
    # One bulk_create: a single statement on PostgreSQL; SQLite splits it at 999 variables.
    assert len(inserts) <= 1000 * 8 // 999 + 1
    assert len(queries.captured_queries) < 30
    assert len(created) == Household.objects.filter(community=w.plain).count() == 1000
    print(f"\n1000 households registered in {elapsed * 1000:.0f} ms, {len(queries)} queries")


def test_drops_of_an_unregistered_code_are_matched_on_registration(w):
    code = services.next_code(w.compound)
    drop = Drop.objects.create(
        community=w.compound,
        household_code=code,
        source="smart_bin",
        waste_class="kitchen",
        weight_kg=Decimal("1.20"),
        dropped_at=at(TODAY, 7, 30),
    )
    other = Drop.objects.create(
        community=w.compound,
        household_code="H9999990000",
        source="smart_bin",
        waste_class="kitchen",
        weight_kg=Decimal("1.00"),
        dropped_at=at(TODAY, 7, 31),
    )
    (household,) = register(w, count=1)
    drop.refresh_from_db()
    other.refresh_from_db()
    assert drop.household == household and other.household is None


# --- one household, phones -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("139****5678", "139****5678"),
        ("", ""),
    ],
)
def test_a_phone_is_only_ever_stored_masked(w, phone, stored):
    household = services.household_register(
        actor=w.users["guide"], community=w.compound, unit="5号楼301", phone=phone, today=TODAY
    )
    assert household.phone_masked == stored and household.unit == "5号楼301"


@pytest.mark.parametrize(
    "phone", ["12345", "1381234123x", "23812341234", "138123412345", "138***1234"]
)
def test_a_malformed_phone_is_refused(w, phone):
    before = Household.objects.count()
    with pytest.raises(Invalid) as exc:
        services.household_register(
            actor=w.users["guide"], community=w.compound, phone=phone, today=TODAY
        )
    assert refused(exc) == ("phone_invalid", "phone")
    assert Household.objects.count() == before


def test_a_single_household_may_get_a_card(w):
    household = services.household_register(
        actor=w.users["city"], community=w.compound, with_card=True, today=TODAY
    )
    assert household.card_number == f"XC{w.compound.pk:06d}0000"


def test_edit_masks_the_phone_and_deactivation_happens_once(w):
    (household,) = register(w, count=1)
    edited = services.household_update(
        actor=w.users["guide"], obj=household, data={"unit": "2号楼", "phone": "13700001111"}
    )
    assert (edited.unit, edited.phone_masked) == ("2号楼", "137****1111")
    with pytest.raises(Invalid):
        services.household_update(actor=w.users["guide"], obj=household, data={"phone": "123"})
    gone = services.household_deactivate(actor=w.users["county"], household=household)
    assert not gone.is_active
    with pytest.raises(services.InvalidTransition) as exc:
        services.household_deactivate(actor=w.users["county"], household=household)
    assert exc.value.code == "already_inactive"
    with pytest.raises(NotFound):
        services.household_deactivate(actor=w.users["east_guide"], household=household)


# --- stations and schedules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([["18:00", "21:00"], ["07:00", "09:00"]], SCHEDULE),
        ("07:00-09:00, 18:00-21:00", SCHEDULE),
        ("7:00-9:00；18:00～21:00", SCHEDULE),
        ('[["07:00","09:00"]]', [["07:00", "09:00"]]),
        ("", []),
        ([], []),
    ],
)
def test_schedules_are_parsed_and_sorted(value, expected):
    assert services.parse_schedule(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ([["07:00"]], "schedule_format"),
        ([["7", "9"]], "schedule_format"),
        ([["25:00", "26:00"]], "schedule_format"),
        ([[7, 9]], "schedule_format"),
        ({"from": "07:00"}, "schedule_format"),
        ("[broken", "schedule_format"),
        ([["09:00", "07:00"]], "schedule_order"),
        ([["09:00", "09:00"]], "schedule_order"),
        ([["07:00", "09:00"], ["08:30", "10:00"]], "schedule_overlap"),
    ],
)
def test_bad_schedules_are_refused(value, code):
    with pytest.raises(Invalid) as exc:
        services.parse_schedule(value)
    assert refused(exc) == (code, "schedule")


@given(
    cuts=st.lists(
        st.integers(min_value=0, max_value=23 * 60 + 59), min_size=0, max_size=8, unique=True
    )
)
def test_any_disjoint_periods_are_accepted_in_order(cuts):
    points = sorted(cuts)
    pairs = [
        [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
        for a, b in zip(points[::2], points[1::2], strict=False)
    ]
    parsed = services.parse_schedule(list(reversed(pairs)))
    assert parsed == pairs
    if len(pairs) >= 2:  # stretch the first period over the second: now they overlap
        clash = [[pairs[0][0], pairs[1][1]], pairs[1]]
        with pytest.raises(Invalid):
            services.parse_schedule(clash)


def test_a_station_takes_its_street_from_its_community(w):
    lon, lat = weidu_point()
    station = services.station_create(
        actor=w.users["county"],
        data={
            "kind": "recyclables",
            "name": "可回收物回收点",
            "community": w.compound,
            "schedule": "08:00-11:00",
            "lon": lon,
            "lat": lat,
            "device": w.smart_bin,
        },
    )
    assert station.region == w.west and station.schedule == [["08:00", "11:00"]]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"community": "compound", "region": "east"}, "region_mismatch", "region"),
        ({"region": "west", "lon": "yuzhou"}, "outside_region", "lon"),
        ({"region": "west", "schedule": "09:00-07:00"}, "schedule_order", "schedule"),
        ({}, "required", "region"),
    ],
)
def test_bad_stations_are_refused(w, data, code, field):
    values = {"kind": "sorting", "name": "新投放点"}
    for key, value in data.items():
        if value == "compound":
            values[key] = w.compound
        elif value in ("east", "west"):
            values[key] = getattr(w, value)
        elif value == "yuzhou":
            values["lon"], values["lat"] = yuzhou_point()
        else:
            values[key] = value
    before = Station.objects.count()
    with pytest.raises(Invalid) as exc:
        services.station_create(actor=w.users["city"], data=values)
    assert (code, field) in {(e.code, e.field) for e in exc.value.errors}
    assert Station.objects.count() == before


def test_a_gps_unit_is_no_station_device(w):
    from wufei.registry.tests.factories import DeviceFactory

    gps = DeviceFactory(party=w.compound.committee, kind="gps", serial="GPS-X-1")
    with pytest.raises(Invalid) as exc:
        services.station_update(actor=w.users["city"], obj=w.station, data={"device": gps})
    assert refused(exc) == ("device_kind", "device")


def test_a_guide_cannot_edit_stations(w):
    with pytest.raises(NotPermitted):
        services.station_update(actor=w.users["guide"], obj=w.station, data={"name": "改名"})


# --- the roster ----------------------------------------------------------------------------------


def test_guides_are_created_with_masked_phones_and_stations_of_their_street(w):
    guide = services.guide_create(
        actor=w.users["county"],
        data={
            "name": "赵督导",
            "region": w.west,
            "phone_masked": "13912345678",
            "stations": [w.station],
            "is_volunteer": True,
        },
    )
    assert guide.phone_masked == "139****5678"
    assert list(guide.stations.all()) == [w.station]
    with pytest.raises(Invalid) as exc:
        services.guide_assign_stations(
            actor=w.users["city"], guide=guide, stations=[w.east_station]
        )
    assert refused(exc) == ("station_outside_region", "stations")
    services.guide_assign_stations(actor=w.users["county"], guide=guide, stations=[w.evening])
    assert list(guide.stations.all()) == [w.evening]


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ("county", "user_not_guide"),
        ("new_east", "user_region_mismatch"),
        ("guide", "user_taken"),
    ],
)
def test_only_a_free_guide_account_of_the_street_is_linked(w, user, code):
    if user == "new_east":
        account = UserFactory(username="east2", role="guide", region=w.east)
    else:
        account = w.users[user]
    with pytest.raises(Invalid) as exc:
        services.guide_create(
            actor=w.users["city"], data={"name": "钱督导", "region": w.west, "user": account}
        )
    assert refused(exc) == (code, "user")


def test_guides_cannot_manage_the_roster(w):
    with pytest.raises(NotPermitted):
        services.guide_create(actor=w.users["guide"], data={"name": "x", "region": w.west})


# --- shifts --------------------------------------------------------------------------------------


def plan(w, start=TODAY, end=TODAY + timedelta(days=2), station=None, guide=None):
    return services.shifts_plan(
        actor=w.users["county"],
        guide=guide or w.guide,
        station=station or w.station,
        start=start,
        end=end,
    )


def test_shifts_follow_the_station_schedule_and_planning_again_adds_nothing(w):
    created = plan(w)
    assert len(created) == 3 * 2
    assert {(s.starts, s.ends) for s in created} == {(time(7), time(9)), (time(18), time(21))}
    assert plan(w) == []
    assert Shift.objects.filter(guide=w.guide).count() == 6


def test_a_clash_with_duty_elsewhere_is_refused(w):
    plan(w)
    with pytest.raises(Invalid) as exc:
        plan(w, station=w.evening)
    assert refused(exc) == ("shift_overlap", "station")
    assert not Shift.objects.filter(station=w.evening).exists()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"end": TODAY - timedelta(days=1)}, "period_reversed", "end"),
        ({"end": TODAY + timedelta(days=92)}, "range_too_long", "end"),
        ({"station": "east"}, "station_not_assigned", "station"),
    ],
)
def test_bad_plans_are_refused(w, kwargs, code, field):
    if kwargs.get("station") == "east":
        kwargs = {"station": w.east_station, "guide": w.guide}
        with pytest.raises(Invalid) as exc:
            services.shifts_plan(actor=w.users["city"], start=TODAY, end=TODAY, **kwargs)
    else:
        with pytest.raises(Invalid) as exc:
            plan(w, **kwargs)
    assert (code, field) in {(e.code, e.field) for e in exc.value.errors}


def test_a_station_open_all_day_has_no_shifts(w):
    Station.objects.filter(pk=w.evening.pk).update(schedule=[])
    with pytest.raises(Invalid) as exc:
        plan(w, station=w.evening)
    assert refused(exc) == ("no_schedule", "station")


def test_a_guide_checks_in_to_their_own_shift_within_its_time(w):
    morning = plan(w, end=TODAY)[0]
    with pytest.raises(Invalid) as exc:
        services.shift_check_in(actor=w.users["guide"], shift=morning, now=at(TODAY, 6, 0))
    assert refused(exc) == ("outside_shift", "shift")
    done = services.shift_check_in(actor=w.users["guide"], shift=morning, now=at(TODAY, 6, 45))
    assert done.status == ShiftStatus.ON_DUTY and done.checked_in_at == at(TODAY, 6, 45)
    with pytest.raises(services.InvalidTransition) as again:
        services.shift_check_in(actor=w.users["guide"], shift=morning, now=at(TODAY, 7, 0))
    assert again.value.code == "already_checked_in"


def test_a_guide_cannot_check_in_for_someone_else(w):
    other = services.guide_create(
        actor=w.users["city"], data={"name": "孙督导", "region": w.west, "stations": [w.evening]}
    )
    shift = services.shifts_plan(
        actor=w.users["city"], guide=other, station=w.evening, start=TODAY, end=TODAY
    )[0]
    with pytest.raises(NotPermitted):
        services.shift_check_in(actor=w.users["guide"], shift=shift, now=at(TODAY, 7, 5))
    with pytest.raises(NotFound):
        services.shift_check_in(actor=w.users["east_guide"], shift=shift, now=at(TODAY, 7, 5))


def test_officials_mark_absence_after_the_start_and_may_correct_it(w):
    morning = plan(w, end=TODAY)[0]
    with pytest.raises(Invalid) as early:
        services.shift_mark_absent(actor=w.users["county"], shift=morning, now=at(TODAY, 6, 0))
    assert refused(early) == ("not_started", "shift")
    with pytest.raises(NotPermitted):
        services.shift_mark_absent(actor=w.users["guide"], shift=morning, now=at(TODAY, 8, 0))
    absent = services.shift_mark_absent(actor=w.users["county"], shift=morning, now=at(TODAY, 8, 0))
    assert absent.status == ShiftStatus.ABSENT
    with pytest.raises(services.InvalidTransition):
        services.shift_check_in(actor=w.users["guide"], shift=morning, now=at(TODAY, 8, 10))
    fixed = services.shift_check_in(actor=w.users["county"], shift=morning, now=at(TODAY, 8, 20))
    assert fixed.status == ShiftStatus.ON_DUTY


def test_leaving_the_roster_drops_future_planned_shifts(w):
    plan(w, start=TODAY - timedelta(days=1), end=TODAY + timedelta(days=1))
    services.guide_deactivate(actor=w.users["county"], guide=w.guide, today=TODAY)
    gone = type(w.guide).objects.get(pk=w.guide.pk)
    assert not gone.is_active and not gone.stations.exists()
    assert set(Shift.objects.filter(guide=w.guide).values_list("day", flat=True)) == {
        TODAY - timedelta(days=1)
    }
    with pytest.raises(services.InvalidTransition):
        services.guide_deactivate(actor=w.users["county"], guide=w.guide, today=TODAY)


# --- station checks ------------------------------------------------------------------------------


def check(w, actor, station=None, **kwargs):
    values = {"score": 85, "now": at(TODAY, 8, 0)}
    values.update(kwargs)
    return services.station_check_add(actor=actor, station=station or w.station, **values)


def test_a_guide_adds_a_check_in_the_street_with_a_photo(w):
    photo = SimpleUploadedFile("bin.png", PNG, content_type="image/png")
    done = check(w, w.users["guide"], overflowing=True, note="桶满", photo=photo)
    assert done.guide == w.guide and done.created_by == w.users["guide"]
    assert done.overflowing and done.photo.name.endswith(".png")


def test_a_guide_cannot_add_a_check_in_another_street(w):
    before = StationCheck.objects.count()
    with pytest.raises(NotFound):
        check(w, w.users["guide"], station=w.east_station)
    assert check(w, w.users["east_guide"], station=w.east_station).guide == w.east_guide
    assert StationCheck.objects.count() == before + 1


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"score": 101}, "out_of_range", "score"),
        ({"score": -1}, "out_of_range", "score"),
        ({"checked_at": "future"}, "in_future", "checked_at"),
        ({"note": "长" * 301}, "too_long", "note"),
        ({"photo": "text"}, "photo_type", "photo"),
    ],
)
def test_bad_checks_are_refused(w, kwargs, code, field):
    if kwargs.get("checked_at") == "future":
        kwargs = {"checked_at": at(TODAY, 9, 0)}
    if kwargs.get("photo") == "text":
        kwargs = {"photo": SimpleUploadedFile("bin.png", b"not an image", content_type="image/png")}
    before = StationCheck.objects.count()
    with pytest.raises(Invalid) as exc:
        check(w, w.users["guide"], **kwargs)
    assert refused(exc) == (code, field)
    assert StationCheck.objects.count() == before


@pytest.mark.parametrize("who", ["enterprise", "public", "driver"])
def test_only_officials_and_guides_check_stations(w, who):
    with pytest.raises(NotPermitted):
        check(w, w.users[who])


def test_an_official_check_names_no_guide(w):
    assert check(w, w.users["county"]).guide is None


# --- training ------------------------------------------------------------------------------------


def training(w, held_on=TODAY - timedelta(days=3)) -> Training:
    return services.training_create(
        actor=w.users["county"],
        data={
            "title": "垃圾分类督导员专项培训",
            "held_on": held_on,
            "place": "西大街道办事处",
            "region": w.west,
            "hours": Decimal("3"),
        },
    )


def test_attendance_is_recorded_and_corrected(w):
    session = training(w)
    row = services.AttendanceRow
    services.attendance_record(
        actor=w.users["county"], training=session, rows=[row(w.guide, True, None)], today=TODAY
    )
    services.attendance_record(
        actor=w.users["county"], training=session, rows=[row(w.guide, True, True)], today=TODAY
    )
    record = Attendance.objects.get(training=session)
    assert (record.present, record.passed) == (True, True)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("absent_passed", "passed_without_presence"),
        ("other_street", "guide_outside_region"),
        ("future", "not_held_yet"),
        ("twice", "duplicate"),
    ],
)
def test_bad_attendance_is_refused(w, case, code):
    row = services.AttendanceRow
    session = training(w, held_on=TODAY + timedelta(days=1) if case == "future" else TODAY)
    rows = {
        "absent_passed": [row(w.guide, False, True)],
        "other_street": [row(w.east_guide, True, None)],
        "future": [row(w.guide, True, None)],
        "twice": [row(w.guide, True, None), row(w.guide, False, None)],
    }[case]
    with pytest.raises(Invalid) as exc:
        services.attendance_record(actor=w.users["city"], training=session, rows=rows, today=TODAY)
    assert code in {e.code for e in exc.value.errors}
    assert not Attendance.objects.filter(training=session).exists()


def test_training_hours_must_be_positive_and_guides_do_not_organise(w):
    with pytest.raises(Invalid) as exc:
        services.training_create(
            actor=w.users["city"],
            data={"title": "t", "held_on": TODAY, "place": "p", "region": w.west, "hours": 0},
        )
    assert refused(exc) == ("out_of_range", "hours")
    with pytest.raises(NotPermitted):
        services.training_create(
            actor=w.users["guide"],
            data={"title": "t", "held_on": TODAY, "place": "p", "region": w.west},
        )
