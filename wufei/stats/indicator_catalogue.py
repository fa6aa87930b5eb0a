"""Loading the indicator catalogues shipped in ``stats/data`` (see its README.md).

The 2019 and 2021 source rows (research notes, copied verbatim) are read together with our
reading of each (``formulas.csv``: machine formula, direction, department, base year,
confidence); the common indicators come from ``common.csv``. Idempotent (upserts by code,
nothing deleted, a deactivated indicator stays deactivated), so it runs in a migration and
again from ``wufei indicators --reload-catalogue``. Functions take a model getter so that the
migration can pass its historical models.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
GetModel = Callable[[str, str], Any]

CATALOGUES = {
    "2019-trial": (
        "indicators-2019.csv",
        "《“无废城市”建设指标体系（试行）》（生态环境部办公厅，2019年5月印发）",
        1000,
    ),
    "2021": (
        "indicators-2021.csv",
        "《“无废城市”建设指标体系（2021年版）》（配套《“十四五”时期“无废城市”建设工作方案》，"
        "环固体〔2021〕114号）",
        2000,
    ),
}
COMMON_ORDER = 3000
URL = re.compile(r"https?://[^\s;,，；()（）]+")
PLACEMENT_NOTE = "一级、二级指标归属为推断，未见原表。"


def _django_get_model(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def level(text: str) -> tuple[str, bool]:
    """A level name without the research markers, and whether its placement is inferred."""
    inferred = bool(re.search(r"\((inferred|placement unknown)\)", text))
    clean = re.sub(r"\s*\(inferred\)", "", text)
    clean = re.sub(r"\s*\(placement unknown\)", "（归属未定）", clean)
    clean = re.sub(r"\s+or\s+", "或", clean)
    return clean.strip(), inferred


def mandatory(text: str) -> str:
    """必选… → required, 可选… → optional, anything else (unknown, likely …) → unknown."""
    text = text.strip()
    if text.startswith("必选"):
        return "required"
    if text.startswith("可选"):
        return "optional"
    return "unknown"


def urls(text: str) -> list[str]:
    return list(dict.fromkeys(u.rstrip(".") for u in URL.findall(text)))


def _source_rows() -> list[dict]:
    """The 2019 and 2021 rows as Indicator fields (department as a code)."""
    readings = {r["id"]: r for r in _rows("formulas.csv")}
    out = []
    for catalogue, (file_name, document, order) in CATALOGUES.items():
        for index, row in enumerate(_rows(file_name)):
            reading = readings[row["id"]]
            level1, inferred1 = level(row["level1"])
            level2, inferred2 = level(row["level2"])
            notes = [reading["note"]]
            if inferred1 or inferred2:
                notes.append(PLACEMENT_NOTE)
            notes.append(f"研究笔记：{row['notes']}")
            out.append(
                {
                    "code": row["id"],
                    "catalogue": catalogue,
                    "level1": level1,
                    "level2": level2,
                    "name": row["name_zh"],
                    "name_en": row["name_en"],
                    "unit": row["unit"],
                    "formula": reading["formula"],
                    "definition": row["formula"],
                    "computable": bool(reading["formula"]),
                    "direction": reading["direction"],
                    "mandatory": mandatory(row["mandatory"]),
                    "department": reading["department"],
                    "base_year": int(reading["base_year"]) if reading["base_year"] else None,
                    "source": "\n".join([document, *urls(row["notes"])]),
                    "confidence": reading["confidence"],
                    "notes": "\n".join(n for n in notes if n),
                    "sort_order": order + index,
                }
            )
    return out


def _common_rows() -> list[dict]:
    return [
        {
            "code": row["code"],
            "catalogue": "common",
            "level1": row["level1"],
            "level2": row["level2"],
            "name": row["name_zh"],
            "name_en": row["name_en"],
            "unit": row["unit"],
            "formula": row["formula"],
            "definition": "",
            "computable": bool(row["formula"]),
            "direction": row["direction"],
            "mandatory": "optional",
            "department": row["department"],
            "base_year": int(row["base_year"]) if row["base_year"] else None,
            "source": row["source"],
            "confidence": row["confidence"],
            "notes": row["note"],
            "sort_order": COMMON_ORDER + index,
        }
        for index, row in enumerate(_rows("common.csv"))
    ]


def catalogue_rows() -> list[dict]:
    """Every shipped indicator as Indicator fields (``department`` as a department code)."""
    return [*_source_rows(), *_common_rows()]


def load_catalogue(get_model: GetModel = _django_get_model) -> int:
    Indicator = get_model("stats", "Indicator")
    Department = get_model("accounts", "Department")
    departments = {d.code: d for d in Department.objects.all()}
    rows = catalogue_rows()
    for row in rows:
        fields = dict(row)
        code = fields.pop("code")
        fields["department"] = departments.get(fields["department"])
        Indicator.objects.update_or_create(
            code=code, defaults=fields, create_defaults={**fields, "is_active": True}
        )
    return len(rows)
