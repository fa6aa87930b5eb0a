"""Trace: forward to the final destination (最终去向), backward to the sources.

The walk follows :class:`ContainerLink` rows breadth-first, one query per level. A node is
either *content* (the waste itself: a drum, the lot it became, the boxes it was unpacked
into) or a *carrier* (a container it was packed into: a small box moves with its big box,
so the big box's journeys are the small box's too). Content follows every link in the
direction of the walk; a carrier only carries on being carried (and, forward, into what it
is transformed into), so the siblings packed with a drum never show up as its destination.

Journeys between parties (legs) come from providers that higher apps register (the
manifests app registers its manifests), so this app never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import restrict, role_of
from wufei.core.errors import NotFound
from wufei.registry.choices import RegionLevel
from wufei.registry.selectors import light_regions
from wufei.trace import codes
from wufei.trace.choices import ContainerState, LinkKind
from wufei.trace.models import Container, ContainerLink, LedgerEvent

MAX_NODES = 2000
MAX_EVENTS = 5000
FORWARD, BACKWARD = "forward", "backward"
CONTENT, CARRIER = "content", "carrier"
HELD_STATES = (ContainerState.AT_SOURCE, ContainerState.STORED, ContainerState.IN_TRANSIT)
FINAL_STATES = (ContainerState.TREATED, *HELD_STATES)

# --- legs: journeys between parties, from the apps above ----------------------------------


@dataclass(frozen=True)
class Leg:
    """One journey of one container from one party to another (a manifest, a transfer)."""

    container_id: int
    kind: str  # "manifest", …
    number: str
    label: str  # what kind of journey, for people ("危险废物转移")
    from_party: str
    from_party_id: int | None
    to_party: str
    to_party_id: int | None
    via_party: str = ""  # the carrier (运输单位)
    via_party_id: int | None = None
    from_region: str = ""  # county-level names
    to_region: str = ""
    from_lon: float | None = None
    from_lat: float | None = None
    to_lon: float | None = None
    to_lat: float | None = None
    state: str = ""
    state_label: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    declared_kg: Decimal | None = None
    pickup_kg: Decimal | None = None
    received_kg: Decimal | None = None
    accepted_kg: Decimal | None = None
    method_code: str = ""
    method_name: str = ""
    fate: str = ""
    fate_label: str = ""
    url: str = ""
    # every node this leg carried: container ids from the providers, codes in the trace
    containers: tuple[int | str, ...] = ()


LegProvider = Callable[[Sequence[int]], list[Leg]]
# ``resolve(actor, number)``: the ids of the containers a document (a manifest) carried,
# ``None`` when the number is not one of the provider's; raises NotFound when not visible.
Resolver = Callable[[object, str], list[int] | None]

_PROVIDERS: list[LegProvider] = []
_RESOLVERS: list[Resolver] = []


def register_leg_provider(fn: LegProvider, *, resolve: Resolver | None = None) -> None:
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    if resolve is not None and resolve not in _RESOLVERS:
        _RESOLVERS.append(resolve)


def county_name(region) -> str:
    """The county-level name of ``region`` (needs ``parent`` selected to avoid a query)."""
    node = region
    while node is not None:
        if node.level in (RegionLevel.COUNTY, RegionLevel.ZONE, RegionLevel.CITY):
            return node.name
        node = node.parent
    return ""


def legs_for(container_ids: Sequence[int]) -> list[Leg]:
    """Every leg of the containers, one per journey (the containers it carried merged)."""
    merged: dict[tuple[str, str], Leg] = {}
    carried: dict[tuple[str, str], list[int]] = {}
    for provider in _PROVIDERS:
        for leg in provider(container_ids):
            key = (leg.kind, leg.number)
            merged.setdefault(key, leg)
            carried.setdefault(key, []).append(leg.container_id)
    legs = [replace(leg, containers=tuple(carried[key])) for key, leg in merged.items()]
    return sorted(legs, key=lambda leg: (leg.started_at is None, leg.started_at or 0, leg.number))


# --- the result ----------------------------------------------------------------------------


@dataclass
class Node:
    id: int
    code: str
    kind: str
    kind_label: str
    stream: str
    stream_name: str
    waste_code: str
    waste_code_name: str
    mass_kg: Decimal
    state: str
    state_label: str
    origin_id: int
    origin_name: str
    holder_id: int
    holder_name: str
    region: str
    parent_code: str
    method_code: str
    method_name: str
    fate: str
    fate_label: str
    facility_name: str
    created_at: datetime
    settled_at: datetime | None
    role: str = CONTENT  # content or carrier
    depth: int = 0

    @property
    def is_treated(self) -> bool:
        return self.state == ContainerState.TREATED


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str
    kind_label: str
    mass_kg: Decimal
    at: datetime


@dataclass(frozen=True)
class Event:
    id: int
    chain: str
    seq: int
    kind: str
    kind_label: str
    at: datetime
    actor: str
    party: str
    payload: dict
    hash: str


@dataclass
class Trace:
    direction: str
    start: list[str]  # container codes, or a manifest number
    nodes: list[Node]
    edges: list[Edge]
    legs: list[Leg]
    events: list[Event]
    destinations: list[Node] = field(default_factory=list)  # forward: where it ended up
    sources: list[Node] = field(default_factory=list)  # backward: where it came from
    truncated: bool = False

    def tree(self) -> list[tuple[int, Node, str]]:
        """(depth, node, link label) rows: the container tree from the start, depth first."""
        by_code = {n.code: n for n in self.nodes}
        children: dict[str, list[Edge]] = {}
        for e in self.edges:
            parent = e.source if self.direction == FORWARD else e.target
            children.setdefault(parent, []).append(e)
        rows, seen = [], set()

        def walk(code: str, depth: int, label: str) -> None:
            if code in seen or code not in by_code:
                return
            seen.add(code)
            rows.append((depth, by_code[code], label))
            for e in children.get(code, []):
                walk(e.target if self.direction == FORWARD else e.source, depth + 1, e.kind_label)

        for code in self.start:
            walk(code, 0, "")
        for node in self.nodes:  # anything reached only through a cycle-free side path
            walk(node.code, 0, "")
        return rows


# --- the walk -------------------------------------------------------------------------------


def _steps(direction: str, role: str, node: int, source: int, target: int, kind: str):
    """Where a link leads from ``node`` in this walk, and as what; None when not followed."""
    out = source == node
    if direction == FORWARD:
        if not out:
            return None
        if kind == LinkKind.PACKED:
            return target, CARRIER
        if kind == LinkKind.TRANSFORMED:
            return target, CONTENT
        return (target, CONTENT) if role == CONTENT else None  # unpacked from a box
    if out:  # backward: only the box a node was packed into carried it
        return (target, CARRIER) if kind == LinkKind.PACKED else None
    if kind == LinkKind.UNPACKED:
        return source, CARRIER
    return (source, CONTENT) if role == CONTENT else None  # packed or transformed into it


def _walk(start: Iterable[int], direction: str):
    roles: dict[int, str] = {pk: CONTENT for pk in start}
    depths: dict[int, int] = {pk: 0 for pk in roles}
    edges: dict[tuple[int, int, str], tuple] = {}
    frontier, depth, truncated = set(roles), 0, False
    while frontier and not truncated:
        depth += 1
        rows = ContainerLink.objects.filter(
            Q(source_id__in=frontier) | Q(target_id__in=frontier)
        ).values_list("source_id", "target_id", "kind", "mass_kg", "at")
        nxt: set[int] = set()
        for source, target, kind, mass, at in rows:
            for node in {source, target} & frontier:
                step = _steps(direction, roles[node], node, source, target, kind)
                if step is None:
                    continue
                other, role = step
                edges[(source, target, kind)] = (mass, at)
                known = roles.get(other)
                if known is None or (known == CARRIER and role == CONTENT):
                    if known is None and len(roles) >= MAX_NODES:
                        truncated = True
                        continue
                    roles[other] = role
                    depths.setdefault(other, depth)
                    nxt.add(other)
        frontier = nxt
    return roles, depths, edges, truncated


NODE_RELATED = (
    "stream",
    "waste_code",
    "origin",
    "holder",
    "region__parent__parent",
    "parent",
    "method",
    "facility",
)


def _node(c: Container, role: str, depth: int) -> Node:
    method = c.method
    return Node(
        id=c.pk,
        code=c.code,
        kind=c.kind,
        kind_label=c.get_kind_display(),
        stream=c.stream.code,
        stream_name=c.stream.name,
        waste_code=c.waste_code.code if c.waste_code else "",
        waste_code_name=c.waste_code.name if c.waste_code else "",
        mass_kg=c.mass_kg,
        state=c.state,
        state_label=c.get_state_display(),
        origin_id=c.origin_id,
        origin_name=c.origin.name,
        holder_id=c.holder_id,
        holder_name=c.holder.name,
        region=county_name(c.region),
        parent_code=c.parent.code if c.parent else "",
        method_code=method.code if method else "",
        method_name=method.name if method else "",
        fate=method.fate if method else "",
        fate_label=method.get_fate_display() if method else "",
        facility_name=c.facility.name if c.facility else "",
        created_at=c.created_at,
        settled_at=c.settled_at,
        role=role,
        depth=depth,
    )


def _event(e: LedgerEvent) -> Event:
    return Event(
        id=e.pk,
        chain=e.chain,
        seq=e.seq,
        kind=e.kind,
        kind_label=e.get_kind_display(),
        at=e.at,
        actor=str(e.actor) if e.actor else "",
        party=e.party.name if e.party else "",
        payload=e.payload,
        hash=e.hash,
    )


def _trace(start_ids: list[int], direction: str, start: list[str]) -> Trace:
    roles, depths, links, truncated = _walk(start_ids, direction)
    containers = light_regions(
        Container.objects.select_related(*NODE_RELATED), "region__parent__parent"
    ).in_bulk(list(roles))
    nodes = [_node(containers[pk], roles[pk], depths[pk]) for pk in roles if pk in containers]
    nodes.sort(key=lambda n: (n.depth, n.created_at, n.code))
    code_of = {n.id: n.code for n in nodes}
    edges = [
        Edge(code_of[s], code_of[t], kind, str(LinkKind(kind).label), mass, at)
        for (s, t, kind), (mass, at) in sorted(links.items(), key=lambda item: item[1][1])
    ]
    legs = [
        replace(
            leg,
            containers=tuple(
                code_of[i] for i in leg.containers if isinstance(i, int) and i in code_of
            ),
        )
        for leg in legs_for(list(roles))
    ]
    chains = [*code_of.values(), *(leg.number for leg in legs)]
    events = [
        _event(e)
        for e in LedgerEvent.objects.filter(chain__in=chains)
        .select_related("actor", "party")
        .order_by("at", "seq", "id")[:MAX_EVENTS]
    ]
    trace = Trace(direction, start, nodes, edges, legs, events, truncated=truncated)
    in_nodes = set(code_of.values())
    if direction == FORWARD:
        trace.destinations = [
            n for n in nodes if n.state in FINAL_STATES and n.parent_code not in in_nodes
        ]
    else:
        fed = {e.target for e in edges if e.kind in (LinkKind.PACKED, LinkKind.TRANSFORMED)}
        trace.sources = [n for n in nodes if n.role == CONTENT and n.code not in fed]
    return trace


# --- who may see a trace --------------------------------------------------------------------


def _start_container(actor, code: str) -> tuple[int, bool]:
    """The container's id, and whether ``actor`` may see it directly (``restrict``)."""
    code = codes.normalise(code)
    visible = restrict(Container.objects.all(), actor, Action.VIEW)
    pk = visible.filter(code=code).order_by().values_list("pk", flat=True).first()
    if pk is not None:
        return pk, True
    pk = Container.objects.filter(code=code).order_by().values_list("pk", flat=True).first()
    if pk is None or role_of(actor) not in (Role.ENTERPRISE, Role.DRIVER):
        raise NotFound(_("追溯码 %(code)s 不存在或您无权查看。") % {"code": code})
    return pk, False


def _on_path(actor, trace: Trace) -> bool:
    """Whether the actor's party held, produced, sent or received anything on the trace."""
    party = getattr(actor, "party_id", None)
    if party is None:
        return False
    return any(party in (n.origin_id, n.holder_id) for n in trace.nodes) or any(
        party in (leg.from_party_id, leg.via_party_id, leg.to_party_id) for leg in trace.legs
    )


def _scoped_trace(actor, code: str, direction: str) -> Trace:
    pk, direct = _start_container(actor, code)
    trace = _trace([pk], direction, [codes.normalise(code)])
    if not direct and not _on_path(actor, trace):
        raise NotFound(_("追溯码 %(code)s 不存在或您无权查看。") % {"code": codes.normalise(code)})
    return trace


def trace_forward(*, actor, code: str) -> Trace:
    """Where a container's waste went: every container it moved with or became, every leg,
    the signed timeline, and the final destinations (treated, or still held by whom)."""
    return _scoped_trace(actor, code, FORWARD)


def trace_backward(*, actor, code: str) -> Trace:
    """Where a container's waste (or a manifest's load) came from: the sources."""
    text = (code or "").strip()
    normal = codes.normalise(text)
    if codes.is_valid(normal):
        return _scoped_trace(actor, normal, BACKWARD)
    for resolve in _RESOLVERS:
        ids = resolve(actor, text)
        if ids is not None:
            return _trace(ids, BACKWARD, [text])
    raise NotFound(_("追溯码或联单编号 %(code)s 不存在或您无权查看。") % {"code": text})


# --- the public view (what a QR label shows anyone) -----------------------------------------


def whole_kg(value: Decimal | None) -> int | None:
    if value is None:
        return None
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _day(value: datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(value).date().isoformat() if value else ""


@dataclass(frozen=True)
class PublicItem:
    code: str
    kind_label: str
    stream_name: str
    waste_code: str
    waste_code_name: str
    mass_kg: int
    region: str
    state_label: str
    fate_label: str
    method_name: str
    date: str


@dataclass(frozen=True)
class PublicLeg:
    label: str
    from_region: str
    to_region: str
    state_label: str
    started_on: str
    ended_on: str
    mass_kg: int | None
    method_name: str
    fate_label: str


@dataclass(frozen=True)
class PublicStep:
    kind_label: str
    date: str


@dataclass(frozen=True)
class PublicTrace:
    item: PublicItem
    legs: list[PublicLeg]
    steps: list[PublicStep]
    destinations: list[PublicItem]


def _public_item(n: Node, *, code: str = "") -> PublicItem:
    return PublicItem(
        code=code,
        kind_label=n.kind_label,
        stream_name=n.stream_name,
        waste_code=n.waste_code,
        waste_code_name=n.waste_code_name,
        mass_kg=whole_kg(n.mass_kg) or 0,
        region=n.region,
        state_label=n.state_label,
        fate_label=n.fate_label,
        method_name=n.method_name,
        date=_day(n.settled_at or n.created_at),
    )


def trace_public(code: str) -> PublicTrace:
    """The non-confidential forward trace of a label, for anyone: what it is, where (county)
    and when (day) it moved, and how it ended; no party, person, plate, exact weight or hash."""
    normal = codes.normalise(code)
    pk = Container.objects.filter(code=normal).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("追溯码 %(code)s 不存在。") % {"code": normal})
    trace = _trace([pk], FORWARD, [normal])
    start = next(n for n in trace.nodes if n.id == pk)
    return PublicTrace(
        item=_public_item(start, code=normal),
        legs=[
            PublicLeg(
                label=leg.label,
                from_region=leg.from_region,
                to_region=leg.to_region,
                state_label=leg.state_label,
                started_on=_day(leg.started_at),
                ended_on=_day(leg.ended_at),
                mass_kg=whole_kg(leg.accepted_kg or leg.pickup_kg or leg.declared_kg),
                method_name=leg.method_name,
                fate_label=leg.fate_label,
            )
            for leg in trace.legs
        ],
        steps=[PublicStep(e.kind_label, _day(e.at)) for e in trace.events if e.chain == normal],
        destinations=[_public_item(n) for n in trace.destinations],
    )
