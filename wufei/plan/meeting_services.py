"""Work meetings (推进会, 联席会议) and their decisions (议定事项), each of which becomes a ledger
item: a milestone on a chosen task, or a new sub-task with its own milestone. The decision and
the item point at each other (``Decision.task`` / ``Decision.milestone`` and
``Milestone.decision``), so the ledger shows where a step came from and the meeting what
became of its decisions.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from wufei.core.errors import NotPermitted
from wufei.core.services import log_change
from wufei.plan.choices import MeetingKind
from wufei.plan.ledger_services import invalid, milestone_create, resolve_unit, task_create
from wufei.plan.models import Decision, Meeting, Milestone, Task, Unit
from wufei.plan.units import is_city
from wufei.registry.models import Region


def _ensure_office(actor) -> None:
    """Meetings of the city's working group are recorded by the pilot office."""
    if not is_city(actor):
        raise NotPermitted(_("只有试点办（市级管理人员）可以登记工作会议。"))


@transaction.atomic
def meeting_create(
    *,
    actor,
    kind: str,
    title: str,
    held_on: date,
    region: Region,
    place: str = "",
    chaired_by: str = "",
    attendees: str = "",
    summary: str = "",
) -> Meeting:
    _ensure_office(actor)
    if kind not in MeetingKind.values:
        raise invalid("kind", "kind_invalid", _("会议类型无效。"))
    if not title.strip():
        raise invalid("title", "required", _("请填写会议名称。"))
    meeting = Meeting.objects.create(
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        region=region,
        place=place,
        chaired_by=chaired_by,
        attendees=attendees,
        summary=summary,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_change(actor=actor, obj=meeting, action="create")
    return meeting


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str, unit: Unit | int, due_on: date) -> Decision:
    _ensure_office(actor)
    responsible = resolve_unit(unit, "unit")
    if not text.strip():
        raise invalid("text", "required", _("请填写议定事项。"))
    if due_on < meeting.held_on:
        raise invalid("due_on", "decision_due_before_meeting", _("完成时限不能早于会议日期。"))
    decision = Decision.objects.create(
        meeting=meeting, text=text.strip(), unit=responsible, due_on=due_on
    )
    log_change(actor=actor, obj=decision, action="create")
    return decision


def _locked_open(decision: Decision) -> Decision:
    decision = Decision.objects.select_for_update().select_related("meeting").get(pk=decision.pk)
    if decision.milestone_id is not None:
        raise invalid(None, "decision_in_ledger", _("该议定事项已纳入台账。"))
    return decision


def _title(decision: Decision, title: str | None) -> str:
    return (title or decision.text).strip()[:160]


@transaction.atomic
def decision_to_milestone(
    *, actor, decision: Decision, task: Task, title: str | None = None, weight: int = 1, today: date
) -> Milestone:
    """The decision becomes a milestone of ``task``: its unit and due date, its text as title."""
    _ensure_office(actor)
    decision = _locked_open(decision)
    milestone = milestone_create(
        actor=actor,
        task=task,
        title=_title(decision, title),
        unit=decision.unit,
        due_on=decision.due_on,
        weight=weight,
        today=today,
    )
    decision.task, decision.milestone = task, milestone
    decision.save(update_fields=["task", "milestone"])
    log_change(actor=actor, obj=decision, action="to_ledger")
    return milestone


@transaction.atomic
def decision_to_subtask(
    *,
    actor,
    decision: Decision,
    parent: Task,
    number: str,
    title: str | None = None,
    today: date,
) -> Task:
    """The decision becomes a sub-task of ``parent`` led by its unit, from the meeting's day to
    its due date, with one milestone (the decision itself) due then."""
    _ensure_office(actor)
    decision = _locked_open(decision)
    starts_on = max(decision.meeting.held_on, parent.starts_on)
    subtask = task_create(
        actor=actor,
        ledger=parent.ledger,
        parent=parent,
        number=number,
        title=_title(decision, title)[:120],
        text=decision.text,
        source=_("%(meeting)s（%(day)s）议定事项")
        % {
            "meeting": decision.meeting.title,
            "day": decision.meeting.held_on,
        },
        lead_unit=decision.unit,
        starts_on=starts_on,
        ends_on=decision.due_on,
        today=today,
    )
    milestone = milestone_create(
        actor=actor,
        task=subtask,
        title=_title(decision, title),
        unit=decision.unit,
        due_on=decision.due_on,
        today=today,
    )
    decision.task, decision.milestone = subtask, milestone
    decision.save(update_fields=["task", "milestone"])
    log_change(actor=actor, obj=decision, action="to_ledger")
    return subtask
