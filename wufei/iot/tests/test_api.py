"""The HTTP ingest endpoint: device tokens, the same intake as MQTT, answers per message."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.accounts.tests.factories import UserFactory
from wufei.iot.models import FillLevel, QuarantinedMessage
from wufei.iot.services import token_issue
from wufei.iot.tests.devices import PAYLOADS, fleet

pytestmark = pytest.mark.django_db

URL = "/api/v1/iot/ingest/fill/"


@pytest.fixture
def setup():
    devices = fleet()
    clerk = UserFactory(role="enterprise", party=devices.sensor.party)
    key, _token = token_issue(actor=clerk, device=devices.sensor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return devices, client


def body(ident: str, **fields) -> dict:
    return {"id": ident, "ts": timezone.now().isoformat(), **PAYLOADS["fill"], **fields}


def post(client, payload) -> tuple[int, dict]:
    response = client.generic("POST", URL, json.dumps(payload), content_type="application/json")
    return response.status_code, response.json()


def test_one_message_and_an_array(setup):
    _devices, client = setup
    status, answer = post(client, body("a"))
    assert status == 200 and answer["accepted"] == 1
    status, answer = post(client, [body("a"), body("b"), body("c", percent=500)])
    assert status == 200
    assert [r["status"] for r in answer["results"]] == ["duplicate", "accepted", "quarantined"]
    refused = answer["results"][2]
    assert (refused["code"], refused["field"]) == ("schema", "percent")
    assert refused["message"] == "不符合报文格式"
    assert FillLevel.objects.count() == 2
    assert QuarantinedMessage.objects.get().channel == "http"


def test_a_body_that_is_not_json_is_kept_in_quarantine(setup):
    _devices, client = setup
    response = client.generic("POST", URL, b"{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["results"][0]["code"] == "bad_json"
    assert bytes(QuarantinedMessage.objects.get().payload) == b"{oops"


def test_a_token_posts_only_for_its_own_device(setup):
    _devices, client = setup
    response = client.generic(
        "POST",
        "/api/v1/iot/ingest/gps/",
        json.dumps({"id": "g", "ts": timezone.now().isoformat(), **PAYLOADS["gps"]}),
        content_type="application/json",
    )
    # The token's device is a bin sensor: a GPS message from it is the wrong kind of device.
    assert response.json()["results"][0]["code"] == "wrong_device_kind"


def test_without_a_device_token(setup):
    devices, _client = setup
    anonymous = APIClient()
    status, answer = post(anonymous, body("a"))
    assert status == 401 and answer["code"] == "device_token_required"
    user = UserFactory(role="enterprise", party=devices.sensor.party)
    anonymous.force_authenticate(user)
    status, answer = post(anonymous, body("a"))
    assert status == 401
    assert FillLevel.objects.count() == 0


def test_the_schemas_are_published(client):
    answer = client.get("/api/v1/iot/ingest/schemas/").json()
    assert set(answer) == {"weigh", "gps", "fill", "deposit"}
    assert answer["fill"]["title"] == "wufei/v1/fill"
