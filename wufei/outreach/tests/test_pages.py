"""The pages through the test client: the public ones without an account (events, booking with
the human check, the booking by its code, the survey), and the officials' ones by scope (events,
the door check-in, the bookings export, the survey results)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wufei.outreach import services
from wufei.outreach.models import Booking, BookingStatus, Event, EventKind, SurveyResponse
from wufei.outreach.tests.conftest import Town, new_key

pytestmark = pytest.mark.django_db

QUESTION = re.compile(r"(\d+) (加|减) (\d+) 等于几")
TOKEN = re.compile(r'name="human_token" value="([^"]+)"')


def solve(html: str) -> dict:
    """The human check as a person answers it: read the sum, do it."""
    a, op, b = QUESTION.search(html).groups()
    value = int(a) + int(b) if op == "加" else int(a) - int(b)
    return {"human_token": TOKEN.search(html).group(1), "human_answer": str(value)}


def text(response) -> str:
    return response.content.decode()


# --- public pages ---------------------------------------------------------------------------------


def test_the_public_event_list_shows_upcoming_published_events(client, town: Town):
    now = timezone.now()
    town.event(title="再生资源开放日", capacity=12)
    lecture = town.event(kind=EventKind.TRAINING, host=None, title="垃圾分类讲座", capacity=5)
    services.book(event=lecture, name="王五", phone="13700000000", people=5, client_key="k")
    town.event(title="草稿活动", publish=False)
    past = town.event(title="去年的活动")
    Event.objects.filter(pk=past.pk).update(
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=1),
        booking_closes_at=now - timedelta(days=4),
    )
    page = client.get("/public/events/")
    assert page.status_code == 200
    body = text(page)
    assert 'name="viewport"' in body
    assert "再生资源开放日" in body and "剩余 12 个名额" in body
    assert "垃圾分类讲座" in body and "已约满" in body
    assert "草稿活动" not in body and "去年的活动" not in body
    only = text(client.get("/public/events/", {"kind": "training"}))
    assert "垃圾分类讲座" in only and "再生资源开放日" not in only
    draft = Event.objects.get(title="草稿活动")
    assert client.get(f"/public/events/{draft.pk}/").status_code == 404


def test_booking_on_the_phone_page_shows_the_code(client, town: Town):
    event = town.event(capacity=3)
    url = f"/public/events/{event.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "验证题" in text(page)
    form = {"name": "赵六", "phone": "13912345678", "people": "2", **solve(text(page))}
    wrong = client.post(url, {**form, "human_answer": "99"})
    assert wrong.status_code == 200 and "验证题答案不正确" in text(wrong)
    assert not Booking.objects.exists()
    done = client.post(url, {**form, **solve(text(wrong))}, follow=True)
    booking = Booking.objects.get()
    assert done.redirect_chain[-1][0] == f"/public/events/booking/{booking.code}/?new=1"
    assert "预约成功" in text(done) and booking.code in text(done)
    assert "139****5678" in text(done) and "13912345678" not in text(done)
    event.refresh_from_db()
    assert event.booked == 2
    again = client.get(url)
    too_many = client.post(url, {**form, **solve(text(again))})  # 2 more, 1 left
    assert "只剩 1 个名额" in text(too_many)
    bot = client.post(url, {**form, **solve(text(too_many)), "people": "1", "website": "x"})
    assert "提交未通过校验" in text(bot)
    assert Booking.objects.count() == 1


def test_a_bad_phone_comes_back_on_its_field(client, town: Town):
    event = town.event()
    url = f"/public/events/{event.pk}/"
    page = client.get(url)
    response = client.post(
        url, {"name": "赵六", "phone": "12345", "people": "1", **solve(text(page))}
    )
    assert "请填写 11 位手机号码" in text(response)
    assert 'data-field="phone"' in text(response)
    assert not Booking.objects.exists()


def test_a_flood_of_bookings_from_one_address_is_throttled(client, town: Town):
    event = town.event(capacity=40)
    url = f"/public/events/{event.pk}/"
    html = text(client.get(url, REMOTE_ADDR="10.1.2.3"))
    for _i in range(4):
        form = {"name": "钱七", "phone": "13912345678", "people": "1", **solve(html)}
        response = client.post(url, form, REMOTE_ADDR="10.1.2.3")
        html = text(response) if response.status_code == 200 else text(client.get(url))
    assert "1 小时内最多预约 3 次" in html
    assert Booking.objects.count() == 3


def test_the_booking_by_its_code_and_cancelling(client, town: Town):
    event = town.event(capacity=4)
    booking = services.book(
        event=event, name="孙八", phone="13512345678", people=3, client_key=new_key()
    )
    found = client.get("/public/events/booking/", {"code": booking.code.lower()})
    assert found.status_code == 302 and found.url.endswith(f"/{booking.code}/")
    page = client.get(found.url)
    assert "取消预约" in text(page) and "已预约" in text(page)
    cancelled = client.post(f"/public/events/booking/{booking.code}/cancel/", follow=True)
    assert "预约已取消" in text(cancelled) and "已取消" in text(cancelled)
    event.refresh_from_db()
    assert event.booked == 0
    assert client.get("/public/events/booking/ZZZZ9999/").status_code == 404
    assert client.post("/public/events/booking/ZZZZ9999/cancel/").status_code == 404


def test_the_survey_page(client, town: Town):
    page = client.get("/public/survey/")
    body = text(page)
    assert page.status_code == 200
    assert "您对许昌“无废城市”建设了解吗？" in body and "非常了解" in body
    form = {"region": town.weidu.pk, "comment": "垃圾分类做得不错", **solve(body)}
    form.update(dict.fromkeys(services.DIMENSIONS, "4"))
    missing = client.post("/public/survey/", {**form, "gain": ""})
    assert "请回答这一题" in text(missing)
    assert not SurveyResponse.objects.exists()
    done = client.post("/public/survey/", {**form, **solve(text(missing))}, follow=True)
    assert "感谢您的参与" in text(done)
    saved = SurveyResponse.objects.get()
    assert (saved.region, saved.gain, saved.comment) == (town.weidu, 4, "垃圾分类做得不错")
    assert "本季度已经填写过" in text(client.get("/public/survey/"))
    other = client.get("/public/survey/", REMOTE_ADDR="10.9.9.9")
    assert "survey-form" in text(other)


# --- officials' pages -----------------------------------------------------------------------------


def test_officials_pages_need_a_login(client, town: Town):
    event = town.event()
    for url in ("/outreach/events/", f"/outreach/events/{event.pk}/", "/outreach/survey/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(town.users["public"])  # a resident's account: the public pages
    for url in ("/outreach/events/", f"/outreach/events/{event.pk}/", "/outreach/survey/"):
        assert client.get(url).status_code == 403


def test_a_county_official_organises_an_event(client, town: Town):
    client.force_login(town.users["county"])
    now = timezone.localtime() + timedelta(days=5)
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        "/outreach/events/new/",
        {
            "kind": "training",
            "title": "社区垃圾分类讲座",
            "region": town.street.pk,
            "place": "西大街道社区活动室",
            "starts_at": now.strftime(fmt),
            "ends_at": (now + timedelta(hours=2)).strftime(fmt),
            "booking_closes_at": (now - timedelta(days=1)).strftime(fmt),
            "capacity": "30",
            "description": "",
        },
    )
    event = Event.objects.get(title="社区垃圾分类讲座")
    assert response.status_code == 302 and response.url == f"/outreach/events/{event.pk}/"
    assert not event.is_published
    detail = client.get(response.url)
    assert "未发布" in text(detail) and "发布" in text(detail)
    client.post(f"/outreach/events/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.is_published
    bad = client.post(
        f"/outreach/events/{event.pk}/edit/",
        {
            "kind": "training",
            "title": "社区垃圾分类讲座",
            "region": town.street.pk,
            "place": "西大街道社区活动室",
            "starts_at": now.strftime(fmt),
            "ends_at": (now - timedelta(hours=2)).strftime(fmt),
            "booking_closes_at": (now - timedelta(days=1)).strftime(fmt),
            "capacity": "30",
        },
    )
    assert bad.status_code == 200 and "结束时间须晚于开始时间" in text(bad)
    client.force_login(town.users["county_yuzhou"])
    assert client.get(f"/outreach/events/{event.pk}/").status_code == 404
    assert client.get(f"/outreach/events/{event.pk}/edit/").status_code == 404
    assert "社区垃圾分类讲座" not in text(client.get("/outreach/events/"))


def test_the_host_checks_bookings_in_and_exports_them(client, town: Town):
    event = town.event(town.users["recycler"], capacity=10)
    first = services.book(event=event, name="周九", phone="13612345678", people=2, client_key="a")
    services.book(event=event, name="吴十", phone="13612340000", people=1, client_key="b")
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5),
        booking_closes_at=timezone.now() - timedelta(minutes=10),
    )
    client.force_login(town.users["recycler"])
    page = client.get(f"/outreach/events/{event.pk}/")
    assert "周九" in text(page) and "136****5678" in text(page)
    client.post(f"/outreach/events/{event.pk}/check-in/", {"code": first.code.lower()})
    first.refresh_from_db()
    assert first.status == BookingStatus.ATTENDED
    wrong = client.post(f"/outreach/events/{event.pk}/check-in/", {"code": "XXXX"}, follow=True)
    assert "没有预约码为 XXXX 的预约" in text(wrong)
    client.post(f"/outreach/bookings/{first.pk}/attended/", {"attended": "0"})
    first.refresh_from_db()
    assert first.status == BookingStatus.BOOKED
    export = client.get(f"/outreach/events/{event.pk}/bookings.xlsx")
    assert export.status_code == 200 and export["X-Row-Count"] == "2"
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert {r[1] for r in rows} == {"周九", "吴十"}
    assert {r[2] for r in rows} == {"136****5678", "136****0000"}
    client.force_login(town.users["factory"])  # another company sees nothing of it
    assert client.get(f"/outreach/events/{event.pk}/").status_code == 404
    assert client.get(f"/outreach/events/{event.pk}/bookings.xlsx").status_code == 404
    assert client.post(f"/outreach/bookings/{first.pk}/attended/").status_code == 404


def test_cancelling_an_event_from_its_page(client, town: Town):
    event = town.event()
    services.book(event=event, name="郑一", phone="13912345678", people=2, client_key="a")
    client.force_login(town.users["county"])
    response = client.post(f"/outreach/events/{event.pk}/cancel/", follow=True)
    assert "活动已取消" in text(response) and "已取消" in text(response)
    event.refresh_from_db()
    assert event.booked == 0 and not event.is_published
    client.force_login(town.users["department"])  # reads, does not organise
    assert "取消活动" not in text(client.get(f"/outreach/events/{event.pk}/"))
    denied = client.post(f"/outreach/events/{event.pk}/publish/", follow=True)
    assert denied.status_code == 403


def test_the_survey_results_page_by_scope(client, town: Town):
    now = timezone.now()
    services.survey_submit(
        region=town.weidu, scores=dict.fromkeys(services.DIMENSIONS, 4), client_key="a", now=now
    )
    services.survey_submit(
        region=town.yuzhou, scores=dict.fromkeys(services.DIMENSIONS, 2), client_key="b", now=now
    )
    client.force_login(town.users["city"])
    page = text(client.get("/outreach/survey/"))
    assert 'data-region="411002"' in page and 'data-region="city"' in page
    assert ">80.0<" in page and ">40.0<" in page and ">60.0<" in page  # 魏都, 禹州, 全市
    client.force_login(town.users["county"])
    page = text(client.get("/outreach/survey/"))
    assert 'data-region="411002"' in page and 'data-region="411081"' not in page
    assert 'data-region="city"' not in page
    whole_year = text(client.get("/outreach/survey/", {"year": now.year, "quarter": "all"}))
    assert ">80.0<" in whole_year
    client.force_login(town.users["recycler"])
    assert client.get("/outreach/survey/").status_code == 403
