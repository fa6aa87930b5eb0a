"""Material flows: the sankey over counted monthly figures (balanced at every stream node,
scoped), the reconciliation of declared and manifested hazardous waste, and the page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from wufei.accounts.models import Department
from wufei.core.errors import NotPermitted
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.manifests.tests.world import hazardous_world, run_to, user
from wufei.registry.models import Region, WasteStream
from wufei.registry.tests import factories
from wufei.stats import material_flows as flows
from wufei.stats.basis import top_stream_code
from wufei.stats.choices import DeclarationStatus, Quantity, Source
from wufei.stats.models import Declaration, DeclarationLine, RollupMonth
from wufei.stats.tests.test_rollups import advance, ago

pytestmark = pytest.mark.django_db

WEIDU, CHANGGE = "411002", "411082"
JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def stream(code: str) -> WasteStream:
    return WasteStream.objects.get(code=code)


def month_row(region: str, code: str, quantity: str, tonnes, *, source=None, month=JAN):
    if source is None:
        declared = top_stream_code(stream(code).pk) in ("industrial", "agricultural")
        source = Source.DECLARED if declared else Source.MANIFEST
    return RollupMonth.objects.create(
        region=factories.region(region),
        stream=stream(code),
        quantity=quantity,
        source=source,
        tonnes=Decimal(str(tonnes)),
        records=1,
        month=month,
    )


def links(s: flows.Sankey) -> dict[tuple[str, str], Decimal]:
    return {(k.source, k.target): k.tonnes for k in s.links}


def balanced(s: flows.Sankey) -> None:
    """Every stream node passes on what it takes in; all links carry tonnes."""
    assert all(k.tonnes > 0 for k in s.links)
    for node in s.nodes:
        if node.level == 1:
            assert node.tonnes_in == node.tonnes_out, node.key
        elif node.level == 0:
            assert node.tonnes_in == 0
        else:
            assert node.tonnes_out == 0
    sources = sum((n.tonnes_out for n in s.nodes if n.level == 0), Decimal(0))
    sinks = sum((n.tonnes_in for n in s.nodes if n.level == 2), Decimal(0))
    assert sources == sinks == s.generated + s.prior == s.fates + s.pending


@pytest.fixture
def city():
    return user(role="city")


def test_generation_flows_through_streams_to_fates_with_the_rest_pending(city):
    weidu, changge = factories.region(WEIDU), factories.region(CHANGGE)
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "10")
    month_row(CHANGGE, "medical", Quantity.GENERATED, "2.5")
    month_row(WEIDU, "hazardous", Quantity.TREATED, "7")
    month_row(CHANGGE, "hazardous", Quantity.STORED, "1")
    month_row(WEIDU, "hazardous", Quantity.RECEIVED, "9")  # no fate: not a flow of its own
    s = flows.sankey(city, JAN, FEB)
    assert links(s) == {
        (f"source:{weidu.pk}", "stream:hazardous"): Decimal("10.000"),
        (f"source:{changge.pk}", "stream:hazardous"): Decimal("2.500"),
        ("stream:hazardous", "fate:treated"): Decimal("7.000"),
        ("stream:hazardous", "fate:stored"): Decimal("1.000"),
        ("stream:hazardous", flows.PENDING): Decimal("4.500"),
    }
    assert (s.generated, s.fates, s.pending, s.prior) == (
        Decimal("12.5"),
        Decimal("8"),
        Decimal("4.5"),
        0,
    )
    assert {n.key: n.name for n in s.nodes}[f"source:{weidu.pk}"] == "魏都区"
    pending = s.node(flows.PENDING)
    assert pending is not None and pending.name == "在途或待处置"
    balanced(s)


def test_fates_beyond_generation_draw_on_prior_storage(city):
    # an onward leg releases 3 t from storage; 2 t more were completed than generated
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "5")
    month_row(WEIDU, "hazardous", Quantity.STORED, "-3")
    month_row(WEIDU, "hazardous", Quantity.TREATED, "10")
    # declared industrial waste: 4 t of the utilisation came from earlier years' storage
    month_row(WEIDU, "industrial", Quantity.GENERATED, "100")
    month_row(WEIDU, "industrial", Quantity.UTILISED, "80")
    month_row(WEIDU, "industrial", Quantity.UTILISED_PRIOR, "4")
    month_row(WEIDU, "industrial", Quantity.LANDFILLED, "24")
    s = flows.sankey(city, JAN, FEB)
    got = links(s)
    assert got[(flows.PRIOR, "stream:hazardous")] == Decimal("5.000")  # 3 released + 2 more
    assert got[(flows.PRIOR, "stream:industrial")] == Decimal("4.000")
    assert ("stream:hazardous", flows.PENDING) not in got
    assert ("stream:industrial", flows.PENDING) not in got
    assert ("stream:hazardous", "fate:stored") not in got  # a net release is no fate
    assert s.prior == Decimal("9")
    balanced(s)


def test_sectors_put_medical_waste_under_health_and_the_rest_by_stream(city):
    month_row(WEIDU, "medical", Quantity.GENERATED, "2")
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "3")
    month_row(CHANGGE, "household-kitchen", Quantity.GENERATED, "7")
    month_row(CHANGGE, "construction", Quantity.GENERATED, "11")
    s = flows.sankey(city, JAN, FEB, by=flows.BY_SECTOR)
    out = {n.name: n.tonnes_out for n in s.nodes if n.level == 0}
    assert out == {
        "医疗卫生": Decimal("2"),
        "工业源": Decimal("3"),
        "生活源": Decimal("7"),
        "建筑业": Decimal("11"),
    }
    balanced(s)


def test_only_the_months_asked_for_count(city):
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "1", month=JAN)
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "2", month=FEB)
    assert flows.sankey(city, FEB, FEB).generated == Decimal("2")
    assert flows.sankey(city, dt.date(2023, 1, 1), dt.date(2023, 12, 1)).links == []


quantities = st.sampled_from(
    [*flows.FATE_QUANTITIES, Quantity.GENERATED, Quantity.RECEIVED, *flows.PRIOR_QUANTITIES]
)
figures = st.lists(
    st.tuples(
        st.sampled_from([WEIDU, CHANGGE, "411000"]),
        st.sampled_from(["hazardous", "medical", "industrial", "household-other", "sludge"]),
        quantities,
        st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=3),
    ),
    max_size=25,
)


def test_every_stream_node_balances_whatever_the_figures(city):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=figures, by=st.sampled_from([flows.BY_COUNTY, flows.BY_SECTOR]))
    def run(rows, by):
        with transaction.atomic():
            for region, code, quantity, tonnes in rows:
                month_row(region, code, quantity, tonnes)
            balanced(flows.sankey(city, JAN, JAN, by=by))
            transaction.set_rollback(True)

    run()


def test_officials_see_their_scope_and_enterprises_no_sankey():
    weidu = factories.region(WEIDU)
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "10")
    month_row(CHANGGE, "hazardous", Quantity.GENERATED, "20")
    month_row(WEIDU, "household-other", Quantity.GENERATED, "30")
    county = user(role="county", region=weidu)
    s = flows.sankey(county, JAN, FEB)
    assert {n.key for n in s.nodes if n.level == 0} == {f"source:{weidu.pk}"}
    assert s.generated == Decimal("40")
    with pytest.raises(NotPermitted):
        flows.sankey(county, JAN, FEB, region=factories.region(CHANGGE))
    ecology = user(role="department", department=Department.objects.get(code="ecology"))
    assert {n.key for n in flows.sankey(ecology, JAN, FEB).nodes if n.level == 1} == {
        "stream:hazardous"
    }
    w_party = factories.PartyFactory()
    for outsider in (user(role="enterprise", party=w_party), user(role="public")):
        with pytest.raises(NotPermitted):
            flows.sankey(outsider, JAN, FEB)
    city = user(role="city")
    assert flows.sankey(city, JAN, FEB, region=factories.region(CHANGGE)).generated == 20
    assert [r.adcode for r in flows.county_choices(county)] == [WEIDU]


# --- reconciliation ---------------------------------------------------------------------------


def hazardous_declaration(w, *, generated="10", transferred="5", year=None):
    year = year or this_year()
    d = Declaration.objects.create(
        kind="hazardous",
        party=w.generator,
        region=w.generator.region,
        stream=w.stream,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        status=DeclarationStatus.SUBMITTED,
    )
    for item, value in (("generated", generated), ("transferred", transferred)):
        DeclarationLine.objects.create(
            declaration=d,
            item=item,
            quantity=Quantity.GENERATED if item == "generated" else "",
            stream=w.stream,
            waste_code=w.code,
            category=w.code.category,
            value=Decimal(value),
            entered_value=Decimal(value),
            entered_unit="t",
        )
    return d


@pytest.fixture
def w():
    return hazardous_world()


def this_year() -> int:
    return timezone.localdate().year


def test_declared_transfers_without_manifests_are_found(w):
    hazardous_declaration(w, transferred="5")
    run_to(w, State.COMPLETED)  # 350.5 kg
    rows = flows.missing_tonnes(w.city, this_year())
    assert [(r.finding, r.party.party_id, r.tonnes) for r in rows] == [
        (flows.DECLARED_NOT_MOVED, w.generator.pk, Decimal("4.649"))
    ]
    row = rows[0]
    assert row.party.declared_generated == Decimal("10") and row.party.picked_up == Decimal("0.351")
    assert any(f"generator={w.generator.pk}" in url for _label, url in row.links)
    assert any(url.startswith(reverse("declarations:declaration_list")) for _l, url in row.links)


def test_small_differences_are_tolerated(w):
    hazardous_declaration(w, transferred="0.36")  # 0.009 t more than moved: under 0.1 t
    run_to(w, State.COMPLETED)
    assert flows.missing_tonnes(w.city, this_year()) == []


def test_loads_overdue_on_the_road_or_short_at_the_gate_are_found(w):
    late, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(w, late, State.IN_TRANSIT, pickup_kg="200", at=ago(5))  # transit limit: 72 h
    fresh, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(w, fresh, State.IN_TRANSIT, pickup_kg="50")  # on its way, not late
    short, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(w, short, State.RECEIVED, pickup_kg="400", received_kg="370", at=ago(5))  # 7.5 %
    close, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(w, close, State.RECEIVED, pickup_kg="400", received_kg="390", at=ago(5))  # 2.5 %
    rows = flows.missing_tonnes(w.city, timezone.localdate(ago(5)).year)
    assert [(r.finding, r.tonnes, r.manifests) for r in rows] == [
        (flows.MOVED_NOT_RECEIVED, Decimal("0.230"), 2)
    ]
    assert rows[0].party.in_transit == Decimal("0.200")
    assert rows[0].party.short == Decimal("0.030")
    assert len(rows[0].links) == 2


def test_the_reconciliation_is_scoped(w):
    hazardous_declaration(w, transferred="5")
    run_to(w, State.COMPLETED)
    year = this_year()
    assert len(flows.missing_tonnes(w.county_weidu, year)) == 1
    assert len(flows.missing_tonnes(w.clerk, year)) == 1  # its own party
    assert flows.missing_tonnes(w.county_changge, year) == []  # generated elsewhere
    assert flows.missing_tonnes(w.stranger, year) == []
    assert flows.missing_tonnes(w.receiver_clerk, year) == []  # not the generator
    assert flows.missing_tonnes(w.city, year, factories.region(CHANGGE)) == []
    with pytest.raises(NotPermitted):
        flows.missing_tonnes(w.public, year)


# --- the page ---------------------------------------------------------------------------------

URL = "/stats/flows/"


def test_the_page_shows_the_sankey_nodes_and_reconciliation(client, w):
    month_row(WEIDU, "hazardous", Quantity.GENERATED, "10", month=dt.date(this_year(), 1, 1))
    hazardous_declaration(w, transferred="5")
    client.force_login(w.city)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for part in ("flows-chart", "flows-nodes", "flows-reconciliation", "flows-data"):
        assert part in html
    assert 'data-finding="declared_not_moved"' in html
    assert page.context["chart"].generated == Decimal("10")
    months = client.get(URL, {"start": f"{this_year() - 1}-01", "end": f"{this_year() - 1}-12"})
    assert months.context["chart"].links == []


def test_the_reconciliation_exports_to_excel(client, w):
    hazardous_declaration(w, transferred="5")
    client.force_login(w.city)
    response = client.get(URL, {"year": this_year(), "format": "xlsx"})
    assert response.status_code == 200 and response["X-Row-Count"] == "1"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][:3] == ["单位", "发现", "差额（吨）"]
    assert values[3][:3] == [w.generator.name, "申报转移但无联单", 5]


def test_bad_periods_are_refused_on_the_form(client, w):
    client.force_login(w.city)
    for params in ({"start": "2024-05"}, {"start": "2024-05", "end": "2024-01"}):
        page = client.get(URL, params)
        assert page.status_code == 200 and "chart" not in page.context
        assert page.context["form"].errors


def test_who_may_open_the_page(client, w):
    assert client.get(URL).status_code == 302
    client.force_login(w.public)
    assert client.get(URL).status_code == 403
    client.force_login(w.clerk)  # an enterprise: its reconciliation, no sankey
    page = client.get(URL)
    assert page.status_code == 200 and "chart" not in page.context
    client.force_login(w.county_weidu)
    assert client.get(URL, {"region": CHANGGE}).context["form"].errors
    assert Region.objects.filter(adcode=WEIDU).exists()
