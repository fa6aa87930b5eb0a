"""Material flows (物质流): where the counted tonnes were generated, in which streams, and
where they ended up; and the reconciliation of what hazardous-waste producers declared with
what their manifests moved and what the receivers took in.

The sankey reads the counted monthly figures (``wufei.stats.basis.counted_months``), so its
totals are those of the indicators and the balance table. Three levels: where generated
(counties, or sectors), the top-level streams, the fates. Every stream node balances: what
was generated but has not (yet) reached a fate flows to "在途或待处置"; fates beyond the
generation (loads from storage: onward legs, declared prior-year storage used) flow in from
"往年贮存".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import Grant, grant_for, restrict, role_of, scope_filter
from wufei.core.errors import NotPermitted
from wufei.manifests.choices import State
from wufei.manifests.flows import FLOWS
from wufei.manifests.models import Manifest
from wufei.registry.models import Party, Region, WasteStream
from wufei.stats.basis import counted_months, top_stream_code
from wufei.stats.choices import COUNTED_STATUSES, FATES, Quantity
from wufei.stats.models import Declaration, DeclarationLine, RollupMonth
from wufei.stats.rollup_sources import COUNTY_LEVELS, local_midnight

TONNE = Decimal("0.001")
ZERO = Decimal(0)
FATE_QUANTITIES = (*FATES, Quantity.DUMPED)
PRIOR_QUANTITIES = (Quantity.UTILISED_PRIOR, Quantity.DISPOSED_PRIOR)

BY_COUNTY, BY_SECTOR = "county", "sector"
BY_CHOICES = ((BY_COUNTY, gettext_lazy("按区县")), (BY_SECTOR, gettext_lazy("按来源行业")))

# Sectors of generation, by stream (medical waste is the health sector's, the rest of
# hazardous waste industry's).
SECTORS = {
    "industry": gettext_lazy("工业源"),
    "household": gettext_lazy("生活源"),
    "agriculture": gettext_lazy("农业源"),
    "construction": gettext_lazy("建筑业"),
    "health": gettext_lazy("医疗卫生"),
    "other": gettext_lazy("其他"),
}
SECTOR_OF_STREAM = {
    "medical": "health",
    "hazardous": "industry",
    "industrial": "industry",
    "household": "household",
    "kitchen": "household",
    "express-packaging": "household",
    "renewable": "household",
    "sludge": "household",  # municipal sewage sludge
    "agricultural": "agriculture",
    "construction": "construction",
}

PENDING, PRIOR = "fate:pending", "source:prior"
PENDING_LABEL = gettext_lazy("在途或待处置")
PRIOR_LABEL = gettext_lazy("往年贮存")


# --- who sees what --------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowScope:
    region_ids: list[int] | None  # rollup regions (None: all)
    stream_ids: list[int] | None  # streams (None: all)


def may_view_flows(actor) -> bool:
    """Officials see the flows of their scope; enterprises only their own reconciliation."""
    return scope_filter(RollupMonth, actor, Action.VIEW) is not None


def _within(region: Region, area: Region) -> bool:
    return region.path == area.path or region.path.startswith(area.path + "/")


def flow_scope(actor, region: Region | None = None) -> FlowScope:
    """The rollup regions and streams of ``region`` (or everything) that ``actor`` may see:
    county officials and county bureaus their county, bureaus their own streams."""
    if not may_view_flows(actor):
        raise NotPermitted()
    grant = grant_for(actor, Action.VIEW)
    regional = grant in (Grant.REGION, Grant.DEPARTMENT) and actor.region_id is not None
    area = region
    if regional:
        if region is not None and not _within(region, actor.region):
            raise NotPermitted()
        if region is None or _within(actor.region, region):
            area = actor.region
    region_ids = None
    if area is not None:
        region_ids = list(
            Region.objects.filter(path__startswith=area.path, level__in=COUNTY_LEVELS).values_list(
                "pk", flat=True
            )
        )
    streams = actor.department.stream_ids() if grant is Grant.DEPARTMENT else None
    return FlowScope(region_ids, streams)


def county_choices(actor) -> list[Region]:
    """The counties (and zones) ``actor`` may pick on the flows page."""
    counties = Region.objects.filter(level__in=COUNTY_LEVELS).exclude(level="city")
    counties = counties.defer("boundary").order_by("adcode")
    grant = grant_for(actor, Action.VIEW)
    if grant in (Grant.REGION, Grant.DEPARTMENT) and actor.region_id is not None:
        counties = counties.filter(path__startswith=actor.region.path)
    return list(counties)


# --- the sankey -----------------------------------------------------------------------------


@dataclass
class FlowNode:
    key: str
    name: str
    level: int  # 0 where generated (and prior storage), 1 stream, 2 fate
    tonnes_in: Decimal = ZERO
    tonnes_out: Decimal = ZERO


@dataclass(frozen=True)
class FlowLink:
    source: str  # node keys
    target: str
    tonnes: Decimal


@dataclass
class Sankey:
    start: dt.date
    end: dt.date
    by: str
    nodes: list[FlowNode] = field(default_factory=list)
    links: list[FlowLink] = field(default_factory=list)

    def total(self, key: str) -> Decimal:
        node = self.node(key)
        return node.tonnes_in if node is not None else ZERO

    def node(self, key: str) -> FlowNode | None:
        return next((n for n in self.nodes if n.key == key), None)

    @property
    def generated(self) -> Decimal:
        return sum((n.tonnes_out for n in self.nodes if n.level == 0 and n.key != PRIOR), ZERO)

    @property
    def prior(self) -> Decimal:
        node = self.node(PRIOR)
        return node.tonnes_out if node is not None else ZERO

    @property
    def pending(self) -> Decimal:
        return self.total(PENDING)

    @property
    def fates(self) -> Decimal:
        return sum((n.tonnes_in for n in self.nodes if n.level == 2 and n.key != PENDING), ZERO)

    def echarts(self) -> dict:
        """The series data of an ECharts sankey (names are the node labels)."""
        names = {n.key: n.name for n in self.nodes}
        return {
            "nodes": [{"name": n.name, "depth": n.level} for n in self.nodes],
            "links": [
                {"source": names[k.source], "target": names[k.target], "value": float(k.tonnes)}
                for k in self.links
            ],
        }


def _stream_info() -> tuple[dict[int, str], dict[str, WasteStream]]:
    streams = list(WasteStream.objects.only("code", "name", "name_en", "parent_id", "sort_order"))
    return {s.pk: s.code for s in streams}, {s.code: s for s in streams}


def _sector_of(stream_id: int, codes: dict[int, str]) -> str:
    if codes.get(stream_id) == "medical":
        return "health"
    return SECTOR_OF_STREAM.get(top_stream_code(stream_id), "other")


def _source_names(keys: Iterable[str], by: str) -> dict[str, str]:
    if by == BY_SECTOR:
        return {k: str(SECTORS[k.split(":", 1)[1]]) for k in keys}
    ids = {int(k.split(":", 1)[1]): k for k in keys}
    names = {}
    for region in Region.objects.filter(pk__in=ids).only("name", "level"):
        city = region.level == "city"
        names[ids[region.pk]] = (
            _("%(name)s（市级）") % {"name": region.name} if city else region.name
        )
    return names


def sankey(
    actor, start: dt.date, end: dt.date, region: Region | None = None, by: str = BY_COUNTY
) -> Sankey:
    """The material flows of the counted months ``start``..``end`` (first days) in
    ``region`` (or the actor's whole scope), generation grouped ``by`` county or sector."""
    scope = flow_scope(actor, region)
    filters = {"stream_id__in": scope.stream_ids} if scope.stream_ids is not None else {}
    rows = counted_months(start, end, scope.region_ids, **filters)
    codes, streams = _stream_info()
    generated: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    fates: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    prior: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        top, quantity, tonnes = top_stream_code(r["stream_id"]), r["quantity"], r["tonnes"]
        if quantity == Quantity.GENERATED:
            where = r["region_id"] if by == BY_COUNTY else _sector_of(r["stream_id"], codes)
            generated[(f"source:{where}", top)] += tonnes
        elif quantity in FATE_QUANTITIES:
            fates[top][quantity] += tonnes
        elif quantity in PRIOR_QUANTITIES:
            prior[top] += tonnes
    result = Sankey(start, end, by)
    tops = sorted(
        {t for _s, t in generated} | set(fates) | set(prior),
        key=lambda c: (streams[c].sort_order, c) if c in streams else (999, c),
    )
    links: list[FlowLink] = []
    for top in tops:
        links.extend(_stream_links(top, generated, fates[top], prior[top]))
    sources = {link.source for link in links if link.source.startswith("source:")} - {PRIOR}
    names = _source_names(sources, by)
    names.update({f"stream:{c}": str(streams[c]) for c in tops if c in streams})
    names.update({f"fate:{q}": str(Quantity(q).label) for q in FATE_QUANTITIES})
    names.update({PENDING: str(PENDING_LABEL), PRIOR: str(PRIOR_LABEL)})
    nodes: dict[str, FlowNode] = {}
    for link in links:
        for key, level in ((link.source, _level(link.source)), (link.target, _level(link.target))):
            if key not in nodes:
                nodes[key] = FlowNode(key, names.get(key, key), level)
        nodes[link.source].tonnes_out += link.tonnes
        nodes[link.target].tonnes_in += link.tonnes
    result.nodes = sorted(nodes.values(), key=lambda n: (n.level, n.key == PRIOR, n.key))
    result.links = links
    return result


def _level(key: str) -> int:
    return {"source": 0, "stream": 1, "fate": 2}[key.split(":", 1)[0]]


def _stream_links(
    top: str,
    generated: dict[tuple[str, str], Decimal],
    fates: dict[str, Decimal],
    prior_declared: Decimal,
) -> list[FlowLink]:
    """The links into and out of one stream node, balanced: in = generation + prior storage,
    out = fates + what is still on its way."""
    node = f"stream:{top}"
    links = [
        FlowLink(source, node, tonnes.quantize(TONNE))
        for (source, t), tonnes in sorted(generated.items())
        if t == top and tonnes > 0
    ]
    ended = {q: v.quantize(TONNE) for q, v in fates.items() if v > 0}
    released = -sum((v for v in fates.values() if v < 0), ZERO)  # storage drawn down
    prior = (released + max(prior_declared, ZERO)).quantize(TONNE)
    inflow = sum((link.tonnes for link in links), ZERO) + prior
    outflow = sum(ended.values(), ZERO)
    if outflow > inflow:
        prior += outflow - inflow
    if prior > 0:
        links.append(FlowLink(PRIOR, node, prior))
    links.extend(FlowLink(node, f"fate:{q}", ended[q]) for q in FATE_QUANTITIES if q in ended)
    if inflow > outflow:
        links.append(FlowLink(node, PENDING, inflow - outflow))
    return links


# --- reconciliation -------------------------------------------------------------------------

DECLARED_NOT_MOVED = "declared_not_moved"
MOVED_NOT_RECEIVED = "moved_not_received"
FINDINGS = {
    DECLARED_NOT_MOVED: gettext_lazy("申报转移但无联单"),
    MOVED_NOT_RECEIVED: gettext_lazy("已起运但未接收"),
}
SHARE_TOLERANCE = Decimal("0.01")  # declared transferred vs manifested: 1 %
TONNES_TOLERANCE = Decimal("0.1")  # … and 0.1 t
COUNTED = Q(declaration__status__in=COUNTED_STATUSES)


@dataclass
class PartyFigures:
    """One generating party's hazardous waste in a year, declared and manifested (t)."""

    party_id: int
    name: str = ""
    declared_generated: Decimal | None = None
    declared_transferred: Decimal | None = None
    picked_up: Decimal = ZERO
    received: Decimal = ZERO
    manifests: int = 0
    in_transit: Decimal = ZERO  # picked up, past the flow's transit deadline, not received
    in_transit_count: int = 0
    short: Decimal = ZERO  # picked up minus weighed at the gate, beyond the flow's tolerance
    short_count: int = 0


@dataclass(frozen=True)
class MissingRow:
    finding: str
    party: PartyFigures
    tonnes: Decimal
    manifests: int
    links: tuple[tuple[str, str], ...]  # (label, url)

    @property
    def finding_label(self) -> str:
        return str(FINDINGS[self.finding])


def _year_span(year: int) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(dt.date(year, 1, 1)), local_midnight(dt.date(year + 1, 1, 1))


def _scoped_manifests(actor, year: int, region: Region | None):
    """The hazardous (and medical) manifests picked up in ``year`` the actor may see, by
    where they were generated; enterprises only their own party's."""
    first, after = _year_span(year)
    hazardous = WasteStream.descendant_ids(
        WasteStream.objects.filter(code="hazardous").values_list("pk", flat=True)
    )
    rows = restrict(Manifest.objects.all(), actor, Action.VIEW).exclude(
        state__in=(State.DRAFT, State.CANCELLED)
    )
    rows = rows.filter(
        stream_id__in=hazardous, picked_up_at__gte=first, picked_up_at__lt=after
    ).order_by()
    for area in _areas(actor, region):
        rows = rows.filter(region__path__startswith=area.path)
    if role_of(actor) == Role.ENTERPRISE:
        rows = rows.filter(generator_id=actor.party_id)
    return rows


def _areas(actor, region: Region | None) -> list[Region]:
    areas = [region] if region is not None else []
    if actor.is_authenticated and actor.region_id is not None:
        areas.append(actor.region)
    return areas


def _scoped_declarations(actor, year: int, region: Region | None):
    lines = DeclarationLine.objects.filter(
        COUNTED,
        declaration__kind="hazardous",
        declaration__period_start__gte=dt.date(year, 1, 1),
        declaration__period_end__lte=dt.date(year, 12, 31),
        declaration__party__isnull=False,
    )
    visible = restrict(Declaration.objects.all(), actor, Action.VIEW).values("pk")
    lines = lines.filter(declaration__in=visible)
    for area in _areas(actor, region):
        lines = lines.filter(declaration__region__path__startswith=area.path)
    if role_of(actor) == Role.ENTERPRISE:
        lines = lines.filter(declaration__party_id=actor.party_id)
    return lines.order_by()


def _kg_t(value) -> Decimal:
    """Kilograms in tonnes, rounded as the rollups round (half away from zero)."""
    return (Decimal(value or 0) / 1000).quantize(TONNE, rounding=ROUND_HALF_UP)


def party_figures(actor, year: int, region: Region | None = None) -> list[PartyFigures]:
    """Per generating party: declared generation and transfer, manifested pick-ups, receipts,
    loads still on the road past their deadline and short deliveries (a few grouped queries)."""
    parties: dict[int, PartyFigures] = {}

    def of(pk: int) -> PartyFigures:
        return parties.setdefault(pk, PartyFigures(pk))

    lines = _scoped_declarations(actor, year, region)
    for pk, item, value in lines.values_list("declaration__party_id", "item").annotate(
        v=Sum("value")
    ):
        name = item.rsplit(".", 1)[-1]
        if name == "generated":
            of(pk).declared_generated = (of(pk).declared_generated or ZERO) + value
        elif name == "transferred":
            of(pk).declared_transferred = (of(pk).declared_transferred or ZERO) + value
    manifests = _scoped_manifests(actor, year, region)
    for pk, picked, accepted, n in manifests.values_list("generator_id").annotate(
        p=Sum("pickup_kg"), a=Sum("accepted_kg"), n=Count("pk")
    ):
        f = of(pk)
        f.picked_up, f.received, f.manifests = _kg_t(picked), _kg_t(accepted), n
    now = timezone.now()
    overdue = Q()
    for flow in FLOWS.values():
        overdue |= Q(flow=flow.key, picked_up_at__lt=now - dt.timedelta(hours=flow.transit_hours))
    late = manifests.filter(overdue, state__in=(State.PICKED_UP, State.IN_TRANSIT))
    for pk, kg, n in late.values_list("generator_id").annotate(k=Sum("pickup_kg"), n=Count("pk")):
        of(pk).in_transit, of(pk).in_transit_count = _kg_t(kg), n
    gap = Q()
    for flow in FLOWS.values():
        gap |= Q(flow=flow.key, received_kg__lt=F("pickup_kg") * (1 - flow.tolerance))
    short = manifests.filter(gap, received_kg__isnull=False)
    for pk, kg, n in short.values_list("generator_id").annotate(
        k=Sum(F("pickup_kg") - F("received_kg")), n=Count("pk")
    ):
        of(pk).short, of(pk).short_count = _kg_t(kg), n
    names = dict(Party.objects.filter(pk__in=list(parties)).values_list("pk", "name"))
    for f in parties.values():
        f.name = names.get(f.party_id, "")
    return sorted(parties.values(), key=lambda f: (f.name, f.party_id))


def _manifest_link(party_id: int, **params: Any) -> str:
    query = urlencode({"generator": party_id, **params}, doseq=True)
    return f"{reverse('manifests:manifest_list')}?{query}"


def missing_tonnes(actor, year: int, region: Region | None = None) -> list[MissingRow]:
    """Rows of tonnes that went missing between declaration, pick-up and receipt: declared
    as transferred but never moved on a manifest (beyond 1 % and 0.1 t), and picked up but
    never received (still on the road past the flow's transit deadline, or weighed at the
    gate short of the pick-up beyond the flow's tolerance)."""
    if role_of(actor) != Role.ENTERPRISE and not may_view_flows(actor):
        raise NotPermitted()
    rows = []
    year_from, year_to = f"{year}-01-01", f"{year + 1}-01-01"
    for f in party_figures(actor, year, region):
        declared = f.declared_transferred
        if declared is not None:
            unmoved = (declared - f.picked_up).quantize(TONNE)
            if unmoved > TONNES_TOLERANCE and unmoved > declared * SHARE_TOLERANCE:
                links: tuple[tuple[str, str], ...] = (
                    (
                        _("该单位联单"),
                        _manifest_link(f.party_id, created_after=year_from, created_before=year_to),
                    ),
                    (
                        _("该单位申报"),
                        reverse("declarations:declaration_list")
                        + "?"
                        + urlencode(
                            {"kind": "hazardous", "year": str(year), "party": str(f.party_id)}
                        ),
                    ),
                )
                rows.append(MissingRow(DECLARED_NOT_MOVED, f, unmoved, f.manifests, links))
        lost = f.in_transit + f.short
        if lost > 0:
            links = ()
            if f.in_transit_count:
                links += (
                    (
                        _("在途联单"),
                        _manifest_link(f.party_id, state=[State.PICKED_UP, State.IN_TRANSIT]),
                    ),
                )
            if f.short_count:
                links += (
                    (
                        _("已接收联单"),
                        _manifest_link(
                            f.party_id, received_after=year_from, received_before=year_to
                        ),
                    ),
                )
            count = f.in_transit_count + f.short_count
            rows.append(MissingRow(MOVED_NOT_RECEIVED, f, lost, count, links))
    return rows
