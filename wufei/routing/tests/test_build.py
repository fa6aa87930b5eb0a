"""The city problem read from the database: demand from fill levels or history, kitchen
windows, the fleet grouped into types; and plans for the generated demo city at small scale,
each passing the independent checker, with the saving against the city's fixed rounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from wufei.iot.models import FillLevel
from wufei.manifests.models import Manifest
from wufei.registry.models import Region, WasteStream
from wufei.registry.tests.factories import DeviceFactory
from wufei.routing import services
from wufei.routing.build import RULES, build_problem, local_midnight
from wufei.routing.choices import PlanStatus
from wufei.routing.solver.check import check
from wufei.routing.solver.solve import solve_or_shed
from wufei.routing.tests.world import stream_world
from wufei.routing.travel import GreatCircle

DAY = date(2020, 9, 15)


@pytest.mark.django_db
def test_demand_comes_from_the_latest_fill_level_of_each_bin_else_the_default():
    world = stream_world(sites=2)
    sensed = world.sites[0]
    device = DeviceFactory(party=sensed.party, kind="bin_sensor", site=sensed)
    for k, (bin_code, percent, hour) in enumerate([("A", 20, 10), ("A", 50, 20), ("B", 100, 21)]):
        at = datetime(2020, 9, 14, hour - 8, tzinfo=UTC)
        FillLevel.objects.create(device=device, message_id=str(k), measured_at=at, received_at=at,
                                 site=sensed, bin_code=bin_code, percent=percent)  # fmt: skip
    problem, context, unplannable = build_problem(
        "household", world.county, DAY, travel=GreatCircle()
    )
    demand = {context.stop_sites[s.key]: s.demand[0] for s in problem.stops}
    assert demand[sensed.pk] == 30 + 60  # bin A at 50 %, bin B full; 60 kg a full bin
    assert demand[world.sites[1].pk] == RULES["household"].default_kg_per_day["community"]
    assert unplannable == []
    assert len(problem.vehicle_types) == 1 and problem.vehicle_types[0].count == 2
    assert problem.vehicle_types[0].capacity == (8000, 16000)
    assert problem.distance.shape == (len(context.points),) * 2


@pytest.mark.django_db
def test_restaurants_get_lunch_and_dinner_stops_and_canteens_lunch():
    world = stream_world(stream="kitchen", site_kind="restaurant", vehicle_kind="kitchen_tanker",
                         facility_kind="kitchen_waste", method="G-AD", sites=2)  # fmt: skip
    world.sites[1].kind = "canteen"
    world.sites[1].save()
    problem, _c, _u = build_problem("kitchen", world.county, DAY, travel=GreatCircle())
    lunch, dinner = (13 * 3600 + 1800, 16 * 3600), (20 * 3600 + 1800, 23 * 3600)
    assert sorted(s.window for s in problem.stops) == sorted([lunch, dinner, lunch])


@pytest.mark.django_db
def test_clinics_never_collected_are_due_today():
    world = stream_world(stream="medical", site_kind="clinic", vehicle_kind="medical_van",
                         facility_kind="medical", method="Y11", sites=3, load_kg=2000)  # fmt: skip
    problem, _c, _u = build_problem("medical", world.county, DAY, travel=GreatCircle())
    assert all(s.required and s.prize == 0 for s in problem.stops)
    assert all(
        s.demand[0] == 2 * RULES["medical"].default_kg_per_day["clinic"] for s in problem.stops
    )


@pytest.mark.django_db
def test_clinics_collected_less_than_24_hours_ago_may_wait_the_others_are_due():
    world = stream_world(stream="medical", site_kind="clinic", vehicle_kind="medical_van",
                         facility_kind="medical", method="Y11", sites=3, load_kg=2000)  # fmt: skip
    midnight = local_midnight(DAY)
    recent, old, never = world.sites
    stream = WasteStream.objects.get(code="medical")
    for k, (site, hours_ago) in enumerate([(recent, 10), (old, 30)]):
        Manifest.objects.create(
            number=f"MW-TEST-{k}", flow="medical", stream=stream, generator=site.party,
            generator_site=site, region=world.county, transporter=world.operator,
            receiver=world.operator, receiver_region=world.county,
            picked_up_at=midnight - timedelta(hours=hours_ago),
        )  # fmt: skip
    problem, context, _u = build_problem("medical", world.county, DAY, travel=GreatCircle())
    by_site = {context.stop_sites[s.key]: s for s in problem.stops}
    daily = RULES["medical"].default_kg_per_day["clinic"]
    assert not by_site[recent.pk].required and by_site[recent.pk].prize > 0
    assert by_site[recent.pk].demand[0] == daily  # one day's waste since the last collection
    assert by_site[old.pk].required and by_site[old.pk].demand[0] == 2 * daily
    assert by_site[never.pk].required


@pytest.mark.django_db
def test_a_clinic_that_may_wait_is_deferred_when_its_plant_is_full():
    world = stream_world(stream="medical", site_kind="clinic", vehicle_kind="medical_van",
                         facility_kind="medical", method="Y11", sites=2, load_kg=2000,
                         tonnes_per_day="0.015")  # fmt: skip
    # 15 kg left today: room for the clinic that is due (12 kg), not for both
    midnight = local_midnight(DAY)
    recent = world.sites[0]
    Manifest.objects.create(
        number="MW-TEST-R", flow="medical", stream=WasteStream.objects.get(code="medical"),
        generator=recent.party, generator_site=recent, region=world.county,
        transporter=world.operator, receiver=world.operator, receiver_region=world.county,
        picked_up_at=midnight - timedelta(hours=6),
    )  # fmt: skip
    plan = services.plan_routes(actor=None, stream="medical", county=world.county, day=DAY,
                                budget_s=1, travel=GreatCircle())  # fmt: skip
    assert plan.status == PlanStatus.PLANNED, plan.violations
    assert [d["site"] for d in plan.deferred] == [recent.pk]
    assert plan.stops_served == 1


def test_when_the_fleet_cannot_serve_every_window_the_rest_is_planned_and_the_others_named(db):
    """One van, six clinics whose windows all close five minutes after opening: it cannot
    reach them all, so the plan serves what it can and names the others, instead of a plan
    that breaks windows."""
    world = stream_world(stream="medical", site_kind="clinic", vehicle_kind="medical_van",
                         facility_kind="medical", method="Y11", sites=6, vehicles=1,
                         load_kg=2000)  # fmt: skip
    problem, _c, _u = build_problem("medical", world.county, DAY, travel=GreatCircle())
    narrow = [replace(s, window=(9 * 3600, 9 * 3600 + 300)) for s in problem.stops]
    problem = replace(problem, stops=narrow)
    kept, solution, shed = solve_or_shed(problem, budget_s=1, max_iterations=300)
    assert check(kept, solution) == []
    assert shed and {u.code for u in shed} == {"fleet_short"}
    assert len(kept.stops) + len(shed) == len(problem.stops)
    served = {
        kept.stops[v.index].key for r in solution.routes for v in r.visits if v.kind == "stop"
    }
    assert served == {s.key for s in kept.stops}
    assert not served & {u.key for u in shed}


# The demo city's plants: the kitchen-waste plant (ALBA) runs from 2020-12 (before that nothing
# accepts the stream); the medical-waste centre since 2012.
DEMO = {
    "household": date(2020, 9, 15),
    "kitchen": date(2021, 3, 16),
    "medical": date(2020, 9, 15),
}


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    """One generated small city (seed 11) for the module's demo plans; it lives in a
    transaction rolled back when the module ends."""
    from wufei.core.tests.module_rows import built_for_the_module
    from wufei.demo.services import city_generate

    yield from built_for_the_module(
        django_db_blocker, lambda: city_generate(actor=None, scale="small", seed=11, derive=False)
    )


@pytest.mark.parametrize("stream", list(DEMO))
def test_demo_city_plans_pass_the_checker_and_beat_the_rounds(demo_city, db, stream):
    county = Region.objects.get(adcode="411002")
    plan = services.plan_routes(actor=None, stream=stream, county=county, day=DEMO[stream],
                                budget_s=2, travel=GreatCircle(), max_iterations=1000)  # fmt: skip
    assert plan.status == PlanStatus.PLANNED, plan.violations
    assert plan.violations == []
    # every stop is served, deferred (may wait) or named with a reason
    assert plan.stops_served + len(plan.deferred) + len(plan.unplannable) == plan.stops_total
    assert all(u["code"] == "fleet_short" and u["message"] for u in plan.unplannable)
    assert plan.stops_served >= 0.9 * plan.stops_total
    assert plan.baseline_cost and plan.cost < plan.baseline_cost
    print(
        f"\n{stream}: {plan.routes.count()} routes, {plan.stops_served}/{plan.stops_total} stops, "
        f"{plan.distance_m / 1000:.1f} km vs {plan.baseline_distance_m / 1000:.1f} km, "
        f"cost {plan.cost / 100:.0f} vs {plan.baseline_cost / 100:.0f} yuan, "
        f"saving {plan.saving_pct}%"
    )
