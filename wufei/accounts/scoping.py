"""Who may see and change what: one ``restrict(queryset, actor, action)`` for every app.

Each scoped model declares a :class:`Scope`: the lookup paths from the model to a Region, a
Party and a WasteStream. Each role holds a *grant* per action (all rows, its region's rows,
its department's streams, its own party's rows, the public rows, or none). ``restrict``
turns the two into one ``Q`` filter, so pages, API, exports and later apps agree on every
row. Writes check the same rule twice inside their transaction: on the row as it was and
on the row as it will be, so nobody can move a row out of (or into) someone else's scope.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet

from wufei.accounts.choices import Action, Role
from wufei.core.errors import NotPermitted

if TYPE_CHECKING:
    from wufei.accounts.models import User


class Grant(enum.Enum):
    NONE = "none"
    ALL = "all"
    REGION = "region"
    DEPARTMENT = "department"
    PARTY = "party"
    PUBLIC = "public"


GRANTS: dict[str, dict[str, Grant]] = {
    Role.ADMIN: {Action.VIEW: Grant.ALL, Action.ADD: Grant.ALL, Action.CHANGE: Grant.ALL},
    Role.CITY_OFFICIAL: {Action.VIEW: Grant.ALL, Action.ADD: Grant.ALL, Action.CHANGE: Grant.ALL},
    Role.COUNTY_OFFICIAL: {
        Action.VIEW: Grant.REGION,
        Action.ADD: Grant.REGION,
        Action.CHANGE: Grant.REGION,
    },
    Role.DEPARTMENT_OFFICIAL: {
        Action.VIEW: Grant.DEPARTMENT,
        Action.ADD: Grant.DEPARTMENT,
        Action.CHANGE: Grant.DEPARTMENT,
    },
    Role.ENTERPRISE: {
        Action.VIEW: Grant.PARTY,
        Action.ADD: Grant.PARTY,
        Action.CHANGE: Grant.PARTY,
    },
    Role.DRIVER: {Action.VIEW: Grant.PARTY},
    Role.GUIDE: {Action.VIEW: Grant.REGION, Action.ADD: Grant.REGION, Action.CHANGE: Grant.REGION},
    Role.PUBLIC: {Action.VIEW: Grant.PUBLIC},
}

# Roles that may change reference data (code lists, regions).
REFERENCE_EDITORS = {Role.ADMIN, Role.CITY_OFFICIAL}


@dataclass(frozen=True)
class Scope:
    """How a model's rows relate to regions, parties and streams.

    Paths are Django lookups from the model ("" means the row itself). Several paths
    are OR-ed: a party is in a county if it is registered there *or* has a site there.
    """

    region: tuple[str, ...] = ()
    party: tuple[str, ...] = ()
    stream: tuple[str, ...] = ()
    public: Q | None = None
    reference: bool = False
    party_can_write: bool = True
    multi_valued: bool = False
    # Rows about one stream without a stream column (household sorting is household waste):
    # the bureaus regulating that stream act on them, in their county if they have one.
    stream_code: str = ""
    # Sorting guides record deposits and inspections in their street; elsewhere they only read.
    guide_can_write: bool = False


def role_of(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Role.PUBLIC
    if actor.is_superuser:
        return Role.ADMIN
    return actor.role


def grant_for(actor, action: str) -> Grant:
    return GRANTS.get(role_of(actor), {}).get(action, Grant.NONE)


def scope_of(model: type[Model]) -> Scope:
    scope = getattr(model, "scope", None)
    if not isinstance(scope, Scope):
        raise TypeError(f"{model.__name__} declares no Scope; it cannot be restricted")
    return scope


def _join(path: str, rest: str) -> str:
    return f"{path}__{rest}" if path else rest


def _any(paths: tuple[str, ...], rest: str, value) -> Q:
    """OR of ``<path>__<rest>=value`` over ``paths`` (``rest`` alone for the row itself)."""
    return reduce(or_, (Q(**{_join(p, rest): value}) for p in paths))


def _subtree_ids(region) -> list[int]:
    """Ids of ``region`` and every region below it (a county: itself and its towns), cached
    on the instance; a list of a few dozen ids lets the database filter on the foreign-key
    column without joining the region table."""
    if not hasattr(region, "_subtree_ids"):
        region._subtree_ids = list(
            type(region)
            ._default_manager.filter(path__startswith=region.path)
            .values_list("pk", flat=True)
        )
    return region._subtree_ids


def _region_q(scope: Scope, region) -> Q | None:
    if region is None or not scope.region:
        return None
    return _any(scope.region, "pk__in", _subtree_ids(region))


def _department_q(scope: Scope, actor, action: str) -> Q | None:
    department = actor.department
    if department is None:
        return None
    if scope.stream_code:
        from wufei.registry.models import WasteStream

        code_ids = WasteStream.objects.filter(code=scope.stream_code).values_list("pk", flat=True)
        if not set(code_ids) & set(department.stream_ids()):
            return Q() if action == Action.VIEW else None
        q = Q()
    elif scope.stream:
        q = _any(scope.stream, "pk__in", department.stream_ids())
    elif action == Action.VIEW:
        q = Q()  # registry rows without a stream are shared reference for every bureau
    else:
        return None
    if actor.region_id:  # a county bureau: its streams, in its county
        region_q = _region_q(scope, actor.region)
        if region_q is None:
            return None
        q &= region_q
    return q


def scope_filter(model: type[Model], actor, action: str) -> Q | None:
    """The ``Q`` of rows ``actor`` may act on, or ``None`` for no rows at all."""
    scope = scope_of(model)
    role = role_of(actor)
    if scope.reference:
        if action == Action.VIEW or role in REFERENCE_EDITORS:
            return Q()
        return None
    grant = grant_for(actor, action)
    if role == Role.GUIDE and action != Action.VIEW and not scope.guide_can_write:
        return None
    if grant is Grant.ALL:
        return Q()
    if grant is Grant.REGION:
        return _region_q(scope, actor.region)
    if grant is Grant.DEPARTMENT:
        return _department_q(scope, actor, action)
    if grant is Grant.PARTY:
        if not scope.party or actor.party_id is None:
            return None
        if action != Action.VIEW and not scope.party_can_write:
            return None
        return _any(scope.party, "pk", actor.party_id)
    if grant is Grant.PUBLIC:
        return scope.public
    return None


def restrict(queryset: QuerySet, actor, action: str = Action.VIEW) -> QuerySet:
    """Only the rows of ``queryset`` that ``actor`` may ``action``."""
    q = scope_filter(queryset.model, actor, action)
    if q is None:
        return queryset.none()
    if not q:
        return queryset
    if scope_of(queryset.model).multi_valued:
        allowed = queryset.model._default_manager.filter(q).values("pk")
        return queryset.filter(pk__in=allowed)
    return queryset.filter(q)


def may(actor, action: str, model: type[Model]) -> bool:
    """Whether ``actor`` may ``action`` at least some rows of ``model`` (menus, buttons)."""
    return scope_filter(model, actor, action) is not None


def is_permitted(actor, action: str, obj: Model) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), actor, action).exists()


def ensure_permitted(actor: User | None, action: str, obj: Model) -> None:
    if not is_permitted(actor, action, obj):
        raise NotPermitted()
