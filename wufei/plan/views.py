"""Pages of the task ledger (工作台账): the ledger by area, a task, a unit's own page, the
report form and the review queue, supervision notices, meetings and major projects.
Thin: selectors read, services write, their refusals go back on the form or as messages."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.errors import Invalid, WufeiError
from wufei.core.forms import add_errors
from wufei.core.pages import domain_errors
from wufei.plan import forms, ledger_services, meeting_services, selectors, supervision
from wufei.plan.choices import NoticeStatus, ReportStatus, TaskStatus
from wufei.plan.models import Ledger, Milestone
from wufei.plan.units import acts_for, is_city

OFFICIALS = {Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL}
TASK_TONES = {
    TaskStatus.DONE: "ok",
    TaskStatus.ON_TRACK: "info",
    TaskStatus.AT_RISK: "warn",
    TaskStatus.LATE: "bad",
    TaskStatus.NOT_STARTED: "muted",
}
NOTICE_TONES = {
    NoticeStatus.OPEN: "bad",
    NoticeStatus.ANSWERED: "warn",
    NoticeStatus.ESCALATED: "muted",
    NoticeStatus.CLOSED: "ok",
}
REPORT_TONES = {
    ReportStatus.SUBMITTED: "info",
    ReportStatus.ACCEPTED: "ok",
    ReportStatus.RETURNED: "bad",
}
EVENT_NAMES = {
    "issued": gettext_lazy("下发"),
    "answered": gettext_lazy("反馈"),
    "returned": gettext_lazy("退回"),
    "closed": gettext_lazy("办结"),
    "escalated": gettext_lazy("升级"),
}


def officials_only(view):
    """The ledger is the officials' working tool: enterprises and the public get no page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if role_of(request.user) not in OFFICIALS:
            raise PermissionDenied(_("您无权访问此页面。"))
        return domain_errors(view)(request, *args, **kwargs)

    return wrapper


def _today():
    return timezone.localdate()


def _tone(rows, tones: dict) -> list:
    """Set each row's badge colour from its status (templates read ``row.tone``)."""
    rows = list(rows)
    for row in rows:
        row.tone = tones.get(row.status, "muted")
    return rows


def _status_counts(tasks) -> list[tuple[str, str, str, int]]:
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.status] = counts.get(task.status, 0) + 1
    return [
        (value, str(label), TASK_TONES[value], counts.get(value, 0))
        for value, label in TaskStatus.choices
    ]


@officials_only
def ledger(request):
    ledgers = selectors.ledger_list(actor=request.user)
    chosen = request.GET.get("ledger")
    current = (
        ledgers.filter(pk=chosen).first()
        if chosen and chosen.isdigit()
        else selectors.default_ledger(actor=request.user)
    )
    if current is None:
        raise Http404(_("没有可查看的工作台账。"))
    areas = selectors.ledger_tree(actor=request.user, ledger=current)
    for row in areas:
        _tone(row.tasks, TASK_TONES)
    return render(
        request,
        "plan/ledger.html",
        {
            "ledgers": ledgers,
            "current": current,
            "areas": areas,
            "status_counts": _status_counts(t for row in areas for t in row.tasks),
            "tones": TASK_TONES,
        },
    )


def _task_or_404(request, pk: int):
    task = selectors.task_detail(actor=request.user, pk=pk)
    if task is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return task


@officials_only
def milestone_detail(request, pk: int):
    """A milestone is shown on its task's page."""
    milestone = Milestone.objects.filter(pk=pk).only("task_id").first()
    if milestone is None:
        raise Http404(_("对象不存在或您无权查看。"))
    task = _task_or_404(request, milestone.task_id)
    return redirect(f"{reverse('plan:task', args=[task.pk])}#milestone-{pk}")


@officials_only
def task_detail(request, pk: int):
    task = _task_or_404(request, pk)
    may_plan = ledger_services.may_plan_task(request.user, task)
    return render(
        request,
        "plan/task.html",
        {
            "task": task,
            "tone": TASK_TONES[task.status],
            "milestones": _milestones_toned(task),
            "children": task.children.select_related("lead_unit"),
            "projects": task.projects.select_related("unit", "county"),
            "notices": _tone(selectors.task_notices(task)[:50], NOTICE_TONES),
            "mine": selectors.my_units(actor=request.user).values_list("pk", flat=True),
            "milestone_form": forms.MilestoneForm() if may_plan else None,
            "report_tones": REPORT_TONES,
            "notice_tones": NOTICE_TONES,
        },
    )


def _milestones_toned(task) -> list:
    milestones = list(selectors.task_milestones(task))
    for m in milestones:
        _tone(m.reports.all(), REPORT_TONES)
    return milestones


@require_POST
@officials_only
def milestone_add(request, pk: int):
    task = _task_or_404(request, pk)
    form = forms.MilestoneForm(request.POST)
    if form.is_valid():
        try:
            ledger_services.milestone_create(
                actor=request.user, task=task, today=_today(), **form.cleaned_data
            )
            messages.success(request, _("已添加节点。"))
        except Invalid as exc:
            messages.error(request, "；".join(e.message for e in exc.errors))
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("plan:task", args=[task.pk]))


@officials_only
def my_unit(request):
    units = selectors.my_units(actor=request.user)
    chosen = request.GET.get("unit")
    unit = units.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
    if unit is None:
        unit = units.exclude(kind="office").first() if not is_city(request.user) else None
    page = selectors.unit_page(unit=unit, today=_today()) if unit is not None else None
    if page is not None:
        _tone(page.notices, NOTICE_TONES)
    return render(
        request,
        "plan/my_unit.html",
        {
            "units": units,
            "unit": unit,
            "page": page,
            "today": _today(),
            "notice_tones": NOTICE_TONES,
        },
    )


@officials_only
def report_new(request, pk: int):
    milestone = Milestone.objects.select_related("task", "unit").filter(pk=pk).first()
    if milestone is None or selectors.task_detail(actor=request.user, pk=milestone.task_id) is None:
        raise Http404(_("对象不存在或您无权查看。"))
    if not acts_for(request.user, milestone.unit_id):
        raise PermissionDenied(_("您不代表该节点的责任单位，不能报送进展。"))
    today = _today()
    if request.method == "POST":
        form = forms.ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ledger_services.report_submit(
                    actor=request.user,
                    milestone=milestone,
                    unit=milestone.unit,
                    period=data["period"],
                    text=data["text"],
                    figures=data["figures"],
                    claims_done=data["claims_done"],
                    files=data["files"],
                    now=timezone.now(),
                )
                messages.success(request, _("进展已报送，等待牵头单位审核。"))
                return redirect(reverse("plan:task", args=[milestone.task_id]))
            except Invalid as exc:
                add_errors(form, exc.errors)
    else:
        form = forms.ReportForm(initial={"period": today.replace(day=1)})
    return render(request, "plan/report_form.html", {"form": form, "milestone": milestone})


@officials_only
def review_queue(request):
    paginator = Paginator(selectors.review_queue(actor=request.user), 30)
    return render(
        request,
        "plan/reviews.html",
        {"page_obj": paginator.get_page(request.GET.get("page")), "form": forms.ReviewForm()},
    )


@require_POST
@officials_only
def report_review(request, pk: int, verb: str):
    if verb not in ("accept", "return"):
        raise Http404()
    report = selectors.review_queue(actor=request.user).filter(pk=pk).first()
    if report is None:
        raise Http404(_("对象不存在或您无权查看。"))
    form = forms.ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        ledger_services.report_review(
            actor=request.user,
            report=report,
            accept=verb == "accept",
            note=note,
            now=timezone.now(),
        )
        messages.success(request, _("已审核通过。") if verb == "accept" else _("已退回。"))
    except Invalid as exc:
        messages.error(request, "；".join(e.message for e in exc.errors))
    return redirect(reverse("plan:reviews"))


@officials_only
def attachment(request, pk: int):
    """Attachments are served only through this scoped view, never as static files."""
    found = selectors.attachment_for(actor=request.user, pk=pk)
    if found is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


@officials_only
def notice_list(request):
    notices = selectors.notice_list(actor=request.user)
    status = request.GET.get("status")
    if status in NoticeStatus.values:
        notices = notices.filter(status=status)
    counts = dict(
        selectors.notice_list(actor=request.user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    page_obj = Paginator(notices, 50).get_page(request.GET.get("page"))
    _tone(page_obj.object_list, NOTICE_TONES)
    return render(
        request,
        "plan/notices.html",
        {
            "page_obj": page_obj,
            "statuses": [(v, label, counts.get(v, 0)) for v, label in NoticeStatus.choices],
            "status": status,
            "tones": NOTICE_TONES,
        },
    )


def _notice_or_404(request, pk: int):
    notice = selectors.notice_list(actor=request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return notice


@officials_only
def notice_detail(request, pk: int):
    notice = _notice_or_404(request, pk)
    can_answer = notice.status == NoticeStatus.OPEN and acts_for(request.user, notice.unit_id)
    can_review = notice.status == NoticeStatus.ANSWERED and is_city(request.user)
    return render(
        request,
        "plan/notice.html",
        {
            "notice": notice,
            "tone": NOTICE_TONES[notice.status],
            "chain": selectors.notice_chain(notice),
            "events": [
                (e, EVENT_NAMES.get(e.action, e.action)) for e in selectors.notice_events(notice)
            ],
            "answer_form": forms.AnswerForm() if can_answer else None,
            "review_form": forms.NoteForm() if can_review else None,
        },
    )


@require_POST
@officials_only
def notice_act(request, pk: int, verb: str):
    notice = _notice_or_404(request, pk)
    now = timezone.now()
    try:
        if verb == "answer":
            supervision.notice_answer(
                actor=request.user, notice=notice, answer=request.POST.get("answer", ""), now=now
            )
            messages.success(request, _("已反馈。"))
        elif verb == "accept":
            supervision.notice_accept(
                actor=request.user, notice=notice, note=request.POST.get("note", ""), now=now
            )
            messages.success(request, _("已办结。"))
        elif verb == "return":
            supervision.notice_return(
                actor=request.user, notice=notice, note=request.POST.get("note", ""), now=now
            )
            messages.success(request, _("已退回，单位须重新反馈。"))
        else:
            raise Http404()
    except Invalid as exc:
        messages.error(request, "；".join(e.message for e in exc.errors))
    return redirect(reverse("plan:notice", args=[notice.pk]))


@officials_only
def meeting_list(request):
    form = None
    if is_city(request.user):
        form = forms.MeetingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            city = Ledger.objects.filter(kind="city").select_related("region").first()
            if city is None:
                raise Http404(_("尚未载入实施方案。"))
            try:
                meeting = meeting_services.meeting_create(
                    actor=request.user, region=city.region, **form.cleaned_data
                )
                return redirect(reverse("plan:meeting", args=[meeting.pk]))
            except Invalid as exc:
                add_errors(form, exc.errors)
    elif request.method == "POST":
        raise PermissionDenied(_("只有试点办（市级管理人员）可以登记工作会议。"))
    return render(
        request,
        "plan/meetings.html",
        {"meetings": selectors.meeting_list(actor=request.user), "form": form},
    )


def _meeting_or_404(request, pk: int):
    meeting = selectors.meeting_list(actor=request.user).filter(pk=pk).first()
    if meeting is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return meeting


@officials_only
def meeting_detail(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    office = is_city(request.user)
    tasks = selectors.task_list(actor=request.user).filter(ledger__kind="city").order_by("id")
    decisions = meeting.decisions.select_related("unit", "task", "milestone")
    return render(
        request,
        "plan/meeting.html",
        {
            "meeting": meeting,
            "decisions": [
                (
                    d,
                    forms.ToLedgerForm(tasks=tasks, prefix=f"d{d.pk}")
                    if office and d.milestone_id is None
                    else None,
                )
                for d in decisions
            ],
            "decision_form": forms.DecisionForm() if office else None,
        },
    )


@require_POST
@officials_only
def decision_add(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        try:
            meeting_services.decision_add(actor=request.user, meeting=meeting, **form.cleaned_data)
            messages.success(request, _("已添加议定事项。"))
        except Invalid as exc:
            messages.error(request, "；".join(e.message for e in exc.errors))
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("plan:meeting", args=[meeting.pk]))


@require_POST
@officials_only
def decision_to_ledger(request, pk: int, decision_pk: int):
    meeting = _meeting_or_404(request, pk)
    decision = meeting.decisions.filter(pk=decision_pk).first()
    if decision is None:
        raise Http404()
    tasks = selectors.task_list(actor=request.user).filter(ledger__kind="city")
    form = forms.ToLedgerForm(request.POST, tasks=tasks, prefix=f"d{decision.pk}")
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect(reverse("plan:meeting", args=[meeting.pk]))
    data = form.cleaned_data
    try:
        if data["as_what"] == form.AS_SUBTASK:
            item = meeting_services.decision_to_subtask(
                actor=request.user,
                decision=decision,
                parent=data["task"],
                number=data["number"],
                title=data["title"] or None,
                today=_today(),
            )
            target = item.pk
        else:
            meeting_services.decision_to_milestone(
                actor=request.user,
                decision=decision,
                task=data["task"],
                title=data["title"] or None,
                today=_today(),
            )
            target = data["task"].pk
        messages.success(request, _("已纳入工作台账。"))
        return redirect(reverse("plan:task", args=[target]))
    except WufeiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, "；".join(e.message for e in exc.errors))
    return redirect(reverse("plan:meeting", args=[meeting.pk]))


@officials_only
def project_list(request):
    projects = selectors.project_list(actor=request.user).order_by("task__number", "name")
    paginator = Paginator(projects, 100)
    return render(
        request, "plan/projects.html", {"page_obj": paginator.get_page(request.GET.get("page"))}
    )
