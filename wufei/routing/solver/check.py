"""An independent feasibility checker for route plans.

It shares nothing with the solver path but the problem's dataclasses: no PyVRP, no code from
``pyvrp_model``. It takes the reported timetable of each route and verifies it is physically
possible on the problem's own matrices (arrival = departure + travel time, service after
arrival and inside the window, departure after service), then checks every rule of the plan:
stops served exactly once (optional ones at most once, the rest listed as unserved), capacity
per dimension between unloads, windows of stops, facility hours, depot hours, shift window and
maximum duration, trips per vehicle, allowed unloads only, release times, empty at the end for
types that must unload last, each facility's remaining capacity across all routes, vehicles
per type, and that the reported distance, duration and cost equal the recomputation.

Cost convention: a route costs ``fixed_cost + round(km x cost_per_km + h x cost_per_hour)``
(half up, once per route); a plan costs its routes plus the prizes of optional stops left
unserved (what serving them would have earned).
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from django.utils.translation import gettext as _

from wufei.routing.solver.problem import Problem, Route, Solution, VehicleType, Violation


def expected_route_cost(vt: VehicleType, distance_m: int, duration_s: int) -> int:
    variable = Fraction(distance_m * vt.cost_per_km, 1000) + Fraction(
        duration_s * vt.cost_per_hour, 3600
    )
    return vt.fixed_cost + int(variable + Fraction(1, 2))  # half up; variable is never negative


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every rule the plan breaks; an empty list means the plan is feasible and honest."""
    out: list[Violation] = []
    served: Counter[int] = Counter()
    intake: dict[int, list[int]] = {}
    per_type: Counter[int] = Counter()
    for r, route in enumerate(solution.routes):
        if not 0 <= route.vehicle_type < len(problem.vehicle_types):
            out.append(Violation("vehicle_type", _("路线使用了不存在的车型。"), route=r))
            continue
        per_type[route.vehicle_type] += 1
        out += _check_route(problem, r, route, served, intake)
    out += _check_fleet(problem, per_type)
    out += _check_stops(problem, solution, served)
    out += _check_facilities(problem, intake)
    out += _check_totals(problem, solution)
    return out


def _check_route(
    problem: Problem,
    r: int,
    route: Route,
    served: Counter[int],
    intake: dict[int, list[int]],
) -> list[Violation]:
    out: list[Violation] = []
    vt = problem.vehicle_types[route.vehicle_type]
    depot = problem.depots[vt.depot]
    dims = len(vt.capacity)

    def bad(code: str, message: str, stop: int | None = None) -> None:
        out.append(Violation(code, message, route=r, stop=stop))

    if route.start_s < vt.shift[0]:
        bad("shift", _("出车时间早于班次开始。"))
    if route.start_s < depot.window[0]:
        bad("depot_hours", _("出车时间早于车场开放时间。"))
    load = [0] * dims
    loc, depart = depot.location, route.start_s
    trip_start, trip_release, trips = route.start_s, 0, 1
    distance = 0
    for k, visit in enumerate(route.visits):
        is_stop = visit.kind == "stop"
        items = problem.stops if is_stop else problem.unloads
        if visit.kind not in ("stop", "unload") or not 0 <= visit.index < len(items):
            bad("unknown_visit", _("路线含有不存在的收运点或卸料点。"))
            return out
        item = items[visit.index]
        stop = visit.index if is_stop else None
        distance += int(problem.distance[loc][item.location])
        if visit.arrive_s != depart + int(problem.duration[loc][item.location]):
            bad("timetable", _("到达时间与行驶时间不符。"), stop)
        if visit.start_s < visit.arrive_s:
            bad("timetable", _("作业开始早于到达。"), stop)
        if visit.depart_s < visit.start_s + item.service_s or (
            is_stop and visit.depart_s != visit.start_s + item.service_s
        ):
            bad("timetable", _("离开时间与作业时长不符。"), stop)
        if not item.window[0] <= visit.start_s <= item.window[1]:
            if is_stop:
                bad("window", _("作业时间不在收运点的时间窗内。"), stop)
            else:
                bad("facility_hours", _("卸料时间不在处理设施的开放时间内。"))
        if is_stop:
            served[visit.index] += 1
            s = problem.stops[visit.index]
            if len(s.demand) != dims:
                bad("dimensions", _("收运量的维度与车辆容量不一致。"), stop)
                return out
            load = [a + b for a, b in zip(load, s.demand, strict=True)]
            trip_release = max(trip_release, s.release_s)
            if any(a > c for a, c in zip(load, vt.capacity, strict=True)):
                bad("capacity", _("车辆装载超过额定容量。"), stop)
        else:
            if visit.index not in vt.unloads:
                bad("unload_not_allowed", _("该车型不得在此设施卸料。"))
            intake.setdefault(visit.index, [0] * dims)
            intake[visit.index] = [a + b for a, b in zip(intake[visit.index], load, strict=True)]
            if trip_start < trip_release:
                bad("release", _("车次出发时收运任务尚未下达。"))
            load = [0] * dims
            trip_start, trip_release = visit.depart_s, 0
            if k < len(route.visits) - 1 or not vt.must_unload_at_end:
                trips += 1
        if tuple(load) != tuple(visit.load_after):
            bad("load_report", _("报告的装载量与重新计算不符。"), stop)
        loc, depart = item.location, visit.depart_s
    if trip_start < trip_release:
        bad("release", _("车次出发时收运任务尚未下达。"))
    if route.visits and route.visits[-1].kind == "unload" and not vt.must_unload_at_end:
        trips -= 1  # a last unload before going home opens no new trip
    if trips > vt.max_trips:
        bad("trips", _("车次数超过该车型允许的趟数。"))
    if vt.must_unload_at_end and route.visits and route.visits[-1].kind != "unload":
        bad("not_empty_at_end", _("该车型收运后须先到处理设施卸空再回车场。"))
    distance += int(problem.distance[loc][depot.location])
    if route.end_s != depart + int(problem.duration[loc][depot.location]):
        bad("timetable", _("回场时间与行驶时间不符。"))
    if route.end_s > vt.shift[1]:
        bad("shift", _("回场时间晚于班次结束。"))
    if route.end_s > depot.window[1]:
        bad("depot_hours", _("回场时间晚于车场关闭时间。"))
    duration = route.end_s - route.start_s
    if vt.max_duration_s is not None and duration > vt.max_duration_s:
        bad("max_duration", _("路线时长超过最长作业时间。"))
    if route.duration_s != duration:
        bad("duration_report", _("报告的时长与重新计算不符。"))
    if route.distance_m != distance:
        bad("distance_report", _("报告的里程与重新计算不符。"))
    if route.cost != expected_route_cost(vt, distance, duration):
        bad("cost_report", _("报告的路线成本与重新计算不符。"))
    return out


def _check_fleet(problem: Problem, per_type: Counter[int]) -> list[Violation]:
    return [
        Violation("fleet", _("%(type)s 车型的路线数超过可用车辆数。") % {"type": vt.key})
        for t, vt in enumerate(problem.vehicle_types)
        if per_type[t] > vt.count
    ]


def _check_stops(problem: Problem, solution: Solution, served: Counter[int]) -> list[Violation]:
    out = []
    unserved = set(solution.unserved)
    for i, s in enumerate(problem.stops):
        n = served[i]
        if n > 1:
            out.append(Violation("repeated", _("收运点被重复收运。"), stop=i))
        if s.required and n == 0:
            out.append(Violation("missed", _("必须收运的点未被安排。"), stop=i))
        listed = i in unserved
        if not s.required and (n == 0) != listed:
            out.append(Violation("unserved_list", _("未收运清单与路线不一致。"), stop=i))
        if s.required and listed:
            out.append(Violation("unserved_list", _("必须收运的点不得列为未收运。"), stop=i))
    if len(solution.unserved) != len(unserved):
        out.append(Violation("unserved_list", _("未收运清单有重复。")))
    return out


def _check_facilities(problem: Problem, intake: dict[int, list[int]]) -> list[Violation]:
    out = []
    for u, amounts in sorted(intake.items()):
        cap = problem.unloads[u].capacity
        if cap is not None and any(a > c for a, c in zip(amounts, cap, strict=False)):
            msg = _("%(facility)s 今日剩余处理能力不足。") % {"facility": problem.unloads[u].key}
            out.append(Violation("facility_capacity", msg))
    return out


def _check_totals(problem: Problem, solution: Solution) -> list[Violation]:
    out = []
    lost = sum(problem.stops[i].prize for i in set(solution.unserved) if i < len(problem.stops))
    if solution.cost != sum(r.cost for r in solution.routes) + lost:
        out.append(Violation("cost_report", _("报告的方案总成本与重新计算不符。")))
    if solution.distance_m != sum(r.distance_m for r in solution.routes):
        out.append(Violation("distance_report", _("报告的方案总里程与重新计算不符。")))
    return out
