"""Pages of the sorting lookup: the public guide (no account) and the officials' dictionary."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wufei.accounts.tests.factories import UserFactory
from wufei.core.models import ChangeLog
from wufei.registry.models import Region
from wufei.sorting.models import SortingItem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users():
    weidu = Region.objects.get(adcode="411002")
    return {
        "city": UserFactory(role="city"),
        "county": UserFactory(role="county", region=weidu),
        "public": UserFactory(role="public"),
    }


def item(name: str) -> SortingItem:
    return SortingItem.objects.get(name=name)


# --- public --------------------------------------------------------------------------------


def test_guide_works_without_an_account(client):
    response = client.get(reverse("sortguide:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
        assert label in html
    for colour in ("蓝色", "红色", "绿色", "灰色"):
        assert colour in html
    assert "破袋投放" in html and "定时定点" in html and "保持完整" in html
    # The search box works without JavaScript: a GET form to the results page.
    assert f'action="{reverse("sortguide:search")}" method="get"' in html
    assert 'hx-get="' in html and 'name="q"' in html
    assert f'href="{reverse("sortguide:class", args=["hazardous"])}"' in html


def test_search_page_and_instant_results(client):
    url = reverse("sortguide:search")
    response = client.get(url, {"q": "废电池"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "有害垃圾" in html
    assert f'href="{reverse("sortguide:item", args=[item("废电池").pk])}"' in html
    # htmx asks for the results block only.
    partial = client.get(url, {"q": "剩饭"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "剩饭" in partial and "厨余垃圾" in partial
    assert partial.index(">剩饭<") < partial.index(">剩菜<")  # exact before prefix
    empty = client.get(url, {"q": "量子"}, HTTP_HX_REQUEST="true").content.decode()
    assert "没有找到" in empty
    # The index answers ?q= too (the form's no-JavaScript fallback lands on either page).
    assert "烟头" in client.get(reverse("sortguide:index"), {"q": "烟蒂"}).content.decode()


def test_class_and_item_pages(client):
    response = client.get(reverse("sortguide:class", args=["kitchen"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "剩饭" in html and "果皮" in html and "报纸" not in html
    assert client.get(reverse("sortguide:class", args=["wet"])).status_code == 404

    bone = item("大骨头")
    html = client.get(reverse("sortguide:item", args=[bone.pk])).content.decode()
    assert "其他垃圾" in html and bone.instruction in html and "筒骨" in html


def test_deactivated_item_leaves_the_public_pages(client, users):
    from wufei.sorting import lookup

    bag = item("塑料袋")
    lookup.item_deactivate(actor=users["city"], obj=bag)
    assert client.get(reverse("sortguide:item", args=[bag.pk])).status_code == 404
    html = client.get(reverse("sortguide:class", args=["other"])).content.decode()
    assert ">塑料袋<" not in html


# --- officials -----------------------------------------------------------------------------


def test_official_pages_need_an_account(client):
    response = client.get(reverse("lookup:item_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_city_official_keeps_the_dictionary(client, users):
    client.force_login(users["city"])
    listing = client.get(reverse("lookup:item_list"), {"waste_class": "hazardous"})
    html = listing.content.decode()
    assert listing.status_code == 200 and "废电池" in html and "剩饭" not in html
    assert reverse("lookup:item_add") in html

    assert client.get(reverse("lookup:item_add")).status_code == 200
    assert client.get(reverse("lookup:item_edit", args=[item("报纸").pk])).status_code == 200
    response = client.post(
        reverse("lookup:item_add"),
        {"name": "旧电动车头盔", "aliases": "头盔", "waste_class": "other", "group": "日杂用品"},
    )
    created = item("旧电动车头盔")
    assert response.status_code == 302
    assert response["Location"] == reverse("lookup:item_detail", args=[created.pk])

    refused = client.post(reverse("lookup:item_add"), {"name": "报纸", "waste_class": ""})
    assert refused.status_code == 200
    assert "已有同名词条" in refused.content.decode()
    assert "请选择垃圾类别" in refused.content.decode()

    detail = client.get(reverse("lookup:item_detail", args=[created.pk])).content.decode()
    toggle = reverse("lookup:item_toggle", args=[created.pk])
    assert toggle in detail and "变更记录" in detail
    client.post(toggle)
    created.refresh_from_db()
    assert created.is_active is False
    assert ChangeLog.objects.filter(object_id=str(created.pk), action="deactivate").exists()
    client.post(toggle)
    created.refresh_from_db()
    assert created.is_active is True


@pytest.mark.parametrize("who", ["county", "public"])
def test_others_may_look_but_not_edit(client, users, who):
    client.force_login(users[who])
    paper = item("报纸")
    listing = client.get(reverse("lookup:item_list"))
    assert listing.status_code == 200
    assert reverse("lookup:item_add") not in listing.content.decode()
    detail = client.get(reverse("lookup:item_detail", args=[paper.pk])).content.decode()
    assert reverse("lookup:item_toggle", args=[paper.pk]) not in detail
    assert client.get(reverse("lookup:item_add")).status_code == 403
    assert client.get(reverse("lookup:item_edit", args=[paper.pk])).status_code == 403
    response = client.post(
        reverse("lookup:item_edit", args=[paper.pk]), {"name": "报纸", "waste_class": "other"}
    )
    assert response.status_code == 403
    assert client.post(reverse("lookup:item_toggle", args=[paper.pk])).status_code == 403
    paper.refresh_from_db()
    assert paper.waste_class == "recyclable" and paper.is_active


# --- API -----------------------------------------------------------------------------------


def test_api_reads_and_searches_anonymously(client):
    url = reverse("sorting/lookup-list")
    response = client.get(url, {"q": "纸"})
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert first["name"].startswith("纸") and first["match"] == "prefix"
    hows = [r["match"] for r in body["results"]]
    assert hows.index("substring") > hows.index("prefix")
    assert "prefix" not in hows[hows.index("substring") :]

    exact = client.get(url, {"q": "餐巾纸"}).json()["results"][0]
    assert (exact["name"], exact["waste_class"], exact["match"]) == ("纸巾", "other", "alias")
    assert "餐巾纸" in exact["aliases"]
    assert exact["public_url"] == reverse("sortguide:item", args=[exact["id"]])

    filtered = client.get(url, {"q": "瓶", "waste_class": "hazardous"}).json()["results"]
    assert filtered and all(r["waste_class"] == "hazardous" for r in filtered)

    plain = client.get(url, {"waste_class": "kitchen", "page_size": 500}).json()
    assert plain["count"] == SortingItem.objects.filter(waste_class="kitchen").count()
    detail = client.get(reverse("sorting/lookup-detail", args=[item("烟头").pk])).json()
    assert detail["waste_class_label"] == "其他垃圾"

    names = client.get(reverse("sorting/lookup-suggest"), {"q": "剩"}).json()["names"]
    assert names and all("剩" in n for n in names[:3])


def test_api_writes_only_for_city_officials(client, users):
    url = reverse("sorting/lookup-list")
    data = {"name": "一次性剃须刀", "waste_class": "other", "aliases": "手动剃须刀、刮胡刀"}
    anonymous = client.post(url, data, content_type="application/json")
    assert anonymous.status_code == 401
    client.force_login(users["county"])
    county = client.post(url, data, content_type="application/json")
    assert county.status_code == 403 and county.json()["code"] == "not_permitted"
    assert not SortingItem.objects.filter(name="一次性剃须刀").exists()

    client.force_login(users["city"])
    created = client.post(url, data, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["aliases"] == ["手动剃须刀", "刮胡刀"]
    duplicate = client.post(url, data, content_type="application/json")
    assert duplicate.status_code == 400
    assert (duplicate.json()["code"], duplicate.json()["field"]) == ("duplicate_name", "name")
    missing = client.post(url, {"name": "无类别"}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["field"] == "waste_class"
    patched = client.patch(
        reverse("sorting/lookup-detail", args=[created.json()["id"]]),
        {"instruction": "用纸包好刀片后投放"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["instruction"] == "用纸包好刀片后投放"
