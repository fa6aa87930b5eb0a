"""Bad input over the API: a 400 naming the field, a stable code, a Chinese message, and
nothing written; writes that would leave the actor's scope are 403; anonymous writes 401."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from wufei.core.models import ChangeLog
from wufei.registry.models import FacilityCapacity, Party, Permit, Site
from wufei.registry.tests.world import CHANGGE, WEIDU, WEIDU_XIDA, World, point_in
from wufei.registry.validators import make_credit_code

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def client_as(world: World, role: str) -> APIClient:
    client = APIClient()
    if world.users[role] is not None:
        client.force_authenticate(world.users[role])
    return client


def state(*models) -> tuple[int, ...]:
    """Row counts of ``models`` and of the change log: what must not move on a refusal."""
    return (*(m.objects.count() for m in models), ChangeLog.objects.count())


def assert_refused(response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.data
    body = response.data
    assert body["code"] == code, body
    assert body["field"] == field, body
    assert CHINESE.search(body["message"]), body
    assert any(e["code"] == code and e["field"] == field for e in body["errors"]), body


def party_body(**changes) -> dict:
    return {
        "name": "许昌测试化工有限公司",
        "credit_code": make_credit_code(WEIDU, 4242),
        "region": WEIDU_XIDA,
        "is_generator": True,
        **changes,
    }


def test_credit_code_with_a_wrong_check_character(world):
    good = make_credit_code(WEIDU, 4242)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    before = state(Party)
    response = client_as(world, "city").post(
        "/api/v1/parties/", party_body(credit_code=wrong), format="json"
    )
    assert_refused(response, 400, "credit_code_checksum", "credit_code")
    assert good[17] in response.data["message"]  # tells the right check character
    assert state(Party) == before


def test_the_same_body_with_the_right_check_character_is_accepted(world):
    """The control for the test above: only the check character made the difference."""
    before = state(Party)
    response = client_as(world, "city").post("/api/v1/parties/", party_body(), format="json")
    assert response.status_code == 201, response.data
    assert state(Party) == (before[0] + 1, before[1] + 1)


def test_site_outside_its_county(world):
    lon, lat = point_in(CHANGGE)  # a point in 长葛市 for a site said to be in 魏都区
    before = state(Site)
    response = client_as(world, "city").post(
        "/api/v1/sites/",
        {
            "party": world.party("A").pk,
            "name": "越界场所",
            "kind": "factory",
            "region": WEIDU_XIDA,
            "lon": str(lon),
            "lat": str(lat),
        },
        format="json",
    )
    assert_refused(response, 400, "outside_region", "lon")
    assert state(Site) == before


def permit_body(world: World, **changes) -> dict:
    return {
        "party": world.party("B").pk,
        "kind": "hw_operation",
        "number": "豫环许可危废字9999号",
        "issuer": "河南省生态环境厅",
        "stream": "hazardous",
        "waste_codes": ["900-041-49", "900-249-08"],
        "valid_from": "2023-01-01",
        "valid_to": "2027-12-31",
        **changes,
    }


def test_permit_whose_end_precedes_its_start(world):
    before = state(Permit)
    response = client_as(world, "ecology").post(
        "/api/v1/permits/",
        permit_body(world, valid_from="2024-06-01", valid_to="2024-05-31"),
        format="json",
    )
    assert_refused(response, 400, "end_before_start", "valid_to")
    assert state(Permit) == before


def test_permit_with_an_unknown_waste_code(world):
    before = state(Permit)
    response = client_as(world, "ecology").post(
        "/api/v1/permits/",
        permit_body(world, waste_codes=["900-041-49", "900-999-49"]),
        format="json",
    )
    assert_refused(response, 400, "unknown_waste_code", "waste_codes")
    assert "900-999-49" in response.data["message"]
    assert state(Permit) == before


@pytest.mark.parametrize("code", ["900-041-99", "HW49", "900-041-S08", "9000-41-49"])
def test_permit_with_a_malformed_waste_code(world, code):
    before = state(Permit)
    response = client_as(world, "ecology").post(
        "/api/v1/permits/", permit_body(world, waste_codes=[code]), format="json"
    )
    assert_refused(response, 400, "malformed_waste_code", "waste_codes")
    assert state(Permit) == before


def test_valid_permit_is_accepted_with_its_codes(world):
    """The control: the body the permit tests spoil is itself valid."""
    before = state(Permit)
    response = client_as(world, "ecology").post(
        "/api/v1/permits/", permit_body(world), format="json"
    )
    assert response.status_code == 201, response.data
    assert sorted(response.data["waste_codes"]) == ["900-041-49", "900-249-08"]
    assert state(Permit) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("field", ["tonnes_per_day", "tonnes_per_year"])
def test_negative_capacity(world, field):
    body = {
        "facility": world.obj("facilities", "fB").pk,
        "stream": "hazardous",
        "method": "D10",
        "tonnes_per_day": "30",
        "tonnes_per_year": "9000",
        field: "-0.001",
    }
    before = state(FacilityCapacity)
    response = client_as(world, "ecology").post("/api/v1/capacities/", body, format="json")
    assert_refused(response, 400, "min_value", field)
    assert state(FacilityCapacity) == before


def test_update_moving_a_site_out_of_the_county_is_refused(world):
    """魏都区's official may change 魏都区's sites, but not move one to 长葛市."""
    site = world.obj("sites", "sA")
    lon, lat = point_in(CHANGGE)
    before = state(Site)
    response = client_as(world, "county").patch(
        f"/api/v1/sites/{site.pk}/",
        {"region": CHANGGE, "lon": str(lon), "lat": str(lat)},
        format="json",
    )
    assert_refused(response, 403, "not_permitted", None)
    site.refresh_from_db()
    assert site.region.adcode == WEIDU_XIDA
    assert state(Site) == before


def test_update_moving_a_capacity_to_another_bureaus_stream_is_refused(world):
    capacity = world.obj("capacities", "cM")
    before = state(FacilityCapacity)
    response = client_as(world, "health").patch(
        f"/api/v1/capacities/{capacity.pk}/", {"stream": "hazardous"}, format="json"
    )
    assert_refused(response, 403, "not_permitted", None)
    capacity.refresh_from_db()
    assert capacity.stream.code == "medical"
    assert state(FacilityCapacity) == before


def test_update_moving_a_device_to_another_party_answers_as_if_it_did_not_exist(world):
    """An enterprise cannot even name another party: its id is 'does not exist'."""
    device = world.obj("devices", "dA")
    before = state()
    response = client_as(world, "enterprise").patch(
        f"/api/v1/devices/{device.pk}/", {"party": world.party("B").pk}, format="json"
    )
    assert_refused(response, 400, "does_not_exist", "party")
    device.refresh_from_db()
    assert device.party_id == world.party("A").pk
    assert state() == before


def test_update_inside_scope_is_accepted(world):
    """The control for the refusals above: the same official, a change that stays home."""
    site = world.obj("sites", "sA")
    response = client_as(world, "county").patch(
        f"/api/v1/sites/{site.pk}/", {"address": "西大街 8 号"}, format="json"
    )
    assert response.status_code == 200, response.data
    site.refresh_from_db()
    assert site.address == "西大街 8 号"


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/v1/parties/"), ("patch", "parties/A"), ("put", "parties/A")],
)
def test_unauthenticated_write(world, method, url):
    if not url.startswith("/"):
        endpoint, key = url.split("/")
        url = f"/api/v1/{endpoint}/{world.party(key).pk}/"
    before = state(Party)
    response = getattr(APIClient(), method)(url, party_body(), format="json")
    assert_refused(response, 401, "not_authenticated", None)
    assert response["WWW-Authenticate"] == "Token"
    assert state(Party) == before


def test_put_with_the_unchanged_unique_credit_code_is_accepted(world):
    """A full update re-sends the row's own credit code; it is not 'already taken'."""
    party = world.party("A")
    body = party_body(credit_code=party.credit_code, name="企业甲（更名）")
    response = client_as(world, "city").put(f"/api/v1/parties/{party.pk}/", body, format="json")
    assert response.status_code == 200, response.data
    party.refresh_from_db()
    assert party.name == "企业甲（更名）"


def test_credit_code_of_another_party_is_taken(world):
    body = party_body(credit_code=world.party("B").credit_code)
    before = state(Party)
    response = client_as(world, "city").post("/api/v1/parties/", body, format="json")
    assert_refused(response, 400, "unique", "credit_code")
    assert state(Party) == before


def test_capacity_stays_decimal(world):
    body = {
        "facility": world.obj("facilities", "fB").pk,
        "stream": "hazardous",
        "method": "D10",
        "tonnes_per_day": "30.125",
        "tonnes_per_year": "9000",
    }
    response = client_as(world, "ecology").post("/api/v1/capacities/", body, format="json")
    assert response.status_code == 201, response.data
    row = FacilityCapacity.objects.get(pk=response.data["id"])
    assert row.tonnes_per_day == Decimal("30.125")


def test_permit_number_taken_for_its_kind(world):
    taken = world.obj("permits", "pB")
    before = state(Permit)
    response = client_as(world, "ecology").post(
        "/api/v1/permits/",
        permit_body(
            world,
            number=taken.number,
            valid_from=str(taken.valid_from),
            valid_to=str(taken.valid_to),
        ),
        format="json",
    )
    assert_refused(response, 400, "duplicate_permit_number", None)
    assert response.data["message"] == "同类许可证中已有同一起始日期的此编号。"
    assert state(Permit) == before


def test_a_renewal_may_keep_its_number(world):
    taken = world.obj("permits", "pB")
    response = client_as(world, "ecology").post(
        "/api/v1/permits/",
        permit_body(world, number=taken.number, valid_from="2027-01-01", valid_to="2031-12-31"),
        format="json",
    )
    assert response.status_code == 201, response.data


def test_permit_codes_must_be_in_force_during_its_period(world):
    """A licence of 2018-2022 may list codes of the 2021 名录; one of 2016-2020 may not."""
    ecology = client_as(world, "ecology")
    spanning = permit_body(world, number="跨期", valid_from="2018-01-01", valid_to="2022-12-31")
    assert ecology.post("/api/v1/permits/", spanning, format="json").status_code == 201
    before = state(Permit)
    earlier = permit_body(world, number="早期", valid_from="2016-01-01", valid_to="2020-12-31")
    response = ecology.post("/api/v1/permits/", earlier, format="json")
    assert_refused(response, 400, "unknown_waste_code", "waste_codes")
    assert state(Permit) == before
