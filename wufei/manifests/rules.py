"""The rules a manifest is checked against: plain functions of the facts, one per rule.

Hard rules refuse the transition (a typed error, nothing written); soft rules describe a
finding the caller turns into an alert (the waste has physically moved; the record must
say what happened and the regulator must see it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from wufei.core.errors import FieldError, Invalid
from wufei.manifests.choices import State
from wufei.manifests.flows import Flow
from wufei.registry.choices import EffectivePermitStatus, PermitStatus
from wufei.registry.models import Party, Permit, Vehicle, WasteCode, WasteStream


def stream_allowed(flow: Flow, stream: WasteStream) -> bool:
    roots = WasteStream.objects.filter(code__in=flow.streams).values_list("pk", flat=True)
    return stream.pk in WasteStream.descendant_ids(list(roots))


def _candidates(party: Party, kinds: tuple[str, ...], day: date):
    return (
        Permit.objects.filter(
            party=party,
            kind__in=kinds,
            status=PermitStatus.ACTIVE,
            valid_from__lte=day,
            valid_to__gte=day,
        )
        .select_related("stream")
        .prefetch_related("waste_codes", "categories")
        .order_by("-valid_to", "pk")
    )


def _permit_fits(
    permit: Permit, stream: WasteStream, codes: list[WasteCode], covers_code: bool
) -> bool:
    if stream.pk not in WasteStream.descendant_ids([permit.stream_id]):
        return False
    return not covers_code or all(permit.covers(code) for code in codes)


def find_permit(
    *,
    party: Party,
    kinds: tuple[str, ...],
    stream: WasteStream,
    codes: list[WasteCode],
    covers_code: bool,
    day: date,
    field: str,
) -> Permit:
    """The party's permit in force on ``day`` that allows the stream (and lists the codes)."""
    permits = list(_candidates(party, kinds, day))
    for permit in permits:
        if _permit_fits(permit, stream, codes, covers_code):
            return permit
    if not permits:
        message = _("%(party)s 没有有效的许可证（需要：%(kinds)s）。") % {
            "party": party.name,
            "kinds": "、".join(str(Permit(kind=k).get_kind_display()) for k in kinds),
        }
        raise Invalid([FieldError(field, "permit_missing", message)])
    listed = "、".join(c.code for c in codes) or str(stream)
    raise Invalid(
        [
            FieldError(
                field,
                "permit_not_covering",
                _("%(party)s 的许可证不覆盖 %(codes)s。") % {"party": party.name, "codes": listed},
            )
        ]
    )


def annual_used_kg(permit: Permit, year: int, *, exclude_pk: int | None = None) -> Decimal:
    """Accepted this calendar year plus declared on manifests still on their way (one query)."""
    received = Q(received_at__year=year, state__in=(State.RECEIVED, State.COMPLETED))
    pending = Q(state__in=(State.SUBMITTED, State.PICKED_UP, State.IN_TRANSIT))
    qs = permit_manifests(permit).filter(received | pending)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    sums = qs.aggregate(
        accepted=Sum("accepted_kg", filter=received), on_way=Sum("declared_kg", filter=pending)
    )
    return (sums["accepted"] or Decimal(0)) + (sums["on_way"] or Decimal(0))


def permit_manifests(permit: Permit):
    from wufei.manifests.models import Manifest

    return Manifest.objects.filter(receiver_permit=permit)


def check_annual_quantity(permit: Permit, declared_kg: Decimal, year: int) -> None:
    if permit.annual_tonnes is None:
        return
    limit = permit.annual_tonnes * 1000
    used = annual_used_kg(permit, year)
    if used + declared_kg > limit:
        raise Invalid(
            [
                FieldError(
                    "receiver",
                    "annual_quantity_exceeded",
                    _(
                        "接收单位许可证 %(number)s 本年度剩余许可量 %(left)s 千克，不足本次 %"
                        "(kg)s 千克。"
                    )
                    % {
                        "number": permit.number,
                        "left": max(limit - used, Decimal(0)),
                        "kg": declared_kg,
                    },
                )
            ]
        )


def vehicle_findings(flow: Flow, vehicle: Vehicle) -> list[str]:
    problems = []
    if flow.vehicle_kinds and vehicle.kind not in flow.vehicle_kinds:
        problems.append(
            _("车型“%(kind)s”不是本类联单允许的车型") % {"kind": vehicle.get_kind_display()}
        )
    if flow.vehicle_sealed and not vehicle.is_sealed:
        problems.append(_("车辆不是密闭车辆"))
    if flow.vehicle_hazmat and not vehicle.is_hazmat_certified:
        problems.append(_("车辆无危险货物运输资质"))
    return problems


def weight_gap(flow: Flow, pickup_kg: Decimal, received_kg: Decimal) -> Decimal | None:
    """The relative gap between pick-up and receipt, if it exceeds the flow's tolerance."""
    if not pickup_kg:
        return None
    gap = abs(received_kg - pickup_kg) / pickup_kg
    return gap if gap > flow.tolerance else None


def permit_valid_on(permit: Permit | None, day: date) -> bool:
    return permit is None or permit.effective_status(day) == EffectivePermitStatus.ACTIVE
