"""The manifest's track (selector and htmx fragment) and the thresholds page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from wufei.iot.choices import Direction
from wufei.iot.models import Threshold
from wufei.iot.rules.stops import check_stops
from wufei.iot.rules.trips import trips_for
from wufei.iot.tests.road import road
from wufei.iot.thresholds import Thresholds
from wufei.iot.track import manifest_track
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.manifests.tests.world import user

pytestmark = pytest.mark.django_db


def test_the_track_runs_from_pick_up_to_receipt_with_tickets_and_placed_alerts():
    r = road()
    r.fix(-10, r.along(0))  # before the pick-up: not on this manifest's track
    r.fix(2, r.along(0.1))
    spot = r.along(0.5, aside_km=2)
    for minute in range(10, 41, 10):
        r.fix(minute, spot, speed=0)
    check_stops(trips_for([r.w.vehicle.pk]), Thresholds({}))
    r.ticket(Direction.OUT, "5000", minutes=-1)
    m = services.manifest_receive(
        actor=r.w.receiver_clerk, manifest=r.m, received_kg="4990", at=r.t0 + timedelta(hours=1)
    )
    r.fix(24 * 60, r.along(1))  # after the receipt: not either
    track = manifest_track(actor=r.w.clerk, pk=m.pk)
    assert track.total == 5
    assert track.points[0][:3] == [round(r.along(0.1)[1], 6), round(r.along(0.1)[0], 6), 40.0]
    assert [t.direction for t in track.tickets] == [Direction.OUT]
    assert track.marks == []  # the transporter's alert is not the generator's to see
    carrier = manifest_track(actor=r.w.carrier, pk=m.pk)
    assert [mark["rule"] for mark in carrier.marks] == ["suspected_dumping"]
    assert carrier.chart["origin"] == [r.a[1], r.a[0]]


def test_the_fragment_renders_for_those_who_see_the_manifest_only(client):
    r = road()
    r.fix(3, r.along(0.2))
    r.fix(4, r.along(0.25))
    client.force_login(r.w.carrier)
    page = client.get(f"/iot/manifests/{r.m.pk}/track/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="track-map"' in body and "运输中" in body
    data = json.loads(
        body.split('id="track-data" type="application/json">')[1].split("</script>")[0]
    )
    assert len(data["points"]) == 2
    client.force_login(r.w.stranger)
    assert client.get(f"/iot/manifests/{r.m.pk}/track/").status_code == 404


def test_a_manifest_not_yet_picked_up_has_no_track(client):
    r = road(State.SUBMITTED)
    client.force_login(r.w.clerk)
    page = client.get(f"/iot/manifests/{r.m.pk}/track/")
    assert "联单尚未起运" in page.content.decode()


def test_the_thresholds_page_lists_and_an_official_edits(client):
    city = user(role="city")
    client.force_login(city)
    page = client.get("/iot/thresholds/")
    assert page.status_code == 200 and "路线走廊半宽" in page.content.decode()
    done = client.post("/iot/thresholds/corridor_km/", {"corridor_km-value": "4.5"})
    assert done.status_code == 302
    assert Threshold.objects.get(key="corridor_km").value == 4.5
    refused = client.post("/iot/thresholds/corridor_km/", {"corridor_km-value": "99"})
    assert refused.status_code == 400
    assert "须在 0.2 至 50 千米之间" in refused.content.decode()


def test_others_see_the_thresholds_read_only_and_cannot_post(client):
    r = road()
    client.force_login(r.w.clerk)
    page = client.get("/iot/thresholds/")
    assert 'data-testid="read-only"' in page.content.decode()
    assert (
        client.post("/iot/thresholds/corridor_km/", {"corridor_km-value": "4"}).status_code == 403
    )
    client.force_login(r.w.public)  # a public account sees no alerts, so no thresholds
    assert client.get("/iot/thresholds/").status_code == 403
    client.logout()
    assert client.get("/iot/thresholds/").status_code == 302
    assert not Threshold.objects.exists()
