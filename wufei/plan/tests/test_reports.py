"""Monthly progress reports: who may report, which month, attachments, review, and the
milestone and task status that follow."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wufei.core.errors import Invalid, NotPermitted
from wufei.plan import ledger_services as ls
from wufei.plan.choices import MilestoneStatus, ReportStatus, TaskStatus
from wufei.plan.tests.ledger_world import at, ledger_world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture
def w(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = ledger_world()
    world.milestone = ls.milestone_create(
        actor=world.city,
        task=world.task,
        title="完成重点单位排查",
        unit=world.urban,
        due_on=date(2020, 6, 30),
        today=date(2020, 3, 1),
    )
    return world


def submit(w, **kw):
    args = {
        "actor": w.urban_user,
        "milestone": w.milestone,
        "unit": w.urban,
        "period": date(2020, 5, 1),
        "text": "已排查 120 家。",
        "now": at(date(2020, 5, 28)),
    }
    return ls.report_submit(**(args | kw))


def code_of(exc):
    return exc.value.errors[0].code


def test_a_responsible_unit_reports_with_figures_and_files(w):
    r = submit(
        w,
        figures=[{"label": "排查单位", "value": 120, "unit": "家"}],
        files=[SimpleUploadedFile("排查清单.pdf", PDF), SimpleUploadedFile("现场.png", PNG)],
    )
    assert r.status == ReportStatus.SUBMITTED and r.period == date(2020, 5, 1)
    assert r.figures == [{"label": "排查单位", "value": "120", "unit": "家"}]
    assert sorted(f.name for f in r.files.all()) == ["排查清单.pdf", "现场.png"]
    assert r.files.first().file.read(4) in (b"%PDF", b"\x89PNG")


def test_a_unit_not_responsible_is_refused(w):
    with pytest.raises(Invalid) as exc:
        submit(w, actor=w.ecology_user, unit=w.ecology)
    assert code_of(exc) == "unit_not_responsible"
    assert "不是节点" in exc.value.errors[0].message
    with pytest.raises(NotPermitted):  # right unit, but the ecology official does not act for it
        submit(w, actor=w.ecology_user)
    assert not w.milestone.reports.exists()


def test_future_month_and_duplicates_are_refused(w):
    with pytest.raises(Invalid) as exc:
        submit(w, period=date(2020, 6, 1))
    assert code_of(exc) == "report_future_month"
    first = submit(w)
    with pytest.raises(Invalid) as exc:
        submit(w, period=date(2020, 5, 15))
    assert code_of(exc) == "already_reported"
    ls.report_review(
        actor=w.ecology_user, report=first, accept=False, note="请附清单", now=at(date(2020, 5, 29))
    )
    again = submit(w)  # a returned report may be filed again
    assert again.pk != first.pk


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.exe", b"MZ", "attachment_type"),
        ("a.pdf", b"PK\x03\x04", "attachment_content"),
        ("big.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024), "attachment_too_large"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_written(w, name, content, code):
    with pytest.raises(Invalid) as exc:
        submit(w, files=[SimpleUploadedFile(name, content)])
    assert code_of(exc) == code
    assert not w.milestone.reports.exists()


def test_bad_figures_are_refused(w):
    with pytest.raises(Invalid) as exc:
        submit(w, figures=[{"label": "x", "value": "many"}])
    assert code_of(exc) == "figures_invalid"


def test_lead_unit_reviews_and_done_claim_marks_the_milestone(w):
    r = submit(w, claims_done=True)
    with pytest.raises(NotPermitted):  # the reporter does not review itself
        ls.report_review(actor=w.urban_user, report=r, accept=True, now=at(date(2020, 6, 2)))
    with pytest.raises(Invalid) as exc:
        ls.report_review(actor=w.ecology_user, report=r, accept=False, now=at(date(2020, 6, 2)))
    assert code_of(exc) == "review_note_required"
    ls.report_review(actor=w.ecology_user, report=r, accept=True, now=at(date(2020, 6, 2)))
    w.milestone.refresh_from_db()
    w.task.refresh_from_db()
    assert w.milestone.status == MilestoneStatus.DONE and w.milestone.done_on == date(2020, 5, 28)
    assert w.task.status == TaskStatus.DONE
    with pytest.raises(Invalid) as exc:
        ls.report_review(actor=w.ecology_user, report=r, accept=True, now=at(date(2020, 6, 3)))
    assert code_of(exc) == "report_not_pending"
    with pytest.raises(Invalid) as exc:
        submit(w, period=date(2020, 6, 1), now=at(date(2020, 6, 5)))
    assert code_of(exc) == "milestone_closed"


def test_task_status_follows_reports_and_time(w):
    assert ls.task_status_refresh(task=w.task, today=date(2020, 6, 16)) == TaskStatus.AT_RISK
    submit(w, period=date(2020, 6, 1), now=at(date(2020, 6, 16)))
    assert ls.task_status_refresh(task=w.task, today=date(2020, 6, 16)) == TaskStatus.ON_TRACK
    assert ls.task_status_refresh(task=w.task, today=date(2020, 7, 1)) == TaskStatus.LATE
