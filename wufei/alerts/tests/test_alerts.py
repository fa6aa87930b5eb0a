"""The alert list (page and API): scoped, filtered, counted; the trail and the
acknowledge / comment / resolve actions through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from wufei.alerts.choices import AlertStatus, Rule
from wufei.alerts.models import Alert
from wufei.manifests.choices import State
from wufei.manifests.deadlines import check_deadlines
from wufei.manifests.tests.world import hazardous_world, run_to

pytestmark = pytest.mark.django_db
API = "/api/v1/alerts/"
PAGE = "/alerts/"


@pytest.fixture
def w():
    return hazardous_world()


@pytest.fixture
def gap(w):
    """A weight-gap alert (the generator's) on a received manifest."""
    m = run_to(w, State.RECEIVED, pickup_kg="350.5", received_kg="250")
    return Alert.objects.get(rule=Rule.WEIGHT_GAP), m


@pytest.fixture
def overdue(w):
    """A pick-up alert (the transporter's) on a submitted manifest."""
    m = run_to(w, State.SUBMITTED)
    check_deadlines(now=m.submitted_at + timedelta(days=8))
    return Alert.objects.get(rule=Rule.PICKUP_OVERDUE), m


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


def test_api_list_is_scoped_to_region_party_and_stream(w, gap, overdue):
    both = {gap[0].pk, overdue[0].pk}
    assert ids(api(w.city).get(API)) == both
    assert ids(api(w.ecology).get(API)) == both
    assert ids(api(w.county_weidu).get(API)) == both
    assert ids(api(w.county_other).get(API)) == set()
    assert ids(api(w.clerk).get(API)) == {gap[0].pk}
    assert ids(api(w.carrier).get(API)) == {overdue[0].pk}
    assert ids(api(w.stranger).get(API)) == set()
    assert APIClient().get(API).status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"rule": "weight_gap"}, {"gap"}),
        ({"status": "open"}, {"gap", "overdue"}),
        ({"status": "resolved"}, set()),
        ({"severity": "critical"}, {"gap"}),
        ({"region": "411002"}, {"gap", "overdue"}),
        ({"region": "411082"}, set()),
        ({"stream": "hazardous"}, {"gap", "overdue"}),
        ({"stream": "medical"}, set()),
        ({"subject_type": "manifest", "rule": "pickup_overdue"}, {"overdue"}),
    ],
)
def test_api_filters(w, gap, overdue, query, expected):
    named = {"gap": gap[0].pk, "overdue": overdue[0].pk}
    assert ids(api(w.city).get(API, query)) == {named[k] for k in expected}


def test_api_date_filter_and_subject_url(w, overdue):
    alert, m = overdue
    day = alert.opened_at.astimezone().date()
    assert ids(api(w.city).get(API, {"opened_from": day.isoformat()})) == {alert.pk}
    later = (day + timedelta(days=1)).isoformat()
    assert ids(api(w.city).get(API, {"opened_from": later})) == set()
    row = api(w.city).get(f"{API}{alert.pk}/").data
    assert row["subject_url"] == f"/manifests/{m.pk}/"
    assert [a["action"] for a in row["actions"]] == ["raise"]


def test_api_acknowledge_comment_resolve_and_refusals(w, gap):
    alert, _m = gap
    clerk = api(w.clerk)
    url = f"{API}{alert.pk}/"
    response = clerk.post(f"{url}acknowledge/", {"note": "在查"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == AlertStatus.ACKNOWLEDGED
    assert clerk.post(f"{url}comment/", {}, format="json").status_code == 400
    assert clerk.post(f"{url}comment/", {"note": "磅秤已校准"}, format="json").status_code == 200
    assert api(w.stranger).post(f"{url}resolve/", {}, format="json").status_code == 404
    assert api(w.driver).post(f"{url}resolve/", {}, format="json").status_code == 403
    resolved = api(w.city).post(f"{url}resolve/", {"note": "复核无误"}, format="json")
    assert resolved.data["status"] == AlertStatus.RESOLVED
    trail = [(a["action"], a["note"]) for a in resolved.data["actions"]]
    assert trail[1:] == [
        ("acknowledge", "在查"),
        ("comment", "磅秤已校准"),
        ("resolve", "复核无误"),
    ]
    again = clerk.post(f"{url}acknowledge/", {}, format="json")
    assert again.status_code == 409 and again.data["code"] == "alert_resolved"


def test_the_page_counts_per_rule_and_status_and_links_subjects(w, client, gap, overdue):
    Alert.objects.filter(pk=overdue[0].pk).update(status=AlertStatus.ACKNOWLEDGED)
    client.force_login(w.city)
    html = client.get(PAGE).content.decode()
    assert 'data-total="2"' in html
    assert 'data-rule="weight_gap"' in html and 'data-rule="pickup_overdue"' in html
    assert 'rule=pickup_overdue&amp;status=acknowledged">1</a>' in html
    assert f'href="/manifests/{gap[1].pk}/"' in html
    filtered = client.get(PAGE, {"rule": "weight_gap"}).content.decode()
    assert 'data-total="1"' in filtered and 'data-rule="pickup_overdue"' not in filtered
    assert client.get(PAGE, {"format": "xlsx"})["Content-Type"].startswith("application/vnd")
    client.force_login(w.stranger)
    assert 'data-total="0"' in client.get(PAGE).content.decode()
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_the_detail_page_shows_the_trail_and_acts(w, client, gap):
    alert, _m = gap
    client.force_login(w.clerk)
    url = f"{PAGE}{alert.pk}/"
    html = client.get(url).content.decode()
    assert 'data-testid="alert-actions"' in html and alert.message in html
    assert client.post(f"{url}acknowledge/", {"note": "收到"}).status_code == 302
    assert client.post(f"{url}comment/", {"note": ""}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert [a.action for a in alert.actions.all()] == ["raise", "acknowledge"]
    html = client.get(url).content.decode()
    assert "收到" in html
    client.force_login(w.stranger)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}resolve/").status_code == 404
    client.force_login(w.driver)  # may view the party's alerts, not change them
    assert 'data-testid="alert-actions"' not in client.get(url).content.decode()
    client.force_login(w.city)
    client.post(f"{url}resolve/", {"note": "已处理"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert 'data-testid="alert-actions"' not in client.get(url).content.decode()


@pytest.mark.django_db
def test_an_open_alert_is_escalated_when_raised_again_more_severely_never_lowered():
    from wufei.alerts.services import Subject, alert_raise

    subject = Subject("bin", "1:B1", "投放点 B1")
    first = alert_raise(rule=Rule.BIN_FULL, subject=subject, message="85%", severity="warning")
    again = alert_raise(rule=Rule.BIN_FULL, subject=subject, message="99%", severity="critical")
    calmer = alert_raise(rule=Rule.BIN_FULL, subject=subject, message="90%", severity="warning")
    assert first.pk == again.pk == calmer.pk
    first.refresh_from_db()
    assert first.severity == "critical"
    assert [a.action for a in first.actions.all()] == ["raise", "escalate"]
