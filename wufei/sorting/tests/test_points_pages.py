"""The points pages and API through the test client: the guide's phone page (errors inline in
Chinese, the register link, a double tap), the lists with their filters and lineage, the ledger
with a correction, a redemption, a flag review, the limits and the rules (new versions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.iot.models import Threshold
from wufei.sorting import absorb, points
from wufei.sorting.models import (
    Drop,
    EntryKind,
    Flag,
    FlagStatus,
    Household,
    PointsEntry,
    PointsRule,
)
from wufei.sorting.points_forms import DropFilterSet
from wufei.sorting.tests.test_points_world import build, deposit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def login(client, user):
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def balance(household) -> int:
    return Household.objects.get(pk=household.pk).points_balance


# --- the guide's phone page ---------------------------------------------------------------------


def test_the_phone_page_offers_scan_four_big_classes_and_records_a_drop(client, world):
    login(client, world.users["guide"])
    page = client.get("/sorting/points/drops/new/")
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["form"]["station"].value() == world.bin_station.pk  # the guide's own
    assert 'capture="environment"' in html and "data-scan" in html and "sorting/drop.js" in html
    for label in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
        assert label in html
    opened = page.context["form"]["opened_at"].value()
    h = world.households[0]
    data = {
        "household_code": h.code.lower(),
        "waste_class": "kitchen",
        "weight_kg": "2.4",
        "correct": "1",
        "station": world.bin_station.pk,
        "opened_at": opened,
    }
    response = client.post("/sorting/points/drops/new/", data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?station={world.bin_station.pk}")
    drop = Drop.objects.get()
    assert (drop.household, drop.correct, drop.guide) == (h, True, world.guide)
    assert balance(h) == 2
    follow = client.get(response["Location"])
    assert "积分 +2，余额 2" in follow.content.decode()
    assert follow.context["form"]["station"].value() == str(world.bin_station.pk)
    # a second tap on 提交 (the same page, the same moment) records nothing more
    assert client.post("/sorting/points/drops/new/", data).status_code == 302
    assert Drop.objects.count() == 1


def test_the_phone_page_shows_errors_in_chinese_next_to_the_fields(client, world):
    login(client, world.users["guide"])
    response = client.post(
        "/sorting/points/drops/new/",
        {"household_code": "H0000000999", "waste_class": "", "weight_kg": "80"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "未登记" in html and "请选择四类垃圾中的一类" in html and "不超过 50 千克" in html
    assert 'data-testid="register-link"' in html or response.context["register_url"] is None
    assert not Drop.objects.exists()


def test_the_public_and_signed_out_cannot_open_the_phone_page(client, world):
    assert client.get("/sorting/points/drops/new/").status_code == 302
    login(client, world.users["public"])
    assert client.get("/sorting/points/drops/new/").status_code == 403


# --- lists, lineage, ledger --------------------------------------------------------------------


def test_drop_list_filters_and_lineage_to_the_iot_deposit(client, world):
    h = world.households[0]
    now = timezone.now()
    deposit(world, h.code, "kitchen", "1", now - timedelta(hours=2))
    deposit(world, "H0000990077", "other", "16", now - timedelta(hours=1))
    absorb.absorb_deposits()
    login(client, world.users["county"])
    listing = client.get("/sorting/points/drops/")
    assert listing.context["paginator"].count == 2
    unmatched = client.get("/sorting/points/drops/?unmatched=true")
    assert unmatched.context["paginator"].count == 1
    assert "H0000990077（未登记）" in unmatched.content.decode()
    flagged = client.get("/sorting/points/drops/?flagged=true&source=smart_bin")
    assert flagged.context["paginator"].count == 1
    by_class = client.get(f"/sorting/points/drops/?waste_class=kitchen&community={world.a.pk}")
    assert by_class.context["paginator"].count == 1
    export = client.get("/sorting/points/drops/?format=xlsx")
    assert export["X-Row-Count"] == "2"
    drop = Drop.objects.get(household=h)
    detail = client.get(f"/sorting/points/drops/{drop.pk}/").content.decode()
    assert drop.deposit.message_id in detail and "BIN-TEST-0001" in detail
    assert f"/iot/deposits/?household={h.code}" in detail
    # the other street's guide sees none of them
    login(client, world.users["other_guide"])
    assert client.get("/sorting/points/drops/").context["paginator"].count == 0
    assert client.get(f"/sorting/points/drops/{drop.pk}/").status_code == 404


def test_the_community_filter_still_works_once_the_class_field_is_built(client, world):
    """Building the form field of the class-level filter (drf-spectacular does, generating the
    schema) must not freeze its empty choices into every drop list's filter set."""
    built = DropFilterSet.base_filters["community"].field
    assert not [value for value, _label in built.choices if value]  # the class offers none
    deposit(world, world.households[0].code, "kitchen", "1", timezone.now() - timedelta(hours=1))
    absorb.absorb_deposits()
    login(client, world.users["county"])
    for community, count in ((world.a, 1), (world.b, 0)):
        listing = client.get(f"/sorting/points/drops/?community={community.pk}")
        assert listing.context["paginator"].count == count


def test_the_ledger_shows_the_balance_check_and_an_official_corrects_a_line(client, world):
    h = world.households[0]
    deposit(world, h.code, "hazardous", "0.3", timezone.now() - timedelta(hours=1))
    absorb.absorb_deposits()
    login(client, world.users["guide"])
    page = client.get(f"/sorting/points/households/{h.pk}/").content.decode()
    assert 'data-testid="balance">7<' in page and "余额与流水合计一致" in page
    assert "冲正" not in page.split('data-testid="ledger"')[1].split("</thead>")[1]
    line = PointsEntry.objects.get(household=h, rule__code="hazardous-drop")
    assert (
        client.post(f"/sorting/points/entries/{line.pk}/correct/", {"note": "x"}).status_code == 403
    )
    login(client, world.users["county"])
    response = client.post(f"/sorting/points/entries/{line.pk}/correct/", {"note": "误记"})
    assert response.status_code == 302
    assert balance(h) == 2
    page = client.get(f"/sorting/points/households/{h.pk}/").content.decode()
    assert "已冲正" in page and "余额与流水合计一致" in page


def test_a_redemption_at_the_shop_and_a_refusal_when_short(client, world):
    h = world.households[0]
    deposit(world, h.code, "hazardous", "0.3", timezone.now() - timedelta(hours=1))
    absorb.absorb_deposits()
    login(client, world.users["guide"])
    page = client.get(f"/sorting/points/redemptions/new/?household={h.code}")
    assert page.status_code == 200
    stations = list(page.context["form"].fields["station"].queryset)
    assert stations == [world.shop]
    data = {"household_code": h.code, "station": world.shop.pk, "item": "洗衣液", "points": "9"}
    short = client.post("/sorting/points/redemptions/new/", data)
    assert short.status_code == 400 and "积分不足" in short.content.decode()
    data["points"] = "5"
    assert client.post("/sorting/points/redemptions/new/", data).status_code == 302
    assert balance(h) == 2


# --- flags, limits, rules ----------------------------------------------------------------------


def test_a_flag_is_reviewed_on_its_page(client, world):
    h = world.households[0]
    now = timezone.now()
    deposit(world, h.code, "hazardous", "0.3", now - timedelta(minutes=30))
    deposit(world, h.code, "hazardous", "0.3", now - timedelta(minutes=28))
    absorb.absorb_deposits()
    flag = Flag.objects.get()
    login(client, world.users["guide"])
    page = client.get(f"/sorting/points/flags/{flag.pk}/")
    assert page.status_code == 200 and 'data-testid="review-form"' not in page.content.decode()
    assert client.post(f"/sorting/points/flags/{flag.pk}/", {"verdict": "clear"}).status_code == 403
    login(client, world.users["county"])
    listing = client.get("/sorting/points/flags/?status=open")
    assert listing.context["paginator"].count == 1
    missing_note = client.post(f"/sorting/points/flags/{flag.pk}/", {"verdict": "confirm"})
    assert missing_note.status_code == 400 and "须填写核查意见" in missing_note.content.decode()
    done = client.post(
        f"/sorting/points/flags/{flag.pk}/", {"verdict": "confirm", "note": "重复刷卡"}
    )
    assert done.status_code == 302
    assert Flag.objects.get().status == FlagStatus.CONFIRMED
    assert balance(h) == 7
    assert PointsEntry.objects.filter(kind=EntryKind.CORRECTION).count() == 2


def test_limits_page_changes_a_threshold_for_those_allowed(client, world):
    login(client, world.users["guide"])
    page = client.get("/sorting/points/flags/limits/")
    assert page.status_code == 200 and 'data-testid="read-only"' in page.content.decode()
    refused = client.post("/sorting/points/flags/limits/", {"key": "sorting_max_kitchen_kg"})
    assert refused.status_code == 403
    login(client, world.users["city"])
    bad = client.post(
        "/sorting/points/flags/limits/",
        {"key": "sorting_max_kitchen_kg", "sorting_max_kitchen_kg-value": "99"},
    )
    assert bad.status_code == 400 and "须在" in bad.content.decode()
    good = client.post(
        "/sorting/points/flags/limits/",
        {"key": "sorting_max_kitchen_kg", "sorting_max_kitchen_kg-value": "12"},
    )
    assert good.status_code == 302
    assert Threshold.objects.get(key="sorting_max_kitchen_kg").value == Decimal("12")


def test_rules_get_new_versions_never_rewritten_history(client, world):
    login(client, world.users["county"])
    page = client.get("/sorting/points/rules/")
    assert page.status_code == 200 and 'data-testid="rule-form"' not in page.content.decode()
    assert (
        client.post("/sorting/points/rules/", {"rule": world.rules["drop-any"].pk}).status_code
        == 403
    )
    login(client, world.users["city"])
    today = timezone.localdate()
    rule = world.rules["drop-any"]
    past = client.post(
        "/sorting/points/rules/",
        {"rule": rule.pk, f"v{rule.pk}-points": "2", f"v{rule.pk}-valid_from": "2021-01-01"},
    )
    assert past.status_code == 400 and "不能早于今天" in past.content.decode()
    start = today + timedelta(days=1)
    response = client.post(
        "/sorting/points/rules/",
        {"rule": rule.pk, f"v{rule.pk}-points": "2", f"v{rule.pk}-valid_from": start.isoformat()},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.points == 1 and rule.valid_to == today  # the old version ends, unchanged
    new = PointsRule.objects.get(code=f"drop-any-{start:%Y%m%d}")
    assert (new.points, new.valid_from, new.kind) == (2, start, rule.kind)
    created = client.post(
        "/sorting/points/rules/",
        {
            "new-code": "kitchen-drop",
            "new-name": "厨余垃圾投放",
            "new-kind": "per_drop",
            "new-waste_class": "kitchen",
            "new-points": "1",
            "new-valid_from": start.isoformat(),
        },
    )
    assert created.status_code == 302
    assert PointsRule.objects.get(code="kitchen-drop").waste_class == "kitchen"
    # a drop after the change earns by the new version; one before by the old
    h = world.households[3]
    for day in (today, start):
        moment = timezone.make_aware(datetime.combine(day, datetime.min.time()))
        Drop(
            community=world.a,
            household=h,
            household_code=h.code,
            source="smart_bin",
            waste_class="other",
            weight_kg=Decimal(1),
            dropped_at=moment + timedelta(hours=9),
        ).save()
    points.credit_pending()
    earned = list(
        PointsEntry.objects.filter(household=h, kind=EntryKind.EARN).values_list(
            "rule__code", "delta"
        )
    )
    assert earned == [("drop-any", 1), (new.code, 2)]


# --- the API -------------------------------------------------------------------------------------


def test_api_posts_a_drop_retries_it_and_refuses_bad_input(world):
    guide = api(world.users["guide"])
    h = world.households[0]
    at = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    body = {
        "household_code": h.code,
        "waste_class": "recyclable",
        "weight_kg": "3.2",
        "dropped_at": at,
    }
    first = guide.post("/api/v1/sorting/drops/", body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["points"] == 8 and first.json()["source"] == "guide"
    again = guide.post("/api/v1/sorting/drops/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    for bad, code in (
        ({"household_code": "NOPE"}, "unknown_household"),
        ({"weight_kg": "80"}, "out_of_range"),
        ({"waste_class": "glass"}, "bad_class"),
        ({"dropped_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "in_future"),
        ({"household_code": world.stranger.code}, "unknown_household"),
    ):
        response = guide.post("/api/v1/sorting/drops/", {**body, **bad}, format="json")
        assert response.status_code == 400 and response.json()["code"] == code, bad
    assert Drop.objects.count() == 1
    listing = guide.get("/api/v1/sorting/drops/?waste_class=recyclable").json()
    assert listing["count"] == 1
    ledger = guide.get(f"/api/v1/sorting/ledger/?household_code={h.code}").json()
    assert [r["balance_after"] for r in ledger["results"]] == [1, 7, 8]
    assert (
        api(world.users["other_guide"])
        .get(f"/api/v1/sorting/ledger/?household={h.pk}")
        .json()["count"]
        == 0
    )


def test_api_redemptions_and_flags(world):
    guide = api(world.users["guide"])
    h = world.households[0]
    now = timezone.now()
    deposit(world, h.code, "hazardous", "3", now - timedelta(hours=1))
    absorb.absorb_deposits()
    short = guide.post(
        "/api/v1/sorting/redemptions/",
        {"household_code": h.code, "station": world.shop.pk, "item": "肥皂", "points": 8},
        format="json",
    )
    assert short.status_code == 400 and short.json()["code"] == "insufficient_points"
    ok = guide.post(
        "/api/v1/sorting/redemptions/",
        {"household_code": h.code, "station": world.shop.pk, "item": "肥皂", "points": 7},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["balance_after"] == 0
    flags = guide.get("/api/v1/sorting/flags/?kind=implausible_weight").json()
    assert flags["count"] == 1 and flags["results"][0]["status"] == "open"
    assert APIClient().get("/api/v1/sorting/flags/").status_code in (401, 403)
