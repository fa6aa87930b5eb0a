"""The planner's solver path: set aside what cannot be planned, solve with PyVRP on both cores,
and make the plan respect what PyVRP does not model (facilities' remaining daily capacity).

``presolve`` first (it renumbers stops; keys are kept, so callers map results back by key),
then ``solve`` on the problem it returns, then ``check.check`` on the same problem. A city
plan uses ``solve_or_shed``: when the fleet cannot serve every required stop (or the budget
was too short to find how), it names the stops left out instead of returning a plan that
breaks windows or shifts.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import pyvrp
from django.utils.translation import gettext as _
from pyvrp.stop import MaxIterations, MaxRuntime

from wufei.routing.solver.check import check
from wufei.routing.solver.problem import (
    Problem,
    Route,
    Solution,
    Stop,
    Unplannable,
    VehicleType,
)
from wufei.routing.solver.pyvrp_model import sequences_from_pyvrp, to_pyvrp
from wufei.routing.solver.timetable import Step, evaluate, route_cost, timetable

# Violations that make one route impossible to drive (as opposed to plan-wide ones).
ROUTE_RULES = frozenset(
    {
        "window",
        "facility_hours",
        "shift",
        "depot_hours",
        "max_duration",
        "release",
        "capacity",
        "trips",
        "timetable",
        "unload_not_allowed",
        "not_empty_at_end",
    }
)


# ---------------------------------------------------------------------------------------------
# presolve


def presolve(problem: Problem) -> tuple[Problem, list[Unplannable]]:
    """The problem without the stops nobody can serve, and why each was set aside.

    A stop is refused when its demand exceeds every vehicle type's capacity in some dimension
    (``demand_above_capacity``), when every type that could carry it must unload at a facility
    and has none it may use (``no_facility``), or when no such type can reach it inside its
    window from the depot and still be back (via a facility if it must unload) within its
    shift and maximum duration (``window_unreachable``).
    """
    kept: list[Stop] = []
    refused: list[Unplannable] = []
    for stop in problem.stops:
        reason = _refusal(problem, stop)
        if reason is None:
            kept.append(stop)
        else:
            refused.append(Unplannable(key=stop.key, code=reason[0], message=reason[1]))
    return replace(problem, stops=kept), refused


def _refusal(problem: Problem, stop: Stop) -> tuple[str, str] | None:
    carriers = [
        vt
        for vt in problem.vehicle_types
        if vt.count > 0 and all(d <= c for d, c in zip(stop.demand, vt.capacity, strict=True))
    ]
    if not carriers:
        return "demand_above_capacity", _("收运点 %(key)s 的收运量超过所有车型的额定容量。") % {
            "key": stop.key
        }
    with_facility = [vt for vt in carriers if vt.unloads or not vt.must_unload_at_end]
    if not with_facility:
        return "no_facility", _("没有可接收收运点 %(key)s 所产废物的处理设施。") % {"key": stop.key}
    if not any(_reachable(problem, vt, stop) for vt in with_facility):
        return "window_unreachable", _(
            "收运点 %(key)s 的时间窗内没有车辆能从车场赶到并按时收车。"
        ) % {"key": stop.key}
    return None


def _reachable(problem: Problem, vt: VehicleType, stop: Stop) -> bool:
    """Can a vehicle of ``vt`` serve ``stop`` alone and get home in time?"""
    depot = problem.depots[vt.depot]
    home, here = depot.location, stop.location
    leave = max(vt.shift[0], depot.window[0], stop.release_s)
    travel = int(problem.duration[home][here])
    begin = max(leave + travel, stop.window[0])
    if begin > stop.window[1]:
        return False
    leave = max(leave, begin - travel)  # start later rather than wait
    ends = [begin + stop.service_s + int(problem.duration[here][home])]
    if vt.must_unload_at_end:
        ends = []
        for u in vt.unloads:
            unload = problem.unloads[u]
            at = begin + stop.service_s + int(problem.duration[here][unload.location])
            start_u = max(at, unload.window[0])
            if start_u <= unload.window[1]:
                ends.append(
                    start_u + unload.service_s + int(problem.duration[unload.location][home])
                )
    latest = min(vt.shift[1], depot.window[1])
    limit = vt.max_duration_s
    return any(end <= latest and (limit is None or end - leave <= limit) for end in ends)


# ---------------------------------------------------------------------------------------------
# solve


@dataclass(frozen=True)
class _Run:
    seed: int
    cost: float  # PyVRP's objective; inf when infeasible
    solution: pyvrp.Solution
    iterations: int


def _run_seed(
    data: pyvrp.ProblemData, seed: int, budget_s: float, max_iterations: int | None
) -> _Run:
    stop = MaxIterations(max_iterations) if max_iterations is not None else MaxRuntime(budget_s)
    result = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    return _Run(seed, result.cost(), result.best, result.num_iterations)


def _best_run(
    data: pyvrp.ProblemData,
    seeds: Sequence[int],
    budget_s: float,
    workers: int,
    max_iterations: int | None,
) -> _Run:
    if workers <= 1 or len(seeds) <= 1:
        runs = [_run_seed(data, s, budget_s, max_iterations) for s in seeds]
    else:
        # fork: the child needs no imports or Django setup, and starts in milliseconds
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(seeds)), mp_context=ctx) as pool:
            futures = [pool.submit(_run_seed, data, s, budget_s, max_iterations) for s in seeds]
            runs = [f.result() for f in futures]
    return min(runs, key=lambda r: (r.cost, r.seed))  # ties go to the lowest seed: deterministic


def solve(
    problem: Problem,
    *,
    budget_s: float,
    seeds: int = 2,
    workers: int = 2,
    seed: int = 1,
    max_iterations: int | None = None,
) -> Solution:
    """Plan ``problem`` (presolved) in ``budget_s`` seconds of wall time per seed.

    Seeds ``seed .. seed + seeds - 1`` run as independent processes (``workers`` at a time) and
    the best plan is kept. A time budget makes results depend on machine speed; pass
    ``max_iterations`` instead for runs that repeat exactly. Facility capacity is then enforced
    by ``respect_facility_capacity`` (a second solve may take another budget).
    """
    started = time.monotonic()
    if not problem.stops:
        return Solution(routes=[], seed=seed)
    run = _solve_once(problem, budget_s, seeds, workers, seed, max_iterations)
    solution = respect_facility_capacity(
        problem,
        run[0],
        resolve=lambda p: _solve_once(p, budget_s, seeds, workers, seed, max_iterations)[0],
    )
    solution.runtime_s = time.monotonic() - started
    solution.iterations = run[1]
    solution.seed = run[2]
    return solution


def _solve_once(
    problem: Problem,
    budget_s: float,
    seeds: int,
    workers: int,
    seed: int,
    max_iterations: int | None,
) -> tuple[Solution, int, int]:
    model = to_pyvrp(problem)
    best = _best_run(model.data, range(seed, seed + seeds), budget_s, workers, max_iterations)
    solution = evaluate(problem, sequences_from_pyvrp(model, best.solution))
    return solution, best.iterations, best.seed


# ---------------------------------------------------------------------------------------------
# when no plan serves every required stop


def _breaks_a_route(problem: Problem, solution: Solution) -> bool:
    return any(v.code in ROUTE_RULES or v.code == "missed" for v in check(problem, solution))


def shed_prize(problem: Problem) -> int:
    """A prize above what serving any one stop can cost: a new vehicle's fixed cost plus the
    longest detour there and back, at any hour of the shift. With it, the solver drops a
    required stop only when no feasible plan serves it."""
    far_m = int(problem.distance.max()) * 2 if problem.distance.size else 0
    far_s = int(problem.duration.max()) * 2 if problem.duration.size else 0
    worst = 0
    for vt in problem.vehicle_types:
        shift_s = vt.shift[1] - vt.shift[0]
        worst = max(worst, vt.fixed_cost + route_cost(vt, far_m, far_s + shift_s))
    return 2 * worst + 1


def solve_or_shed(
    problem: Problem,
    *,
    budget_s: float,
    seeds: int = 2,
    workers: int = 2,
    seed: int = 1,
    max_iterations: int | None = None,
) -> tuple[Problem, Solution, list[Unplannable]]:
    """``solve``, and when its best plan still breaks a route rule (windows, shift, capacity)
    or misses a required stop, solve again with every required stop made optional at
    ``shed_prize``: the plan then serves all it can, and the required stops it leaves out are
    set aside as ``fleet_short`` (the fleet cannot serve them in their windows and shifts, or
    the budget was too short to find how). Returns the problem the plan answers (without the
    shed stops), the plan, and the shed stops; the caller checks the plan against that problem.
    Worst case it takes two budgets.
    """

    def run(p: Problem) -> Solution:
        return solve(p, budget_s=budget_s, seeds=seeds, workers=workers, seed=seed,
                     max_iterations=max_iterations)  # fmt: skip

    solution = run(problem)
    if not problem.stops or not _breaks_a_route(problem, solution):
        return problem, solution, []
    prize = shed_prize(problem)
    relaxed = replace(
        problem,
        stops=[replace(s, required=False, prize=prize) if s.required else s for s in problem.stops],
    )
    second = run(relaxed)
    if _breaks_a_route(relaxed, second):
        return problem, solution, []  # not even a partial plan: the checker will say why
    served = {v.index for r in second.routes for v in r.visits if v.kind == "stop"}
    shed = [i for i, s in enumerate(problem.stops) if s.required and i not in served]
    kept = [i for i in range(len(problem.stops)) if i not in set(shed)]
    renumber = {old: new for new, old in enumerate(kept)}
    smaller = replace(problem, stops=[problem.stops[i] for i in kept])
    routes = [
        (r.vehicle_type, [(k, renumber[i] if k == "stop" else i) for k, i in _steps(r)])
        for r in second.routes
    ]
    final = evaluate(smaller, routes)
    final.runtime_s = solution.runtime_s + second.runtime_s
    final.iterations, final.seed = second.iterations, second.seed
    message = _(
        "现有车辆无法在收运点 %(key)s 的时间窗和班次内完成收运（或在求解时限内未找到安排），"
        "请增派车辆、延长求解时限或调整收运时间。"
    )
    unplannable = [
        Unplannable(
            key=problem.stops[i].key,
            code="fleet_short",
            message=message % {"key": problem.stops[i].key},
        )
        for i in shed
    ]
    return smaller, final, unplannable


# ---------------------------------------------------------------------------------------------
# facility capacity


def facility_intake(problem: Problem, solution: Solution) -> dict[int, list[int]]:
    """What each unload receives across all routes, per dimension."""
    intake: dict[int, list[int]] = {}
    for route in solution.routes:
        before = [0] * len(problem.vehicle_types[route.vehicle_type].capacity)
        for v in route.visits:
            if v.kind == "unload":
                got = intake.setdefault(v.index, [0] * len(before))
                intake[v.index] = [a + b for a, b in zip(got, before, strict=True)]
            before = list(v.load_after)
    return intake


def overloaded(problem: Problem, solution: Solution) -> dict[int, list[int]]:
    """Unloads receiving more than their remaining capacity, with the excess per dimension."""
    out = {}
    for u, amounts in facility_intake(problem, solution).items():
        cap = problem.unloads[u].capacity
        if cap is not None:
            excess = [max(a - c, 0) for a, c in zip(amounts, cap, strict=False)]
            if any(excess):
                out[u] = excess
    return out


def respect_facility_capacity(
    problem: Problem, solution: Solution, *, resolve: Callable[[Problem], Solution]
) -> Solution:
    """Bring every facility within its remaining capacity, least disruptive step first:

    1. move single unload visits to another allowed facility with room (route re-timed and
       kept only if still feasible);
    2. solve again with the full facility closed to the vehicle types that have another one;
    3. leave optional stops that fill it for another day.

    If required waste alone exceeds what the facilities can still take, the plan keeps the
    excess and the checker reports ``facility_capacity``: no plan could respect it.
    """
    if not overloaded(problem, solution):
        return solution
    solution = _move_unloads(problem, solution)
    over = overloaded(problem, solution)
    if over:
        narrowed = _close_full_facilities(problem, set(over))
        if narrowed is not None:
            second = _move_unloads(problem, resolve(narrowed))
            if sum(map(sum, overloaded(problem, second).values())) < sum(map(sum, over.values())):
                solution = second
    if overloaded(problem, solution):
        solution = _drop_optional(problem, solution)
    return solution


def _route_ok(problem: Problem, route: Route) -> bool:
    probe = Solution(routes=[route], cost=route.cost, distance_m=route.distance_m)
    return not any(v.code in ROUTE_RULES for v in check(problem, probe))


def _steps(route: Route) -> list[Step]:
    return [(v.kind, v.index) for v in route.visits]


def _rebuild(problem: Problem, routes: Sequence[Route]) -> Solution:
    return evaluate(problem, [(r.vehicle_type, _steps(r)) for r in routes])


def _move_unloads(problem: Problem, solution: Solution) -> Solution:
    routes = list(solution.routes)
    for u in sorted(overloaded(problem, solution)):
        for r, route in enumerate(routes):
            vt = problem.vehicle_types[route.vehicle_type]
            for k, visit in enumerate(route.visits):
                if u not in overloaded(problem, _rebuild(problem, routes)):
                    break
                if visit.kind != "unload" or visit.index != u:
                    continue
                for alt in vt.unloads:
                    if alt == u:
                        continue
                    steps = _steps(routes[r])
                    steps[k] = ("unload", alt)
                    candidate = timetable(problem, route.vehicle_type, steps)
                    trial = [*routes[:r], candidate, *routes[r + 1 :]]
                    if _route_ok(problem, candidate) and alt not in overloaded(
                        problem, _rebuild(problem, trial)
                    ):
                        routes = trial
                        break
            if u not in overloaded(problem, _rebuild(problem, routes)):
                break
    return _rebuild(problem, routes)


def _close_full_facilities(problem: Problem, full: set[int]) -> Problem | None:
    """The problem with full facilities removed from the types that have an alternative;
    None when no type has one (a second solve would change nothing)."""
    changed = False
    types = []
    for vt in problem.vehicle_types:
        rest = tuple(u for u in vt.unloads if u not in full)
        if rest and len(rest) < len(vt.unloads):
            vt = replace(vt, unloads=rest)
            changed = True
        types.append(vt)
    return replace(problem, vehicle_types=types) if changed else None


def _drop_optional(problem: Problem, solution: Solution) -> Solution:
    """Leave optional stops delivered to overloaded facilities for another day, lowest prize
    per unit of load first, until each fits (or only required stops remain)."""
    routes = list(solution.routes)
    while over := overloaded(problem, _rebuild(problem, routes)):
        options = []
        for r, route in enumerate(routes):
            trip: list[int] = []
            for k, v in enumerate(route.visits):
                if v.kind == "stop" and not problem.stops[v.index].required:
                    trip.append(k)
                elif v.kind == "unload":
                    if v.index in over:
                        options += [(r, k) for k in trip]
                    trip = []
        if not options:
            break

        def value(item: tuple[int, int]) -> tuple[float, int, int]:
            stop = problem.stops[routes[item[0]].visits[item[1]].index]
            return (stop.prize / max(sum(stop.demand), 1), item[0], item[1])

        r, k = min(options, key=value)
        steps = _steps(routes[r])
        del steps[k]
        if any(kind == "stop" for kind, _i in steps):
            routes[r] = timetable(problem, routes[r].vehicle_type, steps)
        else:
            routes.pop(r)
    return _rebuild(problem, routes)
