"""The registry API: communities with their registration, households (also by code or card
number), stations with their times, and bulk registration by officials."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.sorting import registry_services as services
from wufei.sorting.models import Household
from wufei.sorting.registry_forms import CommunityFilterSet
from wufei.sorting.tests.test_registry_world import module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def w(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def api(w):
    def as_user(role):
        client = APIClient()
        if role is not None:
            client.force_authenticate(w.users[role])
        return client

    return as_user


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def test_communities_are_scoped_with_registration(api, w):
    services.households_register(
        actor=w.users["city"], community=w.compound, count=40, today=timezone.localdate()
    )
    body = api("county").get("/api/v1/sorting/communities/").json()
    rows = {row["name"]: row for row in body["results"]}
    assert set(rows) == {"西大街道测试小区", "西大街道无场所小区", "东大街道测试小区"}
    compound = rows["西大街道测试小区"]
    assert compound["registered"] == 40 and compound["registration_rate"] == "10.0"
    assert compound["region"] == "411002001" and compound["county"] == "411002"
    assert compound["code_prefix"] == f"H{w.site.pk:06d}"
    village = api("county_yuzhou").get("/api/v1/sorting/communities/?kind=village").json()
    assert [r["coarse_sorting"] for r in village["results"]] == [True]
    assert names(api("guide").get("/api/v1/sorting/communities/?street=411002001")) == {
        "西大街道测试小区",
        "西大街道无场所小区",
    }


def test_the_street_filter_still_takes_a_street_once_the_schema_is_generated(api, w, client):
    """drf-spectacular builds the form fields of the filter sets' class-level filters when it
    generates the schema (anyone opening /api/docs/); a filter set made afterwards still accepts
    the streets the actor sees, not the empty choices of the class."""
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    built = CommunityFilterSet.base_filters["street"].field
    assert not [value for value, _label in built.choices if value]  # the class offers none
    assert names(api("guide").get("/api/v1/sorting/communities/?street=411002001")) == {
        "西大街道测试小区",
        "西大街道无场所小区",
    }
    refused = api("guide").get("/api/v1/sorting/communities/?street=411002002")
    assert refused.status_code == 400  # a street the guide does not see is not a choice


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("public", 403)])
def test_no_reading_without_an_account(api, role, status):
    response = api(role).get("/api/v1/sorting/households/")
    assert response.status_code == status
    assert response.json()["code"] in ("not_authenticated", "not_permitted")


def test_households_by_code_or_card_and_scope(api, w):
    (household,) = services.households_register(
        actor=w.users["city"],
        community=w.compound,
        count=1,
        with_cards=True,
        today=timezone.localdate(),
    )
    by_code = api("guide").get(f"/api/v1/sorting/households/by-code/{household.code}/")
    assert by_code.status_code == 200 and by_code.json()["id"] == household.pk
    by_card = api("guide").get(
        f"/api/v1/sorting/households/by-code/{household.card_number.lower()}/"
    )
    assert by_card.json()["code"] == household.code
    elsewhere = api("county_yuzhou").get(f"/api/v1/sorting/households/by-code/{household.code}/")
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "not_found"
    assert (
        api("county_yuzhou").get(f"/api/v1/sorting/households/{household.pk}/").status_code == 404
    )
    listed = api("county").get(f"/api/v1/sorting/households/?community={w.compound.pk}").json()
    assert [r["code"] for r in listed["results"]] == [household.code]


def test_stations_carry_their_times(api, w):
    body = api("guide").get("/api/v1/sorting/stations/").json()
    rows = {r["name"]: r for r in body["results"]}
    assert rows["3号楼投放点"]["schedule"] == [["07:00", "09:00"], ["18:00", "21:00"]]
    assert "东大街投放点" not in rows


def test_officials_register_households_in_bulk(api, w):
    response = api("county").post(
        "/api/v1/sorting/households/",
        {"community": w.plain.pk, "unit_labels": ["1-101", "1-102"], "with_cards": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    prefix = f"C{w.plain.pk:06d}"
    assert (body["count"], body["first"], body["last"]) == (2, f"{prefix}0000", f"{prefix}0001")
    assert [h["unit"] for h in body["households"]] == ["1-101", "1-102"]
    again = api("city").post(
        "/api/v1/sorting/households/", {"community": w.plain.pk, "count": 3}, format="json"
    )
    assert again.json()["first"] == f"{prefix}0002"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"count": 0}, 400, "min_value", "count"),
        ({}, 400, "required", "count"),
        ({"count": 2, "unit_labels": ["a"]}, 400, "unit_labels_count", "unit_labels"),
        ({"count": 10001}, 400, "too_many", "count"),
        ({"community": 999999, "count": 1}, 400, "does_not_exist", "community"),
    ],
)
def test_bad_bulk_registrations(api, w, payload, status, code, field):
    data = {"community": w.plain.pk, **payload}
    before = Household.objects.count()
    response = api("city").post("/api/v1/sorting/households/", data, format="json")
    assert response.status_code == status, response.json()
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Household.objects.count() == before


@pytest.mark.parametrize(
    ("role", "status"), [("guide", 403), ("county_yuzhou", 400), ("enterprise", 403)]
)
def test_only_officials_of_the_place_register_by_api(api, w, role, status):
    response = api(role).post(
        "/api/v1/sorting/households/", {"community": w.plain.pk, "count": 1}, format="json"
    )
    # A community the actor cannot see answers like one that does not exist.
    assert response.status_code == status
    assert not w.plain.households.exists()
