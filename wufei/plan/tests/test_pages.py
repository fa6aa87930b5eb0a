"""The ledger pages: who sees what, the report form with attachments served back through a
scoped view, the review queue, notices answered and closed, meetings → ledger items."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wufei.plan import ledger_services as ls
from wufei.plan import meeting_services as ms
from wufei.plan import supervision as sv
from wufei.plan.choices import NoticeStatus, ReportStatus
from wufei.plan.models import Milestone, Notice, ProgressReport
from wufei.plan.tests.ledger_world import ledger_world

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def w(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    world = ledger_world()
    world.task.starts_on, world.task.ends_on = (
        today - timedelta(days=200),
        today + timedelta(days=200),
    )
    world.task.save()
    world.today = today
    world.milestone = ls.milestone_create(
        actor=world.city,
        task=world.task,
        title="完成重点单位排查",
        unit=world.urban,
        due_on=today + timedelta(days=10),
        today=today,
    )
    world.late = ls.milestone_create(
        actor=world.city,
        task=world.task,
        title="印发实施方案",
        unit=world.urban,
        due_on=today - timedelta(days=20),
        today=today,
    )
    return world


def page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.content[:300]
    return response.content.decode()


def test_ledger_shows_areas_tasks_badges_and_milestones(client, w):
    html = page(client, w.city, "/plan/")
    assert "构建绿色循环生产方式" in html and "强化危险废物风险防控能力" in html
    assert "badge-bad" in html and "逾期" in html  # the late milestone makes the task late
    assert "完成重点单位排查" in html and "市城市管理局（测试）" in html


def test_enterprises_and_anonymous_get_no_ledger(client, w):
    page(client, w.enterprise, "/plan/", status=403)
    client.logout()
    assert client.get("/plan/").status_code == 302


def test_county_official_sees_only_its_ledger(client, w):
    html = page(client, w.weidu_user, "/plan/")
    assert "魏都区台账" in html and "全市台账" not in html
    page(client, w.weidu_user, f"/plan/tasks/{w.task.pk}/", status=404)


def test_my_unit_page_lists_due_late_and_to_report(client, w):
    html = page(client, w.urban_user, "/plan/my/")
    assert "市城市管理局（测试）" in html
    assert html.count("完成重点单位排查") >= 2  # due soon and to report
    assert "印发实施方案" in html  # late


def test_report_form_files_and_scoped_download_then_review(client, w):
    client.force_login(w.urban_user)
    response = client.post(
        f"/plan/milestones/{w.milestone.pk}/report/",
        {
            "period": w.today.strftime("%Y-%m"),
            "text": "已排查 80 家",
            "figures": "排查单位, 80, 家",
            "claims_done": "on",
            "files": [SimpleUploadedFile("清单.pdf", PDF)],
        },
    )
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.figures == [{"label": "排查单位", "value": "80", "unit": "家"}]
    file_url = f"/plan/files/{report.files.get().pk}/"
    assert b"".join(client.get(file_url).streaming_content) == PDF
    page(client, w.enterprise, file_url, status=403)
    page(client, w.weidu_user, file_url, status=404)
    # a second report for the month is refused on the form
    client.force_login(w.urban_user)
    html = client.post(
        f"/plan/milestones/{w.milestone.pk}/report/",
        {"period": w.today.strftime("%Y-%m"), "text": "x"},
    ).content.decode()
    assert "本月已报送" in html
    # the lead unit's queue, then acceptance marks the milestone done
    html = page(client, w.ecology_user, "/plan/reviews/")
    assert "已排查 80 家" in html and "申请销号" in html
    assert client.post(f"/plan/reports/{report.pk}/accept/", {"note": ""}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert Milestone.objects.get(pk=w.milestone.pk).status == "done"


def test_report_form_refuses_a_unit_not_responsible(client, w):
    page(client, w.ecology_user, f"/plan/milestones/{w.milestone.pk}/report/", status=403)


def test_return_without_note_is_refused_on_the_queue(client, w):
    report = ls.report_submit(
        actor=w.urban_user,
        milestone=w.milestone,
        unit=w.urban,
        period=w.today,
        text="x",
        now=timezone.now(),
    )
    client.force_login(w.ecology_user)
    response = client.post(f"/plan/reports/{report.pk}/return/", {"note": ""}, follow=True)
    assert "退回时请填写审核意见" in response.content.decode()
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


def test_notice_answer_and_close_through_the_pages(client, w):
    sv.supervise(today=w.today)
    notice = Notice.objects.get(milestone=w.late)
    html = page(client, w.urban_user, f"/plan/notices/{notice.pk}/")
    assert "提交反馈" in html and "提醒督办" in html
    client.post(f"/plan/notices/{notice.pk}/answer/", {"answer": "已印发"})
    html = page(client, w.city, f"/plan/notices/{notice.pk}/")
    assert "同意办结" in html and "已印发" in html
    client.post(f"/plan/notices/{notice.pk}/accept/", {"note": "同意"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    html = page(client, w.city, "/plan/notices/?status=closed")
    assert notice.number in html


def test_meeting_decision_becomes_a_milestone_from_the_page(client, w):
    meeting = ms.meeting_create(
        actor=w.city,
        kind="progress",
        title="第八次工作推进会",
        held_on=w.today,
        region=w.ledger.region,
    )
    d = ms.decision_add(
        actor=w.city,
        meeting=meeting,
        text="建立督导台账",
        unit=w.urban,
        due_on=w.today + timedelta(days=30),
    )
    html = page(client, w.city, f"/plan/meetings/{meeting.pk}/")
    assert "纳入工作台账" in html
    response = client.post(
        f"/plan/meetings/{meeting.pk}/decisions/{d.pk}/ledger/",
        {f"d{d.pk}-task": w.task.pk, f"d{d.pk}-as_what": "milestone"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.milestone.task == w.task
    assert "第八次工作推进会" in page(client, w.city, f"/plan/tasks/{w.task.pk}/")
    page(client, w.ecology_user, f"/plan/meetings/{meeting.pk}/")  # visible, but no forms
    client.force_login(w.ecology_user)
    assert client.post("/plan/meetings/", {"title": "x"}).status_code == 403


def test_projects_page(client, w):
    ls.project_create(
        actor=w.city,
        task=w.task,
        name="静脉产业园",
        unit=w.ecology,
        investment_wan=50000,
        planned_completion_on=date(2030, 1, 1),
        is_invented=True,
    )
    assert "静脉产业园" in page(client, w.ecology_user, "/plan/projects/")


def test_api_reads_and_creates_reports(client, w):
    client.force_login(w.urban_user)
    tasks = client.get("/api/v1/plan/tasks/").json()
    assert [t["number"] for t in tasks["results"]] == ["12"]
    milestones = client.get(f"/api/v1/plan/milestones/?task={w.task.pk}&status=open").json()
    assert {m["title"] for m in milestones["results"]} == {"完成重点单位排查", "印发实施方案"}
    body = {
        "milestone": w.milestone.pk,
        "unit": w.urban.pk,
        "period": w.today.isoformat(),
        "text": "API 报送",
        "figures": [{"label": "排查单位", "value": 5}],
    }
    response = client.post("/api/v1/plan/reports/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["figures"] == [{"label": "排查单位", "value": "5", "unit": ""}]
    again = client.post("/api/v1/plan/reports/", body, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "already_reported"
    client.force_login(w.ecology_user)
    refused = client.post(
        "/api/v1/plan/reports/", body | {"unit": w.ecology.pk}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unit_not_responsible"
    client.force_login(w.enterprise)
    assert client.get("/api/v1/plan/notices/").status_code == 403
