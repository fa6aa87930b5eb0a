"""Supervision (督办) with a controllable clock.

``supervise(today=...)`` is the daily run (``wufei supervise``): it escalates the notices
nobody answered in time, raises a reminder for each overdue or stalled milestone, and
refreshes task statuses. Units answer; the pilot office (city officials) accepts an answer
(closed) or returns it (open again with a new deadline). Every step writes a
``NoticeEvent``, so the trail shows who did what and when.

The rules and their numbers are the module-level settings below, so the office can read
them in one place (and tests and the demo use the same values).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.core.errors import NotPermitted
from wufei.core.services import log_change
from wufei.plan.choices import (
    MilestoneStatus,
    NoticeLevel,
    NoticeReason,
    NoticeStatus,
    ReportStatus,
)
from wufei.plan.ledger_services import add_months, invalid, month_start, tasks_refresh
from wufei.plan.models import Milestone, Notice, NoticeEvent, ProgressReport, Task, Unit
from wufei.plan.units import acts_for, is_city

# A milestone is stalled when none of the last STALLED_MONTHS complete months has an accepted
# report (counted from the month its task started, so a new task is not stalled at once).
STALLED_MONTHS = 2
# A unit answers a notice within this many working days (Monday-Friday; public holidays and
# the adjusted working weekends of the Chinese calendar are not modelled).
ANSWER_WORKING_DAYS = 5
# After a notice about an item is closed, no new one for the same item within this many days:
# the unit has answered and the office accepted the answer; the next one waits for facts.
QUIET_DAYS_AFTER_CLOSE = 30
# Levels: 1 提醒督办 → 2 督办通知 → 3 通报约谈; an unanswered level-3 notice stays open.
TOP_LEVEL = NoticeLevel.CIRCULAR
# Hour of the day at which the daily run issues its notices (local time).
ISSUE_HOUR = 9
# Notices about an item that is still being handled (no new one while one of these exists).
PENDING = (NoticeStatus.OPEN, NoticeStatus.ANSWERED)


def add_working_days(day: date, days: int) -> date:
    """``day`` plus ``days`` working days (weekends skipped)."""
    out = day
    while days > 0:
        out += timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def issue_time(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(ISSUE_HOUR)))


def _next_number(day: date) -> str:
    prefix = f"DB{day:%Y}-"
    last = (
        Notice.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def _event(notice: Notice, action: str, at: datetime, *, actor=None, note: str = "") -> None:
    NoticeEvent.objects.create(
        notice=notice,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        note=note[:300],
    )


def _create(
    *,
    unit_id: int,
    task_id: int,
    milestone_id: int | None,
    reason: str,
    level: int,
    text: str,
    at: datetime,
    parent: Notice | None = None,
    actor=None,
) -> Notice:
    notice = Notice.objects.create(
        number=_next_number(timezone.localdate(at)),
        unit_id=unit_id,
        task_id=task_id,
        milestone_id=milestone_id,
        reason=reason,
        level=level,
        text=text,
        issued_at=at,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        deadline=add_working_days(timezone.localdate(at), ANSWER_WORKING_DAYS),
        parent=parent,
    )
    _event(notice, "issued", at, actor=actor, note=text)
    return notice


# --- the daily run ----------------------------------------------------------------------------


def _escalate_overdue(today: date) -> int:
    """Every open notice past its deadline below the top level: mark it escalated and issue
    the next level to the same unit about the same item."""
    at = issue_time(today)
    count = 0
    for notice in (
        Notice.objects.select_for_update()
        .filter(status=NoticeStatus.OPEN, deadline__lt=today, level__lt=TOP_LEVEL)
        .order_by("pk")
    ):
        level = NoticeLevel(notice.level + 1)
        notice.status = NoticeStatus.ESCALATED
        notice.save(update_fields=["status"])
        _event(
            notice, "escalated", at, note=str(_("逾期未反馈，升级为%(l)s。") % {"l": level.label})
        )
        text = _("【%(level)s】%(no)s 号督办逾期未反馈（反馈时限 %(deadline)s）。%(text)s") % {
            "level": level.label,
            "no": notice.number,
            "deadline": notice.deadline,
            "text": notice.text,
        }
        _create(
            unit_id=notice.unit_id,
            task_id=notice.task_id,
            milestone_id=notice.milestone_id,
            reason=notice.reason,
            level=level,
            text=text,
            at=at,
            parent=notice,
        )
        count += 1
    return count


def _stalled_since(today: date) -> date:
    """Accepted reports from this month on keep a milestone from being stalled."""
    return add_months(month_start(today), -STALLED_MONTHS)


def _candidates(today: date) -> list[tuple[Milestone, str]]:
    """Open milestones that are overdue, or stalled, with the reason for each."""
    milestones = list(
        Milestone.objects.filter(status=MilestoneStatus.OPEN, task__starts_on__lte=today)
        .select_related("task", "unit")
        .order_by("pk")
    )
    last_accepted = dict(
        ProgressReport.objects.filter(
            status=ReportStatus.ACCEPTED, milestone__status=MilestoneStatus.OPEN
        )
        .values("milestone_id")
        .annotate(last=Max("period"))
        .values_list("milestone_id", "last")
    )
    since = _stalled_since(today)
    out: list[tuple[Milestone, str]] = []
    for m in milestones:
        if m.due_on < today:
            out.append((m, NoticeReason.OVERDUE))
            continue
        reference = max(last_accepted.get(m.pk) or date.min, month_start(m.task.starts_on))
        if reference < since:
            out.append((m, NoticeReason.STALLED))
    return out


def _blocked(today: date) -> set[int]:
    """Milestones with a pending notice, or one closed within the quiet period."""
    quiet_from = issue_time(today - timedelta(days=QUIET_DAYS_AFTER_CLOSE))
    return set(
        Notice.objects.filter(milestone__isnull=False)
        .filter(Q(status__in=PENDING) | Q(status=NoticeStatus.CLOSED, closed_at__gte=quiet_from))
        .values_list("milestone_id", flat=True)
    )


def _reminder_text(milestone: Milestone, reason: str, today: date) -> str:
    if reason == NoticeReason.OVERDUE:
        return _(
            "节点“%(m)s”（任务 %(t)s）完成时限为 %(due)s，已逾期 %(days)s 天，请尽快推进并反馈。"
        ) % {
            "m": milestone.title,
            "t": milestone.task,
            "due": milestone.due_on,
            "days": (today - milestone.due_on).days,
        }
    return _("节点“%(m)s”（任务 %(t)s）近 %(n)s 个月无审核通过的进展报送，请说明进展情况。") % {
        "m": milestone.title,
        "t": milestone.task,
        "n": STALLED_MONTHS,
    }


def _raise_reminders(today: date) -> int:
    at = issue_time(today)
    blocked = _blocked(today)
    count = 0
    for milestone, reason in _candidates(today):
        if milestone.pk in blocked:
            continue
        _create(
            unit_id=milestone.unit_id,
            task_id=milestone.task_id,
            milestone_id=milestone.pk,
            reason=reason,
            level=NoticeLevel.REMINDER,
            text=_reminder_text(milestone, reason, today),
            at=at,
        )
        blocked.add(milestone.pk)
        count += 1
    return count


def supervise(*, today: date) -> dict[str, int]:
    """The daily run: escalate unanswered notices, raise reminders, refresh task statuses.
    Running it twice on the same day changes nothing the second time."""
    with transaction.atomic():
        escalated = _escalate_overdue(today)
        raised = _raise_reminders(today)
    statuses = tasks_refresh(today=today)
    return {"escalated": escalated, "raised": raised, "statuses": statuses}


# --- acting on a notice -----------------------------------------------------------------------


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


def _ensure_office(actor) -> None:
    if not is_city(actor):
        raise NotPermitted(_("只有试点办（市级管理人员）可以审核督办反馈。"))


@transaction.atomic
def notice_issue(
    *,
    actor,
    unit: Unit,
    task: Task,
    text: str,
    now: datetime,
    milestone: Milestone | None = None,
    reason: str = NoticeReason.OTHER,
    level: int = NoticeLevel.REMINDER,
) -> Notice:
    """The office issues a notice by hand (a meeting's decision, a complaint, …)."""
    _ensure_office(actor)
    if not text.strip():
        raise invalid("text", "required", _("请填写督办内容。"))
    if level not in NoticeLevel.values:
        raise invalid("level", "level_invalid", _("督办等级无效。"))
    if milestone is not None and milestone.task_id != task.pk:
        raise invalid("milestone", "milestone_other_task", _("节点不属于该任务。"))
    if (
        milestone is not None
        and Notice.objects.filter(milestone=milestone, status__in=PENDING).exists()
    ):
        raise invalid("milestone", "notice_pending", _("该节点已有未办结的督办通知。"))
    notice = _create(
        unit_id=unit.pk,
        task_id=task.pk,
        milestone_id=milestone.pk if milestone else None,
        reason=reason,
        level=level,
        text=text.strip(),
        at=now,
        actor=actor,
    )
    log_change(actor=actor, obj=notice, action="create")
    return notice


@transaction.atomic
def notice_answer(*, actor, notice: Notice, answer: str, now: datetime) -> Notice:
    """The unit answers an open notice (what it did, what it will do)."""
    notice = _locked(notice)
    if not acts_for(actor, notice.unit_id):
        raise NotPermitted()
    if notice.status != NoticeStatus.OPEN:
        raise invalid(
            None,
            "notice_not_open",
            _("该督办通知当前不能反馈（状态：%(s)s）。") % {"s": notice.get_status_display()},
        )
    if not answer.strip():
        raise invalid("answer", "answer_required", _("请填写反馈情况。"))
    notice.status = NoticeStatus.ANSWERED
    notice.answer = answer.strip()
    notice.answered_at = now
    notice.save(update_fields=["status", "answer", "answered_at"])
    _event(notice, "answered", now, actor=actor, note=notice.answer)
    return notice


@transaction.atomic
def notice_accept(*, actor, notice: Notice, now: datetime, note: str = "") -> Notice:
    """The office accepts the answer: the notice is closed (办结)."""
    _ensure_office(actor)
    notice = _locked(notice)
    if notice.status != NoticeStatus.ANSWERED:
        raise invalid(None, "notice_not_answered", _("该督办通知尚未反馈，不能办结。"))
    notice.status = NoticeStatus.CLOSED
    notice.closed_at = now
    notice.save(update_fields=["status", "closed_at"])
    _event(notice, "closed", now, actor=actor, note=note)
    return notice


@transaction.atomic
def notice_return(*, actor, notice: Notice, now: datetime, note: str) -> Notice:
    """The office returns the answer: open again, with a new deadline from today."""
    _ensure_office(actor)
    notice = _locked(notice)
    if notice.status != NoticeStatus.ANSWERED:
        raise invalid(None, "notice_not_answered", _("该督办通知尚未反馈，不能退回。"))
    if not note.strip():
        raise invalid("note", "return_note_required", _("退回时请说明理由。"))
    notice.status = NoticeStatus.OPEN
    notice.deadline = add_working_days(timezone.localdate(now), ANSWER_WORKING_DAYS)
    notice.save(update_fields=["status", "deadline"])
    _event(notice, "returned", now, actor=actor, note=note.strip())
    return notice
