"""A year of electronic manifests (电子联单) for the demo city, for every flow.

Volumes follow the generated city (which units exist, their waste codes, plants, fleets and
permits); ``docs/demo-data.md`` gives the reasoning. The rows are built in memory and inserted
in bulk, but each one is what the services would have written: the same permit choice (the
receiver's and transporter's permit in force that day, covering the codes), the same signed
events with the same payloads (so ``wufei verify-ledger`` passes), the same container moves,
packing (小箱进大箱), transformation (incineration → fly ash and slag) and the same alerts.

Everything draws from one random stream and the local date of generation: the same seed on
the same day gives the same manifests.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.models import Alert, AlertAction
from wufei.demo.builder import add_years
from wufei.demo.models import GeneratedParty, Generation
from wufei.manifests import rules
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.deadlines import CLEARED, check_deadlines
from wufei.manifests.flows import FLOWS, STORE, Flow
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.services import (
    NUMBER_ALPHABET,
    content,
    receipt_findings,
    signed_payload,
)
from wufei.registry.choices import PermitStatus
from wufei.registry.models import (
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCode,
    WasteStream,
)
from wufei.trace import codes as trace_codes
from wufei.trace import ledger
from wufei.trace.choices import ContainerKind, ContainerState, EventKind, LinkKind
from wufei.trace.models import Container, ContainerLink, LedgerEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRAM = Decimal("0.001")
DAYS = 365
BATCH = 2000

# Outcomes (shares of the manifests that reach the step; see docs/demo-data.md).
REJECT_SHARE = 0.01
GAP_SHARE = 0.02
LATE_SHARE = 0.03
CANCEL_SHARE = 0.004
CORRECTION_SHARE = 0.002
UNFIT_SHARE = 0.01  # household trips made with a tricycle (vehicle unfit)

# Who is on the platform, and how often they ship (city scale; units scale with the city).
ONBOARD = {
    "hospital": 0.12,
    "clinic": 0.03,
    "small_micro": 0.15,
    "battery": 0.15,
    "construction": 0.1,
}
HOSPITAL_EVERY = {"central": (1, 1), "public": (2, 2), "private": (3, 4)}
HAZARDOUS_EVERY = (90, 150)  # days between a factory's shipments of one code
SMALL_MICRO_EVERY = (90, 180)
BATTERY_EVERY = (60, 120)
CLINIC_EVERY = 7  # a health centre's round of its clinics, weekly
CONSTRUCTION_EVERY = (3, 5)
SLUDGE_PER_WEEK = (1, 2)
KITCHEN_TRIPS_PER_TANKER = 0.2  # a day: a fifth of the fleet's daily rounds
KITCHEN_BINS = (3, 6)
STATION_SHARE = 0.05  # the largest transfer stations with a weighbridge, shipping to incineration
FLY_ASH_SHARE = Decimal("0.035")
SLAG_SHARE = Decimal("0.22")

REJECT_REASONS = (
    "包装破损，存在泄漏",
    "实物与联单废物代码不符",
    "标签信息不全，无法核对",
    "含有许可范围外的废物",
)
CANCEL_REASON = "产生单位计划调整，暂不转移"
CORRECTION_REASON = "起运过磅单录入错误，按磅单原件更正"
HAZARDOUS_NAMES = {
    "900-214-08": "废润滑油",
    "900-249-08": "废矿物油及含油包装物",
    "900-210-08": "油水分离废油",
    "900-252-12": "废油漆渣",
    "900-015-13": "废树脂",
    "336-064-17": "表面处理废液",
    "772-005-18": "焚烧飞灰",
    "900-023-29": "含汞废灯管",
    "900-052-31": "废铅蓄电池",
    "321-026-48": "铝灰渣",
    "900-039-49": "废活性炭",
    "900-041-49": "含有或沾染毒性物质的废包装物",
    "772-007-50": "废脱硝催化剂",
    "841-001-01": "感染性废物",
    "841-002-01": "损伤性废物",
    "841-003-01": "病理性废物",
    "841-004-01": "化学性废物",
    "841-005-01": "药物性废物",
}
FLY_ASH_CODE = "772-005-18"


def kg(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.001):.3f}")


@dataclass
class Plan:
    """How a manifest's life goes: where it stops and what happens at receipt."""

    stop: str | None = None  # the state it stays in (None: as far as time allows)
    hold: bool = False  # stay in ``stop`` even before its deadline (the demo logins' work)
    outcome: str = "normal"  # normal, gap, reject
    cancel: bool = False
    correct: bool = False


@dataclass(eq=False)
class Stored:
    container: Container
    at: datetime


@dataclass
class Rows:
    manifests: list[Manifest] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    items: list[ManifestItem] = field(default_factory=list)
    links: list[ContainerLink] = field(default_factory=list)
    events: list[LedgerEvent] = field(default_factory=list)
    revisions: list[ManifestRevision] = field(default_factory=list)
    alerts: list[tuple[Manifest, dict]] = field(default_factory=list)


class ManifestGenerator:
    def __init__(self, generation: Generation, rng: random.Random, scale: str, today: date):
        self.generation = generation
        self.rng = rng
        self.scale = scale
        self.end = datetime.combine(today, time(0), SHANGHAI)  # nothing happens from here on
        self.start = self.end - timedelta(days=DAYS)
        self.rows = Rows()
        self.numbers = set(Manifest.objects.values_list("number", flat=True))
        self.codes = set(Container.objects.values_list("code", flat=True))
        self.children: dict[str, list[Container]] = {}
        self.ids = {
            model: (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
            for model in (Manifest, ManifestItem, ManifestRevision, Container, ContainerLink)
        }
        self.ids[LedgerEvent] = (
            LedgerEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        self._load()

    def next_id(self, model) -> int:
        """Primary keys are given in memory, so foreign keys bind as the rows are built."""
        self.ids[model] += 1
        return self.ids[model]

    # --- the city ---------------------------------------------------------------------------
    def _load(self) -> None:
        links = GeneratedParty.objects.filter(generation=self.generation).select_related(
            "party", "party__region"
        )
        self.sector: dict[str, list[tuple[Party, dict]]] = defaultdict(list)
        self.plants: dict[str, Party] = {}
        self.parties: dict[int, Party] = {}
        self.attrs: dict[int, dict] = {}
        for link in links.order_by("pk"):
            self.sector[link.sector].append((link.party, link.attrs))
            self.parties[link.party_id] = link.party
            self.attrs[link.party_id] = link.attrs
            if "plant" in link.attrs:
                self.plants[link.attrs["plant"]] = link.party
        ids = list(self.parties)
        self.sites: dict[int, list[Site]] = defaultdict(list)
        for site in Site.objects.filter(party_id__in=ids).select_related("region").order_by("pk"):
            self.sites[site.party_id].append(site)
        self.facilities: dict[int, list[Facility]] = defaultdict(list)
        for facility in (
            Facility.objects.filter(site__party_id__in=ids)
            .select_related("site", "site__region")
            .order_by("pk")
        ):
            self.facilities[facility.site.party_id].append(facility)
        self.per_day = {
            c.facility_id: c.tonnes_per_day
            for c in FacilityCapacity.objects.filter(facility__site__party_id__in=ids)
        }
        self.vehicles: dict[int, list[Vehicle]] = defaultdict(list)
        for vehicle in Vehicle.objects.filter(party_id__in=ids, is_active=True).order_by("pk"):
            self.vehicles[vehicle.party_id].append(vehicle)
        self.permits: dict[int, list[Permit]] = defaultdict(list)
        permits = (
            Permit.objects.filter(party_id__in=ids, status=PermitStatus.ACTIVE)
            .prefetch_related("waste_codes", "categories")
            .order_by("-valid_to", "pk")
        )
        for permit in permits:
            permit.code_ids = {c.pk for c in permit.waste_codes.all()}
            permit.category_ids = {c.pk for c in permit.categories.all()}
            self.permits[permit.party_id].append(permit)
        self.streams = {s.code: s for s in WasteStream.objects.all()}
        self.methods = {m.code: m for m in TreatmentMethod.objects.all()}
        self.waste_codes: dict[str, WasteCode] = {}
        for code in WasteCode.objects.select_related("category").order_by("valid_from", "pk"):
            self.waste_codes[code.code] = code  # the newest version wins
        self._descendants: dict[int, set[int]] = {}

    def descendants(self, stream_id: int) -> set[int]:
        if stream_id not in self._descendants:
            self._descendants[stream_id] = set(WasteStream.descendant_ids([stream_id]))
        return self._descendants[stream_id]

    def permit(
        self,
        party: Party,
        kinds: Sequence[str],
        stream: WasteStream,
        codes: Sequence[WasteCode],
        covers: bool,
        day: date,
    ) -> Permit | None:
        """``rules.find_permit`` in memory: the permit in force on ``day`` that fits."""
        for p in self.permits.get(party.pk, ()):
            if p.kind not in kinds or not (p.valid_from <= day <= p.valid_to):
                continue
            if stream.pk not in self.descendants(p.stream_id):
                continue
            if not covers or all(self._covers(p, c) for c in codes):
                return p
        return None

    def _covers(self, p: Permit, code: WasteCode) -> bool:
        if not p.code_ids and not p.category_ids:
            return code.category.stream_id in self.descendants(p.stream_id)
        return code.pk in p.code_ids or code.category_id in p.category_ids

    def facility(self, party: Party, *kinds: str) -> Facility | None:
        return next((f for f in self.facilities.get(party.pk, ()) if f.kind in kinds), None)

    def vehicle(self, party: Party, kinds: Sequence[str]) -> Vehicle | None:
        fleet = [v for v in self.vehicles.get(party.pk, ()) if v.kind in kinds]
        return self.rng.choice(fleet) if fleet else None

    def site(self, party: Party, kind: str | None = None) -> Site | None:
        sites = [s for s in self.sites.get(party.pk, ()) if kind is None or s.kind == kind]
        return sites[0] if sites else None

    # --- time ---------------------------------------------------------------------------------
    def days(self, every: tuple[int, int], phase: bool = True) -> Iterator[date]:
        """Days of the window, a random phase, then every ``every`` days."""
        day = self.start.date() + timedelta(days=self.rng.randrange(every[1]) if phase else 0)
        while day < self.end.date():
            yield day
            day += timedelta(days=self.rng.randint(*every))

    def at(self, day: date, first_hour: float = 7, last_hour: float = 17) -> datetime:
        minutes = self.rng.randrange(int(first_hour * 60), int(last_hour * 60))
        return datetime.combine(day, time(0), SHANGHAI) + timedelta(
            minutes=minutes, seconds=self.rng.randrange(60)
        )

    def hours(self, limit: int, low: float, high: float, cap: float) -> timedelta:
        return timedelta(hours=min(limit, cap) * self.rng.uniform(low, high))

    # --- rows ---------------------------------------------------------------------------------
    def number(self, flow: Flow, at: datetime) -> str:
        while True:
            tail = "".join(self.rng.choice(NUMBER_ALPHABET) for _ in range(6))
            number = f"{flow.prefix}{timezone.localtime(at, SHANGHAI):%Y%m%d}{tail}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def container(
        self,
        *,
        kind: str,
        stream: WasteStream,
        mass: Decimal,
        origin: Party,
        region,
        at: datetime,
        code: WasteCode | None = None,
        description: str = "",
        payload: dict | None = None,
        state: str = ContainerState.AT_SOURCE,
    ) -> Container:
        """A new container and its CREATE event (``trace.services._create``)."""
        label = trace_codes.new_code(self.rng)
        while label in self.codes:
            label = trace_codes.new_code(self.rng)
        self.codes.add(label)
        c = Container(
            id=self.next_id(Container),
            code=label,
            kind=kind,
            stream=stream,
            waste_code=code,
            description=description[:200],
            mass_kg=mass,
            origin=origin,
            holder=origin,
            region=region,
            state=state,
            created_at=at,
        )
        self.rows.containers.append(c)
        self.event(
            c,
            EventKind.CREATE,
            party_id=origin.pk,
            at=at,
            payload={
                "kind": kind,
                "stream": stream.code,
                "waste_code": code.code if code else None,
                "mass_kg": mass,
                "holder": origin.pk,
                **(payload or {}),
            },
        )
        return c

    def event(self, owner, kind: str, *, party_id: int, at: datetime, payload=None):
        event = ledger.build_event(
            owner, kind, actor=None, party_id=party_id, at=at, payload=payload
        )
        event.id = self.next_id(LedgerEvent)
        self.rows.events.append(event)
        return event

    def sign(self, m: Manifest, kind: str, *, party_id: int, at: datetime, payload=None) -> None:
        """The event ``services.sign`` appends, built in memory."""
        self.event(m, kind, party_id=party_id, at=at, payload=signed_payload(m, payload))

    def move(self, carried: Sequence[Container], **fields) -> None:
        """``services._move_containers``: the carried containers and those packed inside."""
        for c in carried:
            for target in (c, *self.children.get(c.code, ())):
                for name, value in fields.items():
                    setattr(target, name, value)

    def alert(self, m: Manifest, rule: str, message: str, *, at, party_id=None, **extra) -> None:
        severity = extra.pop("severity", Severity.WARNING)
        self.rows.alerts.append(
            (
                m,
                {
                    "rule": rule,
                    "severity": severity,
                    "message": message[:300],
                    "party_id": party_id or m.generator_id,
                    "opened_at": at,
                    "details": {"number": m.number, **{k: str(v) for k, v in extra.items()}},
                },
            )
        )

    # --- one manifest -------------------------------------------------------------------------
    def plan(self) -> Plan:
        r = self.rng.random()
        if r < REJECT_SHARE:
            return Plan(outcome="reject")
        if r < REJECT_SHARE + GAP_SHARE:
            return Plan(outcome="gap")
        if r < REJECT_SHARE + GAP_SHARE + LATE_SHARE:
            stop = self.rng.choice(
                (State.SUBMITTED, State.PICKED_UP, State.IN_TRANSIT, State.RECEIVED)
            )
            return Plan(stop=stop)
        if r < REJECT_SHARE + GAP_SHARE + LATE_SHARE + CANCEL_SHARE:
            return Plan(cancel=True)
        return Plan(correct=r > 1 - CORRECTION_SHARE)

    def manifest(
        self,
        flow_key: str,
        *,
        generator: Party,
        transporter: Party,
        receiver: Party,
        stream: WasteStream,
        at: datetime,
        vehicle: Vehicle | None,
        method: TreatmentMethod,
        site: Site | None = None,
        facility: Facility | None = None,
        loads: Sequence[dict] = (),
        carry: Sequence[Container] = (),
        description: str = "",
        plan: Plan | None = None,
    ) -> Manifest | None:
        """Create → submit → pick up → depart → receive → complete, as far as time and the
        plan allow; None when no permit fits (the service would refuse the submission)."""
        if at >= self.end:
            return None  # nothing happens from the generation day on
        flow = FLOWS[flow_key]
        plan = plan or self.plan()
        day = timezone.localdate(at, SHANGHAI)
        code_rows = {ld["code"].pk: ld["code"] for ld in loads if ld.get("code")}
        code_rows |= {c.waste_code.pk: c.waste_code for c in carry if c.waste_code}
        codes = list(code_rows.values())
        transporter_permit = receiver_permit = None
        if flow.transporter_permits and transporter.pk != generator.pk:
            transporter_permit = self.permit(
                transporter, flow.transporter_permits, stream, codes, False, day
            )
            if transporter_permit is None:
                return None
        if flow.receiver_permits:
            receiver_permit = self.permit(
                receiver, flow.receiver_permits, stream, codes, flow.receiver_covers_code, day
            )
            if receiver_permit is None:
                return None
        region = site.region if site else generator.region
        m = Manifest(
            id=self.next_id(Manifest),
            number=self.number(flow, at),
            flow=flow.key,
            stream=stream,
            description=description[:200],
            generator=generator,
            generator_site=site,
            region=region,
            transporter=transporter,
            receiver=receiver,
            receiver_facility=facility,
            receiver_region=facility.site.region if facility else receiver.region,
            created_at=at,
        )
        carried = list(carry)
        for ld in loads:
            origin = ld.get("origin", generator)
            carried.append(
                self.container(
                    kind=ld["kind"],
                    stream=ld.get("stream", stream),
                    mass=ld["mass"],
                    code=ld.get("code"),
                    description=ld.get("description", description),
                    origin=origin,
                    region=region if origin is generator else origin.region,
                    at=at,
                    payload={"manifest": m.number},
                )
            )
        self.rows.items.extend(
            ManifestItem(id=self.next_id(ManifestItem), manifest=m, container=c, mass_kg=c.mass_kg)
            for c in carried
        )
        m.declared_kg = sum((c.mass_kg for c in carried), Decimal(0))
        m.items_hash = ledger.content_hash(sorted([c.code, str(c.mass_kg)] for c in carried))
        if len(code_rows) == 1:
            m.waste_code = codes[0]
        m.carried = carried
        self.rows.manifests.append(m)
        self.sign(m, EventKind.CREATE, party_id=generator.pk, at=at)
        if plan.stop == State.DRAFT:
            return m
        # submit
        m.transporter_permit, m.receiver_permit = transporter_permit, receiver_permit
        m.state, m.submitted_at = State.SUBMITTED, at
        m.signing_nonce = f"{self.rng.getrandbits(64):016x}"
        self.sign(
            m, EventKind.SUBMIT, party_id=generator.pk, at=at, payload={"containers": m.items_hash}
        )
        if plan.cancel:
            when = at + timedelta(hours=self.rng.uniform(1, 20))
            if when < self.end:
                m.state, m.cancelled_at = State.CANCELLED, when
                self.sign(
                    m,
                    EventKind.CANCEL,
                    party_id=generator.pk,
                    at=when,
                    payload={"reason": CANCEL_REASON},
                )
            return m
        if self._stops(m, plan, State.SUBMITTED, at, flow.pickup_hours):
            return m
        # pick up and depart
        picked = at + self.hours(flow.pickup_hours, 0.05, 0.5, 36)
        if picked >= self.end or vehicle is None:
            return m
        weight = (m.declared_kg * Decimal(1 + self.rng.uniform(-0.01, 0.01))).quantize(GRAM)
        m.state, m.pickup_kg, m.vehicle, m.picked_up_at = (
            State.PICKED_UP,
            weight,
            vehicle,
            picked,
        )
        self.sign(
            m,
            EventKind.PICK_UP,
            party_id=transporter.pk,
            at=picked,
            payload={"plate": vehicle.plate, "pickup_kg": weight},
        )
        self.move(carried, holder=transporter, state=ContainerState.IN_TRANSIT)
        problems = rules.vehicle_findings(flow, vehicle)
        if problems:
            self.alert(
                m,
                Rule.VEHICLE_UNFIT,
                "；".join(problems),
                at=picked,
                party_id=transporter.pk,
                plate=vehicle.plate,
            )
        if flow.storage_hours:
            self._check_storage(m, flow, carried, picked)
        if self._stops(m, plan, State.PICKED_UP, picked, flow.transit_hours):
            return m
        departed = picked + timedelta(minutes=self.rng.randint(5, 40))
        if departed >= self.end:
            return m
        m.state, m.departed_at = State.IN_TRANSIT, departed
        self.sign(m, EventKind.DEPART, party_id=transporter.pk, at=departed)
        if self._stops(m, plan, State.IN_TRANSIT, departed, flow.transit_hours):
            return m
        # receive
        received = departed + self.hours(flow.transit_hours, 0.1, 0.6, 10)
        if received >= self.end:
            return m
        self._receive(m, flow, plan, carried, received)
        if m.state == State.REJECTED or self._stops(
            m, plan, State.RECEIVED, received, flow.completion_hours
        ):
            return m
        # complete
        completed = received + self.hours(flow.completion_hours, 0.05, 0.6, 96)
        if completed >= self.end:
            return m
        m.state, m.method, m.completed_at = State.COMPLETED, method, completed
        self.sign(
            m,
            EventKind.COMPLETE,
            party_id=receiver.pk,
            at=completed,
            payload={"method": method.code},
        )
        if method.code != STORE:
            self.move(
                carried,
                state=ContainerState.TREATED,
                method=method,
                facility=facility,
                settled_at=completed,
            )
        if plan.correct:
            self._correct(m, completed)
        return m

    def _stops(self, m: Manifest, plan: Plan, state: str, since: datetime, hours: int) -> bool:
        """A late manifest stays in ``state`` if its deadline has passed by the end."""
        return plan.stop == state and (plan.hold or since + timedelta(hours=hours) < self.end)

    def _check_storage(self, m, flow: Flow, carried, picked: datetime) -> None:
        oldest = min(c.created_at for c in carried)
        if (picked - oldest).total_seconds() > flow.storage_hours * 3600:
            hours = int((picked - oldest).total_seconds() // 3600)
            self.alert(
                m,
                Rule.STORAGE_OVERDUE,
                _("暂存 %(hours)s 小时，超过 %(limit)s 小时的规定")
                % {"hours": hours, "limit": flow.storage_hours},
                at=picked,
                severity=Severity.CRITICAL,
                hours=hours,
            )

    def _receive(self, m: Manifest, flow: Flow, plan: Plan, carried, at: datetime) -> None:
        tol = float(flow.tolerance)
        if plan.outcome == "gap":
            drift = self.rng.uniform(1.3 * tol, 4 * tol) * self.rng.choice((-1, 1))
        else:
            drift = self.rng.uniform(-0.6 * tol, 0.6 * tol)
        weighed = (m.pickup_kg * Decimal(1 + drift)).quantize(GRAM)
        reason = self.rng.choice(REJECT_REASONS) if plan.outcome == "reject" else ""
        accepted = Decimal("0.000") if reason else weighed
        m.received_kg, m.accepted_kg, m.received_at, m.rejection_reason = (
            weighed,
            accepted,
            at,
            reason,
        )
        payload = {"received_kg": weighed, "accepted_kg": accepted, "reason": reason}
        if reason:
            m.state = State.REJECTED
            self.sign(m, EventKind.REJECT, party_id=m.receiver_id, at=at, payload=payload)
            self.move(carried, holder=m.generator, state=ContainerState.AT_SOURCE)
            self.alert(
                m,
                Rule.REJECTED,
                _("接收单位拒收：%(reason)s") % {"reason": reason},
                at=at,
                severity=Severity.INFO,
            )
            return
        m.state = State.RECEIVED
        self.sign(m, EventKind.RECEIVE, party_id=m.receiver_id, at=at, payload=payload)
        self.move(carried, holder=m.receiver, state=ContainerState.STORED)
        self._receipt_findings(m, flow, at)

    def _receipt_findings(self, m: Manifest, flow: Flow, at: datetime) -> None:
        """The alerts ``services.manifest_receive`` raises (the annual quantity, one query per
        manifest, is never reached by the demo's volumes and is not checked)."""
        for f in receipt_findings(m, flow, at, check_annual=False):
            self.alert(
                m, f.rule, f.message, at=at, party_id=f.party_id, severity=f.severity, **f.details
            )

    def _correct(self, m: Manifest, after: datetime) -> None:
        """A correction of the pick-up weight, proposed by the transporter and approved by
        the generator and the receiver (``corrections.correction_propose/approve``)."""
        proposed_at = after + timedelta(hours=self.rng.uniform(2, 48))
        if proposed_at + timedelta(hours=48) >= self.end:
            return
        original = content(m)
        self.rows.revisions.append(
            ManifestRevision(
                id=self.next_id(ManifestRevision),
                manifest=m,
                version=m.version,
                status=RevisionStatus.APPLIED,
                content=ledger.jsonable(original),
                content_hash=ledger.content_hash(original),
                reason=_("原始版本"),
                proposed_by=None,
                proposed_at=m.created_at,
                decided_at=m.created_at,
            )
        )
        new_weight = (m.pickup_kg * Decimal(1 + self.rng.uniform(-0.02, 0.02))).quantize(GRAM)
        changes = ledger.jsonable({"pickup_kg": new_weight})
        proposed = {**original, **changes, "version": m.version + 1}
        proposed_hash = ledger.content_hash(proposed)
        parties = list(dict.fromkeys([m.transporter_id, m.generator_id, m.receiver_id]))
        approvals, when = {}, proposed_at
        for i, party_id in enumerate(parties):
            approvals[str(party_id)] = {"actor": None, "at": when.isoformat()}
            if i == 0:
                self.event(
                    m,
                    EventKind.CORRECTION_PROPOSED,
                    party_id=party_id,
                    at=when,
                    payload={
                        "version": m.version + 1,
                        "changes": changes,
                        "reason": CORRECTION_REASON,
                        "content": proposed_hash,
                    },
                )
            else:
                self.event(
                    m,
                    EventKind.CORRECTION_APPROVED,
                    party_id=party_id,
                    at=when,
                    payload={"version": m.version + 1, "content": proposed_hash},
                )
            last, when = party_id, when + timedelta(hours=self.rng.uniform(1, 20))
        self.rows.revisions.append(
            ManifestRevision(
                id=self.next_id(ManifestRevision),
                manifest=m,
                version=m.version + 1,
                status=RevisionStatus.APPLIED,
                content=ledger.jsonable(proposed),
                content_hash=proposed_hash,
                changes=changes,
                reason=CORRECTION_REASON,
                proposed_at=proposed_at,
                approvals=approvals,
                decided_at=datetime.fromisoformat(approvals[str(last)]["at"]),
            )
        )
        decided = datetime.fromisoformat(approvals[str(last)]["at"])
        m.pickup_kg, m.version = new_weight, m.version + 1
        self.sign(
            m,
            EventKind.CORRECTION_APPLIED,
            party_id=last,
            at=decided,
            payload={"changes": changes},
        )
        self._receipt_findings(m, m.flow_def, decided)

    # --- packing and transformation -----------------------------------------------------------
    def pack(self, items: Sequence[Container], holder: Party, at: datetime) -> Container:
        """``trace.services.containers_pack``: 小箱进大箱."""
        first = items[0]
        waste_codes = {c.waste_code_id for c in items}
        parent = self.container(
            kind=ContainerKind.BIG_BOX,
            stream=first.stream,
            mass=sum((c.mass_kg for c in items), Decimal(0)),
            code=first.waste_code if len(waste_codes) == 1 else None,
            origin=holder,
            region=holder.region,
            at=at,
            state=first.state,
            payload={"children": [c.code for c in items]},
        )
        for child in items:
            event = self.event(
                child, EventKind.PACK, party_id=holder.pk, at=at, payload={"into": parent.code}
            )
            child.state, child.parent = ContainerState.PACKED, parent
            self.rows.links.append(
                ContainerLink(
                    id=self.next_id(ContainerLink),
                    source=child,
                    target=parent,
                    kind=LinkKind.PACKED,
                    mass_kg=child.mass_kg,
                    at=at,
                    event=event,
                )
            )
        self.children[parent.code] = list(items)
        return parent

    def transform(
        self, inputs: Sequence[Container], holder: Party, outputs: Sequence[dict], at, method
    ) -> list[Container]:
        """``trace.services.containers_transform``: inputs = outputs + losses."""
        total_in = sum((c.mass_kg for c in inputs), Decimal(0))
        input_codes = [c.code for c in inputs]
        built = [
            self.container(
                origin=holder,
                region=holder.region,
                at=at,
                payload={"from": input_codes, "method": method.code},
                **spec,
            )
            for spec in outputs
        ]
        loss = (total_in - sum((o.mass_kg for o in built), Decimal(0))).quantize(GRAM)
        for item in inputs:
            event = self.event(
                item,
                EventKind.TRANSFORM,
                party_id=holder.pk,
                at=at,
                payload={
                    "into": [o.code for o in built],
                    "loss_kg": loss,
                    "method": method.code,
                    "note": "",
                },
            )
            item.state = ContainerState.TRANSFORMED
            item.method = item.method or method
            item.settled_at = item.settled_at or at
            for out in built:
                share = (out.mass_kg * item.mass_kg / total_in).quantize(GRAM)
                self.rows.links.append(
                    ContainerLink(
                        id=self.next_id(ContainerLink),
                        source=item,
                        target=out,
                        kind=LinkKind.TRANSFORMED,
                        mass_kg=share,
                        at=at,
                        event=event,
                    )
                )
        return built


def _insert(model, objs: Sequence) -> None:
    """Insert rows whose primary and foreign keys are already set: one prepared statement,
    values adapted as the fields would adapt them (bulk_create costs 10x more per row)."""
    fields = model._meta.concrete_fields
    ops = connection.ops
    convert = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            convert.append(ops.adapt_datetimefield_value)
        elif kind == "DecimalField":
            convert.append(
                lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            )
        elif kind == "JSONField":
            convert.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        else:
            convert.append(None)
    names = [f.attname for f in fields]
    pairs = list(zip(names, convert, strict=True))
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (quoted model identifiers)
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        [
            (
                fn(getattr(obj, name))
                if fn and getattr(obj, name) is not None
                else getattr(obj, name)
            )
            for name, fn in pairs
        ]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` masses to the gram, adding up exactly."""
    share = (total / parts).quantize(GRAM)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def _chunks(items: list[Stored], limit: Decimal) -> Iterator[list[Stored]]:
    """Consecutive groups of stored containers, each at most ``limit`` kg (one truck)."""
    group: list[Stored] = []
    mass = Decimal(0)
    for item in items:
        if group and mass + item.container.mass_kg > limit:
            yield group
            group, mass = [], Decimal(0)
        group.append(item)
        mass += item.container.mass_kg
    if group:
        yield group


CODE_KINDS = {
    "08": ContainerKind.DRUM,
    "12": ContainerKind.DRUM,
    "13": ContainerKind.DRUM,
    "17": ContainerKind.TANK,
    "31": ContainerKind.PALLET,
    "48": ContainerKind.TONNE_BAG,
    "49": ContainerKind.BAG,
    "50": ContainerKind.PALLET,
}
CONSTRUCTION_STREAMS = {
    "construction-spoil": 0.45,
    "construction-engineering": 0.2,
    "construction-demolition": 0.2,
    "construction-decoration": 0.15,
}
HW_FACILITIES = ("hazardous", "cement_kiln", "battery", "hw_storage", "medical")
HOSPITAL_KG_PER_DAY = {"central": (1200, 1800), "public": (150, 700), "private": (20, 150)}
MEDICAL_SHARES = {"841-001-01": 0.7, "841-002-01": 0.12, "841-003-01": 0.06, "841-004-01": 0.05}


class CityManifests(ManifestGenerator):
    """The flows of the demo city, one method each (see docs/demo-data.md)."""

    def run(self) -> None:
        self.anchors = dict(self.generation.anchors or {})
        self.transporters = [p for p, _a in self.sector["hw_transport"]]
        self.transporter = next(
            (p for p in self.transporters if p.pk == self.anchors.get("transporter")),
            self.transporters[0],
        )
        self.pools: dict[int, list[Stored]] = defaultdict(list)  # stored at a collector
        self.hubs: list[int] = []
        self.keep_licensed()
        self.hazardous()
        self.medical()
        self.kitchen()
        self.sludge()
        self.construction()
        self.household()
        self.batteries()
        self.agricultural()
        self.onward()
        self.demo_logins()

    # --- helpers ------------------------------------------------------------------------------
    def keep_licensed(self) -> None:
        """The city's only medical disposer, incinerator, kitchen-waste plant, hazardous waste
        centre, lead recycler, collection points and the demo logins' transporter keep their
        licence in force through the year: where the generated chain lapsed before the end,
        it is renewed (same terms) so that the flows they carry can run."""
        keys = {
            "medical": ("mw_operation",),
            "wangneng": ("msw_service",),
            "alba": ("kitchen_waste",),
            "hw_centre": ("hw_operation",),
            "lead": ("hw_operation",),
        }
        wanted = [(self.plants[k], kinds) for k, kinds in keys.items() if k in self.plants]
        wanted += [(p, ("hw_collection",)) for k, p in self.plants.items() if "collect" in k]
        wanted += [(p, ("battery_collection",)) for p, _a in self.sector["battery_collect"]]
        wanted += [(p, ("msw_service",)) for p, _a in self.sector["sanitation"]]
        wanted.append((self.transporter, ("dg_transport",)))
        for party, kinds in wanted:
            chain = list(
                Permit.objects.filter(party=party, kind__in=kinds).order_by("valid_to", "pk")
            )
            if not chain or chain[-1].valid_to >= self.end.date():
                continue
            last = chain[-1]
            codes, categories = list(last.waste_codes.all()), list(last.categories.all())
            valid_from = last.valid_to + timedelta(days=1)
            while valid_from <= self.end.date():
                permit = Permit.objects.create(
                    party=party,
                    facility_id=last.facility_id,
                    kind=last.kind,
                    number=last.number,
                    issuer=last.issuer,
                    stream_id=last.stream_id,
                    annual_tonnes=last.annual_tonnes,
                    valid_from=valid_from,
                    valid_to=add_years(valid_from, 5) - timedelta(days=1),
                )
                permit.waste_codes.set(codes)
                permit.categories.set(categories)
                permit.code_ids = {c.pk for c in codes}
                permit.category_ids = {c.pk for c in categories}
                self.permits[party.pk].insert(0, permit)
                valid_from = permit.valid_to + timedelta(days=1)

    def method_at(self, facility: Facility | None, streams: Sequence[str], flow: Flow):
        """The first method of ``facility``'s capacities for ``streams`` the flow allows."""
        if facility is None:
            return None
        if not hasattr(self, "_caps"):
            self._caps: dict[int, list[tuple[str, str]]] = defaultdict(list)
            rows = FacilityCapacity.objects.filter(facility__site__party_id__in=list(self.sites))
            for facility_id, stream, method in rows.order_by("pk").values_list(
                "facility_id", "stream__code", "method__code"
            ):
                self._caps[facility_id].append((stream, method))
        for stream, code in self._caps.get(facility.pk, ()):
            if stream in streams and flow.allows_method(code, self.methods[code].family):
                return self.methods[code]
        return None

    def hw_loads(self, code: WasteCode, total: Decimal, per: int = 800) -> list[dict]:
        kind = CODE_KINDS.get(code.code[-2:], ContainerKind.BAG)
        name = HAZARDOUS_NAMES.get(code.code, "")
        count = max(1, min(4, int(total / per)))
        return [
            {"kind": kind, "code": code, "mass": m, "description": name}
            for m in _split(total, count)
        ]

    def hw_receivers(self, code: WasteCode) -> list[Party]:
        """Plants with an operation permit covering ``code``; those listing it first."""
        specific, general = [], []
        for party in self.plants.values():
            permits = [p for p in self.permits.get(party.pk, ()) if p.kind == "hw_operation"]
            if any(code.pk in p.code_ids for p in permits):
                specific.append(party)
            elif any(self._covers(p, code) for p in permits):
                general.append(party)
        return specific + general

    def ship_any(
        self, flow_key: str, receivers: Sequence[Party], *, method=None, **kwargs
    ) -> Manifest | None:
        """The first receiver (in order) whose permit admits the shipment."""
        flow = FLOWS[flow_key]
        for receiver in receivers:
            facility = self.facility(receiver, *HW_FACILITIES)
            chosen = method or self.method_at(facility, ("hazardous", "medical"), flow)
            if chosen is None:
                continue
            m = self.manifest(
                flow_key, receiver=receiver, facility=facility, method=chosen, **kwargs
            )
            if m is not None:
                return m
        return None

    def onboard(self, units: Sequence[Party], key: str) -> set[int]:
        """The units of a sector on the platform: a share, at least one."""
        if not units:
            return set()
        count = max(1, round(len(units) * ONBOARD[key]))
        return {p.pk for p in self.rng.sample(list(units), count)}

    def _county(self, party: Party) -> str:
        return party.region.adcode[:6]

    def _pool(self, m: Manifest | None) -> None:
        if m is not None and m.state == State.COMPLETED:
            self.pools[m.receiver_id].extend(Stored(c, m.completed_at) for c in m.carried)

    # --- hazardous waste of factories and repair shops -----------------------------------------
    def hazardous(self) -> None:
        from wufei.demo.plants import SMALL_MICRO_CODES

        collectors = {
            key.removeprefix("hw_collect_"): p
            for key, p in self.plants.items()
            if key.startswith("hw_collect_")
        }
        stream = self.streams["hazardous"]
        small_units = [
            p
            for units in self.sector.values()
            for p, a in units
            if p.is_small_micro and set(a.get("hw_codes", ())) & set(SMALL_MICRO_CODES)
        ]
        on_platform = self.onboard(small_units, "small_micro")
        for sector in sorted(self.sector):
            if sector in ("hospital", "clinic"):
                continue
            for party, attrs in self.sector[sector]:
                anchor = party.pk == self.anchors.get("hw_generator")
                transporter = self.transporter if anchor else self.rng.choice(self.transporters)
                for text in attrs.get("hw_codes", ()):
                    if text == "900-052-31" or text not in self.waste_codes:
                        continue  # batteries: their own flow
                    code = self.waste_codes[text]
                    small = party.is_small_micro and text in SMALL_MICRO_CODES and not anchor
                    if small:
                        receiver = collectors.get(self._county(party))
                        if receiver is None or party.pk not in on_platform:
                            continue
                        flow_key, receivers, every, size = (
                            "hazardous-small",
                            [receiver],
                            SMALL_MICRO_EVERY,
                            (20, 300),
                        )
                    else:
                        receivers = self.hw_receivers(code)
                        flow_key, every, size = "hazardous", HAZARDOUS_EVERY, (300, 4000)
                    for day in self.days(every):
                        m = self.ship_any(
                            flow_key,
                            receivers,
                            method=self.methods[STORE] if small else None,
                            generator=party,
                            transporter=transporter,
                            stream=stream,
                            at=self.at(day, 8, 16),
                            vehicle=self.vehicle(transporter, ("hazmat", "box_truck")),
                            site=self.site(party),
                            loads=self.hw_loads(code, kg(self.rng.uniform(*size))),
                            description=HAZARDOUS_NAMES.get(text, ""),
                        )
                        if small:
                            self._pool(m)

    # --- medical waste: hospitals daily, clinics' small boxes into big boxes --------------------
    def medical(self) -> None:
        centre = self.plants["medical"]
        facility = self.facility(centre, "medical")
        method = self.method_at(facility, ("medical",), FLOWS["medical"])
        stream = self.streams["medical"]
        hospitals = self.sector["hospital"]
        on_platform = self.onboard([p for p, _a in hospitals], "hospital")
        on_platform.add(self.anchors.get("hospital"))
        for party, attrs in hospitals:
            if party.pk not in on_platform:
                continue
            if party.pk == self.anchors.get("hospital"):
                kind = "central"
            else:
                kind = "public" if party.credit_code.startswith("12") else "private"
            every = HOSPITAL_EVERY[kind]
            per_day = self.rng.uniform(*HOSPITAL_KG_PER_DAY[kind])
            codes = [c for c in attrs.get("hw_codes", ()) if c in MEDICAL_SHARES]
            for day in self.days(every):
                total = per_day * every[0] * self.rng.uniform(0.8, 1.2)
                loads = [
                    {
                        "kind": ContainerKind.BIG_BOX,
                        "code": self.waste_codes[c],
                        "mass": kg(total * MEDICAL_SHARES[c]),
                        "description": HAZARDOUS_NAMES[c],
                    }
                    for c in codes
                    if c == "841-001-01" or self.rng.random() < 0.5
                ]
                self.manifest(
                    "medical",
                    generator=party,
                    transporter=centre,
                    receiver=centre,
                    facility=facility,
                    stream=stream,
                    at=self.at(day, 6, 11),
                    vehicle=self.vehicle(centre, ("medical_van",)),
                    method=method,
                    site=self.site(party),
                    loads=loads,
                    description=_("医疗废物"),
                )
        self.small_boxes(centre, facility, method, stream)

    def small_boxes(self, centre: Party, facility, method, stream) -> None:
        """Village clinics hand small boxes to their township health centre (the hub), which
        packs them into a big box and ships it on to the disposal centre."""
        hubs: dict[int, Party] = {}
        members: dict[int, list[Party]] = defaultdict(list)
        for party, _attrs in self.sector["clinic"]:
            if party.credit_code.startswith("12"):
                hubs.setdefault(party.region_id, party)
        village = [
            p
            for p, _a in self.sector["clinic"]
            if p.region_id in hubs and not p.credit_code.startswith("12")
        ]
        on_platform = self.onboard(village, "clinic")
        for party in village:
            hub = hubs[party.region_id]
            if party.pk not in on_platform:
                continue
            members[hub.pk].append(party)
        code = self.waste_codes["841-001-01"]
        store = self.methods[STORE]
        for hub in hubs.values():
            if not members.get(hub.pk):
                continue
            self.hubs.append(hub.pk)
            for day in self.days((CLINIC_EVERY, CLINIC_EVERY)):
                round_at = self.at(day, 8, 10)
                legs = []
                for clinic in members[hub.pk]:
                    loads = [
                        {
                            "kind": ContainerKind.BOX,
                            "code": code,
                            "mass": kg(self.rng.uniform(1, 8)),
                        }
                        for _ in range(self.rng.choice((1, 1, 2)))
                    ]
                    legs.append(
                        self.manifest(
                            "medical-small-box",
                            generator=clinic,
                            transporter=centre,
                            receiver=hub,
                            stream=stream,
                            at=round_at,
                            vehicle=self.vehicle(centre, ("medical_van",)),
                            method=store,
                            site=self.site(clinic),
                            loads=loads,
                            description=_("医疗废物小箱"),
                        )
                    )
                    round_at += timedelta(minutes=self.rng.randint(10, 40))
                boxes = [
                    c
                    for m in legs
                    if m is not None and m.state == State.COMPLETED
                    for c in m.carried
                    if c.state == ContainerState.STORED
                ]
                if not boxes:
                    continue
                packed_at = max(m.completed_at for m in legs if m.completed_at) + timedelta(
                    minutes=30
                )
                if packed_at >= self.end:
                    continue
                big = self.pack(boxes, hub, packed_at)
                self.manifest(
                    "medical",
                    generator=hub,
                    transporter=centre,
                    receiver=centre,
                    facility=facility,
                    stream=stream,
                    at=packed_at + timedelta(minutes=10),
                    vehicle=self.vehicle(centre, ("medical_van",)),
                    method=method,
                    site=self.site(hub),
                    carry=[big],
                    description=_("医疗废物大箱（小箱进大箱）"),
                )

    # --- kitchen waste: one manifest per tanker round ------------------------------------------
    def kitchen(self) -> None:
        alba = self.plants["alba"]
        local = self.plants.get("ylkitchen")
        tankers = [v for v in self.vehicles.get(alba.pk, ()) if v.kind == "kitchen_tanker"]
        units = [p for s in ("restaurant", "canteen") for p, _a in self.sector[s]]
        if not tankers or not units:
            return
        units.sort(key=lambda p: (self._county(p), p.pk))
        routes = [units[i :: len(tankers)] for i in range(len(tankers))]
        trips = max(1, round(len(tankers) * KITCHEN_TRIPS_PER_TANKER))
        stream = self.streams["kitchen"]
        cursor = [0] * len(routes)
        for offset in range(DAYS):
            day = self.start.date() + timedelta(days=offset)
            for r in self.rng.sample(range(len(routes)), min(trips, len(routes))):
                route = routes[r]
                if not route:
                    continue
                count = min(len(route), self.rng.randint(*KITCHEN_BINS))
                stops = [route[(cursor[r] + i) % len(route)] for i in range(count)]
                cursor[r] = (cursor[r] + count) % len(route)
                receiver = local if local and self._county(stops[0]) == "411024" else alba
                facility = self.facility(receiver, "kitchen_waste")
                self.manifest(
                    "kitchen",
                    generator=stops[0],
                    transporter=alba,
                    receiver=receiver,
                    facility=facility,
                    stream=stream,
                    at=self.at(day, 13, 21),
                    vehicle=tankers[r],
                    method=self.method_at(facility, ("kitchen",), FLOWS["kitchen"]),
                    site=self.site(stops[0]),
                    loads=[
                        {
                            "kind": ContainerKind.BIN,
                            "mass": kg(self.rng.uniform(20, 120)),
                            "origin": unit,
                            "description": _("餐厨废弃物收集桶"),
                        }
                        for unit in stops
                    ],
                    description=_("餐厨废弃物（收运趟次）"),
                )

    # --- sludge of the wastewater plants -------------------------------------------------------
    def sludge(self) -> None:
        carriers = [p for p, _a in self.sector["sludge_transport"]]
        receivers = [
            self.plants[k]
            for k in ("cement_kiln", "sludge_centre", "ash_bricks_2")
            if k in self.plants
        ]
        flow = FLOWS["sludge"]
        stream = self.streams["sludge"]
        for operator, _attrs in self.sector["wastewater"]:
            for site in self.sites[operator.pk]:
                if site.kind != "wwtp" or not carriers:
                    continue
                carrier = self.rng.choice(carriers)
                receiver = self.rng.choice(receivers)
                facility = self.facility(receiver, *flow.receiver_facilities)
                method = self.method_at(facility, ("sludge",), flow)
                per_week = self.rng.randint(*SLUDGE_PER_WEEK)
                gap = max(1, 7 // per_week)
                for day in self.days((gap, gap + 1)):
                    vehicle = self.vehicle(carrier, ("sludge_truck",))
                    if vehicle is None:
                        break
                    self.manifest(
                        "sludge",
                        generator=operator,
                        transporter=carrier,
                        receiver=receiver,
                        facility=facility,
                        stream=stream,
                        at=self.at(day, 7, 15),
                        vehicle=vehicle,
                        method=method,
                        site=site,
                        loads=[self.truckload(vehicle, _("脱水污泥（含水率约80%）"))],
                        description=_("脱水污泥"),
                    )

    def truckload(self, vehicle: Vehicle, description: str, stream=None) -> dict:
        load = {
            "kind": ContainerKind.TRUCKLOAD,
            "mass": kg(float(vehicle.load_kg) * self.rng.uniform(0.7, 0.97)),
            "description": description,
        }
        if stream is not None:
            load["stream"] = stream
        return load

    # --- construction sites in their active months ---------------------------------------------
    def construction(self) -> None:
        carriers = [p for p, _a in self.sector["construction_transport"]]
        plants = [(k, p) for k, p in self.plants.items()]
        flow = FLOWS["construction"]
        sites = [p for p, _a in self.sector["construction"]]
        on_platform = self.onboard(sites, "construction")
        for site_party in sites:
            if not carriers or site_party.pk not in on_platform:
                continue
            county = self._county(site_party)
            sub = self.streams[self.pick(CONSTRUCTION_STREAMS)]
            want = "fill_" if sub.code == "construction-spoil" else "cwr_"
            local = [p for k, p in plants if k.startswith(want) and self._county(p) == county]
            receiver = (local or [self.plants["jinke"]])[0]
            facility = self.facility(receiver, *flow.receiver_facilities)
            method = self.method_at(facility, ("construction",), flow)
            carrier = self.rng.choice(carriers)
            months = self.rng.randint(3, 8)
            first = self.start.date() + timedelta(days=self.rng.randrange(DAYS - 30))
            last = min(first + timedelta(days=30 * months), self.end.date() - timedelta(days=1))
            day = first
            while day <= last:
                vehicle = self.vehicle(carrier, ("dump_truck",))
                if vehicle is None:
                    break
                self.manifest(
                    "construction",
                    generator=site_party,
                    transporter=carrier,
                    receiver=receiver,
                    facility=facility,
                    stream=sub,
                    at=self.at(day, 6, 22),
                    vehicle=vehicle,
                    method=method,
                    site=self.site(site_party),
                    loads=[self.truckload(vehicle, str(sub.name), stream=sub)],
                    description=str(sub.name),
                )
                day += timedelta(days=self.rng.randint(*CONSTRUCTION_EVERY))

    def pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # --- household waste: transfer stations → incineration, fly ash onward ---------------------
    def household(self) -> None:
        plant = self.plants["wangneng"]
        facility = self.facility(plant, "incineration")
        flow = FLOWS["household"]
        method = self.method_at(facility, ("household",), flow)
        stream = self.streams["household-other"]
        stations = [
            (f, party)
            for party, _a in self.sector["sanitation"]
            for f in self.facilities[party.pk]
            if f.kind == "transfer"
        ]
        stations.sort(key=lambda s: (-self.per_day.get(s[0].pk, 0), s[0].pk))
        self.stations = stations
        stations = stations[: max(1, round(len(stations) * STATION_SHARE))]
        for station, party in stations:
            trips = 2 if self.per_day.get(station.pk, 0) >= 150 else 1
            for offset in range(DAYS):
                day = self.start.date() + timedelta(days=offset)
                for _trip in range(trips):
                    unfit = self.rng.random() < UNFIT_SHARE
                    kinds = ("tricycle",) if unfit else ("hooklift", "compactor")
                    vehicle = self.vehicle(party, kinds)
                    if vehicle is None:
                        continue
                    self.manifest(
                        "household",
                        generator=party,
                        transporter=party,
                        receiver=plant,
                        facility=facility,
                        stream=stream,
                        at=self.at(day, 5, 20),
                        vehicle=vehicle,
                        method=method,
                        site=station.site,
                        loads=[self.truckload(vehicle, _("压缩其他垃圾"))],
                        description=_("其他垃圾（转运站压缩后）"),
                    )
        self.incineration(plant, facility)

    def incineration(self, plant: Party, facility: Facility) -> None:
        """Each batch of burnt truckloads → a fly ash lot (HW18, about one truck) and a slag
        lot; the fly ash goes on a hazardous manifest to the disposal centre's landfill."""
        burnt = sorted(
            (c for m in self.rows.manifests if m.receiver_id == plant.pk for c in m.carried),
            key=lambda c: c.settled_at or self.end,
        )
        burnt = [c for c in burnt if c.state == ContainerState.TREATED and c.holder_id == plant.pk]
        hazardous, industrial = self.streams["hazardous"], self.streams["industrial"]
        fly_code = self.waste_codes[FLY_ASH_CODE]
        disposer = self.plants["hw_centre"]
        landfill = self.methods["D1"]
        batch, mass = [], Decimal(0)
        for c in burnt:
            batch.append(c)
            mass += c.mass_kg
            if mass * FLY_ASH_SHARE < 10_000 and c is not burnt[-1]:
                continue
            at = datetime.combine(
                timezone.localdate(c.settled_at, SHANGHAI) + timedelta(days=1), time(3), SHANGHAI
            )
            if at >= self.end:
                break
            fly, _slag = self.transform(
                batch,
                plant,
                [
                    {
                        "kind": ContainerKind.LOT,
                        "stream": hazardous,
                        "mass": (mass * FLY_ASH_SHARE).quantize(GRAM),
                        "code": fly_code,
                        "description": _("焚烧飞灰（螯合稳定化后）"),
                    },
                    {
                        "kind": ContainerKind.LOT,
                        "stream": industrial,
                        "mass": (mass * SLAG_SHARE).quantize(GRAM),
                        "description": _("炉渣（送制砖）"),
                    },
                ],
                at,
                self.methods["G-INC"],
            )
            self.manifest(
                "hazardous",
                generator=plant,
                transporter=self.transporter,
                receiver=disposer,
                facility=self.facility(disposer, "hazardous"),
                stream=hazardous,
                at=at + timedelta(hours=self.rng.uniform(24, 72)),
                vehicle=self.vehicle(self.transporter, ("hazmat",)),
                method=landfill,
                site=facility.site,
                carry=[fly],
                description=HAZARDOUS_NAMES[FLY_ASH_CODE],
            )
            batch, mass = [], Decimal(0)

    # --- lead-acid batteries from repair shops -------------------------------------------------
    def batteries(self) -> None:
        collectors = [p for p, _a in self.sector["battery_collect"]]
        if not collectors:
            return
        code = self.waste_codes["900-052-31"]
        store = self.methods[STORE]
        stream = self.streams["hazardous"]
        shops = [p for p, a in self.sector["auto_repair"] if "900-052-31" in a.get("hw_codes", ())]
        on_platform = self.onboard(shops, "battery")
        for party in shops:
            if party.pk not in on_platform:
                continue
            west = self._county(party) in ("411081", "411082", "411025")
            collector = collectors[-1] if west else collectors[0]
            facility = self.facility(collector, "hw_storage")
            for day in self.days(BATTERY_EVERY):
                m = self.manifest(
                    "battery",
                    generator=party,
                    transporter=collector,
                    receiver=collector,
                    facility=facility,
                    stream=stream,
                    at=self.at(day, 9, 17),
                    vehicle=self.vehicle(collector, ("box_truck",)),
                    method=store,
                    site=self.site(party),
                    loads=self.hw_loads(code, kg(self.rng.uniform(60, 500)), per=300),
                    description=HAZARDOUS_NAMES["900-052-31"],
                )
                self._pool(m)

    # --- agricultural film and pesticide packaging, in season ----------------------------------
    def agricultural(self) -> None:
        collectors = {self._county(p): p for p, _a in self.sector["agri_collect"]}
        plants = [p for k, p in self.plants.items() if k.startswith("film_")]
        if not plants:
            return
        flow = FLOWS["agricultural"]
        year_days = [self.start.date() + timedelta(days=i) for i in range(DAYS)]
        seasons = {
            "agricultural-film": [d for d in year_days if d.month in (3, 4, 5, 10, 11)],
            "agricultural-pesticide-packaging": [d for d in year_days if 6 <= d.month <= 9],
        }
        sizes = {"agricultural-film": (200, 1500), "agricultural-pesticide-packaging": (20, 150)}
        shippers = [(p, self.site(p)) for p, _a in self.sector["nursery"]]
        for collector in collectors.values():
            shippers += [
                (collector, s) for s in self.sites[collector.pk] if s.kind == "collection_point"
            ][:4]
        for party, site in shippers:
            county = self._county(party)
            carrier = collectors.get(county) or next(iter(collectors.values()), None)
            if carrier is None:
                continue
            receiver = next((p for p in plants if self._county(p) == county), plants[0])
            facility = self.facility(receiver, "film_recycling")
            for code, season in seasons.items():
                stream = self.streams[code]
                for day in sorted(self.rng.sample(season, self.rng.randint(1, 2))):
                    self.manifest(
                        "agricultural",
                        generator=party,
                        transporter=carrier,
                        receiver=receiver,
                        facility=facility,
                        stream=stream,
                        at=self.at(day, 8, 16),
                        vehicle=self.vehicle(carrier, flow.vehicle_kinds),
                        method=self.methods["G-REC"],
                        site=site,
                        loads=[
                            {
                                "kind": ContainerKind.TONNE_BAG,
                                "mass": m,
                                "description": str(stream.name),
                            }
                            for m in _split(kg(self.rng.uniform(*sizes[code])), 2)
                        ],
                        description=str(stream.name),
                    )

    # --- onward from storage: collection points → utilisers ------------------------------------
    def onward(self) -> None:
        """Monthly from the small-enterprise collection points (per code, per truck), weekly
        from the battery stores to the lead recycler."""
        lead = self.plants.get("lead")
        for holder_id, pool in self.pools.items():
            holder = self.parties[holder_id]
            battery = holder.is_transporter and lead is not None
            every = 7 if battery else 30
            pool.sort(key=lambda s: (s.at, s.container.code))
            day, taken = self.start.date() + timedelta(days=every), 0
            while day < self.end.date():
                cutoff = datetime.combine(day, time(0), SHANGHAI)
                first = taken
                while taken < len(pool) and pool[taken].at < cutoff:
                    taken += 1
                ready = [
                    s
                    for s in pool[first:taken]
                    if s.container.holder_id == holder_id
                    and s.container.state == ContainerState.STORED
                ]
                for key in sorted({s.container.waste_code.code for s in ready}):
                    same = [s for s in ready if s.container.waste_code.code == key]
                    self.ship_stored(holder, same, day, lead if battery else None)
                day += timedelta(days=every)

    def ship_stored(self, holder: Party, stored: list[Stored], day: date, lead) -> None:
        code = stored[0].container.waste_code
        if lead is not None:
            flow_key, receivers, transporter, method = "battery", [lead], holder, self.methods["R4"]
        else:
            flow_key, receivers, method = "hazardous", self.hw_receivers(code), None
            transporter = self.rng.choice(self.transporters)
        vehicle = self.vehicle(transporter, ("hazmat", "box_truck"))
        if vehicle is None:
            return
        for group in _chunks(stored, vehicle.load_kg * Decimal("0.95")):
            self.ship_any(
                flow_key,
                receivers,
                method=method,
                generator=holder,
                transporter=transporter,
                stream=self.streams["hazardous"],
                at=self.at(day, 8, 15),
                vehicle=vehicle,
                site=self.site(holder),
                carry=[s.container for s in group],
                description=HAZARDOUS_NAMES.get(code.code, ""),
            )

    # --- work waiting for the demo logins today -------------------------------------------------
    def demo_logins(self) -> None:
        """ent-hazardous: drafts and submitted ones; the driver's transporter: submitted and in
        transit; ent-incineration: trucks on their way to be weighed in."""
        generator = Party.objects.filter(pk=self.anchors.get("hw_generator")).first()
        stream = self.streams["hazardous"]
        if generator is not None:
            hw = self.attrs[generator.pk].get("hw_codes", ())
            for i, state in enumerate(
                (
                    State.DRAFT,
                    State.DRAFT,
                    State.SUBMITTED,
                    State.SUBMITTED,
                    State.IN_TRANSIT,
                    State.IN_TRANSIT,
                )
            ):
                code = self.waste_codes[hw[i % len(hw)]]
                self.ship_any(
                    "hazardous",
                    self.hw_receivers(code),
                    plan=Plan(stop=state, hold=True),
                    generator=generator,
                    transporter=self.transporter,
                    stream=stream,
                    at=self.end - timedelta(hours=30 - 4 * i),
                    vehicle=self.vehicle(self.transporter, ("hazmat",)),
                    site=self.site(generator),
                    loads=self.hw_loads(code, kg(self.rng.uniform(300, 2000))),
                    description=HAZARDOUS_NAMES.get(code.code, ""),
                )
        plant = self.plants["wangneng"]
        facility = self.facility(plant, "incineration")
        for station, party in self.stations[:3]:
            vehicle = self.vehicle(party, ("hooklift", "compactor"))
            self.manifest(
                "household",
                plan=Plan(stop=State.IN_TRANSIT, hold=True),
                generator=party,
                transporter=party,
                receiver=plant,
                facility=facility,
                stream=self.streams["household-other"],
                at=self.end - timedelta(hours=self.rng.uniform(1.5, 3)),
                vehicle=vehicle,
                method=self.methods["G-INC"],
                site=station.site,
                loads=[self.truckload(vehicle, _("压缩其他垃圾"))],
                description=_("其他垃圾（转运站压缩后）"),
            )

    # --- writing ------------------------------------------------------------------------------
    def write(self) -> dict[str, int]:
        rows = self.rows
        if self.hubs:  # township health centres collect their villages' small boxes
            Party.objects.filter(pk__in=self.hubs).update(is_collector=True)
        for model, objs in (
            (Container, [c for c in rows.containers if c.parent is None]),
            (Container, [c for c in rows.containers if c.parent is not None]),
            (Manifest, rows.manifests),
            (ManifestItem, rows.items),
            (LedgerEvent, rows.events),
            (ContainerLink, rows.links),
            (ManifestRevision, rows.revisions),
        ):
            _insert(model, objs)
        with connection.cursor() as cursor:
            models = [
                Container,
                Manifest,
                ManifestItem,
                LedgerEvent,
                ContainerLink,
                ManifestRevision,
            ]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        alerts, seen = [], set()
        for m, spec in rows.alerts:
            if (m.pk, spec["rule"]) in seen:
                continue  # alert_raise is idempotent per rule and subject
            seen.add((m.pk, spec["rule"]))
            alerts.append(
                Alert(
                    subject_type="manifest",
                    subject_id=str(m.pk),
                    subject_label=m.number,
                    region_id=m.region_id,
                    stream_id=m.stream_id,
                    **spec,
                )
            )
        Alert.objects.bulk_create(alerts, batch_size=BATCH)
        AlertAction.objects.bulk_create(
            [AlertAction(alert=a, at=a.opened_at, action="raise", note=a.message) for a in alerts],
            batch_size=BATCH,
        )
        return {
            Manifest._meta.label: len(rows.manifests),
            ManifestItem._meta.label: len(rows.items),
            ManifestRevision._meta.label: len(rows.revisions),
            Container._meta.label: len(rows.containers),
            ContainerLink._meta.label: len(rows.links),
            LedgerEvent._meta.label: len(rows.events),
            Alert._meta.label: len(alerts),
        }


def manifests_generate(
    generation: Generation, rng: random.Random, scale: str, today: date
) -> dict[str, int]:
    """A year of manifests of every flow for the generated city, up to yesterday (local)."""
    generator = CityManifests(generation, rng, scale, today)
    generator.run()
    counts = generator.write()
    # The deadline alerts of the open manifests past their time, as the cron sweep raises them.
    raised = check_deadlines(now=generator.end)
    counts[Alert._meta.label] += sum(n for rule, n in raised.items() if rule != CLEARED)
    return counts
