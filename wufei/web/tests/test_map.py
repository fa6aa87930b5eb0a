"""The one map's data: real boundaries (cached by ETag) and only the points in scope."""

import json

import pytest
from django.urls import reverse

from wufei.registry.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def points(client, **params):
    response = client.get(reverse("web:map_points"), params)
    assert response.status_code == 200
    payload = response.json()
    found = {"facility": set(), "site": set()}
    for layer in payload["layers"]:
        found[layer["group"]].update(layer["ids"])
        assert len(layer["coords"]) == 2 * len(layer["ids"]) == 2 * len(layer["names"])
        assert all(0 <= i < len(payload["parties"]) for i in layer["parties"])
    return found, payload


def test_boundaries_are_the_city_and_six_counties(client):
    response = client.get(reverse("web:map_boundaries"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    features = json.loads(response.content)["features"]
    names = [f["properties"]["name"] for f in features]
    assert len(features) == 7
    assert names[-1] == "许昌市"  # drawn last, on top
    assert set(names[:-1]) == {"魏都区", "建安区", "鄢陵县", "襄城县", "禹州市", "长葛市"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert all(len(f["properties"]["cp"]) == 2 for f in features)


def test_boundaries_are_cached_by_etag(client):
    first = client.get(reverse("web:map_boundaries"))
    etag = first["ETag"]
    assert etag and "max-age" in first["Cache-Control"]
    again = client.get(reverse("web:map_boundaries"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    from wufei.registry.models import Region

    Region.objects.get(adcode="411002").save()  # an edit of a boundary changes the tag
    changed = client.get(reverse("web:map_boundaries"), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_points_are_scoped(world, login):
    w = world
    county, _ = points(login(w.users["county"]))
    assert county["facility"] == {w.weidu_facility.pk}
    assert w.yuzhou_facility.site_id not in county["site"]
    assert w.weidu_facility.site_id in county["site"]
    city, _ = points(login(w.users["city"]))
    assert city["facility"] == {w.weidu_facility.pk, w.yuzhou_facility.pk}
    enterprise, _ = points(login(w.users["enterprise"]))
    assert enterprise["facility"] == set()
    assert enterprise["site"] == set(w.weidu_generator.sites.values_list("pk", flat=True))


def test_the_public_sees_operating_facilities_and_no_sites(world, client):
    w = world
    w.yuzhou_facility.status = "closed"
    w.yuzhou_facility.save()
    found, _ = points(client)
    assert found == {"facility": {w.weidu_facility.pk}, "site": set()}


def test_points_carry_kind_party_and_capacity(world, login):
    _, payload = points(login(world.users["city"]))
    layer = next(item for item in payload["layers"] if item["kind"] == "incineration")
    index = layer["ids"].index(world.yuzhou_facility.pk)
    assert layer["label"] == "生活垃圾焚烧发电厂"
    assert layer["names"][index] == "禹州市生活垃圾焚烧发电厂"
    assert payload["parties"][layer["parties"][index]] == "禹州市环保能源公司"
    assert layer["capacity"][index] == 600.0


def test_county_filter(world, login):
    SiteFactory(party=world.yuzhou_receiver, name="禹州另一场所")
    found, payload = points(login(world.users["city"]), region="411081")
    assert payload["region"] == "411081"
    assert found["facility"] == {world.yuzhou_facility.pk}
    assert all(s.region.adcode == "411081" for s in world.yuzhou_receiver.sites.all())
    assert found["site"] == set(world.yuzhou_receiver.sites.values_list("pk", flat=True))


def test_map_page_offers_a_county_officials_own_county(world, login):
    html = login(world.users["county"]).get(reverse("web:map")).content.decode()
    assert 'data-region="411002"' in html and "禹州市" not in html
    html = login(world.users["city"]).get(reverse("web:map")).content.decode()
    assert "禹州市" in html and "vendor/echarts/echarts.min.js" in html
