"""The shipped reference data of the sorting app: the lookup dictionary, the default points
rules and the default 以奖代补 scheme, loaded by migration 0002 and idempotent on reload."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wufei.accounts.tests.factories import UserFactory
from wufei.sorting import lookup
from wufei.sorting.models import AssessmentScheme, PointsRule, SortingItem
from wufei.sorting.reference import (
    DEFAULT_RULES,
    ITEMS_CSV,
    SCHEME_NAME,
    item_rows,
    load_reference,
)

pytestmark = pytest.mark.django_db

CLASSES = ("recyclable", "hazardous", "kitchen", "other")
KNOWN = {
    "废电池": "hazardous",
    "过期药品": "hazardous",
    "荧光灯管": "hazardous",
    "水银温度计": "hazardous",
    "剩饭": "kitchen",
    "果皮": "kitchen",
    "鸡骨头": "kitchen",
    "报纸": "recyclable",
    "易拉罐": "recyclable",
    "旧衣服": "recyclable",
    "烟头": "other",
    "纸巾": "other",
    "塑料袋": "other",
    "大骨头": "other",
    "贝壳": "other",
    "外卖餐盒": "other",
}


def counts() -> tuple[int, int, int]:
    return SortingItem.objects.count(), PointsRule.objects.count(), AssessmentScheme.objects.count()


def test_migration_loaded_at_least_400_items_in_all_four_classes():
    by_class = Counter(SortingItem.objects.values_list("waste_class", flat=True))
    assert sum(by_class.values()) >= 400
    assert set(by_class) == set(CLASSES)
    for waste_class in CLASSES:
        assert by_class[waste_class] >= 50, (waste_class, by_class)
    assert SortingItem.objects.filter(is_active=True).count() == len(item_rows())


@pytest.mark.parametrize(("name", "waste_class"), sorted(KNOWN.items()))
def test_known_items_are_in_their_class(name, waste_class):
    assert SortingItem.objects.get(name=name).waste_class == waste_class


def test_the_csv_is_well_formed():
    with ITEMS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    aliases = [a for r in rows for a in lookup.split_aliases(r["aliases"])]
    assert not set(aliases) & set(names), "an alias that is another item's name"
    assert len(aliases) == len(set(aliases)), "an alias of two items"
    for row in rows:
        assert row["waste_class"] in CLASSES
        assert row["group"] and row["instruction"] and row["source"], row
        assert "、、" not in row["aliases"] and not row["aliases"].startswith("、")


def test_default_points_rules_and_scheme():
    rules = {r.code: r for r in PointsRule.objects.all()}
    assert {code for code, *_ in DEFAULT_RULES} <= set(rules)
    assert (rules["drop-any"].kind, rules["drop-any"].waste_class, rules["drop-any"].points) == (
        "per_drop",
        "",
        1,
    )
    assert (rules["hazardous-drop"].waste_class, rules["hazardous-drop"].points) == ("hazardous", 5)
    assert (rules["recyclable-kg"].kind, rules["recyclable-kg"].points) == ("per_kg", 2)
    assert rules["first-of-day"].kind == "first_of_day"
    assert (rules["daily-cap"].kind, rules["daily-cap"].points) == ("daily_cap", 20)
    assert all(str(r.valid_from) == "2020-01-01" and r.is_active for r in rules.values())

    scheme = AssessmentScheme.objects.get(name=SCHEME_NAME, year=2020)
    assert [r["measure"] for r in scheme.rules] == [
        "participation_rate",
        "accuracy_rate",
        "kitchen_separation_rate",
        "station_check_score",
    ]
    assert sum(r["weight"] for r in scheme.rules) == 100
    assert scheme.rules[2] == {
        "measure": "kitchen_separation_rate",
        "weight": 20,
        "full_at": 25,
        "zero_at": 5,
    }
    assert scheme.award_per_point == Decimal(100)
    assert scheme.pass_score == Decimal(60)


def test_loading_twice_changes_nothing():
    before = counts()
    first = load_reference(django_apps.get_model)
    second = load_reference(django_apps.get_model)
    assert counts() == before
    for result in (first, second):
        assert result["items"]["created"] == result["items"]["updated"] == 0
        assert result["rules_created"] == 0 and result["scheme_created"] is False


def test_loading_into_empty_tables_then_again():
    SortingItem.objects.all().delete()
    PointsRule.objects.all().delete()
    AssessmentScheme.objects.all().delete()
    result = load_reference(django_apps.get_model)
    assert result["items"]["created"] == len(item_rows()) >= 400
    assert result["rules_created"] == len(DEFAULT_RULES)
    assert result["scheme_created"] is True
    after = counts()
    assert after == (len(item_rows()), len(DEFAULT_RULES), 1)
    load_reference(django_apps.get_model)
    assert counts() == after


def test_works_with_the_migration_historical_models():
    """What migration 0002 runs: the models as of that migration, not today's classes."""
    SortingItem.objects.filter(name__in=["报纸", "剩饭"]).delete()
    PointsRule.objects.filter(code="daily-cap").delete()
    state = MigrationExecutor(connection).loader.project_state(("sorting", "0002_reference"))
    historical = state.apps.get_model("sorting", "SortingItem")
    assert historical is not SortingItem
    result = load_reference(state.apps.get_model)
    assert result["items"]["created"] == 2
    assert result["rules_created"] == 1
    assert SortingItem.objects.get(name="报纸").waste_class == "recyclable"
    assert PointsRule.objects.get(code="daily-cap").points == 20


def test_reload_refreshes_shipped_items_and_keeps_officials_edits():
    city = UserFactory(role="city")
    # A shipped item still as shipped, but stale: the reload brings it back to the CSV.
    SortingItem.objects.filter(name="报纸").update(instruction="旧的说明", aliases="")
    # An item an official changed, and one an official deactivated: theirs.
    tissue = SortingItem.objects.get(name="纸巾")
    lookup.item_update(
        actor=city, obj=tissue, data={"instruction": "许昌试行：用过的纸巾投其他垃圾"}
    )
    battery = SortingItem.objects.get(name="废电池")
    lookup.item_deactivate(actor=city, obj=battery)
    # A rule an official changed.
    PointsRule.objects.filter(code="drop-any").update(points=3)
    scheme = AssessmentScheme.objects.get(name=SCHEME_NAME)
    AssessmentScheme.objects.filter(pk=scheme.pk).update(pass_score=Decimal(70))

    result = load_reference(django_apps.get_model)

    assert result["items"]["updated"] == 1 and result["items"]["kept"] == 1
    paper = SortingItem.objects.get(name="报纸")
    assert paper.instruction != "旧的说明" and "旧报纸" in paper.aliases
    tissue.refresh_from_db()
    assert tissue.instruction == "许昌试行：用过的纸巾投其他垃圾"
    assert tissue.source == lookup.EDITED_SOURCE
    assert SortingItem.objects.get(name="废电池").is_active is False
    assert PointsRule.objects.get(code="drop-any").points == 3
    assert AssessmentScheme.objects.get(pk=scheme.pk).pass_score == Decimal(70)
