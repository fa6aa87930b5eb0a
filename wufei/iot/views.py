"""The IoT pages: live vehicle map, device health, quarantine (replay / discard), weigh tickets,
deposits and device tokens. Thin: selectors read (scoped by ``restrict``), the lead's services
write, ``core.pages`` turns domain errors into 403 / 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted
from wufei.core.errors import WufeiError
from wufei.core.export import Column, column, xlsx_response
from wufei.core.pages import PAGE_SIZE, domain_errors, require, table
from wufei.iot import forms, selectors, services
from wufei.iot.choices import LinkStatus, QuarantineStatus
from wufei.iot.models import (
    Deposit,
    GpsFix,
    QuarantinedMessage,
    WeighTicket,
)
from wufei.registry.choices import VehicleKind
from wufei.registry.models import Device, Region

# --- shared ---------------------------------------------------------------------------------


def _link(name: str, attribute: str):
    def url(row) -> str | None:
        pk = getattr(row, attribute)
        return reverse(name, args=[pk]) if pk else None

    return url


def _listing(request, *, title, lead, columns, rows: QuerySet, form, extra=None):
    """A filtered, paged list with ``?format=xlsx`` export; htmx gets the results only."""
    active = form.active()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=str(title),
            columns=columns,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in active],
        )
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "title": title,
        "lead": lead,
        "form": form,
        "active_filters": active,
        "table": table(columns, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": paginator,
        **(extra or {}),
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "core/_list_results.html" if partial else "iot/list.html", context)


# --- live vehicle map ----------------------------------------------------------------------


def live_map(request):
    refusal = require(request, Action.VIEW, GpsFix)
    if refusal is not None:
        return refusal
    return render(
        request,
        "iot/live_map.html",
        {
            "positions_url": reverse("iot:live_positions"),
            "boundaries_url": reverse("web:map_boundaries"),
            "window_minutes": int(selectors.LIVE_WINDOW.total_seconds() // 60),
        },
    )


@require_GET
def live_positions(request):
    """The newest fix per vehicle in the last 15 minutes, grouped by vehicle kind."""
    refusal = require(request, Action.VIEW, GpsFix)
    if refusal is not None:
        return refusal
    now = timezone.now()
    layers: dict[str, dict] = {}
    labels = dict(VehicleKind.choices)
    for fix in selectors.latest_fixes(actor=request.user, now=now):
        vehicle = fix.vehicle
        layer = layers.setdefault(
            vehicle.kind,
            {
                "kind": vehicle.kind,
                "label": str(labels.get(vehicle.kind, vehicle.kind)),
                "points": [],
            },
        )
        layer["points"].append(
            {
                "plate": vehicle.plate,
                "party": vehicle.party.name,
                "lon": fix.lon,
                "lat": fix.lat,
                "speed": fix.speed_kmh,
                "heading": fix.heading,
                "age": int((now - fix.measured_at).total_seconds()),
                "url": reverse("registry:vehicle_detail", args=[vehicle.pk]),
            }
        )
    order = list(labels)
    response = JsonResponse(
        {
            "at": timezone.localtime(now).strftime("%H:%M:%S"),
            "vehicles": sum(len(layer["points"]) for layer in layers.values()),
            "layers": sorted(layers.values(), key=lambda item: order.index(item["kind"])),
        },
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- device health -------------------------------------------------------------------------

HEALTH_LABELS = dict(forms.HEALTH_CHOICES)
HEALTH_TONES = {"ok": "ok", "silent": "bad", "never": "muted"}


def error_rate(device) -> str:
    if not device.day_total:
        return ""
    return f"{100 * device.day_rejected / device.day_total:.1f}%"


def _where(device, plates: dict[int, str]) -> str:
    if device.kind == "gps":
        return plates.get(device.pk, _("未绑定车辆"))
    return device.site.name if device.site_id else ""


HEALTH_COLUMNS = (
    column(Device, "serial", link=_link("registry:device_detail", "pk")),
    column(Device, "kind"),
    column(Device, "party.name", gettext_lazy("所属单位")),
    Column(gettext_lazy("场所/车辆"), lambda d: d.where, width=24),
    Column(gettext_lazy("最近上报"), "last_seen"),
    Column(gettext_lazy("本小时报文"), "hour_total", numeric=True),
    Column(gettext_lazy("24 小时报文"), "day_total", numeric=True),
    Column(gettext_lazy("24 小时隔离"), "day_rejected", numeric=True),
    Column(gettext_lazy("24 小时重复"), "day_duplicates", numeric=True),
    Column(gettext_lazy("错误率"), error_rate, numeric=True),
    Column(
        gettext_lazy("状态"),
        lambda d: HEALTH_LABELS[d.health],
        tone=lambda d: HEALTH_TONES[d.health],
    ),
)


class _Located(list):
    """A page of devices with ``where`` filled in, in one extra query for the plates."""

    def __init__(self, devices):
        super().__init__(devices)
        plates = selectors.vehicle_of_devices(list(self))
        for device in self:
            device.where = _where(device, plates)


def device_health(request):
    refusal = require(request, Action.VIEW, Device)
    if refusal is not None:
        return refusal
    form = forms.HealthFilter(request.GET or None, actor=request.user)
    rows = selectors.device_health(actor=request.user, now=timezone.now())
    if form.is_bound and not form.is_valid():
        rows = rows.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
        if data["status"]:
            rows = rows.filter(health=data["status"])
        region = Region.objects.filter(adcode=data["region"]).first() if data["region"] else None
        if region is not None:
            rows = rows.filter(
                Q(site__region__path__startswith=region.path)
                | Q(site__isnull=True, party__region__path__startswith=region.path)
            )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=_("设备运行状况"),
            columns=HEALTH_COLUMNS,
            rows=_Located(rows),
            filters=[(label, shown) for _n, label, shown in form.active()] if form.is_bound else [],
        )
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "title": _("设备运行状况"),
        "lead": _(
            "按设备统计最近上报时间、本小时与 24 小时报文数、隔离与重复数及错误率；"
            "超过阈值未上报的设备标为离线。"
        ),
        "form": form,
        "active_filters": form.active() if form.is_bound else [],
        "table": table(HEALTH_COLUMNS, _Located(page_obj.object_list)),
        "page_obj": page_obj,
        "paginator": paginator,
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "core/_list_results.html" if partial else "iot/list.html", context)


# --- quarantine ----------------------------------------------------------------------------

QUARANTINE_TONES = {
    QuarantineStatus.PENDING: "warn",
    QuarantineStatus.REPLAYED: "ok",
    QuarantineStatus.DISCARDED: "muted",
}


def _payload_preview(item: QuarantinedMessage) -> str:
    text = item.text
    return text if len(text) <= 80 else f"{text[:80]}…"


QUARANTINE_COLUMNS = (
    column(QuarantinedMessage, "received_at", link=_link("iot:quarantine_detail", "pk")),
    column(QuarantinedMessage, "reason"),
    column(QuarantinedMessage, "serial"),
    column(QuarantinedMessage, "topic", width=30),
    column(QuarantinedMessage, "field"),
    column(QuarantinedMessage, "detail", width=40),
    Column(gettext_lazy("原始报文"), _payload_preview, width=48),
    column(QuarantinedMessage, "status", tone=lambda q: QUARANTINE_TONES.get(q.status)),
)


def quarantine_list(request):
    refusal = require(request, Action.VIEW, QuarantinedMessage)
    if refusal is not None:
        return refusal
    form = forms.QuarantineFilter(request.GET or None)
    rows = selectors.quarantine_list(actor=request.user)
    if form.is_bound and not form.is_valid():
        rows = rows.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["reason"]:
            rows = rows.filter(reason=data["reason"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["serial"]:
            rows = rows.filter(serial__icontains=data["serial"].strip())
    return _listing(
        request,
        title=_("隔离报文"),
        lead=_("无法入库的设备报文连同原因原样保存；修正设备登记后可重放入库，或填写说明作废。"),
        columns=QUARANTINE_COLUMNS,
        rows=rows,
        form=form,
    )


def _visible_item(request, pk: int) -> QuarantinedMessage:
    item = selectors.quarantine_list(actor=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return item


def quarantine_detail(request, pk: int):
    refusal = require(request, Action.VIEW, QuarantinedMessage)
    if refusal is not None:
        return refusal
    item = _visible_item(request, pk)
    can_act = item.status == QuarantineStatus.PENDING and is_permitted(
        request.user, Action.CHANGE, item
    )
    return render(
        request,
        "iot/quarantine_detail.html",
        {"item": item, "can_act": can_act, "discard_form": forms.DiscardForm()},
    )


@require_POST
@domain_errors
def quarantine_act(request, pk: int, verb: str):
    refusal = require(request, Action.VIEW, QuarantinedMessage)
    if refusal is not None:
        return refusal
    item = _visible_item(request, pk)
    try:
        if verb == "replay":
            outcome = services.quarantine_replay(actor=request.user, item=item)
            if outcome.status == "quarantined":
                messages.error(
                    request,
                    _("重放未能入库：%(reason)s %(detail)s")
                    % {"reason": outcome.reason, "detail": outcome.detail},
                )
            else:
                messages.success(request, _("已重放入库。"))
        elif verb == "discard":
            form = forms.DiscardForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写作废说明。"))
            else:
                services.quarantine_discard(
                    actor=request.user, item=item, note=form.cleaned_data["note"]
                )
                messages.success(request, _("已作废。"))
        else:
            raise Http404()
    except WufeiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    return redirect(reverse("iot:quarantine_detail", args=[item.pk]))


# --- readings ------------------------------------------------------------------------------

LINK_TONES = {
    LinkStatus.LINKED: "ok",
    LinkStatus.PENDING: "info",
    LinkStatus.NO_REFERENCE: "muted",
    LinkStatus.NOT_FOUND: "warn",
    LinkStatus.REFUSED: "bad",
}

TICKET_COLUMNS = (
    column(WeighTicket, "measured_at"),
    column(WeighTicket, "site.name", link=_link("registry:site_detail", "site_id")),
    column(WeighTicket, "plate", link=_link("registry:vehicle_detail", "vehicle_id")),
    column(WeighTicket, "direction"),
    column(WeighTicket, "gross_kg", numeric=True),
    column(WeighTicket, "tare_kg", numeric=True),
    column(WeighTicket, "net_kg", numeric=True),
    column(WeighTicket, "manifest_number", link=_link("manifests:manifest_detail", "manifest_id")),
    column(WeighTicket, "container_code"),
    column(WeighTicket, "link_status", tone=lambda t: LINK_TONES.get(t.link_status)),
    column(WeighTicket, "link_note", width=30),
    column(WeighTicket, "device.serial"),
)


def _filtered(form, rows, lookups: dict[str, str]):
    """``rows`` narrowed by each non-empty field of the bound form (field → lookup); no rows
    when the form is invalid."""
    if not form.is_bound:
        return rows
    if not form.is_valid():
        return rows.none()
    for name, lookup in lookups.items():
        value = form.cleaned_data[name]
        if value:
            rows = rows.filter(**{lookup: value.strip() if isinstance(value, str) else value})
    return rows


def ticket_list(request):
    refusal = require(request, Action.VIEW, WeighTicket)
    if refusal is not None:
        return refusal
    form = forms.TicketFilter(request.GET or None)
    rows = _filtered(
        form,
        selectors.weigh_ticket_list(actor=request.user),
        {"link_status": "link_status", "plate": "plate__icontains"},
    )
    return _listing(
        request,
        title=_("过磅单"),
        lead=_("地磅上报的进出场过磅记录；注明联单或容器的过磅单自动关联并回填重量。"),
        columns=TICKET_COLUMNS,
        rows=rows,
        form=form,
    )


DEPOSIT_COLUMNS = (
    column(Deposit, "measured_at"),
    column(Deposit, "site.name", link=_link("registry:site_detail", "site_id")),
    column(Deposit, "bin_code"),
    column(Deposit, "household_code"),
    column(Deposit, "waste_class"),
    column(Deposit, "weight_kg", numeric=True),
    column(Deposit, "device.serial"),
)


def deposit_list(request):
    refusal = require(request, Action.VIEW, Deposit)
    if refusal is not None:
        return refusal
    form = forms.DepositFilter(request.GET or None)
    rows = _filtered(
        form,
        selectors.deposit_list(actor=request.user),
        {"waste_class": "waste_class", "household": "household_code"},
    )
    return _listing(
        request,
        title=_("分类投放记录"),
        lead=_("智能分类回收箱上报的居民投放记录（一户一码）。"),
        columns=DEPOSIT_COLUMNS,
        rows=rows,
        form=form,
    )


# --- device tokens -------------------------------------------------------------------------


TOKEN_LIMIT = 200


@domain_errors
def token_list(request):
    """Tokens the actor may see; a POST issues one and shows it once, on this response only."""
    refusal = require(request, Action.VIEW, Device)
    if refusal is not None:
        return refusal
    issued = None
    form = forms.TokenIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = selectors.device_for_token(actor=request.user, serial=form.cleaned_data["serial"])
        if device is None:
            form.add_error("serial", _("没有这个设备，或您无权管理它。"))
        else:
            try:
                secret, token = services.token_issue(actor=request.user, device=device)
                issued = {"secret": secret, "token": token}
            except WufeiError as exc:
                if exc.status in (403, 404):
                    raise
                form.add_error("serial", str(exc.message))
    rows = selectors.token_list(actor=request.user)[:TOKEN_LIMIT]
    response = render(request, "iot/tokens.html", {"form": form, "issued": issued, "rows": rows})
    if issued is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@domain_errors
def token_revoke(request, pk: int):
    refusal = require(request, Action.VIEW, Device)
    if refusal is not None:
        return refusal
    token = selectors.token_list(actor=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404(_("对象不存在或您无权查看。"))
    try:
        services.token_revoke(actor=request.user, token=token)
        messages.success(request, _("令牌已吊销。"))
    except WufeiError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    return redirect(reverse("iot:tokens"))
