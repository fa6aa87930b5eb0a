"""Importing a fuller official code list as data (no code change needed)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import NotPermitted
from wufei.registry.models import CodeList
from wufei.registry.services import waste_codes_import

REQUIRED_COLUMNS = {"code", "name", "category"}


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        return list(reader)


def code_list_import(
    *,
    actor,
    key: str,
    version: str,
    name: str,
    source: str,
    confidence: str,
    rows: list[dict],
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> tuple[CodeList, int]:
    """Register (or update) the list ``key``/``version`` and load its codes, all or nothing.

    A new version with a start date supersedes the versions of the same list still open at
    that date: they end the day before (the 2025 名录 closes the 2021 one on 2024-12-31), so
    records keep reading under the list in force on their own date.
    """
    if not may(actor, Action.CHANGE, CodeList):
        raise NotPermitted()
    with transaction.atomic():
        if valid_from is not None:
            superseded = (
                CodeList.objects.filter(key=key, valid_to__isnull=True)
                .exclude(version=version)
                .filter(valid_from__lt=valid_from)
            )
            day_before = valid_from - timedelta(days=1)
            for old in superseded:
                old.valid_to = day_before
                old.save(update_fields=["valid_to"])
                old.wastecode_set.filter(valid_to__isnull=True).update(valid_to=day_before)
        code_list, _ = CodeList.objects.update_or_create(
            key=key,
            version=version,
            defaults={
                "name": name,
                "source": source,
                "confidence": confidence,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
        )
        count = waste_codes_import(actor=actor, code_list=code_list, rows=rows)
    return code_list, count
