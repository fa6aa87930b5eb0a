"""The alert pages: one list for every rule (officials see their scope, enterprises their own
party's), with counts per rule and status, and a detail page with the trail and the
acknowledge / comment / resolve forms. Thin: selectors read, services write."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted, may
from wufei.alerts import selectors, services
from wufei.alerts.api import AlertFilterSet, subject_url
from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert
from wufei.core.errors import WufeiError
from wufei.core.export import Column, column, xlsx_response
from wufei.core.pages import PAGE_SIZE, Cell, bind_filters, domain_errors, table

SEVERITY_TONES = {Severity.INFO: "info", Severity.WARNING: "warn", Severity.CRITICAL: "bad"}
STATUS_TONES = {
    AlertStatus.OPEN: "bad",
    AlertStatus.ACKNOWLEDGED: "warn",
    AlertStatus.RESOLVED: "ok",
}


def detail_url(alert: Alert) -> str:
    return reverse("alerts:alert_detail", args=[alert.pk])


COLUMNS = (
    column(Alert, "opened_at"),
    column(Alert, "rule", link=detail_url),
    column(Alert, "severity", tone=lambda a: SEVERITY_TONES.get(a.severity)),
    column(Alert, "status", tone=lambda a: STATUS_TONES.get(a.status)),
    column(Alert, "subject_label", link=subject_url),
    column(Alert, "party.name"),
    column(Alert, "region.name"),
    column(Alert, "stream.name"),
    column(Alert, "message", width=48),
)
DETAIL = (
    *COLUMNS,
    column(Alert, "resolved_at"),
)
TRAIL = (
    Column(gettext_lazy("时间"), "at"),
    Column(gettext_lazy("操作"), lambda a: ACTION_NAMES.get(a.action, a.action)),
    Column(gettext_lazy("操作人"), lambda a: str(a.actor) if a.actor_id else _("系统")),
    Column(gettext_lazy("说明"), "note", width=48),
)
ACTION_NAMES = {
    "raise": gettext_lazy("发现"),
    "acknowledge": gettext_lazy("确认"),
    "comment": gettext_lazy("备注"),
    "resolve": gettext_lazy("解决"),
    "auto_resolve": gettext_lazy("自动解除"),
    "escalate": gettext_lazy("升级"),
}
VERBS = {
    "acknowledge": (services.alert_acknowledge, gettext_lazy("已确认。")),
    "comment": (services.alert_comment, gettext_lazy("已添加备注。")),
    "resolve": (services.alert_resolve, gettext_lazy("已解决。")),
}
ACTION_LABELS = (
    ("acknowledge", gettext_lazy("确认（已知悉，处理中）")),
    ("comment", gettext_lazy("添加备注")),
    ("resolve", gettext_lazy("解决")),
)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _refusal(request):
    if may(request.user, Action.VIEW, Alert):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def counts(rows) -> dict:
    """Counts of ``rows`` per rule (table rows) and status (columns), with totals."""
    cells = {
        (r["rule"], r["status"]): r["n"]
        for r in rows.order_by().values("rule", "status").annotate(n=Count("pk"))
    }
    rules = [
        {
            "value": rule,
            "label": label,
            "cells": [(status, cells.get((rule, status), 0)) for status in AlertStatus.values],
            "total": sum(cells.get((rule, s), 0) for s in AlertStatus.values),
        }
        for rule, label in Rule.choices
        if any(cells.get((rule, s)) for s in AlertStatus.values)
    ]
    return {
        "statuses": AlertStatus.choices,
        "rules": rules,
        "totals": [sum(r["cells"][i][1] for r in rules) for i in range(len(AlertStatus.values))],
        "total": sum(cells.values()),
    }


def alert_list(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    rows = selectors.alert_list(actor=request.user)
    filters = bind_filters(SimpleNamespace(filterset=AlertFilterSet), request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=_("预警"),
            columns=COLUMNS,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in filters.active()],
        )
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k not in ("rule", "status", "page") and v}
    context = {
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(COLUMNS, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": paginator,
        "counts": counts(rows),
        "base_query": urlencode(query),
    }
    partial = request.htmx and not request.htmx.boosted
    template = "core/_list_results.html" if partial else "alerts/list.html"
    return render(request, template, context)


def _visible(request, pk: int) -> Alert:
    alert = selectors.alert_list(actor=request.user).filter(pk=pk).first()
    if alert is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return alert


def alert_detail(request, pk: int):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    alert = _visible(request, pk)
    can_act = alert.status != AlertStatus.RESOLVED and is_permitted(
        request.user, Action.CHANGE, alert
    )
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "fields": [(c.header, Cell.of(c, alert)) for c in DETAIL],
            "trail": table(TRAIL, selectors.alert_actions(alert)),
            "subject_url": subject_url(alert),
            "verbs": ACTION_LABELS if can_act else (),
        },
    )


@require_POST
@domain_errors
def alert_act(request, pk: int, verb: str):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    if verb not in VERBS:
        raise Http404()
    alert = _visible(request, pk)
    form = NoteForm(request.POST)
    service, done = VERBS[verb]
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    elif verb == "comment" and not form.cleaned_data["note"].strip():
        messages.error(request, _("请填写备注内容。"))
    else:
        try:
            service(actor=request.user, alert=alert, note=form.cleaned_data["note"])
            messages.success(request, str(done))
        except WufeiError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, str(exc.message))
    return redirect(detail_url(alert))
