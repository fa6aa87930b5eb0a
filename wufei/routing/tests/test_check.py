"""The independent checker: each rule caught with its code on a hand-made plan, and a correct
plan passes."""

from __future__ import annotations

from dataclasses import replace

from wufei.routing.solver.check import check
from wufei.routing.solver.problem import Unload, VehicleType
from wufei.routing.solver.timetable import evaluate
from wufei.routing.tests.solver_world import problem, stop

H = 3600


def _world(**lorry_kw):
    unloads = [
        Unload(key="plant", location=3, window=(6 * H, 18 * H), capacity=(100,)),
        Unload(key="other", location=4),
    ]
    kw = {
        "count": 1,
        "capacity": (100,),
        "depot": 0,
        "unloads": (0,),
        "max_trips": 2,
        "must_unload_at_end": True,
    } | lorry_kw
    stops = [stop("a", 1, 60), stop("b", 2, 60), stop("c", 2, 10, required=False, prize=5)]
    return problem(
        stops, [0, 1, 2, 3, 9], unloads=unloads, vehicle_types=[VehicleType(key="lorry", **kw)]
    )


def codes(p, routes, **kw):
    sol = evaluate(p, routes)
    for key, value in kw.items():
        setattr(sol, key, value)
    return {v.code for v in check(p, sol)}


GOOD = [(0, [("stop", 0), ("unload", 0), ("stop", 1), ("stop", 2), ("unload", 0)])]


def test_a_correct_plan_passes():
    p = _world()
    p = replace(p, unloads=[replace(p.unloads[0], capacity=(200,)), p.unloads[1]])
    assert codes(p, GOOD) == set()


def test_facility_capacity_across_routes():
    assert codes(_world(), GOOD) == {"facility_capacity"}  # 130 kg into 100 kg of room


def test_capacity_between_unloads():
    p = _world(max_trips=1)
    p = replace(p, unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]])
    route = [(0, [("stop", 0), ("stop", 1), ("stop", 2), ("unload", 0)])]
    assert codes(p, route) == {"capacity"}


def test_trips_and_allowed_unloads():
    p = _world(max_trips=1)
    route = [(0, [("stop", 0), ("unload", 0), ("stop", 1), ("stop", 2), ("unload", 1)])]
    assert codes(p, route) == {"trips", "unload_not_allowed"}


def test_must_end_empty():
    route = [(0, [("stop", 0), ("unload", 0), ("stop", 1), ("stop", 2)])]
    assert codes(_world(), route) == {"not_empty_at_end"}


def test_missed_repeated_and_unserved_list():
    p = _world()
    p = replace(p, unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]])
    route = [(0, [("stop", 1), ("stop", 1), ("unload", 0)])]
    assert codes(p, route) == {"missed", "repeated", "capacity"}
    lying = [(0, [("stop", 0), ("unload", 0), ("stop", 1), ("unload", 0)])]
    assert codes(p, lying, unserved=[]) == {"unserved_list", "cost_report"}


def test_fleet_size():
    p = _world()
    p = replace(p, unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]])
    two = [(0, [("stop", 0), ("unload", 0)]), (0, [("stop", 1), ("stop", 2), ("unload", 0)])]
    assert codes(p, two) == {"fleet"}


def test_windows_shift_and_duration():
    p = _world(max_duration_s=600)
    p = replace(
        p,
        stops=[replace(p.stops[0], window=(0, 5 * H)), *p.stops[1:]],
        unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]],
    )
    assert codes(p, GOOD) == {"window", "max_duration"}
    late = replace(p, vehicle_types=[replace(p.vehicle_types[0], shift=(6 * H, 6 * H + 60))])
    assert "shift" in codes(late, GOOD)


def test_facility_hours_and_release_against_a_timetable():
    p = _world()
    p = replace(p, unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]])
    sol = evaluate(p, GOOD)
    assert check(p, sol) == []
    unload_at = sol.routes[0].visits[1].start_s
    closed = replace(
        p, unloads=[replace(p.unloads[0], window=(unload_at + 1, 23 * H)), p.unloads[1]]
    )
    assert {v.code for v in check(closed, sol)} == {"facility_hours"}
    leave = sol.routes[0].start_s
    later = replace(p, stops=[replace(p.stops[0], release_s=leave + 1), *p.stops[1:]])
    assert {v.code for v in check(later, sol)} == {"release"}


def test_tampered_timetable_and_loads():
    p = _world()
    p = replace(p, unloads=[replace(p.unloads[0], capacity=None), p.unloads[1]])
    sol = evaluate(p, GOOD)
    route = sol.routes[0]
    first = route.visits[0]
    teleport = replace(
        first,
        arrive_s=first.arrive_s - 60,
        start_s=first.start_s - 60,
        depart_s=first.depart_s - 60,
    )
    route.visits[0] = teleport
    assert {v.code for v in check(p, sol)} == {"timetable"}
    route.visits[0] = replace(first, load_after=(0,))
    assert {v.code for v in check(p, sol)} == {"load_report"}
    route.visits[0] = first
    route.duration_s += 1
    assert {v.code for v in check(p, sol)} == {"duration_report"}
