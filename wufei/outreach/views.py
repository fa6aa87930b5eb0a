"""Officials' pages of outreach (mounted under ``outreach/``): events with their bookings (the
door check-in marks attendance, the list exports to .xlsx) and the survey results per county
and quarter. Thin: selectors read, services write, refusals come back as messages or errors."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import is_permitted, may, role_of
from wufei.core.errors import WufeiError
from wufei.core.export import Column, column, xlsx_response
from wufei.core.pages import PAGE_SIZE, Cell, domain_errors, require, table
from wufei.outreach import selectors, services, survey
from wufei.outreach.forms import CodeForm, EventForm
from wufei.outreach.models import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    SurveyDimension,
    SurveyResponse,
)

BOOKING_TONES = {
    BookingStatus.BOOKED: "info",
    BookingStatus.ATTENDED: "ok",
    BookingStatus.CANCELLED: "muted",
}


def event_state(event: Event, now=None) -> tuple[str, str]:
    """(label, tone) of an event as its organiser sees it."""
    now = now or timezone.now()
    if services.is_cancelled(event):
        return _("已取消"), "muted"
    if event.ends_at <= now:
        return _("已结束"), "muted"
    if not event.is_published:
        return _("未发布"), "warn"
    if services.booking_open(event, now):
        return _("预约中"), "ok"
    return _("预约已截止"), "info"


def _detail_url(event: Event) -> str:
    return reverse("outreach:event_detail", args=[event.pk])


EVENT_COLUMNS = (
    column(Event, "title", link=_detail_url, width=30),
    column(Event, "kind"),
    column(Event, "host.name"),
    column(Event, "region.name"),
    column(Event, "starts_at"),
    column(Event, "booking_closes_at"),
    column(Event, "capacity", numeric=True),
    column(Event, "booked", numeric=True),
    Column(
        gettext_lazy("状态"),
        lambda e: event_state(e)[0],
        tone=lambda e: event_state(e)[1],
        width=10,
    ),
)
EVENT_FIELDS = (
    *EVENT_COLUMNS[1:],
    column(Event, "place", width=40),
    column(Event, "ends_at"),
    column(Event, "description", width=60),
)
BOOKING_COLUMNS = (
    column(Booking, "code"),
    column(Booking, "name"),
    column(Booking, "phone_masked"),
    column(Booking, "people", numeric=True),
    column(Booking, "status", tone=lambda b: BOOKING_TONES.get(b.status)),
    column(Booking, "created_at"),
)


def page(model):
    """Log in first (these are officials' pages: a resident's account gets 403), 403 without
    the right to view any row of ``model``; the services' NotPermitted / NotFound as 403 / 404."""

    def decorate(view):
        @wraps(view)
        @domain_errors
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) == Role.PUBLIC:  # residents use the public pages
                raise PermissionDenied(_("您无权访问此页面。"))
            refusal = require(request, Action.VIEW, model)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _event(request, pk: int) -> Event:
    event = selectors.event_list(actor=request.user).filter(pk=pk).first()
    if event is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return event


def _may_change(actor, event: Event) -> bool:
    return services.is_organiser(actor) and is_permitted(actor, Action.CHANGE, event)


def _errors(request, exc: WufeiError) -> None:
    if exc.status in (403, 404):
        raise exc
    for error in exc.errors:
        messages.error(request, str(error.message))


# --- events --------------------------------------------------------------------------------------


@page(Event)
def event_list(request):
    rows = selectors.event_list(actor=request.user)
    kind = request.GET.get("kind", "")
    if kind in EventKind.values:
        rows = rows.filter(kind=kind)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    actor = request.user
    return render(
        request,
        "outreach/event_list.html",
        {
            "title": _("宣传教育活动"),
            "table": table(EVENT_COLUMNS, page_obj.object_list),
            "page_obj": page_obj,
            "kinds": EventKind.choices,
            "kind": kind,
            "add_url": reverse("outreach:event_add")
            if services.is_organiser(actor) and may(actor, Action.ADD, Event)
            else None,
        },
    )


@page(Event)
def event_add(request):
    if not (services.is_organiser(request.user) and may(request.user, Action.ADD, Event)):
        raise PermissionDenied(_("您无权组织活动。"))
    form = EventForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        event = form.submit(services.event_create)
        if event is not None:
            messages.success(request, _("活动已保存，核对无误后请点“发布”向公众开放预约。"))
            return redirect(_detail_url(event))
    return render(request, "outreach/form.html", {"form": form, "title": _("新建活动")})


@page(Event)
def event_edit(request, pk: int):
    event = _event(request, pk)
    if not _may_change(request.user, event):
        raise PermissionDenied(_("您无权修改此活动。"))
    form = EventForm(request.POST or None, actor=request.user, instance=event)
    if request.method == "POST" and form.is_valid():
        saved = form.submit(services.event_update, obj=event)
        if saved is not None:
            messages.success(request, _("活动已更新。"))
            return redirect(_detail_url(saved))
    return render(
        request,
        "outreach/form.html",
        {"form": form, "title": _("修改活动"), "event": event},
    )


@page(Event)
def event_detail(request, pk: int):
    event = _event(request, pk)
    actor = request.user
    bookings = list(selectors.bookings_of(actor=actor, event=event))
    can_change = _may_change(actor, event)
    now = timezone.now()
    cancelled = services.is_cancelled(event)
    label, tone = event_state(event, now)
    rows = [
        {
            "booking": b,
            "cells": [Cell.of(c, b) for c in BOOKING_COLUMNS],
            "can_mark": can_change and b.status != BookingStatus.CANCELLED,
        }
        for b in bookings
    ]
    return render(
        request,
        "outreach/event_detail.html",
        {
            "event": event,
            "fields": [(c.header, Cell.of(c, event)) for c in EVENT_FIELDS],
            "state": label,
            "tone": tone,
            "headers": [(c.header, c.numeric) for c in BOOKING_COLUMNS],
            "rows": rows,
            "people_booked": sum(b.people for b in bookings if b.status != "cancelled"),
            "people_attended": sum(b.people for b in bookings if b.status == "attended"),
            "can_change": can_change and not cancelled and event.ends_at > now,
            "can_check_in": can_change and not cancelled,
            "can_publish": can_change
            and not cancelled
            and not event.is_published
            and event.ends_at > now,
            "can_unpublish": can_change and event.is_published and event.booked == 0,
            "can_cancel": can_change and not cancelled and event.ends_at > now,
            "code_form": CodeForm(),
            "public_url": reverse("outreach-public:event_detail", args=[event.pk])
            if event.is_published
            else None,
        },
    )


@require_POST
@page(Event)
def event_act(request, pk: int, verb: str):
    event = _event(request, pk)
    actor = request.user
    try:
        if verb == "publish":
            services.event_publish(actor=actor, event=event)
            messages.success(request, _("活动已发布，群众可以预约。"))
        elif verb == "unpublish":
            services.event_unpublish(actor=actor, event=event)
            messages.success(request, _("活动已撤回。"))
        elif verb == "cancel":
            services.event_cancel(actor=actor, event=event)
            messages.success(request, _("活动已取消，全部预约随之取消。"))
        else:
            raise Http404()
    except WufeiError as exc:
        _errors(request, exc)
    return redirect(_detail_url(event))


@require_POST
@page(Event)
def event_check_in(request, pk: int):
    """At the door: the resident shows the booking code, the organiser marks it attended."""
    event = _event(request, pk)
    form = CodeForm(request.POST)
    code = services.normalise_code(form.data.get("code", ""))
    booking = selectors.bookings_of(actor=request.user, event=event).filter(code=code).first()
    if booking is None:
        messages.error(request, _("本活动没有预约码为 %(code)s 的预约。") % {"code": code or "—"})
        return redirect(_detail_url(event))
    try:
        services.mark_attended(actor=request.user, booking=booking)
    except WufeiError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s（%(n)s 人）已登记到场。") % {"name": booking.name, "n": booking.people},
        )
    return redirect(_detail_url(event))


@require_POST
@page(Booking)
def booking_attended(request, pk: int):
    booking = selectors.booking_list(actor=request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404(_("对象不存在或您无权查看。"))
    attended = request.POST.get("attended", "1") == "1"
    try:
        services.mark_attended(actor=request.user, booking=booking, attended=attended)
    except WufeiError as exc:
        _errors(request, exc)
    return redirect(f"{_detail_url(booking.event)}#bookings")


@page(Event)
def event_bookings_export(request, pk: int):
    event = _event(request, pk)
    return xlsx_response(
        title=_("活动预约名单"),
        columns=BOOKING_COLUMNS,
        rows=selectors.bookings_of(actor=request.user, event=event),
        filters=[(_("活动"), event.title)],
    )


# --- survey results ------------------------------------------------------------------------------


def _period(request) -> tuple[int, int | None]:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year + 1:
        year = today.year
    quarter_text = request.GET.get("quarter", str((today.month - 1) // 3 + 1))
    quarter = int(quarter_text) if quarter_text in ("1", "2", "3", "4") else None
    return year, quarter


@page(SurveyResponse)
def survey_results(request):
    year, quarter = _period(request)
    actor = request.user
    rows = selectors.survey_results(actor=actor, year=year, quarter=quarter)
    today = timezone.localdate()
    return render(
        request,
        "outreach/survey_results.html",
        {
            "title": _("满意度调查结果"),
            "rows": rows,
            "dimensions": SurveyDimension.choices,
            "year": year,
            "quarter": quarter,
            "years": list(range(today.year, today.year - 6, -1)),
            "period": survey.period_label(year, quarter),
            "comments": selectors.survey_comments(actor=actor, year=year, quarter=quarter),
            "survey_url": reverse("outreach-public:survey"),
        },
    )
