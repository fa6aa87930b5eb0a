"""Route solver benchmark: the planner's solver path against OR-Tools on VRP instances.

    .venv/bin/python bench/routes.py                    # bench/vrp, budgets 10 and 60 s
    .venv/bin/python bench/routes.py --quick            # smoke: 1 s, two small instances
    .venv/bin/python bench/routes.py --instances DIR --budgets 10 --workers 1 --json out.json

Ours is ``wufei.routing.solver.solve.solve`` exactly as the planner calls it: ``--workers``
independent seeds in parallel processes, each for the whole wall budget, so it spends
workers x budget CPU seconds. OR-Tools (routing library, GUIDED_LOCAL_SEARCH, PATH_CHEAPEST_ARC
start) runs single process for the same wall budget. ``--workers 1`` gives a same-CPU
comparison. Every solution of both solvers goes through the independent checker; a plan
that fails it is shown as INVALID. OR-Tools is "n/a" on multi-trip (MTVRPTWR) instances:
modelling reloads there (depot copies as optional nodes with load resets) is a project of
its own. Gaps are to the best-known solution (BKS) under the README's conventions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")

import django  # noqa: E402

django.setup()

from wufei.routing.solver.check import check  # noqa: E402
from wufei.routing.solver.problem import Problem, Solution  # noqa: E402
from wufei.routing.solver.solve import solve  # noqa: E402
from wufei.routing.solver.timetable import Step, evaluate  # noqa: E402
from wufei.routing.solver.vrplib_io import Instance, find_instances, read_instance  # noqa: E402

QUICK = ("X-n101-k25.vrp", "C101.txt")


def ortools_solve(problem: Problem, budget_s: float) -> Solution | None:
    """OR-Tools routing with capacity and (when windows exist) a time dimension; None on
    multi-trip problems or when it finds nothing."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    vt = problem.vehicle_types[0]
    if len(problem.vehicle_types) != 1 or vt.max_trips > 1 or len(problem.depots) != 1:
        return None
    n = len(problem.stops) + 1
    locs = [problem.depots[0].location] + [s.location for s in problem.stops]
    dist = problem.distance[locs][:, locs].tolist()
    dur = problem.duration[locs][:, locs].tolist()
    service = [0] + [s.service_s for s in problem.stops]
    manager = pywrapcp.RoutingIndexManager(n, vt.count, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance_cb(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def demand_cb(i: int) -> int:
        node = manager.IndexToNode(i)
        return problem.stops[node - 1].demand[0] if node else 0

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + dur[a][b]

    transit = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    demand = routing.RegisterUnaryTransitCallback(demand_cb)
    routing.AddDimensionWithVehicleCapacity(demand, 0, [vt.capacity[0]] * vt.count, True, "load")
    horizon = max(s.window[1] for s in problem.stops)
    timed = any(s.window != problem.stops[0].window or s.service_s for s in problem.stops)
    if timed:
        horizon = max(horizon, problem.depots[0].window[1])
        time_idx = routing.RegisterTransitCallback(time_cb)
        routing.AddDimension(time_idx, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for node, s in enumerate(problem.stops, start=1):
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(*s.window)
        for v in range(vt.count):
            time_dim.CumulVar(routing.Start(v)).SetRange(*problem.depots[0].window)
            time_dim.CumulVar(routing.End(v)).SetRange(*problem.depots[0].window)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(budget_s * 1000))
    found = routing.SolveWithParameters(params)
    if found is None:
        return None
    routes: list[tuple[int, list[Step]]] = []
    for v in range(vt.count):
        index, steps = routing.Start(v), []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                steps.append(("stop", node - 1))
            index = found.Value(routing.NextVar(index))
        if steps:
            routes.append((0, steps))
    return evaluate(problem, routes)


def gap(cost: float | None, bks: float | None) -> float | None:
    return None if cost is None or not bks else round(100 * (cost / bks - 1), 2)


def run_one(inst: Instance, budget: float, workers: int, seeds: int) -> dict:
    t = time.monotonic()
    ours = solve(inst.problem, budget_s=budget, seeds=seeds, workers=workers)
    ours_wall = time.monotonic() - t
    ours_ok = not check(inst.problem, ours)
    t = time.monotonic()
    theirs = ortools_solve(inst.problem, budget)
    theirs_wall = time.monotonic() - t
    theirs_ok = theirs is not None and not check(inst.problem, theirs)
    ours_cost = ours.cost / inst.scale if ours_ok else None
    theirs_cost = theirs.cost / inst.scale if theirs_ok and theirs else None
    return {
        "instance": inst.name,
        "kind": inst.kind,
        "customers": len(inst.problem.stops),
        "budget_s": budget,
        "ours_workers": min(workers, seeds),
        "ours_cpu_budget_s": budget * seeds,
        "ours": ours_cost,
        "ours_valid": ours_ok,
        "ours_wall_s": round(ours_wall, 1),
        "ours_routes": len(ours.routes),
        "ours_gap_pct": gap(ours_cost, inst.bks_cost),
        "ortools": theirs_cost,
        "ortools_valid": theirs_ok if theirs is not None else None,
        "ortools_wall_s": round(theirs_wall, 1) if theirs is not None else None,
        "ortools_gap_pct": gap(theirs_cost, inst.bks_cost),
        "ratio": round(ours_cost / theirs_cost, 4) if ours_cost and theirs_cost else None,
        "bks": inst.bks_cost,
    }


def fmt(value: object, invalid: bool = False, digits: int = 1) -> str:
    if invalid:
        return "INVALID"
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=Path, default=ROOT / "bench" / "vrp")
    parser.add_argument("--budgets", default="10,60", help="seconds, comma separated")
    parser.add_argument("--workers", type=int, default=2, help="parallel seeds (ours)")
    parser.add_argument("--quick", action="store_true", help="1 s on two small instances")
    parser.add_argument("--json", type=Path, help="save the results here")
    args = parser.parse_args(argv)
    paths = find_instances(args.instances)
    budgets = [float(b) for b in args.budgets.split(",")]
    if args.quick:
        paths = [p for p in paths if p.name in QUICK]
        budgets = [1.0]
    seeds = max(args.workers, 1)
    print(
        f"ours: {seeds} seed(s) on {args.workers} process(es), CPU budget = {seeds} x wall; "
        "OR-Tools: 1 process (GLS), CPU budget = wall"
    )
    head = ("instance", "n", "budget", "ours", "gap%", "OR-Tools", "gap%", "ours/OR")
    print("{:<14}{:>6}{:>8}{:>11}{:>8}{:>11}{:>8}{:>9}".format(*head))
    results = []
    for path in paths:
        inst = read_instance(path)
        for budget in budgets:
            row = run_one(inst, budget, args.workers, seeds)
            results.append(row)
            print(
                "{:<14}{:>6}{:>8}{:>11}{:>8}{:>11}{:>8}{:>9}".format(
                    row["instance"][:14],
                    row["customers"],
                    f"{budget:g}s",
                    fmt(row["ours"], not row["ours_valid"]),
                    fmt(row["ours_gap_pct"], digits=2),
                    fmt(row["ortools"], row["ortools_valid"] is False),
                    fmt(row["ortools_gap_pct"], digits=2),
                    fmt(row["ratio"], digits=3),
                ),
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0 if all(r["ours_valid"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
