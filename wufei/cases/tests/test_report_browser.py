"""A resident's report in a real browser on a phone, followed to closure.

On a 360×740 touch screen an anonymous resident opens the report form, picks 乱倒乱堆垃圾,
describes it, takes the phone's position (granted, inside 魏都区), attaches a photo, answers
the human check and reads the follow code. The county official of 魏都区 finds it in the
list, dispatches it, records it handled with a photo and answers; the resident opens the
follow page, reads the answer and rates it 5: 已办结. No script errors, no sideways scroll.
"""

import struct
import zlib

import pytest
from django.urls import reverse

from wufei.cases.models import Report, StageLimit
from wufei.cases.tests.test_report_human_check import solve
from wufei.registry.models import Region
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
PHONE = {"width": 360, "height": 740}
LIMITS = {"received": 24, "assigned": 72, "handled": 24, "answered": 168}  # migration 0004
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= 360"


def png(path, size: int = 8) -> None:
    """A real (tiny, green) PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x30\xa0\x50" * size for _y in range(size))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_resident_reports_on_a_phone_and_the_county_closes_it(live_server, chromium, tmp_path):
    ensure_reference_data()
    for stage, hours in LIMITS.items():  # transactional tests start from flushed tables
        StageLimit.objects.get_or_create(stage=stage, defaults={"hours": hours})
    world = build_world()
    weidu = Region.objects.get(adcode="411002")
    here = {"longitude": float(weidu.center_lon), "latitude": float(weidu.center_lat)}
    scene, after = tmp_path / "scene.png", tmp_path / "after.png"
    png(scene)
    png(after, size=12)
    base = live_server.url
    new_url = base + reverse("report-public:new")

    from playwright.sync_api import sync_playwright

    # All database work is done: Playwright's event loop must not meet the ORM.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        phone = browser.new_context(
            locale="zh-CN",
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            geolocation=here,
            permissions=["geolocation"],
        )
        resident = phone.new_page()
        resident.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        resident.on("pageerror", lambda error: errors.append(str(error)))

        # The resident files the report.
        resident.goto(new_url)
        resident.wait_for_function("document.getElementById('place-map').dataset.loaded === 'true'")
        assert resident.evaluate("window.innerWidth") == 360
        assert resident.evaluate(NO_SIDEWAYS_SCROLL)
        resident.tap("label.kind:has-text('乱倒乱堆垃圾')")
        assert resident.is_checked("input[name=kind][value=dumping]")
        resident.fill("#id_description", "小区北门外有人倾倒装修垃圾，堆了两车。")
        resident.tap("[data-locate]")
        resident.wait_for_function("document.querySelector('[data-lon]').value !== ''")
        lon = float(resident.input_value("[data-lon]"))
        assert abs(lon - here["longitude"]) < 1e-5
        assert "已选位置" in resident.inner_text("[data-place-status]")
        resident.set_input_files("#id_photo", str(scene))
        question = resident.inner_text("[data-question]")
        resident.fill("#id_human_answer", str(solve(question)))
        resident.screenshot(path=str(tmp_path / "form.png"), full_page=True)
        resident.tap("[data-testid=submit]")
        resident.wait_for_selector("[data-testid=code]")
        code = resident.inner_text("[data-testid=code]").strip()
        assert len(code) == 10
        assert resident.inner_text("[data-testid=stage]") == "已受理"
        assert resident.evaluate(NO_SIDEWAYS_SCROLL)
        follow_url = resident.get_attribute("[data-testid=follow-link]", "href")
        assert follow_url.endswith(f"/public/reports/{code}/")

        # The county official takes it to an answer, on a desktop.
        desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        official = desk.new_page()
        official.set_default_timeout(TIMEOUT_MS)
        official.on("pageerror", lambda error: errors.append(str(error)))
        official.goto(base + reverse("accounts:login"))
        official.fill("#id_username", world.users["county"].username)
        official.fill("#id_password", PASSWORD)
        official.click("button[type=submit]")
        official.wait_for_url(base + reverse("web:home"))
        official.goto(base + reverse("reports:list") + "?stage=received")
        official.click(f"#results a:has-text('{code}')")
        official.wait_for_selector("[data-testid=assign]")
        assert "小区北门外有人倾倒装修垃圾" in official.inner_text("main")
        official.click("[data-testid=assign] button[type=submit]")
        official.wait_for_selector("[data-testid=handle]")
        official.fill("[data-testid=handle] textarea[name=note]", "已组织清运，现场已清理干净。")
        official.set_input_files("[data-testid=handle] input[name=photo]", str(after))
        official.click("[data-testid=handle] button[type=submit]")
        official.wait_for_selector("form [name=answer]")
        official.fill("textarea[name=answer]", "经核实，已于当日清运完毕，感谢您的监督。")
        official.click("[data-testid=answer] button[type=submit]")
        official.wait_for_selector("text=已答复")
        assert official.locator("[data-testid=events] tbody tr").count() == 4

        # The resident reads the answer and rates it.
        resident.goto(follow_url)
        assert "感谢您的监督" in resident.inner_text("[data-testid=answer]")
        assert resident.inner_text("[data-testid=stage]") == "已答复"
        assert resident.evaluate(NO_SIDEWAYS_SCROLL)
        resident.tap("[data-testid=rate] label:has(input[value='5'])")
        resident.fill("textarea[name=comment]", "处理很快")
        resident.tap("[data-testid=rate] button[type=submit]")
        resident.wait_for_selector("text=感谢您的评价")
        assert resident.inner_text("[data-testid=stage]") == "已办结"
        assert resident.evaluate(NO_SIDEWAYS_SCROLL)
        assert resident.evaluate("document.documentElement.scrollWidth") <= 360
        resident.screenshot(path=str(tmp_path / "closed.png"), full_page=True)

        assert errors == []
        browser.close()

    report = Report.objects.get(code=code)
    assert (report.stage, report.rating, report.kind) == ("closed", 5, "dumping")
    assert report.region.path.startswith(weidu.path)
    assert report.photo and report.events.get(action="handle").photo
    assert list(report.events.values_list("action", flat=True)) == [
        "receive",
        "assign",
        "handle",
        "answer",
        "rate",
    ]
