"""The public outreach pages in a real browser on a 360×740 phone: a resident finds an open
day, books two places (answering the human check), reads the code, cancels with it, and answers
the satisfaction survey. No script errors and no sideways scroll on any page."""

from __future__ import annotations

import re

import pytest

from wufei.outreach.models import Booking, BookingStatus, SurveyResponse
from wufei.outreach.tests.conftest import build_town
from wufei.registry.tests.reference import ensure_reference_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 30_000
PHONE = {"width": 360, "height": 740}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= 360"


def answer(page) -> str:
    label = page.inner_text("[data-field=human_answer] label")
    a, op, b = re.search(r"(\d+) (加|减) (\d+)", label).groups()
    return str(int(a) + int(b) if op == "加" else int(a) - int(b))


def test_a_resident_books_cancels_and_answers_on_a_phone(live_server, chromium):
    ensure_reference_data()
    town = build_town()
    event = town.event(title="许昌再生资源企业开放日", capacity=6)
    base = live_server.url

    from playwright.sync_api import sync_playwright

    # All database work is done: Playwright's event loop must not meet the ORM.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        wide: list[str] = []

        def check_width() -> None:
            if not page.evaluate(NO_SIDEWAYS_SCROLL):
                wide.append(page.url)

        page.goto(f"{base}/public/events/")
        assert "剩余 6 个名额" in page.inner_text("[data-testid=public-events]")
        check_width()
        page.click("text=许昌再生资源企业开放日")
        page.wait_for_url(f"{base}/public/events/{event.pk}/")
        check_width()
        page.fill("#id_name", "赵六")
        page.fill("#id_phone", "139 1234 5678")
        page.select_option("#id_people", "2")
        page.fill("#id_human_answer", answer(page))
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=booking-code]")
        check_width()
        code = page.inner_text("[data-testid=booking-code]").strip()
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code)
        assert "预约成功" in page.inner_text("main")

        page.goto(f"{base}/public/events/booking/")
        check_width()
        page.fill("#id_code", code.lower())
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=booking-status]")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("text=取消预约")
        page.wait_for_selector("text=预约已取消，名额已释放。")
        assert page.inner_text("[data-testid=booking-status]") == "已取消"
        check_width()

        page.goto(f"{base}/public/survey/")
        check_width()
        page.select_option("#id_region", label="魏都区")
        for name in ("awareness", "participation", "satisfaction", "gain", "confidence"):
            page.check(f"input[name={name}][value='4']")
        page.fill("#id_comment", "希望多开放几次企业开放日。")
        page.fill("#id_human_answer", answer(page))
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=survey-thanks]")
        check_width()
        browser.close()

    assert errors == []
    assert wide == []
    booking = Booking.objects.get(code=code)
    assert (booking.people, booking.status, booking.phone_masked) == (
        2,
        BookingStatus.CANCELLED,
        "139****5678",
    )
    saved = SurveyResponse.objects.get()
    assert (saved.region.adcode, saved.gain) == ("411002", 4)
