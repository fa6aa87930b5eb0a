"""Container operations: register, pack, unpack and transform, each signed on the ledger.

Every operation is one transaction: the containers are locked, the holder's right checked,
mass balanced, the ledger appended. Mass is kept in kilograms with gram precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import restrict, role_of
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.registry.models import Facility, TreatmentMethod, WasteCode, WasteStream
from wufei.trace import codes, ledger
from wufei.trace.choices import LIVE_STATES, ContainerKind, ContainerState, EventKind, LinkKind
from wufei.trace.models import Container, ContainerLink, LedgerEvent

GRAM = Decimal("0.001")
MAX_CONTAINER_KG = Decimal("200000")  # heavier than any road vehicle's load: a typing error
TRANSFORM_TOLERANCE = Decimal("0.005")  # inputs = outputs + stated losses, within 0.5 %
SIGNING_ROLES = (Role.ENTERPRISE, Role.DRIVER)


# Checks the apps above register: given container ids, the codes booked on a live document
# (a manifest being filled or on its way); such containers cannot be operated on.
_BOOKING_CHECKS: list[Callable[[Sequence[int]], list[str]]] = []


def register_booking_check(fn: Callable[[Sequence[int]], list[str]]) -> None:
    if fn not in _BOOKING_CHECKS:
        _BOOKING_CHECKS.append(fn)


@dataclass(frozen=True)
class NewContainer:
    kind: str
    stream: WasteStream
    mass_kg: Decimal
    waste_code: WasteCode | None = None
    description: str = ""


def check_mass(value, field: str = "mass_kg") -> Decimal:
    """A mass in kilograms: positive, at most 200 t, rounded to the gram."""
    try:
        mass = Decimal(str(value)).quantize(GRAM)
    except Exception:
        raise Invalid([FieldError(field, "invalid_mass", _("质量须为数字（千克）。"))]) from None
    if mass <= 0:
        raise Invalid([FieldError(field, "mass_not_positive", _("质量须大于 0 千克。"))])
    if mass > MAX_CONTAINER_KG:
        raise Invalid(
            [
                FieldError(
                    field,
                    "mass_absurd",
                    _("质量 %(kg)s 千克超过任何车辆的载重，请核对单位（千克）。") % {"kg": mass},
                )
            ]
        )
    return mass


def acting_party_id(actor) -> int:
    """The party an enterprise user or driver signs for; officials and the public sign nothing."""
    if role_of(actor) not in SIGNING_ROLES or getattr(actor, "party_id", None) is None:
        raise NotPermitted(_("只有企业用户和驾驶员可以代表本单位签名。"), code="not_signer")
    return actor.party_id


def check_waste(
    stream: WasteStream, waste_code: WasteCode | None, *, field: str = "waste_code"
) -> None:
    if waste_code is not None and waste_code.category.stream_id not in WasteStream.descendant_ids(
        [stream.pk]
    ):
        raise Invalid(
            [
                FieldError(
                    field,
                    "code_outside_stream",
                    _("废物代码 %(code)s 不属于“%(stream)s”。")
                    % {"code": waste_code.code, "stream": stream},
                )
            ]
        )


def _unique_code() -> str:
    return codes.new_code()


def container_build(
    *, spec: NewContainer, party, region, at, state=ContainerState.AT_SOURCE
) -> Container:
    """A new container held by ``party`` (unsaved); callers save it and append its CREATE."""
    if spec.kind not in ContainerKind.values:
        raise Invalid([FieldError("kind", "invalid_kind", _("容器类型无效。"))])
    check_waste(spec.stream, spec.waste_code)
    return Container(
        code=_unique_code(),
        kind=spec.kind,
        stream=spec.stream,
        waste_code=spec.waste_code,
        description=spec.description[:200],
        mass_kg=check_mass(spec.mass_kg),
        origin=party,
        holder=party,
        region=region,
        state=state,
        created_at=at,
    )


def _create(container: Container, *, actor, payload: dict) -> LedgerEvent:
    for _attempt in range(3):  # a random code may, very rarely, already exist
        try:
            with transaction.atomic():
                container.save(force_insert=True)
                break
        except IntegrityError:
            if Container.objects.filter(code=container.code).exists():
                container.code = _unique_code()
                container.pk = None
                continue
            raise
    event = ledger.append(
        container,
        EventKind.CREATE,
        actor=actor,
        party_id=container.holder_id,
        at=container.created_at,
        payload={
            "kind": container.kind,
            "stream": container.stream.code,
            "waste_code": container.waste_code.code if container.waste_code else None,
            "mass_kg": container.mass_kg,
            "holder": container.holder_id,
            **payload,
        },
    )
    Container.objects.filter(pk=container.pk).update(
        ledger_seq=container.ledger_seq, ledger_head=container.ledger_head
    )
    return event


def container_register(*, actor, spec: NewContainer, site=None) -> Container:
    """Register a drum, bag or box at the actor's own party (its label can then be printed)."""
    party_id = acting_party_id(actor)
    with transaction.atomic():
        party = actor.party
        region = site.region if site is not None and site.party_id == party_id else party.region
        container = container_build(spec=spec, party=party, region=region, at=timezone.now())
        _create(container, actor=actor, payload={})
    return container


def lock_held(
    *,
    actor,
    code_list: Sequence[str],
    field: str = "codes",
    states: Sequence[str] = LIVE_STATES,
) -> list[Container]:
    """The containers named, locked in a stable order, each held by the actor's party and
    in one of ``states`` (by default: still at its source or stored, i.e. movable)."""
    party_id = acting_party_id(actor)
    wanted = [codes.normalise(c) for c in code_list]
    if not wanted:
        raise Invalid([FieldError(field, "required", _("请至少指定一个容器。"))])
    if len(set(wanted)) != len(wanted):
        raise Invalid([FieldError(field, "duplicate_code", _("同一容器不能重复列出。"))])
    visible = restrict(Container.objects.all(), actor, Action.VIEW)
    found = {c.code: c for c in visible.select_for_update().filter(code__in=wanted).order_by("pk")}
    errors = []
    for code in wanted:
        container = found.get(code)
        if container is None:
            errors.append(
                FieldError(field, "unknown_code", _("追溯码 %(code)s 不存在。") % {"code": code})
            )
        elif container.holder_id != party_id:
            errors.append(
                FieldError(field, "not_holder", _("容器 %(code)s 不在本单位。") % {"code": code})
            )
        elif container.state not in states:
            errors.append(
                FieldError(
                    field,
                    "container_state",
                    _("容器 %(code)s 当前状态为“%(state)s”，不能进行此操作。")
                    % {"code": code, "state": container.get_state_display()},
                )
            )
    ids = [c.pk for c in found.values()]
    for check in _BOOKING_CHECKS:
        errors.extend(
            FieldError(
                field,
                "container_on_manifest",
                _("容器 %(code)s 已在一份未完结的联单上。") % {"code": code},
            )
            for code in check(ids)
        )
    if errors:
        raise Invalid(errors)
    return [found[c] for c in wanted]


def _link(
    source: Container, target: Container, kind: str, mass: Decimal, event: LedgerEvent
) -> ContainerLink:
    return ContainerLink(
        source=source, target=target, kind=kind, mass_kg=mass, at=event.at, event=event
    )


def containers_pack(
    *, actor, children: Sequence[str], kind: str = ContainerKind.BIG_BOX, description: str = ""
) -> Container:
    """Pack held containers into a new one (小箱进大箱, drums onto a pallet); mass adds up."""
    with transaction.atomic():
        items = lock_held(actor=actor, code_list=children, field="children")
        streams = {c.stream_id for c in items}
        if len(streams) != 1:
            raise Invalid(
                [FieldError("children", "mixed_streams", _("不同类别的废物不能装入同一容器。"))]
            )
        waste_codes = {c.waste_code_id for c in items}
        first = items[0]
        now = timezone.now()
        state = first.state if len({c.state for c in items}) == 1 else ContainerState.STORED
        parent = container_build(
            spec=NewContainer(
                kind=kind,
                stream=first.stream,
                mass_kg=sum((c.mass_kg for c in items), Decimal(0)),
                waste_code=first.waste_code if len(waste_codes) == 1 else None,
                description=description,
            ),
            party=first.holder,
            region=first.holder.region,
            at=now,
            state=state,
        )
        _create(parent, actor=actor, payload={"children": [c.code for c in items]})
        links = []
        for child in items:
            event = ledger.append(
                child,
                EventKind.PACK,
                actor=actor,
                party_id=child.holder_id,
                at=now,
                payload={"into": parent.code},
            )
            child.state, child.parent = ContainerState.PACKED, parent
            child.save(update_fields=["state", "parent", "ledger_seq", "ledger_head"])
            links.append(_link(child, parent, LinkKind.PACKED, child.mass_kg, event))
        ContainerLink.objects.bulk_create(links)
    return parent


def containers_unpack(
    *, actor, parent: str, children: Sequence[str] | None = None
) -> list[Container]:
    """Take containers out of a held parent (all of them by default); mass moves back out."""
    with transaction.atomic():
        (box,) = lock_held(actor=actor, code_list=[parent], field="parent")
        inside = {
            c.code: c
            for c in Container.objects.select_for_update().filter(parent=box).order_by("pk")
        }
        wanted = [codes.normalise(c) for c in children] if children else list(inside)
        missing = [c for c in wanted if c not in inside]
        if missing or not wanted:
            raise Invalid(
                [
                    FieldError(
                        "children",
                        "not_inside",
                        _("容器 %(codes)s 不在该上级容器中。")
                        % {"codes": "、".join(missing) or "—"},
                    )
                ]
            )
        now = timezone.now()
        taken = [inside[c] for c in wanted]
        mass = sum((c.mass_kg for c in taken), Decimal(0))
        remaining = (box.mass_kg - mass).quantize(GRAM)
        if remaining < 0:
            raise Invalid(
                [FieldError("children", "mass_imbalance", _("拆出的质量大于上级容器的质量。"))]
            )
        event = ledger.append(
            box,
            EventKind.UNPACK,
            actor=actor,
            party_id=box.holder_id,
            at=now,
            payload={"children": wanted, "mass_kg": mass},
        )
        links = []
        for child in taken:
            ledger.append(
                child,
                EventKind.UNPACK,
                actor=actor,
                party_id=box.holder_id,
                at=now,
                payload={"from": box.code},
            )
            child.state, child.parent, child.holder_id = box.state, None, box.holder_id
            child.save(update_fields=["state", "parent", "holder", "ledger_seq", "ledger_head"])
            links.append(_link(box, child, LinkKind.UNPACKED, child.mass_kg, event))
        if remaining == 0:  # an empty box keeps its last mass for the record
            box.state = ContainerState.EMPTIED
        else:
            box.mass_kg = remaining
        box.save(update_fields=["mass_kg", "state", "ledger_seq", "ledger_head"])
        ContainerLink.objects.bulk_create(links)
    return taken


def containers_transform(
    *,
    actor,
    inputs: Sequence[str],
    outputs: Sequence[NewContainer],
    loss_kg,
    method: TreatmentMethod,
    facility: Facility | None = None,
    loss_note: str = "",
) -> list[Container]:
    """Treat held inputs into output lots (fly ash and slag, recycled aggregate, lead).

    The mass must balance: inputs = outputs + stated losses (moisture, combustion, dust),
    within 0.5 %. Inputs keep the method they were treated by; the outputs are new wastes
    or products held by the treating party, traceable onwards.
    """
    with transaction.atomic():
        items = lock_held(
            actor=actor,
            code_list=inputs,
            field="inputs",
            states=(ContainerState.STORED, ContainerState.TREATED),
        )
        if not outputs:
            raise Invalid([FieldError("outputs", "required", _("请填写至少一种产出物。"))])
        if facility is not None and facility.site.party_id != actor.party_id:
            raise Invalid([FieldError("facility", "not_owned", _("设施不属于本单位。"))])
        loss = Decimal(str(loss_kg or 0)).quantize(GRAM)
        if loss < 0:
            raise Invalid([FieldError("loss_kg", "mass_not_positive", _("损耗不能为负数。"))])
        total_in = sum((c.mass_kg for c in items), Decimal(0))
        now = timezone.now()
        party = items[0].holder
        built = [container_build(spec=o, party=party, region=party.region, at=now) for o in outputs]
        total_out = sum((c.mass_kg for c in built), Decimal(0))
        gap = abs(total_in - total_out - loss)
        if gap > total_in * TRANSFORM_TOLERANCE:
            raise Invalid(
                [
                    FieldError(
                        "outputs",
                        "mass_imbalance",
                        _(
                            "质量不平衡：投入 %(inp)s 千克，产出 %(out)s 千克，损耗 %(loss)s "
                            "千克，差额超过 0.5%%。"
                        )
                        % {"inp": total_in, "out": total_out, "loss": loss},
                    )
                ]
            )
        links = []
        input_codes = [c.code for c in items]
        for out in built:
            _create(out, actor=actor, payload={"from": input_codes, "method": method.code})
        for item in items:
            event = ledger.append(
                item,
                EventKind.TRANSFORM,
                actor=actor,
                party_id=party.pk,
                at=now,
                payload={
                    "into": [o.code for o in built],
                    "loss_kg": loss,
                    "method": method.code,
                    "note": loss_note[:200],
                },
            )
            item.state = ContainerState.TRANSFORMED
            item.method = item.method or method
            item.facility = item.facility or facility
            item.settled_at = item.settled_at or now
            item.save(
                update_fields=[
                    "state",
                    "method",
                    "facility",
                    "settled_at",
                    "ledger_seq",
                    "ledger_head",
                ]
            )
            for out in built:
                share = (out.mass_kg * item.mass_kg / total_in).quantize(GRAM)
                links.append(_link(item, out, LinkKind.TRANSFORMED, share, event))
        ContainerLink.objects.bulk_create(links)
    return built
