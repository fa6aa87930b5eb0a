"""Writes of the task ledger: tasks and sub-tasks, milestones, major projects, monthly progress
reports and their review, and the task status that follows from the milestones.

Who may write follows the plan's division of labour (``wufei.plan.units``), not the waste
streams a bureau regulates: the unit that owns a ledger edits it (city officials for the
city ledger, the pilot office acting for the city), a task's lead unit adds milestones and
reviews reports, and a milestone's responsible unit reports on it. Every refusal is an
``Invalid`` with a stable code and a Chinese message, raised before anything is written.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.plan.choices import (
    LedgerKind,
    MilestoneStatus,
    ProjectStage,
    ReportStatus,
    TaskStatus,
    UnitKind,
)
from wufei.plan.models import (
    Area,
    Ledger,
    Milestone,
    ProgressReport,
    Project,
    ReportAttachment,
    Task,
    Unit,
)
from wufei.plan.units import acts_for
from wufei.registry.models import Region

# A milestone due within this many days, with no report this month, puts its task at risk.
AT_RISK_DAYS = 15
# Attachments of a progress report: at most this many, each at most this large, of these types
# (checked by extension and by the file's first bytes, so a renamed file is refused too).
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
LIVE_REPORT = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


def invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def resolve_unit(value: Unit | int | None, field: str) -> Unit:
    """A unit given as a row or an id; a missing one is refused with ``unit_required``, an
    unknown id with ``unit_unknown``."""
    if value is None or value == "":
        raise invalid(field, "unit_required", _("请选择单位。"))
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(pk=value).first()
    if unit is None:
        raise invalid(field, "unit_unknown", _("单位不存在：%(id)s。") % {"id": value})
    return unit


def _units(values: Iterable[Unit | int], field: str) -> list[Unit]:
    return [resolve_unit(v, field) for v in values]


# --- who may edit -----------------------------------------------------------------------------


def may_edit_ledger(actor, ledger: Ledger) -> bool:
    """The unit owning the ledger (city officials for every ledger)."""
    return acts_for(actor, ledger.unit_id)


def may_plan_task(actor, task: Task) -> bool:
    """The ledger's owner and the task's lead unit plan its milestones and sub-tasks."""
    return may_edit_ledger(actor, task.ledger) or acts_for(actor, task.lead_unit_id)


def _ensure(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted()


# --- tasks ------------------------------------------------------------------------------------


def _check_task(*, ledger: Ledger, parent: Task | None, starts_on: date, ends_on: date) -> None:
    errors = []
    if ends_on < starts_on:
        errors.append(
            FieldError("ends_on", "task_period_reversed", _("完成时限不能早于开始日期。"))
        )
    if parent is not None:
        same_ledger = parent.ledger_id == ledger.pk
        carries_out_city_task = (
            ledger.kind != LedgerKind.CITY and parent.ledger.kind == LedgerKind.CITY
        )
        if not (same_ledger or carries_out_city_task):
            errors.append(
                FieldError(
                    "parent",
                    "parent_other_ledger",
                    _("上级任务须属于同一台账，或为县（市、区）、部门台账所落实的全市任务。"),
                )
            )
        if starts_on < parent.starts_on or ends_on > parent.ends_on:
            errors.append(
                FieldError(
                    "starts_on" if starts_on < parent.starts_on else "ends_on",
                    "subtask_outside_parent",
                    _("子任务的起止日期须在上级任务期限（%(start)s 至 %(end)s）之内。")
                    % {"start": parent.starts_on, "end": parent.ends_on},
                )
            )
    if errors:
        raise Invalid(errors)


def _counties_of(units: Iterable[Unit]) -> list[int]:
    return [u.region_id for u in units if u.kind == UnitKind.COUNTY and u.region_id]


@transaction.atomic
def task_create(
    *,
    actor,
    ledger: Ledger,
    number: str,
    title: str,
    lead_unit: Unit | int,
    starts_on: date,
    ends_on: date,
    area: Area | None = None,
    parent: Task | None = None,
    text: str = "",
    source: str = "",
    units: Sequence[Unit | int] = (),
    counties: Sequence[Region] = (),
    today: date | None = None,
) -> Task:
    """A task of ``ledger``, or a sub-task under ``parent`` (its area by default). A county or
    department ledger's task may name as ``parent`` the city task it carries out."""
    if parent is not None:
        _ensure(may_plan_task(actor, parent) or may_edit_ledger(actor, ledger))
    else:
        _ensure(may_edit_ledger(actor, ledger))
    lead = resolve_unit(lead_unit, "lead_unit")
    responsible = _units(units, "units")
    area = area or (parent.area if parent is not None else None)
    if area is None:
        raise invalid("area", "area_required", _("请选择任务领域。"))
    if not number.strip() or not title.strip():
        raise invalid(
            "number" if not number.strip() else "title", "required", _("编号和任务名称不能为空。")
        )
    _check_task(ledger=ledger, parent=parent, starts_on=starts_on, ends_on=ends_on)
    if Task.objects.filter(ledger=ledger, number=number.strip()).exists():
        raise invalid(
            "number", "task_number_taken", _("本台账已有编号为 %(n)s 的任务。") % {"n": number}
        )
    task = Task.objects.create(
        ledger=ledger,
        area=area,
        parent=parent,
        number=number.strip(),
        title=title.strip(),
        text=text,
        source=source,
        lead_unit=lead,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    task.units.set(responsible)
    region_ids = {c.pk for c in counties} | set(_counties_of([lead, *responsible]))
    if ledger.kind == LedgerKind.COUNTY:
        region_ids.add(ledger.region_id)
    task.counties.set(region_ids)
    task_status_refresh(task=task, today=today or timezone.localdate())
    log_change(actor=actor, obj=task, action="create")
    return task


TASK_FIELDS = ("title", "text", "lead_unit", "starts_on", "ends_on", "area")


@transaction.atomic
def task_update(*, actor, task: Task, today: date | None = None, **changes: Any) -> Task:
    """Change a task's fields (``TASK_FIELDS``) and, with ``units``, its responsible units.
    Its milestones and sub-tasks must still fit its period."""
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("ledger", "parent")
        .get(pk=task.pk)
    )
    _ensure(may_edit_ledger(actor, task.ledger))
    unknown = set(changes) - {*TASK_FIELDS, "units"}
    if unknown:
        raise invalid(sorted(unknown)[0], "field_not_editable", _("该字段不可修改。"))
    units = changes.pop("units", None)
    if "lead_unit" in changes:
        changes["lead_unit"] = resolve_unit(changes["lead_unit"], "lead_unit")
    for name, value in changes.items():
        setattr(task, name, value)
    _check_task(
        ledger=task.ledger, parent=task.parent, starts_on=task.starts_on, ends_on=task.ends_on
    )
    outside = task.milestones.filter(Q(due_on__lt=task.starts_on) | Q(due_on__gt=task.ends_on))
    if outside.exists():
        raise invalid(
            "ends_on", "milestones_outside_task", _("已有节点的完成时限超出修改后的任务期限。")
        )
    children = task.children.filter(Q(starts_on__lt=task.starts_on) | Q(ends_on__gt=task.ends_on))
    if children.exists():
        raise invalid("ends_on", "subtasks_outside_task", _("已有子任务超出修改后的任务期限。"))
    task.save()
    if units is not None:
        task.units.set(_units(units, "units"))
    task_status_refresh(task=task, today=today or timezone.localdate())
    log_change(actor=actor, obj=task, action="update")
    return task


# --- milestones -------------------------------------------------------------------------------


def _check_milestone(task: Task, due_on: date) -> None:
    if due_on < task.starts_on:
        raise invalid(
            "due_on",
            "milestone_before_task",
            _("节点完成时限 %(due)s 早于任务开始日期 %(start)s。")
            % {"due": due_on, "start": task.starts_on},
        )
    if due_on > task.ends_on:
        raise invalid(
            "due_on",
            "milestone_after_task",
            _("节点完成时限 %(due)s 晚于任务完成时限 %(end)s。")
            % {"due": due_on, "end": task.ends_on},
        )


def _check_target(indicator, target) -> Decimal | None:
    if target in (None, ""):
        return None
    if indicator is None:
        raise invalid("target", "target_without_indicator", _("填写指标目标值时须选择关联指标。"))
    try:
        return Decimal(str(target))
    except InvalidOperation as exc:
        raise invalid("target", "invalid_number", _("指标目标值须为数字。")) from exc


@transaction.atomic
def milestone_create(
    *,
    actor,
    task: Task,
    title: str,
    unit: Unit | int,
    due_on: date,
    weight: int = 1,
    indicator=None,
    target=None,
    today: date | None = None,
) -> Milestone:
    """A dated step of ``task``; its unit becomes one of the task's responsible units (and a
    county government's county one of the task's counties), so it may report on it."""
    task = Task.objects.select_for_update().select_related("ledger").get(pk=task.pk)
    _ensure(may_plan_task(actor, task))
    responsible = resolve_unit(unit, "unit")
    if not title.strip():
        raise invalid("title", "required", _("节点名称不能为空。"))
    if weight < 1:
        raise invalid("weight", "weight_positive", _("权重须为正整数。"))
    _check_milestone(task, due_on)
    milestone = Milestone.objects.create(
        task=task,
        title=title.strip(),
        unit=responsible,
        due_on=due_on,
        weight=weight,
        indicator=indicator,
        target=_check_target(indicator, target),
    )
    if responsible.pk != task.lead_unit_id:
        task.units.add(responsible)
    task.counties.add(*_counties_of([responsible]))
    task_status_refresh(task=task, today=today or timezone.localdate())
    log_change(actor=actor, obj=milestone, action="create")
    return milestone


@transaction.atomic
def milestone_update(
    *, actor, milestone: Milestone, today: date | None = None, **changes: Any
) -> Milestone:
    """Change title, due date, weight, indicator/target or cancel (status ``cancelled``)."""
    milestone = (
        Milestone.objects.select_for_update().select_related("task__ledger").get(pk=milestone.pk)
    )
    _ensure(may_plan_task(actor, milestone.task))
    allowed = {"title", "due_on", "weight", "indicator", "target", "unit", "cancelled"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], "field_not_editable", _("该字段不可修改。"))
    if changes.pop("cancelled", False):
        if milestone.status == MilestoneStatus.DONE:
            raise invalid(None, "milestone_done", _("已完成的节点不能取消。"))
        milestone.status = MilestoneStatus.CANCELLED
    if "unit" in changes:
        changes["unit"] = resolve_unit(changes["unit"], "unit")
    for name, value in changes.items():
        setattr(milestone, name, value)
    milestone.target = _check_target(milestone.indicator, milestone.target)
    _check_milestone(milestone.task, milestone.due_on)
    milestone.save()
    task_status_refresh(task=milestone.task, today=today or timezone.localdate())
    log_change(actor=actor, obj=milestone, action="update")
    return milestone


# --- projects ---------------------------------------------------------------------------------

PROJECT_FIELDS = (
    "name",
    "unit",
    "county",
    "party",
    "investment_wan",
    "invested_wan",
    "stage",
    "starts_on",
    "planned_completion_on",
    "completed_on",
    "progress_pct",
    "note",
    "is_invented",
)


def _check_project(project: Project) -> None:
    errors = []
    if project.investment_wan is None or project.investment_wan <= 0:
        errors.append(FieldError("investment_wan", "investment_positive", _("总投资须大于零。")))
    elif project.invested_wan < 0 or project.invested_wan > project.investment_wan:
        errors.append(
            FieldError("invested_wan", "invested_over_total", _("已完成投资须在 0 与总投资之间。"))
        )
    if not 0 <= project.progress_pct <= 100:
        errors.append(FieldError("progress_pct", "progress_range", _("形象进度须在 0–100 之间。")))
    if project.stage == ProjectStage.OPERATING and project.completed_on is None:
        errors.append(
            FieldError(
                "completed_on", "completion_date_required", _("建成投运的项目须填写实际建成日期。")
            )
        )
    if project.starts_on and project.planned_completion_on < project.starts_on:
        errors.append(
            FieldError(
                "planned_completion_on",
                "project_period_reversed",
                _("计划建成日期不能早于开工日期。"),
            )
        )
    if errors:
        raise Invalid(errors)


@transaction.atomic
def project_create(*, actor, task: Task, **fields: Any) -> Project:
    _ensure(may_plan_task(actor, task))
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], "field_not_editable", _("该字段不可修改。"))
    fields["unit"] = resolve_unit(fields.get("unit"), "unit")
    project = Project(task=task, **fields)
    _check_project(project)
    project.save()
    log_change(actor=actor, obj=project, action="create")
    return project


@transaction.atomic
def project_update(*, actor, project: Project, **changes: Any) -> Project:
    project = Project.objects.select_for_update().select_related("task__ledger").get(pk=project.pk)
    _ensure(may_plan_task(actor, project.task) or acts_for(actor, project.unit_id))
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], "field_not_editable", _("该字段不可修改。"))
    if "unit" in changes:
        changes["unit"] = resolve_unit(changes["unit"], "unit")
    for name, value in changes.items():
        setattr(project, name, value)
    _check_project(project)
    project.save()
    log_change(actor=actor, obj=project, action="update")
    return project


# --- progress reports -------------------------------------------------------------------------


def _check_figures(figures: Any) -> list[dict]:
    """Figures are ``[{"label": str, "value": number, "unit": str}]`` (unit optional)."""
    message = _("数据须为列表，每项包含名称（label）和数值（value）。")
    if not isinstance(figures, list):
        raise invalid("figures", "figures_invalid", message)
    out = []
    for item in figures:
        if not isinstance(item, dict) or not str(item.get("label", "")).strip():
            raise invalid("figures", "figures_invalid", message)
        try:
            value = Decimal(str(item.get("value")))
        except InvalidOperation as exc:
            raise invalid("figures", "figures_invalid", message) from exc
        if not value.is_finite():
            raise invalid("figures", "figures_invalid", message)
        out.append(
            {
                "label": str(item["label"]).strip()[:60],
                "value": str(value),
                "unit": str(item.get("unit", "")).strip()[:16],
            }
        )
    return out


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise invalid(
            "files", "too_many_attachments", _("附件最多 %(n)s 个。") % {"n": MAX_ATTACHMENTS}
        )
    for upload in files:
        name = upload.name or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ATTACHMENT_SIGNATURES:
            raise invalid(
                "files",
                "attachment_type",
                _("附件 %(name)s 的类型不支持，仅限 pdf、docx、xlsx、jpg、png。") % {"name": name},
            )
        if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
            raise invalid(
                "files", "attachment_too_large", _("附件 %(name)s 超过 5 MB。") % {"name": name}
            )
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if not head.startswith(ATTACHMENT_SIGNATURES[extension]):
            raise invalid(
                "files",
                "attachment_content",
                _("附件 %(name)s 的内容与扩展名不符。") % {"name": name},
            )


@transaction.atomic
def report_submit(
    *,
    actor,
    milestone: Milestone,
    unit: Unit | int,
    period: date,
    text: str,
    now: datetime,
    figures: Any = (),
    claims_done: bool = False,
    files: Sequence[UploadedFile] = (),
) -> ProgressReport:
    """A unit's progress on a milestone for one month (any day of it), no later than ``now``'s
    month; one live report per milestone, unit and month (a returned one may be refiled)."""
    reporter = resolve_unit(unit, "unit")
    milestone = Milestone.objects.select_for_update().select_related("task").get(pk=milestone.pk)
    if reporter.pk != milestone.unit_id:
        raise invalid(
            "unit",
            "unit_not_responsible",
            _("%(unit)s 不是节点“%(m)s”的责任单位，不能报送其进展。")
            % {"unit": reporter, "m": milestone.title},
        )
    _ensure(acts_for(actor, reporter))
    today = timezone.localdate(now)
    period = month_start(period)
    if period > month_start(today):
        raise invalid("period", "report_future_month", _("不能报送未来月份的进展。"))
    if period < month_start(milestone.task.starts_on):
        raise invalid("period", "report_before_task", _("报送月份早于任务开始日期。"))
    if milestone.status != MilestoneStatus.OPEN:
        raise invalid(None, "milestone_closed", _("该节点已完成或已取消，无需报送。"))
    if not text.strip():
        raise invalid("text", "required", _("请填写进展情况。"))
    clean_figures = _check_figures(list(figures))
    _check_attachments(files)
    if ProgressReport.objects.filter(
        milestone=milestone, unit=reporter, period=period, status__in=LIVE_REPORT
    ).exists():
        raise invalid("period", "already_reported", _("该单位本月已报送此节点的进展。"))
    try:
        with transaction.atomic():
            report = ProgressReport.objects.create(
                milestone=milestone,
                unit=reporter,
                period=period,
                text=text.strip(),
                figures=clean_figures,
                claims_done=claims_done,
                submitted_at=now,
                submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:  # filed concurrently
        raise invalid("period", "already_reported", _("该单位本月已报送此节点的进展。")) from exc
    for upload in files:
        ReportAttachment.objects.create(
            report=report, file=upload, name=(upload.name or "")[:120], size=upload.size or 0
        )
    task_status_refresh(task=milestone.task, today=today)
    log_change(actor=actor, obj=report, action="create")
    return report


@transaction.atomic
def report_review(
    *, actor, report: ProgressReport, accept: bool, now: datetime, note: str = ""
) -> ProgressReport:
    """The task's lead unit accepts or returns a submitted report (a return needs a note).
    Accepting a report that claims the milestone done marks it done on the day it was filed."""
    report = (
        ProgressReport.objects.select_for_update()
        .select_related("milestone__task")
        .get(pk=report.pk)
    )
    task = report.milestone.task
    _ensure(acts_for(actor, task.lead_unit_id))
    if report.status != ReportStatus.SUBMITTED:
        raise invalid(None, "report_not_pending", _("该报送已审核。"))
    if not accept and not note.strip():
        raise invalid("note", "review_note_required", _("退回时请填写审核意见。"))
    report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    report.reviewed_at = now
    report.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    report.review_note = note.strip()[:300]
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_note"])
    if accept and report.claims_done:
        milestone = Milestone.objects.select_for_update().get(pk=report.milestone_id)
        if milestone.status == MilestoneStatus.OPEN:
            milestone.status = MilestoneStatus.DONE
            milestone.done_on = timezone.localdate(report.submitted_at)
            milestone.save(update_fields=["status", "done_on"])
            log_change(actor=actor, obj=milestone, action="done")
    task_status_refresh(task=task, today=timezone.localdate(now))
    log_change(actor=actor, obj=report, action="accept" if accept else "return")
    return report


# --- task status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneFacts:
    """What a task's status needs to know of one milestone."""

    status: str
    due_on: date
    reported_this_month: bool


def derive_status(*, starts_on: date, milestones: Sequence[MilestoneFacts], today: date) -> str:
    """The one rule for a task's status, from its (and its sub-tasks') milestones.

    done: every milestone done · late: an open milestone past due · at risk: an open milestone
    due within ``AT_RISK_DAYS`` without a report this month · not started: before the task
    starts or without milestones · otherwise on track. Cancelled milestones do not count.
    """
    live = [m for m in milestones if m.status != MilestoneStatus.CANCELLED]
    if not live:
        return TaskStatus.NOT_STARTED
    open_ = [m for m in live if m.status == MilestoneStatus.OPEN]
    if not open_:
        return TaskStatus.DONE
    if any(m.due_on < today for m in open_):
        return TaskStatus.LATE
    soon = today + timedelta(days=AT_RISK_DAYS)
    if any(m.due_on <= soon and not m.reported_this_month for m in open_):
        return TaskStatus.AT_RISK
    if today < starts_on:
        return TaskStatus.NOT_STARTED
    return TaskStatus.ON_TRACK


def _task_family(task_ids: set[int]) -> dict[int, set[int]]:
    """Each task id → itself and all tasks below it (sub-tasks of sub-tasks too)."""
    parents = dict(Task.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    family = {pk: {pk} for pk in task_ids}
    for child in parents:
        node: int | None = child
        while node is not None:
            if node in family:
                family[node].add(child)
            node = parents.get(node)
    return family


def tasks_refresh(*, today: date, tasks: Iterable[Task] | None = None) -> int:
    """Recompute the status of ``tasks`` (all tasks by default, the nightly run); a task's
    ancestors follow it. Returns how many statuses changed. Reads every milestone once."""
    chosen = list(Task.objects.all() if tasks is None else tasks)
    ids = {t.pk for t in chosen}
    parents = dict(Task.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    for pk in list(ids):  # ancestors of a changed task may change too
        node = parents.get(pk)
        while node is not None:
            ids.add(node)
            node = parents.get(node)
    family = _task_family(ids)
    members = set().union(*family.values()) if family else set()
    this_month = month_start(today)
    reported = set(
        ProgressReport.objects.filter(
            period=this_month, status__in=LIVE_REPORT, milestone__task_id__in=members
        ).values_list("milestone_id", flat=True)
    )
    facts: dict[int, list[MilestoneFacts]] = {}
    for pk, task_id, status, due_on in Milestone.objects.filter(task_id__in=members).values_list(
        "pk", "task_id", "status", "due_on"
    ):
        facts.setdefault(task_id, []).append(MilestoneFacts(status, due_on, pk in reported))
    now = timezone.now()
    changed = 0
    for task in Task.objects.filter(pk__in=ids).only("pk", "starts_on", "status"):
        rows = [f for member in family[task.pk] for f in facts.get(member, [])]
        status = derive_status(starts_on=task.starts_on, milestones=rows, today=today)
        if status != task.status:
            Task.objects.filter(pk=task.pk).update(status=status, status_changed_at=now)
            changed += 1
    return changed


def task_status_refresh(*, task: Task, today: date) -> str:
    """Recompute ``task``'s status (and its ancestors'); returns the task's new status."""
    tasks_refresh(today=today, tasks=[task])
    status = Task.objects.values_list("status", flat=True).get(pk=task.pk)
    task.status = status
    return status
