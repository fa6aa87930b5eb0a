"""Planning end to end on a small hand-built county: plans pass the independent checker, bad
stops are named with their reason while the rest is planned, the saving against today's
rounds is stored, refusals write nothing, and a driven route is read against its plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import Invalid, NotPermitted
from wufei.iot.models import FillLevel, GpsFix
from wufei.registry.models import Region
from wufei.registry.tests.factories import DeviceFactory
from wufei.routing import services
from wufei.routing.build import build_problem
from wufei.routing.choices import PlanStatus, VisitKind
from wufei.routing.models import PlannedVisit, RoutePlan
from wufei.routing.solver.check import check
from wufei.routing.solver.solve import presolve, solve
from wufei.routing.tests.world import place, rounds, stream_world
from wufei.routing.travel import GreatCircle

DAY = date(2020, 9, 15)
BUDGET = 1.0
ITERATIONS = 300  # plans repeat exactly whatever the machine's load
pytestmark = pytest.mark.django_db


def plan(**kwargs) -> RoutePlan:
    values = {"actor": None, "stream": "household", "county": "411002", "day": DAY}
    values.update({"budget_s": BUDGET, "max_iterations": ITERATIONS, **kwargs})
    return services.plan_routes(travel=GreatCircle(), **values)


def test_household_plan_passes_the_checker_and_serves_every_stop():
    world = stream_world()
    problem, _context, _ = build_problem("household", world.county, DAY, travel=GreatCircle())
    problem, _ = presolve(problem)
    solution = solve(problem, budget_s=BUDGET, seed=1, max_iterations=ITERATIONS)
    assert check(problem, solution) == []
    stored = plan()
    assert stored.status == PlanStatus.PLANNED, stored.violations
    served = PlannedVisit.objects.filter(route__plan=stored, kind=VisitKind.STOP)
    assert sorted(v.site_id for v in served) == sorted(s.pk for s in world.sites)
    assert stored.stops_served == stored.stops_total == len(world.sites)
    route = stored.routes.first()
    assert route.visits.order_by("-seq").first().kind == VisitKind.UNLOAD  # empties last
    assert route.load_profile[0][1] == 0 and route.path[0] == route.path[-1]


def test_saving_against_todays_rounds_is_stored():
    world = stream_world(sites=10)
    rounds(world)
    stored = plan()
    assert stored.baseline_cost is not None and stored.baseline_cost > 0
    expected = (stored.baseline_cost - stored.cost) * 100 / stored.baseline_cost
    assert float(stored.saving_pct) == pytest.approx(expected, abs=0.01)
    assert stored.cost <= stored.baseline_cost  # the solver beats reversed district order


def test_without_rounds_there_is_no_baseline():
    stream_world(sites=3)
    stored = plan()
    assert stored.baseline_cost is None and stored.saving_pct is None


def test_bad_stops_are_named_with_reasons_and_the_rest_is_planned():
    world = stream_world(sites=5, load_kg=2000)
    lost = place(world, party=world.sites[0].party, kind="community", name="无坐标小区",
                 lat=Decimal(0), lon=Decimal(0))  # fmt: skip
    far = place(world, party=world.sites[0].party, kind="community", name="远郊小区",
                lat=world.centre[0] + Decimal(3), lon=world.centre[1])  # fmt: skip
    heavy = place(world, party=world.sites[0].party, kind="collection_point", name="大型收集点")
    device = DeviceFactory(party=heavy.party, kind="bin_sensor", site=heavy)
    reading_at = datetime(2020, 9, 14, 14, tzinfo=UTC)
    FillLevel.objects.bulk_create(
        FillLevel(device=device, message_id=str(k), measured_at=reading_at, received_at=reading_at,
                  site=heavy, bin_code=f"B{k}", percent=100)
        for k in range(40)  # 40 full bins: 2 400 kg, above every 2 000 kg vehicle
    )  # fmt: skip
    stored = plan()
    reasons = {item["site"]: item["code"] for item in stored.unplannable}
    assert reasons[lost.pk] == "no_coordinates"
    assert reasons[heavy.pk] == "demand_above_capacity"
    assert reasons[far.pk] == "window_unreachable"
    assert all(item["message"] for item in stored.unplannable)
    assert stored.status == PlanStatus.PLANNED
    served = set(
        PlannedVisit.objects.filter(route__plan=stored, kind="stop").values_list("site", flat=True)
    )
    assert served == {s.pk for s in world.sites}


def test_no_facility_accepting_the_stream_sets_every_stop_aside():
    world = stream_world(sites=3)
    world.facility.status = "suspended"
    world.facility.save()
    stored = plan()
    assert {item["code"] for item in stored.unplannable} == {"no_facility"}
    assert len(stored.unplannable) == 3 and stored.routes.count() == 0


def test_kitchen_windows_after_lunch_and_dinner_are_kept():
    world = stream_world(stream="kitchen", site_kind="restaurant", vehicle_kind="kitchen_tanker",
                         facility_kind="kitchen_waste", method="G-AD", sites=6)  # fmt: skip
    stored = plan(stream="kitchen")
    assert stored.status == PlanStatus.PLANNED, stored.violations
    visits = PlannedVisit.objects.filter(route__plan=stored, kind="stop")
    assert visits.count() == 2 * len(world.sites)  # after lunch and after dinner
    for visit in visits:
        local = timezone.localtime(visit.start_at)
        assert (13, 30) <= (local.hour, local.minute) <= (16, 0) or (
            (20, 30) <= (local.hour, local.minute) <= (23, 0)
        )


def test_bad_requests_are_refused_with_codes_and_write_nothing():
    stream_world(sites=2)
    with pytest.raises(Invalid) as refused:
        plan(stream="sludge", county="411002001", budget_s=0)
    assert {e.code for e in refused.value.errors} == {
        "unknown_stream",
        "not_a_county",
        "bad_budget",
    }
    assert RoutePlan.objects.count() == 0


def test_an_official_of_another_county_may_not_plan_here():
    stream_world(sites=2)
    other = UserFactory(password=None, role="county", region=Region.objects.get(adcode="411003"))
    with pytest.raises(NotPermitted):
        plan(actor=other)
    assert RoutePlan.objects.count() == 0
    own = UserFactory(password=None, role="county", region=Region.objects.get(adcode="411002"))
    assert plan(actor=own).created_by == own


def test_plan_versus_actual_reports_missed_stops_extra_km_and_lateness():
    world = stream_world(sites=4, vehicles=1)
    stored = plan()
    route = stored.routes.get()
    stops = list(route.visits.filter(kind="stop").order_by("seq"))
    device = DeviceFactory(party=world.operator, kind="gps")
    fixes = [(world.depot.lat, world.depot.lon, route.start_at)]
    for k, visit in enumerate(stops[:-1]):  # the last stop is skipped
        late = timedelta(minutes=10 * k)
        fixes.append((visit.lat + 0.0005, visit.lon, visit.start_at + late))
    fixes.append((world.depot.lat, world.depot.lon, route.end_at))
    GpsFix.objects.bulk_create(
        GpsFix(device=device, vehicle=route.vehicle, message_id=str(k), measured_at=at,
               received_at=at, lat=float(lat), lon=float(lon), speed_kmh=20)
        for k, (lat, lon, at) in enumerate(fixes)
    )  # fmt: skip
    actual = services.plan_vs_actual(route)
    assert actual.executed
    by_seq = {row.visit.seq: row for row in actual.visits}
    assert by_seq[stops[-1].seq].missed and actual.missed == 1
    assert by_seq[stops[0].seq].late_min == 0
    assert by_seq[stops[2].seq].late_min == 20
    assert actual.driven_km > 0 and actual.extra_km == max(
        0, round(actual.driven_km - route.distance_m / 1000, 2)
    )


def test_a_route_without_gps_is_not_executed():
    stream_world(sites=2, vehicles=1)
    actual = services.plan_vs_actual(plan().routes.get())
    assert not actual.executed and actual.missed == 2


def test_command_prints_the_summary(capsys):
    from django.core.management import call_command

    world = stream_world(sites=4)
    rounds(world)
    call_command("plan_routes", "--stream", "household", "--date", "2020-09-15",
                 "--county", "411002", "--budget", "1")  # fmt: skip
    out = capsys.readouterr().out
    assert "线路" in out and "节约" in out
    assert RoutePlan.objects.get().status == PlanStatus.PLANNED
