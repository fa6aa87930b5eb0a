"""The inspection checklists as data (``data/checklists.json``), and which places each fits.

A checklist is reference data: one per kind of place and version, loaded by
``load_checklists()`` (the ``wufei load-checklists`` command, or a data migration passing its
historical models). Which site kinds and which register kinds a checklist fits is part of the
same file, so a city that inspects other places edits data, not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "checklists.json"


@dataclass(frozen=True)
class Fits:
    """The places a checklist kind applies to: registry site kinds and register kinds."""

    site_kinds: frozenset[str]
    dump_site_kinds: frozenset[str]


@lru_cache(maxsize=1)
def definitions() -> dict:
    with DATA.open(encoding="utf-8") as handle:
        return json.load(handle)


def fits(kind: str) -> Fits:
    for entry in definitions()["checklists"]:
        if entry["kind"] == kind:
            return Fits(frozenset(entry["site_kinds"]), frozenset(entry["dump_site_kinds"]))
    return Fits(frozenset(), frozenset())


def load_checklists(checklist_model=None, item_model=None, stream_model=None) -> dict[str, int]:
    """Create or update every checklist of the data file and its items (idempotent).

    Items are matched by number; items no longer in the file are kept (inspections point at
    them) — a changed list should get a new ``version`` instead. Returns rows written.
    """
    if checklist_model is None or item_model is None or stream_model is None:
        from wufei.cases.models import Checklist, ChecklistItem
        from wufei.registry.models import WasteStream

        checklist_model, item_model, stream_model = Checklist, ChecklistItem, WasteStream
    streams = dict(stream_model.objects.values_list("code", "pk"))
    counts = {"checklists": 0, "items": 0}
    for entry in definitions()["checklists"]:
        checklist, _ = checklist_model.objects.update_or_create(
            kind=entry["kind"],
            version=entry["version"],
            defaults={
                "name": entry["name"],
                "basis": entry["basis"][:200],
                "stream_id": streams.get(entry["stream"]),
                "is_active": True,
            },
        )
        counts["checklists"] += 1
        for item in entry["items"]:
            item_model.objects.update_or_create(
                checklist=checklist,
                number=item["number"],
                defaults={
                    "text": item["text"][:300],
                    "basis": item["basis"][:200],
                    "severity": item["severity"],
                },
            )
            counts["items"] += 1
    return counts
