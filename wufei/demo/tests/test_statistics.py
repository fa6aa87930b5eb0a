"""The demo's statistics: declarations that pass the kinds' rules, history that continues the
manifests, targets, and the derived tables the cockpit reads."""

import pytest
from django.utils import timezone

from wufei.demo.statistics import DEMO_ORIGIN, statistics_derive
from wufei.stats.choices import ValueStatus
from wufei.stats.declaration_kinds import KINDS
from wufei.stats.models import (
    Declaration,
    DeclarationLine,
    Forecast,
    IndicatorTarget,
    IndicatorValue,
    RollupMonth,
)

pytestmark = pytest.mark.django_db


def test_the_demo_declares_every_kind_but_hazardous_with_known_items(small_city):
    kinds = set(Declaration.objects.values_list("kind", flat=True))
    assert kinds >= {
        "statistics",
        "agriculture",
        "housing",
        "health",
        "postal",
        "commerce",
        "urban",
        "industrial",
        "history",
        "sludge",
    }
    assert not Declaration.objects.exclude(origin=DEMO_ORIGIN).exclude(party__isnull=False).exists()
    for kind, item in DeclarationLine.objects.values_list("declaration__kind", "item").distinct():
        assert KINDS[kind].item(item) is not None, (kind, item)
    today = timezone.localdate()
    assert not Declaration.objects.filter(period_end__gte=today).exists()  # no future period
    assert IndicatorTarget.objects.filter(note__startswith=DEMO_ORIGIN).exists()


def test_industrial_declarations_meet_the_statistics_identity(small_city):
    declaration = Declaration.objects.filter(kind="industrial").first()
    v = {line.item: line.value for line in declaration.lines.all()}
    balance = (
        (v["utilised"] - v["utilised_prior"])
        + v["stored"]
        + (v["disposed_landfill"] + v["disposed_other"] - v["disposed_prior"])
        + v["dumped"]
    )
    assert abs(balance - v["generated"]) <= v["generated"] / 100


def test_derived_tables_hold_values_forecasts_and_monthly_series(small_city):
    today = timezone.localdate()
    counts = statistics_derive(today)
    assert counts["stats.IndicatorValue"] == IndicatorValue.objects.count() > 0
    assert Forecast.objects.exists()
    city_year = IndicatorValue.objects.filter(year=today.year - 1, region__level="city")
    ok = city_year.filter(status=ValueStatus.OK).values_list("indicator__code", flat=True)
    assert {"common-straw", "common-industrial-utilisation"} <= set(ok)
    # the history runs the generated series back to 2019
    assert RollupMonth.objects.filter(month__year=2019, quantity="generated").exists()
