"""Reads of route plans, scoped to the actor (officials their region and streams, transport
companies and their drivers their own vehicles' routes)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import NotFound
from wufei.routing.choices import PlanStatus
from wufei.routing.models import PlannedRoute, PlannedVisit, RoutePlan


def plan_list(*, actor) -> QuerySet[RoutePlan]:
    plans = RoutePlan.objects.select_related("stream", "county", "created_by")
    return restrict(plans, actor, Action.VIEW)


def plan_get(*, actor, pk: int) -> RoutePlan:
    plan = plan_list(actor=actor).filter(pk=pk).first()
    if plan is None:
        raise NotFound()
    return plan


def plan_routes(*, actor, plan: RoutePlan) -> QuerySet[PlannedRoute]:
    """The plan's routes the actor may see (a transporter: only its own vehicles')."""
    routes = plan.routes.select_related("vehicle", "vehicle__party").order_by("number")
    return restrict(routes, actor, Action.VIEW)


def route_get(*, actor, pk: int) -> PlannedRoute:
    routes = PlannedRoute.objects.select_related(
        "plan", "plan__stream", "plan__county", "vehicle", "vehicle__party"
    ).filter(pk=pk, plan__status=PlanStatus.PLANNED)
    route = restrict(routes, actor, Action.VIEW).first()
    if route is None:
        raise NotFound()
    return route


def route_visits(route: PlannedRoute) -> QuerySet[PlannedVisit]:
    return route.visits.select_related("site", "facility").order_by("seq")


def my_routes(*, actor, day: date) -> QuerySet[PlannedRoute]:
    """A driver's (or transport company's) routes of ``day`` in good plans, newest plan first."""
    routes = PlannedRoute.objects.select_related("plan", "plan__stream", "vehicle").filter(
        plan__day=day, plan__status=PlanStatus.PLANNED, vehicle__party_id=actor.party_id
    )
    return restrict(routes, actor, Action.VIEW).order_by("-plan__created_at", "number")
