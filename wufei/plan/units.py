"""Who acts for a unit of the plan (牵头单位, 责任单位, the pilot office, a county government).

The plan gives duties to units, not to people: an account acts for a unit through the
organisation it belongs to. Department officials act for the bureau linked to their
department; county officials for their county's government; city officials and
administrators for every unit (the pilot office works on the city's behalf). Nobody else
acts for any unit. Plan writes check this instead of ``restrict`` because the duty follows
the unit, not the waste stream a bureau regulates.
"""

from __future__ import annotations

from django.db.models import Q

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.plan.models import Unit

CITY_ROLES = frozenset({Role.ADMIN, Role.CITY_OFFICIAL})


def is_city(actor) -> bool:
    """City officials and administrators: they act for the pilot office and every unit."""
    return role_of(actor) in CITY_ROLES


def _own_units_q(actor) -> Q | None:
    role = role_of(actor)
    if role == Role.DEPARTMENT_OFFICIAL and actor.department_id is not None:
        return Q(department_id=actor.department_id)
    if role == Role.COUNTY_OFFICIAL and actor.region_id is not None:
        return Q(region_id=actor.region_id)
    return None


def units_of(actor) -> set[int]:
    """Ids of the units ``actor`` acts for (every unit for city officials, cached per actor)."""
    cached = getattr(actor, "_plan_unit_ids", None)
    if cached is not None:
        return cached
    if is_city(actor):
        ids = set(Unit.objects.values_list("pk", flat=True))
    else:
        q = _own_units_q(actor)
        ids = set(Unit.objects.filter(q).values_list("pk", flat=True)) if q is not None else set()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor._plan_unit_ids = ids
    return ids


def acts_for(actor, unit: Unit | int | None) -> bool:
    """Whether ``actor`` acts for ``unit`` (a unit or its id)."""
    if unit is None:
        return False
    if is_city(actor):
        return True
    return (unit if isinstance(unit, int) else unit.pk) in units_of(actor)
