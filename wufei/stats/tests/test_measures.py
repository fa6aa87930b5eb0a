"""Measures: counted rollups per region subtree, declared items, registry counts, lineage."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import pytest

from wufei.registry.models import Party, Site
from wufei.registry.tests import factories
from wufei.stats.choices import DeclarationStatus, Source
from wufei.stats.declaration_kinds import KINDS
from wufei.stats.measures import MEASURES, Measure, evaluate_year, records_links
from wufei.stats.tests.indicator_data import (
    CHANGGE,
    CITY,
    WEIDU,
    WEIDU_TOWN,
    YEAR,
    declare,
    flow,
    medical_manifest,
    medical_sites,
    region,
)

pytestmark = pytest.mark.django_db


def figure(code: str, adcode: str, year: int = YEAR):
    return evaluate_year(year, [code]).get(code, region(adcode).pk)


def test_a_flow_sums_its_stream_and_sub_streams_for_the_county_and_the_city():
    flow(WEIDU, "construction-spoil", "generated", "4000")
    flow(WEIDU, "construction-demolition", "generated", "6000", month=5)
    flow(CHANGGE, "construction", "generated", "5000")
    flow(CHANGGE, "construction", "generated", "999", year=YEAR + 1)  # another year
    assert figure("construction_generated", WEIDU) == Decimal("10000")  # 4000 + 6000
    assert figure("construction_generated", CHANGGE) == Decimal("5000")
    assert figure("construction_generated", CITY) == Decimal("15000")  # 10000 + 5000


def test_a_stream_never_reported_is_missing_but_a_quantity_not_reported_is_zero():
    flow(WEIDU, "hazardous", "generated", "200")
    assert figure("industrial_hazardous_landfilled", WEIDU) == 0  # reported, none landfilled
    assert figure("industrial_hazardous_landfilled", CHANGGE) is None  # nothing reported
    assert figure("sludge_generated", WEIDU) is None


def test_industrial_hazardous_waste_leaves_medical_waste_out():
    flow(WEIDU, "hazardous", "generated", "200")
    flow(WEIDU, "medical", "generated", "50")
    assert figure("hazardous_generated", WEIDU) == Decimal("250")
    assert figure("industrial_hazardous_generated", WEIDU) == Decimal("200")
    assert figure("medical_generated", WEIDU) == Decimal("50")


def test_flows_count_the_basis_source_only_where_it_has_figures():
    # hazardous waste counts manifests; a month without manifests falls back to declarations
    flow(WEIDU, "hazardous", "generated", "10", month=1)
    flow(WEIDU, "hazardous", "generated", "99", month=1, source=Source.DECLARED)
    flow(WEIDU, "hazardous", "generated", "5", month=2, source=Source.DECLARED)
    figures = evaluate_year(YEAR, ["hazardous_generated"])
    weidu = region(WEIDU).pk
    assert figures.get("hazardous_generated", weidu) == Decimal("15")  # 10 + 5, not 99
    assert figures.sources_of("hazardous_generated", weidu) == {"manifest", "declared"}


def test_area_declarations_a_city_total_stands_for_the_city_and_counties_sum_otherwise():
    declare("statistics", WEIDU, {"resident_population": "30"})
    declare("statistics", CHANGGE, {"resident_population": "40"})
    assert figure("resident_population", CITY) == Decimal("70")  # 30 + 40
    declare("statistics", CITY, {"resident_population": "440"})
    assert figure("resident_population", CITY) == Decimal("440")  # the city's own figure
    assert figure("resident_population", WEIDU) == Decimal("30")


def test_enterprise_declarations_add_up_in_towns_counties_and_the_city(monkeypatch):
    # no shipped measure reads enterprises' items directly (they are flows); a test one does
    measure = Measure("hw_declared", "t", "t", "declared", items=("hazardous.generated",))
    monkeypatch.setitem(MEASURES, measure.code, measure)
    a = cast(Party, factories.PartyFactory(region=region(WEIDU)))
    b = cast(Party, factories.PartyFactory(region=region(WEIDU_TOWN)))
    declare("hazardous", WEIDU, {"generated": "7"}, party=a)
    declare("hazardous", WEIDU_TOWN, {"hazardous.generated": "5"}, party=b)  # prefixed item
    figures = evaluate_year(YEAR, ["hw_declared"])
    assert figures.get("hw_declared", region(WEIDU).pk) == Decimal("12")  # 7 + 5
    assert figures.get("hw_declared", region(WEIDU_TOWN).pk) == Decimal("5")
    assert figures.get("hw_declared", region(CITY).pk) == Decimal("12")


def test_only_counted_declarations_of_the_year_count():
    declare("postal", WEIDU, {"parcels": "100"})
    declare("postal", WEIDU, {"parcels": "1"}, status=DeclarationStatus.DRAFT)
    declare("postal", WEIDU, {"parcels": "2"}, status=DeclarationStatus.RETURNED)
    declare("postal", WEIDU, {"parcels": "3"}, status=DeclarationStatus.SUBMITTED)
    declare("postal", WEIDU, {"parcels": "4"}, year=YEAR - 1)
    declare("postal", WEIDU, {"parcels": "5"}, months=(2, 2))  # monthly, within the year
    assert figure("parcels", WEIDU) == Decimal("108")  # 100 + 3 + 5
    assert figure("parcels_green", WEIDU) == 0  # the kind was declared, the item not
    assert figure("parcels", CHANGGE) is None


def test_a_measure_may_sum_several_items():
    declare("commerce", WEIDU, {"renewable_metal": "100", "renewable_paper": "200"})
    assert figure("renewable_recovered", WEIDU) == Decimal("300")


def test_registry_counts_of_medical_institutions_and_those_on_manifests():
    medical_sites(WEIDU, registered=3, served=2)
    medical_sites(WEIDU, registered=1, served=1, year=YEAR - 1)  # served another year
    weidu = region(WEIDU)
    factories.SiteFactory(kind="factory", region=weidu)
    site = cast(Site, factories.SiteFactory(kind="hospital", region=weidu))
    march = datetime(YEAR, 3, 1, tzinfo=UTC)
    for number, state in [("X1", "completed"), ("X2", "cancelled"), ("X3", "picked_up")]:
        medical_manifest(site, number, march, state)
    assert figure("medical_sites_registered", WEIDU) == 5  # 3 + 1 + 1, not the factory
    assert figure("medical_sites_served", WEIDU) == 3  # 2 + the last hospital (counted once)
    assert figure("medical_sites_served", CITY) == 3
    assert figure("medical_sites_served", CHANGGE) is None


def test_days_in_year():
    assert figure("days_in_year", WEIDU, 2020) == 366
    assert figure("days_in_year", CITY, 2021) == 365


def test_all_measures_of_a_year_take_a_handful_of_queries(django_assert_max_num_queries):
    flow(WEIDU, "hazardous", "generated", "1")
    declare("postal", WEIDU, {"parcels": "1"})
    with django_assert_max_num_queries(10):
        evaluate_year(YEAR)


def test_records_links_lead_to_the_filtered_lists():
    weidu = region(WEIDU)
    links = records_links(MEASURES["hazardous_generated"], YEAR, weidu, {"manifest", "declared"})
    urls = [link["url"] for link in links]
    assert urls[0].startswith("/manifests/?stream=hazardous&region=411002&")
    assert "received_after=2021-01-01" in urls[0] and "received_before=2022-01-01" in urls[0]
    assert links[0]["label"] == "电子联单：危险废物"
    # the kinds whose items count as hazardous waste generated (medical waste included)
    assert urls[1:] == [
        "/stats/declarations/?kind=hazardous&year=2021&region=411002",
        "/stats/declarations/?kind=health&year=2021&region=411002",
        "/stats/declarations/?kind=history&year=2021&region=411002",
    ]
    measure = MEASURES["industrial_hazardous_generated"]
    industrial = records_links(measure, YEAR, weidu, {"declared"})
    assert [link["url"].split("&")[0] for link in industrial] == [
        "/stats/declarations/?kind=hazardous",
        "/stats/declarations/?kind=history",
    ]
    declared = records_links(MEASURES["parcels"], YEAR, weidu, {"declared"})
    postal = "/stats/declarations/?kind=postal&year=2021&region=411002"
    assert [(link["label"], link["url"]) for link in declared] == [
        (f"申报：{KINDS['postal'].label}", postal)
    ]
    sites = records_links(MEASURES["medical_sites_registered"], YEAR, weidu, {"registry"})
    assert sites[0]["url"].startswith("/registry/sites/?kind=hospital&region=411002")
