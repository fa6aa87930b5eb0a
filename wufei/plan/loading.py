"""Load the plan as data: its units, its eight areas and 25 tasks into the city ledger.

The areas and tasks come verbatim from the plan (``data/xuchang-plan-2019.json``, copied
from seed 000 with attribution); the lead and responsible units are the demo's judgement,
marked so in the file, because the plan does not name them. Loading is idempotent: units,
areas, the city ledger and its top-level tasks are matched by their natural keys (name,
number, ledger + number) and brought back to the file's content, so ``wufei load-plan``
may run again after the file changes. Sub-tasks, milestones and projects are left alone.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.db import transaction

from wufei.accounts.models import Department
from wufei.plan.choices import LedgerKind, UnitKind
from wufei.plan.models import Area, Ledger, Task, Unit
from wufei.registry.models import Region

PLAN_FILE = Path(__file__).parent / "data" / "xuchang-plan-2019.json"


def plan_data(path: Path = PLAN_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def city_ledger() -> Ledger:
    """The city ledger (全市台账), owned by the pilot office; created by ``load_plan``."""
    return Ledger.objects.select_related("region", "unit").get(
        kind=LedgerKind.CITY, unit__kind=UnitKind.OFFICE
    )


def _units(rows: list[dict]) -> dict[str, Unit]:
    departments = {d.code: d for d in Department.objects.all()}
    regions = {r.adcode: r for r in Region.objects.filter(adcode__in=[u["region"] for u in rows])}
    out = {}
    for row in rows:
        unit, _created = Unit.objects.update_or_create(
            name=row["name"],
            defaults={
                "short_name": row["short_name"],
                "kind": row["kind"],
                "department": departments.get(row["department"]) if row["department"] else None,
                "region": regions[row["region"]] if row["region"] else None,
            },
        )
        out[unit.name] = unit
    return out


def load_plan(path: Path = PLAN_FILE) -> dict[str, int]:
    """Create or update the plan's units, areas, city ledger and 25 tasks; returns counts."""
    data = plan_data(path)
    with transaction.atomic():
        units = _units(data["units"])
        areas = {
            a["number"]: Area.objects.update_or_create(
                number=a["number"], defaults={"title": a["title"]}
            )[0]
            for a in data["areas"]
        }
        office = next(u for u in units.values() if u.kind == UnitKind.OFFICE)
        city = Region.objects.get(adcode=data["city"])
        ledger, _created = Ledger.objects.update_or_create(
            kind=LedgerKind.CITY,
            region=city,
            unit=office,
            defaults={"title": "许昌市“无废城市”建设试点工作台账"},
        )
        for row in data["tasks"]:
            task, _created = Task.objects.update_or_create(
                ledger=ledger,
                number=row["number"],
                defaults={
                    "area": areas[row["area"]],
                    "parent": None,
                    "title": row["title"],
                    "text": row["text"],
                    "source": data["source"],
                    "lead_unit": units[row["lead_unit"]],
                    "starts_on": date.fromisoformat(row["starts_on"]),
                    "ends_on": date.fromisoformat(row["ends_on"]),
                },
            )
            task.units.set([units[name] for name in row["units"]])
            task.counties.set(Region.objects.filter(adcode__in=row["counties"]))
    return {"units": len(units), "areas": len(areas), "tasks": len(data["tasks"])}
