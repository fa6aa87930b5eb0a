"""The watcher: readings picked by arrival with an overlap, every rule run, marks moved on,
nothing raised twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wufei.alerts.choices import Rule
from wufei.alerts.models import Alert, AlertAction
from wufei.iot.choices import Direction, LinkStatus, MessageKind
from wufei.iot.models import WatchMark
from wufei.iot.tests.road import road
from wufei.iot.watch import watch

pytestmark = pytest.mark.django_db


def test_one_pass_links_tickets_runs_the_rules_and_moves_the_marks():
    r = road()
    now = r.t0 + timedelta(hours=2)
    r.fix(5, r.along(0.3, aside_km=8))
    r.fix(6, r.along(0.35, aside_km=8))
    r.ticket(Direction.OUT, "5000", minutes=-5, linked=False)
    r.ticket(Direction.IN, "4000", minutes=90, linked=False)
    counts = watch(now)
    assert counts["link_linked"] == 2
    assert counts["route_deviation"] == counts["ticket_weight_gap"] == 1
    assert set(Alert.objects.values_list("rule", flat=True)) == {
        Rule.ROUTE_DEVIATION,
        Rule.TICKET_WEIGHT_GAP,
    }
    marks = dict(WatchMark.objects.values_list("kind", "received_until"))
    assert marks == {MessageKind.GPS: now, MessageKind.WEIGH: now, MessageKind.FILL: now}


def test_a_reading_committed_late_inside_the_overlap_is_seen_and_nothing_is_raised_twice():
    r = road()
    first = r.t0 + timedelta(minutes=30)
    r.fix(5, r.along(0.3))
    watch(first)
    # A worker received these before the last pass but committed them after it.
    r.fix(10, r.along(0.4, aside_km=9), received=first - timedelta(minutes=3))
    r.fix(11, r.along(0.45, aside_km=9), received=first - timedelta(minutes=2))
    assert watch(first + timedelta(minutes=1))["route_deviation"] == 1
    assert watch(first + timedelta(minutes=2))["route_deviation"] == 1  # seen again, same alert
    assert Alert.objects.filter(rule=Rule.ROUTE_DEVIATION).count() == 1
    assert AlertAction.objects.filter(action="raise").count() == 1


def test_a_reading_that_arrived_long_before_the_mark_is_not_reread():
    r = road()
    first = r.t0 + timedelta(hours=1)
    watch(first)
    r.fix(10, r.along(0.4, aside_km=9), received=first - timedelta(minutes=30))
    r.fix(11, r.along(0.45, aside_km=9), received=first - timedelta(minutes=30))
    assert watch(first + timedelta(minutes=1))["route_deviation"] == 0
    # ...though the vehicle's whole trip is judged once any new fix of it arrives
    r.fix(12, r.along(0.5), received=first + timedelta(minutes=1, seconds=30))
    assert watch(first + timedelta(minutes=2))["route_deviation"] == 1


def test_the_command_runs_one_pass(capsys):
    r = road()
    t = r.ticket(Direction.IN, "10", linked=False, number="")
    call_command("iot_watch", "--once")
    assert "link_no_reference=1" in capsys.readouterr().out
    t.refresh_from_db()
    assert t.link_status == LinkStatus.NO_REFERENCE
    assert WatchMark.objects.count() == 3


def _queries_of_a_pass(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        watch(now)
    return len(queries)


def test_a_pass_costs_the_same_queries_for_one_truck_or_many():
    first = road()
    watch(first.t0)  # the marks exist from here on
    for minute in range(1, 30):
        first.fix(minute, first.along(minute / 40))
    now = first.t0 + timedelta(minutes=30)
    one = _queries_of_a_pass(now)
    later = now + timedelta(minutes=1)
    for _ in range(3):
        more = road()
        for minute in range(1, 60):
            more.fix(minute, more.along(minute / 80), received=later)
    first.fix(31, first.along(0.8), received=later)
    many = _queries_of_a_pass(later)
    assert many == one
