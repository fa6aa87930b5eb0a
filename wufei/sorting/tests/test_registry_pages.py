"""The registry pages through the test client, for each role: lists, details, forms, the
printable household cards with their QR codes, the week of shifts, the phone check form,
training attendance, and the guide's home."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wufei.sorting import registry_services as services
from wufei.sorting.models import Attendance, Community, Household, Shift, ShiftStatus, Station
from wufei.sorting.tests.test_registry_world import PNG, module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def w(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def as_(client, w):
    def login(role):
        client.force_login(w.users[role])
        return client

    return login


def today():
    return timezone.localdate()


LISTS = [
    "/sorting/communities/",
    "/sorting/households/",
    "/sorting/stations/",
    "/sorting/guides/",
    "/sorting/shifts/",
    "/sorting/checks/",
    "/sorting/trainings/",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("role", ["city", "county", "urban", "guide", "county_yuzhou"])
def test_lists_open_for_officials_and_guides(as_, url, role):
    assert as_(role).get(url).status_code == 200


@pytest.mark.parametrize("url", LISTS)
def test_lists_are_closed_to_the_public_and_ask_the_anonymous_to_log_in(client, as_, url):
    assert client.get(url).status_code == 302
    assert as_("public").get(url).status_code == 403


def test_a_county_sees_only_its_communities_with_counts_and_rates(as_, w):
    services.households_register(
        actor=w.users["city"], community=w.compound, count=100, today=today()
    )
    html = as_("county").get("/sorting/communities/").content.decode()
    assert "西大街道测试小区" in html and "东大街道测试小区" in html
    assert "禹州测试村" not in html
    assert "25.0%" in html  # 100 of 400 households registered
    html = as_("county_yuzhou").get("/sorting/communities/").content.decode()
    assert "禹州测试村" in html and "西大街道测试小区" not in html
    guide = as_("guide").get("/sorting/communities/").content.decode()
    assert "西大街道测试小区" in guide and "东大街道测试小区" not in guide


def test_community_filters_by_street_kind_and_pilot(as_, w):
    client = as_("city")
    page = client.get("/sorting/communities/?street=411002002").content.decode()
    assert "东大街道测试小区" in page and "西大街道测试小区" not in page
    page = client.get("/sorting/communities/?kind=village").content.decode()
    assert "禹州测试村" in page and "西大街道测试小区" not in page
    page = client.get("/sorting/communities/?is_pilot=true").content.decode()
    assert "西大街道测试小区" in page and "西大街道无场所小区" not in page
    page = client.get("/sorting/communities/?region=411081").content.decode()
    assert "禹州测试村" in page and "东大街道测试小区" not in page
    export = client.get("/sorting/communities/?format=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")


def test_community_detail_shows_stations_with_times_and_guides(as_, w):
    response = as_("county").get(f"/sorting/communities/{w.compound.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "3号楼投放点" in html and "07:00-09:00、18:00-21:00" in html and "王督导" in html
    assert f"/sorting/communities/{w.compound.pk}/register/" in html
    assert f"H{w.site.pk:06d}" in html


@pytest.mark.parametrize(
    ("role", "status"), [("county_yuzhou", 404), ("east_guide", 404), ("public", 403)]
)
def test_community_detail_of_another_place(as_, w, role, status):
    assert as_(role).get(f"/sorting/communities/{w.compound.pk}/").status_code == status


def test_a_county_official_adds_and_edits_a_community_through_the_form(as_, w):
    client = as_("county")
    assert client.get("/sorting/communities/new/").status_code == 200
    response = client.post(
        "/sorting/communities/new/",
        {"kind": "compound", "name": "表单新小区", "region": w.west.pk, "households_total": 90},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    community = Community.objects.get(name="表单新小区")
    refused = client.post(
        f"/sorting/communities/{community.pk}/edit/",
        {
            "kind": "compound",
            "name": "表单新小区",
            "region": w.west.pk,
            "households_total": 90,
            "coarse_sorting": "on",
        },
    )
    assert refused.status_code == 200, refused.status_code
    assert "大类粗分只适用于行政村" in refused.content.decode(), re.findall(
        r'field-error">([^<]*)<', refused.content.decode()
    )


def test_guides_may_not_add_communities(as_):
    assert as_("guide").get("/sorting/communities/new/").status_code == 403


def test_bulk_registration_leads_to_the_new_households_cards(as_, w):
    client = as_("guide")
    page = client.get(f"/sorting/communities/{w.compound.pk}/register/")
    assert page.status_code == 200 and f"H{w.site.pk:06d}0000" in page.content.decode()
    response = client.post(
        f"/sorting/communities/{w.compound.pk}/register/",
        {"unit_labels": "1号楼101\n1号楼102\n\n1号楼103", "with_cards": "on"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("cards/?start=0&count=3")
    units = list(w.compound.households.order_by("code").values_list("unit", "card_number"))
    assert units[0] == ("1号楼101", f"XC{w.compound.pk:06d}0000") and len(units) == 3
    bad = client.post(f"/sorting/communities/{w.compound.pk}/register/", {"count": "0"})
    assert bad.status_code == 200 and w.compound.households.count() == 3


def test_a_guide_of_another_street_cannot_register_here(as_, w):
    url = f"/sorting/communities/{w.compound.pk}/register/"
    assert as_("east_guide").get(url).status_code == 404
    assert as_("enterprise").get(url).status_code in (403, 404)


def test_printable_cards_carry_a_qr_code_per_household(as_, w):
    services.households_register(
        actor=w.users["city"], community=w.compound, count=12, today=today()
    )
    response = as_("county").get(f"/sorting/communities/{w.compound.pk}/cards/?start=0&count=11")
    html = response.content.decode()
    assert response.status_code == 200
    cards = re.findall(r'<div class="hh-card" data-code="([^"]+)">', html)
    assert cards == [f"H{w.site.pk:06d}{i:04d}" for i in range(11)]
    assert html.count("<svg") == 11 and html.count("<path") >= 11
    assert html.count('class="card-sheet"') == 2  # ten cards to an A4 sheet
    assert "西大街道测试小区" in html and "07:00-09:00" in html and "@media print" in html
    page = as_("county").get(f"/sorting/communities/{w.compound.pk}/cards/?start=10&count=5")
    codes = re.findall(r'data-code="([^"]+)"', page.content.decode())
    assert codes == [f"H{w.site.pk:06d}0010", f"H{w.site.pk:06d}0011"]
    odd = as_("county").get(f"/sorting/communities/{w.compound.pk}/cards/?start=x&count=-4")
    assert odd.status_code == 200 and odd.content.decode().count("<svg") == 1


def test_each_card_draws_the_qr_code_of_its_own_code(as_, w):
    import segno

    created = services.households_register(
        actor=w.users["city"], community=w.plain, count=2, today=today()
    )
    html = as_("city").get(f"/sorting/communities/{w.plain.pk}/cards/").content.decode()
    svgs = re.findall(r'<div class="qr">(<svg.*?</svg>)</div>', html, flags=re.S)
    expected = [
        segno.make(h.code, error="m", micro=False).svg_inline(
            scale=4, border=2, omitsize=True, title=h.code
        )
        for h in created
    ]
    assert svgs == expected and svgs[0] != svgs[1]


def test_households_single_registration_masks_the_phone(as_, w):
    client = as_("guide")
    assert client.get(f"/sorting/households/new/?community={w.compound.pk}").status_code == 200
    refused = client.post(
        "/sorting/households/new/", {"community": w.compound.pk, "phone": "12345"}
    )
    assert refused.status_code == 200 and "11 位" in refused.content.decode()
    response = client.post(
        "/sorting/households/new/",
        {"community": w.compound.pk, "unit": "9号楼", "phone": "13812345678"},
    )
    assert response.status_code == 302
    household = Household.objects.get(unit="9号楼")
    assert household.phone_masked == "138****5678"
    detail = client.get(response["Location"]).content.decode()
    assert "138****5678" in detail and "13812345678" not in detail and "<svg" in detail


def test_household_list_detail_lookup_edit_and_deactivate(as_, w):
    (household,) = services.households_register(
        actor=w.users["city"], community=w.compound, count=1, with_cards=True, today=today()
    )
    client = as_("county")
    listing = client.get(f"/sorting/households/?community={w.compound.pk}").content.decode()
    assert household.code in listing
    by_card = client.get(f"/sorting/households/lookup/?code={household.card_number.lower()}")
    assert by_card["Location"] == f"/sorting/households/{household.pk}/"
    missing = client.get("/sorting/households/lookup/?code=H0000000000")
    assert missing.status_code == 302 and "q=H0000000000" in missing["Location"]
    edit = client.post(f"/sorting/households/{household.pk}/edit/", {"unit": "新门牌", "phone": ""})
    assert edit.status_code == 302
    client.post(f"/sorting/households/{household.pk}/deactivate/")
    household.refresh_from_db()
    assert household.unit == "新门牌" and not household.is_active
    assert client.get(f"/sorting/households/{household.pk}/deactivate/").status_code == 405
    assert as_("county_yuzhou").get(f"/sorting/households/{household.pk}/").status_code == 404


def test_station_pages_and_the_schedule_form(as_, w):
    client = as_("county")
    detail = client.get(f"/sorting/stations/{w.station.pk}/").content.decode()
    assert "07:00-09:00、18:00-21:00" in detail and "王督导" in detail
    response = client.post(
        "/sorting/stations/new/",
        {
            "kind": "hazardous",
            "name": "有害垃圾暂存点",
            "community": w.compound.pk,
            "schedule": "09:00-10:00, 08:30-09:30",
        },
    )
    assert response.status_code == 200 and "投放时段重叠" in response.content.decode()
    response = client.post(
        "/sorting/stations/new/",
        {
            "kind": "hazardous",
            "name": "有害垃圾暂存点",
            "community": w.compound.pk,
            "schedule": "19:00-20:00",
        },
    )
    assert response.status_code == 302
    station = Station.objects.get(name="有害垃圾暂存点")
    assert station.region == w.west and station.schedule == [["19:00", "20:00"]]
    edit = client.get(f"/sorting/stations/{station.pk}/edit/").content.decode()
    assert 'value="19:00-20:00"' in edit
    assert as_("guide").get(f"/sorting/stations/{station.pk}/edit/").status_code == 403


def test_guide_pages_plan_shifts_and_deactivate(as_, w):
    client = as_("county")
    detail = client.get(f"/sorting/guides/{w.guide.pk}/").content.decode()
    assert "3号楼投放点" in detail and "排班" in detail
    start = today()
    response = client.post(
        f"/sorting/guides/{w.guide.pk}/plan/",
        {"station": w.station.pk, "start": start.isoformat(), "end": start.isoformat()},
    )
    assert response.status_code == 302
    assert Shift.objects.filter(guide=w.guide, day=start).count() == 2
    week = client.get(f"/sorting/shifts/?street=411002001&week={start.isoformat()}")
    html = week.content.decode()
    assert week.status_code == 200 and "3号楼投放点" in html and "王督导" in html
    client.post(f"/sorting/guides/{w.guide.pk}/deactivate/")
    assert not type(w.guide).objects.get(pk=w.guide.pk).is_active
    assert as_("guide").get(f"/sorting/guides/{w.guide.pk}/plan/").status_code == 403


def test_a_guide_checks_in_from_the_week_and_may_not_mark_absence(as_, w):
    day = today()
    services.shifts_plan(
        actor=w.users["city"], guide=w.guide, station=w.station, start=day, end=day
    )
    shift = Shift.objects.get(guide=w.guide, day=day, starts=time(7))
    client = as_("guide")
    refused = client.post(f"/sorting/shifts/{shift.pk}/absent/", follow=True)
    assert refused.status_code == 403
    client.post(f"/sorting/shifts/{shift.pk}/check-in/")
    shift.refresh_from_db()
    now = timezone.localtime()
    opens = timezone.make_aware(datetime.combine(day, time(6, 30)))
    closes = timezone.make_aware(datetime.combine(day, time(9)))
    expected = ShiftStatus.ON_DUTY if opens <= now <= closes else ShiftStatus.PLANNED
    assert shift.status == expected


def test_the_phone_check_form_with_a_photo(as_, w):
    client = as_("guide")
    page = client.get(f"/sorting/checks/new/?station={w.station.pk}")
    html = page.content.decode()
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in html
    assert 'name="viewport"' in html and "东大街投放点" not in html
    response = client.post(
        "/sorting/checks/new/",
        {
            "station": w.station.pk,
            "score": "72",
            "bins_clean": "on",
            "mixed": "on",
            "note": "混投较多",
            "photo": SimpleUploadedFile("p.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    check = w.station.checks.get()
    assert check.mixed and check.score == 72 and check.guide == w.guide
    photo = client.get(f"/sorting/checks/{check.pk}/photo/")
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == PNG
    bad = client.post("/sorting/checks/new/", {"station": w.station.pk, "score": "120"})
    assert bad.status_code == 200 and w.station.checks.count() == 1
    assert "得分" in bad.content.decode()
    assert as_("east_guide").get(f"/sorting/checks/{check.pk}/photo/").status_code == 404
    assert as_("enterprise").get("/sorting/checks/new/").status_code == 403


def test_training_attendance_form(as_, w):
    session = services.training_create(
        actor=w.users["county"],
        data={
            "title": "督导员专项培训",
            "held_on": today() - timedelta(days=1),
            "place": "西大街道办事处",
            "region": w.west,
        },
    )
    client = as_("county")
    page = client.get(f"/sorting/trainings/{session.pk}/").content.decode()
    assert "王督导" in page and 'data-testid="attendance-form"' in page
    response = client.post(
        f"/sorting/trainings/{session.pk}/",
        {f"present_{w.guide.pk}": "on", f"passed_{w.guide.pk}": "yes"},
    )
    assert response.status_code == 302
    record = Attendance.objects.get(training=session, guide=w.guide)
    assert record.present and record.passed
    guide_page = client.get(f"/sorting/guides/{w.guide.pk}/").content.decode()
    assert "督导员专项培训" in guide_page
    listing = client.get("/sorting/trainings/").content.decode()
    assert "督导员专项培训" in listing
    read_only = as_("guide").get(f"/sorting/trainings/{session.pk}/")
    assert read_only.status_code == 200 and "王督导" in read_only.content.decode()
    assert 'data-testid="attendance-form"' not in read_only.content.decode()
    assert as_("guide").post(f"/sorting/trainings/{session.pk}/", {}).status_code == 403


def test_the_guides_home(as_, w):
    day = today()
    services.shifts_plan(
        actor=w.users["city"], guide=w.guide, station=w.station, start=day, end=day
    )
    html = as_("guide").get("/").content.decode()
    assert 'data-testid="today-shifts"' in html
    assert "07:00-09:00" in html and "18:00-21:00" in html and "3号楼投放点" in html
    assert "/sorting/checks/new/" in html and "/sorting/households/new/" in html
    assert "西大街道测试小区" in html and "东大街道测试小区" not in html
    unlinked = as_("east_guide")
    Station.objects.filter(pk=w.east_station.pk).update(is_active=False)
    assert unlinked.get("/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/sorting/communities/", "/sorting/households/", "/sorting/guides/"]
)
def test_list_queries_do_not_grow_with_the_rows(as_, w, url, django_assert_max_num_queries):
    client = as_("city")
    services.households_register(
        actor=w.users["city"], community=w.compound, count=5, today=today()
    )
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    services.households_register(actor=w.users["city"], community=w.plain, count=40, today=today())
    for n in range(3):
        services.guide_create(
            actor=w.users["city"],
            data={"name": f"新督导{n}", "region": w.west, "stations": [w.station]},
        )
    with django_assert_max_num_queries(len(few)):
        client.get(url)
