"""Small datasets for the indicator tests: rollup rows and declaration lines inserted directly
(the measures read them; how they are built from manifests is the rollups' own test).

``weidu_2021()`` puts one year of figures in 魏都区 (and a base year 2020, a little in 长葛市);
the indicator tests compute every shipped indicator from it and compare with hand arithmetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

from wufei.accounts.models import Department, User
from wufei.manifests.models import Manifest
from wufei.manifests.tests.world import user
from wufei.registry.models import Party, Region, Site, WasteStream
from wufei.registry.tests import factories
from wufei.stats.choices import DeclarationStatus, Source
from wufei.stats.models import Declaration, DeclarationLine, RollupMonth

YEAR = 2021
CITY, WEIDU, CHANGGE, ZONE = "411000", "411002", "411082", "411071"
WEIDU_TOWN = "411002001"


def region(adcode: str) -> Region:
    return Region.objects.defer("boundary").get(adcode=adcode)


def flow(
    adcode: str,
    stream: str,
    quantity: str,
    tonnes: str,
    *,
    month: int = 1,
    year: int = YEAR,
    source: str = Source.MANIFEST,
) -> RollupMonth:
    return RollupMonth.objects.create(
        region=region(adcode),
        stream=WasteStream.objects.get(code=stream),
        quantity=quantity,
        source=source,
        tonnes=Decimal(tonnes),
        records=1,
        month=date(year, month, 1),
    )


def declare(
    kind: str,
    adcode: str,
    items: dict[str, str],
    *,
    year: int = YEAR,
    party: Party | None = None,
    status: str = DeclarationStatus.ACCEPTED,
    months: tuple[int, int] = (1, 12),
) -> Declaration:
    last = 31 if months[1] == 12 else 28
    declaration = Declaration.objects.create(
        kind=kind,
        region=region(adcode),
        party=party,
        period_start=date(year, months[0], 1),
        period_end=date(year, months[1], last),
        status=status,
    )
    for item, value in items.items():
        DeclarationLine.objects.create(
            declaration=declaration,
            item=item,
            value=Decimal(value),
            entered_value=Decimal(value),
            entered_unit="",
        )
    return declaration


def weidu_2021() -> None:
    """The figures behind ``EXPECTED`` in test_indicator_values.py (tonnes unless noted)."""
    D = Source.DECLARED
    # general industrial solid waste, declared by enterprises (basis: declared)
    flow(WEIDU, "industrial", "generated", "1000", source=D, month=12)
    flow(WEIDU, "industrial", "utilised", "400", source=D, month=3)
    flow(WEIDU, "industrial", "utilised", "450", source=D, month=12)
    flow(WEIDU, "industrial", "utilised_prior", "50", source=D, month=12)
    flow(WEIDU, "industrial", "landfilled", "100", source=D, month=12)
    # hazardous waste (on manifests), medical waste apart
    flow(WEIDU, "hazardous", "generated", "200")
    flow(WEIDU, "hazardous", "utilised", "60", month=2)
    flow(WEIDU, "hazardous", "energy", "20", month=2)
    flow(WEIDU, "hazardous", "landfilled", "30", month=2)
    flow(WEIDU, "hazardous", "treated", "40", month=2)
    flow(WEIDU, "medical", "generated", "50")
    flow(WEIDU, "medical", "treated", "48")
    flow(WEIDU, "hazardous", "generated", "180", year=2020)
    flow(WEIDU, "hazardous", "landfilled", "40", year=2020)
    # household waste at the weighbridge, kitchen waste, construction waste, sludge
    flow(WEIDU, "household-other", "generated", "7300")
    flow(WEIDU, "household-kitchen", "generated", "730")
    flow(WEIDU, "household-kitchen", "utilised", "500")
    flow(WEIDU, "household-other", "energy", "6000")
    flow(WEIDU, "household-other", "landfilled", "1000")
    flow(WEIDU, "kitchen", "generated", "400")
    flow(WEIDU, "kitchen", "utilised", "300")
    flow(WEIDU, "kitchen", "energy", "20")
    flow(WEIDU, "construction-demolition", "generated", "6000")
    flow(WEIDU, "construction-spoil", "generated", "4000")
    flow(WEIDU, "construction-demolition", "utilised", "4500")
    flow(CHANGGE, "construction", "generated", "5000")
    flow(CHANGGE, "construction", "utilised", "500")
    flow(WEIDU, "sludge", "generated", "800")
    flow(WEIDU, "sludge", "utilised", "200")
    flow(WEIDU, "sludge", "energy", "100")
    flow(WEIDU, "sludge", "landfilled", "100")
    flow(WEIDU, "sludge", "treated", "300")
    # departments' and officials' declarations for the county
    declare(
        "agriculture",
        WEIDU,
        {
            "straw_collectable": "5000",
            "straw_utilised": "4600",
            "manure_generated": "8000",
            "manure_utilised": "6000",
            "film_used": "300",
            "film_recovered": "255",
            "pesticide_packaging_generated": "40",
            "pesticide_packaging_recovered": "34",
            "villages_total": "200",
            "villages_covered": "190",
        },
    )
    declare(
        "housing",
        WEIDU,
        {"new_building_area": "120", "green_building_area": "90", "prefab_building_area": "30"},
    )
    declare("health", WEIDU, {"institutions_total": "400", "institutions_covered": "392"})
    declare(
        "postal",
        WEIDU,
        {
            "parcels": "5000",
            "parcels_green": "4000",
            "packaging_generated": "600",
            "packaging_recovered": "150",
        },
    )
    declare(
        "commerce",
        WEIDU,
        {
            "renewable_collected": "450",
            "renewable_metal": "100",
            "renewable_paper": "200",
            "renewable_plastic": "50",
            "renewable_glass": "25",
            "renewable_electronics": "15",
            "renewable_other": "10",
        },
    )
    declare(
        "urban",
        WEIDU,
        {
            "recyclables_recovered": "1970",
            "communities_total": "300",
            "communities_sorting": "240",
            "villages_sorting": "150",
        },
    )
    declare(
        "statistics",
        WEIDU,
        {"resident_population": "20", "industrial_value_added": "500", "zero_waste_cells": "35"},
    )
    medical_sites(WEIDU, registered=4, served=3)
    sorting_and_survey_2021()


def sorting_and_survey_2021() -> None:
    """Household sorting in a 魏都区 compound (4 households registered of 100; drops: kitchen
    3 kg correct and 2 kg unchecked by the first, other 5 kg wrong by the second, recyclables
    2 kg correct by the third) and two answers to the satisfaction survey in 魏都区."""
    from wufei.outreach.models import SurveyResponse
    from wufei.sorting.models import Community, Drop, Household
    from wufei.sorting.rollup import rebuild

    community = Community.objects.create(
        kind="compound", name="指标测试小区", region=region(WEIDU_TOWN), households_total=100
    )
    homes = [
        Household.objects.create(
            community=community, code=f"C{community.pk:06d}{n:04d}", registered_on=date(YEAR, 1, 1)
        )
        for n in range(4)
    ]
    june = datetime(YEAR, 6, 1, 2, tzinfo=UTC)
    for home, waste_class, kg, correct in [
        (homes[0], "kitchen", "3", True),
        (homes[0], "kitchen", "2", None),
        (homes[1], "other", "5", False),
        (homes[2], "recyclable", "2", True),
    ]:
        Drop.objects.create(
            community=community,
            household=home,
            household_code=home.code,
            source="guide",
            waste_class=waste_class,
            weight_kg=Decimal(kg),
            correct=correct,
            dropped_at=june,
        )
    rebuild()
    dimensions = ("awareness", "participation", "satisfaction", "gain", "confidence")
    for scores in [(4, 3, 5, 4, 5), (3, 4, 4, 3, 5)]:
        SurveyResponse.objects.create(
            region=region(WEIDU),
            client_key="indicator-test",
            submitted_at=june,
            **dict(zip(dimensions, scores, strict=True)),
        )


def medical_manifest(site: Site, number: str, picked_up_at: datetime, state: str = "completed"):
    """A medical waste manifest from ``site`` (inserted directly, as the measure reads it)."""
    return Manifest.objects.create(
        number=number,
        flow="medical",
        stream=WasteStream.objects.get(code="medical"),
        generator=site.party,
        generator_site=site,
        region=site.region,
        transporter=site.party,
        receiver=site.party,
        receiver_region=site.region,
        state=state,
        picked_up_at=picked_up_at,
    )


def medical_sites(adcode: str, *, registered: int, served: int, year: int = YEAR) -> None:
    """``registered`` hospitals and clinics in the county, the first ``served`` of them with a
    medical waste manifest picked up in ``year``."""
    for n in range(registered):
        kind = "hospital" if n % 2 else "clinic"
        site = cast(Site, factories.SiteFactory(kind=kind, region=region(adcode)))
        if n < served:
            medical_manifest(site, f"T{adcode}{year}{n:04d}", datetime(year, 6, 1, 8, tzinfo=UTC))


def official(role: str = "city", **fields) -> User:
    """A user of ``role``: ``county`` gets 魏都区 unless a region is given, ``department`` the
    ecology bureau."""
    if role == "county":
        fields.setdefault("region", region(WEIDU))
    if role == "department":
        fields.setdefault("department", Department.objects.get(code="ecology"))
    return user(role=role, **fields)
