"""Who may sign which step, and who sees which manifest (selectors.manifest_list)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import NotFound, NotPermitted, WufeiError
from wufei.manifests import corrections, selectors, services
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.manifests.tests.test_state_machine import snapshot
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.registry.models import WasteStream
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return hazardous_world()


def refused(call, error=WufeiError, code=None):
    before = snapshot()
    with pytest.raises(error) as info:
        call()
    if code is not None:
        assert info.value.code == code
    assert snapshot() == before
    return info.value


def steps(w, m):
    """Every signing step of a manifest, as a call taking the actor."""
    return {
        State.DRAFT: lambda a: services.manifest_submit(actor=a, manifest=m),
        State.SUBMITTED: lambda a: services.manifest_pick_up(
            actor=a,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg="350.5",
            vehicle=w.vehicle,
        ),
        State.PICKED_UP: lambda a: services.manifest_depart(actor=a, manifest=m),
        State.IN_TRANSIT: lambda a: services.manifest_receive(
            actor=a, manifest=m, received_kg="350.5"
        ),
        State.RECEIVED: lambda a: services.manifest_complete(actor=a, manifest=m, method=w.method),
    }[m.state]


def test_a_transporter_cannot_receive(w):
    m = run_to(w, State.IN_TRANSIT)
    for actor in (w.carrier, w.driver):
        refused(lambda a=actor: steps(w, m)(a), NotPermitted, "not_signer")


def test_a_generator_cannot_sign_for_the_receiver(w):
    m = run_to(w, State.IN_TRANSIT)
    refused(lambda: steps(w, m)(w.clerk), NotPermitted, "not_signer")
    m = run_to(w, State.RECEIVED, manifest=m)
    refused(lambda: steps(w, m)(w.clerk), NotPermitted, "not_signer")


def test_the_driver_picks_up_only_with_the_code(w):
    m = run_to(w, State.SUBMITTED)
    wrong = "000000" if services.signing_code(m) != "000000" else "111111"
    for code in (wrong, "", None):
        error = refused(
            lambda c=code: services.manifest_pick_up(
                actor=w.driver,
                manifest=m,
                signing_code_entered=c,
                pickup_kg="350.5",
                vehicle=w.vehicle,
            )
        )
        assert (error.code, error.field) == ("bad_signing_code", "signing_code")
    m = steps(w, m)(w.driver)
    assert m.state == State.PICKED_UP and m.driver == w.driver


@pytest.mark.parametrize(
    "state", [State.DRAFT, State.SUBMITTED, State.PICKED_UP, State.IN_TRANSIT, State.RECEIVED]
)
def test_officials_the_public_and_strangers_sign_nothing(w, state):
    m = run_to(w, state)
    outsiders = [
        w.stranger,
        w.county_weidu,
        w.county_changge,
        w.county_other,
        w.city,
        w.ecology,
        w.public,
        AnonymousUser(),
    ]
    for actor in outsiders:
        refused(lambda a=actor: steps(w, m)(a), (NotPermitted, NotFound))
        refused(
            lambda a=actor: services.manifest_cancel(actor=a, manifest=m, reason="x"),
            (NotPermitted, NotFound),
        )
        if state != State.DRAFT:
            refused(
                lambda a=actor: corrections.correction_propose(
                    actor=a, manifest=m, changes={"description": "x"}, reason="x"
                ),
                (NotPermitted, NotFound),
            )


def visible(actor) -> set[str]:
    return set(selectors.manifest_list(actor=actor).values_list("number", flat=True))


def test_who_sees_which_manifest(w):
    mine = run_to(w, State.SUBMITTED)
    # a manifest of another generator in 禹州市 to a receiver in 禹州市: no party of the world
    yuzhou = factories.region("411081")
    other_gen = factories.PartyFactory(name="禹州工厂", region=yuzhou)
    other_clerk = UserFactory(password=None, role="enterprise", party=other_gen)
    other_receiver = factories.PartyFactory(name="禹州处置", region=yuzhou, is_receiver=True)
    permit = factories.PermitFactory(party=other_receiver, kind="hw_operation")
    permit.waste_codes.set([w.code])
    theirs, _ = services.manifest_create(
        actor=other_clerk,
        data=w.data(
            receiver=other_receiver,
            transporter=other_receiver,
            receiver_facility=None,
            generator_site=None,
        ),
    )
    both = {mine.number, theirs.number}
    for party_user in (w.clerk, w.carrier, w.driver, w.receiver_clerk):
        assert visible(party_user) == {mine.number}
    assert visible(other_clerk) == {theirs.number}
    assert visible(w.stranger) == set()
    assert visible(w.county_weidu) == {mine.number}  # generator side
    assert visible(w.county_changge) == {mine.number}  # receiver side
    assert visible(w.county_other) == set()
    assert visible(UserFactory(password=None, role="county", region=yuzhou)) == {theirs.number}
    assert visible(w.city) == both
    assert visible(w.public) == set()
    assert visible(AnonymousUser()) == set()


def test_the_ecology_bureau_sees_hazardous_and_medical_but_not_kitchen(w):
    hazardous = run_to(w, State.DRAFT)
    numbers = {}
    for code in ("medical", "kitchen"):
        stream = WasteStream.objects.get(code=code)
        numbers[code] = Manifest.objects.create(
            number=f"T{code[:6]}",
            flow="kitchen" if code == "kitchen" else "medical",
            stream=stream,
            generator=w.generator,
            region=w.generator.region,
            transporter=w.transporter,
            receiver=w.receiver,
            receiver_region=w.receiver.region,
        ).number
    seen = visible(w.ecology)
    assert hazardous.number in seen and numbers["medical"] in seen
    assert numbers["kitchen"] not in seen
    urban = UserFactory(
        password=None, role="department", department=Department.objects.get(code="urban")
    )
    assert visible(urban) == {numbers["kitchen"]}


def test_an_invisible_manifest_is_not_found_for_a_stranger(w):
    m = run_to(w, State.SUBMITTED)
    for actor in (w.stranger, w.county_other, w.public, AnonymousUser()):
        refused(lambda a=actor: services.manifest_cancel(actor=a, manifest=m, reason="x"), NotFound)
        with pytest.raises(NotFound):
            selectors.manifest_get(actor=actor, pk=m.pk)
    # a visible one answers NotPermitted: the county may see it, not sign it
    refused(
        lambda: services.manifest_cancel(actor=w.county_weidu, manifest=m, reason="x"), NotPermitted
    )
