"""A hypothesis state machine drives the manifest engine with random calls by random actors.

Every role of the world (the three clerks, the driver, a stranger enterprise, county, city
and bureau officials, the public and an anonymous visitor) calls every service on several
manifests and containers: create (draft or submitted), submit, cancel, pick up (right or
wrong code, good and bad weights), depart, receive (full, partial, rejected), complete
(allowed and disallowed methods), corrections, register, pack, unpack and transform.

After every step the invariants hold: each manifest's state is what its signed events lead
to through the engine's ``STEP_FROM`` table; a refused call is a typed ``WufeiError`` with a
code and changed nothing; a call that succeeded signed only for the actor's own party; the
ledger verifies; and mass is conserved through pack, unpack and transform.

Settings: ``derandomize=True`` by default, so the suite explores the same sequences on every
run and on both databases (a CI failure reproduces locally, and no example database is
needed); ``WUFEI_HYPOTHESIS_EXPLORE=1`` switches to random exploration for a longer hunt.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.alerts.models import Alert, AlertAction
from wufei.core.errors import WufeiError
from wufei.manifests import corrections, services
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.services import STEP_FROM
from wufei.manifests.tests.world import ORDER, hazardous_world, run_to
from wufei.registry.models import TreatmentMethod
from wufei.trace import ledger
from wufei.trace.choices import ContainerState, EventKind
from wufei.trace.models import Container, LedgerEvent
from wufei.trace.services import (
    TRANSFORM_TOLERANCE,
    NewContainer,
    container_register,
    containers_pack,
    containers_transform,
    containers_unpack,
)
from wufei.trace.tests.test_mass import top_level_mass, trace_snapshot

pytestmark = pytest.mark.django_db

EXPLORE = bool(os.environ.get("WUFEI_HYPOTHESIS_EXPLORE"))
SETTINGS = settings(
    max_examples=int(os.environ.get("WUFEI_HYPOTHESIS_EXAMPLES", "15")),
    stateful_step_count=40,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    phases=[p for p in Phase if p != Phase.shrink or not os.environ.get("WUFEI_NO_SHRINK")],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# The state each manifest event leaves behind (its from-states come from the engine).
STEP_TO = {
    EventKind.SUBMIT: State.SUBMITTED,
    EventKind.CANCEL: State.CANCELLED,
    EventKind.PICK_UP: State.PICKED_UP,
    EventKind.DEPART: State.IN_TRANSIT,
    EventKind.RECEIVE: State.RECEIVED,
    EventKind.REJECT: State.REJECTED,
    EventKind.COMPLETE: State.COMPLETED,
}
FROM = {**STEP_FROM, EventKind.REJECT: STEP_FROM[EventKind.RECEIVE]}
CORRECTION_EVENTS = (
    EventKind.CORRECTION_PROPOSED,
    EventKind.CORRECTION_APPROVED,
    EventKind.CORRECTION_REJECTED,
    EventKind.CORRECTION_APPLIED,
)
NO_CORRECTION = (State.DRAFT, State.CANCELLED)


def snapshot() -> tuple:
    """Everything a service may write: a refused call must leave all of it as it was."""
    return (
        trace_snapshot(),
        tuple(
            Manifest.objects.order_by("pk").values_list(
                "pk",
                "state",
                "version",
                "ledger_seq",
                "ledger_head",
                "pickup_kg",
                "received_kg",
                "accepted_kg",
                "method_id",
                "waste_code_id",
                "description",
            )
        ),
        tuple(ManifestRevision.objects.order_by("pk").values_list("pk", "status", "approvals")),
        ManifestItem.objects.count(),
        Alert.objects.count(),
        AlertAction.objects.count(),
    )


def replayed_state(m: Manifest) -> str | None:
    """The state the manifest's events lead to, each event checked to leave a state its kind
    may leave (``STEP_FROM``); ``None`` with an assertion error if the history is impossible."""
    events = list(LedgerEvent.objects.filter(chain=m.number).order_by("seq"))
    assert events and events[0].kind == EventKind.CREATE, m.number
    state = State.DRAFT
    assert events[0].payload["state"] == state
    for e in events[1:]:
        if e.kind in CORRECTION_EVENTS:
            assert state not in NO_CORRECTION, (m.number, e.kind, state)
        else:
            assert state in FROM[e.kind], (m.number, e.kind, state)
            state = STEP_TO[e.kind]
        if "state" in e.payload:
            assert e.payload["state"] == state, (m.number, e.seq)
    return state


ACTOR_NAMES = (
    "clerk",
    "carrier",
    "driver",
    "receiver_clerk",
    "stranger",
    "county_weidu",
    "county_changge",
    "county_other",
    "city",
    "ecology",
    "public",
    "anonymous",
)
anyone = st.sampled_from(ACTOR_NAMES)


def actor_for(*names: str):
    """Mostly the party whose step it is (so manifests do move on), sometimes anyone."""
    right = st.sampled_from(names)
    return st.one_of(right, right, right, anyone)


good_kg = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("900"), places=3)
numeric_bad_kg = st.sampled_from(["0", "-5", "0.0004", "250000", "1e9"])
bad_kg = st.one_of(numeric_bad_kg, st.sampled_from(["abc", "", None]))
any_kg = st.one_of(good_kg, good_kg, bad_kg)
# create cannot take non-numbers yet: test_create_with_a_non_numeric_mass_is_refused
create_kg = st.one_of(good_kg, good_kg, numeric_bad_kg)
pick = st.integers(min_value=0, max_value=1000)

# The operations the machine may call, with the strategies of their arguments. One rule
# draws among them (``ManifestMachine.step``): hypothesis's swarm testing switches whole
# rules off per example, which starved the deep steps when each operation was its own rule.
OPS: dict[str, tuple[str | None, dict]] = {}


def op(*, needs: str | None, **strategies):
    def register(fn):
        OPS[fn.__name__] = (needs, strategies)
        return fn

    return register


# each manifest step twice as often as the other operations
WEIGHTED_OPS = (
    *("create", "submit", "cancel", "propose", "decide"),
    *("register", "pack", "unpack", "transform"),
    *(("pick_up", "depart", "receive", "complete") * 2),
)
METHODS = ("D10", "R4", "C1", "G-STORE", "G-INC")  # the hazardous flow allows R, D and C


class ManifestMachine(RuleBasedStateMachine):
    world = None  # set by the test before running
    reached: Counter = Counter()  # event kinds signed across all examples
    refused: Counter = Counter()

    def __init__(self):
        super().__init__()
        self.w = type(self).world
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each example runs in a savepoint rolled back at teardown
        self.manifests: list[int] = []
        self.codes: list[str] = []
        self.revisions: list[int] = []
        self.idempotency: dict[str, services.ManifestInput] = {}
        self.methods = {m.code: m for m in TreatmentMethod.objects.filter(code__in=METHODS)}
        self.expected_mass = top_level_mass()
        self.refusals = self.successes = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------

    def actor(self, name: str):
        return AnonymousUser() if name == "anonymous" else getattr(self.w, name)

    def manifest(self, i: int, step: str | None = None) -> Manifest:
        """Manifest ``i``; for even ``i`` one the step may move (when there is one), so the
        machine gets deep into the flow as well as trying steps out of order."""
        pks = self.manifests
        if step is not None and i % 2 == 0:
            ready = list(
                Manifest.objects.filter(pk__in=pks, state__in=FROM[step]).values_list(
                    "pk", flat=True
                )
            )
            pks = sorted(ready) or pks
        return Manifest.objects.get(pk=pks[(i // 2) % len(pks)])

    def some_codes(self, i: int, n: int, among: set[str] | None = None) -> list[str]:
        """Up to ``n`` known container codes (a deterministic pick driven by ``i``)."""
        codes = [c for c in self.codes if not among or c in among]
        if not codes:
            return []
        return list(dict.fromkeys(codes[(i + k * 7) % len(codes)] for k in range(n)))

    def attempt(self, name: str, call):
        """Run a service call: a refusal must be typed and leave everything unchanged; a
        success must sign only for the actor's own party."""
        actor = self.actor(name)
        before = snapshot()
        last_event = LedgerEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        try:
            result = call(actor)
        except WufeiError as exc:
            assert exc.code, repr(exc)
            assert all(e.code for e in exc.errors), exc.errors
            assert snapshot() == before, f"refused {exc.code} but wrote"
            self.refusals += 1
            event(f"refused {name}: {exc.code}")
            type(self).refused[(call.__code__.co_firstlineno, exc.code)] += 1
            return None
        new = LedgerEvent.objects.filter(pk__gt=last_event or 0)
        assert new.exists(), "a successful call signed nothing"
        assert role_of(actor) in (Role.ENTERPRISE, Role.DRIVER)
        signed = set(new.values_list("actor_id", "party_id"))
        assert signed == {(actor.pk, actor.party_id)}, signed
        self.successes += 1
        kinds = set(new.values_list("kind", flat=True))
        type(self).reached.update(kinds)
        event(f"signed: {sorted(kinds)}")
        return result

    # --- manifests -------------------------------------------------------------------

    @initialize(starts=st.lists(st.sampled_from(ORDER), min_size=2, max_size=3))
    def first_manifests(self, starts):
        """Start with manifests already driven (by the right parties) to random states, so
        every later step finds manifests it can move, correct, reject or refuse."""
        for state in starts:
            self.track_new(run_to(self.w, state))

    def track_new(self, m: Manifest | None) -> None:
        if m is None:
            return
        if m.pk not in self.manifests:
            self.manifests.append(m.pk)
        for code in m.items.values_list("container__code", flat=True):
            if code not in self.codes:
                self.codes.append(code)
        self.expected_mass = None  # registrations: recomputed in the invariant below

    @op(
        needs=None,
        who=actor_for("clerk"),
        submit=st.booleans(),
        masses=st.lists(create_kg, min_size=1, max_size=3),
        carry=st.tuples(pick, st.integers(min_value=0, max_value=2)),
        key=st.sampled_from(["", "", "k1", "k2"]),
    )
    def create(self, who, submit, masses, carry, key):
        data = self.w.data(masses=(), carry=self.some_codes(*carry), idempotency_key=key)
        data.containers = [
            NewContainer(kind="drum", stream=self.w.stream, mass_kg=m) for m in masses
        ]
        before = top_level_mass()
        n = Manifest.objects.count()
        result = self.attempt(
            who, lambda a: services.manifest_create(actor=a, data=data, submit=submit)
        )
        if result is None:
            return
        m, new = result
        assert new == (Manifest.objects.count() == n + 1)
        if not new:  # a replay: the first request's manifest, nothing written
            assert m.request_hash == data.fingerprint()
            return
        registered = sum((Decimal(str(x)) for x in masses), Decimal(0))
        assert top_level_mass() == before + registered
        assert m.declared_kg == sum(m.items.values_list("mass_kg", flat=True), Decimal(0))
        self.track_new(m)
        self.expected_mass = top_level_mass()

    @op(needs="manifests", who=actor_for("clerk"), i=pick)
    def submit(self, who, i):
        m = self.manifest(i, EventKind.SUBMIT)
        self.attempt(who, lambda a: services.manifest_submit(actor=a, manifest=m.pk))

    @op(
        needs="manifests",
        who=actor_for("clerk"),
        i=pick,
        reason=st.sampled_from(["", "  ", "客户取消", "客户取消", "客户取消"]),
    )
    def cancel(self, who, i, reason):
        m = self.manifest(i, EventKind.CANCEL)
        self.attempt(who, lambda a: services.manifest_cancel(actor=a, manifest=m, reason=reason))

    @op(
        needs="manifests",
        who=actor_for("driver", "carrier"),
        i=pick,
        right=st.sampled_from([True, True, False]),
        kg=any_kg,
    )
    def pick_up(self, who, i, right, kg):
        m = self.manifest(i, EventKind.PICK_UP)
        code = services.signing_code(m) if right else "000000"
        if not right and code == services.signing_code(m):
            code = "999999"
        result = self.attempt(
            who,
            lambda a: services.manifest_pick_up(
                actor=a, manifest=m, signing_code_entered=code, pickup_kg=kg, vehicle=self.w.vehicle
            ),
        )
        if result is not None:
            assert right, "picked up with a wrong signing code"
            assert result.pickup_kg == Decimal(str(kg)).quantize(Decimal("0.001"))

    @op(needs="manifests", who=actor_for("driver", "carrier"), i=pick)
    def depart(self, who, i):
        m = self.manifest(i, EventKind.DEPART)
        self.attempt(who, lambda a: services.manifest_depart(actor=a, manifest=m))

    @op(
        needs="manifests",
        who=actor_for("receiver_clerk"),
        i=pick,
        kg=any_kg,
        mode=st.sampled_from(["full", "partial", "partial_no_reason", "reject", "reject", "over"]),
    )
    def receive(self, who, i, kg, mode):
        m = self.manifest(i, EventKind.RECEIVE)
        accepted, reason = {
            "full": (None, ""),
            "partial": ("0.5", "部分破损"),
            "partial_no_reason": ("0.5", ""),
            "reject": ("0", "标签不符"),
            "over": ("9999999", "多收"),
        }[mode]
        result = self.attempt(
            who,
            lambda a: services.manifest_receive(
                actor=a, manifest=m, received_kg=kg, accepted_kg=accepted, reason=reason
            ),
        )
        if result is not None:
            assert mode not in ("partial_no_reason", "over") or Decimal(str(kg)) <= Decimal("0.5")
            expected = State.REJECTED if mode == "reject" else State.RECEIVED
            assert result.state == expected

    @op(needs="manifests", who=actor_for("receiver_clerk"), i=pick, method=st.sampled_from(METHODS))
    def complete(self, who, i, method):
        m = self.manifest(i, EventKind.COMPLETE)
        result = self.attempt(
            who,
            lambda a: services.manifest_complete(actor=a, manifest=m, method=self.methods[method]),
        )
        if result is not None:
            assert method in ("D10", "R4", "C1"), f"completed with {method}"

    # --- corrections -----------------------------------------------------------------

    @op(
        needs="manifests",
        who=actor_for("clerk", "carrier", "receiver_clerk"),
        i=pick,
        change=st.sampled_from(
            [
                {"description": "更正后的说明"},
                {"description": "更正后的说明"},
                {"pickup_kg": "351"},
                {"pickup_kg": "351"},
                {"pickup_kg": "-1"},
                {"received_kg": "349"},
                {"accepted_kg": "0"},
                {"method": "R4"},
                {"method": "G-STORE"},
                {"waste_code": "900-249-08"},
                {"waste_code": "999-999-99"},
                {"state": "completed"},
                {},
            ]
        ),
    )
    def propose(self, who, i, change):
        m = self.manifest(i)
        rev = self.attempt(
            who,
            lambda a: corrections.correction_propose(
                actor=a, manifest=m, changes=change, reason="核对磅单"
            ),
        )
        if rev is not None:
            self.revisions.append(rev.pk)

    @op(
        needs="revisions",
        who=actor_for("clerk", "carrier", "receiver_clerk"),
        i=pick,
        approve=st.sampled_from([True, True, False]),
    )
    def decide(self, who, i, approve):
        pending = ManifestRevision.objects.filter(pk__in=self.revisions, status="pending")
        pks = (sorted(pending.values_list("pk", flat=True)) if i % 2 == 0 else []) or self.revisions
        pk = pks[(i // 2) % len(pks)]
        before = Manifest.objects.get(revisions__pk=pk)
        if approve:
            rev = self.attempt(who, lambda a: corrections.correction_approve(actor=a, revision=pk))
        else:
            rev = self.attempt(
                who, lambda a: corrections.correction_reject(actor=a, revision=pk, reason="不同意")
            )
        if rev is not None:
            m = Manifest.objects.get(pk=before.pk)
            applied = rev.status == RevisionStatus.APPLIED
            assert m.version == before.version + (1 if applied else 0)
            assert m.state == before.state

    # --- containers ------------------------------------------------------------------

    @op(needs=None, who=actor_for("clerk", "receiver_clerk"), kg=any_kg)
    def register(self, who, kg):
        spec = NewContainer(kind="drum", stream=self.w.stream, mass_kg=kg)
        c = self.attempt(who, lambda a: container_register(actor=a, spec=spec))
        if c is not None:
            self.codes.append(c.code)
            self.expected_mass += c.mass_kg

    @op(
        needs="codes",
        who=actor_for("clerk", "receiver_clerk"),
        i=pick,
        n=st.integers(min_value=1, max_value=3),
    )
    def pack(self, who, i, n):
        codes = self.some_codes(i, n)
        if not codes:
            return
        box = self.attempt(who, lambda a: containers_pack(actor=a, children=codes))
        if box is not None:
            children = Container.objects.filter(code__in=codes)
            assert box.mass_kg == sum(c.mass_kg for c in children)
            assert all(c.parent_id == box.pk for c in children)
            self.codes.append(box.code)

    @op(needs="codes", who=actor_for("clerk", "receiver_clerk"), i=pick, part=st.booleans())
    def unpack(self, who, i, part):
        boxes = set(Container.objects.filter(children__isnull=False).values_list("code", flat=True))
        codes = self.some_codes(i // 2, 1, among=boxes if i % 2 == 0 else None)
        if not codes:
            return
        parent = codes[0]
        inside = list(Container.objects.filter(parent__code=parent).values_list("code", flat=True))
        children = inside[:1] if part and inside else None
        before = Container.objects.get(code=parent).mass_kg
        taken = self.attempt(
            who, lambda a: containers_unpack(actor=a, parent=parent, children=children)
        )
        if taken is not None:
            box = Container.objects.get(code=parent)
            after = Decimal(0) if box.state == "emptied" else box.mass_kg
            assert before == after + sum(c.mass_kg for c in taken)

    @op(
        needs="codes",
        who=actor_for("receiver_clerk"),
        i=pick,
        n=st.integers(min_value=1, max_value=2),
        share=st.sampled_from(["0.3", "0.5", "0.9"]),
        skew=st.sampled_from(["1", "1", "1.004", "0.996", "1.02"]),
    )
    def transform(self, who, i, n, share, skew):
        codes = self.some_codes(i, n)
        if not codes:
            return
        total_in = sum(Container.objects.filter(code__in=codes).values_list("mass_kg", flat=True))
        out_kg = (Decimal(total_in or 1) * Decimal(share) * Decimal(skew)).quantize(
            Decimal("0.001")
        )
        loss = (Decimal(total_in or 1) * (1 - Decimal(share))).quantize(Decimal("0.001"))
        outputs = [NewContainer(kind="lot", stream=self.w.stream, mass_kg=out_kg)]
        before = top_level_mass()
        lots = self.attempt(
            who,
            lambda a: containers_transform(
                actor=a, inputs=codes, outputs=outputs, loss_kg=loss, method=self.methods["D10"]
            ),
        )
        if lots is not None:
            made = sum(o.mass_kg for o in lots)
            assert abs(total_in - made - loss) <= total_in * TRANSFORM_TOLERANCE
            assert top_level_mass() == before - total_in + made
            self.expected_mass += made - total_in
            self.codes.extend(o.code for o in lots)

    @rule(data=st.data(), name=st.sampled_from(WEIGHTED_OPS))
    def step(self, data, name):
        needs, strategies = OPS[name]
        if needs and not getattr(self, needs):
            return
        if name == "create" and len(self.manifests) >= 6:
            return
        getattr(self, name)(**{k: data.draw(v, label=k) for k, v in strategies.items()})

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def states_follow_the_ledger(self):
        for m in Manifest.objects.all():
            assert replayed_state(m) == m.state, m.number
            assert m.ledger_seq == LedgerEvent.objects.filter(chain=m.number).count()

    @invariant()
    def ledger_verifies(self):
        result = ledger.verify()
        assert result.ok, str(result.first_break)

    @invariant()
    def mass_changes_only_by_registration_and_transform(self):
        if self.expected_mass is None:
            self.expected_mass = top_level_mass()
        assert top_level_mass() == self.expected_mass

    @invariant()
    def one_live_manifest_per_container(self):
        live = ManifestItem.objects.filter(manifest__state__in=services.LIVE_MANIFEST_STATES)
        booked = list(live.values_list("container_id", flat=True))
        assert len(booked) == len(set(booked))


@pytest.mark.django_db
def test_random_sequences_keep_every_invariant():
    ManifestMachine.world = hazardous_world()
    ManifestMachine.reached = Counter()
    run_state_machine_as_test(ManifestMachine, settings=SETTINGS)
    # the machine must get deep into the engine, not only collect refusals: the signed
    # kinds vary with the seed (swarm testing), so ask for most of them, not every one
    # (the derandomized path still varies with the database's ids, which depend on the tests
    # that ran before; a whole manifest life, pick-up to completion, is always reached)
    reached = set(ManifestMachine.reached)
    assert {EventKind.CREATE, EventKind.PICK_UP, EventKind.COMPLETE} <= reached, sorted(reached)
    assert len(reached) >= 8, (sorted(reached), ManifestMachine.refused)


# --- engine bugs the machine found (narrowed to one scenario each) ----------------------------


def boxed_manifest(w, state: str):
    """Two drums packed into a big box at the generator, the box carried by a manifest that
    is then driven to ``state``; returns the box and its drums."""
    drums = [
        container_register(
            actor=w.clerk, spec=NewContainer(kind="drum", stream=w.stream, mass_kg=Decimal(kg))
        )
        for kg in ("120", "80")
    ]
    box = containers_pack(actor=w.clerk, children=[d.code for d in drums])
    data = w.data(masses=(), carry=[box.code])
    m, _ = services.manifest_create(actor=w.clerk, data=data)
    return run_to(w, state, pickup_kg="200", received_kg="200", manifest=m), box, drums


def test_a_drum_still_inside_a_received_box_cannot_be_packed_again():
    w = hazardous_world()
    _, box, drums = boxed_manifest(w, State.RECEIVED)
    total = top_level_mass()
    with contextlib.suppress(WufeiError):  # a refusal is the fix
        containers_pack(actor=w.receiver_clerk, children=[drums[0].code])
    assert Container.objects.get(pk=drums[0].pk).parent_id == box.pk
    assert top_level_mass() == total


def test_drums_booked_on_a_submitted_manifest_cannot_be_repacked():
    w = hazardous_world()
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    codes = list(m.items.values_list("container__code", flat=True))
    with pytest.raises(WufeiError):
        containers_pack(actor=w.clerk, children=codes)


def test_completing_a_manifest_does_not_revive_its_transformed_containers():
    w = hazardous_world()
    m = run_to(w, State.RECEIVED)
    codes = list(m.items.values_list("container__code", flat=True))
    containers_transform(
        actor=w.receiver_clerk,
        inputs=codes,
        outputs=[NewContainer(kind="lot", stream=w.stream, mass_kg=Decimal("300"))],
        loss_kg="50.5",
        method=w.method,
    )
    total = top_level_mass()
    services.manifest_complete(actor=w.receiver_clerk, manifest=m, method=w.method)
    assert set(Container.objects.filter(code__in=codes).values_list("state", flat=True)) == {
        ContainerState.TRANSFORMED
    }
    assert top_level_mass() == total
