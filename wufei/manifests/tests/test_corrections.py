"""Corrections: a new version every named party approves; the old content is kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wufei.alerts.choices import AlertStatus, Rule
from wufei.alerts.models import Alert
from wufei.core.errors import NotFound, NotPermitted, WufeiError
from wufei.manifests import corrections, services
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.models import ManifestRevision
from wufei.manifests.tests.test_state_machine import snapshot
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.trace import ledger
from wufei.trace.models import LedgerEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return hazardous_world()


def kinds(m) -> list[str]:
    return list(
        LedgerEvent.objects.filter(chain=m.number).order_by("seq").values_list("kind", flat=True)
    )


def parties(w):
    return {"generator": w.clerk, "transporter": w.carrier, "receiver": w.receiver_clerk}


@pytest.mark.parametrize("proposer", ["generator", "transporter", "receiver"])
def test_every_party_approves_then_the_new_version_applies(w, proposer):
    m = run_to(w, State.RECEIVED)
    signed = services.content(m)
    users = parties(w)
    rev = corrections.correction_propose(
        actor=users[proposer], manifest=m, changes={"pickup_kg": "351"}, reason="磅单录入错误"
    )
    assert rev.status == RevisionStatus.PENDING and rev.version == 2
    others = [u for k, u in users.items() if k != proposer]
    rev = corrections.correction_approve(actor=others[0], revision=rev)
    m.refresh_from_db()
    assert rev.status == RevisionStatus.PENDING and m.version == 1
    assert m.pickup_kg == Decimal("350.5")
    rev = corrections.correction_approve(actor=others[1], revision=rev)
    m.refresh_from_db()
    assert rev.status == RevisionStatus.APPLIED
    assert (m.version, m.pickup_kg, m.state) == (2, Decimal("351.000"), State.RECEIVED)
    original = ManifestRevision.objects.get(manifest=m, version=1)
    assert original.content == ledger.jsonable(signed)
    assert original.content_hash == ledger.content_hash(signed)
    assert kinds(m)[-4:] == [
        "correction_proposed",
        "correction_approved",
        "correction_approved",
        "correction_applied",
    ]
    applied = LedgerEvent.objects.filter(chain=m.number).order_by("-seq").first()
    assert applied.payload["version"] == 2
    assert applied.payload["content"] == ledger.content_hash(services.content(m))
    assert ledger.verify().ok


def test_reject_stops_it(w):
    m = run_to(w, State.COMPLETED)
    rev = corrections.correction_propose(
        actor=w.receiver_clerk, manifest=m, changes={"method": "R4"}, reason="工艺调整"
    )
    rev = corrections.correction_reject(actor=w.clerk, revision=rev, reason="与实际不符")
    assert rev.status == RevisionStatus.REJECTED
    m.refresh_from_db()
    assert (m.version, m.method.code) == (1, "D10")
    with pytest.raises(WufeiError) as info:
        corrections.correction_approve(actor=w.carrier, revision=rev)
    assert info.value.code == "correction_decided"
    assert kinds(m)[-1] == "correction_rejected"
    assert ledger.verify().ok


def test_a_second_pending_proposal_is_refused(w):
    m = run_to(w, State.RECEIVED)
    corrections.correction_propose(
        actor=w.clerk, manifest=m, changes={"description": "新说明"}, reason="x"
    )
    before = snapshot()
    with pytest.raises(WufeiError) as info:
        corrections.correction_propose(
            actor=w.carrier, manifest=m, changes={"pickup_kg": "351"}, reason="y"
        )
    assert info.value.code == "correction_pending"
    assert snapshot() == before


def test_a_stranger_or_an_official_cannot_approve(w):
    m = run_to(w, State.RECEIVED)
    rev = corrections.correction_propose(
        actor=w.clerk, manifest=m, changes={"description": "新说明"}, reason="x"
    )
    before = snapshot()
    for actor, error in (
        (w.stranger, NotFound),
        (w.public, NotFound),
        (w.county_weidu, NotPermitted),
        (w.city, NotPermitted),
        (w.driver, NotPermitted),
    ):
        with pytest.raises(error):
            corrections.correction_approve(actor=actor, revision=rev)
        with pytest.raises(error):
            corrections.correction_reject(actor=actor, revision=rev, reason="x")
    assert snapshot() == before


def test_corrections_of_fields_not_yet_recorded_or_not_correctable(w):
    m = run_to(w, State.PICKED_UP)
    for changes, code in (
        ({"received_kg": "1"}, "not_yet_recorded"),
        ({"state": "completed"}, "not_correctable"),
        ({"pickup_kg": "-3"}, "mass_not_positive"),
        ({}, "required"),
    ):
        before = snapshot()
        with pytest.raises(WufeiError) as info:
            corrections.correction_propose(actor=w.clerk, manifest=m, changes=changes, reason="x")
        assert info.value.code == code
        assert snapshot() == before


def gap_alerts(m):
    return Alert.objects.filter(rule=Rule.WEIGHT_GAP, subject_id=str(m.pk))


def test_a_corrected_weight_that_closes_the_gap(w):
    m = run_to(w, State.RECEIVED, pickup_kg="350.5", received_kg="300")
    assert gap_alerts(m).count() == 1
    rev = corrections.correction_propose(
        actor=w.receiver_clerk,
        manifest=m,
        changes={"received_kg": "350", "accepted_kg": "350"},
        reason="复磅",
    )
    corrections.correction_approve(actor=w.clerk, revision=rev)
    corrections.correction_approve(actor=w.carrier, revision=rev)
    m.refresh_from_db()
    assert (m.received_kg, m.accepted_kg, m.version) == (Decimal("350"), Decimal("350"), 2)
    assert not gap_alerts(m).exclude(status=AlertStatus.RESOLVED).exists()  # cleared
    assert ledger.verify().ok
