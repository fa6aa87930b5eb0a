"""The inspection services: campaigns, inspections and findings, the order state machine, the
register's state machine, and their refusals."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from wufei.cases import selectors, services
from wufei.cases.models import (
    DumpSiteState,
    Finding,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
)
from wufei.cases.tests.world import TODAY, photo, submitted_with_finding
from wufei.core.errors import Invalid, NotFound, NotPermitted, WufeiError

pytestmark = pytest.mark.django_db
NOW = datetime(2020, 9, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def codes(exc: pytest.ExceptionInfo) -> set[str]:
    return {e.code for e in exc.value.errors}


def test_checklists_loaded_with_basis(world):
    checklist = world.checklist("hazardous")
    texts = "".join(checklist.items.values_list("text", flat=True))
    for topic in ("标识制度", "管理计划", "申报登记", "转移联单", "经营许可", "应急预案", "台账"):
        assert topic in texts
    assert all(checklist.items.values_list("basis", flat=True))
    assert "GB 18599" in world.checklist("storage_yard").basis


def test_campaign_period_must_run_forward(world):
    with pytest.raises(Invalid) as exc:
        services.campaign_create(
            actor=world.city,
            name="大督查",
            region=world.weidu.parent,
            starts_on=date(2020, 6, 1),
            ends_on=date(2020, 5, 1),
        )
    assert codes(exc) == {"period_reversed"}


def test_county_official_cannot_open_a_campaign_over_another_county(world):
    with pytest.raises(NotPermitted):
        services.campaign_create(
            actor=world.county_weidu,
            name="长葛排查",
            region=world.changge,
            starts_on=date(2020, 6, 1),
            ends_on=date(2020, 7, 1),
        )


def test_inspection_takes_party_and_county_of_the_place(world):
    inspection = world.inspection()
    assert (inspection.party, inspection.region) == (world.factory, world.weidu)
    assert inspection.status == InspectionStatus.DRAFT


@pytest.mark.parametrize(
    ("kind", "place"),
    [("medical", "factory_site"), ("informal_landfill", "factory_site"), ("hazardous", "yard")],
)
def test_checklist_for_the_wrong_place_is_refused(world, kind, place):
    target = getattr(world, place)
    with pytest.raises(Invalid) as exc:
        if place == "yard":
            world.inspection(dump_site=target, kind=kind)
        else:
            world.inspection(site=target, kind=kind)
    assert codes(exc) == {"checklist_wrong_place"}


def test_inspection_outside_campaign_period_and_region(world):
    campaign = services.campaign_create(
        actor=world.city,
        name="2020年长葛大督查",
        region=world.changge,
        starts_on=date(2020, 7, 1),
        ends_on=date(2020, 8, 31),
    )
    with pytest.raises(Invalid) as exc:
        world.inspection(campaign=campaign, inspected_on=date(2020, 6, 1))
    assert codes(exc) == {"outside_campaign", "outside_campaign_region"}


def test_enterprise_and_other_county_cannot_inspect(world):
    with pytest.raises(NotPermitted):
        world.inspection(actor=world.clerk)
    with pytest.raises(NotPermitted):  # a 魏都区 site is outside 长葛市's scope
        world.inspection(actor=world.county_changge)


def test_finding_outside_the_county_is_refused(world):
    inspection = world.inspection()
    lon, lat = world.inside(world.changge)
    with pytest.raises(Invalid) as exc:
        services.finding_add(
            actor=world.county_weidu,
            inspection=inspection,
            data=services.FindingInput(description="渗漏", severity="major", lon=lon, lat=lat),
        )
    assert codes(exc) == {"outside_region"}
    assert not Finding.objects.filter(inspection=inspection).exists()


def test_finding_item_must_belong_to_the_checklist(world):
    inspection = world.inspection()
    foreign = world.checklist("medical").items.first()
    with pytest.raises(Invalid) as exc:
        services.finding_add(
            actor=world.county_weidu,
            inspection=inspection,
            data=services.FindingInput(description="x", item=foreign),
        )
    assert codes(exc) == {"item_not_in_checklist"}


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: photo("big.jpg", size=5 * 1024 * 1024 + 1), "photo_too_large"),
        (lambda: photo("scene.gif", head=b"GIF89a"), "photo_type"),
        (lambda: photo("fake.jpg", head=b"%PDF-1.4"), "photo_type"),
    ],
)
def test_bad_photo_is_refused(world, upload, code):
    inspection = world.inspection()
    with pytest.raises(Invalid) as exc:
        services.finding_add(
            actor=world.county_weidu,
            inspection=inspection,
            data=services.FindingInput(description="x", severity="minor", photo=upload()),
        )
    assert codes(exc) == {code}


def test_finding_with_photo_and_default_severity(world):
    inspection = world.inspection()
    item = world.checklist("hazardous").items.get(number="6")
    lon, lat = world.inside()
    finding = services.finding_add(
        actor=world.county_weidu,
        inspection=inspection,
        data=services.FindingInput(
            description="联单未运行",
            item=item,
            lon=lon,
            lat=lat,
            photo=photo("a.png", size=5 << 20),
        ),
    )
    assert finding.severity == "serious"
    assert finding.photo.name.endswith(".png")


def test_record_writes_nothing_when_one_finding_is_bad(world):
    inspection = world.inspection()
    good = services.FindingInput(description="标识缺失", severity="minor")
    bad = services.FindingInput(description="", severity="minor")
    with pytest.raises(Invalid) as exc:
        services.inspection_record(
            actor=world.county_weidu, inspection=inspection, findings=[good, bad]
        )
    assert exc.value.errors[0].field == "findings.1.description"
    assert not inspection.findings.exists()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.DRAFT


def test_submitted_inspection_takes_no_more_findings(world):
    inspection, _finding = submitted_with_finding(world)
    with pytest.raises(WufeiError) as exc:
        services.finding_add(
            actor=world.county_weidu,
            inspection=inspection,
            data=services.FindingInput(description="x", severity="minor"),
        )
    assert exc.value.code == "inspection_submitted"


def issue(world, finding, **kw):
    values = dict(
        requirement="完善防渗措施",
        issued_on=date(2020, 6, 2),
        deadline=date(2020, 7, 2),
        today=TODAY,
    )
    values.update(kw)
    return services.order_issue(actor=world.county_weidu, finding=finding, **values)


def test_order_deadline_must_follow_issue(world):
    _inspection, finding = submitted_with_finding(world)
    with pytest.raises(Invalid) as exc:
        issue(world, finding, deadline=date(2020, 6, 2))
    assert codes(exc) == {"deadline_before_issue"}


def test_order_needs_a_submitted_inspection(world):
    inspection = world.inspection()
    finding = services.finding_add(
        actor=world.county_weidu,
        inspection=inspection,
        data=services.FindingInput(description="x", severity="minor"),
    )
    with pytest.raises(WufeiError) as exc:
        issue(world, finding)
    assert exc.value.code == "inspection_not_submitted"


def test_order_numbers_count_per_county_and_year(world):
    _i, first = submitted_with_finding(world)
    _i, second = submitted_with_finding(world)
    a, b = issue(world, first), issue(world, second)
    assert a.number == "ZG2020411002-0001"
    assert b.number == "ZG2020411002-0002"
    with pytest.raises(WufeiError) as exc:
        issue(world, first)
    assert exc.value.code == "order_exists"


def test_order_life_failed_reinspection_then_closed(world):
    _inspection, finding = submitted_with_finding(world)
    order = issue(world, finding)
    assert order.party == world.factory
    with pytest.raises(WufeiError) as exc:  # nothing reported: no re-inspection, no closing
        services.order_close(actor=world.county_weidu, order=order, now=NOW)
    assert exc.value.code == "reinspection_required"
    order = services.order_report(actor=world.clerk, order=order, report="已铺设防渗层", now=NOW)
    assert order.status == OrderStatus.REPORTED
    with pytest.raises(WufeiError) as exc:  # reported but not yet re-inspected
        services.order_close(actor=world.county_weidu, order=order, now=NOW)
    assert exc.value.code == "reinspection_required"
    with pytest.raises(Invalid) as bad:
        services.reinspection_record(
            actor=world.county_weidu,
            order=order,
            inspected_on=date(2020, 7, 3),
            inspectors="王五",
            passed=False,
            today=TODAY,
            now=NOW,
        )
    assert codes(bad) == {"new_deadline_required"}
    services.reinspection_record(
        actor=world.county_weidu,
        order=order,
        inspected_on=date(2020, 7, 3),
        inspectors="王五",
        passed=False,
        new_deadline=date(2020, 8, 3),
        today=TODAY,
        now=NOW,
    )
    order.refresh_from_db()
    assert (order.status, order.deadline) == (OrderStatus.FAILED, date(2020, 8, 3))
    assert list(selectors.orders_overdue(actor=world.city, today=date(2020, 8, 4))) == [order]
    with pytest.raises(WufeiError) as exc:
        services.order_close(actor=world.county_weidu, order=order, now=NOW)
    assert exc.value.code == "reinspection_required"
    services.order_report(actor=world.clerk, order=order, report="返工完成", now=NOW)
    services.reinspection_record(
        actor=world.county_weidu,
        order=order,
        inspected_on=date(2020, 8, 1),
        inspectors="王五",
        passed=True,
        today=TODAY,
        now=NOW,
    )
    order = services.order_close(actor=world.county_weidu, order=order, now=NOW)
    assert order.status == OrderStatus.CLOSED
    assert order.closed_by == world.county_weidu
    with pytest.raises(WufeiError) as exc:
        services.order_report(actor=world.clerk, order=order, report="x", now=NOW)
    assert exc.value.code == "invalid_transition"


def test_party_cannot_reinspect_or_close_and_stranger_cannot_report(world):
    _inspection, finding = submitted_with_finding(world)
    order = issue(world, finding)
    with pytest.raises(NotFound):
        services.order_report(actor=world.stranger, order=order, report="x", now=NOW)
    services.order_report(actor=world.clerk, order=order, report="完成", now=NOW)
    with pytest.raises(NotPermitted):
        services.reinspection_record(
            actor=world.clerk,
            order=order,
            inspected_on=date(2020, 7, 1),
            inspectors="自查",
            passed=True,
            today=TODAY,
            now=NOW,
        )
    with pytest.raises(NotPermitted):
        services.order_close(actor=world.clerk, order=order, now=NOW)
    assert RectificationOrder.objects.get(pk=order.pk).status == OrderStatus.REPORTED


def move(world, state, on):
    return services.dump_site_move(
        actor=world.county_weidu, dump_site=world.yard, state=state, on=on, today=TODAY
    )


def test_register_state_machine_and_closing_needs_an_inspection(world):
    with pytest.raises(WufeiError) as exc:
        move(world, DumpSiteState.CLOSED, date(2020, 6, 1))
    assert exc.value.code == "invalid_transition"
    move(world, DumpSiteState.RECTIFYING, date(2020, 5, 10))
    with pytest.raises(Invalid) as bad:
        move(world, DumpSiteState.RECTIFIED, date(2020, 5, 9))
    assert codes(bad) == {"before_previous"}
    move(world, DumpSiteState.RECTIFIED, date(2020, 7, 1))
    # An inspection before rectification does not count as acceptance.
    early = world.inspection(
        dump_site=world.yard, kind="storage_yard", inspected_on=date(2020, 6, 1)
    )
    services.inspection_submit(actor=world.county_weidu, inspection=early)
    with pytest.raises(WufeiError) as exc:
        move(world, DumpSiteState.CLOSED, date(2020, 7, 20))
    assert exc.value.code == "inspection_required"
    check = world.inspection(
        dump_site=world.yard, kind="storage_yard", inspected_on=date(2020, 7, 15)
    )
    services.inspection_submit(actor=world.county_weidu, inspection=check)
    site = move(world, DumpSiteState.CLOSED, date(2020, 7, 20))
    assert (site.state, site.state_changed_on) == (DumpSiteState.CLOSED, date(2020, 7, 20))


def test_register_entry_outside_its_county_is_refused(world):
    lon, lat = world.inside(world.changge)
    with pytest.raises(Invalid) as exc:
        services.dump_site_register(
            actor=world.city,
            data=services.DumpSiteInput(
                kind="informal_landfill",
                name="某村垃圾坑",
                region=world.weidu,
                found_on=date(2020, 5, 1),
                lon=lon,
                lat=lat,
            ),
            today=TODAY,
        )
    assert codes(exc) == {"outside_region"}


def test_register_from_a_finding(world):
    inspection = world.inspection(kind="storage_yard")
    lon, lat = world.inside()
    finding = services.finding_add(
        actor=world.county_weidu,
        inspection=inspection,
        data=services.FindingInput(
            description="厂区外露天堆放炉渣", severity="major", lon=lon, lat=lat
        ),
    )
    site = services.dump_site_register_from_finding(
        actor=world.county_weidu, finding=finding, name="化工厂炉渣堆场", today=TODAY
    )
    assert (site.kind, site.region, site.party) == ("storage_yard", world.weidu, world.factory)
    assert site.state == DumpSiteState.FOUND
    assert str(site.lon) == lon


def test_scope_enterprise_sees_its_own_county_official_its_county(world):
    _i, finding = submitted_with_finding(world)
    mine = issue(world, finding)
    theirs_inspection = world.inspection(site=world.other_site, actor=world.city)
    services.inspection_submit(actor=world.city, inspection=theirs_inspection)
    assert set(selectors.inspection_list(actor=world.clerk)) == {finding.inspection}
    assert not selectors.inspection_list(actor=world.stranger).filter(pk=finding.inspection_id)
    assert list(selectors.order_list(actor=world.clerk)) == [mine]
    assert not selectors.order_list(actor=world.stranger).exists()
    assert theirs_inspection not in selectors.inspection_list(actor=world.county_weidu)
    assert set(selectors.inspection_list(actor=world.county_changge)) == {theirs_inspection}
    assert world.yard in selectors.dump_site_list(actor=world.county_weidu)
    assert world.yard not in selectors.dump_site_list(actor=world.county_changge)


def test_progress_counts(world):
    campaign = services.campaign_create(
        actor=world.city,
        name="2020年固体废物大督查",
        region=world.weidu.parent,
        starts_on=date(2020, 5, 1),
        ends_on=date(2020, 9, 30),
    )
    inspection = world.inspection(campaign=campaign)
    services.inspection_record(
        actor=world.county_weidu,
        inspection=inspection,
        findings=[
            services.FindingInput(description="a", severity="minor"),
            services.FindingInput(description="b", severity="serious"),
        ],
    )
    world.inspection(campaign=campaign)  # still a draft
    finding = inspection.findings.get(description="b")
    issue(world, finding, deadline=date(2020, 7, 1))
    p = selectors.progress(actor=world.city, inspections=campaign.inspections.all(), today=TODAY)
    assert (p.inspections, p.submitted, p.finding_total) == (2, 1, 2)
    assert p.findings == {"minor": 1, "serious": 1}
    assert (p.orders_open, p.orders_overdue, p.orders_closed) == (1, 1, 0)
    other = selectors.progress(
        actor=world.county_changge, inspections=campaign.inspections.all(), today=TODAY
    )
    assert other.inspections == 0
    # The city's campaign covers every county: county officials see it (with their counts).
    assert campaign in selectors.campaign_list(actor=world.county_changge)
    assert not selectors.campaign_list(actor=world.clerk).exists()
