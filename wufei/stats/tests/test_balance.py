"""The balance table against hand-computed rollup rows and capacities: generation by stream
and category, forecasts, capacity by route, receipts and load, gaps, warnings, what-if
scenarios, the city's blocks and who may see which table.

The world (``balance_world``), all figures for 2020:

* 魏都区: household 100 t a month by manifest (a declared 999 t in March does not count: the
  manifests are household waste's basis); hazardous HW08 50 t and HW49 30 t a month;
  industrial 1,200 t declared in December; an incinerator (energy, 1,100 t/a) that received
  90 t a month, a transfer station (storage, 500 t/a) that received 100 t a month, a
  hazardous waste plant (other treatment, 10 t/d and no annual figure: 3,285 t/a) that
  received 40 t a month from 长葛市; household forecasts of 110 t a month for 2021–2023.
* 长葛市: household 200 t a month; a landfill (2,000 t/a, commissioned in 2022).
* the city itself: agricultural 500 t declared in December.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from wufei.core.errors import NotPermitted
from wufei.manifests.tests.world import user
from wufei.registry.models import (
    Facility,
    Region,
    TreatmentMethod,
    WasteCategory,
    WasteStream,
)
from wufei.registry.tests import factories
from wufei.stats.balance import (
    AddedFacility,
    ClosedFacility,
    Scenario,
    allowed_streams,
    annual_capacity,
    balance_table,
)
from wufei.stats.basis import counted_months
from wufei.stats.models import Forecast, RollupMonth

WEIDU, CHANGGE, CITY = "411002", "411082", "411000"
YEAR = 2020
AS_OF = date(2026, 6, 15)


@dataclass
class BalanceWorld:
    weidu: Region
    changge: Region
    city: Region
    incinerator: Facility
    transfer: Facility
    hazardous: Facility
    landfill: Facility


def _stream(code: str) -> WasteStream:
    return WasteStream.objects.get(code=code)


def put(region, stream, quantity, tonnes, month, *, source="manifest", **extra):
    RollupMonth.objects.create(
        region=region,
        stream=_stream(stream),
        quantity=quantity,
        source=source,
        tonnes=Decimal(tonnes),
        records=1,
        month=month,
        **extra,
    )


def monthly(region, stream, quantity, tonnes, *, year=YEAR, **extra):
    for m in range(1, 13):
        put(region, stream, quantity, tonnes, date(year, m, 1), **extra)


def facility(region: Region, stream: str, method: str, *, per_year, per_day="0", **fields):
    town = Region.objects.filter(parent=region, level="town").order_by("adcode").first()
    site = factories.SiteFactory(region=town, party=factories.PartyFactory(region=town))
    built = factories.FacilityFactory(site=site, **fields)
    factories.CapacityFactory(
        facility=built,
        stream=_stream(stream),
        method=TreatmentMethod.objects.get(code=method),
        tonnes_per_year=Decimal(per_year),
        tonnes_per_day=Decimal(per_day),
    )
    return built


def balance_world() -> BalanceWorld:
    weidu, changge, city = (Region.objects.get(adcode=a) for a in (WEIDU, CHANGGE, CITY))
    hw08 = WasteCategory.objects.get(code="HW08")
    hw49 = WasteCategory.objects.get(code="HW49")
    world = BalanceWorld(
        weidu=weidu,
        changge=changge,
        city=city,
        incinerator=facility(weidu, "household", "G-INC", per_year="1100", kind="incineration"),
        transfer=facility(weidu, "household", "G-TRANSFER", per_year="500", kind="transfer"),
        hazardous=facility(weidu, "hazardous", "D10", per_year="0", per_day="10"),
        landfill=facility(
            changge,
            "household",
            "G-LF",
            per_year="2000",
            kind="landfill",
            commissioned_on=date(2022, 5, 1),
        ),
    )
    monthly(weidu, "household", "generated", "100")
    put(weidu, "household", "generated", "999", date(YEAR, 3, 1), source="declared")
    monthly(weidu, "hazardous", "generated", "50", category=hw08)
    monthly(weidu, "hazardous", "generated", "30", category=hw49)
    put(weidu, "industrial", "generated", "1200", date(YEAR, 12, 1), source="declared")
    monthly(weidu, "household", "received", "90", facility=world.incinerator)
    monthly(weidu, "household", "received", "100", facility=world.transfer)
    monthly(changge, "hazardous", "received", "40", facility=world.hazardous)
    monthly(changge, "household", "generated", "200")
    put(city, "agricultural", "generated", "500", date(YEAR, 12, 1), source="declared")
    household = _stream("household")
    Forecast.objects.bulk_create(
        Forecast(
            region=weidu,
            stream=household,
            month=date(y, m, 1),
            tonnes=Decimal(110),
            method="holt",
            history_end=date(YEAR, 12, 1),
        )
        for y in (2021, 2022, 2023)
        for m in range(1, 13)
    )
    return world


@pytest.fixture
def world(db) -> BalanceWorld:
    return balance_world()


@pytest.fixture
def city_official(db):
    return user(role="city")


def table_of(actor, region, scenario=None, year=YEAR):
    return balance_table(actor=actor, year=year, region=region, scenario=scenario, as_of=AS_OF)


def rows_of(block) -> dict:
    return {row.code: row for row in block.rows}


def T(value) -> Decimal:
    return Decimal(str(value))


# --- the numbers ----------------------------------------------------------------------------


def test_capacity_rule(db):
    cap = factories.CapacityFactory.build(tonnes_per_year=T(0), tonnes_per_day=T(10))
    assert annual_capacity(cap) == T("3285.0")
    cap = factories.CapacityFactory.build(tonnes_per_year=T(9900), tonnes_per_day=T(30))
    assert annual_capacity(cap) == T(9900)


def test_county_table(world, city_official):
    table = table_of(city_official, world.weidu)
    assert table.title == "魏都区固体废物处置能力平衡表（2020年）"
    assert [b.region for b in table.blocks] == [world.weidu]
    rows = rows_of(table.blocks[0])
    assert list(rows) == ["hazardous", "industrial", "household"]

    household = rows["household"]
    assert household.generated == T(1200)
    assert household.demand == {2021: T(1320), 2022: T(1320), 2023: T(1320)}
    assert set(household.demand_source.values()) == {"forecast"}
    assert household.capacity["energy"] == T(1100)
    assert household.capacity["stored"] == T(500)
    assert household.capacity_total == {y: T(1100) for y in (2020, 2021, 2022, 2023)}
    assert household.received == T(1080)  # the transfer station's receipts are storage
    assert household.load == T(1080) / T(1100)
    assert household.gap == {2020: T(-100), 2021: T(-220), 2022: T(-220), 2023: T(-220)}
    assert [w.code for w in household.warnings] == ["capacity_short", "overloaded"]

    hazardous = rows["hazardous"]
    assert hazardous.generated == T(960)
    assert [(c.code, c.generated) for c in hazardous.categories] == [
        ("HW08", T(600)),
        ("HW49", T(360)),
    ]
    assert hazardous.capacity["treated"] == T("3285.0")
    assert hazardous.received == T(480)  # received from 长葛市 at a 魏都区 plant
    assert hazardous.demand == {2021: 0, 2022: 0, 2023: 0}  # past years, nothing counted
    assert set(hazardous.demand_source.values()) == {"actual"}
    assert hazardous.warnings == []

    industrial = rows["industrial"]
    assert industrial.generated == T(1200)
    assert [w.code for w in industrial.warnings] == ["no_capacity"]

    total = table.blocks[0].total
    assert total.generated == T(3360)
    assert total.capacity_total[2020] == T(1100) + T("3285.0")
    assert total.received == T(1560)


def test_totals_reconcile_with_the_rollups(world, city_official):
    table = table_of(city_official, world.city)
    counted = counted_months(date(YEAR, 1, 1), date(YEAR, 12, 1), quantity="generated")
    assert table.blocks[0].total.generated == sum(r["tonnes"] for r in counted) == T(6260)
    by_region = {b.region.adcode: b.total.generated for b in table.blocks}
    assert by_region[WEIDU] == T(3360) and by_region[CHANGGE] == T(2400)
    # the city's block = its counties' blocks + the city-wide declarations
    assert sum(b.total.generated for b in table.blocks[1:]) + T(500) == by_region[CITY]


def test_city_block_has_every_facility(world, city_official):
    table = table_of(city_official, world.city)
    household = rows_of(table.blocks[0])["household"]
    assert household.capacity["landfilled"] == 0  # the landfill opened in 2022
    assert household.capacity_total[2022] == T(1100) + T(2000)
    assert household.generated == T(3600)
    assert household.demand[2021] == 0  # no city forecast; 2021 is past and counted nothing
    # agricultural waste is used in the fields, not in plants: listed, never warned about
    agricultural = rows_of(table.blocks[0])["agricultural"]
    assert agricultural.warnings == []
    assert CHANGGE in [b.region.adcode for b in table.blocks]


def test_forecast_years_not_yet_known_are_blank(world, city_official):
    table = table_of(city_official, world.weidu, year=2025)
    household = rows_of(table.blocks[0])["household"]
    assert household.demand[2026] is None and household.demand[2027] is None
    assert household.gap[2026] is None
    # forecasts for half of a future year do not make the year's demand
    Forecast.objects.bulk_create(
        Forecast(
            region=world.weidu,
            stream=_stream("household"),
            month=date(2026, m, 1),
            tonnes=T(10),
            method="mean",
            history_end=date(2026, 5, 1),
        )
        for m in range(6, 12)
    )
    table = table_of(city_official, world.weidu, year=2025)
    assert rows_of(table.blocks[0])["household"].demand[2026] is None
    Forecast.objects.create(
        region=world.weidu,
        stream=_stream("household"),
        month=date(2026, 12, 1),
        tonnes=T(10),
        method="mean",
        history_end=date(2026, 5, 1),
    )
    table = table_of(city_official, world.weidu, year=2025)
    household = rows_of(table.blocks[0])["household"]
    assert household.demand[2026] == T(70)  # five months counted (nothing), seven forecast
    assert household.demand_source[2026] == "mixed"


def test_years_without_forecast_mix_actual_and_forecast(world, city_official):
    Forecast.objects.filter(month__lt=date(2021, 7, 1)).delete()
    monthly(world.weidu, "household", "generated", "105", year=2021)
    household = rows_of(table_of(city_official, world.weidu).blocks[0])["household"]
    assert household.demand[2021] == 6 * T(105) + 6 * T(110)
    assert household.demand_source[2021] == "mixed"


def test_load_is_annualised_over_the_months_manifests_cover(world, city_official):
    for m in (11, 12):
        put(
            world.weidu, "household", "received", "45", date(2021, m, 1), facility=world.incinerator
        )
    household = rows_of(table_of(city_official, world.weidu, year=2021).blocks[0])["household"]
    assert household.received == T(90)
    assert household.load is not None
    assert abs(household.load - T(90) / (T(1100) * 2 / 12)) < T("1e-9")  # 49 %
    this_year = table_of(city_official, world.weidu, year=2026)  # no receipts yet
    assert rows_of(this_year.blocks[0])["household"].load is None


# --- what-if --------------------------------------------------------------------------------


def test_added_facility_counts_from_its_year(world, city_official):
    added = AddedFacility(
        stream=_stream("household-other"),
        method=TreatmentMethod.objects.get(code="G-INC"),
        tonnes_per_year=T(1000),
        region=world.weidu,
        from_year=2022,
    )
    household = rows_of(table_of(city_official, world.weidu, Scenario(added=(added,))).blocks[0])[
        "household"
    ]
    assert household.capacity_total == {2020: 1100, 2021: 1100, 2022: 2100, 2023: 2100}
    assert household.gap[2022] == T(2100) - T(1320)
    assert [w.code for w in household.warnings] == ["capacity_short", "overloaded"]
    assert RollupMonth.objects.count() and not Facility.objects.filter(name="（新增）").exists()
    elsewhere = AddedFacility(added.stream, added.method, T(1000), world.changge, 2021)
    table = table_of(city_official, world.weidu, Scenario(added=(elsewhere,)))
    assert rows_of(table.blocks[0])["household"].capacity_total[2023] == T(1100)


def test_closed_facility_leaves_from_its_year(world, city_official):
    scenario = Scenario(closed=(ClosedFacility(world.incinerator.pk, 2022),))
    household = rows_of(table_of(city_official, world.weidu, scenario).blocks[0])["household"]
    assert household.capacity_total == {2020: 1100, 2021: 1100, 2022: 0, 2023: 0}
    assert household.gap[2023] == T(-1320)
    closed_now = Scenario(closed=(ClosedFacility(world.incinerator.pk, 2020),))
    household = rows_of(table_of(city_official, world.weidu, closed_now).blocks[0])["household"]
    assert household.received is None and household.load is None
    assert [w.code for w in household.warnings] == ["no_capacity"]


def test_growth_rate_replaces_the_forecast(world, city_official):
    scenario = Scenario(growth={"household": T("0.1")})
    table = table_of(city_official, world.weidu, scenario)
    household = rows_of(table.blocks[0])["household"]
    assert household.demand == {2021: T(1320), 2022: T("1452.0"), 2023: T("1597.20")}
    assert set(household.demand_source.values()) == {"growth"}
    assert any("生活垃圾 产生量年增长率 10%" in note for note in table.notes)


# --- who sees what --------------------------------------------------------------------------


def test_county_official_sees_only_the_county(world):
    official = user(role="county", region=world.weidu)
    assert table_of(official, world.weidu).blocks[0].total.generated == T(3360)
    with pytest.raises(NotPermitted):
        table_of(official, world.city)
    with pytest.raises(NotPermitted):
        table_of(official, world.changge)


def test_bureau_sees_its_streams(world):
    from wufei.accounts.models import Department

    ecology = user(role="department", department=Department.objects.get(code="ecology"))
    rows = rows_of(table_of(ecology, world.weidu).blocks[0])
    assert list(rows) == ["hazardous", "industrial"]
    assert allowed_streams(ecology, world.city) is not None


def test_enterprises_and_public_see_nothing(world):
    for actor in (user(role="enterprise", party=factories.PartyFactory()), user(role="public")):
        with pytest.raises(NotPermitted):
            table_of(actor, world.weidu)
