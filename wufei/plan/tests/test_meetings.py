"""Meetings and decisions that become ledger items, linked both ways."""

from datetime import date

import pytest

from wufei.core.errors import Invalid, NotPermitted
from wufei.plan import meeting_services as ms
from wufei.plan.tests.ledger_world import ledger_world

pytestmark = pytest.mark.django_db
HELD = date(2020, 9, 14)


@pytest.fixture
def w():
    world = ledger_world()
    world.meeting = ms.meeting_create(
        actor=world.city,
        kind="progress",
        title="第八次工作推进会",
        held_on=HELD,
        region=world.ledger.region,
        chaired_by="副市长",
    )
    return world


def test_only_the_office_records_meetings(w):
    with pytest.raises(NotPermitted):
        ms.meeting_create(
            actor=w.ecology_user, kind="progress", title="x", held_on=HELD, region=w.ledger.region
        )


def test_decision_becomes_a_milestone(w):
    d = ms.decision_add(
        actor=w.city,
        meeting=w.meeting,
        text="建立督导台账，严格兑现奖惩",
        unit=w.urban,
        due_on=date(2020, 10, 31),
    )
    m = ms.decision_to_milestone(actor=w.city, decision=d, task=w.task, today=HELD)
    d.refresh_from_db()
    assert d.milestone == m and d.task == w.task and m.decision == d
    assert (m.unit, m.due_on, m.title) == (w.urban, date(2020, 10, 31), d.text)
    with pytest.raises(Invalid) as exc:
        ms.decision_to_milestone(actor=w.city, decision=d, task=w.task, today=HELD)
    assert exc.value.errors[0].code == "decision_in_ledger"


def test_decision_outside_the_task_is_refused_with_the_ledger_reason(w):
    d = ms.decision_add(
        actor=w.city, meeting=w.meeting, text="年后完成", unit=w.urban, due_on=date(2021, 3, 1)
    )
    with pytest.raises(Invalid) as exc:
        ms.decision_to_milestone(actor=w.city, decision=d, task=w.task, today=HELD)
    assert exc.value.errors[0].code == "milestone_after_task"
    d.refresh_from_db()
    assert d.milestone is None


def test_decision_becomes_a_subtask_with_its_milestone(w):
    d = ms.decision_add(
        actor=w.city,
        meeting=w.meeting,
        text="开展固体废物大督查",
        unit=w.weidu,
        due_on=date(2020, 11, 30),
    )
    sub = ms.decision_to_subtask(actor=w.city, decision=d, parent=w.task, number="12.9", today=HELD)
    d.refresh_from_db()
    assert sub.parent == w.task and sub.lead_unit == w.weidu and d.task == sub
    assert (sub.starts_on, sub.ends_on) == (HELD, date(2020, 11, 30))
    assert d.milestone.task == sub and "第八次工作推进会" in sub.source


def test_decision_due_before_the_meeting_is_refused(w):
    with pytest.raises(Invalid) as exc:
        ms.decision_add(
            actor=w.city, meeting=w.meeting, text="x", unit=w.urban, due_on=date(2020, 9, 1)
        )
    assert exc.value.errors[0].code == "decision_due_before_meeting"
