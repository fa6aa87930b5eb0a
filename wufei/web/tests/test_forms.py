"""Create and edit pages: forms parse, services validate, errors land next to their fields."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wufei.core.forms import SEARCH_THRESHOLD
from wufei.registry.models import Party, Permit, Site, Vehicle
from wufei.registry.validators import make_credit_code

pytestmark = pytest.mark.django_db


def party_data(**overrides):
    data = {
        "name": "魏都区新登记公司",
        "credit_code": make_credit_code("411002", 777),
        "region": "",
        "address": "许昌市魏都区测试路 1 号",
        "is_generator": "on",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def region_pk(adcode):
    from wufei.registry.models import Region

    return Region.objects.get(adcode=adcode).pk


def test_a_bad_credit_code_is_shown_next_to_its_field(world, login):
    client = login(world.users["county"])
    good = make_credit_code("411002", 778)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(
        reverse("registry:party_add"), party_data(credit_code=bad, region=region_pk("411002"))
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["credit_code"]
    message = form.errors["credit_code"][0]
    assert "校验位错误" in message and f"应为 {good[17]}" in message
    html = response.content.decode()
    assert 'data-field="credit_code"' in html and "has-error" in html and message in html
    assert not Party.objects.filter(name="魏都区新登记公司").exists()


def test_a_valid_party_is_created_by_the_service_and_logged(world, login):
    from wufei.core.models import ChangeLog

    client = login(world.users["county"])
    response = client.post(reverse("registry:party_add"), party_data(region=region_pk("411002")))
    party = Party.objects.get(name="魏都区新登记公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:party_detail", args=[party.pk])
    assert party.is_generator and not party.is_receiver
    assert ChangeLog.objects.filter(object_id=str(party.pk), action="create").exists()


def test_a_county_official_is_offered_only_regions_of_the_county(world, login):
    response = login(world.users["county"]).get(reverse("registry:party_add"))
    adcodes = {r.adcode for r in response.context["form"].fields["region"].queryset}
    assert "411002" in adcodes and "411002001" in adcodes and "411081" not in adcodes


def test_a_county_official_cannot_create_in_another_county(world, login):
    client = login(world.users["county"])
    response = client.post(
        reverse("registry:party_add"),
        party_data(credit_code=make_credit_code("411081", 9), region=region_pk("411081")),
    )
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Party.objects.filter(name="魏都区新登记公司").exists()


def test_a_site_outside_its_region_gets_the_service_message_on_lon(world, login):
    client = login(world.users["county"])
    response = client.post(
        reverse("registry:site_add"),
        {
            "party": world.weidu_generator.pk,
            "name": "越界场所",
            "kind": "factory",
            "region": region_pk("411002"),
            "lon": "113.30",  # in 禹州市
            "lat": "34.15",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "不在魏都区辖区范围内" in response.context["form"].errors["lon"][0]
    assert not Site.objects.filter(name="越界场所").exists()


def test_edit_updates_through_the_service(world, login):
    vehicle = world.vehicles[1]
    client = login(world.users["county"])
    url = reverse("registry:vehicle_edit", args=[vehicle.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"plate": "豫k 99999", "party": vehicle.party_id, "load_kg": "9000"})
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    vehicle.refresh_from_db()
    assert vehicle.plate == "豫K99999" and vehicle.load_kg == 9000


def test_permit_codes_are_parsed_and_unknown_codes_reported(world, login):
    client = login(world.users["city"])
    today = timezone.localdate()
    data = {
        "party": world.weidu_receiver.pk,
        "kind": "hw_operation",
        "number": "豫环许可危废字9001号",
        "issuer": "河南省生态环境厅",
        "stream": "",
        "waste_codes": "900-214-08，900-249-08\n123-456-78",
        "valid_from": "2023-01-01",  # the sample 2021 list is in force then
        "valid_to": (today + timedelta(days=365)).isoformat(),
        "status": "active",
    }
    from wufei.registry.models import WasteStream

    data["stream"] = WasteStream.objects.get(code="hazardous").pk
    response = client.post(reverse("registry:permit_add"), data)
    errors = response.context["form"].errors
    assert list(errors) == ["waste_codes"]
    assert any("123-456-78" in message for message in errors["waste_codes"])
    data["waste_codes"] = "900-214-08，900-249-08"
    response = client.post(reverse("registry:permit_add"), data)
    permit = Permit.objects.get(number="豫环许可危废字9001号")
    assert response.status_code == 302
    assert sorted(c.code for c in permit.waste_codes.all()) == ["900-214-08", "900-249-08"]


def test_add_buttons_follow_may(world, login):
    html = login(world.users["county"]).get(reverse("registry:party_list")).content.decode()
    assert reverse("registry:party_add") in html
    html = login(world.users["receiver"]).get(reverse("registry:permit_list")).content.decode()
    assert reverse("registry:permit_add") not in html  # enterprises do not issue permits
    html = login(world.users["driver"]).get(reverse("registry:vehicle_list")).content.decode()
    assert reverse("registry:vehicle_add") not in html
    detail = reverse("registry:vehicle_detail", args=[world.vehicles[0].pk])
    html = login(world.users["driver"]).get(detail).content.decode()
    assert reverse("registry:vehicle_edit", args=[world.vehicles[0].pk]) not in html
    html = login(world.users["county"]).get(detail).content.decode()
    assert reverse("registry:vehicle_edit", args=[world.vehicles[0].pk]) in html


def test_refusals_are_chinese_403_and_404_pages(world, login):
    client = login(world.users["receiver"])
    response = client.get(reverse("registry:permit_add"))
    assert response.status_code == 403 and "无权访问" in response.content.decode()
    response = client.get(reverse("registry:vehicle_edit", args=[world.vehicles[2].pk]))
    assert response.status_code in (403, 404)
    client = login(world.users["county"])
    response = client.get(reverse("registry:party_edit", args=[world.yuzhou_receiver.pk]))
    assert response.status_code == 404
    assert "对象不存在或您无权查看" in response.content.decode()


def test_a_service_refusal_becomes_the_403_page(world, login, monkeypatch):
    from wufei.core.errors import NotPermitted
    from wufei.registry import views

    def refuse(*, actor, data):
        raise NotPermitted()

    monkeypatch.setattr(views.VEHICLE, "create", refuse)
    client = login(world.users["county"])
    response = client.post(
        reverse("registry:vehicle_add"),
        {"party": world.transporter.pk, "plate": "豫K55555", "kind": "hazmat", "load_kg": "1"},
    )
    assert response.status_code == 403
    assert "您无权执行此操作" in response.content.decode()
    assert not Vehicle.objects.filter(plate="豫K55555").exists()


def test_enterprise_forms_offer_only_their_own_party(world, login):
    form = login(world.users["enterprise"]).get(reverse("registry:site_add")).context["form"]
    assert list(form.fields["party"].queryset) == [world.weidu_generator]


def test_many_parties_turn_the_select_into_a_search(world, login):
    from wufei.registry.tests.factories import PartyFactory

    PartyFactory.create_batch(SEARCH_THRESHOLD + 1)
    client = login(world.users["city"])
    response = client.get(reverse("registry:site_add"), {"party": world.yuzhou_receiver.pk})
    html = response.content.decode()
    options_url = reverse("registry:party_options")
    assert options_url in html
    assert f'value="{world.yuzhou_receiver.pk}" selected' in html  # the current one is offered
    options = client.get(options_url, {"q": "禹州"}).content.decode()
    assert "禹州市环保能源公司" in options and "魏都区" not in options
    options = login(world.users["county"]).get(options_url, {"q": "禹州"}).content.decode()
    assert "禹州市环保能源公司" not in options  # scoped like everything else


def capacity_data(facility, **overrides):
    from wufei.registry.models import TreatmentMethod, WasteStream

    data = {
        "facility": facility.pk,
        "stream": WasteStream.objects.get(code="hazardous").pk,
        "method": TreatmentMethod.objects.get(code="D10").pk,
        "tonnes_per_day": "20",
        "tonnes_per_year": "6600",
        "source": "环评批复",
    }
    data.update(overrides)
    return data


def test_a_negative_capacity_is_refused_next_to_its_field(world, login):
    from wufei.registry.models import FacilityCapacity

    client = login(world.users["county"])
    before = FacilityCapacity.objects.count()
    response = client.post(
        reverse("registry:capacity_add"),
        capacity_data(world.weidu_facility, tonnes_per_day="-5"),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["tonnes_per_day"]
    assert FacilityCapacity.objects.count() == before


def test_a_county_official_adds_capacity_only_in_its_county(world, login):
    from wufei.registry.models import FacilityCapacity

    client = login(world.users["county"])
    response = client.post(reverse("registry:capacity_add"), capacity_data(world.weidu_facility))
    assert response.status_code == 302
    assert FacilityCapacity.objects.filter(
        facility=world.weidu_facility, source="环评批复"
    ).exists()
    before = FacilityCapacity.objects.count()
    response = client.post(reverse("registry:capacity_add"), capacity_data(world.yuzhou_facility))
    assert response.status_code == 200  # the other county's facility is not even a choice
    assert "facility" in response.context["form"].errors
    assert FacilityCapacity.objects.count() == before


def test_the_detail_page_shows_who_changed_the_row_to_those_who_may_change_it(world, login):
    client = login(world.users["county"])
    client.post(reverse("registry:party_add"), party_data(region=region_pk("411002")))
    party = Party.objects.get(name="魏都区新登记公司")
    html = client.get(reverse("registry:party_detail", args=[party.pk])).content.decode()
    assert "变更记录" in html and str(world.users["county"]) in html and "新建" in html
    viewer = login(world.users["department"])  # a bureau reads parties but may not change them
    html = viewer.get(reverse("registry:party_detail", args=[party.pk])).content.decode()
    assert "变更记录" not in html
