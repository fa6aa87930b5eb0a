"""The manifest engine: one service per transition, for every flow.

Each transition locks the manifest (only if the actor may see it), checks the actor signs
for the party the step belongs to, checks the state, applies the step's rules, appends the
signed event (actor, party, time, hash of the manifest's content) to the manifest's ledger
chain and saves, all in one transaction. Refusals are typed errors; nothing is half-written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import restrict, role_of
from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import Subject, alert_raise
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.manifests import rules
from wufei.manifests.choices import Signer, State
from wufei.manifests.flows import FLOWS, STORE, Flow
from wufei.manifests.models import Manifest, ManifestItem
from wufei.registry.models import (
    Facility,
    Party,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCode,
    WasteStream,
)
from wufei.trace import ledger
from wufei.trace.choices import LIVE_STATES, ContainerState, EventKind
from wufei.trace.models import Container
from wufei.trace.services import (
    NewContainer,
    _create,
    check_mass,
    check_waste,
    container_build,
    lock_held,
)

NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# A container on a manifest in one of these states cannot be put on another one.
LIVE_MANIFEST_STATES = (State.DRAFT, State.SUBMITTED, State.PICKED_UP, State.IN_TRANSIT)


RECEIPT_FIELDS = ("state", "received_kg", "accepted_kg", "received_at", "rejection_reason")


class TransitionRefused(WufeiError):
    code = "invalid_transition"
    status = 409


class IdempotencyConflict(WufeiError):
    code = "idempotency_key_reused"
    status = 409


# --- content and signatures ---------------------------------------------------------------


def content(m: Manifest) -> dict:
    """What every signature covers: the manifest's parties, waste, weights and method."""
    return {
        "number": m.number,
        "version": m.version,
        "flow": m.flow,
        "stream": m.stream_id,
        "waste_code": m.waste_code_id,
        "description": m.description,
        "generator": m.generator_id,
        "generator_site": m.generator_site_id,
        "transporter": m.transporter_id,
        "receiver": m.receiver_id,
        "receiver_facility": m.receiver_facility_id,
        "vehicle": m.vehicle_id,
        "driver": m.driver_id,
        "declared_kg": m.declared_kg,
        "pickup_kg": m.pickup_kg,
        "received_kg": m.received_kg,
        "accepted_kg": m.accepted_kg,
        "method": m.method_id,
        "items": m.items_hash,
    }


def signed_payload(m: Manifest, payload: dict | None = None) -> dict:
    """What a step's ledger event says: the state and version reached, the hash of the
    content every party now signs, and the step's own details."""
    return {
        "state": m.state,
        "version": m.version,
        "content": ledger.content_hash(content(m)),
        **(payload or {}),
    }


def sign(
    m: Manifest,
    kind: str,
    *,
    actor,
    party_id: int | None,
    at: datetime,
    payload: dict | None = None,
    fields: Sequence[str] | None = None,
) -> None:
    """Append the signed event and save the manifest: one insert, and one update of the
    ``fields`` the step changed (all fields when not given) with the chain's new head."""
    ledger.append(
        m, kind, actor=actor, party_id=party_id, at=at, payload=signed_payload(m, payload)
    )
    m.save(update_fields=[*fields, "ledger_seq", "ledger_head"] if fields is not None else None)


def signing_code(m: Manifest) -> str:
    """The six-digit code the generator's clerk shows the driver at pick-up (one-time: it
    changes with every submission and is useless once the manifest is picked up)."""
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"{m.pk}:{m.signing_nonce}".encode(), hashlib.sha256
    )
    return f"{int.from_bytes(mac.digest()[:4], 'big') % 1_000_000:06d}"


def manifest_subject(m: Manifest) -> Subject:
    return Subject("manifest", str(m.pk), m.number)


def raise_alert(
    m: Manifest,
    rule: str,
    message: str,
    *,
    at: datetime,
    party_id=None,
    severity=Severity.WARNING,
    **details,
):
    alert_raise(
        rule=rule,
        subject=manifest_subject(m),
        message=message,
        party_id=party_id or m.generator_id,
        region_id=m.region_id,
        stream_id=m.stream_id,
        severity=severity,
        details={"number": m.number, **{k: str(v) for k, v in details.items()}},
        at=at,
    )


# --- who signs what -----------------------------------------------------------------------

STEP_SIGNER: dict[str, str] = {
    EventKind.UPDATE: Signer.GENERATOR,
    EventKind.SUBMIT: Signer.GENERATOR,
    EventKind.CANCEL: Signer.GENERATOR,
    EventKind.PICK_UP: Signer.TRANSPORTER,
    EventKind.DEPART: Signer.TRANSPORTER,
    EventKind.RECEIVE: Signer.RECEIVER,
    EventKind.COMPLETE: Signer.RECEIVER,
}
STEP_FROM: dict[str, tuple[str, ...]] = {
    EventKind.UPDATE: (State.DRAFT,),
    EventKind.SUBMIT: (State.DRAFT,),
    EventKind.CANCEL: (State.DRAFT, State.SUBMITTED),
    EventKind.PICK_UP: (State.SUBMITTED,),
    EventKind.DEPART: (State.PICKED_UP,),
    EventKind.RECEIVE: (State.IN_TRANSIT,),
    EventKind.COMPLETE: (State.RECEIVED,),
}
DRIVER_STEPS = (EventKind.PICK_UP, EventKind.DEPART)


def _signer_party_id(m: Manifest, signer: str) -> int:
    return getattr(m, f"{signer}_id")


def lock_visible(actor, pk: int) -> Manifest:
    """The manifest row locked for update, if the actor may see it (else NotFound)."""
    visible = restrict(Manifest.objects.select_for_update(), actor, Action.VIEW).order_by()
    try:
        return visible.get(pk=pk)
    except Manifest.DoesNotExist:
        raise NotFound() from None


def _lock(actor, manifest: Manifest | int, step: str) -> Manifest:
    """The manifest locked for ``step``: visible to the actor, signed for by the actor's
    party, in a state the step may leave."""
    pk = manifest.pk if isinstance(manifest, Manifest) else manifest
    m = lock_visible(actor, pk)
    role = role_of(actor)
    signer = STEP_SIGNER[step]
    allowed_roles = (Role.ENTERPRISE, Role.DRIVER) if step in DRIVER_STEPS else (Role.ENTERPRISE,)
    if role not in allowed_roles or actor.party_id != _signer_party_id(m, signer):
        raise NotPermitted(
            _("此步骤须由%(signer)s签名。") % {"signer": Signer(signer).label}, code="not_signer"
        )
    if m.state not in STEP_FROM[step]:
        raise TransitionRefused(
            _("联单当前状态为“%(state)s”，不能%(step)s。")
            % {"state": m.get_state_display(), "step": EventKind(step).label}
        )
    return m


def _move_containers(
    m: Manifest, *, from_states: Sequence[str], holder_id: int | None = None, **fields
) -> None:
    """Update the carried containers still in ``from_states`` (one statement); boxes packed
    inside them change hands with them but stay packed (their state is their box's)."""
    carried = Container.objects.filter(manifest_items__manifest=m, state__in=from_states)
    ids = carried.values("pk")
    if holder_id is not None:
        fields["holder_id"] = holder_id
        Container.objects.filter(parent__in=ids).update(holder_id=holder_id)
    Container.objects.filter(pk__in=ids).update(**fields)


# --- create, update, submit, cancel --------------------------------------------------------


@dataclass
class ManifestInput:
    flow: str
    stream: WasteStream
    transporter: Party
    receiver: Party
    waste_code: WasteCode | None = None
    description: str = ""
    generator_site: Site | None = None
    receiver_facility: Facility | None = None
    containers: Sequence[NewContainer] = ()
    carry: Sequence[str] = ()  # codes of containers the generator already holds
    note: str = ""
    idempotency_key: str = ""
    extra: dict = field(default_factory=dict)

    def fingerprint(self) -> str:
        return ledger.content_hash(
            {
                "flow": self.flow,
                "stream": self.stream.pk,
                "waste_code": self.waste_code.pk if self.waste_code else None,
                "description": self.description,
                "generator_site": self.generator_site.pk if self.generator_site else None,
                "transporter": self.transporter.pk,
                "receiver": self.receiver.pk,
                "receiver_facility": self.receiver_facility.pk if self.receiver_facility else None,
                "containers": [
                    [
                        c.kind,
                        c.stream.pk,
                        c.waste_code.pk if c.waste_code else None,
                        _mass_text(c.mass_kg),
                        c.description,
                    ]
                    for c in self.containers
                ],
                "carry": sorted(self.carry),
                "note": self.note,
            }
        )


def booked_codes(container_ids: Sequence[int]) -> list[str]:
    """Codes of the containers that sit on a manifest not yet picked up or delivered: they
    may not be packed, transformed or put on another manifest meanwhile."""
    return list(
        ManifestItem.objects.filter(
            container_id__in=container_ids, manifest__state__in=LIVE_MANIFEST_STATES
        ).values_list("container__code", flat=True)
    )


def _mass_text(value) -> str:
    try:
        return str(Decimal(str(value)).normalize())
    except ArithmeticError:
        return str(value)


def _flow_of(key: str) -> Flow:
    if key not in FLOWS:
        raise Invalid(
            [FieldError("flow", "unknown_flow", _("联单类型“%(key)s”不存在。") % {"key": key})]
        )
    return FLOWS[key]


def _check_input(flow: Flow, data: ManifestInput, generator: Party) -> None:
    errors: list[FieldError] = []
    if not rules.stream_allowed(flow, data.stream):
        errors.append(
            FieldError(
                "stream",
                "stream_not_in_flow",
                _("“%(stream)s”不能用%(flow)s联单转移。")
                % {"stream": data.stream, "flow": flow.name},
            )
        )
    if data.generator_site is not None and data.generator_site.party_id != generator.pk:
        errors.append(FieldError("generator_site", "site_not_owned", _("移出地点不属于本单位。")))
    if not data.transporter.is_active or not (
        data.transporter.is_transporter
        or data.transporter.is_collector
        or data.transporter.pk in (generator.pk, data.receiver.pk)
    ):
        errors.append(
            FieldError(
                "transporter",
                "not_transporter",
                _("%(party)s 不是登记的运输或收集单位。") % {"party": data.transporter.name},
            )
        )
    storage_receiver = flow.storage and not flow.receiver_permits
    if not data.receiver.is_active or not (
        data.receiver.is_receiver or data.receiver.is_collector or storage_receiver
    ):
        errors.append(
            FieldError(
                "receiver",
                "not_receiver",
                _("%(party)s 不是登记的利用处置或收集单位。") % {"party": data.receiver.name},
            )
        )
    if data.receiver.pk == generator.pk:
        errors.append(
            FieldError("receiver", "receiver_is_generator", _("接收单位不能是移出单位本身。"))
        )
    facility = data.receiver_facility
    if facility is not None and facility.site.party_id != data.receiver.pk:
        errors.append(
            FieldError("receiver_facility", "facility_not_owned", _("接收设施不属于接收单位。"))
        )
    elif (
        facility is not None
        and flow.receiver_facilities
        and facility.kind not in flow.receiver_facilities
    ):
        errors.append(
            FieldError(
                "receiver_facility",
                "facility_kind",
                _("“%(kind)s”不能接收此类废物。") % {"kind": facility.get_kind_display()},
            )
        )
    if not data.containers and not data.carry:
        errors.append(
            FieldError("containers", "required", _("请至少填写一件容器或批次（含重量）。"))
        )
    for i, spec in enumerate(data.containers):
        prefix = f"containers.{i}"
        code = spec.waste_code or data.waste_code
        if flow.code_required and code is None:
            errors.append(
                FieldError(
                    f"{prefix}.waste_code", "waste_code_required", _("危险废物须填写废物代码。")
                )
            )
        try:
            check_waste(data.stream, code, field=f"{prefix}.waste_code")
            check_mass(spec.mass_kg, field=f"{prefix}.mass_kg")
        except Invalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise Invalid(errors)


def _new_number(flow: Flow, at: datetime) -> str:
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"{flow.prefix}{timezone.localtime(at):%Y%m%d}{tail}"


def _insert_manifest(m: Manifest, flow: Flow) -> None:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                m.save(force_insert=True)
            return
        except IntegrityError:
            if Manifest.objects.filter(number=m.number).exists():
                m.number, m.pk = _new_number(flow, m.created_at), None
                continue
            raise
    raise RuntimeError("could not allocate a manifest number")


def _attach_containers(
    m: Manifest, data: ManifestInput, *, actor, flow: Flow, at: datetime
) -> None:
    region = data.generator_site.region if data.generator_site else m.generator.region
    containers: list[Container] = []
    for spec in data.containers:
        spec = NewContainer(
            kind=spec.kind,
            stream=spec.stream if spec.stream else data.stream,
            mass_kg=spec.mass_kg,
            waste_code=spec.waste_code or data.waste_code,
            description=spec.description or data.description,
        )
        container = container_build(spec=spec, party=m.generator, region=region, at=at)
        _create(container, actor=actor, payload={"manifest": m.number})
        containers.append(container)
    if data.carry:
        carried = lock_held(actor=actor, code_list=data.carry, field="carry")
        for c in carried:
            if not rules.stream_allowed(flow, c.stream):
                raise Invalid(
                    [
                        FieldError(
                            "carry",
                            "stream_not_in_flow",
                            _("容器 %(code)s 的废物不能用此类联单转移。") % {"code": c.code},
                        )
                    ]
                )
        containers.extend(carried)
    ManifestItem.objects.bulk_create(
        [ManifestItem(manifest=m, container=c, mass_kg=c.mass_kg) for c in containers]
    )
    m.declared_kg = sum((c.mass_kg for c in containers), Decimal(0))
    m.items_hash = ledger.content_hash(sorted([c.code, str(c.mass_kg)] for c in containers))
    codes = {c.waste_code_id for c in containers}
    if m.waste_code_id is None and len(codes) == 1:
        m.waste_code_id = codes.pop()


def manifest_create(*, actor, data: ManifestInput, submit: bool = False) -> tuple[Manifest, bool]:
    """Create a manifest (a draft, or submitted at once); returns it and whether it is new.

    With an idempotency key, a retry of the same request returns the first result and
    writes nothing; the same key with a different request is refused.
    """
    if role_of(actor) != Role.ENTERPRISE or actor.party_id is None:
        raise NotPermitted(_("只有产生单位的企业用户可以填报联单。"), code="not_signer")
    flow = _flow_of(data.flow)
    fingerprint = data.fingerprint()
    key = (data.idempotency_key or "").strip()[:64]
    if key:
        previous = Manifest.objects.filter(generator_id=actor.party_id, idempotency_key=key).first()
        if previous is not None:
            return _replay(previous, fingerprint), False
    try:
        with transaction.atomic():
            generator = Party.objects.select_for_update().get(pk=actor.party_id)
            _check_input(flow, data, generator)
            now = timezone.now()
            site = data.generator_site
            m = Manifest(
                number=_new_number(flow, now),
                flow=flow.key,
                stream=data.stream,
                waste_code=data.waste_code,
                description=data.description[:200],
                generator=generator,
                generator_site=site,
                region=site.region if site else generator.region,
                transporter=data.transporter,
                receiver=data.receiver,
                receiver_facility=data.receiver_facility,
                receiver_region=(
                    data.receiver_facility.site.region
                    if data.receiver_facility
                    else data.receiver.region
                ),
                note=data.note[:200],
                created_by=actor,
                created_at=now,
                idempotency_key=key,
                request_hash=fingerprint,
            )
            _insert_manifest(m, flow)
            _attach_containers(m, data, actor=actor, flow=flow, at=now)
            sign(m, EventKind.CREATE, actor=actor, party_id=generator.pk, at=now)
            if submit:
                _submit(m, flow, actor=actor, at=now)
    except IntegrityError:
        if key:  # the same request arrived twice at once: the other one won
            previous = Manifest.objects.filter(
                generator_id=actor.party_id, idempotency_key=key
            ).first()
            if previous is not None:
                return _replay(previous, fingerprint), False
        raise
    return m, True


def _replay(previous: Manifest, fingerprint: str) -> Manifest:
    if previous.request_hash != fingerprint:
        raise IdempotencyConflict(
            _("幂等键已用于另一份内容不同的联单（%(number)s），未作任何修改。")
            % {"number": previous.number},
            field="idempotency_key",
        )
    return previous


def _submit(m: Manifest, flow: Flow, *, actor, at: datetime) -> None:
    codes = list(
        WasteCode.objects.filter(
            pk__in=Container.objects.filter(manifest_items__manifest=m).values("waste_code")
        ).select_related("category")
    )
    day = timezone.localdate(at)
    if flow.transporter_permits and m.transporter_id != m.generator_id:
        m.transporter_permit = rules.find_permit(
            party=m.transporter,
            kinds=flow.transporter_permits,
            stream=m.stream,
            codes=codes,
            covers_code=False,
            day=day,
            field="transporter",
        )
    if flow.receiver_permits:
        permit = rules.find_permit(
            party=m.receiver,
            kinds=flow.receiver_permits,
            stream=m.stream,
            codes=codes,
            covers_code=flow.receiver_covers_code,
            day=day,
            field="receiver",
        )
        if flow.annual_quantity:
            rules.check_annual_quantity(permit, m.declared_kg or Decimal(0), day.year)
        m.receiver_permit = permit
    m.state = State.SUBMITTED
    m.submitted_at = at
    m.signing_nonce = secrets.token_hex(8)
    sign(
        m,
        EventKind.SUBMIT,
        actor=actor,
        party_id=m.generator_id,
        at=at,
        payload={"containers": m.items_hash},
        fields=("state", "submitted_at", "signing_nonce", "transporter_permit", "receiver_permit"),
    )


def manifest_submit(*, actor, manifest: Manifest | int, at: datetime | None = None) -> Manifest:
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.SUBMIT)
        _submit(m, m.flow_def, actor=actor, at=at or timezone.now())
    return m


def manifest_cancel(*, actor, manifest: Manifest | int, reason: str) -> Manifest:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid([FieldError("reason", "required", _("请填写撤销原因。"))])
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.CANCEL)
        now = timezone.now()
        m.state, m.cancelled_at = State.CANCELLED, now
        sign(
            m,
            EventKind.CANCEL,
            actor=actor,
            party_id=m.generator_id,
            at=now,
            payload={"reason": reason[:200]},
            fields=("state", "cancelled_at"),
        )
    return m


# --- pick-up and transit -------------------------------------------------------------------


def manifest_pick_up(
    *,
    actor,
    manifest: Manifest | int,
    signing_code_entered: str,
    pickup_kg,
    vehicle: Vehicle,
    at: datetime | None = None,
) -> Manifest:
    """The driver takes the waste: the generator's one-time code, the weight, the vehicle."""
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.PICK_UP)
        flow = m.flow_def
        if not hmac.compare_digest(str(signing_code_entered or "").strip(), signing_code(m)):
            raise Invalid(
                [
                    FieldError(
                        "signing_code",
                        "bad_signing_code",
                        _("交接码不正确，请向移出单位经办人核对。"),
                    )
                ]
            )
        if vehicle.party_id != m.transporter_id or not vehicle.is_active:
            raise Invalid(
                [
                    FieldError(
                        "vehicle",
                        "vehicle_not_owned",
                        _("车辆 %(plate)s 不是运输单位的在用车辆。") % {"plate": vehicle.plate},
                    )
                ]
            )
        weight = check_mass(pickup_kg, field="pickup_kg")
        if vehicle.load_kg and weight > vehicle.load_kg * 2:
            raise Invalid(
                [
                    FieldError(
                        "pickup_kg",
                        "weight_absurd",
                        _("起运量 %(kg)s 千克超过车辆核定载质量的两倍，请核对。") % {"kg": weight},
                    )
                ]
            )
        now = at or timezone.now()
        m.state, m.pickup_kg, m.vehicle, m.picked_up_at = State.PICKED_UP, weight, vehicle, now
        m.driver = actor if role_of(actor) == Role.DRIVER else None
        sign(
            m,
            EventKind.PICK_UP,
            actor=actor,
            party_id=m.transporter_id,
            at=now,
            payload={"plate": vehicle.plate, "pickup_kg": weight},
            fields=("state", "pickup_kg", "vehicle", "picked_up_at", "driver"),
        )
        _move_containers(
            m, from_states=LIVE_STATES, holder_id=m.transporter_id, state=ContainerState.IN_TRANSIT
        )
        problems = rules.vehicle_findings(flow, vehicle)
        if problems:
            raise_alert(
                m,
                Rule.VEHICLE_UNFIT,
                "；".join(problems),
                at=now,
                party_id=m.transporter_id,
                plate=vehicle.plate,
            )
        if flow.storage_hours:
            _check_storage(m, flow, now)
    return m


def _check_storage(m: Manifest, flow: Flow, now: datetime) -> None:
    oldest = (
        Container.objects.filter(manifest_items__manifest=m)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is not None and (now - oldest).total_seconds() > (flow.storage_hours or 0) * 3600:
        hours = int((now - oldest).total_seconds() // 3600)
        raise_alert(
            m,
            Rule.STORAGE_OVERDUE,
            _("暂存 %(hours)s 小时，超过 %(limit)s 小时的规定")
            % {"hours": hours, "limit": flow.storage_hours},
            at=now,
            severity=Severity.CRITICAL,
            hours=hours,
        )


def manifest_depart(*, actor, manifest: Manifest | int, at: datetime | None = None) -> Manifest:
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.DEPART)
        now = at or timezone.now()
        m.state, m.departed_at = State.IN_TRANSIT, now
        sign(
            m,
            EventKind.DEPART,
            actor=actor,
            party_id=m.transporter_id,
            at=now,
            fields=("state", "departed_at"),
        )
    return m


def manifest_weigh(
    *,
    manifest: Manifest | int,
    direction: str,
    net_kg: Decimal,
    ticket: str,
    party_id: int | None,
    weighed_at: datetime,
    at: datetime | None = None,
) -> Manifest:
    """A weighbridge's net weight of the load: ``out`` leaving the generator, ``in`` arriving at
    the receiver. A device signs nothing, so this is an unsigned ledger event beside the
    parties' signatures; the receipt form offers the ``in`` weight as its default."""
    field = {"out": "bridge_out_kg", "in": "bridge_in_kg"}[direction]
    with transaction.atomic():
        pk = manifest.pk if isinstance(manifest, Manifest) else manifest
        m = Manifest.objects.select_for_update().get(pk=pk)
        setattr(m, field, Decimal(net_kg).quantize(Decimal("0.001")))
        ledger.append(
            m,
            EventKind.WEIGH,
            actor=None,
            party_id=party_id,
            at=at or timezone.now(),  # recorded now; the ticket's own time is in the payload
            payload={
                "direction": direction,
                "net_kg": getattr(m, field),
                "ticket": ticket,
                "weighed_at": weighed_at.isoformat(),
            },
        )
        m.save(update_fields=[field, "ledger_seq", "ledger_head"])
    return m


# --- receipt and completion ----------------------------------------------------------------


def manifest_receive(
    *,
    actor,
    manifest: Manifest | int,
    received_kg,
    accepted_kg=None,
    reason: str = "",
    at: datetime | None = None,
) -> Manifest:
    """The receiver weighs the load and accepts it in full, in part, or rejects it."""
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.RECEIVE)
        flow = m.flow_def
        weighed = check_mass(received_kg, field="received_kg")
        if accepted_kg is None or accepted_kg == "":
            accepted = weighed
        else:
            try:
                accepted = Decimal(str(accepted_kg)).quantize(Decimal("0.001"))
            except Exception:
                raise Invalid(
                    [FieldError("accepted_kg", "invalid_mass", _("接收量须为数字（千克）。"))]
                ) from None
        if accepted < 0 or accepted > weighed:
            raise Invalid(
                [
                    FieldError(
                        "accepted_kg", "accepted_out_of_range", _("接收量须在 0 与过磅量之间。")
                    )
                ]
            )
        reason = (reason or "").strip()[:200]
        if accepted < weighed and not reason:
            raise Invalid([FieldError("reason", "required", _("部分接收或拒收须填写原因。"))])
        now = at or timezone.now()
        m.received_kg, m.accepted_kg, m.received_at, m.rejection_reason = (
            weighed,
            accepted,
            now,
            reason,
        )
        payload = {"received_kg": weighed, "accepted_kg": accepted, "reason": reason}
        rejected = accepted == 0
        m.state = State.REJECTED if rejected else State.RECEIVED
        sign(
            m,
            EventKind.REJECT if rejected else EventKind.RECEIVE,
            actor=actor,
            party_id=m.receiver_id,
            at=now,
            payload=payload,
            fields=RECEIPT_FIELDS,
        )
        _move_containers(  # a rejected load goes back to its generator
            m,
            from_states=(ContainerState.IN_TRANSIT,),
            holder_id=m.generator_id if rejected else m.receiver_id,
            state=ContainerState.AT_SOURCE if rejected else ContainerState.STORED,
        )
        if rejected:
            reject = _("接收单位拒收：%(reason)s") % {"reason": reason}
            raise_alert(m, Rule.REJECTED, reject, at=now, severity=Severity.INFO)
        else:
            raise_findings(m, receipt_findings(m, flow, now), now)
    return m


@dataclass(frozen=True)
class Finding:
    """A soft rule's finding about a manifest: what an alert will say, to whom."""

    rule: str
    message: str
    severity: str = Severity.WARNING
    party_id: int | None = None  # the party that must act (default: the generator)
    details: dict = field(default_factory=dict)


def receipt_findings(
    m: Manifest, flow: Flow, now: datetime, *, check_annual: bool = True
) -> list[Finding]:
    """What a receipt reveals: a weight gap beyond tolerance, a permit no longer in force,
    the receiver's annual quantity passed (one query; skipped with ``check_annual=False``)."""
    found = []
    gap = rules.weight_gap(flow, m.pickup_kg or Decimal(0), m.received_kg or Decimal(0))
    if gap is not None:
        found.append(
            Finding(
                Rule.WEIGHT_GAP,
                _("起运 %(a)s 千克，接收过磅 %(b)s 千克，磅差 %(gap)s%%，超过 %(tol)s%%")
                % {
                    "a": m.pickup_kg,
                    "b": m.received_kg,
                    "gap": f"{gap * 100:.1f}",
                    "tol": f"{flow.tolerance * 100:.0f}",
                },
                Severity.CRITICAL if gap > flow.tolerance * 3 else Severity.WARNING,
                details={"gap": f"{gap:.4f}"},
            )
        )
    permit = m.receiver_permit
    if permit is not None and not rules.permit_valid_on(permit, timezone.localdate(now)):
        found.append(
            Finding(
                Rule.PERMIT_INVALID,
                _("接收时许可证 %(number)s 状态为“%(status)s”")
                % {"number": permit.number, "status": permit.get_effective_status_display()},
                Severity.CRITICAL,
                m.receiver_id,
            )
        )
    limit = permit.annual_tonnes if permit is not None and flow.annual_quantity else None
    if check_annual and permit is not None and limit is not None:
        used = rules.annual_used_kg(permit, timezone.localdate(now).year)
        if used > limit * 1000:
            found.append(
                Finding(
                    Rule.ANNUAL_QUANTITY,
                    _("许可证 %(number)s 本年度累计 %(used)s 千克，超过年许可量 %(limit)s 吨")
                    % {"number": permit.number, "used": used, "limit": limit},
                    Severity.CRITICAL,
                    m.receiver_id,
                )
            )
    return found


def raise_findings(m: Manifest, findings: Sequence[Finding], at: datetime) -> None:
    for f in findings:
        raise_alert(
            m, f.rule, f.message, at=at, party_id=f.party_id, severity=f.severity, **f.details
        )


def check_method(flow: Flow, method: TreatmentMethod) -> TreatmentMethod:
    if not flow.allows_method(method.code, method.family):
        raise Invalid(
            [
                FieldError(
                    "method",
                    "method_not_in_flow",
                    _("“%(method)s”不是此类联单允许的利用处置方式。") % {"method": method.name},
                )
            ]
        )
    return method


def manifest_complete(
    *, actor, manifest: Manifest | int, method: TreatmentMethod, at: datetime | None = None
) -> Manifest:
    """The receiver records how the waste was utilised or disposed (or kept in storage for
    an onward manifest, where the flow allows it): the end of this manifest."""
    with transaction.atomic():
        m = _lock(actor, manifest, EventKind.COMPLETE)
        check_method(m.flow_def, method)
        now = at or timezone.now()
        m.state, m.method, m.completed_at = State.COMPLETED, method, now
        sign(
            m,
            EventKind.COMPLETE,
            actor=actor,
            party_id=m.receiver_id,
            at=now,
            payload={"method": method.code},
            fields=("state", "method", "completed_at"),
        )
        if method.code != STORE:
            _move_containers(
                m,
                from_states=(ContainerState.STORED,),
                state=ContainerState.TREATED,
                method=method,
                facility_id=m.receiver_facility_id,
                settled_at=now,
            )
    return m
