"""The report pages through the test client: the resident's phone form with its human check,
honeypot and rate limit, the follow page (public things only) with the rating, the lookup,
and the officials' list, report page, actions, photos and stage limits, by scope."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wufei.cases import reports
from wufei.cases.human_check import client_key
from wufei.cases.models import Report, ReportStage, StageLimit
from wufei.cases.tests.test_report_human_check import solve
from wufei.cases.tests.world import photo
from wufei.manifests.tests.world import user

pytestmark = pytest.mark.django_db

NEW, LOOKUP = "/public/reports/new/", "/public/reports/"
QUESTION = re.compile(r"data-question>([^<]+)<")
TOKEN = re.compile(r'name="human_token" value="([^"]+)"')


def ask(page) -> dict:
    html = page.content.decode()
    return {
        "human_token": TOKEN.search(html)[1],
        "human_answer": str(solve(QUESTION.search(html)[1])),
    }


def form(world, **overrides) -> dict:
    values = {
        "kind": "dumping",
        "description": "河边有人倾倒建筑垃圾。",
        "lon": str(world.weidu.center_lon),
        "lat": str(world.weidu.center_lat),
        "address": "清潩河东岸",
        "contact": "",
        "website": "",
    }
    values.update(overrides)
    return values


def key_of_test_client() -> str:
    return client_key(type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})())


def filed(world, **overrides) -> Report:
    data = {**form(world), **overrides}
    return reports.report_file(data=data, photo=None, client_key="p" * 64)


# --- the resident's form -----------------------------------------------------------------------


def test_the_phone_form_files_a_report_and_shows_the_code(client, world):
    page = client.get(NEW)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="viewport"' in html
    assert "乱倒乱堆垃圾" in html and 'capture="environment"' in html
    assert "navigator.geolocation" in html
    answer = client.post(NEW, {**form(world), **ask(page), "photo": photo("scene.jpg")})
    report = Report.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/public/reports/{report.code}/?new=1"
    assert report.photo and report.client_key == key_of_test_client()
    shown = client.get(answer["Location"]).content.decode()
    assert 'data-testid="code"' in shown and report.code in shown
    assert "已受理" in shown


def test_a_wrong_answer_files_nothing_and_asks_anew_with_every_error(client, world):
    page = client.get(NEW)
    asked = ask(page)
    wrong = str(int(asked["human_answer"]) + 1)
    answer = client.post(NEW, {**form(world, lon="", lat=""), **asked, "human_answer": wrong})
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "验证题答案不正确" in html
    assert "请在地图上选择或定位问题发生的位置" in html  # the other error is shown at once
    assert TOKEN.search(html)[1] != asked["human_token"]
    assert not Report.objects.exists()
    assert "河边有人倾倒建筑垃圾" in html  # what was typed is kept


def test_no_place_with_a_right_answer_files_nothing(client, world):
    page = client.get(NEW)
    answer = client.post(NEW, {**form(world, lon="", lat=""), **ask(page)})
    assert answer.status_code == 400
    assert 'data-testid="place-error"' in answer.content.decode()
    assert not Report.objects.exists()
    again = client.post(NEW, {**form(world), **ask(answer)})  # the new question works
    assert again.status_code == 302


def test_a_filled_honeypot_files_nothing(client, world):
    page = client.get(NEW)
    answer = client.post(NEW, {**form(world, website="http://x.example"), **ask(page)})
    assert answer.status_code == 400
    assert "提交未通过校验" in answer.content.decode()
    assert not Report.objects.exists()


def test_the_form_is_throttled_per_address(client, world):
    now = timezone.now()
    for minutes in range(5):
        reports.report_file(
            data=form(world),
            photo=None,
            client_key=key_of_test_client(),
            now=now - timedelta(minutes=50 - minutes),
        )
    page = client.get(NEW)
    answer = client.post(NEW, {**form(world), **ask(page)})
    assert answer.status_code == 429
    assert 0 < int(answer["Retry-After"]) <= 600
    assert 'data-testid="throttled"' in answer.content.decode()
    assert Report.objects.count() == 5


# --- following and rating ---------------------------------------------------------------------


def test_the_follow_page_shows_public_things_only(client, world):
    report = filed(world, contact="13700137000")
    report.events.create(
        action="link_alert", stage="received", note="预警 #99 豫K12345", public=False
    )
    html = client.get(f"/public/reports/{report.code}/").content.decode()
    assert report.code in html and "乱倒乱堆垃圾" in html and "魏都区" in html
    for secret in (
        "137****7000",
        str(report.lat),
        "豫K12345",
        report.client_key,
        "请对办理结果评价",
    ):
        assert secret not in html


def test_rating_an_answered_report_closes_it(client, world):
    report = filed(world)
    reports.report_assign(actor=world.city, report=report)
    reports.report_handle(actor=world.city, report=report, note="已清理", photo=photo())
    reports.report_answer(actor=world.city, report=report, answer="已清理完毕，谢谢。")
    url = f"/public/reports/{report.code}/"
    html = client.get(url).content.decode()
    assert "请对办理结果评价" in html and "已清理完毕，谢谢。" in html
    refused = client.post(url, {"rating": "9"})
    assert refused.status_code == 400
    report.refresh_from_db()
    assert report.stage == ReportStage.ANSWERED
    done = client.post(url, {"rating": "5", "comment": "满意"}, follow=True)
    assert "感谢您的评价" in done.content.decode()
    report.refresh_from_db()
    assert (report.stage, report.rating, report.rating_comment) == ("closed", 5, "满意")
    assert "已办结" in done.content.decode()
    late = client.post(url, {"rating": "1"}, follow=True)
    assert "答复后才能评价" in late.content.decode()


def test_the_lookup_finds_a_code_as_typed(client, world):
    report = filed(world)
    typed = f" {report.code[:5].lower()}-{report.code[5:]} "
    assert client.get(LOOKUP, {"code": typed})["Location"] == f"/public/reports/{report.code}/"
    missing = client.get(LOOKUP, {"code": "ZZZZZZZZZZ"})
    assert missing.status_code == 200 and "没有这个查询码" in missing.content.decode()
    assert client.get("/public/reports/ZZZZZZZZZZ/").status_code == 404


# --- officials ---------------------------------------------------------------------------------


def test_the_list_by_scope_and_filters(client, world):
    mine = filed(world)
    theirs = filed(world, lon=str(world.changge.center_lon), lat=str(world.changge.center_lat))
    assert client.get("/cases/reports/").status_code == 302  # log in first
    client.force_login(user(role="public"))
    assert client.get("/cases/reports/").status_code == 403
    client.force_login(world.county_weidu)
    html = client.get("/cases/reports/").content.decode()
    assert mine.code in html and theirs.code not in html
    client.force_login(world.city)
    assert theirs.code in client.get("/cases/reports/").content.decode()
    by_county = client.get("/cases/reports/", {"county": "411082"}).content.decode()
    assert theirs.code in by_county and mine.code not in by_county
    Report.objects.filter(pk=mine.pk).update(
        escalations=1, due_at=timezone.now() - timedelta(hours=1)
    )
    overdue = client.get("/cases/reports/", {"overdue": "true"}).content.decode()
    assert mine.code in overdue and theirs.code not in overdue
    escalated = client.get("/cases/reports/", {"escalated": "true"}).content.decode()
    assert mine.code in escalated and theirs.code not in escalated
    workbook = client.get("/cases/reports/", {"format": "xlsx", "county": "411002"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    codes = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert mine.code in codes and theirs.code not in codes
    points = client.get("/cases/reports/points.json").json()["points"]
    assert {p["code"] for p in points} == {mine.code, theirs.code}


def test_an_official_moves_a_report_through_the_pages(client, world):
    report = filed(world)
    url = f"/cases/reports/{report.pk}/"
    client.force_login(world.county_changge)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}assign/", {}).status_code == 404
    client.force_login(world.county_weidu)
    html = client.get(url).content.decode()
    assert 'data-testid="assign"' in html and 'data-testid="answer"' not in html
    client.post(f"{url}assign/", {"department": report.department_id, "note": "请清理"})
    report.refresh_from_db()
    assert report.stage == "assigned"
    refused = client.post(f"{url}handle/", {"note": "已清理"}, follow=True)
    assert "请上传处置后的现场照片" in refused.content.decode()
    client.post(f"{url}handle/", {"note": "已清理", "photo": photo("after.png")})
    client.post(f"{url}answer/", {"answer": "已于当日清理。"})
    report.refresh_from_db()
    assert (report.stage, report.answer) == ("answered", "已于当日清理。")
    event = report.events.get(action="handle")
    assert client.get(f"/cases/reports/events/{event.pk}/photo/").status_code == 200
    client.force_login(world.county_changge)
    assert client.get(f"/cases/reports/events/{event.pk}/photo/").status_code == 404
    client.force_login(world.county_weidu)
    assert client.post(f"{url}fly/").status_code == 404
    wrong = client.post(f"{url}reject/", {"reason": "重复"}, follow=True)
    assert "不能不予受理" in wrong.content.decode()


def test_the_residents_photo_is_for_those_who_see_the_report(client, world):
    report = reports.report_file(data=form(world), photo=photo("scene.jpg"), client_key="q" * 64)
    client.force_login(world.county_weidu)
    assert client.get(f"/cases/reports/{report.pk}/photo/").status_code == 200
    client.force_login(world.county_changge)
    assert client.get(f"/cases/reports/{report.pk}/photo/").status_code == 404


def test_the_stage_limits_page(client, world):
    client.force_login(world.county_weidu)
    page = client.get("/cases/reports/limits/").content.decode()
    assert "已受理" in page and 'name="hours_received"' not in page
    assert client.post("/cases/reports/limits/", {"hours_received": "5"}).status_code == 403
    client.force_login(world.city)
    assert 'name="hours_received"' in client.get("/cases/reports/limits/").content.decode()
    bad = client.post("/cases/reports/limits/", {"hours_received": "0", "hours_assigned": "72"})
    assert "时限须为 1 至 2160 小时" in bad.content.decode()
    assert StageLimit.objects.get(stage="received").hours == 24
    done = client.post(
        "/cases/reports/limits/",
        {
            "hours_received": "12",
            "hours_assigned": "72",
            "hours_handled": "24",
            "hours_answered": "168",
        },
    )
    assert done.status_code == 302
    assert StageLimit.objects.get(stage="received").hours == 12


def test_the_report_addresses():
    assert reverse("report-public:new") == "/public/reports/new/"
    assert reverse("report-public:lookup") == "/public/reports/"
    assert reverse("report-public:follow", args=["ABCDEFGHJK"]) == "/public/reports/ABCDEFGHJK/"
    assert reverse("reports:list") == "/cases/reports/"
    assert reverse("reports:detail", args=[7]) == "/cases/reports/7/"
    assert reverse("reports:limits") == "/cases/reports/limits/"
    assert reverse("cases/reports-list") == "/api/v1/cases/reports/"
    assert (
        reverse("cases/reports-detail", args=["ABCDEFGHJK"]) == "/api/v1/cases/reports/ABCDEFGHJK/"
    )
