"""Supervision driven by a controllable clock: due, overdue, notice, escalation to level 3,
answer, return, close; stalled milestones; no duplicates; the command."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from wufei.core.errors import Invalid, NotPermitted
from wufei.plan import ledger_services as ls
from wufei.plan import selectors
from wufei.plan import supervision as sv
from wufei.plan.choices import NoticeLevel, NoticeReason, NoticeStatus, TaskStatus
from wufei.plan.models import Notice
from wufei.plan.tests.ledger_world import at, ledger_world

pytestmark = pytest.mark.django_db

DUE = date(2020, 6, 30)  # a Tuesday


@pytest.fixture
def w():
    world = ledger_world()
    world.milestone = ls.milestone_create(
        actor=world.city,
        task=world.task,
        title="完成重点单位排查",
        unit=world.urban,
        due_on=DUE,
        today=date(2020, 1, 2),
    )
    # accepted reports every month keep the milestone from being stalled
    for month in range(1, 7):
        r = ls.report_submit(
            actor=world.urban_user,
            milestone=world.milestone,
            unit=world.urban,
            period=date(2020, month, 1),
            text="推进中",
            now=at(date(2020, month, 20)),
        )
        ls.report_review(
            actor=world.ecology_user, report=r, accept=True, now=at(date(2020, month, 21))
        )
    return world


def open_notices():
    return list(Notice.objects.filter(status="open").order_by("pk"))


def test_working_days_skip_weekends():
    assert sv.add_working_days(date(2020, 7, 1), 5) == date(2020, 7, 8)  # Wed → next Wed
    assert sv.add_working_days(date(2020, 7, 3), 1) == date(2020, 7, 6)  # Fri → Mon


def test_due_overdue_notice_escalation_answer_close(w):
    # due: on the due day nothing is raised, the task is at risk without a June report? it has one
    assert sv.supervise(today=DUE)["raised"] == 0
    w.task.refresh_from_db()
    assert w.task.status == TaskStatus.ON_TRACK
    # overdue: the next day a level-1 reminder goes to the responsible unit, deadline 5 working days
    assert sv.supervise(today=DUE + timedelta(days=1))["raised"] == 1
    (n1,) = open_notices()
    assert (n1.unit, n1.milestone, n1.level, n1.reason) == (
        w.urban,
        w.milestone,
        NoticeLevel.REMINDER,
        NoticeReason.OVERDUE,
    )
    assert n1.deadline == date(2020, 7, 8)
    w.task.refresh_from_db()
    assert w.task.status == TaskStatus.LATE
    # no duplicate while it is open; on the deadline day it is not yet overdue
    assert sv.supervise(today=date(2020, 7, 8)) == {"escalated": 0, "raised": 0, "statuses": 0}
    # unanswered past the deadline → level 2, the old one escalated
    assert sv.supervise(today=date(2020, 7, 9))["escalated"] == 1
    n1.refresh_from_db()
    (n2,) = open_notices()
    assert (
        n1.status == NoticeStatus.ESCALATED and n2.parent == n1 and n2.level == NoticeLevel.NOTICE
    )
    assert n2.deadline == date(2020, 7, 16)
    # again → level 3 (通报约谈), which stays open when unanswered
    sv.supervise(today=date(2020, 7, 17))
    (n3,) = open_notices()
    assert n3.level == NoticeLevel.CIRCULAR and n3.parent == n2
    assert sv.supervise(today=date(2020, 8, 31))["escalated"] == 0
    assert [n.pk for n in selectors.notice_chain(n3)] == [n1.pk, n2.pk, n3.pk]
    # the unit answers; the office returns it (open again, new deadline), then accepts
    with pytest.raises(NotPermitted):
        sv.notice_answer(actor=w.ecology_user, notice=n3, answer="x", now=at(date(2020, 9, 1)))
    sv.notice_answer(
        actor=w.urban_user, notice=n3, answer="已完成排查 130 家。", now=at(date(2020, 9, 1))
    )
    with pytest.raises(NotPermitted):  # only the office reviews answers
        sv.notice_accept(actor=w.ecology_user, notice=n3, now=at(date(2020, 9, 2)))
    with pytest.raises(Invalid) as exc:
        sv.notice_return(actor=w.city, notice=n3, note="", now=at(date(2020, 9, 2)))
    assert exc.value.errors[0].code == "return_note_required"
    sv.notice_return(actor=w.city, notice=n3, note="请附排查清单", now=at(date(2020, 9, 2)))
    n3.refresh_from_db()
    assert n3.status == NoticeStatus.OPEN and n3.deadline == date(2020, 9, 9)
    sv.notice_answer(actor=w.urban_user, notice=n3, answer="已补充清单。", now=at(date(2020, 9, 3)))
    sv.notice_accept(actor=w.city, notice=n3, note="同意办结", now=at(date(2020, 9, 4)))
    n3.refresh_from_db()
    assert n3.status == NoticeStatus.CLOSED
    actions = list(n3.events.values_list("action", flat=True))
    assert actions == ["issued", "answered", "returned", "answered", "closed"]
    assert list(n1.events.values_list("action", flat=True)) == ["issued", "escalated"]
    # closed: quiet for QUIET_DAYS_AFTER_CLOSE, then reminded again while still overdue
    assert sv.supervise(today=date(2020, 9, 10))["raised"] == 0
    assert sv.supervise(today=date(2020, 10, 5))["raised"] == 1


def test_answered_notice_does_not_escalate_and_cannot_be_answered_twice(w):
    sv.supervise(today=DUE + timedelta(days=1))
    (n1,) = open_notices()
    sv.notice_answer(actor=w.urban_user, notice=n1, answer="推进中", now=at(date(2020, 7, 2)))
    assert sv.supervise(today=date(2020, 7, 20)) == {"escalated": 0, "raised": 0, "statuses": 0}
    with pytest.raises(Invalid) as exc:
        sv.notice_answer(actor=w.urban_user, notice=n1, answer="again", now=at(date(2020, 7, 21)))
    assert exc.value.errors[0].code == "notice_not_open"


def test_stalled_milestone_raises_a_reminder(w):
    later = ls.milestone_create(
        actor=w.city,
        task=w.task,
        title="建成收集网络",
        unit=w.weidu,
        due_on=date(2020, 12, 31),
        today=date(2020, 1, 2),
    )
    # task started 2020-01: in February and March the milestone is not stalled yet
    assert not Notice.objects.filter(milestone=later).exists()
    sv.supervise(today=date(2020, 3, 10))
    assert not Notice.objects.filter(milestone=later).exists()
    sv.supervise(today=date(2020, 4, 1))  # neither February nor March has an accepted report
    notice = Notice.objects.get(milestone=later)
    assert notice.reason == NoticeReason.STALLED and notice.unit == w.weidu
    assert "2 个月" in notice.text


def test_the_command_takes_the_clock(w, capsys):
    call_command("supervise", "--today", "2020-07-01")
    assert "raised 1" in capsys.readouterr().out
    assert Notice.objects.get().number == "DB2020-00001"
