"""Trace forward and backward through packing, a manifest and a transformation; the public
view; who may see a trace; the API, the pages and the ``trace`` command."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from wufei.core.errors import NotFound
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.manifests.tests.world import World, hazardous_world, run_to
from wufei.registry.models import WasteCode, WasteStream
from wufei.trace import selectors
from wufei.trace.choices import ContainerKind, ContainerState
from wufei.trace.models import Container
from wufei.trace.services import (
    NewContainer,
    container_register,
    containers_pack,
    containers_transform,
)

pytestmark = pytest.mark.django_db


@dataclass
class Chain:
    w: World
    box1: Container
    box2: Container
    truck: Container
    manifest: Manifest
    ash: Container
    slag: Container


@pytest.fixture
def chain() -> Chain:
    """Two small boxes packed into a truckload, carried on a manifest to the disposer, who
    incinerates the load into a fly ash lot (HW18) and slag."""
    w = hazardous_world()
    box = NewContainer(kind=ContainerKind.BOX, stream=w.stream, waste_code=w.code, mass_kg="30")
    box1 = container_register(actor=w.clerk, spec=box)
    box2 = container_register(actor=w.clerk, spec=NewContainer(**{**box.__dict__, "mass_kg": "20"}))
    truck = containers_pack(
        actor=w.clerk, children=[box1.code, box2.code], kind=ContainerKind.TRUCKLOAD
    )
    m, _ = services.manifest_create(
        actor=w.clerk, data=w.data(masses=(), carry=[truck.code]), submit=False
    )
    m = run_to(w, State.COMPLETED, manifest=m, pickup_kg="50", received_kg="50")
    hw18 = WasteCode.objects.filter(code__endswith="-18").order_by("code").first()
    ash, slag = containers_transform(
        actor=w.receiver_clerk,
        inputs=[truck.code],
        outputs=[
            NewContainer(kind=ContainerKind.LOT, stream=w.stream, waste_code=hw18, mass_kg="10"),
            NewContainer(
                kind=ContainerKind.LOT,
                stream=WasteStream.objects.get(code="industrial"),
                mass_kg="38.4",
                description="炉渣",
            ),
        ],
        loss_kg="1.6",
        method=w.method,
        facility=w.facility,
    )
    return Chain(w, box1, box2, truck, m, ash, slag)


def codes_of(nodes) -> set[str]:
    return {n.code for n in nodes}


def test_forward_follows_the_box_in_its_truckload_to_the_ash_and_slag(chain):
    c = chain
    trace = selectors.trace_forward(actor=c.w.city, code=c.box1.code)
    assert codes_of(trace.nodes) == {c.box1.code, c.truck.code, c.ash.code, c.slag.code}
    assert c.box2.code not in codes_of(trace.nodes)  # a sibling is not where box1 went
    roles = {n.code: n.role for n in trace.nodes}
    assert roles[c.truck.code] == selectors.CARRIER
    assert roles[c.ash.code] == selectors.CONTENT
    assert codes_of(trace.destinations) == {c.ash.code, c.slag.code}
    assert all(n.holder_name == "长葛危废处置" for n in trace.destinations)
    (leg,) = trace.legs
    assert leg.number == c.manifest.number
    assert (leg.from_party, leg.to_party) == ("魏都机械厂", "长葛危废处置")
    assert (leg.from_region, leg.to_region) == ("魏都区", "长葛市")
    assert leg.containers == (c.truck.code,)
    assert leg.accepted_kg == Decimal("50.000") and leg.method_code == "D10"
    assert leg.from_lon is not None and leg.to_lat is not None
    chains = {e.chain for e in trace.events}
    assert chains == {c.box1.code, c.truck.code, c.ash.code, c.slag.code, c.manifest.number}
    times = [(e.at, e.seq) for e in trace.events]
    assert times == sorted(times)
    kinds = [e.kind for e in trace.events if e.chain == c.box1.code]
    assert kinds == ["create", "pack"]


def test_a_treated_load_is_the_final_destination_until_transformed():
    w = hazardous_world()
    m = run_to(w, State.COMPLETED)
    drum = m.items.first().container
    trace = selectors.trace_forward(actor=w.clerk, code=drum.code)
    (dest,) = trace.destinations
    assert dest.code == drum.code and dest.state == ContainerState.TREATED
    assert (dest.method_code, dest.fate) == ("D10", "treated")
    assert dest.facility_name == w.facility.name


def test_backward_from_the_ash_finds_both_boxes_and_their_producer(chain):
    c = chain
    trace = selectors.trace_backward(actor=c.w.receiver_clerk, code=c.ash.code)
    assert codes_of(trace.nodes) == {c.ash.code, c.truck.code, c.box1.code, c.box2.code}
    assert codes_of(trace.sources) == {c.box1.code, c.box2.code}
    assert {n.origin_name for n in trace.sources} == {"魏都机械厂"}
    assert [leg.number for leg in trace.legs] == [c.manifest.number]


def test_backward_from_a_manifest_number(chain):
    c = chain
    trace = selectors.trace_backward(actor=c.w.county_changge, code=c.manifest.number)
    assert trace.start == [c.manifest.number]
    assert codes_of(trace.sources) == {c.box1.code, c.box2.code}
    assert c.ash.code not in codes_of(trace.nodes)
    with pytest.raises(NotFound):
        selectors.trace_backward(actor=c.w.stranger, code=c.manifest.number)
    with pytest.raises(NotFound):
        selectors.trace_backward(actor=c.w.city, code="HW20990101ZZZZZZ")


def test_tree_nests_the_boxes_under_the_ash_backward(chain):
    c = chain
    rows = selectors.trace_backward(actor=c.w.city, code=c.ash.code).tree()
    depth = {n.code: d for d, n, _label in rows}
    assert depth == {c.ash.code: 0, c.truck.code: 1, c.box1.code: 2, c.box2.code: 2}


@pytest.mark.parametrize("who", ["clerk", "carrier", "driver", "receiver_clerk", "city", "ecology"])
def test_the_parties_on_the_path_and_officials_in_scope_may_trace(chain, who):
    c = chain
    trace = selectors.trace_forward(actor=getattr(c.w, who), code=c.box1.code)
    assert codes_of(trace.destinations) == {c.ash.code, c.slag.code}


@pytest.mark.parametrize("who", ["stranger", "county_other", "public"])
def test_others_get_not_found(chain, who):
    c = chain
    for find in (selectors.trace_forward, selectors.trace_backward):
        with pytest.raises(NotFound):
            find(actor=getattr(c.w, who), code=c.box1.code)
    with pytest.raises(NotFound):
        selectors.trace_forward(actor=c.w.city, code="WF0000000000")


def test_a_trace_costs_a_fixed_handful_of_queries(chain, django_assert_max_num_queries):
    c = chain
    with django_assert_max_num_queries(9):
        trace = selectors.trace_forward(actor=c.w.city, code=c.box1.code)
    assert trace.destinations
    with django_assert_max_num_queries(10):
        selectors.trace_backward(actor=c.w.city, code=c.manifest.number)


CONFIDENTIAL = ("魏都机械厂", "长葛危货运输", "长葛危废处置", "无关企业")


def confidential_of(c: Chain) -> list[str]:
    w = c.w
    hashes = [c.manifest.ledger_head, c.box1.ledger_head, c.ash.ledger_head]
    people = [u.username for u in w.signers()]
    return [*CONFIDENTIAL, w.vehicle.plate, w.facility.name, *people, *(h[:16] for h in hashes)]


def test_the_public_view_tells_what_and_where_but_nothing_confidential(chain):
    c = chain
    c.box1.refresh_from_db()
    c.manifest.refresh_from_db()
    c.ash.refresh_from_db()
    view = selectors.trace_public(c.box1.code.lower())
    assert view.item.mass_kg == 30 and view.item.region == "魏都区"
    assert {d.mass_kg for d in view.destinations} == {10, 38}  # 38.4 kg shown as 38
    assert {d.region for d in view.destinations} == {"长葛市"}
    (leg,) = view.legs
    assert (leg.from_region, leg.to_region, leg.method_name) == ("魏都区", "长葛市", "焚烧")
    assert [s.kind_label for s in view.steps] == ["登记", "装箱"]
    page = APIClient().get(f"/t/{c.box1.code}")
    api = APIClient().get(f"/api/v1/trace/{c.box1.code}/public/")
    assert page.status_code == 200 and api.status_code == 200
    text = repr(view) + page.content.decode() + json.dumps(api.json(), ensure_ascii=False)
    assert "焚烧" in text and "约 30 千克" in page.content.decode()
    for secret in confidential_of(c):
        assert secret not in text, secret
    assert "38.4" not in text and "30.000" not in text
    assert APIClient().get("/t/WF0000000000").status_code == 404


def test_api_forward_backward_and_scoping(chain):
    c = chain
    client = APIClient()
    client.force_authenticate(c.w.county_weidu)
    data = client.get(f"/api/v1/trace/{c.box1.code}/forward/").json()
    assert {n["code"] for n in data["destinations"]} == {c.ash.code, c.slag.code}
    assert data["legs"][0]["number"] == c.manifest.number
    client.force_authenticate(c.w.city)
    back = client.get(f"/api/v1/trace/{c.manifest.number}/backward/")
    assert back.status_code == 200
    assert {n["code"] for n in back.json()["sources"]} == {c.box1.code, c.box2.code}
    client.force_authenticate(c.w.stranger)
    refused = client.get(f"/api/v1/trace/{c.box1.code}/forward/")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert APIClient().get(f"/api/v1/trace/{c.box1.code}/forward/").status_code == 401


def test_search_page_forward_with_a_pasted_label_url_and_backward(chain, client):
    c = chain
    assert client.get("/trace/").status_code == 302  # log in first
    client.force_login(c.w.city)
    url = f"https://wufei.example/t/{c.box1.code.lower()}"
    page = client.get("/trace/", {"code": url, "mode": "forward"})
    body = page.content.decode()
    assert page.status_code == 200
    assert c.ash.code in body and c.manifest.number in body and "最终去向" in body
    assert "trace-lines" in body  # the map of the legs
    back = client.get("/trace/", {"code": c.manifest.number, "mode": "backward"}).content.decode()
    assert c.box2.code in back and "来源" in back
    client.force_login(c.w.stranger)
    assert client.get("/trace/", {"code": c.box1.code}).status_code == 404


def test_trace_command_prints_a_chinese_table_and_json(chain):
    c = chain
    out = StringIO()
    call_command("trace", c.box1.code, stdout=out)
    text = out.getvalue()
    for expected in ("最终去向", c.ash.code, c.slag.code, c.manifest.number, "台账时间线", "装箱"):
        assert expected in text
    out = StringIO()
    call_command("trace", c.manifest.number, "--backward", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {n["code"] for n in data["sources"]} == {c.box1.code, c.box2.code}
    with pytest.raises(CommandError):
        call_command("trace", c.box1.code, "--user", c.w.stranger.username, stdout=StringIO())
