"""Every write to the registry. Views, API, commands and the demo call these; nothing else
writes registry rows. Each runs in one transaction, checks the actor's scope before and after
(see ``wufei.core.services.scoped_save``) and leaves a change-log row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wufei.core.errors import FieldError, Invalid
from wufei.core.services import scoped_save
from wufei.registry.models import (
    CodeList,
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Site,
    Vehicle,
    WasteCategory,
    WasteCode,
    WasteStream,
)
from wufei.registry.validators import parse_waste_code


def party_create(*, actor, data: dict) -> Party:
    return scoped_save(actor=actor, obj=Party(), creating=True, fields=data)


def party_update(*, actor, obj: Party, data: dict) -> Party:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


def site_create(*, actor, data: dict) -> Site:
    return scoped_save(actor=actor, obj=Site(), creating=True, fields=data)


def site_update(*, actor, obj: Site, data: dict) -> Site:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


def facility_create(*, actor, data: dict) -> Facility:
    return scoped_save(actor=actor, obj=Facility(), creating=True, fields=data)


def facility_update(*, actor, obj: Facility, data: dict) -> Facility:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


def capacity_create(*, actor, data: dict) -> FacilityCapacity:
    return scoped_save(actor=actor, obj=FacilityCapacity(), creating=True, fields=data)


def capacity_update(*, actor, obj: FacilityCapacity, data: dict) -> FacilityCapacity:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


def vehicle_create(*, actor, data: dict) -> Vehicle:
    return scoped_save(actor=actor, obj=Vehicle(), creating=True, fields=data)


def vehicle_update(*, actor, obj: Vehicle, data: dict) -> Vehicle:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


def device_create(*, actor, data: dict) -> Device:
    return scoped_save(actor=actor, obj=Device(), creating=True, fields=data)


def device_update(*, actor, obj: Device, data: dict) -> Device:
    return scoped_save(actor=actor, obj=obj, creating=False, fields=data)


# --- permits --------------------------------------------------------------------------------


def resolve_waste_codes(
    codes: Iterable[str], *, start: date | None, end: date | None, field: str
) -> list[WasteCode]:
    """Turn code strings into catalogue rows in force during ``start``..``end`` (a permit's
    period: a licence of 2018-2023 may list codes of the 2021 名录); every bad code is
    reported. Where several versions qualify, the newest is taken."""
    found, errors = [], []
    for text in codes:
        try:
            parsed = parse_waste_code(text)
        except ValidationError as exc:
            errors.append(FieldError(field, "malformed_waste_code", exc.messages[0]))
            continue
        candidates = [
            c
            for c in WasteCode.objects.filter(code=parsed.code).select_related("category")
            if c.is_valid_during(start, end)
        ]
        if not candidates:
            errors.append(
                FieldError(
                    field,
                    "unknown_waste_code",
                    _("废物代码 “%(code)s” 不在现行废物名录中。") % {"code": parsed.code},
                )
            )
            continue
        found.append(max(candidates, key=lambda c: c.valid_from or date.min))
    if errors:
        raise Invalid(errors)
    return found


def check_permit_coverage(permit: Permit, codes, categories) -> None:
    allowed = set(WasteStream.descendant_ids([permit.stream_id]))
    errors = [
        FieldError(
            "waste_codes",
            "code_outside_stream",
            _("废物代码 %(code)s 不属于许可的废物类别“%(stream)s”。")
            % {"code": c.code, "stream": permit.stream},
        )
        for c in codes
        if c.category.stream_id not in allowed
    ] + [
        FieldError(
            "categories",
            "category_outside_stream",
            _("大类 %(code)s 不属于许可的废物类别“%(stream)s”。")
            % {"code": c.code, "stream": permit.stream},
        )
        for c in categories
        if c.stream_id not in allowed
    ]
    if errors:
        raise Invalid(errors)


def _permit_save(*, actor, obj: Permit, creating: bool, data: dict) -> Permit:
    data = dict(data)
    code_texts = data.pop("waste_codes", None)
    categories = data.pop("categories", None)
    m2m = {}
    if code_texts is not None:
        start = data.get("valid_from") or (obj.valid_from if not creating else None)
        end = data.get("valid_to") or (obj.valid_to if not creating else None)
        m2m["waste_codes"] = resolve_waste_codes(
            code_texts, start=start, end=end, field="waste_codes"
        )
    if categories is not None:
        m2m["categories"] = categories

    def validate(permit: Permit) -> None:
        check_permit_coverage(
            permit,
            m2m.get("waste_codes", permit.waste_codes.all() if permit.pk else []),
            m2m.get("categories", permit.categories.all() if permit.pk else []),
        )

    return scoped_save(
        actor=actor, obj=obj, creating=creating, fields=data, m2m=m2m, validate=validate
    )


def permit_create(*, actor, data: dict) -> Permit:
    return _permit_save(actor=actor, obj=Permit(), creating=True, data=data)


def permit_update(*, actor, obj: Permit, data: dict) -> Permit:
    return _permit_save(actor=actor, obj=obj, creating=False, data=data)


# --- code lists -----------------------------------------------------------------------------


def waste_codes_import(
    *, actor, code_list: CodeList, rows: list[dict], confidence: str | None = None
) -> int:
    """Load a fuller official list (e.g. the whole 国家危险废物名录) as data.

    ``rows`` have ``code``, ``name``, ``category`` (e.g. ``HW08``) and optionally
    ``hazard_traits`` and ``industry``. Every bad row is reported with its line; a file
    with any error writes nothing.
    """
    from wufei.accounts.choices import Action
    from wufei.accounts.scoping import ensure_permitted

    ensure_permitted(actor, Action.CHANGE, code_list)
    categories = {c.code: c for c in WasteCategory.objects.all()}
    errors: list[FieldError] = []
    prepared: list[WasteCode] = []
    for line, row in enumerate(rows, start=2):
        field = f"row {line}"
        category = categories.get((row.get("category") or "").strip().upper())
        if category is None:
            errors.append(FieldError(field, "unknown_category", _("未知的废物大类。")))
            continue
        item = WasteCode(
            code=(row.get("code") or "").strip(),
            name=(row.get("name") or "").strip(),
            category=category,
            industry=(row.get("industry") or "").strip(),
            hazard_traits=(row.get("hazard_traits") or "").replace(" ", ""),
            code_list=code_list,
            confidence=confidence or code_list.confidence,
            valid_from=code_list.valid_from,
            valid_to=code_list.valid_to,
        )
        try:
            item.full_clean(exclude=["code_list"], validate_unique=False)
        except ValidationError as exc:
            errors.extend(
                FieldError(f"{field}.{k}", e.code or "invalid", m)
                for k, es in exc.message_dict.items()
                for e, m in zip(exc.error_dict[k], es, strict=False)
            )
            continue
        prepared.append(item)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        for item in prepared:
            WasteCode.objects.update_or_create(
                code=item.code,
                code_list=code_list,
                defaults={
                    f: getattr(item, f)
                    for f in (
                        "name",
                        "category",
                        "industry",
                        "hazard_traits",
                        "confidence",
                        "valid_from",
                        "valid_to",
                    )
                },
            )
    return len(prepared)
