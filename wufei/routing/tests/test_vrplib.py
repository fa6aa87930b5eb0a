"""The shipped benchmark instances read under the README's conventions, and every best-known
solution passes the independent checker at its published cost (which tests the checker)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from wufei.routing.solver.check import check
from wufei.routing.solver.timetable import evaluate
from wufei.routing.solver.vrplib_io import find_instances, read_instance

BENCH = Path(__file__).resolve().parents[3] / "bench" / "vrp"
PATHS = find_instances(BENCH)


def test_every_shipped_instance_is_found():
    assert {p.name for p in PATHS} == {
        "X-n101-k25.vrp",
        "X-n200-k36.vrp",
        "X-n1001-k43.vrp",
        "C101.txt",
        "C1_2_1.txt",
        "R101.100.20.vrptw",
        "C201R0.25.vrp",
    }


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_bks_is_feasible_at_its_published_cost(path):
    inst = read_instance(path)
    assert inst.bks is not None
    assert check(inst.problem, inst.bks) == []
    assert inst.bks.cost / inst.scale == pytest.approx(inst.bks_cost, abs=1e-9)


def test_conventions():
    cvrp = read_instance(BENCH / "cvrp" / "X-n101-k25.vrp")
    assert cvrp.problem.vehicle_types[0].count == 31  # ceil(1.2 * 25) + 1
    assert cvrp.scale == 1
    c101 = read_instance(BENCH / "vrptw" / "C101.txt")
    vt = c101.problem.vehicle_types[0]
    assert (vt.count, vt.capacity, c101.scale) == (25, (200,), 10)
    assert c101.problem.stops[0].service_s == 900  # 90 in tenths
    r101 = read_instance(BENCH / "vrptw" / "R101.100.20.vrptw")
    assert r101.problem.vehicle_types[0].count == 25  # Solomon's fleet, not LKH's 20 routes
    assert len(r101.bks.routes) == 20
    mt = read_instance(BENCH / "mtvrptwr" / "C201R0.25.vrp")
    assert mt.kind == "MTVRPTWR"
    assert mt.problem.vehicle_types[0].max_trips > 1
    assert sum(v.kind == "unload" for r in mt.bks.routes for v in r.visits) == 11


def _mt():
    return read_instance(BENCH / "mtvrptwr" / "C201R0.25.vrp")


def test_bks_without_reloads_breaks_capacity():
    inst = _mt()
    routes = [
        (0, [(v.kind, v.index) for v in r.visits if v.kind == "stop"]) for r in inst.bks.routes
    ]
    codes = {v.code for v in check(inst.problem, evaluate(inst.problem, routes))}
    assert "capacity" in codes


def test_bks_with_a_stop_dropped_misses_it():
    inst = read_instance(BENCH / "cvrp" / "X-n101-k25.vrp")
    route = inst.bks.routes[0]
    gone = route.visits[0].index
    seqs = [(0, [(v.kind, v.index) for v in r.visits]) for r in inst.bks.routes]
    seqs[0] = (0, seqs[0][1][1:])
    violations = check(inst.problem, evaluate(inst.problem, seqs))
    assert [(v.code, v.stop) for v in violations] == [("missed", gone)]


def test_bks_with_a_stop_twice_repeats_it():
    inst = read_instance(BENCH / "vrptw" / "C101.txt")
    seqs = [(0, [(v.kind, v.index) for v in r.visits]) for r in inst.bks.routes]
    extra = seqs[0][1][0]
    seqs[1] = (0, [*seqs[1][1], extra])
    codes = {v.code for v in check(inst.problem, evaluate(inst.problem, seqs))}
    assert "repeated" in codes


def test_bks_in_reverse_breaks_windows():
    inst = read_instance(BENCH / "vrptw" / "C101.txt")
    seqs = [(0, [(v.kind, v.index) for v in reversed(r.visits)]) for r in inst.bks.routes]
    codes = {v.code for v in check(inst.problem, evaluate(inst.problem, seqs))}
    assert "window" in codes


def test_misreported_distance_is_caught():
    inst = read_instance(BENCH / "vrptw" / "R101.100.20.vrptw")
    inst.bks.routes[3] = replace(inst.bks.routes[3], distance_m=inst.bks.routes[3].distance_m - 1)
    codes = {v.code for v in check(inst.problem, inst.bks)}
    assert codes == {"distance_report"}
