"""Public pages of outreach (no account; mounted under ``public/``): upcoming events with the
places left, an event with its booking form, the booking (by its code) with cancellation, and
the satisfaction survey. Phone-first. Writes go through the services with the client's key
(for the rate limits) after the human check of the form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wufei.cases.human_check import client_key
from wufei.core.errors import Invalid, NotFound, WufeiError
from wufei.core.forms import add_errors
from wufei.outreach import selectors, services
from wufei.outreach.forms import BookingForm, CodeForm, SurveyForm
from wufei.outreach.models import BookingStatus, EventKind
from wufei.outreach.survey import QUESTIONS


def _booking_url(code: str) -> str:
    return reverse("outreach-public:booking", args=[code])


def event_list(request):
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    now = timezone.now()
    events = [
        {"event": e, "left": services.places_left(e), "open": services.booking_open(e, now)}
        for e in selectors.public_events(now=now, kind=kind)[:100]
    ]
    return render(
        request,
        "outreach/public/event_list.html",
        {"events": events, "kinds": EventKind.choices, "kind": kind, "nav": "events"},
    )


def event_detail(request, pk: int):
    event = selectors.public_event(pk)
    if event is None:
        raise Http404(_("活动不存在或尚未发布。"))
    now = timezone.now()
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.book(
                event=event,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                people=form.cleaned_data["people"],
                client_key=client_key(request),
                now=now,
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        except WufeiError as exc:  # throttled, not found
            form.add_error(None, str(exc.message))
        else:
            return redirect(f"{_booking_url(booking.code)}?new=1")
    return render(
        request,
        "outreach/public/event_detail.html",
        {
            "event": event,
            "form": form,
            "left": services.places_left(event),
            "open": services.booking_open(event, now) and event.ends_at > now,
            "nav": "events",
        },
    )


def booking_lookup(request):
    form = CodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = services.normalise_code(form.cleaned_data["code"])
        return redirect(_booking_url(code))
    return render(request, "outreach/public/booking_lookup.html", {"form": form, "nav": "booking"})


def booking(request, code: str):
    try:
        found = services.booking_by_code(code)
    except NotFound as exc:
        form = CodeForm(initial={"code": code})
        messages.error(request, str(exc.message))
        return render(request, "outreach/public/booking_lookup.html", {"form": form}, status=404)
    now = timezone.now()
    return render(
        request,
        "outreach/public/booking.html",
        {
            "booking": found,
            "event": found.event,
            "new": request.GET.get("new") == "1" and found.status == BookingStatus.BOOKED,
            "can_cancel": found.status == BookingStatus.BOOKED and now < found.event.starts_at,
            "nav": "booking",
        },
    )


@require_POST
def booking_cancel(request, code: str):
    try:
        services.cancel(code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except WufeiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("预约已取消，名额已释放。"))
    return redirect(_booking_url(services.normalise_code(code)))


def survey(request):
    key = client_key(request)
    if request.method != "POST" and services.has_answered(client_key=key):
        return render(
            request, "outreach/public/survey_thanks.html", {"again": True, "nav": "survey"}
        )
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_submit(
                region=form.cleaned_data["region"],
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
                client_key=key,
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            return redirect(reverse("outreach-public:survey_thanks"))
    return render(
        request,
        "outreach/public/survey.html",
        {"form": form, "questions": [form[code] for code in QUESTIONS], "nav": "survey"},
    )


def survey_thanks(request):
    return render(request, "outreach/public/survey_thanks.html", {"again": False, "nav": "survey"})
