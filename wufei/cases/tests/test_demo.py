"""The demo generator of inspections (wufei/demo/inspections.py) over a handful of generated
units (the full small city takes 20 s; the generator only needs some generated sites)."""

from datetime import date

import pytest

from wufei.cases.models import (
    Campaign,
    DumpSite,
    DumpSiteState,
    Inspection,
    OrderStatus,
    RectificationOrder,
    Reinspection,
)
from wufei.demo.figures import COUNTIES
from wufei.demo.inspections import inspections_generate, inspections_reset
from wufei.demo.models import GeneratedParty, Generation
from wufei.registry.geo import contains
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2021, 3, 1)


@pytest.fixture
def units():
    generation = Generation.objects.create(scale="tiny", seed=5)
    for n, county in enumerate(COUNTIES * 4):
        region = factories.region(county.adcode)
        party = factories.PartyFactory(region=region, name=f"演示企业{n}")
        factories.SiteFactory(
            party=party, region=region, kind="hospital" if n % 7 == 0 else "factory"
        )
        GeneratedParty.objects.create(
            generation=generation, party=party, sector="metal", attrs={"hw_codes": ["900-041-49"]}
        )


def test_generates_campaigns_register_orders_and_is_deterministic(units):
    counts = inspections_generate(seed=5, today=TODAY)
    assert set(Campaign.objects.values_list("name", flat=True)) == {
        "2019年许昌市固体废物大督查",
        "2020年许昌市固体废物大督查",
    }
    assert counts["cases.DumpSite"] >= 24
    for county in COUNTIES:  # every county has entries, each inside its county
        entries = DumpSite.objects.filter(region__path__contains=county.adcode)
        assert entries.exists()
        assert all(contains(e.region, float(e.lon), float(e.lat)) for e in entries)
    closed = DumpSite.objects.filter(state=DumpSiteState.CLOSED)
    assert closed.count() > DumpSite.objects.count() / 2
    assert DumpSite.objects.filter(state=DumpSiteState.RECTIFYING).exists()
    for entry in closed:  # closed only after an inspection that follows the first visit
        assert entry.inspections.filter(inspected_on__gt=entry.found_on).exists()
    for order in RectificationOrder.objects.filter(status=OrderStatus.CLOSED):
        assert order.reinspections.order_by("-inspected_on", "-id").first().passed
        assert order.deadline > order.issued_on
    assert Reinspection.objects.filter(passed=False).exists()
    assert Inspection.objects.filter(site__kind="hospital", checklist__kind="medical").exists()
    numbers = list(RectificationOrder.objects.order_by("number").values_list("number", "status"))
    removed = inspections_reset()
    assert removed["cases.DumpSite"] == counts["cases.DumpSite"]
    assert not Campaign.objects.exists() and not Inspection.objects.exists()
    assert inspections_generate(seed=5, today=TODAY) == counts
    assert (
        list(RectificationOrder.objects.order_by("number").values_list("number", "status"))
        == numbers
    )
