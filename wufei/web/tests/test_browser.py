"""The pages in a real browser: Debian chromium driven by Playwright against the live server.

A county official of 魏都区 logs in, sees the map with the city's and the six counties' real
boundaries, and a facility list with only the county's own facilities.
"""

import pytest
from django.urls import reverse

from wufei.registry.tests.reference import ensure_reference_data
from wufei.web.tests.world import PASSWORD, build_world

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


def test_county_official_sees_the_map_and_only_the_county(live_server, chromium, tmp_path):
    ensure_reference_data()
    world = build_world()
    mine, theirs = world.weidu_facility, world.yuzhou_facility
    where = [float(mine.site.lon), float(mine.site.lat)]
    base = live_server.url

    from playwright.sync_api import sync_playwright

    # All database work is done: Playwright's event loop must not meet the ORM.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(base + reverse("accounts:login"))
        page.fill("#id_username", world.users["county"].username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + reverse("web:home"))
        assert "县（市、区）管理人员 · 魏都区" in page.inner_text("[data-testid=scope]")

        page.goto(base + reverse("web:map"))
        page.wait_for_function("document.getElementById('map').dataset.loaded === 'true'")
        chart = page.locator("#map")
        assert chart.get_attribute("data-boundaries") == "7"
        assert int(chart.get_attribute("data-facilities")) == 1
        assert page.locator("#map canvas").count() >= 1
        assert "设施 1 处" in page.inner_text("[data-map-status]")
        screenshot = tmp_path / "map.png"
        page.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 20_000

        # A click on the facility's point opens its detail page.
        x, y = page.evaluate(
            "(where) => echarts.getInstanceByDom(document.getElementById('map'))"
            ".convertToPixel({geoIndex: 0}, where)",
            where,
        )
        box = chart.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_url(base + reverse("registry:facility_detail", args=[mine.pk]))
        assert mine.name in page.inner_text("h1")

        page.goto(base + reverse("registry:facility_list"))
        names = page.locator("table.grid tbody tr td:first-child").all_inner_texts()
        assert names == [mine.name]
        assert theirs.name not in page.content()
        page.screenshot(path=str(tmp_path / "facilities.png"))

        # Typing in the search box refreshes the results in place (htmx) and the address.
        page.fill("input[name=q]", "禹州")
        page.wait_for_selector("#results td.empty")
        assert "q=" in page.url
        page.fill("input[name=q]", "魏都")
        page.wait_for_selector(f"#results a:has-text('{mine.name}')")

        assert errors == []
        browser.close()
