"""Ledger services: tasks, sub-tasks, county tasks, milestones, projects, who may write, and
the plan loaded as data."""

from datetime import date
from decimal import Decimal

import pytest

from wufei.core.errors import Invalid, NotPermitted
from wufei.plan import ledger_services as ls
from wufei.plan.choices import TaskStatus
from wufei.plan.loading import city_ledger, load_plan, plan_data
from wufei.plan.models import Area, Task, Unit
from wufei.plan.tests.ledger_world import END, START, ledger_world
from wufei.plan.units import acts_for, units_of

pytestmark = pytest.mark.django_db


def code_of(exc: Invalid) -> str:
    return exc.errors[0].code


@pytest.fixture
def w():
    return ledger_world()


def test_who_acts_for_which_unit(w):
    assert units_of(w.ecology_user) == {w.ecology.pk}
    assert units_of(w.weidu_user) == {w.weidu.pk}
    assert units_of(w.changge_user) == set()
    assert units_of(w.enterprise) == set()
    assert units_of(w.city) == set(Unit.objects.values_list("pk", flat=True))
    assert acts_for(w.city, w.weidu)
    assert acts_for(w.ecology_user, w.ecology.pk)
    assert not acts_for(w.ecology_user, w.urban)
    assert not acts_for(None, w.ecology)


def test_milestone_before_the_task_starts_is_refused(w):
    with pytest.raises(Invalid) as exc:
        ls.milestone_create(
            actor=w.city, task=w.task, title="排查", unit=w.urban, due_on=date(2019, 12, 31)
        )
    assert code_of(exc.value) == "milestone_before_task"
    assert exc.value.errors[0].field == "due_on"
    assert "2020-01-01" in exc.value.errors[0].message
    assert not w.task.milestones.exists()


def test_milestone_after_the_task_ends_is_refused(w):
    with pytest.raises(Invalid) as exc:
        ls.milestone_create(
            actor=w.city, task=w.task, title="排查", unit=w.urban, due_on=date(2021, 1, 1)
        )
    assert code_of(exc.value) == "milestone_after_task"


def test_milestone_unit_joins_the_task_and_unknown_unit_is_refused(w):
    m = ls.milestone_create(
        actor=w.ecology_user,
        task=w.task,
        title="排查",
        unit=w.weidu,
        due_on=date(2020, 6, 30),
        today=date(2020, 3, 1),
    )
    w.task.refresh_from_db()
    assert w.weidu in w.task.units.all()
    assert w.weidu.region in w.task.counties.all()  # the county sees the task now
    assert m.task.status == TaskStatus.ON_TRACK
    with pytest.raises(Invalid) as exc:
        ls.milestone_create(actor=w.city, task=w.task, title="x", unit=999999, due_on=END)
    assert code_of(exc.value) == "unit_unknown"


def test_only_the_ledger_owner_or_lead_unit_plans_a_task(w):
    with pytest.raises(NotPermitted):  # responsible, not lead
        ls.milestone_create(actor=w.urban_user, task=w.task, title="x", unit=w.urban, due_on=END)
    with pytest.raises(NotPermitted):
        ls.task_create(
            actor=w.ecology_user,
            ledger=w.ledger,
            area=w.area,
            number="99",
            title="x",
            lead_unit=w.ecology,
            starts_on=START,
            ends_on=END,
        )


def test_subtask_must_fit_its_parent(w):
    with pytest.raises(Invalid) as exc:
        ls.task_create(
            actor=w.ecology_user,
            ledger=w.ledger,
            parent=w.task,
            number="12.1",
            title="x",
            lead_unit=w.urban,
            starts_on=date(2020, 3, 1),
            ends_on=date(2021, 3, 1),
        )
    assert code_of(exc.value) == "subtask_outside_parent"
    sub = ls.task_create(
        actor=w.ecology_user,
        ledger=w.ledger,
        parent=w.task,
        number="12.1",
        title="专项整治",
        lead_unit=w.urban,
        starts_on=date(2020, 3, 1),
        ends_on=date(2020, 9, 30),
    )
    assert sub.area == w.area and sub.parent == w.task
    with pytest.raises(Invalid) as exc:
        ls.task_create(
            actor=w.city,
            ledger=w.ledger,
            parent=w.task,
            number="12.1",
            title="重复",
            lead_unit=w.urban,
            starts_on=START,
            ends_on=END,
        )
    assert code_of(exc.value) == "task_number_taken"
    with pytest.raises(Invalid) as exc:  # shrinking the parent around its sub-task
        ls.task_update(actor=w.city, task=w.task, ends_on=date(2020, 6, 30))
    assert code_of(exc.value) == "subtasks_outside_task"


def test_reversed_period_is_refused(w):
    with pytest.raises(Invalid) as exc:
        ls.task_create(
            actor=w.city,
            ledger=w.ledger,
            area=w.area,
            number="30",
            title="x",
            lead_unit=w.ecology,
            starts_on=END,
            ends_on=START,
        )
    assert code_of(exc.value) == "task_period_reversed"


def test_county_ledger_task_carries_out_a_city_task(w):
    local = ls.task_create(
        actor=w.weidu_user,
        ledger=w.county_ledger,
        parent=w.task,
        number="1",
        title="魏都区危险废物专项整治",
        lead_unit=w.weidu,
        starts_on=START,
        ends_on=END,
    )
    assert local.parent == w.task and local.ledger == w.county_ledger
    assert w.weidu.region in local.counties.all()
    with pytest.raises(NotPermitted):  # 长葛 does not own 魏都's ledger
        ls.task_create(
            actor=w.changge_user,
            ledger=w.county_ledger,
            area=w.area,
            number="2",
            title="x",
            lead_unit=w.weidu,
            starts_on=START,
            ends_on=END,
        )
    other = ls.task_create(
        actor=w.weidu_user,
        ledger=w.county_ledger,
        area=w.area,
        number="2",
        title="本地任务",
        lead_unit=w.weidu,
        starts_on=START,
        ends_on=END,
    )
    with pytest.raises(Invalid) as exc:  # a city task cannot hang under a county task
        ls.task_create(
            actor=w.city,
            ledger=w.ledger,
            parent=other,
            number="40",
            title="x",
            lead_unit=w.ecology,
            starts_on=START,
            ends_on=END,
        )
    assert code_of(exc.value) == "parent_other_ledger"


def test_project_rules(w):
    p = ls.project_create(
        actor=w.ecology_user,
        task=w.task,
        name="危废集中收集贮存中心",
        unit=w.ecology,
        investment_wan=Decimal("3200"),
        invested_wan=Decimal("800"),
        planned_completion_on=date(2020, 10, 31),
        progress_pct=25,
    )
    assert p.pk and p.stage == "planning"
    with pytest.raises(Invalid) as exc:
        ls.project_update(actor=w.ecology_user, project=p, invested_wan=Decimal("4000"))
    assert code_of(exc.value) == "invested_over_total"
    with pytest.raises(Invalid) as exc:
        ls.project_update(actor=w.ecology_user, project=p, stage="operating")
    assert code_of(exc.value) == "completion_date_required"
    with pytest.raises(NotPermitted):
        ls.project_update(actor=w.weidu_user, project=p, progress_pct=50)


def test_derive_status_rule():
    d = date(2020, 6, 10)
    F = ls.MilestoneFacts
    assert ls.derive_status(starts_on=START, milestones=[], today=d) == TaskStatus.NOT_STARTED
    done = F("done", date(2020, 5, 1), False)
    assert ls.derive_status(starts_on=START, milestones=[done], today=d) == TaskStatus.DONE
    late = F("open", date(2020, 6, 9), True)
    assert ls.derive_status(starts_on=START, milestones=[done, late], today=d) == TaskStatus.LATE
    soon = F("open", date(2020, 6, 25), False)
    assert ls.derive_status(starts_on=START, milestones=[soon], today=d) == TaskStatus.AT_RISK
    reported = F("open", date(2020, 6, 25), True)
    assert ls.derive_status(starts_on=START, milestones=[reported], today=d) == TaskStatus.ON_TRACK
    far = F("open", date(2020, 6, 26), False)
    assert ls.derive_status(starts_on=START, milestones=[far], today=d) == TaskStatus.ON_TRACK
    assert (
        ls.derive_status(
            starts_on=date(2020, 7, 1), milestones=[F("open", date(2020, 9, 1), False)], today=d
        )
        == TaskStatus.NOT_STARTED
    )
    cancelled = F("cancelled", date(2020, 1, 1), False)
    assert (
        ls.derive_status(starts_on=START, milestones=[cancelled], today=d) == TaskStatus.NOT_STARTED
    )


def test_parent_status_follows_subtask_milestones(w):
    sub = ls.task_create(
        actor=w.city,
        ledger=w.ledger,
        parent=w.task,
        number="12.1",
        title="专项整治",
        lead_unit=w.urban,
        starts_on=START,
        ends_on=END,
        today=date(2020, 2, 1),
    )
    ls.milestone_create(
        actor=w.city,
        task=sub,
        title="排查",
        unit=w.urban,
        due_on=date(2020, 3, 1),
        today=date(2020, 2, 1),
    )
    assert ls.tasks_refresh(today=date(2020, 3, 2)) == 2
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.LATE}


def test_the_plan_loads_as_data_idempotently():
    data = plan_data()
    assert len(data["areas"]) == 8 and len(data["tasks"]) == 25
    assert all(t["lead_unit_source"] == "demo" for t in data["tasks"])
    first = load_plan()
    again = load_plan()
    assert first == again == {"units": 30, "areas": 8, "tasks": 25}
    ledger = city_ledger()
    assert ledger.tasks.count() == 25 and Area.objects.count() == 8
    task4 = ledger.tasks.get(number="4")
    assert task4.title == "实施生活垃圾全过程管理"
    assert "一户一卡一码" in task4.text and "有条件的小区" in task4.text  # page break joined
    assert task4.lead_unit.department.code == "urban"
    task7 = ledger.tasks.get(number="7")
    assert list(task7.counties.values_list("adcode", flat=True)) == ["411081"]
    assert Unit.objects.filter(kind="county").count() == 6
