"""Benchmark instances and their best-known solutions as our Problem and Solution.

Conventions are those of bench/vrp/README.md:

* CVRP (Uchoa X, ``.vrp``): Euclidean distance rounded to the nearest integer (TSPLIB nint);
  fleet ``ceil(1.2 k) + 1`` with k from the name; objective total distance.
* VRPTW (Solomon ``.txt``, LKH-3 ``.vrptw``) and MTVRPTWR (``.vrp``): DIMACS, distance = travel
  time = ``floor(10 * euclid) / 10``; we keep tenths as integers (``scale = 10``), so windows,
  service and release times are multiplied by 10 too. Fleet: Solomon's 25 for 100 customers,
  50 for Gehring-Homberger 200; MTVRPTWR as given, with unlimited reloads at the depot.

Distance and duration share one matrix and costs are 1 per unit (``cost_per_km = 1000``), so a
solution's cost is its total distance in instance units; divide by ``scale`` to compare with
the published value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from wufei.routing.solver.problem import Depot, Problem, Solution, Stop, Unload, VehicleType
from wufei.routing.solver.timetable import Step, evaluate

SOLOMON_FLEET = {100: 25, 200: 50, 400: 100, 600: 150, 800: 200, 1000: 250}
INSTANCE_SUFFIXES = (".vrp", ".txt", ".vrptw")


@dataclass
class Instance:
    name: str
    kind: str  # "CVRP" | "VRPTW" | "MTVRPTWR"
    problem: Problem
    scale: int  # divide costs by this to get the published units
    bks: Solution | None  # best-known solution, read from its file, when shipped
    bks_cost: float | None  # as published (instance units)


def find_instances(folder: Path) -> list[Path]:
    """Every instance file under ``folder``, sorted (solutions are found next to them)."""
    return sorted(p for p in folder.rglob("*") if p.suffix in INSTANCE_SUFFIXES)


def _euclid(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :].astype(float) - coords[None, :, :].astype(float)
    return np.sqrt((diff**2).sum(axis=2))


def _dimacs(coords: np.ndarray) -> np.ndarray:
    return np.floor(10 * _euclid(coords) + 1e-9).astype(np.int64)


def _nint(coords: np.ndarray) -> np.ndarray:
    return np.floor(_euclid(coords) + 0.5).astype(np.int64)


def _problem(
    name: str,
    matrix: np.ndarray,
    demand: np.ndarray,
    capacity: int,
    vehicles: int,
    *,
    windows: np.ndarray | None = None,
    service: np.ndarray | None = None,
    release: np.ndarray | None = None,
    reloads: bool = False,
) -> Problem:
    n = len(demand)
    win = [(int(a), int(b)) for a, b in windows] if windows is not None else [(0, 10**12)] * n
    svc = service if service is not None else np.zeros(n, dtype=np.int64)
    rel = release if release is not None else np.zeros(n, dtype=np.int64)
    stops = [
        Stop(
            key=str(i),
            location=i,
            demand=(int(demand[i]),),
            service_s=int(svc[i]),
            window=win[i],
            release_s=int(rel[i]),
        )
        for i in range(1, n)
    ]
    unloads = [Unload(key="depot", location=0, window=win[0])] if reloads else []
    vt = VehicleType(
        key="truck",
        count=vehicles,
        capacity=(int(capacity),),
        depot=0,
        shift=win[0],
        unloads=(0,) if reloads else (),
        max_trips=n if reloads else 1,
    )
    return Problem(
        depots=[Depot(key="depot", location=0, window=win[0])],
        stops=stops,
        unloads=unloads,
        vehicle_types=[vt],
        distance=matrix,
        duration=matrix,
        dimensions=("demand",),
        name=name,
    )


def read_instance(path: Path) -> Instance:
    """Read one instance file and, if present beside it, its best-known solution."""
    if path.suffix == ".txt":
        raw = vrplib.read_instance(path, instance_format="solomon")
        kind = "VRPTW"
    else:
        raw = vrplib.read_instance(path, compute_edge_weights=False)
        kind = str(raw.get("type", "CVRP")).upper()
        kind = "VRPTW" if kind == "CVRPTW" else kind
    name = str(raw.get("name", path.stem)).strip()
    coords = np.asarray(raw["node_coord"])
    demand = np.asarray(raw["demand"], dtype=np.int64)
    customers = len(demand) - 1
    if kind == "CVRP":
        named = re.search(r"-k(\d+)", name)
        k = int(named.group(1)) if named else customers
        problem = _problem(name, _nint(coords), demand, raw["capacity"], math.ceil(1.2 * k) + 1)
        scale = 1
    else:
        service = np.broadcast_to(np.asarray(raw.get("service_time", 0)), demand.shape).copy()
        service[0] = 0
        fleet = int(raw["vehicles"]) if kind == "MTVRPTWR" else SOLOMON_FLEET.get(customers, 25)
        problem = _problem(
            name,
            _dimacs(coords),
            demand,
            raw["capacity"],
            fleet,
            windows=np.asarray(raw["time_window"], dtype=np.int64) * 10,
            service=(service * 10).astype(np.int64),
            release=np.asarray(raw.get("release_time", np.zeros(len(demand))), dtype=np.int64) * 10,
            reloads=kind == "MTVRPTWR",
        )
        scale = 10
    bks, bks_cost = _read_bks(path, problem)
    return Instance(name=name, kind=kind, problem=problem, scale=scale, bks=bks, bks_cost=bks_cost)


def _read_bks(path: Path, problem: Problem) -> tuple[Solution | None, float | None]:
    sol_path = path.with_suffix(".sol")
    if sol_path.exists():
        raw = vrplib.read_solution(sol_path)
        cost = float(raw["cost"])
        if problem.unloads:  # MTVRPTWR files state the DIMACS cost in tenths
            cost /= 10
        return read_routes(problem, raw["routes"]), cost
    tours = sorted(path.parent.glob(f"{path.stem}.*.tour"))
    if tours:
        text = tours[0].read_text()
        stated = re.search(r"Cost = \d+_(\d+)", text)
        return read_tour(problem, text), (int(stated.group(1)) / 10 if stated else None)
    return None, None


def read_routes(problem: Problem, routes: list[list[int]]) -> Solution:
    """VRPLIB routes (customers numbered by location, 0 = a reload at the depot)."""
    seqs: list[tuple[int, list[Step]]] = []
    for route in routes:
        steps: list[Step] = [("unload", 0) if c == 0 else ("stop", int(c) - 1) for c in route]
        seqs.append((0, steps))
    return evaluate(problem, seqs)


def read_tour(problem: Problem, text: str) -> Solution:
    """An LKH-3 tour: node 1 is the depot, nodes above n+1 are depot copies between routes,
    node k is customer k-1."""
    body = text.split("TOUR_SECTION", 1)[1].split()
    nodes = [int(t) for t in body if t.lstrip("-").isdigit()]
    n = len(problem.stops) + 1
    routes: list[list[int]] = [[]]
    for node in nodes:
        if node == -1:
            break
        if node == 1 or node > n:
            routes.append([])
        else:
            routes[-1].append(node - 1)
    return read_routes(problem, [r for r in routes if r])
