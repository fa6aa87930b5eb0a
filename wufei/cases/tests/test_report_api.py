"""The reports API: public filing (a flood is throttled, nothing half-written), the public
view by code, the officials' list and transitions, the error bodies, the schema."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from wufei.cases import reports
from wufei.cases.human_check import client_key
from wufei.cases.models import Report, ReportEvent
from wufei.cases.tests.world import photo

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/reports/"
PUBLIC_KEYS = {
    "code",
    "kind",
    "kind_label",
    "stage",
    "stage_label",
    "created_at",
    "place",
    "description",
    "department",
    "answer",
    "rating",
    "rating_comment",
    "closed_at",
    "events",
    "follow_url",
}


def body(world, **overrides) -> dict:
    values = {
        "kind": "overflow",
        "description": "小区垃圾桶满溢两天没人清运。",
        "lon": str(world.weidu.center_lon),
        "lat": str(world.weidu.center_lat),
        "contact": "13900139000",
    }
    values.update(overrides)
    return values


def post(client, world, *, address="198.51.100.20", upload=None, **overrides):
    data = body(world, **overrides)
    if upload is not None:
        data["photo"] = upload
    return client.post(API, data, REMOTE_ADDR=address)


def test_a_flood_from_one_address_is_throttled_and_nothing_is_half_written(client, world):
    media = Path(django_settings.MEDIA_ROOT)
    answers = [post(client, world, upload=photo("scene.jpg")) for _i in range(30)]
    statuses = [a.status_code for a in answers]
    assert statuses == [201] * 5 + [429] * 25
    refused = answers[-1]
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Report.objects.count() == 5
    assert ReportEvent.objects.count() == 5
    assert len([p for p in media.rglob("*") if p.is_file()]) == 5  # no orphan photos
    assert {a.json()["code"] for a in answers[:5]} == set(
        Report.objects.values_list("code", flat=True)
    )
    other = post(client, world, address="198.51.100.21")
    assert other.status_code == 201
    assert Report.objects.count() == 6


def test_filing_answers_with_the_public_view(client, world):
    answer = post(client, world)
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert set(data) == PUBLIC_KEYS
    assert data["stage"] == "received"
    assert data["follow_url"] == f"/public/reports/{data['code']}/"
    report = Report.objects.get(code=data["code"])
    request = type("R", (), {"META": {"REMOTE_ADDR": "198.51.100.20"}})()
    assert report.client_key == client_key(request)
    assert report.contact_masked == "139****9000"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"lon": "", "lat": ""}, "lon", "no_place"),
        ({"lon": "116.397", "lat": "39.909"}, "lon", "outside_city"),
        ({"description": ""}, "description", "required"),
        ({"kind": "fireworks"}, "kind", "invalid_choice"),
    ],
)
def test_bad_filings_answer_400_with_field_and_code(client, world, overrides, field, code):
    answer = post(client, world, **overrides)
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == (field, code)
    assert not Report.objects.exists()


def test_a_bad_photo_answers_400(client, world):
    answer = post(client, world, upload=photo("x.png", head=b"%PDF-1.4"))
    assert (answer.status_code, answer.json()["code"]) == (400, "photo_type")


def test_the_public_view_by_code_and_unknown_codes(client, world):
    code = post(client, world).json()["code"]
    answer = client.get(f"{API}{code.lower()}/")
    assert answer.status_code == 200
    assert set(answer.json()) == PUBLIC_KEYS
    text = answer.content.decode()
    assert "139****9000" not in text and str(world.weidu.center_lat) not in text
    missing = client.get(f"{API}ZZZZZZZZZZ/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_officials_list_and_act(client, world):
    code = post(client, world).json()["code"]
    assert client.get(API).status_code == 401
    client.force_login(world.county_changge)
    assert client.get(API).json()["count"] == 0
    refused = client.post(f"{API}{code}/assign/", {}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    client.force_login(world.county_weidu)
    listed = client.get(API, {"stage": "received"}).json()
    assert [r["code"] for r in listed["results"]] == [code]
    assert listed["results"][0]["contact_masked"] == "139****9000"
    wrong = client.post(f"{API}{code}/answer/", {"answer": "好"}, content_type="application/json")
    assert (wrong.status_code, wrong.json()["code"]) == (409, "invalid_transition")
    assigned = client.post(
        f"{API}{code}/assign/", {"department": "urban"}, content_type="application/json"
    )
    assert (assigned.status_code, assigned.json()["stage"]) == (200, "assigned")
    no_photo = client.post(f"{API}{code}/handle/", {"note": "已清运"})
    assert (no_photo.status_code, no_photo.json()["code"]) == (400, "photo_required")
    handled = client.post(f"{API}{code}/handle/", {"note": "已清运", "photo": photo("after.jpg")})
    assert (handled.status_code, handled.json()["stage"]) == (200, "handled")
    answered = client.post(
        f"{API}{code}/answer/", {"answer": "已清运完毕"}, content_type="application/json"
    )
    assert answered.json()["stage"] == "answered"
    client.logout()
    early = client.post(f"{API}{code}/assign/", {}, content_type="application/json")
    assert early.status_code == 401
    bad = client.post(f"{API}{code}/rate/", {"rating": 9}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
        400,
        "rating_invalid",
        "rating",
    )
    rated = client.post(
        f"{API}{code}/rate/", {"rating": 4, "comment": "及时"}, content_type="application/json"
    )
    assert rated.status_code == 200
    assert (rated.json()["stage"], rated.json()["rating"]) == ("closed", 4)
    again = client.post(f"{API}{code}/rate/", {"rating": 5}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "not_answered")


def test_a_report_rejected_through_the_api(client, world):
    code = post(client, world).json()["code"]
    client.force_login(world.city)
    empty = client.post(f"{API}{code}/reject/", {}, content_type="application/json")
    assert (empty.status_code, empty.json()["code"]) == (400, "required")
    done = client.post(
        f"{API}{code}/reject/", {"reason": "重复举报"}, content_type="application/json"
    )
    assert done.json()["stage"] == "rejected"
    public = client.get(f"{API}{code}/").json()
    assert (public["stage"], public["answer"]) == ("rejected", "重复举报")


def test_the_schema_of_the_reports_api_is_valid_and_warning_free():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned about the reports API"
    validate_schema(schema)
    paths = schema["paths"]
    assert {
        "/api/v1/cases/reports/",
        "/api/v1/cases/reports/{code}/",
        "/api/v1/cases/reports/{code}/assign/",
        "/api/v1/cases/reports/{code}/rate/",
    } <= set(paths)
    assert paths["/api/v1/cases/reports/"]["post"]["responses"].keys() >= {"201", "400", "429"}
    assert "security" not in paths["/api/v1/cases/reports/"]["post"]  # public: no log-in
    assert "security" not in paths["/api/v1/cases/reports/{code}/"]["get"]
    assert paths["/api/v1/cases/reports/"]["get"]["security"]  # the list: officials only


def test_escalation_command(world, capsys):
    from django.core.management import call_command

    reports.report_file(
        data=body(world), photo=None, client_key="k" * 64, now=timezone.now() - timedelta(days=2)
    )
    call_command("reports_escalate")
    assert "督办 1 件，自动办结 0 件。" in capsys.readouterr().out
    call_command("reports_escalate")
    assert "督办 0 件" in capsys.readouterr().out
