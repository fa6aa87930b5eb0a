"""The indicator API: catalogue (read by all, custom written by city officials), targets,
values with their lineage."""

import pytest

from wufei.stats.indicators import recompute_values
from wufei.stats.models import Indicator, IndicatorTarget
from wufei.stats.tests.indicator_data import CHANGGE, WEIDU, YEAR, official, weidu_2021

pytestmark = pytest.mark.django_db

CUSTOM = {
    "name": "秸秆离田利用率",
    "level1": "固体废物资源化利用",
    "unit": "%",
    "formula": "straw_utilised / straw_collectable * 100",
    "direction": "up",
    "department": "agriculture",
}


def post(client, url, data, method="post"):
    return getattr(client, method)(url, data, content_type="application/json")


def test_everyone_reads_the_catalogue(client):
    response = client.get("/api/v1/indicators/", {"catalogue": "2019-trial"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    first = body["results"][0]
    assert set(first) >= {
        "code",
        "catalogue",
        "level1",
        "level2",
        "name",
        "unit",
        "formula",
        "definition",
        "computable",
        "mandatory",
        "confidence",
        "department",
        "source",
    }
    assert (first["code"], first["confidence"], first["department"]) == (
        "2019-16",
        "verified",
        "agriculture",
    )


def test_city_officials_create_and_change_custom_indicators(client):
    client.force_login(official("city"))
    response = post(client, "/api/v1/indicators/", CUSTOM)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["catalogue"], body["code"], body["department"]) == (
        "custom",
        "custom-1",
        "agriculture",
    )
    changed = post(
        client, f"/api/v1/indicators/{body['id']}/", {"unit": "％", "code": "x"}, method="patch"
    )
    assert changed.status_code == 200
    assert (changed.json()["unit"], changed.json()["code"]) == ("％", "custom-1")


def test_a_bad_formula_answers_400_on_the_formula_field(client):
    client.force_login(official("city"))
    response = post(client, "/api/v1/indicators/", {**CUSTOM, "formula": "straw_utilised / x"})
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("formula", "unknown_measure")


def test_catalogue_indicators_are_not_changed_through_the_api(client):
    client.force_login(official("city"))
    straw = Indicator.objects.get(code="common-straw")
    response = post(client, f"/api/v1/indicators/{straw.pk}/", {"unit": "t"}, method="patch")
    assert (response.status_code, response.json()["code"]) == (400, "not_custom")


def test_county_officials_and_the_public_create_no_indicators(client):
    assert post(client, "/api/v1/indicators/", CUSTOM).status_code == 401
    client.force_login(official("county"))
    assert post(client, "/api/v1/indicators/", CUSTOM).status_code == 403
    assert not Indicator.objects.filter(catalogue="custom").exists()


def test_targets_are_set_by_adcode_within_the_officials_county(client):
    straw = Indicator.objects.get(code="common-straw")
    client.force_login(official("county"))
    data = {"indicator": straw.pk, "year": YEAR, "region": WEIDU, "value": "90", "note": ""}
    response = post(client, "/api/v1/indicator-targets/", data)
    assert response.status_code == 201, response.json()
    assert response.json()["region"] == WEIDU
    again = post(client, "/api/v1/indicator-targets/", {**data, "value": "95"})
    assert again.status_code == 201 and again.json()["id"] == response.json()["id"]
    outside = post(client, "/api/v1/indicator-targets/", {**data, "region": CHANGGE})
    assert outside.status_code == 403
    assert IndicatorTarget.objects.count() == 1
    listed = client.get("/api/v1/indicator-targets/", {"year": YEAR}).json()
    assert [t["value"] for t in listed["results"]] == ["95.0000"]


def test_values_with_target_achievement_and_lineage(client):
    weidu_2021()
    recompute_values(YEAR)
    city = official("city")
    client.force_login(city)
    straw = Indicator.objects.get(code="common-straw")
    post(
        client,
        "/api/v1/indicator-targets/",
        {"indicator": straw.pk, "year": YEAR, "region": WEIDU, "value": "93"},
    )
    response = client.get(
        "/api/v1/indicator-values/", {"year": YEAR, "region": WEIDU, "indicator": "common-straw"}
    )
    assert response.status_code == 200
    (value,) = response.json()["results"]
    assert (value["value"], value["status"], value["target"], value["achieved"]) == (
        "92.0000",
        "ok",
        "93.0000",
        False,
    )
    assert value["inputs"] == {"straw_utilised": "4600", "straw_collectable": "5000"}
    first = value["lineage"][0]
    assert first["ref"] == "straw_utilised"
    assert first["value"] == "4600" and first["year"] == YEAR
    assert first["period"] == "2021-01-01 — 2021-12-31"
    assert first["links"] == [
        {
            "label": "申报：农业固体废物",
            "url": "/stats/declarations/?kind=agriculture&year=2021&region=411002",
        }
    ]


def test_values_are_scoped_to_the_officials_county(client):
    recompute_values(YEAR)
    client.force_login(official("county"))
    regions = {
        v["region"]
        for v in client.get("/api/v1/indicator-values/", {"page_size": 500}).json()["results"]
    }
    assert regions == {WEIDU}
    client.logout()
    assert client.get("/api/v1/indicator-values/").status_code == 401
