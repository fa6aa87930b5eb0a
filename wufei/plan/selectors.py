"""Reads of the task ledger, reports, notices and meetings, scoped to the actor.

A row is visible when the declared scope lets the actor see it (``restrict``: city officials
everything, county officials their county's ledgers and tasks, bureaus every task) or when it
concerns a unit the actor acts for (a report it filed, a notice sent to it, a task it leads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.plan.choices import LedgerKind, MilestoneStatus, NoticeStatus, ReportStatus
from wufei.plan.ledger_services import LIVE_REPORT, month_start
from wufei.plan.models import (
    Area,
    Ledger,
    Meeting,
    Milestone,
    Notice,
    NoticeEvent,
    ProgressReport,
    Project,
    ReportAttachment,
    Task,
    Unit,
)
from wufei.plan.units import is_city, units_of

# "What is due" on a unit's page looks this many days ahead.
DUE_WINDOW_DAYS = 30


def _visible(qs: QuerySet, actor, own: Q) -> QuerySet:
    """Rows ``restrict`` lets ``actor`` see, or that concern one of ``actor``'s units."""
    allowed = restrict(qs.model._default_manager.all(), actor, Action.VIEW).values("pk")
    if is_city(actor):
        return qs
    return qs.filter(Q(pk__in=allowed) | own)


def ledger_list(*, actor) -> QuerySet[Ledger]:
    mine = units_of(actor)
    return _visible(
        Ledger.objects.select_related("region", "unit").order_by("kind", "title"),
        actor,
        Q(unit_id__in=mine),
    )


def default_ledger(*, actor) -> Ledger | None:
    """The city ledger if visible, else the actor's own ledger, else any visible one."""
    ledgers = ledger_list(actor=actor)
    return (
        ledgers.filter(kind=LedgerKind.CITY).first()
        or ledgers.filter(unit_id__in=units_of(actor)).first()
        or ledgers.first()
    )


def task_list(*, actor) -> QuerySet[Task]:
    mine = units_of(actor)
    return _visible(
        Task.objects.select_related("ledger", "area", "lead_unit", "parent"),
        actor,
        Q(lead_unit_id__in=mine) | Q(units__in=mine) | Q(milestones__unit_id__in=mine),
    ).distinct()


@dataclass
class AreaRow:
    area: Area
    tasks: list[Task]


def ledger_tree(*, actor, ledger: Ledger) -> list[AreaRow]:
    """The ledger's top-level tasks grouped by area, each with its units, milestones,
    sub-tasks and projects prefetched (a fixed number of queries whatever the size)."""
    tasks = (
        task_list(actor=actor)
        .filter(ledger=ledger, parent__isnull=True)
        .order_by("area__number", "id")
        .prefetch_related(
            "units",
            Prefetch("milestones", queryset=Milestone.objects.select_related("unit")),
            Prefetch("children", queryset=Task.objects.select_related("lead_unit")),
        )
        .annotate(project_count=Count("projects", distinct=True))
    )
    rows: dict[int, AreaRow] = {}
    for task in tasks:
        rows.setdefault(task.area_id, AreaRow(task.area, [])).tasks.append(task)
    return list(rows.values())


def task_detail(*, actor, pk: int) -> Task | None:
    return task_list(actor=actor).filter(pk=pk).first()


def task_milestones(task: Task) -> QuerySet[Milestone]:
    reports = ProgressReport.objects.select_related("unit").prefetch_related("files")
    return (
        Milestone.objects.filter(Q(task=task) | Q(task__parent=task))
        .select_related("unit", "task", "decision__meeting")
        .prefetch_related(Prefetch("reports", queryset=reports))
    )


def task_notices(task: Task) -> QuerySet[Notice]:
    return Notice.objects.filter(Q(task=task) | Q(task__parent=task)).select_related(
        "unit", "milestone"
    )


def project_list(*, actor) -> QuerySet[Project]:
    mine = units_of(actor)
    return _visible(
        Project.objects.select_related("task", "unit", "county"), actor, Q(unit_id__in=mine)
    )


def report_list(*, actor) -> QuerySet[ProgressReport]:
    mine = units_of(actor)
    return _visible(
        ProgressReport.objects.select_related("milestone__task", "unit").prefetch_related("files"),
        actor,
        Q(unit_id__in=mine) | Q(milestone__task__lead_unit_id__in=mine),
    )


def review_queue(*, actor) -> QuerySet[ProgressReport]:
    """Submitted reports on tasks the actor's units lead, oldest first."""
    queue = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
    if not is_city(actor):
        queue = queue.filter(milestone__task__lead_unit_id__in=units_of(actor))
    return (
        queue.select_related("milestone__task__lead_unit", "unit")
        .prefetch_related("files")
        .order_by("submitted_at", "pk")
    )


def attachment_for(*, actor, pk: int) -> ReportAttachment | None:
    attachment = ReportAttachment.objects.select_related("report").filter(pk=pk).first()
    if attachment is None or not report_list(actor=actor).filter(pk=attachment.report_id).exists():
        return None
    return attachment


def notice_list(*, actor) -> QuerySet[Notice]:
    return _visible(
        Notice.objects.select_related("unit", "task", "milestone"),
        actor,
        Q(unit_id__in=units_of(actor)),
    )


def notice_events(notice: Notice) -> QuerySet[NoticeEvent]:
    return notice.events.select_related("actor").order_by("at", "pk")


def notice_chain(notice: Notice) -> list[Notice]:
    """The notice and the ones it was escalated from, oldest first, then its escalation."""
    chain = [notice]
    while chain[0].parent_id is not None:
        chain.insert(0, Notice.objects.get(pk=chain[0].parent_id))
    follow = notice.escalations.first()
    while follow is not None:
        chain.append(follow)
        follow = follow.escalations.first()
    return chain


def meeting_list(*, actor) -> QuerySet[Meeting]:
    return restrict(Meeting.objects.annotate(decision_count=Count("decisions")), actor, Action.VIEW)


@dataclass
class UnitPage:
    """What a unit must look at: due soon, late, open notices, reports to file this month."""

    unit: Unit
    due_soon: list[Milestone]
    late: list[Milestone]
    notices: list[Notice]
    to_report: list[Milestone]
    returned: list[ProgressReport]


def unit_page(*, unit: Unit, today: date) -> UnitPage:
    open_ = Milestone.objects.filter(unit=unit, status=MilestoneStatus.OPEN).select_related("task")
    this_month = month_start(today)
    reported = ProgressReport.objects.filter(
        unit=unit, period=this_month, status__in=LIVE_REPORT
    ).values("milestone_id")
    return UnitPage(
        unit=unit,
        due_soon=list(
            open_.filter(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS))
        ),
        late=list(open_.filter(due_on__lt=today)),
        notices=list(
            Notice.objects.filter(
                unit=unit, status__in=(NoticeStatus.OPEN, NoticeStatus.ANSWERED)
            ).select_related("task", "milestone")
        ),
        to_report=list(
            open_.filter(task__starts_on__lte=today).exclude(pk__in=reported).order_by("due_on")
        ),
        returned=list(
            ProgressReport.objects.filter(
                unit=unit, status=ReportStatus.RETURNED, period=this_month
            )
            .exclude(
                milestone__reports__period=this_month, milestone__reports__status__in=LIVE_REPORT
            )
            .select_related("milestone")
        ),
    )


def my_units(*, actor) -> QuerySet[Unit]:
    """The units whose page the actor may open: their own, or every unit for the city."""
    return Unit.objects.filter(pk__in=units_of(actor)).order_by("kind", "name")
