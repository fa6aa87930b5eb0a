"""The manifest API over HTTP: the lifecycle signed step by step by each party, idempotent
creation, refusals (a stable code and field, nothing written), scoping and filters."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.accounts.tests.factories import UserFactory
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.tests.world import HW_CODE, World, hazardous_world, run_to
from wufei.registry.models import WasteCode, WasteStream
from wufei.registry.tests import factories
from wufei.trace import ledger
from wufei.trace.models import Container, LedgerEvent
from wufei.trace.services import NewContainer

pytestmark = pytest.mark.django_db

URL = "/api/v1/manifests/"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def w() -> World:
    return hazardous_world()


def as_(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def rows() -> tuple[int, ...]:
    """What a refusal or a replay must not change."""
    return tuple(
        m.objects.count()
        for m in (Manifest, ManifestItem, Container, LedgerEvent, ManifestRevision)
    )


def assert_refused(response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.data
    body = response.data
    assert (body["code"], body["field"]) == (code, field), body
    assert CHINESE.search(body["message"]), body
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in body["errors"]
    ], body


def body(w: World, **overrides) -> dict:
    data = {
        "flow": "hazardous",
        "stream": "hazardous",
        "waste_code": HW_CODE,
        "description": "废切削液",
        "generator_site": w.generator_site.pk,
        "transporter": w.transporter.pk,
        "receiver": w.receiver.pk,
        "receiver_facility": w.facility.pk,
        "containers": [
            {"kind": "drum", "mass_kg": "200"},
            {"kind": "drum", "mass_kg": "150.5"},
        ],
    }
    data.update(overrides)
    return data


def post(user, path: str, data: dict | None = None, **headers):
    return as_(user).post(path, data or {}, format="json", headers=headers or None)


def step(user, m, name: str, data: dict | None = None):
    return post(user, f"{URL}{m.pk}/{name}/", data)


def create(w: World, **overrides) -> dict:
    response = post(w.clerk, URL, body(w, **overrides))
    assert response.status_code == 201, response.data
    return response.data


# --- the lifecycle ------------------------------------------------------------------------


def test_a_manifest_is_signed_step_by_step_by_each_party(w):
    created = create(w)
    assert created["state"] == State.DRAFT
    assert created["generator"] == {"id": w.generator.pk, "name": w.generator.name}
    assert created["declared_kg"] == "350.500"
    assert [(i["kind"], i["mass_kg"], i["waste_code"]) for i in created["items"]] == [
        ("drum", "200.000", HW_CODE),
        ("drum", "150.500", HW_CODE),
    ]
    m = Manifest.objects.get(pk=created["id"])

    submitted = step(w.clerk, m, "submit").data
    assert submitted["state"] == State.SUBMITTED
    code = submitted["signing_code"]
    assert re.fullmatch(r"\d{6}", code)

    picked = step(
        w.driver,
        m,
        "pick-up",
        {"signing_code": code, "pickup_kg": "351.2", "vehicle": w.vehicle.pk},
    )
    assert picked.status_code == 200, picked.data
    assert picked.data["state"] == State.PICKED_UP
    assert picked.data["vehicle_plate"] == w.vehicle.plate
    assert picked.data["driver_name"]
    assert picked.data["pickup_kg"] == "351.200"
    assert picked.data["signing_code"] is None  # used up

    assert step(w.driver, m, "depart").data["state"] == State.IN_TRANSIT
    received = step(w.receiver_clerk, m, "receive", {"received_kg": "350.9"})
    assert received.status_code == 200, received.data
    assert (received.data["received_kg"], received.data["accepted_kg"]) == ("350.900", "350.900")
    done = step(w.receiver_clerk, m, "complete", {"method": "D10"})
    assert done.status_code == 200, done.data
    assert (done.data["state"], done.data["method"]) == (State.COMPLETED, "D10")
    assert done.data["completed_at"] and done.data["received_at"] and done.data["departed_at"]

    events = done.data["events"]
    assert [e["kind"] for e in events] == [
        "create",
        "submit",
        "pick_up",
        "depart",
        "receive",
        "complete",
    ]
    assert [e["actor"] for e in events] == [
        w.clerk.username,
        w.clerk.username,
        w.driver.username,
        w.driver.username,
        w.receiver_clerk.username,
        w.receiver_clerk.username,
    ]
    assert [e["party"] for e in events] == [w.generator.name] * 2 + [w.transporter.name] * 2 + [
        w.receiver.name
    ] * 2
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(events))
    assert ledger.verify().ok


def test_a_correction_applies_once_every_party_approves(w):
    m = run_to(w, State.RECEIVED, received_kg="340")
    proposed = post(
        w.receiver_clerk,
        f"{URL}{m.pk}/corrections/",
        {"changes": {"received_kg": "350.5"}, "reason": "地磅读数录错"},
    )
    assert proposed.status_code == 201, proposed.data
    revision = proposed.data
    assert (revision["version"], revision["status"]) == (2, "pending")
    path = f"/api/v1/manifest-revisions/{revision['id']}/"

    # Nothing changes until the last party approves.
    assert post(w.clerk, f"{path}approve/").data["status"] == "pending"
    assert as_(w.clerk).get(f"{URL}{m.pk}/").data["received_kg"] == "340.000"
    approved = post(w.carrier, f"{path}approve/")
    assert approved.status_code == 200, approved.data
    assert approved.data["status"] == "applied"

    detail = as_(w.clerk).get(f"{URL}{m.pk}/").data
    assert (detail["version"], detail["received_kg"], detail["accepted_kg"]) == (
        2,
        "350.500",
        "340.000",
    )
    assert [r["version"] for r in detail["revisions"]] == [1, 2]  # what was signed is kept
    assert detail["events"][-1]["kind"] == "correction_applied"
    assert_refused(post(w.carrier, f"{path}approve/"), 409, "correction_decided", None)


def test_a_rejected_correction_changes_nothing(w):
    m = run_to(w, State.PICKED_UP)
    proposed = post(
        w.carrier, f"{URL}{m.pk}/corrections/", {"changes": {"pickup_kg": "360"}, "reason": "复磅"}
    ).data
    path = f"/api/v1/manifest-revisions/{proposed['id']}/reject/"
    assert_refused(post(w.clerk, path, {"reason": ""}), 400, "required", "reason")
    assert_refused(post(w.stranger, path, {"reason": "不同意"}), 404, "not_found", None)
    rejected = post(w.clerk, path, {"reason": "起运时已核对"})
    assert rejected.status_code == 200, rejected.data
    assert rejected.data["status"] == "rejected"
    assert as_(w.clerk).get(f"{URL}{m.pk}/").data["pickup_kg"] == "350.500"


def test_correction_errors_name_the_field_inside_changes(w):
    m = run_to(w, State.SUBMITTED)
    before = rows()
    response = post(
        w.clerk, f"{URL}{m.pk}/corrections/", {"changes": {"received_kg": "1"}, "reason": "x"}
    )
    assert_refused(response, 400, "not_yet_recorded", "changes.received_kg")
    response = post(
        w.clerk, f"{URL}{m.pk}/corrections/", {"changes": {"number": "X"}, "reason": "x"}
    )
    assert_refused(response, 400, "not_correctable", "changes.number")
    assert rows() == before


def test_a_partial_receipt_needs_a_reason_and_zero_accepted_is_a_rejection(w):
    m = run_to(w, State.IN_TRANSIT)
    partial = {"received_kg": "350.5", "accepted_kg": "300"}
    assert_refused(step(w.receiver_clerk, m, "receive", partial), 400, "required", "reason")
    rejected = step(
        w.receiver_clerk,
        m,
        "receive",
        {"received_kg": "350.5", "accepted_kg": "0", "reason": "桶破损"},
    )
    assert rejected.status_code == 200, rejected.data
    assert (rejected.data["state"], rejected.data["rejection_reason"]) == (State.REJECTED, "桶破损")


# --- idempotency ----------------------------------------------------------------------------


def test_a_replayed_create_answers_the_first_manifest_and_writes_nothing(w):
    first = post(w.clerk, URL, body(w, submit=True), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.data
    assert "Idempotent-Replayed" not in first.headers
    after_first = rows()

    replay = post(w.clerk, URL, body(w, submit=True), **{"Idempotency-Key": "k-1"})
    assert replay.status_code == 200, replay.data
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.data == first.data
    assert rows() == after_first

    other = post(w.clerk, URL, body(w, submit=True, note="改了"), **{"Idempotency-Key": "k-1"})
    assert_refused(other, 409, "idempotency_key_reused", "idempotency_key")
    assert rows() == after_first

    fresh = post(w.clerk, URL, body(w, submit=True), **{"Idempotency-Key": "k-2"})
    assert fresh.status_code == 201
    assert fresh.data["number"] != first.data["number"]


def test_an_idempotency_key_over_64_characters_is_refused(w):
    before = rows()
    response = post(w.clerk, URL, body(w), **{"Idempotency-Key": "k" * 65})
    assert_refused(response, 400, "too_long", "idempotency_key")
    assert rows() == before


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"waste_code": "900-999-49"}, "unknown_waste_code", "waste_code"),
        ({"waste_code": "not a code"}, "malformed_waste_code", "waste_code"),
        (
            {"containers": [{"kind": "drum", "mass_kg": "-5"}]},
            "mass_not_positive",
            "containers.0.mass_kg",
        ),
        (
            {
                "containers": [
                    {"kind": "drum", "mass_kg": "1"},
                    {"kind": "drum", "mass_kg": "9000000"},
                ]
            },
            "mass_absurd",
            "containers.1.mass_kg",
        ),
        (
            {"containers": [{"kind": "crate", "mass_kg": "1"}]},
            "invalid_choice",
            "containers.0.kind",
        ),
        (
            {"containers": [{"kind": "drum", "mass_kg": "1", "waste_code": "900-999-49"}]},
            "unknown_waste_code",
            "containers.0.waste_code",
        ),
        ({"containers": []}, "required", "containers"),
        ({"stream": "nope"}, "does_not_exist", "stream"),
        ({"stream": "kitchen"}, "stream_not_in_flow", "stream"),
        ({"flow": "nope"}, "invalid_choice", "flow"),
        ({"flow": ["hazardous"]}, "invalid_choice", "flow"),
        ({"transporter": 10**9}, "does_not_exist", "transporter"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(w, overrides, code, field):
    before = rows()
    assert_refused(post(w.clerk, URL, body(w, **overrides)), 400, code, field)
    assert rows() == before


def test_parties_without_the_flows_permit_answer_like_unknown_ids(w):
    unlicensed = factories.PartyFactory(name="无证处置厂", is_receiver=True, is_generator=False)
    other_site = factories.SiteFactory(party=w.stranger.party)
    before = rows()
    for overrides, field in [
        ({"receiver": unlicensed.pk}, "receiver"),
        ({"transporter": w.receiver.pk}, "transporter"),  # no transport licence
        ({"generator_site": other_site.pk}, "generator_site"),  # not the actor's
    ]:
        assert_refused(post(w.clerk, URL, body(w, **overrides)), 400, "does_not_exist", field)
    assert rows() == before


def test_a_receiver_whose_permit_does_not_cover_the_code_is_refused_at_submission(w):
    code = WasteCode.objects.filter(code="900-249-08").order_by("-valid_from").first()
    assert code is not None and not w.receiver_permit.covers(code)
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(waste_code=code))
    before = rows()
    assert_refused(step(w.clerk, m, "submit"), 400, "permit_not_covering", "receiver")
    assert rows() == before
    assert Manifest.objects.get(pk=m.pk).state == State.DRAFT


def test_steps_out_of_order_and_by_the_wrong_party(w):
    m = run_to(w, State.SUBMITTED)
    before = rows()
    assert_refused(step(w.driver, m, "depart"), 409, "invalid_transition", None)
    assert_refused(
        step(w.receiver_clerk, m, "complete", {"method": "D10"}), 409, "invalid_transition", None
    )
    assert_refused(step(w.clerk, m, "submit"), 409, "invalid_transition", None)
    assert_refused(step(w.carrier, m, "cancel", {"reason": "不运了"}), 403, "not_signer", None)
    assert_refused(step(w.receiver_clerk, m, "depart"), 403, "not_signer", None)
    assert_refused(post(w.county_weidu, URL, body(w)), 403, "not_signer", None)
    assert_refused(post(w.driver, URL, body(w)), 403, "not_permitted", None)
    assert_refused(step(None, m, "submit"), 401, "not_authenticated", None)
    assert rows() == before


def test_pick_up_checks_the_code_the_vehicle_and_the_weight(w):
    m = run_to(w, State.SUBMITTED)
    good = {"signing_code": services.signing_code(m), "pickup_kg": "350", "vehicle": w.vehicle.pk}
    foreign = factories.VehicleFactory(party=w.stranger.party)
    before = rows()
    for change, code, field in [
        (
            {"signing_code": "000000" if good["signing_code"] != "000000" else "111111"},
            "bad_signing_code",
            "signing_code",
        ),
        ({"vehicle": foreign.pk}, "does_not_exist", "vehicle"),
        ({"pickup_kg": "0"}, "mass_not_positive", "pickup_kg"),
        ({"pickup_kg": "20000"}, "weight_absurd", "pickup_kg"),
        ({"pickup_kg": "1.2345"}, "max_decimal_places", "pickup_kg"),
    ]:
        assert_refused(step(w.driver, m, "pick-up", {**good, **change}), 400, code, field)
    assert rows() == before
    assert step(w.driver, m, "pick-up", good).status_code == 200


def test_an_enterprise_not_on_the_manifest_gets_404_everywhere(w):
    m = run_to(w, State.SUBMITTED)
    before = rows()
    assert_refused(as_(w.stranger).get(f"{URL}{m.pk}/"), 404, "not_found", None)
    for name, data in [
        ("submit", None),
        ("cancel", {"reason": "x"}),
        ("pick-up", {"signing_code": "123456", "pickup_kg": "1", "vehicle": w.vehicle.pk}),
        ("depart", None),
        ("receive", {"received_kg": "1"}),
        ("complete", {"method": "D10"}),
        ("corrections", {"changes": {"description": "x"}, "reason": "x"}),
    ]:
        assert_refused(step(w.stranger, m, name, data), 404, "not_found", None)
    assert_refused(as_(w.clerk).get(f"{URL}{10**9}/"), 404, "not_found", None)
    assert rows() == before


# --- scoping, filters, the signing code -----------------------------------------------------


def _second_generator_manifest(w: World) -> Manifest:
    """A manifest of another generator, in 长葛市's neighbour 鄢陵县, to the same receiver."""
    party = factories.PartyFactory(name="鄢陵化工", region=factories.region("411024"))
    clerk = UserFactory(password=None, role="enterprise", party=party)
    m, _ = services.manifest_create(actor=clerk, data=w.data(generator_site=None))
    return m


def numbers(user, query: str = "") -> set[str]:
    response = as_(user).get(f"{URL}?{query}")
    assert response.status_code == 200, response.data
    return {row["number"] for row in response.data["results"]}


def test_each_actor_lists_only_the_manifests_it_may_see(w):
    mine = run_to(w, State.SUBMITTED).number
    theirs = _second_generator_manifest(w).number
    assert numbers(w.clerk) == {mine}
    assert numbers(w.stranger) == set()
    assert numbers(w.carrier) == numbers(w.driver) == numbers(w.receiver_clerk) == {mine, theirs}
    assert numbers(w.county_weidu) == {mine}  # generator side
    assert numbers(w.county_other) == {theirs}
    assert numbers(w.county_changge) == {mine, theirs}  # receiver side
    assert numbers(w.city) == numbers(w.ecology) == {mine, theirs}
    assert_refused(as_(w.public).get(URL), 403, "not_permitted", None)
    assert_refused(as_(None).get(URL), 401, "not_authenticated", None)


def test_filters(w):
    done = run_to(w, State.COMPLETED).number
    draft = Manifest.objects.get(pk=create(w)["id"]).number
    theirs = _second_generator_manifest(w).number
    medical = WasteStream.objects.get(code="medical")
    infectious = WasteCode.objects.filter(code="841-001-01").order_by("-valid_from").first()
    sick, _ = services.manifest_create(
        actor=w.clerk,
        data=w.data(
            stream=medical,
            waste_code=infectious,
            containers=[NewContainer(kind="box", stream=medical, mass_kg=Decimal("5"))],
        ),
    )
    everything = {done, draft, theirs, sick.number}
    assert numbers(w.city) == everything
    assert numbers(w.city, "state=draft") == {draft, theirs, sick.number}
    assert numbers(w.city, "state=draft&state=completed") == everything
    assert numbers(w.city, "flow=hazardous") == everything
    assert numbers(w.city, "flow=medical") == set()
    assert numbers(w.city, "stream=hazardous") == everything  # medical is under hazardous
    assert numbers(w.city, "stream=medical") == {sick.number}
    assert numbers(w.city, f"number={done[-6:]}") == {done}
    assert numbers(w.city, f"generator={w.generator.pk}") == {done, draft, sick.number}
    assert numbers(w.city, f"transporter={w.transporter.pk}") == everything
    assert numbers(w.city, f"receiver={w.generator.pk}") == set()
    assert numbers(w.city, "region=411002") == {done, draft, sick.number}
    assert numbers(w.city, "region=411024") == {theirs}
    assert numbers(w.city, "region=411082") == everything  # the receiver's county
    assert numbers(w.city, "region=999999") == set()
    soon = (timezone.now() + timedelta(minutes=5)).isoformat()
    assert numbers(w.city, "received_before=" + soon.replace("+", "%2B")) == {done}
    assert numbers(w.city, "received_after=" + soon.replace("+", "%2B")) == set()
    assert numbers(w.city, "created_after=" + soon.replace("+", "%2B")) == set()
    assert numbers(w.city, "created_before=" + soon.replace("+", "%2B")) == everything
    Manifest.objects.filter(number=theirs).update(created_at=timezone.now() - timedelta(days=10))
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert numbers(w.city, f"created_before={yesterday}") == {theirs}
    assert numbers(w.city, f"created_after={yesterday}") == {done, draft, sick.number}
    assert_refused(as_(w.city).get(f"{URL}?state=nope"), 400, "invalid_choice", "state")


def test_the_signing_code_is_shown_only_to_the_generator_while_submitted(w):
    m = run_to(w, State.DRAFT)
    assert as_(w.clerk).get(f"{URL}{m.pk}/").data["signing_code"] is None
    m = run_to(w, State.SUBMITTED, manifest=m)
    code = services.signing_code(m)
    assert as_(w.clerk).get(f"{URL}{m.pk}/").data["signing_code"] == code
    for user in (w.carrier, w.driver, w.receiver_clerk, w.county_weidu, w.city, w.ecology):
        assert as_(user).get(f"{URL}{m.pk}/").data["signing_code"] is None, user.role
    assert "signing_code" not in as_(w.clerk).get(URL).data["results"][0]
    run_to(w, State.PICKED_UP, manifest=m)
    assert as_(w.clerk).get(f"{URL}{m.pk}/").data["signing_code"] is None


def test_a_generator_may_cancel_before_pick_up(w):
    m = run_to(w, State.SUBMITTED)
    assert_refused(step(w.clerk, m, "cancel", {"reason": " "}), 400, "required", "reason")
    cancelled = step(w.clerk, m, "cancel", {"reason": "计划变更"})
    assert cancelled.status_code == 200, cancelled.data
    assert cancelled.data["state"] == State.CANCELLED
    assert cancelled.data["cancelled_at"]
    assert_refused(step(w.driver, m, "depart"), 409, "invalid_transition", None)
