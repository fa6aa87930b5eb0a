"""Reference data shipped with the sorting app (loaded by migration 0002): the lookup
dictionary (``data/items.csv``), the default points rules and the default 以奖代补 scheme.

Idempotent, and usable with the migration's historical models (``get_model`` is
``apps.get_model``): nothing here imports the app's models or calls their methods.

* Items are upserted by name. A shipped item is refreshed from the CSV only while it still
  carries the CSV's ``source``: an item an official created or changed carries another source
  (see ``wufei.sorting.lookup``) and is left alone, and ``is_active`` is never touched on an
  existing item, so a deactivated item stays deactivated.
* Points rules and the scheme are created when missing and never overwritten: officials may
  have changed them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
ITEMS_CSV = DATA / "items.csv"
ITEM_FIELDS = ("aliases", "waste_class", "group", "instruction", "source")
WASTE_CLASSES = ("recyclable", "hazardous", "kitchen", "other")

GetModel = Callable[[str, str], Any]

RULES_FROM = date(2020, 1, 1)
DEFAULT_RULES = (
    # code, name, kind, waste class ("" = every class), points
    ("drop-any", "每次正确投放", "per_drop", "", 1),
    ("hazardous-drop", "有害垃圾正确投放", "per_drop", "hazardous", 5),
    ("recyclable-kg", "可回收物按重量计分", "per_kg", "recyclable", 2),
    ("first-of-day", "每日首次投放奖励", "first_of_day", "", 1),
    ("daily-cap", "每日积分上限", "daily_cap", "", 20),
)

SCHEME_NAME = "许昌市生活垃圾分类示范小区以奖代补考核（平台默认方案）"
SCHEME_YEAR = 2020
SCHEME_RULES = [
    {"measure": "participation_rate", "weight": 40, "full_at": 90, "zero_at": 50},
    {"measure": "accuracy_rate", "weight": 30, "full_at": 90, "zero_at": 60},
    {"measure": "kitchen_separation_rate", "weight": 20, "full_at": 25, "zero_at": 5},
    {"measure": "station_check_score", "weight": 10, "full_at": 95, "zero_at": 60},
]
SCHEME_AWARD_PER_POINT = Decimal(100)
SCHEME_PASS_SCORE = Decimal(60)


def _django_get_model(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def item_rows() -> list[dict]:
    """The shipped dictionary as SortingItem fields, checked (a bad row fails loudly)."""
    with ITEMS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        name = row["name"].strip()
        if not name or name in seen or row["waste_class"] not in WASTE_CLASSES:
            raise ValueError(f"{ITEMS_CSV.name} line {number}: bad or repeated row {row!r}")
        seen.add(name)
        row["name"] = name
    return rows


def load_items(get_model: GetModel = _django_get_model) -> dict[str, int]:
    SortingItem = get_model("sorting", "SortingItem")
    existing = {item.name: item for item in SortingItem.objects.all()}
    created = updated = kept = 0
    new = []
    for row in item_rows():
        item = existing.get(row["name"])
        if item is None:
            new.append(SortingItem(name=row["name"], is_active=True, **_fields(row)))
            created += 1
        elif item.source != row["source"]:
            kept += 1  # created or changed by an official: theirs
        elif any(getattr(item, f) != row[f] for f in ITEM_FIELDS):
            for field, value in _fields(row).items():
                setattr(item, field, value)
            item.save()
            updated += 1
    SortingItem.objects.bulk_create(new)
    return {"created": created, "updated": updated, "kept": kept}


def _fields(row: dict) -> dict:
    return {f: row[f] for f in ITEM_FIELDS}


def load_rules(get_model: GetModel = _django_get_model) -> int:
    """Create the default points rules that are missing; returns how many were created."""
    PointsRule = get_model("sorting", "PointsRule")
    created = 0
    for code, name, kind, waste_class, points in DEFAULT_RULES:
        _, made = PointsRule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "waste_class": waste_class,
                "points": points,
                "valid_from": RULES_FROM,
                "is_active": True,
            },
        )
        created += made
    return created


def load_scheme(get_model: GetModel = _django_get_model) -> bool:
    """Create the default 以奖代补 scheme if missing; True when it was created."""
    AssessmentScheme = get_model("sorting", "AssessmentScheme")
    _, made = AssessmentScheme.objects.get_or_create(
        name=SCHEME_NAME,
        year=SCHEME_YEAR,
        defaults={
            "rules": SCHEME_RULES,
            "award_per_point": SCHEME_AWARD_PER_POINT,
            "pass_score": SCHEME_PASS_SCORE,
            "is_active": True,
        },
    )
    return made


def load_reference(get_model: GetModel = _django_get_model) -> dict:
    """Load the dictionary, the default points rules and the default scheme (idempotent)."""
    return {
        "items": load_items(get_model),
        "rules_created": load_rules(get_model),
        "scheme_created": load_scheme(get_model),
    }
