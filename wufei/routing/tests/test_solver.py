"""The solver path on small problems: presolve refusals, multi-trip, final unload, windows,
optional stops, facility capacity, determinism, parallel seeds, and random problems."""

from __future__ import annotations

import random

import pytest

from wufei.routing.solver.check import check
from wufei.routing.solver.problem import Unload, VehicleType
from wufei.routing.solver.solve import facility_intake, presolve, solve
from wufei.routing.tests.solver_world import problem, stop

FAST = {"budget_s": 1.0, "seeds": 1, "workers": 1, "max_iterations": 300}


def test_plain_collection_round():
    p = problem([stop(f"s{i}", i, 30) for i in range(1, 7)], [0, 1, 2, 3, 4, 5, 6])
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    assert len(sol.routes) == 2  # 180 kg in 100 kg trucks
    assert sol.distance_m == 6_000 + 12_000  # the near three, then the far three


def test_presolve_sets_aside_what_nobody_can_serve():
    unloads = [Unload(key="plant", location=4)]
    lorry = VehicleType(
        key="lorry", count=2, capacity=(100,), depot=0, unloads=(0,), must_unload_at_end=True
    )
    stops = [
        stop("ok", 1, 50),
        stop("heavy", 2, 150),
        stop("too_early", 3, 10, window=(0, 3600)),  # the depot opens at 06:00
    ]
    p = problem(stops, [0, 1, 2, 30, 5], unloads=unloads, vehicle_types=[lorry])
    kept, refused = presolve(p)
    assert [s.key for s in kept.stops] == ["ok"]
    assert [(u.key, u.code) for u in refused] == [
        ("heavy", "demand_above_capacity"),
        ("too_early", "window_unreachable"),
    ]
    assert all(u.key in u.message for u in refused)
    sol = solve(kept, **FAST)
    assert check(kept, sol) == []


def test_presolve_no_facility():
    lorry = VehicleType(key="lorry", count=1, capacity=(100,), depot=0, must_unload_at_end=True)
    p = problem([stop("a", 1, 10)], [0, 1], vehicle_types=[lorry])
    kept, refused = presolve(p)
    assert kept.stops == []
    assert [u.code for u in refused] == ["no_facility"]


def test_presolve_window_needs_time_to_reach_the_plant_too():
    # the stop is reachable, but the plant closes before the lorry could get there
    unloads = [Unload(key="plant", location=2, window=(0, 7 * 3600))]
    lorry = VehicleType(
        key="lorry", count=1, capacity=(100,), depot=0, unloads=(0,), must_unload_at_end=True
    )
    p = problem(
        [stop("late", 1, 10, window=(8 * 3600, 9 * 3600))],
        [0, 1, 2],
        unloads=unloads,
        vehicle_types=[lorry],
    )
    _kept, refused = presolve(p)
    assert [u.code for u in refused] == ["window_unreachable"]


def test_multi_trip_reloads_one_lorry():
    unloads = [Unload(key="plant", location=3, service_s=600)]
    lorry = VehicleType(
        key="lorry",
        count=1,
        capacity=(100,),
        depot=0,
        unloads=(0,),
        max_trips=4,
        must_unload_at_end=True,
    )
    p = problem(
        [stop(f"s{i}", i, 60) for i in (1, 2, 4, 5)],
        [0, 1, 2, 3, 4, 5],
        unloads=unloads,
        vehicle_types=[lorry],
    )
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    (route,) = sol.routes
    assert [v.kind for v in route.visits].count("unload") == 4  # 60 kg each, 100 kg lorry
    assert route.visits[-1].kind == "unload" and route.visits[-1].load_after == (0,)


def test_trips_limit_is_respected():
    unloads = [Unload(key="plant", location=3)]
    lorry = VehicleType(
        key="lorry",
        count=2,
        capacity=(100,),
        depot=0,
        unloads=(0,),
        max_trips=2,
        must_unload_at_end=True,
    )
    p = problem(
        [stop(f"s{i}", i, 60) for i in (1, 2, 4, 5)],
        [0, 1, 2, 3, 4, 5],
        unloads=unloads,
        vehicle_types=[lorry],
    )
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    for route in sol.routes:
        assert sum(v.kind == "unload" for v in route.visits) <= 2


def test_final_unload_leg_is_in_distance_and_shift():
    unloads = [Unload(key="plant", location=2, service_s=900)]
    lorry = VehicleType(
        key="lorry",
        count=1,
        capacity=(100,),
        depot=0,
        unloads=(0,),
        must_unload_at_end=True,
        cost_per_km=2_000,
        cost_per_hour=60_000,
    )
    p = problem([stop("a", 1, 10)], [0, 1, 10], unloads=unloads, vehicle_types=[lorry])
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    (route,) = sol.routes
    assert route.distance_m == 1_000 + 9_000 + 10_000
    assert route.duration_s == 20 * 120 + 900
    assert route.cost == 20 * 2_000 + (20 * 120 + 900) * 60_000 // 3600


def test_windows_order_the_round():
    stops = [
        stop("evening", 1, 10, window=(18 * 3600, 19 * 3600)),
        stop("noon", 2, 10, window=(12 * 3600, 13 * 3600), service_s=300),
        stop("morning", 3, 10, window=(7 * 3600, 8 * 3600)),
    ]
    p = problem(
        stops,
        [0, 1, 2, 3],
        vehicle_types=[VehicleType(key="truck", count=1, capacity=(100,), depot=0)],
    )
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    assert [p.stops[v.index].key for v in sol.routes[0].visits] == ["morning", "noon", "evening"]
    # the lorry leaves as late as it can: no waiting before the first stop
    first = sol.routes[0].visits[0]
    assert first.arrive_s == first.start_s


def test_optional_stop_with_small_prize_waits():
    stops = [stop("near", 1, 10), stop("far", 2, 10, required=False, prize=1)]
    p = problem(stops, [0, 1, 50])
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    assert sol.unserved == [1]
    assert sol.cost == sum(r.cost for r in sol.routes) + 1


def test_facility_capacity_moves_loads_to_the_other_plant():
    unloads = [
        Unload(key="near_plant", location=3, capacity=(100,)),
        Unload(key="far_plant", location=4),
    ]
    lorry = VehicleType(
        key="lorry", count=3, capacity=(100,), depot=0, unloads=(0, 1), must_unload_at_end=True
    )
    p = problem(
        [stop(f"s{i}", 1 + i % 2, 80) for i in range(3)],
        [0, 1, 2, 3, 6],
        unloads=unloads,
        vehicle_types=[lorry],
    )
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    intake = facility_intake(p, sol)
    assert intake[0][0] <= 100
    assert intake[1][0] >= 140


def test_facility_capacity_leaves_optional_stops_when_full():
    unloads = [Unload(key="plant", location=3, capacity=(100,))]
    lorry = VehicleType(
        key="lorry", count=3, capacity=(100,), depot=0, unloads=(0,), must_unload_at_end=True
    )
    stops = [stop("must", 1, 80), stop("may", 2, 80, required=False, prize=10**6)]
    p = problem(stops, [0, 1, 2, 3], unloads=unloads, vehicle_types=[lorry])
    sol = solve(p, **FAST)
    assert check(p, sol) == []
    assert sol.unserved == [1]


def test_same_seed_and_iterations_repeat_exactly():
    p = problem([stop(f"s{i}", i, 20 + i) for i in range(1, 9)], [0, 3, 1, 4, 1, 5, 9, 2, 6])
    a = solve(p, **FAST)
    b = solve(p, **FAST)
    assert [r.visits for r in a.routes] == [r.visits for r in b.routes]


def test_parallel_seeds_keep_the_best():
    p = problem([stop(f"s{i}", i, 20 + i) for i in range(1, 9)], [0, 3, 1, 4, 1, 5, 9, 2, 6])
    sol = solve(p, budget_s=0.3, seeds=2, workers=2, seed=5)
    assert check(p, sol) == []
    assert sol.seed in (5, 6)
    assert sol.iterations > 0


def test_empty_problem():
    p = problem([], [0])
    assert solve(p, **FAST).routes == []


@pytest.mark.parametrize("seed", range(12))
def test_random_problems_solve_to_feasible_plans(seed):
    rng = random.Random(seed)
    n = rng.randint(3, 12)
    marks = [0.0] + [rng.uniform(-20, 20) for _ in range(n + 2)]
    unloads = [
        Unload(
            key=f"u{k}",
            location=n + 1 + k,
            service_s=rng.choice([0, 600]),
            window=(6 * 3600, 22 * 3600),
            capacity=rng.choice([None, (400,)]),
        )
        for k in range(2)
    ]
    types = [
        VehicleType(
            key="multi",
            count=rng.randint(1, 3),
            capacity=(100,),
            depot=0,
            unloads=(0, 1),
            max_trips=rng.randint(1, 3),
            must_unload_at_end=rng.random() < 0.7,
            max_duration_s=10 * 3600,
            cost_per_hour=rng.choice([0, 50_000]),
            fixed_cost=rng.choice([0, 100]),
        ),
        VehicleType(key="small", count=2, capacity=(60,), depot=0, shift=(7 * 3600, 18 * 3600)),
    ]
    stops = []
    for i in range(n):
        open_s = rng.choice([0, 8 * 3600, 13 * 3600])
        stops.append(
            stop(
                f"s{i}",
                i + 1,
                rng.randint(5, 90),
                service_s=rng.randint(0, 600),
                window=(open_s, open_s + rng.choice([3600, 4 * 3600, 86_400])),
                required=rng.random() < 0.8,
                prize=rng.randint(0, 50_000),
            )
        )
    p = problem(stops, marks, unloads=unloads, vehicle_types=types)
    kept, _refused = presolve(p)
    sol = solve(kept, budget_s=1.0, seeds=1, workers=1, seed=seed, max_iterations=200)
    violations = check(kept, sol)
    # the only thing a plan may be unable to respect is a facility too small for required waste
    required = sum(s.demand[0] for s in kept.stops if s.required)
    if required <= 400:
        assert violations == []
    else:
        assert {v.code for v in violations} <= {"facility_capacity", "missed"}
