"""The pages through the test client: the phone inspection form, the party's order page,
re-inspection and closing, the register with its map points and export, photos by scope."""

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wufei.cases import services
from wufei.cases.models import (
    DumpSite,
    DumpSiteState,
    Finding,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
)
from wufei.cases.tests.world import photo, submitted_with_finding

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def draft(world):
    return services.inspection_create(
        actor=world.county_weidu,
        checklist=world.checklist("hazardous"),
        site=world.factory_site,
        inspected_on=timezone.localdate(),
        inspectors="张三",
        today=timezone.localdate(),
    )


def test_phone_form_step_one_creates_a_draft_and_goes_to_the_checklist(client, world):
    login(client, world.county_weidu)
    page = client.get(f"/cases/inspections/new/?site={world.factory_site.pk}")
    assert page.status_code == 200
    assert 'name="viewport"' in page.content.decode()
    response = client.post(
        "/cases/inspections/new/",
        {
            "site": world.factory_site.pk,
            "checklist": world.checklist("medical").pk,
            "inspected_on": timezone.localdate().isoformat(),
            "inspectors": "张三",
        },
    )
    assert response.status_code == 200  # refused: a medical checklist at a factory
    assert "不适用于" in response.content.decode()
    today = timezone.localdate()
    city_campaign = services.campaign_create(  # the city's campaign, which the county joins
        actor=world.city,
        name="全市大督查",
        region=world.weidu.parent,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
    )
    response = client.post(
        "/cases/inspections/new/",
        {
            "campaign": city_campaign.pk,
            "site": world.factory_site.pk,
            "checklist": world.checklist("hazardous").pk,
            "inspected_on": today.isoformat(),
            "inspectors": "张三",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"].endswith("/check/")
    assert city_campaign.inspections.get().site == world.factory_site


def test_phone_checklist_fail_items_become_findings_with_photo(client, world):
    inspection = draft(world)
    login(client, world.county_weidu)
    url = f"/cases/inspections/{inspection.pk}/check/"
    page = client.get(url)
    items = list(inspection.checklist.items.all())
    body = page.content.decode()
    assert all(f'name="result_{i.pk}"' in body for i in items)
    assert 'capture="environment"' in body and "data-locate" in body
    lon, lat = world.inside()
    failed = items[1]
    data = {f"result_{i.pk}": "pass" for i in items}
    data.update(
        {
            f"result_{failed.pk}": "fail",
            f"description_{failed.pk}": "贮存间无危险废物标识",
            f"severity_{failed.pk}": "minor",
            f"photo_{failed.pk}": photo("label.jpg"),
            "lon": lon,
            "lat": lat,
            "summary": "基本规范",
            "action": "submit",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED
    finding = Finding.objects.get(inspection=inspection)
    assert (finding.item, finding.description) == (failed, "贮存间无危险废物标识")
    assert finding.photo
    detail = client.get(f"/cases/inspections/{inspection.pk}/")
    assert f"/cases/findings/{finding.pk}/photo/" in detail.content.decode()
    image = client.get(f"/cases/findings/{finding.pk}/photo/")
    assert image.status_code == 200
    assert b"".join(image.streaming_content).startswith(b"\xff\xd8\xff")


def test_phone_checklist_errors_stay_on_the_item_and_nothing_is_written(client, world):
    inspection = draft(world)
    login(client, world.county_weidu)
    item = inspection.checklist.items.first()
    lon, lat = world.inside(world.changge)
    response = client.post(
        f"/cases/inspections/{inspection.pk}/check/",
        {
            f"result_{item.pk}": "fail",
            f"description_{item.pk}": "无责任制度",
            f"photo_{item.pk}": photo("big.png", size=5 * 1024 * 1024 + 10),
            "lon": lon,
            "lat": lat,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "不能超过 5 MB" in body and "不在魏都区范围内" in body
    assert "无责任制度" in body  # what was typed is kept
    assert not inspection.findings.exists()


def test_photo_is_not_served_outside_scope(client, world):
    inspection = draft(world)
    finding = services.finding_add(
        actor=world.county_weidu,
        inspection=inspection,
        data=services.FindingInput(description="x", severity="minor", photo=photo("a.jpg")),
    )
    url = f"/cases/findings/{finding.pk}/photo/"
    assert login(client, world.stranger).get(url).status_code == 404
    assert login(client, world.county_changge).get(url).status_code == 404
    assert login(client, world.clerk).get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def issue(world, finding):
    today = timezone.localdate()
    return services.order_issue(
        actor=world.county_weidu,
        finding=finding,
        requirement="设置标识",
        issued_on=today - timedelta(days=40),
        deadline=today - timedelta(days=10),
        today=today,
    )


def test_enterprise_sees_its_own_orders_and_reports_rectification(client, world):
    _inspection, finding = submitted_with_finding(world)
    order = issue(world, finding)
    login(client, world.stranger)
    assert order.number not in client.get("/cases/orders/").content.decode()
    assert client.get(f"/cases/orders/{order.pk}/").status_code == 404
    login(client, world.clerk)
    listing = client.get("/cases/orders/?overdue=true").content.decode()
    assert order.number in listing
    page = client.get(f"/cases/orders/{order.pk}/").content.decode()
    assert 'data-testid="overdue"' in page and "报整改完成" in page
    assert "登记复查" not in page and f"/cases/orders/{order.pk}/close/" not in page
    response = client.post(f"/cases/orders/{order.pk}/report/", {"report": "已设置标识牌"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.REPORTED
    assert client.post(f"/cases/orders/{order.pk}/close/").status_code == 403


def test_official_reinspects_failed_then_closes(client, world):
    _inspection, finding = submitted_with_finding(world)
    order = issue(world, finding)
    services.order_report(actor=world.clerk, order=order, report="完成", now=timezone.now())
    login(client, world.county_weidu)
    today = timezone.localdate()
    response = client.post(f"/cases/orders/{order.pk}/close/", follow=True)
    assert "整改通知须经复查通过后才能销号" in response.content.decode()
    client.post(
        f"/cases/orders/{order.pk}/reinspect/",
        {
            "inspected_on": today.isoformat(),
            "inspectors": "王五",
            "passed": "0",
            "new_deadline": (today + timedelta(days=15)).isoformat(),
        },
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    services.order_report(actor=world.clerk, order=order, report="返工", now=timezone.now())
    client.post(
        f"/cases/orders/{order.pk}/reinspect/",
        {"inspected_on": today.isoformat(), "inspectors": "王五", "passed": "1"},
    )
    client.post(f"/cases/orders/{order.pk}/close/")
    assert RectificationOrder.objects.get(pk=order.pk).status == OrderStatus.CLOSED


def test_order_export_has_the_scoped_rows(client, world):
    _inspection, finding = submitted_with_finding(world)
    order = issue(world, finding)
    response = login(client, world.county_weidu).get("/cases/orders/?format=xlsx")
    assert response["X-Row-Count"] == "1"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert order.number in [c.value for c in sheet[4]]
    assert (
        login(client, world.county_changge).get("/cases/orders/?format=xlsx")["X-Row-Count"] == "0"
    )


def test_register_page_map_points_and_export(client, world):
    login(client, world.county_weidu)
    page = client.get("/cases/dumpsites/")
    assert page.status_code == 200
    assert "dump-map" in page.content.decode()
    points = client.get("/cases/dumpsites/points.json?state=found").json()
    found = next(s for s in points["series"] if s["state"] == "found")
    assert [p["id"] for p in found["points"]] == [world.yard.pk]
    assert all(not s["points"] for s in points["series"] if s["state"] != "found")
    export = client.get("/cases/dumpsites/?format=xlsx")
    assert export["X-Row-Count"] == "1"
    other = login(client, world.county_changge).get("/cases/dumpsites/points.json").json()
    assert not any(s["points"] for s in other["series"])


def test_register_move_page_refuses_closing_without_inspection(client, world):
    login(client, world.county_weidu)
    today = timezone.localdate()
    url = f"/cases/dumpsites/{world.yard.pk}/move/"
    client.post(url, {"state": "rectifying", "on": today.isoformat()})
    client.post(url, {"state": "rectified", "on": today.isoformat()})
    response = client.post(url, {"state": "closed", "on": today.isoformat()}, follow=True)
    assert "整治完成后须有一次现场检查" in response.content.decode()
    assert DumpSite.objects.get(pk=world.yard.pk).state == DumpSiteState.RECTIFIED


def test_campaign_pages_show_progress(client, world):
    campaign = services.campaign_create(
        actor=world.city,
        name="2020年固体废物大督查",
        region=world.weidu.parent,
        starts_on=date(2020, 5, 1),
        ends_on=date(2020, 9, 30),
    )
    inspection = world.inspection(campaign=campaign)
    services.inspection_submit(actor=world.county_weidu, inspection=inspection)
    login(client, world.city)
    listing = client.get("/cases/campaigns/").content.decode()
    assert "2020年固体废物大督查" in listing
    detail = client.get(f"/cases/campaigns/{campaign.pk}/").content.decode()
    assert 'data-submitted="1"' in detail
    assert client.get("/cases/campaigns/new/").status_code == 200
    assert login(client, world.clerk).get("/cases/campaigns/new/").status_code == 403


def test_api_lists_are_scoped_and_create_inspection_and_finding(client, world):
    submitted_with_finding(world)
    login(client, world.stranger)
    assert client.get("/api/v1/inspections/").json()["count"] == 0
    login(client, world.clerk)
    assert client.get("/api/v1/findings/").json()["count"] == 1
    refused = client.post(
        "/api/v1/inspections/",
        {
            "checklist": world.checklist("hazardous").pk,
            "site": world.factory_site.pk,
            "inspected_on": timezone.localdate().isoformat(),
            "inspectors": "自查",
        },
        content_type="application/json",
    )
    assert refused.status_code == 403
    login(client, world.county_weidu)
    created = client.post(
        "/api/v1/inspections/",
        {
            "checklist": world.checklist("hazardous").pk,
            "site": world.factory_site.pk,
            "inspected_on": timezone.localdate().isoformat(),
            "inspectors": "张三",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    lon, lat = world.inside(world.changge)
    outside = client.post(
        "/api/v1/findings/",
        {
            "inspection": created.json()["id"],
            "description": "x",
            "severity": "minor",
            "lon": lon,
            "lat": lat,
        },
        content_type="application/json",
    )
    assert outside.status_code == 400
    assert outside.json()["code"] == "outside_region"
    with_photo = client.post(
        "/api/v1/findings/",
        {
            "inspection": created.json()["id"],
            "description": "无标识",
            "severity": "minor",
            "photo": photo("p.png"),
        },
    )
    assert with_photo.status_code == 201, with_photo.json()
    assert with_photo.json()["photo_url"].endswith("/photo/")


def test_official_issues_an_order_and_registers_a_yard_from_the_inspection_page(client, world):
    inspection, finding = submitted_with_finding(world)
    login(client, world.county_weidu)
    page = client.get(f"/cases/inspections/{inspection.pk}/").content.decode()
    assert f"/cases/findings/{finding.pk}/order/" in page
    today = timezone.localdate()
    response = client.post(
        f"/cases/findings/{finding.pk}/order/",
        {"requirement": "限期完善防渗", "issued_on": today, "deadline": today},
        follow=True,
    )
    assert "整改期限须晚于下达日期" in response.content.decode()
    response = client.post(
        f"/cases/findings/{finding.pk}/order/",
        {"requirement": "限期完善防渗", "issued_on": today, "deadline": today + timedelta(days=30)},
    )
    order = RectificationOrder.objects.get(finding=finding)
    assert response["Location"] == f"/cases/orders/{order.pk}/"
    response = client.post(
        f"/cases/findings/{finding.pk}/register/", {"name": "厂外炉渣堆场", "kind": "storage_yard"}
    )
    entry = DumpSite.objects.get(name="厂外炉渣堆场")
    assert response["Location"] == f"/cases/dumpsites/{entry.pk}/"
    assert (entry.party, entry.state) == (world.factory, DumpSiteState.FOUND)
    login(client, world.clerk)
    assert (
        client.post(
            f"/cases/findings/{finding.pk}/register/", {"name": "x", "kind": "storage_yard"}
        ).status_code
        == 403
    )
