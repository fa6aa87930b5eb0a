"""Our planning problem as PyVRP data, and PyVRP's answer back as our timetable.

Modelling (pyvrp 0.14):

* Locations and matrices are ours, unchanged: PyVRP clients and depots name a location by
  index, exactly as our stops, depots and unloads do, so no matrix is copied or reordered.
* PyVRP depots are our depots first (``0 .. len(depots)-1``), then one per unload. An unload
  is a PyVRP *reload depot* of every vehicle type allowed to use it, with its opening hours as
  the depot window and its ``service_s`` as the depot's service duration (PyVRP spends it at
  the start of the next trip, which is the same moment: emptying before leaving).
* Stops are PyVRP clients with their demand as *pickup* (collection: the load grows along a
  trip and is emptied at a reload depot), windows, service, release time, and prize / required.
* ``max_trips`` becomes ``max_reloads = max_trips - 1``.
* ``must_unload_at_end``: PyVRP ends a route at one fixed end depot per vehicle type, so the
  type's *end depot is its final facility* (the allowed unload closest to a round trip from the
  home depot), and the last leg facility -> home depot, which is the same for every route of
  that type, is folded into the type: its cost into ``fixed_cost``, its duration (plus the
  facility's service time) out of the latest end (``tw_late``) and the maximum duration
  (``shift_duration``). Arriving at the facility within its hours is the end depot's window.
* Costs: PyVRP wants integer unit costs per metre and per second; ours are per km and per
  hour. Everything is scaled by 3 600 000 (km x h) and divided by the gcd of all cost figures,
  so the solver's objective is exactly proportional to ours (the benchmark ends at 1 per unit).

Mapping back never trusts PyVRP's times: PyVRP gives only the order of visits, and
``timetable.evaluate`` re-simulates it on our matrices and computes loads, distance, duration
and cost itself (the same evaluation the baseline rounds and the benchmark use).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyvrp

from wufei.routing.solver.problem import Problem, VehicleType
from wufei.routing.solver.timetable import COST_SCALE, Step

MAX_INT = np.iinfo(np.int64).max


@dataclass(frozen=True)
class PyvrpProblem:
    """PyVRP data plus what is needed to read its solutions back."""

    data: pyvrp.ProblemData
    home_depots: int  # PyVRP depots below this index are ours; the rest are unloads
    end_unload: list[int | None]  # per vehicle type: the final facility, if any


def final_unload(problem: Problem, vt: VehicleType) -> int | None:
    """The facility a ``must_unload_at_end`` type finishes at: the allowed unload with the
    shortest depot -> facility -> depot loop (None for other types)."""
    if not vt.must_unload_at_end or not vt.unloads:
        return None
    home = problem.depots[vt.depot].location

    def loop(u: int) -> int:
        loc = problem.unloads[u].location
        return int(problem.distance[home][loc] + problem.distance[loc][home])

    return min(vt.unloads, key=lambda u: (loop(u), u))


def _cost_divisor(problem: Problem) -> int:
    figures = [p.prize * COST_SCALE for p in problem.stops]
    for vt in problem.vehicle_types:
        figures += [vt.cost_per_km * 3_600, vt.cost_per_hour * 1_000, vt.fixed_cost * COST_SCALE]
    return math.gcd(*figures) or 1


def to_pyvrp(problem: Problem) -> PyvrpProblem:
    """Build PyVRP's ProblemData for ``problem`` (see the module docstring)."""
    g = _cost_divisor(problem)
    n_depots = len(problem.depots)
    depots = [
        pyvrp.Depot(location=d.location, tw_early=d.window[0], tw_late=d.window[1])
        for d in problem.depots
    ]
    depots += [
        pyvrp.Depot(
            location=u.location,
            tw_early=u.window[0],
            tw_late=u.window[1],
            service_duration=u.service_s,
        )
        for u in problem.unloads
    ]
    clients = [
        pyvrp.Client(
            location=s.location,
            pickup=list(s.demand),
            delivery=[0] * len(s.demand),
            service_duration=s.service_s,
            tw_early=s.window[0],
            tw_late=s.window[1],
            release_time=s.release_s,
            prize=s.prize * COST_SCALE // g,
            required=s.required,
        )
        for s in problem.stops
    ]
    types = []
    ends: list[int | None] = []
    for vt in problem.vehicle_types:
        depot = problem.depots[vt.depot]
        early = max(vt.shift[0], depot.window[0])
        late = min(vt.shift[1], depot.window[1])
        max_duration = vt.max_duration_s if vt.max_duration_s is not None else MAX_INT
        fixed = vt.fixed_cost * COST_SCALE
        end = final_unload(problem, vt)
        end_depot = vt.depot
        if end is not None:
            unload = problem.unloads[end]
            back_d = int(problem.distance[unload.location][depot.location])
            back_t = unload.service_s + int(problem.duration[unload.location][depot.location])
            late -= back_t
            if max_duration != MAX_INT:
                max_duration -= back_t
            fixed += back_d * vt.cost_per_km * 3_600 + back_t * vt.cost_per_hour * 1_000
            end_depot = n_depots + end
        ends.append(end)
        types.append(
            pyvrp.VehicleType(
                num_available=vt.count,
                capacity=list(vt.capacity),
                start_depot=vt.depot,
                end_depot=end_depot,
                fixed_cost=fixed // g,
                tw_early=early,
                tw_late=max(late, early),
                shift_duration=max(max_duration, 0),
                unit_distance_cost=vt.cost_per_km * 3_600 // g,
                unit_duration_cost=vt.cost_per_hour * 1_000 // g,
                reload_depots=[n_depots + u for u in vt.unloads] if vt.max_trips > 1 else [],
                max_reloads=max(vt.max_trips - 1, 0),
                name=vt.key,
            )
        )
    n_loc = problem.distance.shape[0]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(n_loc)],
        clients=clients,
        depots=depots,
        vehicle_types=types,
        distance_matrices=[np.asarray(problem.distance, dtype=np.int64)],  # type: ignore[list-item]
        duration_matrices=[np.asarray(problem.duration, dtype=np.int64)],  # type: ignore[list-item]
    )
    return PyvrpProblem(data=data, home_depots=n_depots, end_unload=ends)


def sequences_from_pyvrp(
    model: PyvrpProblem, solution: pyvrp.Solution
) -> list[tuple[int, list[Step]]]:
    """Each PyVRP route as (vehicle type, our steps). PyVRP's schedule lists the start depot,
    reloads and end depot; reloads and a final facility (an unload as end depot) are our
    unload steps, home depots are not steps."""
    out = []
    for route in solution.routes():
        steps: list[Step] = []
        for act in route.schedule():
            if act.is_client():
                steps.append(("stop", act.idx))
            elif act.is_depot() and act.idx >= model.home_depots:
                steps.append(("unload", act.idx - model.home_depots))
        out.append((route.vehicle_type(), steps))
    return out
