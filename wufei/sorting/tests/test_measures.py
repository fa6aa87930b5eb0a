"""The published measures against a small community computed by hand, period boundaries in
local time, the rollup, rankings, the monthly trend and the figures for the stats engine.

The community 甲小区 (10 households on record) in 西大街 (魏都区), March 2024:

    household  registered  active  drops (local time)
    h1         2024-02-01  yes     kitchen 2.00 kg 03-01 00:10 correct;
                                   other 1.50 kg 03-05 08:00 unchecked
    h2         2024-02-01  yes     recyclable 3.00 kg 03-31 23:50 wrong
    h3         2024-02-01  yes     kitchen 1.00 kg 04-01 00:05 (April here, March 31 in UTC)
    h4         2024-02-01  yes     kitchen 0.50 kg 02-29 23:59 (February)
    h5         2024-02-01  no      kitchen 4.00 kg 03-10 correct
    h6         2024-04-02  yes     other 1.00 kg 03-15 (dropped before it was registered)
    (unknown)  —           —       hazardous 0.25 kg 03-12 correct

March: registered by 03-31 (active) h1-h4 = 4 → registration 4 / 10 = 40 %; participating h1, h2
= 2 → 2 / 4 = 50 %; checked h1, h2, h5, unknown = 4, correct 3 → 75 %; kg kitchen 2 + 4 = 6,
other 1.5 + 1 = 2.5, recyclable 3, hazardous 0.25, total 11.75 → 分出率 6 / 11.75 = 51.06 %,
recyclables 0.003 t and 3 / 11.75 = 25.53 %; station checks 80 and 95 → 87.5.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wufei.registry.models import Region
from wufei.sorting import measures
from wufei.sorting.measures import Area, Period, area_of, compute, monthly, ranking, year_values
from wufei.sorting.models import Community, CommunityDay, Drop, Household, Station, StationCheck
from wufei.sorting.rollup import rebuild

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWN, COUNTY, CITY = "411002001", "411002", "411000"
MARCH = Period.parse("2024-03")


def at(text: str) -> dt.datetime:
    """A local (Asia/Shanghai) time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def region(adcode: str) -> Region:
    return Region.objects.defer("boundary").get(adcode=adcode)


def household(community, code, registered="2024-02-01", active=True) -> Household:
    return Household.objects.create(
        community=community,
        code=code,
        registered_on=dt.date.fromisoformat(registered),
        is_active=active,
    )


def drop(community, home, waste_class, kg, when, correct=None, code="") -> Drop:
    return Drop.objects.create(
        community=community,
        household=home,
        household_code=home.code if home else code,
        source="guide",
        waste_class=waste_class,
        weight_kg=Decimal(kg),
        correct=correct,
        dropped_at=at(when),
    )


def check(community, score, when) -> StationCheck:
    station = Station.objects.filter(community=community).first() or Station.objects.create(
        kind="sorting", name=f"{community.name}投放点", community=community, region=community.region
    )
    return StationCheck.objects.create(station=station, score=score, checked_at=at(when))


def build_jia() -> Community:
    """甲小区 as in the module docstring (drops only; the rollup is left to the caller)."""
    jia = Community.objects.create(
        kind="compound", name="甲小区", region=region(TOWN), households_total=10
    )
    h = {n: household(jia, f"C{jia.pk:06d}000{n}") for n in range(1, 5)}
    h[5] = household(jia, f"C{jia.pk:06d}0005", active=False)
    h[6] = household(jia, f"C{jia.pk:06d}0006", registered="2024-04-02")
    drop(jia, h[1], "kitchen", "2.00", "2024-03-01 00:10", correct=True)
    drop(jia, h[1], "other", "1.50", "2024-03-05 08:00")
    drop(jia, h[2], "recyclable", "3.00", "2024-03-31 23:50", correct=False)
    drop(jia, h[3], "kitchen", "1.00", "2024-04-01 00:05")
    drop(jia, h[4], "kitchen", "0.50", "2024-02-29 23:59")
    drop(jia, h[5], "kitchen", "4.00", "2024-03-10 09:00", correct=True)
    drop(jia, h[6], "other", "1.00", "2024-03-15 19:00")
    drop(jia, None, "hazardous", "0.25", "2024-03-12 10:00", correct=True, code="XC0000000001")
    check(jia, 80, "2024-03-02 08:00")
    check(jia, 95, "2024-03-30 08:00")
    check(jia, 10, "2024-04-01 08:00")  # April
    return jia


def build_yi() -> Community:
    """乙小区 (5 on record, 2 registered, both drop in March: 100 % participation; 2 kg of
    kitchen waste out of 4 kg: 50 %; one check, correct)."""
    yi = Community.objects.create(
        kind="compound", name="乙小区", region=region(TOWN), households_total=5
    )
    a, b = household(yi, f"C{yi.pk:06d}0001"), household(yi, f"C{yi.pk:06d}0002")
    drop(yi, a, "kitchen", "2.00", "2024-03-03 07:00", correct=True)
    drop(yi, b, "other", "2.00", "2024-03-04 07:00")
    return yi


@pytest.fixture
def jia() -> Community:
    community = build_jia()
    rebuild()
    return community


def test_each_measure_of_the_hand_computed_community(jia):
    got = compute(area_of(jia), MARCH)
    assert got == {
        "registration_rate": Decimal("40.00"),  # 4 / 10
        "participation_rate": Decimal("50.00"),  # h1, h2 of h1-h4
        "accuracy_rate": Decimal("75.00"),  # 3 of 4 checked
        "kitchen_separation_rate": Decimal("51.06"),  # 6 / 11.75
        "recyclables_tonnes": Decimal("0.003"),  # 3 kg
        "recyclables_share": Decimal("25.53"),  # 3 / 11.75
        "station_check_score": Decimal("87.5"),  # (80 + 95) / 2
    }
    counts = measures.area_counts(area_of(jia), MARCH)
    assert (counts.registered, counts.participating, counts.checked, counts.correct) == (4, 2, 4, 3)
    assert counts.kg() == Decimal("11.75") and counts.drops == 6


def test_period_boundaries_are_local_days(jia):
    area = area_of(jia)
    # 04-01 00:05 local is March 31 in UTC, yet it is April's: h3 alone, of the 4 registered by then
    april_first = measures.area_counts(area, Period.parse("2024-04-01"))
    assert (april_first.participating, april_first.registered, april_first.kg()) == (
        1,
        4,
        Decimal("1"),
    )
    # 03-01 00:10 local is February 29 in UTC, yet it is March's (in the March figures above);
    # 02-29 23:59 local is February's
    feb = measures.area_counts(area, Period.parse("2024-02"))
    assert (feb.participating, feb.kg("kitchen")) == (1, Decimal("0.5"))
    # ISO week 13 (03-25 .. 03-31) holds h2's drop at 23:50 on Sunday, not h3's on Monday
    week = Period.parse("2024-W13")
    assert (week.start, week.end) == (dt.date(2024, 3, 25), dt.date(2024, 3, 31))
    assert measures.area_counts(area, week).participating == 1
    assert compute(area, week)["recyclables_share"] == Decimal("100.00")
    # the first quarter: h1, h2 and h4 (February) of 4
    assert compute(area, Period.parse("2024-Q1"))["participation_rate"] == Decimal("75.00")
    # the rollup's days are local days too
    days = dict(
        CommunityDay.objects.filter(community=jia, waste_class="kitchen").values_list(
            "day", "weight_kg"
        )
    )
    assert days[dt.date(2024, 3, 1)] == Decimal("2.00")
    assert days[dt.date(2024, 4, 1)] == Decimal("1.00")
    assert days[dt.date(2024, 2, 29)] == Decimal("0.50")


def test_a_household_counts_for_its_own_community_wherever_it_drops(jia):
    yi = build_yi()
    third = household(yi, f"C{yi.pk:06d}0003")
    drop(jia, third, "other", "1.00", "2024-03-20 08:00")  # at 甲小区's station
    rebuild()
    assert measures.area_counts(area_of(yi), MARCH).participating == 3  # of 3 registered
    assert measures.area_counts(area_of(jia), MARCH).participating == 2  # unchanged
    assert measures.area_counts(area_of(jia), MARCH).kg("other") == Decimal("3.5")  # its kg


def test_no_denominator_is_no_data_not_zero():
    empty = Community.objects.create(kind="village", name="空村", region=region(TOWN))
    got = compute(area_of(empty), MARCH)
    assert got["registration_rate"] is None  # no households on record
    assert got["participation_rate"] is None and got["accuracy_rate"] is None
    assert got["recyclables_tonnes"] == Decimal("0.000")


def test_streets_counties_and_the_city_add_up_their_communities(jia):
    build_yi()
    rebuild()
    for adcode in (TOWN, COUNTY, CITY):
        got = compute(Area(region(adcode)), MARCH)
        assert got["participation_rate"] == Decimal("66.67")  # (2 + 2) / (4 + 2)
        assert got["registration_rate"] == Decimal("40.00")  # (4 + 2) / (10 + 5)
        assert got["accuracy_rate"] == Decimal("80.00")  # (3 + 1) / (4 + 1)
        assert got["kitchen_separation_rate"] == Decimal("50.79")  # (6 + 2) / (11.75 + 4)
    elsewhere = compute(Area(region("411081")), MARCH)  # 禹州市 has no communities
    assert elsewhere["participation_rate"] is None


def test_a_ranking_of_communities(jia):
    yi = build_yi()
    rebuild()
    Community.objects.create(kind="village", name="丙村", region=region(TOWN))  # no households
    rows = ranking(Area(region(COUNTY)), MARCH, "participation_rate")
    assert [(r.community.name, r.value, r.rank) for r in rows] == [
        ("乙小区", Decimal("100.00"), 1),
        ("甲小区", Decimal("50.00"), 2),
        ("丙村", None, None),
    ]
    assert rows[0].community == yi
    by_kitchen = ranking(Area(region(TOWN)), MARCH, "kitchen_separation_rate")
    assert [r.community.name for r in by_kitchen][:2] == ["甲小区", "乙小区"]  # 51.06 > 50


def test_equal_values_share_a_rank(jia):
    build_yi()
    rebuild()
    rows = ranking(Area(region(TOWN)), MARCH, "recyclables_tonnes")
    assert [(r.value, r.rank) for r in rows] == [(Decimal("0.003"), 1), (Decimal("0.000"), 2)]
    Community.objects.create(kind="village", name="丁村", region=region(TOWN))
    rows = ranking(Area(region(TOWN)), MARCH, "recyclables_tonnes")
    assert [r.rank for r in rows] == [1, 2, 2]


def test_the_monthly_trend_matches_the_monthly_figures(jia):
    months = monthly(area_of(jia), 2024)
    assert [p.key for p, _c in months][:4] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    for period, counts in months:
        direct = measures.area_counts(area_of(jia), period)
        assert (counts.registered, counts.participating, counts.checked, counts.correct) == (
            direct.registered,
            direct.participating,
            direct.checked,
            direct.correct,
        ), period.key
        assert counts.cents == {k: v for k, v in direct.cents.items()}, period.key
        assert (counts.check_score, counts.checks) == (direct.check_score, direct.checks)
    april = dict(months)[Period.parse("2024-04")]
    assert (april.registered, april.participating) == (5, 1)  # h6 registered 04-02; h3 dropped


def test_the_rollup_is_idempotent_and_rebuilds_a_range(jia):
    before = sorted(
        CommunityDay.objects.values_list(
            "day", "waste_class", "drops", "households", "weight_kg", "checked", "correct"
        )
    )
    assert rebuild() == len(before)
    assert rebuild(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31)) == 6
    after = sorted(
        CommunityDay.objects.values_list(
            "day", "waste_class", "drops", "households", "weight_kg", "checked", "correct"
        )
    )
    assert after == before
    march_first = CommunityDay.objects.get(community=jia, day=dt.date(2024, 3, 1))
    assert (
        march_first.drops,
        march_first.households,
        march_first.checked,
        march_first.correct,
    ) == (1, 1, 1, 1)
    unknown = CommunityDay.objects.get(community=jia, waste_class="hazardous")
    assert (unknown.drops, unknown.households) == (1, 0)  # an unregistered code is no household
    # a new drop shows only once the range holding it is rebuilt; other days stay as they were
    drop(jia, Household.objects.get(code__endswith="0001"), "kitchen", "1.25", "2024-03-01 12:00")
    rebuild(start=dt.date(2024, 4, 1))
    assert CommunityDay.objects.get(community=jia, day=dt.date(2024, 3, 1)).weight_kg == Decimal(
        "2.00"
    )
    rebuild(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 1))
    row = CommunityDay.objects.get(community=jia, day=dt.date(2024, 3, 1))
    assert (row.drops, row.households, row.weight_kg) == (2, 1, Decimal("3.25"))
    assert CommunityDay.objects.count() == len(before)


def test_the_rollup_command(jia, capsys):
    CommunityDay.objects.all().delete()
    call_command("sorting_rollup", "--since", "2024-03-01", "--until", "2024-03-31")
    assert "6 rows" in capsys.readouterr().out
    assert set(CommunityDay.objects.values_list("day__month", flat=True)) == {3}


def test_year_values_for_the_stats_engine(jia):
    build_yi()
    rebuild()
    town = region(TOWN).pk
    got = {code: v for (code, region_id), v in year_values(2024).items() if region_id == town}
    assert got == {
        "sorting_households_total": Decimal(15),
        "sorting_households_registered": Decimal(7),  # h1-h4, h6 + 2
        "sorting_households_participating": Decimal(7),  # h1, h2, h3, h4, h6 + 2
        "sorting_drops_checked": Decimal(5),
        "sorting_drops_correct": Decimal(4),
        "sorting_kitchen_kg": Decimal("9.5"),  # 2 + 1 + 0.5 + 4 + 2
        "sorting_recyclable_kg": Decimal("3"),
        "sorting_total_kg": Decimal("17.25"),  # 13.25 + 4
    }
    assert not [
        k
        for k in year_values(2023)
        if k[0] == "sorting_households_registered" and year_values(2023)[k]
    ]


def test_lineage_links_are_filtered_to_the_area_and_period(jia):
    links = measures.lineage(measures.MEASURES["participation_rate"], area_of(jia), MARCH)
    assert [link["url"] for link in links] == [
        f"/sorting/households/?community={jia.pk}&is_active=true",
        f"/sorting/points/drops/?community={jia.pk}&dropped_from=2024-03-01&dropped_to=2024-03-31",
    ]
    [link] = measures.lineage(measures.MEASURES["accuracy_rate"], Area(region(COUNTY)), MARCH)
    assert link == {
        "label": "已检查的投放记录",
        "url": "/sorting/points/drops/?region=411002&dropped_from=2024-03-01&dropped_to=2024-03-31"
        "&checked=true",
    }
    [link] = measures.lineage(measures.MEASURES["station_check_score"], area_of(jia), MARCH)
    assert link == {
        "label": "投放点检查记录",
        "url": f"/sorting/checks/?community={jia.pk}&checked_from=2024-03-01&checked_to=2024-03-31",
    }


def test_following_a_lineage_link_lists_exactly_the_rows_behind_the_figure(jia, client):
    """The accuracy's link lists the 4 checked drops of March (not the 8 drops of the
    compound); the station check score's link lists March's 2 checks of this compound only."""
    from wufei.accounts.models import User

    build_yi()  # another compound of the same street, with a checked drop and a check
    check(Community.objects.get(name="乙小区"), 70, "2024-03-03 08:00")
    official = User.objects.create_user(username="city-lineage", password="x", role="city")
    client.force_login(official)
    [drops] = measures.lineage(measures.MEASURES["accuracy_rate"], area_of(jia), MARCH)
    assert client.get(drops["url"]).context["paginator"].count == 4
    [checks] = measures.lineage(measures.MEASURES["station_check_score"], area_of(jia), MARCH)
    assert client.get(checks["url"]).context["paginator"].count == 2


@pytest.mark.parametrize(
    ("key", "start", "end", "label"),
    [
        ("2024-02-29", "2024-02-29", "2024-02-29", "2024年2月29日"),
        ("2024-W01", "2024-01-01", "2024-01-07", "2024年第1周（1月1日—1月7日）"),
        ("2024-02", "2024-02-01", "2024-02-29", "2024年2月"),
        ("2023-Q4", "2023-10-01", "2023-12-31", "2023年第4季度"),
        ("2024", "2024-01-01", "2024-12-31", "2024年"),
    ],
)
def test_period_keys(key, start, end, label):
    period = Period.parse(key)
    assert (period.start.isoformat(), period.end.isoformat(), period.label) == (start, end, label)
    assert period.key == key
    assert period.next().previous() == period
    assert period.since.utcoffset() == dt.timedelta(hours=8)


def test_a_bad_period_key_is_refused():
    with pytest.raises(ValueError):
        Period.parse("2024-13")
    with pytest.raises(ValueError):
        Period.parse("March")
