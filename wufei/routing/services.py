"""Writes of route planning: plan a stream's collection in a county for a day (build, presolve,
solve, check, compare with today's rounds, store), and read a driven route against its plan.

A plan the independent checker rejects is stored as failed with its violations and without
routes, so no page or driver ever sees it as a usable plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted, may
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.iot.models import GpsFix
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region, WasteStream
from wufei.routing.build import PlanContext, build_problem
from wufei.routing.choices import PlanStatus, PlanStream, VisitKind
from wufei.routing.models import PlannedRoute, PlannedVisit, Round, RoutePlan
from wufei.routing.solver.check import check
from wufei.routing.solver.problem import Problem, Route, Solution, Unplannable
from wufei.routing.solver.solve import presolve, solve_or_shed
from wufei.routing.solver.timetable import Step, timetable
from wufei.routing.travel import TravelProvider, default_provider, haversine_m, path_length_m

MAX_BUDGET_S = 600.0
ARRIVAL_RADIUS_M = 150.0


@dataclass(frozen=True)
class Baseline:
    cost: int
    distance_m: int
    duration_s: int
    routes: int


def _validated(stream: str, county: str | Region, budget_s: float) -> tuple[WasteStream, Region]:
    errors = []
    if stream not in PlanStream.values:
        errors.append(
            FieldError("stream", "unknown_stream", _("不支持规划该类废物：%(s)s。") % {"s": stream})
        )
    region = county if isinstance(county, Region) else Region.objects.filter(adcode=county).first()
    if region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.ZONE):
        errors.append(FieldError("county", "not_a_county", _("请指定县（市、区）的区划代码。")))
    if not 0 < budget_s <= MAX_BUDGET_S:
        errors.append(FieldError("budget_s", "bad_budget", _("求解时限应在 0–600 秒之间。")))
    if errors or region is None:
        raise Invalid(errors)
    return WasteStream.objects.get(code=stream), region


class _Probe(Exception):
    pass


def _ensure_may_plan(actor, stream, region, day: date) -> None:
    """Refuse before solving: the actor's right is checked on the plan row as it would be
    (written in a savepoint and rolled back), the same rule the stored plan is held to."""
    if not may(actor, Action.ADD, RoutePlan):
        raise NotPermitted()
    try:
        with transaction.atomic():
            probe = RoutePlan.objects.create(
                stream=stream, county=region, day=day, status=PlanStatus.FAILED, budget_s=0,
                travel="",
            )  # fmt: skip
            raise _Probe(is_permitted(actor, Action.ADD, probe))
    except _Probe as outcome:
        if not outcome.args[0]:
            raise NotPermitted() from None


def plan_routes(
    *,
    actor,
    stream: str,
    county: str | Region,
    day: date,
    budget_s: float = 10.0,
    travel: TravelProvider | None = None,
    seed: int = 1,
    max_iterations: int | None = None,
) -> RoutePlan:
    """Plan ``stream`` in ``county`` on ``day`` within ``budget_s`` seconds of solving and
    store the plan. ``actor`` None is the system (the command line). ``max_iterations``
    replaces the time budget by a count of search iterations, for plans that repeat exactly
    whatever the machine's speed or load (tests, benchmarks)."""
    waste_stream, region = _validated(stream, county, budget_s)
    if actor is not None:
        _ensure_may_plan(actor, waste_stream, region, day)
    travel = travel or default_provider()
    problem, context, unplannable = build_problem(waste_stream, region, day, travel=travel)
    problem, set_aside = presolve(problem)
    unplannable = [*unplannable, *set_aside]
    if problem.stops:
        problem, solution, shed = solve_or_shed(
            problem, budget_s=budget_s, seed=seed, max_iterations=max_iterations
        )
        unplannable += shed
        violations = check(problem, solution)
    else:
        solution, violations = Solution(routes=[]), []
    baseline = baseline_of(problem, context)
    with transaction.atomic():
        plan = _store(actor, problem, context, solution, violations, unplannable, baseline)
        plan.budget_s, plan.travel = budget_s, travel.name
        plan.save(update_fields=["budget_s", "travel"])
        if actor is not None:
            ensure_permitted(actor, Action.ADD, plan)
        log_change(
            actor=actor,
            obj=plan,
            action="create",
            data={"status": plan.status, "cost": plan.cost, "routes": len(solution.routes)},
        )
    return plan


COLLECTION_NAMES = {"lunch": gettext_noop("午间"), "dinner": gettext_noop("晚间")}


def _place_name(key: str, site_name: str) -> str:
    """``site:12:lunch`` → 「某某饭店（午间）」 for officials (the solver names stops by key)."""
    label = key.split(":")[2] if key.count(":") >= 2 else ""
    return (
        f"{site_name}（{_(COLLECTION_NAMES[label])}）" if label in COLLECTION_NAMES else site_name
    )


def _unplannable_rows(items: list[Unplannable], context: PlanContext) -> list[dict]:
    rows = []
    for item in items:
        site = context.stop_sites.get(item.key)
        if site is None and item.key.startswith("site:"):
            site = int(item.key.split(":")[1])
        message = item.message
        if site is not None and site in context.site_names:
            message = message.replace(item.key, _place_name(item.key, context.site_names[site]))
        rows.append({"key": item.key, "site": site, "code": item.code, "message": message})
    return rows


def _store(actor, problem, context, solution, violations, unplannable, baseline) -> RoutePlan:
    failed = bool(violations)
    served = {v.index for r in solution.routes for v in r.visits if v.kind == "stop"}
    plan = RoutePlan.objects.create(
        stream=context.stream,
        county=context.county,
        day=context.day,
        status=PlanStatus.FAILED if failed else PlanStatus.PLANNED,
        budget_s=0,
        travel="",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        stops_total=len(problem.stops) + len(unplannable),
        stops_served=len(served),
        cost=sum(r.cost for r in solution.routes),
        distance_m=sum(r.distance_m for r in solution.routes),
        duration_s=sum(r.duration_s for r in solution.routes),
        runtime_s=solution.runtime_s,
        baseline_cost=baseline.cost if baseline else None,
        baseline_distance_m=baseline.distance_m if baseline else None,
        baseline_duration_s=baseline.duration_s if baseline else None,
        unplannable=_unplannable_rows(unplannable, context),
        deferred=[
            {"key": problem.stops[i].key, "site": context.stop_sites[problem.stops[i].key]}
            for i in solution.unserved
        ],
        violations=[
            {"code": v.code, "message": v.message, "route": v.route, "stop": v.stop}
            for v in violations
        ],
    )
    if baseline and baseline.cost and not failed:
        saving = (baseline.cost - plan.cost) * 100 / baseline.cost
        plan.saving_pct = Decimal(saving).quantize(Decimal("0.01"))
        plan.save(update_fields=["saving_pct"])
    if not failed:
        _store_routes(plan, problem, context, solution)
    return plan


def _store_routes(plan: RoutePlan, problem: Problem, context: PlanContext, solution) -> None:
    free = {t: list(ids) for t, ids in enumerate(context.type_vehicles)}
    visits = []
    for number, route in enumerate(solution.routes, start=1):
        vehicle_id = free[route.vehicle_type].pop(0)
        depot = problem.depots[problem.vehicle_types[route.vehicle_type].depot]
        home = context.points[depot.location]
        path = [[home[1], home[0]]]
        profile = [[route.start_s, 0]]
        row = PlannedRoute.objects.create(
            plan=plan,
            vehicle_id=vehicle_id,
            number=number,
            start_at=context.at(route.start_s),
            end_at=context.at(route.end_s),
            distance_m=route.distance_m,
            duration_s=route.duration_s,
            cost=route.cost,
            trips=max(1, sum(1 for v in route.visits if v.kind == "unload")),
        )
        for seq, visit in enumerate(route.visits, start=1):
            visits.append(_visit(row, seq, visit, problem, context))
            place = visits[-1]
            path.append([place.lon, place.lat])
            profile.append([visit.depart_s, int(visit.load_after[0])])
        path.append([home[1], home[0]])
        profile.append([route.end_s, 0])
        row.path, row.load_profile = path, profile
        row.save(update_fields=["path", "load_profile"])
    PlannedVisit.objects.bulk_create(visits)


def _visit(route: PlannedRoute, seq: int, visit, problem: Problem, context) -> PlannedVisit:
    if visit.kind == "stop":
        stop = problem.stops[visit.index]
        item, site, facility = stop, context.stop_sites[stop.key], None
    else:
        item = problem.unloads[visit.index]
        site, facility = None, context.unload_facilities[visit.index]
    lat, lon = context.points[item.location]
    return PlannedVisit(
        route=route,
        seq=seq,
        kind=VisitKind.STOP if site else VisitKind.UNLOAD,
        site_id=site,
        facility_id=facility,
        lat=lat,
        lon=lon,
        arrive_at=context.at(visit.arrive_s),
        start_at=context.at(visit.start_s),
        depart_at=context.at(visit.depart_s),
        window_start=context.at(item.window[0]),
        window_end=context.at(item.window[1]),
        demand_kg=item.demand[0] if site else 0,
        load_after_kg=int(visit.load_after[0]),
        required=getattr(item, "required", True),
    )


# --- the baseline ----------------------------------------------------------------------------
def _nearest_unload(problem: Problem, vehicle_type: int, location: int) -> int:
    allowed = problem.vehicle_types[vehicle_type].unloads
    return min(allowed, key=lambda u: problem.distance[location][problem.unloads[u].location])


def round_steps(problem: Problem, vehicle_type: int, stops: list[int]) -> list[Step]:
    """The stops in the round's order, unloading at the nearest facility whenever the next
    stop would overflow the vehicle, and once at the end: how a driver runs it today."""
    capacity = problem.vehicle_types[vehicle_type].capacity
    load = [0] * len(capacity)
    steps: list[Step] = []
    location = problem.depots[problem.vehicle_types[vehicle_type].depot].location
    for index in stops:
        demand = problem.stops[index].demand
        if any(a + d > c for a, d, c in zip(load, demand, capacity, strict=True)) and steps:
            steps.append(("unload", _nearest_unload(problem, vehicle_type, location)))
            load = [0] * len(capacity)
        steps.append(("stop", index))
        load = [a + d for a, d in zip(load, demand, strict=True)]
        location = problem.stops[index].location
    if steps:
        steps.append(("unload", _nearest_unload(problem, vehicle_type, location)))
    return steps


def baseline_of(problem: Problem, context: PlanContext) -> Baseline | None:
    """Cost of today's fixed rounds on the same matrix and cost model as the plan; None when
    the county has no rounds for the stream (or nothing to plan)."""
    if not problem.stops or not problem.unloads:
        return None
    type_of = {v: t for t, ids in enumerate(context.type_vehicles) for v in ids}
    keys_of_site: dict[int, list[int]] = {}
    for index, stop in enumerate(problem.stops):
        keys_of_site.setdefault(context.stop_sites[stop.key], []).append(index)
    rounds = Round.objects.filter(
        county=context.county, stream=context.stream, is_active=True
    ).prefetch_related("stops")
    routes: list[Route] = []
    for round_ in rounds:
        vehicle_type = type_of.get(round_.vehicle_id)
        if vehicle_type is None:
            continue
        ordered = [i for s in round_.stops.all() for i in keys_of_site.get(s.site_id, [])]
        # windows in collection order: every lunch stop of the round, then every dinner stop
        ordered.sort(key=lambda i: problem.stops[i].window[0])
        if ordered:
            steps = round_steps(problem, vehicle_type, ordered)
            routes.append(timetable(problem, vehicle_type, steps))
    if not routes:
        return None
    return Baseline(
        cost=sum(r.cost for r in routes),
        distance_m=sum(r.distance_m for r in routes),
        duration_s=sum(r.duration_s for r in routes),
        routes=len(routes),
    )


# --- plan versus actual ----------------------------------------------------------------------
@dataclass(frozen=True)
class VisitActual:
    visit: PlannedVisit
    arrived_at: datetime | None
    missed: bool
    late_min: int


@dataclass(frozen=True)
class RouteActual:
    executed: bool  # any GPS fix of the vehicle that day
    visits: list[VisitActual]
    planned_km: float
    driven_km: float
    extra_km: float
    missed: int


def plan_vs_actual(route: PlannedRoute) -> RouteActual:
    """The vehicle's GPS fixes of the plan's day against the route: a stop is missed when no
    fix came within 150 m of it; lateness is the first such fix after the planned start;
    extra kilometres are the driven distance (fix to fix) beyond the planned."""
    day_start = timezone.make_aware(datetime.combine(route.plan.day, datetime.min.time()))
    fixes = list(
        GpsFix.objects.filter(
            vehicle_id=route.vehicle_id,
            measured_at__gte=day_start,
            measured_at__lt=day_start + timedelta(days=1),
        )
        .order_by("measured_at", "pk")
        .values_list("lat", "lon", "measured_at")
    )
    visits = list(route.visits.select_related("site", "facility").order_by("seq"))
    planned_km = route.distance_m / 1000
    if not fixes:
        rows = [VisitActual(v, None, v.kind == VisitKind.STOP, 0) for v in visits]
        return RouteActual(False, rows, planned_km, 0.0, 0.0, sum(r.missed for r in rows))
    points = [(lat, lon) for lat, lon, _at in fixes]
    driven_km = path_length_m(points) / 1000
    near = haversine_m(points, [(v.lat, v.lon) for v in visits])
    rows = []
    for column, visit in enumerate(visits):
        hits = np.flatnonzero(near[:, column] <= ARRIVAL_RADIUS_M)
        arrived = fixes[int(hits[0])][2] if hits.size else None
        late = 0
        if arrived is not None and arrived > visit.start_at:
            late = int((arrived - visit.start_at).total_seconds() // 60)
        rows.append(VisitActual(visit, arrived, arrived is None and visit.kind == "stop", late))
    return RouteActual(
        executed=True,
        visits=rows,
        planned_km=planned_km,
        driven_km=round(driven_km, 2),
        extra_km=round(max(0.0, driven_km - planned_km), 2),
        missed=sum(r.missed for r in rows),
    )
