"""Pages of residents' reports.

Public (no account, a phone): the report form (kind buttons, description, photo from the
camera, the place from the phone's position or a tap on the map, the human check), the follow
page by code with the public timeline and the rating form, and the code lookup.

Officials: the scoped list with its filters and export, a report with its action forms
(assign, handle, answer, reject), the photos (only for those who may see the report), the map
points of open reports and the stage limits (city officials edit the hours). Thin: the
services check and write, the selectors read.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import is_permitted, role_of
from wufei.cases import report_selectors as selectors
from wufei.cases import reports as services
from wufei.cases.human_check import client_key
from wufei.cases.models import Report, ReportEvent, ReportKind, ReportStage, StageLimit
from wufei.cases.report_forms import (
    AnswerForm,
    AssignForm,
    FollowLookupForm,
    HandleForm,
    PublicReportForm,
    RateForm,
    RejectForm,
    ReportFilterSet,
)
from wufei.cases.views import _listing, _photo, page
from wufei.core.errors import Invalid, NotFound, WufeiError
from wufei.core.export import Column, column
from wufei.core.forms import add_errors

STAGE_TONES = {
    ReportStage.RECEIVED: "warn",
    ReportStage.ASSIGNED: "info",
    ReportStage.HANDLED: "info",
    ReportStage.ANSWERED: "ok",
    ReportStage.CLOSED: "muted",
    ReportStage.REJECTED: "muted",
}
# The kind buttons of the phone form, with a sign each.
KIND_ICONS: dict[
    str, str
] = {  # symbols the CJK fonts of phones and servers carry (no colour emoji needed)
    ReportKind.DUMPING: "⊘",
    ReportKind.OVERFLOW: "♻",
    ReportKind.BURNING: "♨",
    ReportKind.MISSED_PICKUP: "◷",
    ReportKind.MIXED_TRANSPORT: "⇆",
    ReportKind.OTHER: "…",
}


def _overdue(report: Report) -> bool:
    return bool(
        report.due_at is not None
        and report.stage in (*services.OPEN_STAGES, ReportStage.ANSWERED)
        and report.due_at < timezone.now()
    )


def _detail_url(report: Report) -> str:
    return reverse("reports:detail", args=[report.pk])


REPORT_COLUMNS = (
    column(Report, "code", link=_detail_url),
    column(Report, "created_at"),
    column(Report, "kind"),
    Column(gettext_lazy("地点"), lambda r: selectors._place(r), width=24),
    column(Report, "description", width=40),
    column(Report, "stage", tone=lambda r: STAGE_TONES.get(r.stage)),
    column(Report, "due_at", tone=lambda r: "bad" if _overdue(r) else None),
    column(Report, "escalations", numeric=True, tone=lambda r: "warn" if r.escalations else None),
    column(Report, "department.name"),
    column(Report, "assigned_party.name"),
    Column(gettext_lazy("关联预警"), lambda r: f"#{r.alert_id}" if r.alert_id else ""),
    column(Report, "rating", numeric=True),
)
DETAIL_COLUMNS = (
    column(Report, "code"),
    column(Report, "created_at"),
    column(Report, "kind"),
    Column(gettext_lazy("地点"), lambda r: selectors._place(r)),
    column(Report, "address"),
    Column(gettext_lazy("经纬度"), lambda r: f"{r.lon}, {r.lat}"),
    column(Report, "stream.name"),
    column(Report, "department.name"),
    column(Report, "assigned_party.name"),
    column(Report, "stage", tone=lambda r: STAGE_TONES.get(r.stage)),
    column(Report, "stage_since"),
    column(Report, "due_at", tone=lambda r: "bad" if _overdue(r) else None),
    column(Report, "escalations", numeric=True),
    column(Report, "contact_masked"),
    column(Report, "rating", numeric=True),
    column(Report, "rating_comment"),
    column(Report, "closed_at"),
)


def _retry_response(request, context: dict, wait: int):
    response = render(request, "cases/reports/new.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _kinds(form) -> list[dict]:
    chosen = form["kind"].value() or ""
    return [
        {"value": v, "label": label, "icon": KIND_ICONS.get(v, ""), "checked": v == chosen}
        for v, label in ReportKind.choices
    ]


def _new_context(form) -> dict:
    return {
        "form": form,
        "kinds": _kinds(form),
        "boundaries_url": reverse("web:map_boundaries"),
        "description_max": services.DESCRIPTION_MAX,
    }


def public_new(request):
    """The resident's phone form; on success, the follow page with the code shown big."""
    if request.method != "POST":
        return render(request, "cases/reports/new.html", _new_context(PublicReportForm()))
    key = client_key(request)
    form = PublicReportForm(request.POST, request.FILES)
    context = _new_context(form)
    wait = services.retry_after(key, timezone.now())
    if wait is not None:
        context["throttled"] = services.ReportThrottled(wait).message
        return _retry_response(request, context, wait)
    photo = request.FILES.get("photo")
    if not form.is_valid():  # the human check or the honeypot: show every other error too
        try:
            services.check_filing(form.service_data(), photo)
        except Invalid as exc:
            add_errors(form, exc.errors)
        return render(request, "cases/reports/new.html", _new_context(form), status=400)
    try:
        report = services.report_file(data=form.service_data(), photo=photo, client_key=key)
    except services.ReportThrottled as exc:
        context["throttled"] = exc.message
        return _retry_response(request, context, exc.retry_after)
    except Invalid as exc:
        add_errors(form, exc.errors)
        return render(request, "cases/reports/new.html", _new_context(form), status=400)
    return redirect(reverse("report-public:follow", args=[report.code]) + "?new=1")


def public_lookup(request):
    """Type the code, go to its page."""
    form = FollowLookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = services.normalise_code(form.cleaned_data["code"])
        if Report.objects.filter(code=code).exists():
            return redirect("report-public:follow", code=code)
        form.add_error("code", _("没有这个查询码，请核对后重新输入。"))
    return render(request, "cases/reports/lookup.html", {"form": form})


def public_follow(request, code: str):
    """The report as its reporter may see it; the rating form once it is answered."""
    rate_form = RateForm(request.POST or None)
    if request.method == "POST" and rate_form.is_valid():
        try:
            services.report_rate(code=code, **rate_form.cleaned_data)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except Invalid as exc:
            add_errors(rate_form, exc.errors)
        except WufeiError as exc:
            messages.error(request, str(exc.message))
            return redirect("report-public:follow", code=code)
        else:
            messages.success(request, _("感谢您的评价，本件已办结。"))
            return redirect("report-public:follow", code=code)
    try:
        view = selectors.public_report(code)
    except NotFound:
        return render(
            request,
            "cases/reports/lookup.html",
            {"form": FollowLookupForm(initial={"code": code}), "missing": code},
            status=404,
        )
    order = [s for s in ReportStage.values if s != ReportStage.REJECTED]
    reached = order.index(view.stage) if view.stage in order else -1
    return render(
        request,
        "cases/reports/follow.html",
        {
            "report": view,
            "steps": [(s, label) for s, label in ReportStage.choices if s in order],
            "done": order[:reached],
            "stars": range(view.rating or 0),
            "rate_form": rate_form,
            "new": request.GET.get("new") == "1",
            "follow_url": request.build_absolute_uri(
                reverse("report-public:follow", args=[view.code])
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- officials ---------------------------------------------------------------------------------


def _can(actor, report: Report, roles=services.OFFICIAL_ROLES) -> bool:
    return role_of(actor) in roles and is_permitted(actor, Action.CHANGE, report)


@page(Report)
def report_list(request):
    rows = selectors.report_list(actor=request.user)
    counts = selectors.stage_counts(rows)
    return _listing(
        request,
        rows,
        ReportFilterSet,
        REPORT_COLUMNS,
        _("群众举报"),
        "cases/reports/list.html",
        stage_cards=[(s, label, counts.get(s, 0)) for s, label in ReportStage.choices],
        overdue_count=selectors.overdue(actor=request.user).count(),
        boundaries_url=reverse("web:map_boundaries"),
        points_url=reverse("reports:points"),
    )


@require_GET
@page(Report)
def report_points(request):
    return JsonResponse(
        {
            "detail_url": reverse("reports:detail", args=[0]),
            "points": selectors.open_points(actor=request.user),
        }
    )


@page(Report)
def report_detail(request, pk: int):
    report = selectors.report_get(actor=request.user, pk=pk)
    actor = request.user
    official = _can(actor, report)
    handler = _can(actor, report, services.OFFICIAL_ROLES | {Role.ENTERPRISE})
    stage = report.stage
    return render(
        request,
        "cases/reports/detail.html",
        {
            "report": report,
            "fields": [(c.header, c.get(report), c.tone_of(report)) for c in DETAIL_COLUMNS],
            "events": selectors.events_of(report),
            "overdue": _overdue(report),
            "assign_form": AssignForm(report=report)
            if official and stage in services.ASSIGNABLE
            else None,
            "handle_form": HandleForm() if handler and stage == ReportStage.ASSIGNED else None,
            "answer_form": AnswerForm() if official and stage == ReportStage.HANDLED else None,
            "reject_form": RejectForm() if official and stage in services.ASSIGNABLE else None,
            "follow_url": reverse("report-public:follow", args=[report.code]),
        },
    )


@require_POST
@page(Report)
def report_act(request, pk: int, verb: str):
    report = selectors.report_get(actor=request.user, pk=pk)
    actor = request.user
    try:
        if verb == "assign":
            assign_form = AssignForm(request.POST, report=report)
            if not assign_form.is_valid():
                raise Invalid([])  # the choices were tampered with
            services.report_assign(actor=actor, report=report, **assign_form.cleaned_data)
            messages.success(request, _("已派单。"))
        elif verb == "handle":
            handle_form = HandleForm(request.POST, request.FILES)
            handle_form.is_valid()
            services.report_handle(
                actor=actor,
                report=report,
                note=handle_form.cleaned_data.get("note", ""),
                photo=request.FILES.get("photo"),
            )
            messages.success(request, _("已登记处置情况。"))
        elif verb == "answer":
            services.report_answer(
                actor=actor, report=report, answer=request.POST.get("answer", "")
            )
            messages.success(request, _("已答复举报人。"))
        elif verb == "reject":
            services.report_reject(
                actor=actor, report=report, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已作不予受理处理。"))
        else:
            raise Http404()
    except WufeiError as exc:
        if exc.status in (403, 404):
            raise
        for text in [str(e.message) for e in exc.errors] or [str(exc.message)]:
            messages.error(request, text)
    return redirect(_detail_url(report))


@require_GET
@page(Report)
def report_photo(request, pk: int):
    """The resident's photo, only for those who may see the report (never a static file)."""
    return _photo(selectors.report_get(actor=request.user, pk=pk).photo)


@require_GET
@page(Report)
def event_photo(request, pk: int):
    rows = ReportEvent.objects.filter(report__in=selectors.report_list(actor=request.user))
    event = rows.filter(pk=pk).first()
    if event is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return _photo(event.photo)


@page(Report)
def stage_limits(request):
    """The time limit of every stage; city officials change the hours."""
    editable = role_of(request.user) in (Role.ADMIN, Role.CITY_OFFICIAL)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("只有市级管理人员可以修改办理时限。"))
        for stage, _label, hours in services.limits_overview():
            posted = request.POST.get(f"hours_{stage}", "").strip()
            if posted == str(hours or ""):
                continue
            try:
                services.stage_limit_set(actor=request.user, stage=stage, hours=posted)
            except Invalid as exc:
                errors[stage] = str(exc.message)
        if not errors:
            messages.success(request, _("办理时限已保存，对此后进入各环节的举报生效。"))
            return redirect("reports:limits")
    rows = [
        {
            "stage": stage,
            "label": label,
            "hours": request.POST.get(f"hours_{stage}", hours) if errors else hours,
            "error": errors.get(stage),
        }
        for stage, label, hours in services.limits_overview()
    ]
    return render(
        request,
        "cases/reports/limits.html",
        {"rows": rows, "editable": editable, "limit_model": StageLimit},
    )
