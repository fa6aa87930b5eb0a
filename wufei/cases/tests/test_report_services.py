"""Residents' reports through the services: filing and its refusals, the rate limit, routing
to the stream's bureau, linking a nearby IoT alert, every transition and the wrong ones, who
may act, the time limits with escalation and auto-close, on a controllable clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wufei.accounts.models import Department
from wufei.alerts.choices import AlertStatus, Rule
from wufei.alerts.models import Alert
from wufei.cases import report_selectors as selectors
from wufei.cases import reports
from wufei.cases.models import Report, ReportEvent, ReportStage, StageLimit
from wufei.cases.services import InvalidTransition
from wufei.cases.tests.world import photo
from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.tests.module_rows import settle_deferred_checks
from wufei.manifests.tests.world import user
from wufei.registry.models import Region
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2020, 9, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
KEY = "a" * 64
METRE_LAT = 1 / 111_195  # degrees of latitude per metre


@pytest.fixture(scope="module")
def rw(world, django_db_blocker):
    """Beside the inspection world: the county's sanitation company with a clerk, a
    community in a street of 魏都区, the urban-management bureau's official."""
    with django_db_blocker.unblock():
        town = Region.objects.get(adcode="411002001")
        sanitation = factories.PartyFactory(
            name="魏都区环卫公司", region=world.weidu, is_collector=True, is_transporter=True
        )
        other_sanitation = factories.PartyFactory(
            name="长葛市环卫公司", region=world.changge, is_collector=True
        )
        community = factories.PartyFactory(name="西大街道某社区", region=town, is_community=True)
        lon, lat = world.weidu.center_lon, world.weidu.center_lat
        bins = factories.SiteFactory(
            party=community, region=town, kind="community", lon=lon, lat=lat + Decimal("0.002")
        )
        rows = SimpleNamespace(
            town=town,
            sanitation=sanitation,
            other_sanitation=other_sanitation,
            community=community,
            bins=bins,
            sweeper=user(role="enterprise", party=sanitation),
            other_sweeper=user(role="enterprise", party=other_sanitation),
            urban=user(role="department", department=Department.objects.get(code="urban")),
            agriculture=user(
                role="department", department=Department.objects.get(code="agriculture")
            ),
        )
        settle_deferred_checks()
        return rows


def place(world, north_m: float = 0, region=None) -> dict:
    region = region or world.weidu
    lat = float(region.center_lat) + north_m * METRE_LAT
    return {"lon": str(region.center_lon), "lat": f"{lat:.6f}"}


def data(world, **overrides) -> dict:
    values = {
        "kind": "dumping",
        "description": "路边有人倾倒装修垃圾，约两车。",
        "address": "文峰路与七一路交叉口",
        **place(world),
    }
    values.update(overrides)
    return values


def file(world, *, key: str = KEY, now: datetime = NOW, upload=None, **overrides) -> Report:
    return reports.report_file(data=data(world, **overrides), photo=upload, client_key=key, now=now)


def codes(exc: Invalid) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


# --- filing ------------------------------------------------------------------------------------


def test_a_report_is_filed_whole(world, rw):
    report = file(world, upload=photo("scene.png"), contact="138 0013 8000")
    assert report.stage == ReportStage.RECEIVED
    assert len(report.code) == reports.CODE_LENGTH
    assert set(report.code) <= set(reports.CODE_ALPHABET)
    assert report.stream.code == "household"
    assert report.department.code == "urban"
    assert report.region == rw.town  # the street of the registered site 220 m away
    assert report.contact_masked == "138****8000"
    assert report.client_key == KEY
    assert report.created_at == report.stage_since == NOW
    assert report.due_at == NOW + timedelta(hours=24)  # the 'received' limit
    assert report.photo.name.startswith("cases/reports/")
    assert report.photo.name.rsplit("/", 1)[1].startswith(f"{report.code}-")  # not scene.png
    events = list(report.events.values_list("action", "stage", "public"))
    assert events == [("receive", "received", True)]
    assert report.alert is None


def test_burning_goes_to_the_agriculture_bureau(world):
    report = file(world, kind="burning", description="麦田里焚烧秸秆，浓烟很大。")
    assert report.stream.code == "agricultural"
    assert report.department.code == "agriculture"


def test_a_place_far_from_any_site_is_its_county(world):
    report = file(world, **place(world, region=world.changge))
    assert report.region == world.changge


def test_every_bad_field_is_refused_at_once_and_nothing_is_written(world):
    before = (Report.objects.count(), ReportEvent.objects.count())
    with pytest.raises(Invalid) as refused:
        reports.report_file(
            data={"kind": "nonsense", "description": "  ", "contact": "12345"},
            photo=photo("scene.jpg", head=b"GIF89a"),
            client_key=KEY,
            now=NOW,
        )
    assert codes(refused.value) == {
        "kind": "kind_invalid",
        "description": "required",
        "contact": "phone_invalid",
        "lon": "no_place",
        "photo": "photo_type",
    }
    assert (Report.objects.count(), ReportEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"lon": "", "lat": ""}, "lon", "no_place"),
        ({"lat": ""}, "lon", "no_place"),
        ({"lon": "东经113度"}, "lon", "place_invalid"),
        ({"lon": "116.397", "lat": "39.909"}, "lon", "outside_city"),  # Beijing
        ({"lon": "113.4", "lat": "34.9"}, "lon", "outside_city"),  # Zhengzhou's side
        ({"description": ""}, "description", "required"),
        ({"description": "多" * 1001}, "description", "too_long"),
        ({"kind": ""}, "kind", "kind_invalid"),
        ({"address": "路" * 201}, "address", "too_long"),
    ],
)
def test_bad_input_has_a_stable_code(world, overrides, field, code):
    with pytest.raises(Invalid) as refused:
        file(world, **overrides)
    assert codes(refused.value) == {field: code}
    assert not Report.objects.exists()


def test_a_description_of_exactly_the_limit_is_accepted(world):
    assert file(world, description="多" * 1000).description == "多" * 1000


def test_a_photo_too_large_is_refused(world):
    with pytest.raises(Invalid) as refused:
        file(world, upload=photo("big.jpg", size=5 * 1024 * 1024 + 1))
    assert codes(refused.value) == {"photo": "photo_too_large"}


@given(st.text(alphabet="23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz -", max_size=14))
@settings(max_examples=60, deadline=None)
def test_a_typed_code_is_normalised_like_a_stored_one(typed):
    normal = reports.normalise_code(typed)
    assert normal == normal.upper()
    assert " " not in normal and "-" not in normal
    assert reports.normalise_code(normal) == normal


def test_the_follow_code_avoids_look_alike_characters():
    drawn = {reports.new_code() for _i in range(200)}
    assert len(drawn) == 200
    assert not set("".join(drawn)) & set("01OIL")


# --- the rate limit ----------------------------------------------------------------------------


def test_five_an_hour_then_throttled_with_the_wait(world):
    for minute in range(5):
        file(world, now=NOW + timedelta(minutes=minute * 10))
    with pytest.raises(reports.ReportThrottled) as throttled:
        file(world, now=NOW + timedelta(minutes=45))
    assert throttled.value.code == "throttled"
    assert throttled.value.status == 429
    assert throttled.value.retry_after == 15 * 60  # the first of the five leaves the hour
    assert Report.objects.count() == 5
    assert ReportEvent.objects.count() == 5
    file(world, key="b" * 64, now=NOW + timedelta(minutes=45))  # another client is not held
    file(world, now=NOW + timedelta(minutes=61))  # the hour has moved on
    assert Report.objects.filter(client_key=KEY).count() == 6


def test_twenty_a_day(world):
    start = NOW - timedelta(hours=5)
    for hour in range(4):
        for minute in range(5):
            file(world, now=start + timedelta(hours=hour, minutes=minute))
    late = start + timedelta(hours=4, minutes=30)
    with pytest.raises(reports.ReportThrottled) as throttled:
        file(world, now=late)
    first = start  # the oldest of the twenty leaves the day
    assert throttled.value.retry_after == int((first + timedelta(days=1) - late).total_seconds())
    assert Report.objects.count() == 20


def test_refused_filings_do_not_count_against_the_limit(world):
    for _i in range(8):
        with pytest.raises(Invalid):
            file(world, description="")
    assert reports.retry_after(KEY, NOW) is None


# --- a nearby IoT alert -------------------------------------------------------------------------


def alert(world, *, rule=Rule.BIN_FULL, north_m=200.0, hours_ago=10, status=AlertStatus.OPEN,
          with_place=True, subject=("bin", "1:B1"), site=None):  # fmt: skip
    lat = float(world.weidu.center_lat) + north_m * METRE_LAT
    details = {"lat": round(lat, 6), "lon": float(world.weidu.center_lon)} if with_place else {}
    if site is not None:
        details["site"] = site.pk
    return Alert.objects.create(
        rule=rule,
        status=status,
        subject_type=subject[0],
        subject_id=subject[1],
        subject_label="测试对象",
        message="测试预警",
        details=details,
        opened_at=NOW - timedelta(hours=hours_ago),
    )


def test_a_report_near_an_open_alert_is_linked(world):
    near = alert(world, north_m=200)
    alert(world, north_m=450, subject=("bin", "1:B2"))  # also near, but farther
    report = file(world, kind="overflow")
    assert report.alert == near
    link = report.events.get(action="link_alert")
    assert not link.public
    assert f"#{near.pk}" in link.note
    assert "200 米" in link.note


@pytest.mark.parametrize(
    "made",
    [
        {"north_m": 600},  # too far
        {"hours_ago": 49},  # too old
        {"status": AlertStatus.RESOLVED},  # over
        {"rule": Rule.DEVICE_SILENT},  # not about the street
    ],
)
def test_alerts_that_do_not_fit_are_not_linked(world, made):
    alert(world, **made)
    report = file(world, kind="overflow")
    assert report.alert is None
    assert not report.events.filter(action="link_alert").exists()


def test_an_alert_without_coordinates_is_placed_at_its_subject_site(world, rw):
    bin_alert = alert(world, with_place=False, subject=("bin", f"{rw.bins.pk}:B7"))
    assert file(world, kind="overflow").alert == bin_alert


def test_dumping_prefers_the_suspected_dumping_alert(world):
    alert(world, rule=Rule.BIN_FULL, north_m=100)
    dumping = alert(world, rule=Rule.SUSPECTED_DUMPING, north_m=100, subject=("stop", "9@1"))
    assert file(world, kind="dumping").alert == dumping


# --- transitions -------------------------------------------------------------------------------


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_the_whole_way_to_closure(world, rw):
    report = file(world)
    report = reports.report_assign(
        actor=world.county_weidu,
        report=report,
        party=rw.sanitation,
        note="请尽快清理",
        now=later(2),
    )
    assert (report.stage, report.assigned_party, report.department.code) == (
        "assigned",
        rw.sanitation,
        "urban",
    )
    assert (report.stage_since, report.due_at) == (later(2), later(2 + 72))
    report = reports.report_handle(
        actor=rw.sweeper, report=report, note="已清运两车", photo=photo("after.jpg"), now=later(20)
    )
    assert (report.stage, report.due_at) == ("handled", later(20 + 24))
    handled = report.events.get(action="handle")
    assert handled.actor == rw.sweeper and handled.photo
    report = reports.report_answer(
        actor=rw.urban, report=report, answer="已清理完毕，感谢监督。", now=later(22)
    )
    assert (report.stage, report.answer, report.due_at) == (
        "answered",
        "已清理完毕，感谢监督。",
        later(22 + 168),
    )
    report = reports.report_rate(code=report.code.lower(), rating=5, comment="很快", now=later(30))
    assert (report.stage, report.rating, report.closed_at, report.due_at) == (
        "closed",
        5,
        later(30),
        None,
    )
    assert list(report.events.values_list("action", flat=True)) == [
        "receive",
        "assign",
        "handle",
        "answer",
        "rate",
    ]


def test_wrong_transitions_are_refused_with_a_stable_code(world, rw):
    report = file(world)
    for attempt in (
        lambda: reports.report_answer(actor=world.city, report=report, answer="好", now=NOW),
        lambda: reports.report_handle(
            actor=world.city, report=report, note="好", photo=photo(), now=NOW
        ),
    ):
        with pytest.raises(InvalidTransition) as refused:
            attempt()
        assert refused.value.code == "invalid_transition"
        assert refused.value.status == 409
    with pytest.raises(InvalidTransition) as refused:
        reports.report_rate(code=report.code, rating=5, now=NOW)
    assert refused.value.code == "not_answered"
    reports.report_reject(actor=world.city, report=report, reason="重复举报", now=later(1))
    report.refresh_from_db()
    assert (report.stage, report.answer, report.closed_at) == ("rejected", "重复举报", later(1))
    with pytest.raises(InvalidTransition):
        reports.report_assign(actor=world.city, report=report, now=later(2))
    with pytest.raises(NotFound):
        reports.report_rate(code="ZZZZZZZZZZ", rating=5, now=NOW)
    assert list(report.events.values_list("action", flat=True)) == ["receive", "reject"]


def test_inputs_of_the_transitions_are_checked_first(world, rw):
    report = file(world)
    with pytest.raises(Invalid) as refused:
        reports.report_assign(actor=world.city, report=report, party=rw.other_sanitation, now=NOW)
    assert codes(refused.value) == {"party": "party_outside_region"}
    reports.report_assign(actor=world.city, report=report, now=NOW)
    with pytest.raises(Invalid) as refused:
        reports.report_handle(actor=world.city, report=report, note=" ", photo=None, now=NOW)
    assert codes(refused.value) == {"note": "required", "photo": "photo_required"}
    reports.report_handle(actor=world.city, report=report, note="已处理", photo=photo(), now=NOW)
    with pytest.raises(Invalid) as refused:
        reports.report_answer(actor=world.city, report=report, answer="", now=NOW)
    assert codes(refused.value) == {"answer": "required"}
    reports.report_answer(actor=world.city, report=report, answer="已处理", now=NOW)
    for rating, code in ((0, "rating_invalid"), (6, "rating_invalid"), ("五", "rating_invalid")):
        with pytest.raises(Invalid) as refused:
            reports.report_rate(code=report.code, rating=rating, now=NOW)
        assert codes(refused.value) == {"rating": code}
    report.refresh_from_db()
    assert report.stage == "answered"
    with pytest.raises(Invalid) as refused:
        reports.report_reject(actor=world.city, report=file(world), reason="", now=NOW)
    assert codes(refused.value) == {"reason": "required"}


def test_assigning_to_another_bureau_hands_the_report_over(world, rw):
    report = file(world)
    ecology = Department.objects.get(code="ecology")
    assert selectors.report_list(actor=world.ecology).filter(pk=report.pk).count() == 0
    report = reports.report_assign(actor=rw.urban, report=report, department=ecology, now=NOW)
    assert report.department == ecology
    assert report.stream.code == "hazardous"  # the bureau's first stream: its officials see it
    assert selectors.report_list(actor=world.ecology).filter(pk=report.pk).count() == 1
    assert selectors.report_list(actor=rw.urban).filter(pk=report.pk).count() == 0


# --- who may see and act -----------------------------------------------------------------------


def test_scope(world, rw):
    report = file(world)
    visible = {
        name: selectors.report_list(actor=actor).filter(pk=report.pk).exists()
        for name, actor in {
            "city": world.city,
            "weidu": world.county_weidu,
            "changge": world.county_changge,
            "urban": rw.urban,
            "agriculture": rw.agriculture,
            "ecology": world.ecology,
            "sweeper": rw.sweeper,
            "clerk": world.clerk,
            "anonymous": None,
        }.items()
    }
    assert visible == {
        "city": True,
        "weidu": True,
        "changge": False,
        "urban": True,
        "agriculture": False,
        "ecology": False,
        "sweeper": False,  # not before it is assigned to the company
        "clerk": False,
        "anonymous": False,
    }
    for outsider in (world.county_changge, world.clerk, rw.agriculture):
        with pytest.raises(NotFound):
            reports.report_assign(actor=outsider, report=report, now=NOW)
    reports.report_assign(actor=world.county_weidu, report=report, party=rw.sanitation, now=NOW)
    assert selectors.report_list(actor=rw.sweeper).filter(pk=report.pk).exists()
    with pytest.raises(NotFound):
        reports.report_handle(actor=rw.other_sweeper, report=report, note="x", photo=photo())
    with pytest.raises(NotFound):
        reports.report_handle(actor=world.county_changge, report=report, note="x", photo=photo())
    with pytest.raises(NotPermitted):  # the company marks handled, it does not re-dispatch
        reports.report_assign(actor=rw.sweeper, report=report, now=NOW)
    reports.report_handle(actor=rw.sweeper, report=report, note="已清理", photo=photo(), now=NOW)
    with pytest.raises(NotPermitted):  # nor answer the reporter
        reports.report_answer(actor=rw.sweeper, report=report, answer="好了", now=NOW)
    report.refresh_from_db()
    assert report.stage == "handled"


# --- time limits -------------------------------------------------------------------------------


def test_escalation_once_per_due_period(world):
    report = file(world)
    assert reports.escalate_overdue(now=later(23)) == {"escalated": 0, "closed": 0}
    assert reports.escalate_overdue(now=later(25)) == {"escalated": 1, "closed": 0}
    assert reports.escalate_overdue(now=later(25)) == {"escalated": 0, "closed": 0}
    assert reports.escalate_overdue(now=later(47)) == {"escalated": 0, "closed": 0}
    report.refresh_from_db()
    assert (report.escalations, report.due_at, report.stage) == (1, later(48), "received")
    assert report.stage_since == NOW  # still the same stage
    assert reports.escalate_overdue(now=later(49)) == {"escalated": 1, "closed": 0}
    report.refresh_from_db()
    assert (report.escalations, report.due_at) == (2, later(72))
    notes = list(report.events.filter(action="escalate").values_list("note", flat=True))
    assert len(notes) == 2 and "第 2 次督办" in notes[1]
    assert selectors.overdue(actor=world.city, now=later(73)).filter(pk=report.pk).exists()


def test_a_clock_stopped_for_days_escalates_once_and_restarts(world):
    report = file(world)
    assert reports.escalate_overdue(now=later(24 * 5))["escalated"] == 1
    report.refresh_from_db()
    assert (report.escalations, report.due_at) == (1, later(24 * 5 + 24))


def test_a_new_stage_gets_a_new_limit(world):
    report = file(world)
    reports.escalate_overdue(now=later(25))
    report = reports.report_assign(actor=world.city, report=report, now=later(26))
    assert (report.escalations, report.due_at) == (1, later(26 + 72))
    assert reports.escalate_overdue(now=later(26 + 71))["escalated"] == 0


def test_an_answer_never_rated_closes_itself(world):
    report = file(world)
    reports.report_assign(actor=world.city, report=report, now=NOW)
    reports.report_handle(actor=world.city, report=report, note="已处理", photo=photo(), now=NOW)
    reports.report_answer(actor=world.city, report=report, answer="已处理", now=later(1))
    assert reports.escalate_overdue(now=later(168)) == {"escalated": 0, "closed": 0}
    assert reports.escalate_overdue(now=later(169.5)) == {"escalated": 0, "closed": 1}
    report.refresh_from_db()
    assert (report.stage, report.rating, report.closed_at, report.escalations) == (
        "closed",
        None,
        later(169.5),
        0,
    )
    assert report.events.last().action == "auto_close"
    with pytest.raises(InvalidTransition):
        reports.report_rate(code=report.code, rating=1, now=later(170))
    assert reports.escalate_overdue(now=later(400)) == {"escalated": 0, "closed": 0}


def test_stage_limits_are_data_the_city_edits(world):
    with pytest.raises(NotPermitted):
        reports.stage_limit_set(actor=world.county_weidu, stage="received", hours=12)
    with pytest.raises(Invalid) as refused:
        reports.stage_limit_set(actor=world.city, stage="received", hours=0)
    assert codes(refused.value) == {"hours": "hours_invalid"}
    with pytest.raises(Invalid):
        reports.stage_limit_set(actor=world.city, stage="closed", hours=5)
    reports.stage_limit_set(actor=world.city, stage="received", hours=12)
    assert StageLimit.objects.get(stage="received").hours == 12
    assert file(world).due_at == NOW + timedelta(hours=12)
    StageLimit.objects.filter(stage="received").delete()  # no limit: never overdue
    report = file(world, key="c" * 64)
    assert report.due_at is None
    assert reports.escalate_overdue(now=later(1000))["escalated"] == 1  # only the first one


# --- the public view ---------------------------------------------------------------------------


def test_the_public_view_holds_only_public_things(world, rw):
    alert(world, north_m=100)
    report = file(world, kind="overflow", contact="13800138000")
    reports.report_assign(actor=world.county_weidu, report=report, party=rw.sanitation, now=NOW)
    view = selectors.public_report(f" {report.code.lower()} ")
    assert set(vars(view)) == set(selectors.PUBLIC_FIELDS)
    assert [e.label for e in view.events] == ["举报已受理", "派单至责任单位"]  # no alert link
    text = repr(view)
    for secret in ("138****8000", KEY, str(report.lon), rw.sweeper.username, "预警"):
        assert secret not in text
    with pytest.raises(NotFound):
        selectors.public_report("")
