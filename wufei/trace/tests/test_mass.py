"""Pack, unpack and transform keep the mass: what goes in comes out (or is a stated loss).

Each refusal is a typed error with a stable code, and a refused call writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import WufeiError
from wufei.registry.models import TreatmentMethod, WasteStream
from wufei.registry.tests import factories
from wufei.trace import ledger
from wufei.trace.choices import ContainerState
from wufei.trace.models import Container, ContainerLink, LedgerEvent
from wufei.trace.services import (
    NewContainer,
    container_register,
    containers_pack,
    containers_transform,
    containers_unpack,
)

pytestmark = pytest.mark.django_db

GONE_STATES = (ContainerState.TRANSFORMED, ContainerState.EMPTIED)


def trace_snapshot() -> tuple:
    """Every container's movable facts and the number of links and events: a refused call
    must leave all of it as it was."""
    return (
        tuple(
            Container.objects.order_by("pk").values_list(
                "pk", "state", "mass_kg", "holder_id", "parent_id", "ledger_seq", "ledger_head"
            )
        ),
        ContainerLink.objects.count(),
        LedgerEvent.objects.count(),
    )


def top_level_mass() -> Decimal:
    """The mass the ledger accounts for: containers not inside another one and not yet
    turned into outputs or emptied (a packed child is counted in its parent)."""
    return sum(
        Container.objects.filter(parent__isnull=True)
        .exclude(state__in=GONE_STATES)
        .values_list("mass_kg", flat=True),
        Decimal(0),
    )


def refused(call, code: str, field: str | None = None) -> WufeiError:
    """Run ``call``; it must raise a WufeiError with ``code`` (and ``field``), writing nothing."""
    before = trace_snapshot()
    with pytest.raises(WufeiError) as info:
        call()
    assert info.value.code == code, info.value.errors
    if field is not None:
        assert info.value.field == field, info.value.errors
    assert trace_snapshot() == before
    return info.value


@pytest.fixture
def yard():
    """Two enterprises in one county, each registering drums; a public user; a method."""
    hazardous = WasteStream.objects.get(code="hazardous")
    kitchen = WasteStream.objects.get(code="kitchen")
    plant = factories.PartyFactory(name="许昌再生资源", is_receiver=True)
    other = factories.PartyFactory(name="另一企业")
    return {
        "hazardous": hazardous,
        "kitchen": kitchen,
        "plant": plant,
        "clerk": UserFactory(password=None, role="enterprise", party=plant),
        "other": UserFactory(password=None, role="enterprise", party=other),
        "public": UserFactory(password=None, role="public"),
        "city": UserFactory(password=None, role="city"),
        "method": TreatmentMethod.objects.get(code="D10"),
    }


def register(actor, stream, *masses) -> list[Container]:
    return [
        container_register(
            actor=actor, spec=NewContainer(kind="drum", stream=stream, mass_kg=Decimal(m))
        )
        for m in masses
    ]


def store(*containers: Container) -> None:
    """Put containers at the receiver's store, as a received manifest would."""
    Container.objects.filter(pk__in=[c.pk for c in containers]).update(state=ContainerState.STORED)


def test_pack_adds_up_the_children_and_keeps_the_total(yard):
    drums = register(yard["clerk"], yard["hazardous"], "12.5", "7.25", "0.001")
    total = top_level_mass()
    box = containers_pack(actor=yard["clerk"], children=[d.code for d in drums])
    assert box.mass_kg == Decimal("19.751")
    children = Container.objects.filter(parent=box)
    assert sum(c.mass_kg for c in children) == box.mass_kg
    assert {c.state for c in children} == {ContainerState.PACKED}
    assert ContainerLink.objects.filter(target=box, kind="packed").count() == 3
    assert top_level_mass() == total
    assert ledger.verify().ok


def test_unpack_part_then_the_rest_moves_the_mass_back_out(yard):
    drums = register(yard["clerk"], yard["hazardous"], "10", "20", "30")
    box = containers_pack(actor=yard["clerk"], children=[d.code for d in drums])
    total = top_level_mass()
    before = box.mass_kg
    taken = containers_unpack(actor=yard["clerk"], parent=box.code, children=[drums[0].code])
    box.refresh_from_db()
    assert before == box.mass_kg + sum(c.mass_kg for c in taken)
    assert box.state == ContainerState.AT_SOURCE
    assert top_level_mass() == total
    rest = containers_unpack(actor=yard["clerk"], parent=box.code)
    box.refresh_from_db()
    assert box.state == ContainerState.EMPTIED
    assert box.mass_kg == sum(c.mass_kg for c in rest) == Decimal("50")
    assert top_level_mass() == total
    assert ledger.verify().ok


def test_transform_balances_inputs_outputs_and_loss(yard):
    drums = register(yard["clerk"], yard["hazardous"], "600", "400")
    store(*drums)
    total = top_level_mass()
    outputs = [
        NewContainer(kind="lot", stream=yard["hazardous"], mass_kg=Decimal("150")),
        NewContainer(kind="lot", stream=yard["hazardous"], mass_kg=Decimal("52")),
    ]
    lots = containers_transform(
        actor=yard["clerk"],
        inputs=[d.code for d in drums],
        outputs=outputs,
        loss_kg="800",
        method=yard["method"],
    )  # 1000 in, 202 + 800 out: 2 kg over, 0.2 % of the input, within 0.5 %
    assert sum(o.mass_kg for o in lots) == Decimal("202")
    assert top_level_mass() == total - 1000 + 202
    assert set(Container.objects.filter(pk__in=[d.pk for d in drums]).values_list("state")) == {
        (ContainerState.TRANSFORMED,)
    }
    shares = ContainerLink.objects.filter(kind="transformed", target__in=lots)
    assert sum(s.mass_kg for s in shares) == Decimal("202")
    assert ledger.verify().ok


@pytest.mark.parametrize("out_kg", ["194.9", "205.1"])
def test_transform_beyond_half_a_percent_is_refused(yard, out_kg):
    drums = register(yard["clerk"], yard["hazardous"], "1000")
    store(*drums)
    refused(
        lambda: containers_transform(
            actor=yard["clerk"],
            inputs=[drums[0].code],
            outputs=[NewContainer(kind="lot", stream=yard["hazardous"], mass_kg=Decimal(out_kg))],
            loss_kg="800",
            method=yard["method"],
        ),
        "mass_imbalance",
        "outputs",
    )


def test_transform_refusals(yard):
    clerk, hazardous = yard["clerk"], yard["hazardous"]
    drum, at_source = register(clerk, hazardous, "100", "100")
    store(drum)
    lot = [NewContainer(kind="lot", stream=hazardous, mass_kg=Decimal("100"))]

    def transform(actor=clerk, inputs=(drum.code,), outputs=lot, loss="0"):
        return lambda: containers_transform(
            actor=actor, inputs=inputs, outputs=outputs, loss_kg=loss, method=yard["method"]
        )

    refused(transform(outputs=[]), "required", "outputs")
    refused(transform(loss="-1"), "mass_not_positive", "loss_kg")
    refused(transform(inputs=(at_source.code,)), "container_state", "inputs")  # not stored
    refused(transform(actor=yard["other"]), "unknown_code", "inputs")  # not visible, not held
    refused(transform(actor=yard["public"]), "not_signer")
    refused(transform(actor=yard["city"]), "not_signer")
    bad = [NewContainer(kind="lot", stream=hazardous, mass_kg=Decimal("0"))]
    refused(transform(outputs=bad), "mass_not_positive", "mass_kg")


def test_pack_refusals(yard):
    clerk = yard["clerk"]
    a, b = register(clerk, yard["hazardous"], "5", "6")
    (k,) = register(clerk, yard["kitchen"], "7")
    refused(lambda: containers_pack(actor=clerk, children=[a.code, k.code]), "mixed_streams")
    refused(lambda: containers_pack(actor=clerk, children=[a.code, a.code]), "duplicate_code")
    refused(lambda: containers_pack(actor=clerk, children=[]), "required", "children")
    refused(lambda: containers_pack(actor=yard["other"], children=[a.code]), "unknown_code")
    refused(lambda: containers_pack(actor=yard["city"], children=[a.code]), "not_signer")
    refused(lambda: containers_pack(actor=clerk, children=["WF000000000"]), "unknown_code")
    containers_pack(actor=clerk, children=[a.code])
    # a container already packed is no longer live: it cannot go into a second box
    refused(lambda: containers_pack(actor=clerk, children=[a.code, b.code]), "container_state")


def test_a_held_container_of_another_party_is_refused_as_not_held(yard):
    (drum,) = register(yard["clerk"], yard["hazardous"], "5")
    other_party = yard["other"].party
    Container.objects.filter(pk=drum.pk).update(origin=other_party)  # visible, not held
    refused(lambda: containers_pack(actor=yard["other"], children=[drum.code]), "not_holder")


def test_unpack_refusals(yard):
    clerk = yard["clerk"]
    a, b, loose = register(clerk, yard["hazardous"], "5", "6", "7")
    box = containers_pack(actor=clerk, children=[a.code, b.code])
    refused(
        lambda: containers_unpack(actor=clerk, parent=box.code, children=[loose.code]),
        "not_inside",
        "children",
    )
    refused(lambda: containers_unpack(actor=clerk, parent=a.code), "container_state", "parent")
    refused(lambda: containers_unpack(actor=clerk, parent=loose.code), "not_inside", "children")
    refused(lambda: containers_unpack(actor=yard["other"], parent=box.code), "unknown_code")
    containers_unpack(actor=clerk, parent=box.code)
    refused(lambda: containers_unpack(actor=clerk, parent=box.code), "container_state", "parent")
