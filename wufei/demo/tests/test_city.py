"""The generated city: determinism, geography, codes, permits and magnitudes."""

import json
from collections import Counter

import pytest
from shapely.geometry import Point, shape

from wufei.demo.figures import COUNTIES, PILOT_COMPOUNDS, PILOT_HOUSEHOLDS
from wufei.demo.models import GeneratedParty
from wufei.demo.services import city_generate, city_reset
from wufei.registry import validators
from wufei.registry.models import (
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Site,
    Vehicle,
    WasteStream,
)

# Natural keys of every generated row (primary keys differ between runs, content must not).
SNAPSHOT = {
    Party: (
        "credit_code",
        "name",
        "region__adcode",
        "address",
        "industry_code",
        "industry",
        "is_generator",
        "is_collector",
        "is_transporter",
        "is_receiver",
        "is_community",
        "is_regulator",
        "is_small_micro",
        "contact_name",
        "contact_phone",
        "created_at",
    ),
    Site: ("party__credit_code", "name", "kind", "region__adcode", "address", "lon", "lat"),
    Facility: (
        "site__party__credit_code",
        "site__name",
        "name",
        "kind",
        "status",
        "commissioned_on",
        "note",
    ),
    FacilityCapacity: (
        "facility__site__party__credit_code",
        "facility__name",
        "stream__code",
        "method__code",
        "tonnes_per_day",
        "tonnes_per_year",
        "valid_from",
        "source",
    ),
    Permit: (
        "party__credit_code",
        "facility__name",
        "kind",
        "number",
        "issuer",
        "stream__code",
        "annual_tonnes",
        "valid_from",
        "valid_to",
        "waste_codes__code",
        "categories__code",
    ),
    Device: (
        "party__credit_code",
        "kind",
        "serial",
        "site__name",
        "model_name",
        "installed_on",
    ),
    Vehicle: (
        "party__credit_code",
        "plate",
        "kind",
        "load_kg",
        "volume_m3",
        "is_sealed",
        "is_hazmat_certified",
        "gps_device__serial",
    ),
    GeneratedParty: ("party__credit_code", "sector", "attrs"),
}


def _text(value) -> str:
    if isinstance(value, dict | list):  # JSON: key order differs between backends
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def snapshot() -> dict[str, list]:
    return {
        model.__name__: sorted(
            tuple(_text(v) for v in row) for row in model.objects.values_list(*fields)
        )
        for model, fields in SNAPSHOT.items()
    }


@pytest.mark.django_db
def test_same_seed_gives_identical_rows_and_another_seed_differs():
    city_generate(actor=None, scale="small", seed=7)
    first = snapshot()
    city_reset(actor=None)
    city_generate(actor=None, scale="small", seed=7)
    assert snapshot() == first
    city_reset(actor=None)
    city_generate(actor=None, scale="small", seed=8)
    other = snapshot()
    assert other["Party"] != first["Party"]
    assert other["Site"] != first["Site"]
    assert other["Vehicle"] != first["Vehicle"]


def test_every_site_lies_in_its_county_polygon(small_city):
    counties = {c.adcode for c in COUNTIES}
    polygons = {}
    sites = Site.objects.select_related("region__parent")
    assert sites.count() > 300
    for site in sites:
        county = site.region.parent
        assert site.region.level == "town", site
        assert county.adcode in counties, site
        if county.pk not in polygons:
            polygons[county.pk] = shape(county.boundary)
        assert polygons[county.pk].contains(Point(float(site.lon), float(site.lat))), site
    assert {s.region.parent.adcode for s in sites} == counties


def test_every_credit_code_plate_and_serial_is_valid(small_city):
    codes = list(Party.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes)) > 300
    for code in codes:
        validators.validate_credit_code(code)
    for plate in Vehicle.objects.values_list("plate", flat=True):
        validators.validate_plate(plate)
        assert plate.startswith("豫K") and len(plate) == 7
    assert not Vehicle.objects.filter(gps_device__isnull=True).exists()
    assert not Device.objects.filter(
        kind__in=["weighbridge", "bin_sensor", "smart_bin"], site__isnull=True
    ).exists()


def test_every_permit_code_is_in_its_stream(small_city):
    checked = 0
    for permit in Permit.objects.prefetch_related("waste_codes__category", "categories"):
        allowed = set(WasteStream.descendant_ids([permit.stream_id]))
        for code in permit.waste_codes.all():
            assert code.category.stream_id in allowed, (permit, code)
            assert code.is_valid_during(permit.valid_from, permit.valid_to), (permit, code)
            checked += 1
        for category in permit.categories.all():
            assert category.stream_id in allowed, (permit, category)
            checked += 1
        assert permit.valid_from < permit.valid_to
    assert checked > 20
    listed = set(Permit.objects.values_list("waste_codes__code", flat=True))
    assert {"900-052-31", "900-214-08", "900-041-49"} <= listed
    assert Permit.objects.filter(kind="mw_operation", categories__code="HW01").exists()
    assert Permit.objects.filter(kind="battery_collection", waste_codes__code="900-052-31").exists()


def test_small_scale_has_every_kind_of_unit_in_plausible_numbers(small_city):
    counts = small_city.counts
    assert 300 <= counts["registry.Party"] <= 700
    assert 300 <= counts["registry.Site"] <= 800
    assert 50 <= counts["registry.Facility"] <= 150
    assert 50 <= counts["registry.Vehicle"] <= 250
    assert 150 <= counts["registry.Device"] <= 500
    sectors = Counter(GeneratedParty.objects.values_list("sector", flat=True))
    for sector in (
        "metal",
        "coal_chemical",
        "ceramics",
        "cement",
        "hair",
        "power_equipment",
        "food",
        "machinery",
        "hospital",
        "clinic",
        "restaurant",
        "canteen",
        "auto_repair",
        "construction",
        "farm",
        "nursery",
        "express",
        "community",
        "sanitation",
        "wastewater",
        "hw_transport",
        "construction_transport",
        "battery_collect",
        "agri_collect",
        "plant",
        "park",
    ):
        assert sectors[sector] >= 1, sector
    site_kinds = set(Site.objects.values_list("kind", flat=True))
    assert {
        "hospital",
        "clinic",
        "restaurant",
        "canteen",
        "auto_repair",
        "construction",
        "farm",
        "community",
        "wwtp",
        "transfer_station",
        "collection_point",
    } <= site_kinds
    for name in (
        "许昌金科资源再生股份有限公司",
        "许昌旺能环保能源有限公司",
        "河南万里交通科技集团股份有限公司",
        "襄城县骏盛环保科技有限公司",
        "许昌市医疗废物集中处置中心",
        "许昌市中心医院",
    ):
        assert Party.objects.filter(name=name).exists(), name
    assert Facility.objects.filter(
        kind="cement_kiln", site__region__parent__adcode="411081", capacities__stream__code="sludge"
    ).exists()
    assert Site.objects.filter(kind="factory", region__name="大周镇").count() >= 3
    communities = GeneratedParty.objects.filter(sector="community")
    compounds = [
        c for attrs in communities.values_list("attrs", flat=True) for c in attrs["compounds"]
    ]
    pilot = [c for c in compounds if c["pilot"]]
    assert len(pilot) == round(PILOT_COMPOUNDS * 0.04)


@pytest.mark.django_db
def test_city_scale_magnitudes_match_the_sourced_figures():
    from wufei.demo.city import CityGenerator
    from wufei.demo.figures import CITY_POPULATION, DISTRICTS_POPULATION, DISTRICTS_URBAN_POPULATION
    from wufei.demo.models import Generation

    assert sum(c.population for c in COUNTIES) == CITY_POPULATION
    districts = [c for c in COUNTIES if c.adcode in ("411002", "411003")]
    assert sum(c.population for c in districts) == DISTRICTS_POPULATION
    assert sum(c.urban_population for c in districts) == DISTRICTS_URBAN_POPULATION
    generator = CityGenerator(scale="city", seed=1, generation=Generation(scale="city", seed=1))
    rng = generator.rng("test")
    households = generator._households(rng, PILOT_COMPOUNDS, PILOT_HOUSEHOLDS, PILOT_COMPOUNDS)
    assert len(households) == 389 and sum(households) == 156_700
    assert sum(generator._metal_capacities(rng)) >= 3_000_000
