"""The API: public events, booking with the human check (and its refusals with codes), the
booking by code, the survey answer and the officials' results; the schema generates cleanly."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from wufei.outreach import services
from wufei.outreach.models import Booking, Event, EventKind, SurveyResponse
from wufei.outreach.tests.conftest import Town

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/outreach/events/"
SURVEY = "/api/v1/outreach/survey/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def solved(api: APIClient, base: str = EVENTS) -> dict:
    """A fresh question from the API, answered."""
    body = api.get(f"{base}challenge/").json()
    a, op, b = body["question"].replace("等于几？", "").split()
    value = int(a) + int(b) if op == "加" else int(a) - int(b)
    return {"human_token": body["human_token"], "human_answer": str(value)}


def test_anybody_lists_published_events(api, town: Town):
    shown = town.event(title="公开活动", capacity=8)
    draft = town.event(title="草稿", publish=False, kind=EventKind.TRAINING, host=None)
    body = api.get(EVENTS).json()
    assert [e["title"] for e in body["results"]] == ["公开活动"]
    row = body["results"][0]
    assert row["places_left"] == 8 and row["booking_open"] is True
    assert row["region"] == "411002" and row["host_name"] == "许昌再生资源回收利用公司"
    assert "client_key" not in str(body)
    assert api.get(f"{EVENTS}{draft.pk}/").status_code == 404
    assert api.get(f"{EVENTS}{shown.pk}/").json()["kind_label"] == "企业开放日"
    assert api.get(EVENTS, {"kind": "training"}).json()["count"] == 0
    api.force_authenticate(town.users["city"])
    assert api.get(EVENTS).json()["count"] == 2


def test_booking_through_the_api(api, town: Town):
    event = town.event(capacity=3)
    url = f"{EVENTS}{event.pk}/book/"
    payload = {"name": "冯二", "phone": "13912345678", "people": 2}
    refused = api.post(url, {**payload, "human_token": "x", "human_answer": "1"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "human_check_failed"
    made = api.post(url, {**payload, **solved(api)}, format="json")
    assert made.status_code == 201, made.json()
    code = made.json()["code"]
    assert made.json()["phone_masked"] == "139****5678"
    full = api.post(url, {**payload, **solved(api)}, format="json")
    assert full.status_code == 400
    assert (full.json()["code"], full.json()["field"]) == ("full", "people")
    bad = api.post(url, {**payload, "phone": "110", "people": 11, **solved(api)}, format="json")
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {
        ("phone", "phone_invalid"),
        ("people", "people_out_of_range"),
    }
    lookup = api.get(f"{EVENTS}booking/", {"code": code.lower()})
    assert lookup.status_code == 200 and lookup.json()["status"] == "booked"
    cancelled = api.post(f"{EVENTS}cancel-booking/", {"code": code}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    again = api.post(f"{EVENTS}cancel-booking/", {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"
    assert api.get(f"{EVENTS}booking/", {"code": "ZZZZ2222"}).status_code == 404
    assert Event.objects.get(pk=event.pk).booked == 0


def test_booking_a_draft_or_a_flood_is_refused(api, town: Town):
    draft = town.event(publish=False)
    payload = {"name": "陈三", "phone": "13912345678", "people": 1}
    response = api.post(f"{EVENTS}{draft.pk}/book/", {**payload, **solved(api)}, format="json")
    assert response.status_code == 404
    event = town.event(capacity=50)
    url = f"{EVENTS}{event.pk}/book/"
    statuses = [
        api.post(url, {**payload, **solved(api)}, format="json", REMOTE_ADDR="10.7.7.7")
        for _i in range(4)
    ]
    assert [r.status_code for r in statuses] == [201, 201, 201, 429]
    assert statuses[-1].json()["code"] == "throttled"
    assert Booking.objects.filter(event=event).count() == 3
    bot = api.post(url, {**payload, **solved(api), "website": "http://x"}, format="json")
    assert bot.status_code == 400 and bot.json()["code"] == "honeypot"


def test_a_solved_question_is_good_once(api, town: Town):
    event = town.event(capacity=10)
    url = f"{EVENTS}{event.pk}/book/"
    answer = solved(api)
    payload = {"name": "褚四", "phone": "13912345678", "people": 1, **answer}
    assert api.post(url, payload, format="json").status_code == 201
    replay = api.post(url, payload, format="json")
    assert replay.status_code == 400 and replay.json()["code"] == "human_check_failed"


def test_answering_the_survey_through_the_api(api, town: Town):
    questions = api.get(f"{SURVEY}questions/").json()
    assert [q["code"] for q in questions["questions"]] == list(services.DIMENSIONS)
    assert questions["questions"][0]["question"] == "您对许昌“无废城市”建设了解吗？"
    assert len(questions["questions"][0]["answers"]) == 5
    assert {"adcode": "411002", "name": "魏都区"} in questions["counties"]
    payload = {"region": "411002", **dict.fromkeys(services.DIMENSIONS, 5), "comment": "好"}
    made = api.post(SURVEY, {**payload, **solved(api, SURVEY)}, format="json")
    assert made.status_code == 201 and made.json()["region"] == "411002"
    again = api.post(SURVEY, {**payload, **solved(api, SURVEY)}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_answered"
    wrong = api.post(
        SURVEY,
        {**payload, "region": "411002001", "gain": 9, **solved(api, SURVEY)},
        format="json",
        REMOTE_ADDR="10.3.3.3",
    )
    assert {(e["field"], e["code"]) for e in wrong.json()["errors"]} == {
        ("region", "region_invalid"),
        ("gain", "out_of_range"),
    }
    assert SurveyResponse.objects.count() == 1


def test_results_are_for_officials(api, town: Town):
    services.survey_submit(
        region=town.weidu, scores=dict.fromkeys(services.DIMENSIONS, 4), client_key="a"
    )
    assert api.get(f"{SURVEY}results/").status_code == 401
    api.force_authenticate(town.users["recycler"])
    assert api.get(f"{SURVEY}results/").status_code == 403
    api.force_authenticate(town.users["county"])
    body = api.get(f"{SURVEY}results/").json()
    assert [r["region"] for r in body["rows"]] == ["411002"]
    weidu = body["rows"][0]
    assert weidu["responses"] == 1 and weidu["overall_index"] == "80.0"
    assert {d["code"]: d["share"] for d in weidu["dimensions"]}["gain"] == "100.0"
    api.force_authenticate(town.users["city"])
    rows = api.get(f"{SURVEY}results/", {"quarter": "all"}).json()["rows"]
    assert rows[-1]["region"] is None and rows[-1]["name"] == "全市"
    assert api.get(f"{SURVEY}results/", {"year": "1900"}).json()["code"] == "year_invalid"


def test_the_schema_generates_without_warnings(tmp_path):
    path = tmp_path / "openapi.yaml"
    call_command(
        "spectacular",
        file=str(path),
        validate=True,
        fail_on_warn=True,
    )
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    paths = schema["paths"]
    assert {
        "/api/v1/outreach/events/",
        "/api/v1/outreach/events/{id}/book/",
        "/api/v1/outreach/events/cancel-booking/",
        "/api/v1/outreach/survey/",
        "/api/v1/outreach/survey/results/",
    } <= set(paths)
    book = paths["/api/v1/outreach/events/{id}/book/"]["post"]
    assert book["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
