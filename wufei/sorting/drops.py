"""Drops recorded by sorting guides (督导员) on their phone page or from a guide app: the
household's code, the class, the weight, whether it was sorted correctly, a photo.

Recording a drop credits its points and runs the anti-gaming checks in the same transaction,
so a drop is never stored without its points or its flags. A retried request (the same
household, class, weight and drop time to the second, by the same guide or account) gives back
the drop already recorded instead of a second one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted, restrict
from wufei.cases.services import check_photo
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.iot.choices import WasteClass
from wufei.sorting import flags, points
from wufei.sorting.models import Drop, DropSource, Guide, Household, Station

MAX_WEIGHT_KG = Decimal(50)
FUTURE_SLACK = timedelta(minutes=5)
HUNDREDTH = Decimal("0.01")


def guide_of(actor) -> Guide | None:
    """The roster entry linked to the actor's account, if any."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return Guide.objects.filter(user=actor).first()


def normalize_code(text: str | None) -> str:
    return (text or "").strip().upper()


def find_household(actor, code: str) -> Household | None:
    """The household the actor may see with this code or card number."""
    code = normalize_code(code)
    if not code:
        return None
    rows = Household.objects.select_related("community", "community__region")
    return restrict(rows, actor, Action.VIEW).filter(Q(code=code) | Q(card_number=code)).first()


def parse_weight(value, errors: list[FieldError]) -> Decimal | None:
    try:
        weight = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        weight = Decimal("NaN")
    if not weight.is_finite():
        errors.append(FieldError("weight_kg", "invalid_number", _("请输入重量（千克）。")))
        return None
    weight = weight.quantize(HUNDREDTH)
    if not Decimal(0) < weight <= MAX_WEIGHT_KG:
        errors.append(
            FieldError(
                "weight_kg",
                "out_of_range",
                _("重量须大于 0 且不超过 %(max)s 千克（本次 %(w)s 千克）。")
                % {"max": MAX_WEIGHT_KG, "w": weight},
            )
        )
        return None
    return weight


def _check_station(station: Station | None, household: Household, errors: list[FieldError]):
    if station is None:
        return
    community = household.community
    if not station.is_active:
        errors.append(FieldError("station", "station_inactive", _("该投放点已停用。")))
    elif station.community_id != community.pk and station.region_id != community.region_id:
        errors.append(
            FieldError(
                "station",
                "station_elsewhere",
                _("投放点“%(station)s”不在该住户所在的小区或街道。") % {"station": station.name},
            )
        )


def _retry_of(household: Household, fields: dict) -> Drop | None:
    """The drop a retried request already recorded, if any (same to the second)."""
    at = fields["dropped_at"].replace(microsecond=0)
    return (
        Drop.objects.filter(
            household=household,
            source=DropSource.GUIDE,
            waste_class=fields["waste_class"],
            weight_kg=fields["weight_kg"],
            guide=fields["guide"],
            dropped_at__gte=at,
            dropped_at__lt=at + timedelta(seconds=1),
        )
        .order_by("pk")
        .first()
    )


def record_drop(
    *,
    actor,
    household_code: str,
    waste_class: str,
    weight_kg,
    correct: bool | None = None,
    station: Station | None = None,
    photo: UploadedFile | None = None,
    dropped_at: datetime | None = None,
    now: datetime | None = None,
) -> Drop:
    """Record one drop checked by a guide (or an official), credit it and check it for flags;
    the returned drop's ``retried`` says whether it had been recorded by an earlier request.

    Refusals (nothing written): ``unknown_household`` (a code or card the actor's street does not
    have), ``household_inactive``, ``bad_class``, ``invalid_number`` / ``out_of_range`` (weight
    above 0 and at most 50 kg), ``in_future`` (more than 5 minutes ahead), ``station_elsewhere``
    (a station outside the household's community and street), photo errors; ``NotPermitted``
    when the actor may not record drops there."""
    now = now or timezone.now()
    dropped_at = dropped_at or now
    errors: list[FieldError] = []
    household = find_household(actor, household_code)
    if household is None:
        errors.append(
            FieldError(
                "household_code",
                "unknown_household",
                _("户码或卡号“%(code)s”未登记，请先登记该住户。")
                % {"code": normalize_code(household_code) or "—"},
            )
        )
    elif not household.is_active:
        errors.append(
            FieldError("household_code", "household_inactive", _("该住户已注销，不能登记投放。"))
        )
    if waste_class not in WasteClass.values:
        errors.append(FieldError("waste_class", "bad_class", _("请选择四类垃圾中的一类。")))
    weight = parse_weight(weight_kg, errors)
    if timezone.is_naive(dropped_at):
        dropped_at = timezone.make_aware(dropped_at)
    if dropped_at > now + FUTURE_SLACK:
        errors.append(FieldError("dropped_at", "in_future", _("投放时间不能晚于当前时间。")))
    if correct not in (None, True, False):
        errors.append(FieldError("correct", "invalid", _("分类是否正确：是、否或未检查。")))
    if household is not None:
        _check_station(station, household, errors)
    check_photo(photo, field="photo", errors=errors)
    if household is not None and not is_permitted(actor, Action.ADD, household):
        raise NotPermitted(_("该住户不在您负责的范围内，未作任何登记。"))
    if errors or household is None or weight is None:
        raise Invalid(errors)
    guide = guide_of(actor)
    fields = {
        "community": household.community,
        "station": station,
        "household": household,
        "household_code": normalize_code(household_code),
        "source": DropSource.GUIDE,
        "waste_class": waste_class,
        "weight_kg": weight,
        "correct": correct,
        "guide": guide,
        "dropped_at": dropped_at,
        "recorded_at": now,
    }
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        retried = _retry_of(household, fields)
        if retried is not None:
            retried.retried = True  # type: ignore[attr-defined]
            return retried
        drop = Drop(**fields)
        if photo:
            drop.photo.save(photo.name, photo, save=False)
        drop.save()
        if not is_permitted(actor, Action.ADD, drop):
            raise NotPermitted(_("该住户不在您负责的范围内，未作任何登记。"))
        points.credit_drop(drop, now=now)
        flags.check_drop(drop, now=now)
        log_change(actor=actor, obj=drop, action="create")
    drop.retried = False  # type: ignore[attr-defined]
    return drop
