"""Small hand-built planning problems for the solver and checker tests.

Locations sit on a line at the given kilometre marks; a lorry covers a kilometre in 120 s.
Location 0 is the depot."""

from __future__ import annotations

import numpy as np

from wufei.routing.solver.problem import Depot, Problem, Stop, Unload, VehicleType

KM_S = 120


def line(marks_km: list[float]) -> tuple[np.ndarray, np.ndarray]:
    pos = np.asarray(marks_km, dtype=float)
    distance = np.rint(np.abs(pos[:, None] - pos[None, :]) * 1000).astype(np.int64)
    return distance, distance * KM_S // 1000


def problem(
    stops: list[Stop],
    marks_km: list[float],
    *,
    unloads: list[Unload] | None = None,
    vehicle_types: list[VehicleType] | None = None,
) -> Problem:
    distance, duration = line(marks_km)
    types = vehicle_types or [VehicleType(key="truck", count=3, capacity=(100,), depot=0)]
    return Problem(
        depots=[Depot(key="depot", location=0, window=(6 * 3600, 20 * 3600))],
        stops=stops,
        unloads=unloads or [],
        vehicle_types=types,
        distance=distance,
        duration=duration,
        name="test",
    )


def stop(key: str, location: int, kg: int, **kw: object) -> Stop:
    return Stop(key=key, location=location, demand=(kg,), **kw)  # type: ignore[arg-type]
