"""Route planning pages and API on a small hand-built county, planned once for the module:
the plan list and plan page for the county's official (map over the county boundary, routes,
stops, load profile, unloads, figures, saving, unplannable stops with reasons), scoping (an
official of another county sees nothing), the driver's phone page, creating a plan through
the page form and the API (bad input answered with a stable code and field), and plan versus
actual with GPS fixes received through the IoT intake."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.accounts.tests.factories import UserFactory
from wufei.core.tests.module_rows import built_for_the_module
from wufei.iot.intake import Intake
from wufei.iot.models import GpsFix
from wufei.iot.tests.devices import message
from wufei.registry.models import Region
from wufei.registry.tests.factories import DeviceFactory, PartyFactory
from wufei.routing import services
from wufei.routing.choices import PlanStatus, VisitKind
from wufei.routing.models import PlannedRoute, RoutePlan
from wufei.routing.tests.world import place, rounds, stream_world
from wufei.routing.travel import GreatCircle

BUDGET = 0.5


class Scene:
    """What the module's tests share: the world, its plan (for today) and the users."""

    def __init__(self) -> None:
        self.day = timezone.localdate()
        self.world = stream_world(sites=6, vehicles=2)
        rounds(self.world)
        self.lost = place(self.world, party=self.world.sites[0].party, kind="community",
                          name="无坐标小区", lat=Decimal(0), lon=Decimal(0))  # fmt: skip
        self.plan = services.plan_routes(
            actor=None, stream="household", county="411002", day=self.day, budget_s=BUDGET,
            travel=GreatCircle(), max_iterations=300,
        )  # fmt: skip
        assert self.plan.status == PlanStatus.PLANNED, self.plan.violations
        county, other = (Region.objects.get(adcode=a) for a in ("411002", "411003"))
        self.official = UserFactory(password=None, role="county", region=county)
        self.stranger = UserFactory(password=None, role="county", region=other)
        self.driver = UserFactory(password=None, role="driver", party=self.world.operator)
        self.other_driver = UserFactory(
            password=None, role="driver", party=PartyFactory(region=county, is_transporter=True)
        )


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """One world and plan for the whole module, rolled back when it ends."""
    yield from built_for_the_module(django_db_blocker, Scene)


@pytest.fixture
def s(scene, db):
    return scene


def page(client, user, name, *args, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, args=args), **kwargs)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the official's pages --------------------------------------------------------------------
def test_plan_list_shows_the_plan_and_the_form(client, s):
    response = page(client, s.official, "routing:plan_list")
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("routing:plan_detail", args=[s.plan.pk]) in body
    assert 'data-testid="plan-form"' in body and f"{s.plan.saving_pct}%" in body


def test_plan_page_shows_map_routes_stops_load_unloads_figures_saving_and_reasons(client, s):
    response = page(client, s.official, "routing:plan_detail", s.plan.pk)
    assert response.status_code == 200
    body = response.content.decode()
    routes = list(s.plan.routes.order_by("number"))
    assert routes
    for route in routes:
        assert f'data-testid="route-{route.number}"' in body and route.vehicle.plate in body
        assert f"{round(route.distance_m / 1000)} 千米" in body  # widthratio rounds
        assert f"{round(route.duration_s / 60)} 分钟" in body
        assert f"{round(route.cost / 100)} 元" in body
    for site in s.world.sites:
        assert site.name in body
    assert "⬇ 接收设施" in body  # the unload at the receiving facility
    assert f"{s.plan.saving_pct}%" in body and s.plan.saving_pct > 0
    assert f"[no_coordinates] {s.lost.name} 没有坐标" in body
    chart = response.context["chart"]
    assert chart["boundariesUrl"] == reverse("web:map_boundaries") and chart["county"] == "411002"
    assert [r["path"] for r in chart["routes"]] == [r.path for r in routes]
    assert [p["points"] for p in chart["profiles"]] == [r.load_profile for r in routes]
    assert 'id="plan-map"' in body and 'id="plan-load"' in body


def test_the_boundary_the_plan_map_uses_has_the_plans_county(client, s):
    response = page(client, s.official, "web:map_boundaries")
    adcodes = {f["properties"]["adcode"] for f in json.loads(response.content)["features"]}
    assert s.plan.county.adcode in adcodes


def test_an_official_of_another_county_does_not_see_the_plan(client, s):
    listing = page(client, s.stranger, "routing:plan_list")
    assert reverse("routing:plan_detail", args=[s.plan.pk]) not in listing.content.decode()
    assert page(client, s.stranger, "routing:plan_detail", s.plan.pk).status_code == 404
    route = s.plan.routes.first()
    assert page(client, s.stranger, "routing:route_driver", route.pk).status_code == 404
    assert api(s.stranger).get(f"/api/v1/route-plans/{s.plan.pk}/").status_code == 404
    ids = [p["id"] for p in api(s.stranger).get("/api/v1/route-plans/").data["results"]]
    assert s.plan.pk not in ids


def test_a_failed_plan_shows_its_violations_and_no_routes(client, s):
    failed = RoutePlan.objects.create(
        stream=s.plan.stream, county=s.plan.county, day=s.day, status=PlanStatus.FAILED,
        budget_s=1, travel="great_circle",
        violations=[{"code": "window", "message": "作业时间不在收运点的时间窗内。",
                     "route": 0, "stop": 3}],
    )  # fmt: skip
    body = page(client, s.official, "routing:plan_detail", failed.pk).content.decode()
    assert 'data-testid="plan-failed"' in body and "[window]" in body
    assert 'id="plan-map"' not in body


# --- the driver's phone page -----------------------------------------------------------------
def test_a_driver_sees_only_the_routes_of_their_company(client, s):
    response = page(client, s.driver, "routing:my_route")
    mine = PlannedRoute.objects.filter(plan=s.plan, vehicle__party=s.world.operator)
    if mine.count() == 1:
        assert response.url == reverse("routing:route_driver", args=[mine.get().pk])
    else:
        body = response.content.decode()
        for route in mine:
            assert reverse("routing:route_driver", args=[route.pk]) in body
    route = mine.first()
    driver_page = page(client, s.driver, "routing:route_driver", route.pk)
    assert driver_page.status_code == 200
    body = driver_page.content.decode()
    assert route.vehicle.plate in body and "uri.amap.com/navigation" in body
    for visit in route.visits.filter(kind=VisitKind.STOP):
        assert visit.site.name in body
    assert page(client, s.driver, "routing:plan_list").status_code in (200, 403)


def test_a_driver_of_another_company_sees_none_of_them(client, s):
    response = page(client, s.other_driver, "routing:my_route")
    assert response.status_code == 200 and "今天没有安排给您的线路" in response.content.decode()
    route = s.plan.routes.first()
    assert page(client, s.other_driver, "routing:route_driver", route.pk).status_code == 404


# --- creating plans --------------------------------------------------------------------------
def test_the_page_form_plans_and_shows_the_new_plan(client, s):
    client.force_login(s.official)
    before = set(RoutePlan.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("routing:plan_create"),
        {"stream": "household", "county": "411002", "day": s.day.isoformat(), "budget_s": "1"},
    )
    (new,) = set(RoutePlan.objects.values_list("pk", flat=True)) - before
    assert response.status_code == 302
    assert response.url == reverse("routing:plan_detail", args=[new])
    assert RoutePlan.objects.get(pk=new).created_by == s.official


def test_the_page_form_puts_a_refusal_on_its_field_and_writes_nothing(client, s):
    client.force_login(s.official)
    count = RoutePlan.objects.count()
    response = client.post(
        reverse("routing:plan_create"),
        {"stream": "household", "county": "411002001", "day": s.day.isoformat(), "budget_s": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["county"] == ["请指定县（市、区）的区划代码。"]
    assert RoutePlan.objects.count() == count


def test_another_countys_official_may_not_plan_here_through_the_page(client, s):
    client.force_login(s.stranger)
    count = RoutePlan.objects.count()
    response = client.post(
        reverse("routing:plan_create"),
        {"stream": "household", "county": "411002", "day": s.day.isoformat(), "budget_s": "1"},
    )
    assert response.status_code in (400, 403)
    assert RoutePlan.objects.count() == count


def test_the_api_plans_and_answers_with_routes_and_visits(s):
    answer = api(s.official).post(
        "/api/v1/route-plans/",
        {"stream": "household", "county": "411002", "day": s.day.isoformat(), "budget_s": BUDGET},
        format="json",
    )
    assert answer.status_code == 201, answer.data
    body = answer.data
    assert body["status"] == "planned" and body["county"] == "411002"
    assert body["routes"] and all(r["visits"] for r in body["routes"])
    kinds = {v["kind"] for r in body["routes"] for v in r["visits"]}
    assert kinds == {"stop", "unload"}
    assert body["unplannable"][0]["code"] == "no_coordinates"
    detail = api(s.official).get(f"/api/v1/route-plans/{body['id']}/")
    assert detail.status_code == 200 and detail.data["routes"] == body["routes"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"county": "411002001"}, "not_a_county", "county"),
        ({"county": "999999"}, "not_a_county", "county"),
        ({"stream": "sludge"}, "invalid_choice", "stream"),
        ({"day": "2020-02-30"}, "invalid", "day"),
    ],
)
def test_the_api_refuses_bad_input_with_a_stable_code_and_field(s, overrides, code, field):
    count = RoutePlan.objects.count()
    data = {"stream": "household", "county": "411002", "day": s.day.isoformat(), **overrides}
    answer = api(s.official).post("/api/v1/route-plans/", data, format="json")
    assert answer.status_code == 400, answer.data
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in answer.data["errors"]
    ], answer.data
    assert RoutePlan.objects.count() == count


# --- plan versus actual ----------------------------------------------------------------------
def test_plan_versus_actual_from_gps_received_through_the_intake(client, s):
    route = s.plan.routes.order_by("number").first()
    gps = DeviceFactory(party=s.world.operator, kind="gps", serial="861000000000001")
    route.vehicle.gps_device = gps
    route.vehicle.save(update_fields=["gps_device"])
    stops = list(route.visits.filter(kind=VisitKind.STOP).order_by("seq"))
    depot = (float(s.world.depot.lat), float(s.world.depot.lon))
    fixes = [(depot, route.start_at)]
    for k, visit in enumerate(stops[:-1]):  # the last stop is never reached
        fixes.append(((visit.lat + 0.0005, visit.lon), visit.start_at + timedelta(minutes=5 * k)))
    for visit in route.visits.filter(kind=VisitKind.UNLOAD):
        fixes.append(((visit.lat, visit.lon), visit.start_at))
    fixes.append(((depot[0] + 0.08, depot[1]), route.end_at - timedelta(minutes=20)))  # detour
    fixes.append((depot, route.end_at))
    result = Intake().store(
        [
            message("gps", gps.serial, f"fix{k}", at=at, lat=lat, lon=lon)
            for k, ((lat, lon), at) in enumerate(fixes)
        ]
    )
    assert result.accepted == len(fixes), result.outcomes
    assert GpsFix.objects.filter(vehicle=route.vehicle).count() == len(fixes)

    actual = services.plan_vs_actual(route)
    assert actual.executed and actual.missed == 1
    rows = {row.visit.seq: row for row in actual.visits}
    assert rows[stops[-1].seq].missed and rows[stops[-1].seq].arrived_at is None
    if len(stops) > 2:
        assert rows[stops[2].seq].late_min == 10
    # fix to fix, a 9 km detour north and back on the way home
    assert actual.extra_km > 5
    assert actual.extra_km == pytest.approx(actual.driven_km - route.distance_m / 1000, abs=0.011)

    body = page(client, s.official, "routing:plan_detail", s.plan.pk).content.decode()
    summary = f"漏收 1 处，实际行驶 {actual.driven_km} 千米，多行驶 {actual.extra_km} 千米"
    assert summary in body
    assert "未到" in body and "迟到（分钟）" in body
