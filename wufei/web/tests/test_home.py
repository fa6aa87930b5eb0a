"""Each role's home page, and the public landing for everyone without an account."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def home(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    return response


def cards(response) -> dict:
    return {str(card["label"]): card for card in response.context["cards"]}


def test_officials_see_counts_of_their_scope(world, login):
    city = cards(home(login(world.users["city"])))
    county = cards(home(login(world.users["county"])))
    assert city["单位"]["count"] == 5 and county["单位"]["count"] == 4
    assert city["设施"]["count"] == 2 and county["设施"]["count"] == 1
    assert city["车辆"]["count"] == 3 and county["车辆"]["count"] == 2
    assert city["许可证"]["count"] == 2
    # the 魏都区 permit ends in 30 days, the 禹州市 one in more than a year
    assert "1 张 90 天内到期" in str(city["许可证"]["note"])
    assert "1 张 90 天内到期" in str(county["许可证"]["note"])
    yuzhou = cards(home(login(world.users["county_yuzhou"])))
    assert "0 张 90 天内到期" in str(yuzhou["许可证"]["note"])


def test_officials_see_the_expiring_permits(world, login):
    html = home(login(world.users["county"])).content.decode()
    assert world.weidu_permit.number in html and world.yuzhou_permit.number not in html
    assert "县（市、区）管理人员 · 魏都区" in html  # the scope in the header


def test_an_enterprise_sees_its_own_party_sites_and_permits(world, login):
    html = home(login(world.users["receiver"])).content.decode()
    assert "魏都区危废处置公司" in html and world.weidu_permit.number in html
    assert "禹州市环保能源公司" not in html


def test_a_driver_sees_the_transporter_and_its_vehicles(world, login):
    html = home(login(world.users["driver"])).content.decode()
    assert "魏都区危货运输公司" in html and "豫K12345" in html and "豫K23456" in html
    assert "豫K34567" not in html


def test_a_guide_sees_the_street_communities(world, login):
    response = home(login(world.users["guide"]))
    html = response.content.decode()
    assert response.context["community_count"] == 1
    assert "西大街道测试社区" in html and "西大街道测试小区" in html
    assert "魏都区测试机械厂" not in html


@pytest.mark.parametrize("anonymous", [True, False])
def test_the_public_landing(world, client, login, anonymous):
    if not anonymous:
        client = login(world.users["public"])
    html = home(client).content.decode()
    assert 'id="map"' in html and "废物名录" in html and "危险废物" in html
    assert (reverse("accounts:login") in html) is anonymous
    assert "魏都区危废处置公司" not in html  # no party names on the landing itself
