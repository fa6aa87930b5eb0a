"""List and detail pages: the right rows for each role, filters, paging, no N+1."""

import pytest
from django.urls import reverse

from wufei.core.pages import PAGE_SIZE
from wufei.registry.tests.factories import (
    CapacityFactory,
    DeviceFactory,
    FacilityFactory,
    PartyFactory,
    PermitFactory,
    SiteFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db


def listed(client, name, **params):
    response = client.get(reverse(f"registry:{name}_list"), params)
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["page_obj"]}, response


def test_parties_by_role(world, login):
    w = world
    weidu = {w.weidu_generator.pk, w.weidu_receiver.pk, w.transporter.pk, w.community.pk}
    expected = {
        "city": weidu | {w.yuzhou_receiver.pk},
        "county": weidu,
        "county_yuzhou": {w.yuzhou_receiver.pk},
        "enterprise": {w.weidu_generator.pk},
        "driver": {w.transporter.pk},
        "guide": {w.community.pk},
    }
    for role, pks in expected.items():
        rows, _ = listed(login(w.users[role]), "party")
        assert rows == pks, role


def test_facilities_by_role(world, login):
    w = world
    expected = {
        "city": {w.weidu_facility.pk, w.yuzhou_facility.pk},
        "county": {w.weidu_facility.pk},
        "county_yuzhou": {w.yuzhou_facility.pk},
        "department": {w.weidu_facility.pk},  # ecology: the hazardous-waste facility only
        "receiver": {w.weidu_facility.pk},
        "enterprise": set(),
        "public": {w.weidu_facility.pk, w.yuzhou_facility.pk},  # operating facilities are public
    }
    for role, pks in expected.items():
        rows, _ = listed(login(w.users[role]), "facility")
        assert rows == pks, role


def test_permits_vehicles_and_devices_by_role(world, login):
    w = world
    rows, _ = listed(login(w.users["county"]), "permit")
    assert rows == {w.weidu_permit.pk}
    rows, _ = listed(login(w.users["driver"]), "vehicle")
    assert rows == {v.pk for v in w.vehicles if v.party_id == w.transporter.pk}
    rows, _ = listed(login(w.users["county_yuzhou"]), "vehicle")
    assert rows == {w.vehicles[2].pk}
    rows, _ = listed(login(w.users["enterprise"]), "device")
    assert rows == set()


def test_anonymous_public_sees_public_lists_and_is_sent_to_log_in_for_others(client, world):
    rows, _ = listed(client, "facility")
    assert rows == {w.pk for w in (world.weidu_facility, world.yuzhou_facility)}
    response = client.get(reverse("registry:party_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_role_without_rights_gets_the_chinese_403(world, login):
    response = login(world.users["public"]).get(reverse("registry:party_list"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_filters_use_the_filterset(world, login):
    client = login(world.users["city"])
    rows, response = listed(client, "facility", region="411081")
    assert rows == {world.yuzhou_facility.pk}
    assert "区划：禹州市" in response.content.decode()  # the active filter, in words
    rows, _ = listed(client, "party", role="transporter")
    assert rows == {world.transporter.pk}
    rows, _ = listed(client, "party", q="禹州")
    assert rows == {world.yuzhou_receiver.pk}
    rows, _ = listed(client, "site", party=world.weidu_generator.pk)
    assert rows == set(world.weidu_generator.sites.values_list("pk", flat=True))
    assert len(rows) == 1


def test_a_county_official_cannot_filter_into_another_county(world, login):
    rows, response = listed(login(world.users["county"]), "facility", region="411081")
    assert rows == set()
    assert "field-error" in response.content.decode()  # the filter says why


def test_htmx_requests_get_the_results_fragment(world, login):
    response = login(world.users["city"]).get(
        reverse("registry:party_list"), {"q": "魏都"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'class="grid"' in html
    assert "魏都区危废处置公司" in html and "禹州市环保能源公司" not in html


def test_paging_is_fifty_rows(world, login):
    PartyFactory.create_batch(PAGE_SIZE + 5)
    client = login(world.users["city"])
    first, response = listed(client, "party")
    assert len(first) == PAGE_SIZE
    second, _ = listed(client, "party", page=2)
    assert len(second) == response.context["paginator"].count - PAGE_SIZE
    assert not first & second


def test_waste_catalogue_and_code_lists_show_confidence(client, db):
    _, response = listed(client, "wastecode", category="HW08")
    html = response.content.decode()
    assert "900-214-08" in html and "二手来源" in html
    _, response = listed(client, "codelist")
    html = response.content.decode()
    assert "已核实（官方来源）" in html and "平台自定义" in html
    assert "badge-ok" in html and "badge-info" in html


def test_detail_pages_show_related_rows_in_scope(world, login):
    client = login(world.users["county"])
    response = client.get(reverse("registry:party_detail", args=[world.transporter.pk]))
    html = response.content.decode()
    assert "豫K12345" in html and "GPS-WD-0001" in html
    response = client.get(reverse("registry:facility_detail", args=[world.weidu_facility.pk]))
    html = response.content.decode()
    assert "D10 焚烧" in html and "日处理能力（吨/日）" in html  # the capacities table
    assert world.weidu_permit.number in html
    response = client.get(reverse("registry:permit_detail", args=[world.weidu_permit.pk]))
    assert "有效" in response.content.decode()


def test_details_outside_scope_are_404(world, login):
    client = login(world.users["county"])
    for name, obj in (
        ("party", world.yuzhou_receiver),
        ("facility", world.yuzhou_facility),
        ("permit", world.yuzhou_permit),
    ):
        response = client.get(reverse(f"registry:{name}_detail", args=[obj.pk]))
        assert response.status_code == 404, name
        assert "对象不存在或您无权查看" in response.content.decode()


def test_permit_detail_lists_covered_categories_and_codes(world, login):
    from wufei.registry.models import WasteCategory, WasteCode

    permit = world.weidu_permit
    permit.categories.set(WasteCategory.objects.filter(code="HW08"))
    permit.waste_codes.set(WasteCode.objects.filter(code="900-214-08"))
    html = (
        login(world.users["city"])
        .get(reverse("registry:permit_detail", args=[permit.pk]))
        .content.decode()
    )
    assert "核准大类" in html and "HW08" in html and "900-214-08" in html


def _grow(world, n):
    """Add ``n`` rows of every kind in 魏都区 (what the query-count tests scale)."""
    for _ in range(n):
        party = PartyFactory(region=world.weidu_generator.region, is_transporter=True)
        site = SiteFactory(party=party)
        facility = FacilityFactory(site=site)
        CapacityFactory(facility=facility)
        CapacityFactory(facility=facility, tonnes_per_day=5)
        PermitFactory(party=party, facility=facility)
        gps = DeviceFactory(party=party, site=site)
        VehicleFactory(party=party, gps_device=gps)


# Queries of a list page, whatever the number of rows: session, user, the actor's region,
# menu and header, the filter form's choices, count, rows (and one prefetch for facilities).
# The county official's region subtree is one small query per request (accounts.scoping).
LIST_QUERIES = {
    "party": 7,
    "site": 7,
    "facility": 9,
    "permit": 8,
    "vehicle": 7,
    "device": 7,
    "wastecode": 7,
    "codelist": 6,
}


@pytest.mark.parametrize("name", sorted(LIST_QUERIES))
def test_list_pages_run_a_fixed_number_of_queries(name, world, login, django_assert_num_queries):
    client = login(world.users["county"])
    _grow(world, 3)
    with django_assert_num_queries(LIST_QUERIES[name]):
        listed(client, name)
    _grow(world, 12)
    with django_assert_num_queries(LIST_QUERIES[name]):
        rows, _ = listed(client, name)
    if name not in ("wastecode", "codelist"):
        assert len(rows) >= 15
