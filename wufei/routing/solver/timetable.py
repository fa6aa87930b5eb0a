"""A route's timetable and cost from the order of its visits: the one evaluation every
caller shares (the PyVRP path reading back a solution, the baseline of today's rounds, the
facility-capacity repair, the benchmark reading best-known solutions).

``evaluate(problem, [(vehicle_type, steps), ...])`` gives a full :class:`Solution`;
``timetable(problem, vehicle_type, steps)`` one :class:`Route`. A step is ``("stop", i)`` or
``("unload", u)``, indices into ``problem.stops`` and ``problem.unloads``; the depot is
implicit at both ends. Nothing here enforces windows, capacity or shifts: it says *when* the
order would run and *what it costs*; ``check.check`` judges whether that is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

from wufei.routing.solver.problem import Problem, Route, Solution, VehicleType, Visit

COST_SCALE = 3_600_000  # metres per km x seconds per hour: exact integer costs

Step = tuple[str, int]  # ("stop", stop index) or ("unload", unload index)


def route_cost(vt: VehicleType, distance_m: int, duration_s: int) -> int:
    """Fixed cost plus distance and time costs, rounded once to whole cost units."""
    variable = distance_m * vt.cost_per_km * 3_600 + duration_s * vt.cost_per_hour * 1_000
    return vt.fixed_cost + (variable + COST_SCALE // 2) // COST_SCALE


def timetable(problem: Problem, vehicle_type: int, steps: Sequence[Step]) -> Route:
    """Our timetable for a vehicle of ``vehicle_type`` visiting ``steps`` in order.

    Forward pass: leave as early as the shift, the depot and release times allow, wait for
    windows, giving the earliest end. Backward pass: the latest start of every step that still
    ends then, which removes waiting that merely starting later avoids (the duration is then
    the least this order allows). Windows are not enforced here: the checker judges them.
    """
    vt = problem.vehicle_types[vehicle_type]
    depot = problem.depots[vt.depot]
    dims = len(vt.capacity)
    places, opens, closes, services = [], [], [], []
    for kind, i in steps:
        item = problem.stops[i] if kind == "stop" else problem.unloads[i]
        places.append(item.location)
        opens.append(item.window[0])
        closes.append(item.window[1])
        services.append(item.service_s)
    home = depot.location
    n = len(steps)
    # release times bind the departure from the depot or unload that starts each trip
    trip_release = _trip_releases(problem, steps)
    start_open = max(vt.shift[0], depot.window[0], trip_release.get(-1, 0))

    # forward: earliest start of service at each step
    earliest = [0] * n
    prev_loc, prev_depart = home, start_open
    for k in range(n):
        arrive = prev_depart + int(problem.duration[prev_loc][places[k]])
        earliest[k] = max(arrive, opens[k])
        depart = earliest[k] + services[k]
        if steps[k][0] == "unload":
            depart = max(depart, trip_release.get(k, 0))
        prev_loc, prev_depart = places[k], depart
    end = prev_depart + int(problem.duration[prev_loc][home])

    # backward: latest start of service that keeps the end at `end`
    latest = [0] * n
    next_loc, next_start = home, end
    for k in range(n - 1, -1, -1):
        latest[k] = next_start - int(problem.duration[places[k]][next_loc]) - services[k]
        latest[k] = max(min(latest[k], closes[k]), earliest[k])
        next_loc, next_start = places[k], latest[k]
    first_travel = int(problem.duration[home][places[0]]) if n else 0
    start = max(start_open, latest[0] - first_travel) if n else start_open
    if not n:
        end = start

    visits: list[Visit] = []
    load = [0] * dims
    prev_loc, prev_depart = home, start
    distance = 0
    for k, (kind, i) in enumerate(steps):
        distance += int(problem.distance[prev_loc][places[k]])
        arrive = prev_depart + int(problem.duration[prev_loc][places[k]])
        begin = max(arrive, latest[k])
        depart = begin + services[k]
        if kind == "stop":
            load = [a + b for a, b in zip(load, problem.stops[i].demand, strict=True)]
        else:
            load = [0] * dims
            depart = max(depart, trip_release.get(k, 0))
        visits.append(Visit(kind, i, arrive, begin, depart, tuple(load)))
        prev_loc, prev_depart = places[k], depart
    distance += int(problem.distance[prev_loc][home])
    end = prev_depart + int(problem.duration[prev_loc][home])
    duration = end - start
    return Route(
        vehicle_type=vehicle_type,
        visits=visits,
        start_s=start,
        end_s=end,
        distance_m=distance,
        duration_s=duration,
        cost=route_cost(vt, distance, duration),
    )


def _trip_releases(problem: Problem, steps: Sequence[Step]) -> dict[int, int]:
    """Release time of each trip, keyed by the step that starts it (-1: the depot)."""
    out: dict[int, int] = {}
    key = -1
    for k, (kind, i) in enumerate(steps):
        if kind == "unload":
            key = k
        else:
            out[key] = max(out.get(key, 0), problem.stops[i].release_s)
    return out


def evaluate(problem: Problem, routes: Sequence[tuple[int, Sequence[Step]]]) -> Solution:
    """Our Solution for routes given as (vehicle type, steps); optional stops not visited are
    ``unserved`` and their prizes count in the cost (as in PyVRP's objective)."""
    built = [timetable(problem, vt, steps) for vt, steps in routes if steps]
    served = {i for r in built for v in r.visits if v.kind == "stop" for i in [v.index]}
    unserved = [i for i, s in enumerate(problem.stops) if not s.required and i not in served]
    lost = sum(problem.stops[i].prize for i in unserved)
    return Solution(
        routes=built,
        unserved=unserved,
        cost=sum(r.cost for r in built) + lost,
        distance_m=sum(r.distance_m for r in built),
    )
