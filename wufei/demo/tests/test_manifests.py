"""The demo city's year of manifests: every flow and state, a ledger that verifies, the
alerts the services raise, work waiting for the demo logins, determinism and reset."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from wufei.alerts.choices import Rule
from wufei.alerts.models import Alert
from wufei.manifests.choices import State
from wufei.manifests.flows import FLOWS, STORE
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.rules import permit_valid_on, vehicle_findings, weight_gap
from wufei.trace import ledger
from wufei.trace.choices import ContainerState, EventKind, LinkKind
from wufei.trace.models import Container, ContainerLink, LedgerEvent

SEED = 2020


@pytest.fixture
def city(db):
    from wufei.demo.services import city_generate

    return city_generate(actor=None, scale="small", seed=SEED)


def _every_flow_and_state_is_present_and_the_ledger_verifies(city):
    flows = Counter(Manifest.objects.values_list("flow", flat=True))
    assert set(flows) == set(FLOWS)
    states = set(Manifest.objects.values_list("state", flat=True))
    assert states == set(State.values)
    completed = Manifest.objects.filter(state=State.COMPLETED).count()
    assert completed / Manifest.objects.count() > 0.85
    result = ledger.verify()
    assert result.ok, result.first_break
    assert result.events == LedgerEvent.objects.count() > Manifest.objects.count() * 4
    assert city.counts["manifests.Manifest"] == Manifest.objects.count()


def _manifests_follow_the_flow_rules(city):
    end = timezone.now()
    rows = Manifest.objects.exclude(state__in=(State.DRAFT,)).select_related(
        "receiver_permit", "transporter_permit", "vehicle"
    )
    for m in rows.iterator(chunk_size=500):
        flow = FLOWS[m.flow]
        assert m.created_at < end
        day = timezone.localdate(m.submitted_at)
        if flow.receiver_permits:
            assert m.receiver_permit.kind in flow.receiver_permits
            assert m.receiver_permit.party_id == m.receiver_id
            assert m.receiver_permit.valid_from <= day <= m.receiver_permit.valid_to
        if flow.transporter_permits and m.transporter_id != m.generator_id:
            assert m.transporter_permit.kind in flow.transporter_permits
        if m.vehicle is not None:
            assert m.vehicle.party_id == m.transporter_id
            assert m.pickup_kg <= m.vehicle.load_kg * 2
        if m.state == State.COMPLETED:
            assert flow.allows_method(m.method.code, m.method.family)
    # Each manifest's declared mass is what its containers weigh.
    for m in Manifest.objects.order_by("?")[:200]:
        items = ManifestItem.objects.filter(manifest=m)
        assert m.declared_kg == sum(i.mass_kg for i in items)


def _the_receipt_and_pick_up_rules_raise_their_alerts(city):
    rules = Counter(Alert.objects.values_list("rule", flat=True))
    for rule in (Rule.WEIGHT_GAP, Rule.REJECTED, Rule.VEHICLE_UNFIT):
        assert rules[rule] > 0, rule
    total = Manifest.objects.exclude(state=State.DRAFT).count()
    assert 0.005 < rules[Rule.REJECTED] / total < 0.03
    for alert in Alert.objects.filter(rule=Rule.WEIGHT_GAP)[:50]:
        m = Manifest.objects.get(pk=alert.subject_id)
        assert weight_gap(m.flow_def, m.pickup_kg, m.received_kg) is not None
    for alert in Alert.objects.filter(rule=Rule.VEHICLE_UNFIT):
        m = Manifest.objects.get(pk=alert.subject_id)
        assert vehicle_findings(m.flow_def, m.vehicle)
    for alert in Alert.objects.filter(rule=Rule.PERMIT_INVALID):
        m = Manifest.objects.get(pk=alert.subject_id)
        assert not permit_valid_on(m.receiver_permit, timezone.localdate(m.received_at))
    rejected = Manifest.objects.filter(state=State.REJECTED)
    assert all(m.rejection_reason and m.accepted_kg == 0 for m in rejected)
    # Late ones: open past their deadline, for the deadline sweep.
    late = [
        m
        for m in Manifest.objects.filter(state=State.SUBMITTED)
        if m.submitted_at + timedelta(hours=m.flow_def.pickup_hours) < timezone.now()
    ]
    assert late


def _small_boxes_go_into_big_boxes_and_fly_ash_leaves_the_incinerator(city):
    packed = ContainerLink.objects.filter(kind=LinkKind.PACKED).select_related("source", "target")
    assert packed.exists()
    for link in packed[:100]:
        assert link.source.kind == "box" and link.target.kind == "big_box"
        assert link.source.parent_id == link.target_id
        assert link.event.kind == EventKind.PACK and link.event.chain == link.source.code
    big = Container.objects.filter(kind="big_box", children__isnull=False).distinct().first()
    assert ManifestItem.objects.filter(container=big, manifest__flow="medical").exists()
    small = ManifestItem.objects.filter(container__parent=big).first()
    assert small.manifest.flow == "medical-small-box" and small.manifest.method.code == STORE
    # Incineration: truckloads → fly ash lot → hazardous manifest to a final disposal.
    lots = Container.objects.filter(kind="lot", waste_code__code="772-005-18")
    fly = lots.filter(manifest_items__isnull=False).first()  # the latest may wait to leave
    assert fly is not None
    inputs = ContainerLink.objects.filter(target=fly, kind=LinkKind.TRANSFORMED)
    assert inputs.exists()
    assert all(i.source.state == ContainerState.TRANSFORMED for i in inputs[:20])
    onward = ManifestItem.objects.get(container=fly).manifest
    assert onward.flow == "hazardous" and onward.generator_id == inputs[0].source.holder_id
    # Stored at a collection point, then carried onward.
    stored = ManifestItem.objects.filter(manifest__flow="battery", manifest__method__code=STORE)
    onward_battery = ManifestItem.objects.filter(
        container__in=stored.values("container"), manifest__method__code="R4"
    )
    assert onward_battery.exists()
    assert ManifestRevision.objects.filter(status="applied", version=2).exists()


def _the_demo_logins_have_work_waiting(city):
    anchors = city.anchors
    mine = Manifest.objects.filter(generator_id=anchors["hw_generator"])
    assert mine.filter(state=State.DRAFT).exists() and mine.filter(state=State.SUBMITTED).exists()
    carried = Manifest.objects.filter(transporter_id=anchors["transporter"])
    assert carried.filter(state=State.SUBMITTED).exists()
    assert carried.filter(state=State.IN_TRANSIT).exists()
    arriving = Manifest.objects.filter(receiver_id=anchors["incineration"], state=State.IN_TRANSIT)
    assert arriving.exists()


def test_a_year_of_every_flow_with_its_rules_alerts_and_ledger(city):
    _every_flow_and_state_is_present_and_the_ledger_verifies(city)
    _manifests_follow_the_flow_rules(city)
    _the_receipt_and_pick_up_rules_raise_their_alerts(city)


def test_containers_packing_transformation_and_the_demo_logins_work(city):
    _small_boxes_go_into_big_boxes_and_fly_ash_leaves_the_incinerator(city)
    _the_demo_logins_have_work_waiting(city)


def _snapshot():
    return (
        list(
            Manifest.objects.order_by("number").values_list(
                "number",
                "flow",
                "state",
                "generator__credit_code",
                "declared_kg",
                "pickup_kg",
                "received_kg",
                "submitted_at",
                "completed_at",
                "items_hash",
            )
        ),
        list(Container.objects.order_by("code").values_list("code", "state", "mass_kg")),
        list(
            LedgerEvent.objects.order_by("chain", "seq").values_list("chain", "seq", "kind", "at")
        ),
        sorted(Alert.objects.values_list("rule", "subject_label", "opened_at")),
    )


def test_generation_is_deterministic_and_reset_removes_it(db):
    from wufei.demo.services import city_generate, city_reset

    city_generate(actor=None, scale="small", seed=SEED)
    first = _snapshot()
    removed = city_reset(actor=None)
    assert removed["manifests.Manifest"] == len(first[0])
    for model in (Manifest, ManifestItem, Container, ContainerLink, LedgerEvent, Alert):
        assert not model.objects.exists(), model
    city_generate(actor=None, scale="small", seed=SEED)
    assert _snapshot() == first
