"""The deadline sweep: alerts raised past each flow's deadlines, once, and cleared when the
manifest moves on; storage at source for flows that limit it; the command."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert
from wufei.manifests.choices import State
from wufei.manifests.deadlines import CLEARED, check_deadlines
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.registry.models import WasteStream
from wufei.trace import services as trace
from wufei.trace.services import NewContainer

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def alerts(rule):
    return Alert.objects.filter(rule=rule)


def test_a_submitted_manifest_not_picked_up_in_time_gets_one_alert():
    w = hazardous_world()
    m = run_to(w, State.SUBMITTED)
    limit = timedelta(hours=m.flow_def.pickup_hours)
    assert check_deadlines(now=m.submitted_at + limit - HOUR)[Rule.PICKUP_OVERDUE] == 0
    counts = check_deadlines(now=m.submitted_at + limit + HOUR)
    assert counts[Rule.PICKUP_OVERDUE] == 1
    alert = alerts(Rule.PICKUP_OVERDUE).get()
    assert (alert.subject_type, alert.subject_id, alert.subject_label) == (
        "manifest",
        str(m.pk),
        m.number,
    )
    assert alert.party_id == w.transporter.pk
    assert alert.region_id == m.region_id and alert.stream_id == m.stream_id
    assert "169" in alert.message  # hours since submission
    # A second sweep raises nothing new.
    assert check_deadlines(now=m.submitted_at + limit + 2 * HOUR)[Rule.PICKUP_OVERDUE] == 0
    assert alerts(Rule.PICKUP_OVERDUE).count() == 1


def test_the_alert_is_cleared_once_the_manifest_moves_on():
    w = hazardous_world()
    m = run_to(w, State.SUBMITTED)
    late = m.submitted_at + timedelta(hours=m.flow_def.pickup_hours + 1)
    check_deadlines(now=late)
    m = run_to(w, State.PICKED_UP, manifest=m)
    counts = check_deadlines(now=late + HOUR)
    assert counts[CLEARED] == 1
    alert = alerts(Rule.PICKUP_OVERDUE).get()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_at == late + HOUR
    last = alert.actions.order_by("at", "pk").last()
    assert last.action == "auto_resolve" and "已起运" in last.note
    assert check_deadlines(now=late + 2 * HOUR)[CLEARED] == 0


def test_receipt_and_completion_overdue():
    w = hazardous_world()
    moving = run_to(w, State.IN_TRANSIT)
    received = run_to(w, State.RECEIVED)
    flow = moving.flow_def
    counts = check_deadlines(now=moving.picked_up_at + timedelta(hours=flow.transit_hours) + HOUR)
    assert counts[Rule.RECEIPT_OVERDUE] == 1
    assert counts[Rule.COMPLETION_OVERDUE] == 0
    receipt = alerts(Rule.RECEIPT_OVERDUE).get()
    assert receipt.subject_id == str(moving.pk) and receipt.party_id == w.transporter.pk
    later = received.received_at + timedelta(hours=flow.completion_hours) + HOUR
    counts = check_deadlines(now=later)
    assert counts[Rule.COMPLETION_OVERDUE] == 1
    completion = alerts(Rule.COMPLETION_OVERDUE).get()
    assert completion.subject_id == str(received.pk) and completion.party_id == w.receiver.pk
    # Completing the received manifest clears its alert; the one in transit stays open.
    run_to(w, State.COMPLETED, manifest=received)
    assert check_deadlines(now=later + HOUR)[CLEARED] == 1
    assert alerts(Rule.COMPLETION_OVERDUE).get().status == AlertStatus.RESOLVED
    assert alerts(Rule.RECEIPT_OVERDUE).get().status == AlertStatus.OPEN


def _medical_boxes(w, masses=("2.5", "3")):
    medical = WasteStream.objects.get(code="medical")
    return [
        trace.container_register(
            actor=w.clerk, spec=NewContainer(kind="box", stream=medical, mass_kg=Decimal(m))
        )
        for m in masses
    ]


def test_medical_waste_stored_over_48_hours_raises_one_critical_alert_per_box():
    w = hazardous_world()
    small = _medical_boxes(w)
    big = trace.containers_pack(actor=w.clerk, children=[c.code for c in small])
    lone = _medical_boxes(w, masses=("1",))[0]
    # Hazardous drums on a manifest: no storage limit for that flow.
    run_to(w, State.SUBMITTED)
    start = min(c.created_at for c in small)
    assert check_deadlines(now=start + timedelta(hours=47))[Rule.STORAGE_OVERDUE] == 0
    counts = check_deadlines(now=start + timedelta(hours=49))
    assert counts[Rule.STORAGE_OVERDUE] == 2
    raised = {a.subject_label: a for a in alerts(Rule.STORAGE_OVERDUE)}
    assert set(raised) == {big.code, lone.code}  # the big box, not the boxes inside it
    alert = raised[big.code]
    assert (alert.subject_type, alert.subject_id) == ("container", str(big.pk))
    assert alert.severity == Severity.CRITICAL and alert.party_id == w.generator.pk
    assert "48" in alert.message
    assert check_deadlines(now=start + timedelta(hours=50))[Rule.STORAGE_OVERDUE] == 0


def test_a_sweep_with_nothing_new_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    w = hazardous_world()
    manifests = [run_to(w, State.SUBMITTED) for _ in range(4)]
    _medical_boxes(w)
    now = timezone.now() + timedelta(days=60)
    assert check_deadlines(now=now)[Rule.PICKUP_OVERDUE] == len(manifests)
    with django_assert_max_num_queries(60):
        counts = check_deadlines(now=now + HOUR)
    assert sum(counts.values()) == 0


def test_the_command_prints_counts_per_rule():
    w = hazardous_world()
    m = run_to(w, State.SUBMITTED)
    out = StringIO()
    at = timezone.localtime(m.submitted_at + timedelta(days=8)).replace(tzinfo=None)
    call_command("check_alerts", "--now", at.isoformat(), stdout=out)
    lines = dict(line.split("\t")[:2] for line in out.getvalue().splitlines())
    assert lines[Rule.PICKUP_OVERDUE] == "1"
    assert lines[Rule.STORAGE_OVERDUE] == "0"
    assert lines[CLEARED] == "0"
    assert alerts(Rule.PICKUP_OVERDUE).get().opened_at == timezone.make_aware(at)
