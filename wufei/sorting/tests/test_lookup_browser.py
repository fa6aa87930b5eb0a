"""The public sorting guide on a phone (360×740) in Debian chromium: instant search by htmx,
and no page scrolls sideways."""

import pytest
from django.urls import reverse

from wufei.sorting.models import SortingItem
from wufei.sorting.reference import load_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WIDTH = 360
TIMEOUT_MS = 30_000
SCROLL_WIDTH = "document.documentElement.scrollWidth"


def test_guide_on_a_phone(live_server, chromium):
    load_reference()  # a transactional test starts from empty tables
    item = SortingItem.objects.get(name="废电池")
    base = live_server.url
    pages = [
        reverse("sortguide:index"),
        reverse("sortguide:search") + "?q=%E7%BA%B8",  # 纸: a long list of results
        reverse("sortguide:class", args=["kitchen"]),
        reverse("sortguide:item", args=[item.pk]),
    ]

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", viewport={"width": WIDTH, "height": 740}, is_mobile=True
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(base + pages[0])
        page.fill("[data-testid=lookup-q]", "废电")
        page.wait_for_selector("[data-testid=lookup-results] .lk-result")
        first = page.locator("[data-testid=lookup-results] .lk-result").first
        assert "废电池" in first.inner_text() and "有害垃圾" in first.inner_text()
        assert page.evaluate(SCROLL_WIDTH) <= WIDTH
        first.click()
        page.wait_for_url(base + pages[3])

        for url in pages:
            page.goto(base + url)
            assert page.evaluate(SCROLL_WIDTH) <= WIDTH, url
        browser.close()
    assert errors == []
