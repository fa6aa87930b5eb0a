"""The cockpit: headline indicators against targets, the county map, balance warnings and
alerts, scoped like the statistics (county officials see their county), every number a link."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from wufei.registry.models import Region
from wufei.stats.choices import ValueStatus
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

pytestmark = pytest.mark.django_db
STRAW = "common-straw"


@pytest.fixture
def figures(world):
    """Straw utilisation for last year: the city 91.5 % against a 93 % target, 魏都区 95 %,
    禹州市 88 %."""
    year = timezone.localdate().year - 1
    straw = Indicator.objects.get(code=STRAW)
    rows = {"411000": "91.5", "411002": "95", "411081": "88"}
    values = {}
    for adcode, value in rows.items():
        region = Region.objects.get(adcode=adcode)
        values[adcode] = IndicatorValue.objects.create(
            indicator=straw,
            year=year,
            region=region,
            value=Decimal(value),
            status=ValueStatus.OK,
            inputs={"straw_utilised": "915"},
        )
    IndicatorTarget.objects.create(
        indicator=straw, year=year, region=Region.objects.get(adcode="411000"), value=93
    )
    return year, straw, values


def test_the_city_sees_targets_unmet_the_county_map_and_links_to_lineage(world, login, figures):
    year, straw, values = figures
    page = login(world.users["city"]).get(reverse("web:cockpit"))
    assert page.status_code == 200
    c = page.context["c"]
    assert c.year == year and c.region.adcode == "411000"
    headline = next(h for h in c.headlines if h.indicator == straw)
    assert headline.value == Decimal("91.5") and headline.target == 93
    assert headline.achieved is False  # 91.5 < 93, direction up
    assert headline.url == reverse("indicators:value", args=[values["411000"].pk])
    html = page.content.decode()
    assert "未达标" in html and headline.url in html
    chart = page.context["chart"]["map"]
    if c.map_indicator == straw:
        assert chart["values"] == {"魏都区": 95.0, "禹州市": 88.0}
    assert set(chart["links"]) >= {"魏都区", "禹州市"}


def test_a_county_official_sees_only_the_county_whatever_is_asked(world, login, figures):
    _year, straw, _values = figures
    client = login(world.users["county"])
    page = client.get(reverse("web:cockpit"), {"region": "411081", "indicator": STRAW})
    assert page.status_code == 200
    c = page.context["c"]
    assert [r.adcode for r in c.regions] == ["411002"] and c.region.adcode == "411002"
    assert page.context["chart"]["map"]["values"] == {"魏都区": 95.0}
    headline = next(h for h in c.headlines if h.indicator == straw)
    assert headline.value == Decimal("95") and headline.target is None


def test_enterprises_are_refused_and_visitors_sent_to_log_in(world, login, client):
    assert client.get(reverse("web:cockpit")).status_code == 302
    assert login(world.users["enterprise"]).get(reverse("web:cockpit")).status_code == 403


def test_the_menu_offers_the_cockpit_to_officials_only(world, login):
    cockpit = reverse("web:cockpit")
    assert cockpit in login(world.users["city"]).get(reverse("web:home")).content.decode()
    assert cockpit not in login(world.users["enterprise"]).get(reverse("web:home")).content.decode()
