"""Bad input to the manifest engine: each refused with its code and field, nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from wufei.core.errors import WufeiError
from wufei.manifests import corrections, services
from wufei.manifests.choices import State
from wufei.manifests.tests.test_state_machine import snapshot
from wufei.manifests.tests.world import ORDER, hazardous_world, run_to
from wufei.registry.models import WasteCode, WasteStream

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return hazardous_world()


def refused(call, code: str, field: str | None) -> WufeiError:
    before = snapshot()
    with pytest.raises(WufeiError) as info:
        call()
    assert (info.value.code, info.value.field) == (code, field), info.value.errors
    assert snapshot() == before
    return info.value


def create(w, submit=True, **overrides):
    return lambda: services.manifest_create(actor=w.clerk, data=w.data(**overrides), submit=submit)


def test_unknown_flow_and_code_outside_the_stream(w):
    refused(create(w, flow="no-such-flow"), "unknown_flow", "flow")
    medical = WasteStream.objects.get(code="medical")
    refused(create(w, stream=medical), "code_outside_stream", "containers.0.waste_code")
    kitchen = WasteStream.objects.get(code="kitchen")
    refused(create(w, stream=kitchen, waste_code=None), "stream_not_in_flow", "stream")
    refused(create(w, waste_code=None), "waste_code_required", "containers.0.waste_code")
    m = run_to(w, State.RECEIVED)
    refused(
        lambda: corrections.correction_propose(
            actor=w.clerk, manifest=m, changes={"waste_code": "999-999-99"}, reason="x"
        ),
        "unknown_code",
        "waste_code",
    )


def test_receiver_without_the_permit(w):
    w.receiver_permit.delete()
    refused(create(w), "permit_missing", "receiver")


def test_permit_not_covering_the_code(w):
    other = WasteCode.objects.filter(code="900-249-08").first()
    refused(create(w, waste_code=other), "permit_not_covering", "receiver")


@pytest.mark.parametrize("change", ["expired", "suspended", "revoked", "not_yet_valid"])
def test_expired_or_suspended_permit(w, change):
    p = w.receiver_permit
    today = timezone.localdate()
    if change == "expired":
        p.valid_from, p.valid_to = today - dt.timedelta(days=400), today - dt.timedelta(days=1)
    elif change == "not_yet_valid":
        p.valid_from, p.valid_to = today + dt.timedelta(days=1), today + dt.timedelta(days=400)
    else:
        p.status = change
    p.save()
    refused(create(w), "permit_missing", "receiver")


def test_annual_quantity_exceeded():
    w = hazardous_world(annual_tonnes=Decimal("0.5"))
    services.manifest_create(actor=w.clerk, data=w.data(masses=("300",)), submit=True)
    refused(create(w, masses=("200.001",)), "annual_quantity_exceeded", "receiver")
    services.manifest_create(actor=w.clerk, data=w.data(masses=("200",)), submit=True)


@pytest.mark.parametrize(
    ("kg", "code"),
    [
        ("-1", "mass_not_positive"),
        ("0", "mass_not_positive"),
        ("0.0004", "mass_not_positive"),
        ("200000.001", "mass_absurd"),
        ("1e12", "mass_absurd"),
    ],
)
def test_bad_weights(w, kg, code):
    refused(create(w, masses=(kg,)), code, "containers.0.mass_kg")
    m = run_to(w, State.SUBMITTED)
    refused(
        lambda: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg=kg,
            vehicle=w.vehicle,
        ),
        code,
        "pickup_kg",
    )
    m = run_to(w, State.IN_TRANSIT, manifest=m)
    refused(
        lambda: services.manifest_receive(actor=w.receiver_clerk, manifest=m, received_kg=kg),
        code,
        "received_kg",
    )


@pytest.mark.parametrize("kg", ["abc", "", None])
def test_non_numeric_weights_at_pick_up(w, kg):
    m = run_to(w, State.SUBMITTED)
    refused(
        lambda: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg=kg,
            vehicle=w.vehicle,
        ),
        "invalid_mass",
        "pickup_kg",
    )


@pytest.mark.parametrize("kg", ["abc", ""])
def test_create_with_a_non_numeric_mass_is_refused(w, kg):
    refused(create(w, masses=(kg,)), "invalid_mass", "containers.0.mass_kg")


def test_absurd_weight_for_the_vehicle(w):
    m = run_to(w, State.SUBMITTED)
    refused(
        lambda: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg="16000.001",  # twice the 8 t load
            vehicle=w.vehicle,
        ),
        "weight_absurd",
        "pickup_kg",
    )


def test_idempotency_key(w):
    data = w.data(idempotency_key="req-1")
    first, new = services.manifest_create(actor=w.clerk, data=data, submit=True)
    assert new
    before = snapshot()
    again, new = services.manifest_create(actor=w.clerk, data=w.data(idempotency_key="req-1"))
    assert (again.pk, new) == (first.pk, False)
    assert snapshot() == before
    changed = w.data(idempotency_key="req-1", masses=("200", "150.6"))
    refused(
        lambda: services.manifest_create(actor=w.clerk, data=changed),
        "idempotency_key_reused",
        "idempotency_key",
    )


def transition(w, m, state):
    """The call that moves a manifest out of ``state`` (by the right signer)."""
    return {
        State.DRAFT: lambda: services.manifest_submit(actor=w.clerk, manifest=m),
        State.SUBMITTED: lambda: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg="350.5",
            vehicle=w.vehicle,
        ),
        State.PICKED_UP: lambda: services.manifest_depart(actor=w.driver, manifest=m),
        State.IN_TRANSIT: lambda: services.manifest_receive(
            actor=w.receiver_clerk, manifest=m, received_kg="350.5"
        ),
        State.RECEIVED: lambda: services.manifest_complete(
            actor=w.receiver_clerk, manifest=m, method=w.method
        ),
    }[state]


@pytest.mark.parametrize("state", ORDER)
def test_each_transition_out_of_order_is_refused(w, state):
    m = run_to(w, state)
    for step_from in ORDER[:-1]:
        if step_from != state:
            refused(transition(w, m, step_from), "invalid_transition", None)
    if state not in (State.DRAFT, State.SUBMITTED):
        refused(
            lambda: services.manifest_cancel(actor=w.clerk, manifest=m, reason="x"),
            "invalid_transition",
            None,
        )


def test_cancelled_and_rejected_manifests_move_no_more(w):
    cancelled = services.manifest_cancel(
        actor=w.clerk, manifest=run_to(w, State.SUBMITTED), reason="x"
    )
    rejected = services.manifest_receive(
        actor=w.receiver_clerk,
        manifest=run_to(w, State.IN_TRANSIT),
        received_kg="350.5",
        accepted_kg="0",
        reason="标签不符",
    )
    assert rejected.state == State.REJECTED
    for m in (cancelled, rejected):
        for step_from in ORDER[:-1]:
            refused(transition(w, m, step_from), "invalid_transition", None)


def test_partial_receipt_needs_a_reason(w):
    m = run_to(w, State.IN_TRANSIT)
    refused(
        lambda: services.manifest_receive(
            actor=w.receiver_clerk, manifest=m, received_kg="350", accepted_kg="300"
        ),
        "required",
        "reason",
    )
    refused(
        lambda: services.manifest_receive(
            actor=w.receiver_clerk, manifest=m, received_kg="350", accepted_kg="351", reason="x"
        ),
        "accepted_out_of_range",
        "accepted_kg",
    )


def test_a_method_the_flow_does_not_allow(w):
    from wufei.registry.models import TreatmentMethod

    m = run_to(w, State.RECEIVED)
    for code in ("G-STORE", "G-INC"):
        method = TreatmentMethod.objects.get(code=code)
        refused(
            lambda x=method: services.manifest_complete(
                actor=w.receiver_clerk, manifest=m, method=x
            ),
            "method_not_in_flow",
            "method",
        )


def test_a_container_on_a_live_manifest_cannot_be_carried_twice(w):
    m = run_to(w, State.SUBMITTED)
    codes = list(m.items.values_list("container__code", flat=True))
    refused(create(w, masses=(), carry=codes, containers=[]), "container_on_manifest", "carry")


def test_no_containers(w):
    refused(create(w, masses=()), "required", "containers")
