"""Pages of inspections and enforcement: campaigns with their progress, the phone inspection
form, inspections with their findings, rectification orders (the party reports, officials
re-inspect and close), the register of storage yards and informal landfills with its map, and
the photos (served only to those who may see the finding). Thin: selectors read, services
write, refusals come back as messages or field errors."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted, may, role_of
from wufei.cases import selectors, services
from wufei.cases.filtersets import DumpSiteFilterSet, InspectionFilterSet, OrderFilterSet
from wufei.cases.forms import (
    CampaignForm,
    DumpSiteForm,
    InspectionForm,
    MoveForm,
    OrderForm,
    RegisterFromFindingForm,
    ReinspectionForm,
    ReportForm,
)
from wufei.cases.models import (
    Campaign,
    DumpSite,
    DumpSiteKind,
    DumpSiteState,
    Finding,
    Inspection,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
    Reinspection,
    Severity,
)
from wufei.core.errors import Invalid, WufeiError
from wufei.core.export import Column, column, xlsx_response
from wufei.core.pages import (
    PAGE_SIZE,
    Cell,
    bind_filters,
    one_or_404,
    page,
    table,
)

ORDER_TONES = {
    OrderStatus.OPEN: "warn",
    OrderStatus.REPORTED: "info",
    OrderStatus.FAILED: "bad",
    OrderStatus.CLOSED: "ok",
}
STATE_TONES = {
    DumpSiteState.FOUND: "bad",
    DumpSiteState.RECTIFYING: "warn",
    DumpSiteState.RECTIFIED: "info",
    DumpSiteState.CLOSED: "ok",
}
SEVERITY_TONES = {Severity.MINOR: "info", Severity.MAJOR: "warn", Severity.SERIOUS: "bad"}


def _url(name: str, pk: int | None) -> str | None:
    return reverse(f"cases:{name}", args=[pk]) if pk is not None else None


def _order_tone(order: RectificationOrder) -> str | None:
    if order.status in selectors.OPEN_STATUSES and order.deadline < timezone.localdate():
        return "bad"
    return ORDER_TONES.get(order.status)


def _place(inspection: Inspection) -> str:
    return str(inspection.site or inspection.dump_site)


INSPECTION_COLUMNS = (
    column(Inspection, "inspected_on", link=lambda i: _url("inspection_detail", i.pk)),
    Column(gettext_lazy("检查场所"), _place, width=30),
    column(Inspection, "party.name"),
    column(Inspection, "region.name"),
    column(Inspection, "checklist.name", width=30),
    column(Inspection, "status"),
    Column(gettext_lazy("问题数"), "finding_count", numeric=True),
    column(Inspection, "campaign.name", link=lambda i: _url("campaign_detail", i.campaign_id)),
)
FINDING_COLUMNS = (
    column(Finding, "item.number", header=gettext_lazy("检查项")),
    column(Finding, "description", width=48),
    column(Finding, "severity", tone=lambda f: SEVERITY_TONES.get(f.severity)),
    Column(gettext_lazy("位置"), lambda f: f"{f.lon}, {f.lat}" if f.lon is not None else ""),
    Column(
        gettext_lazy("照片"),
        lambda f: _("查看") if f.photo else "",
        link=lambda f: _url("finding_photo", f.pk) if f.photo else None,
    ),
)
ORDER_COLUMNS = (
    column(RectificationOrder, "number", link=lambda o: _url("order_detail", o.pk)),
    column(RectificationOrder, "party.name"),
    column(RectificationOrder, "region.name"),
    column(RectificationOrder, "finding.description", header=gettext_lazy("问题"), width=40),
    column(RectificationOrder, "requirement", width=40),
    column(RectificationOrder, "issued_on"),
    column(RectificationOrder, "deadline"),
    column(RectificationOrder, "status", tone=_order_tone),
    column(RectificationOrder, "reported_at"),
    column(RectificationOrder, "closed_at"),
)
REINSPECTION_COLUMNS = (
    column(Reinspection, "inspected_on"),
    column(Reinspection, "inspectors"),
    column(Reinspection, "passed", tone=lambda r: "ok" if r.passed else "bad"),
    column(Reinspection, "note", width=48),
    Column(
        gettext_lazy("照片"),
        lambda r: _("查看") if r.photo else "",
        link=lambda r: _url("reinspection_photo", r.pk) if r.photo else None,
    ),
)
DUMP_SITE_COLUMNS = (
    column(DumpSite, "name", link=lambda d: _url("dumpsite_detail", d.pk), width=30),
    column(DumpSite, "kind"),
    column(DumpSite, "region.name"),
    column(DumpSite, "address", width=30),
    column(DumpSite, "waste", width=30),
    column(DumpSite, "area_m2", numeric=True),
    column(DumpSite, "volume_m3", numeric=True),
    column(DumpSite, "party.name"),
    column(DumpSite, "found_on"),
    column(DumpSite, "state", tone=lambda d: STATE_TONES.get(d.state)),
    column(DumpSite, "state_changed_on"),
    column(DumpSite, "lon", numeric=True),
    column(DumpSite, "lat", numeric=True),
)


def is_inspector(actor) -> bool:
    return role_of(actor) in services.INSPECTOR_ROLES


def _listing(request, rows, filterset, columns, title: str, template: str, **extra):
    """Filters, paging and the ``?format=xlsx`` export of one list."""
    filters = bind_filters(SimpleNamespace(filterset=filterset), request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=title,
            columns=columns,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in filters.active()],
        )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {
        "title": title,
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(columns, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": page_obj.paginator,
        "query": query.urlencode(),
        "rows": rows,
        **extra,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "core/_list_results.html", context)
    return render(request, template, context)


def _service_errors(request, exc: WufeiError) -> None:
    if exc.status in (403, 404):
        raise exc
    for error in exc.errors:
        messages.error(request, str(error.message))


# --- campaigns ---------------------------------------------------------------------------------


@page(Campaign)
def campaign_list(request):
    today = timezone.localdate()
    campaigns = [
        (c, selectors.progress(actor=request.user, inspections=c.inspections.all(), today=today))
        for c in selectors.campaign_list(actor=request.user)
    ]
    return render(
        request,
        "cases/campaign_list.html",
        {
            "campaigns": campaigns,
            "can_add": is_inspector(request.user) and may(request.user, Action.ADD, Campaign),
        },
    )


@page(Campaign)
def campaign_detail(request, pk: int):
    campaign = one_or_404(selectors.campaign_list(actor=request.user), pk)
    inspections = selectors.inspection_list(actor=request.user).filter(campaign=campaign)
    return render(
        request,
        "cases/campaign_detail.html",
        {
            "campaign": campaign,
            "progress": selectors.progress(
                actor=request.user, inspections=inspections, today=timezone.localdate()
            ),
            "table": table(INSPECTION_COLUMNS, inspections[:200]),
            "can_inspect": is_inspector(request.user),
        },
    )


@page(Campaign)
def campaign_add(request):
    if not is_inspector(request.user):
        raise PermissionDenied(_("您无权新建督查行动。"))
    form = CampaignForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        campaign = form.submit(lambda actor, data: services.campaign_create(actor=actor, **data))
        if campaign is not None:
            return redirect(_url("campaign_detail", campaign.pk))
    return render(request, "cases/form.html", {"form": form, "title": _("新建督查行动")})


# --- inspections -------------------------------------------------------------------------------


@page(Inspection)
def inspection_list(request):
    return _listing(
        request,
        selectors.inspection_list(actor=request.user),
        InspectionFilterSet,
        INSPECTION_COLUMNS,
        _("现场检查"),
        "cases/list.html",
        add_url=reverse("cases:inspection_add") if is_inspector(request.user) else None,
    )


@page(Inspection)
def inspection_add(request):
    """Step one: the place, the checklist, the day and the inspectors; then the checklist."""
    if not is_inspector(request.user):
        raise PermissionDenied(_("只有管理人员可以开展检查。"))
    initial = {k: request.GET[k] for k in ("campaign", "site", "dump_site") if k in request.GET}
    initial.setdefault("inspected_on", timezone.localdate())
    form = InspectionForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        inspection = form.submit(
            lambda actor, data: services.inspection_create(
                actor=actor, today=timezone.localdate(), **data
            )
        )
        if inspection is not None:
            return redirect(_url("inspection_check", inspection.pk))
    return render(request, "cases/form.html", {"form": form, "title": _("现场检查"), "phone": True})


def _check_rows(inspection: Inspection, data=None) -> list[dict]:
    """One row per checklist item with what was posted for it (to show it again)."""
    rows = []
    for item in inspection.checklist.items.all():
        key = str(item.pk)
        rows.append(
            {
                "item": item,
                "result": (data or {}).get(f"result_{key}", "pass"),
                "description": (data or {}).get(f"description_{key}", ""),
                "severity": (data or {}).get(f"severity_{key}", item.severity),
                "errors": [],
            }
        )
    return rows


@page(Inspection)
def inspection_check(request, pk: int):
    """The checklist on a phone: pass or fail per item, a finding (text, level, photo) per
    failed item, one place for the visit (tapped on the map or from the device), submit."""
    inspection = one_or_404(selectors.inspection_list(actor=request.user), pk)
    if inspection.status != InspectionStatus.DRAFT:
        return redirect(_url("inspection_detail", inspection.pk))
    if not (is_inspector(request.user) and is_permitted(request.user, Action.CHANGE, inspection)):
        raise PermissionDenied(_("您无权填写此次检查。"))
    rows = _check_rows(inspection, request.POST if request.method == "POST" else None)
    general = []
    if request.method == "POST":
        findings, failed = [], []
        lon, lat = request.POST.get("lon", ""), request.POST.get("lat", "")
        for row in rows:
            if row["result"] != "fail":
                continue
            item = row["item"]
            failed.append(row)
            findings.append(
                services.FindingInput(
                    description=row["description"],
                    severity=row["severity"] or None,
                    item=item,
                    lon=lon or None,
                    lat=lat or None,
                    photo=request.FILES.get(f"photo_{item.pk}"),
                )
            )
        try:
            services.inspection_record(
                actor=request.user,
                inspection=inspection,
                findings=findings,
                summary=request.POST.get("summary", ""),
                submit=request.POST.get("action") != "save",
            )
        except Invalid as exc:
            for error in exc.errors:
                parts = (error.field or "").split(".")
                if len(parts) >= 2 and parts[0] == "findings" and parts[1].isdigit():
                    failed[int(parts[1])]["errors"].append(str(error.message))
                else:
                    general.append(str(error.message))
        else:
            messages.success(request, _("检查已提交，发现问题 %(n)s 项。") % {"n": len(findings)})
            return redirect(_url("inspection_detail", inspection.pk))
    return render(
        request,
        "cases/inspection_check.html",
        {
            "inspection": inspection,
            "rows": rows,
            "severities": Severity.choices,
            "general_errors": general,
            "lon": request.POST.get("lon", ""),
            "lat": request.POST.get("lat", ""),
            "summary": request.POST.get("summary", ""),
            "boundaries_url": reverse("web:map_boundaries"),
            "county": inspection.region.county,
        },
    )


@page(Inspection)
def finding_detail(request, pk: int):
    """A finding is shown on its inspection's page."""
    finding = one_or_404(selectors.finding_list(actor=request.user), pk)
    url = reverse("cases:inspection_detail", args=[finding.inspection_id])
    return redirect(f"{url}#finding-{pk}")


@page(Inspection)
def inspection_detail(request, pk: int):
    inspection = one_or_404(selectors.inspection_list(actor=request.user), pk)
    findings = list(
        selectors.finding_list(actor=request.user)
        .filter(inspection=inspection)
        .prefetch_related("orders")
    )
    can_order = (
        is_inspector(request.user)
        and inspection.status == InspectionStatus.SUBMITTED
        and is_permitted(request.user, Action.CHANGE, inspection)
    )
    blocks = [
        {
            "finding": f,
            "cells": [(c.header, Cell.of(c, f)) for c in FINDING_COLUMNS],
            "orders": list(f.orders.all()),
            "open_order": any(o.status != OrderStatus.CLOSED for o in f.orders.all()),
        }
        for f in findings
    ]
    today = timezone.localdate()
    return render(
        request,
        "cases/inspection_detail.html",
        {
            "inspection": inspection,
            "fields": [(c.header, Cell.of(c, inspection)) for c in INSPECTION_COLUMNS],
            "blocks": blocks,
            "can_order": can_order,
            "can_check": inspection.status == InspectionStatus.DRAFT and is_inspector(request.user),
            "order_form": OrderForm(
                initial={"issued_on": today, "deadline": today + timedelta(days=30)}
            ),
            "register_form": RegisterFromFindingForm(
                initial={
                    "kind": services.REGISTER_KIND_OF_CHECKLIST.get(
                        inspection.checklist.kind, DumpSiteKind.STORAGE_YARD
                    )
                }
            ),
        },
    )


def _finding(request, pk: int) -> Finding:
    return one_or_404(selectors.finding_list(actor=request.user), pk)


@require_POST
@page(Finding)
def order_issue(request, pk: int):
    finding = _finding(request, pk)
    form = OrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请完整填写整改要求、下达日期和整改期限。"))
    else:
        try:
            order = services.order_issue(
                actor=request.user, finding=finding, today=timezone.localdate(), **form.cleaned_data
            )
        except WufeiError as exc:
            _service_errors(request, exc)
        else:
            messages.success(request, _("已下达整改通知 %(n)s。") % {"n": order.number})
            return redirect(_url("order_detail", order.pk))
    return redirect(_url("inspection_detail", finding.inspection_id))


@require_POST
@page(Finding)
def finding_register(request, pk: int):
    """Register the storage yard or landfill a finding is about."""
    finding = _finding(request, pk)
    form = RegisterFromFindingForm(request.POST)
    if form.is_valid():
        try:
            site = services.dump_site_register_from_finding(
                actor=request.user, finding=finding, today=timezone.localdate(), **form.cleaned_data
            )
        except WufeiError as exc:
            _service_errors(request, exc)
        else:
            messages.success(request, _("已登记到堆存场所与非正规填埋场台账。"))
            return redirect(_url("dumpsite_detail", site.pk))
    else:
        messages.error(request, _("请填写名称和类型。"))
    return redirect(_url("inspection_detail", finding.inspection_id))


def _photo(field_file):
    if not field_file:
        raise Http404(_("没有照片。"))
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("照片文件不存在。")) from exc
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@page(Finding)
def finding_photo(request, pk: int):
    """A finding's photo, only for those who may see the finding (never a static file)."""
    return _photo(_finding(request, pk).photo)


@require_GET
@page(Reinspection)
def reinspection_photo(request, pk: int):
    rows = Reinspection.objects.filter(
        order__in=selectors.order_list(actor=request.user).values("pk")
    )
    return _photo(one_or_404(rows, pk).photo)


# --- orders ------------------------------------------------------------------------------------


@page(RectificationOrder)
def order_list(request):
    return _listing(
        request,
        selectors.order_list(actor=request.user),
        OrderFilterSet,
        ORDER_COLUMNS,
        _("限期整改通知"),
        "cases/list.html",
    )


@page(RectificationOrder)
def order_detail(request, pk: int):
    order = one_or_404(selectors.order_list(actor=request.user), pk)
    actor = request.user
    may_change = is_permitted(actor, Action.CHANGE, order)
    inspector = is_inspector(actor) and may_change
    return render(
        request,
        "cases/order_detail.html",
        {
            "order": order,
            "fields": [(c.header, Cell.of(c, order)) for c in ORDER_COLUMNS],
            "finding": order.finding,
            "report_text": order.report,
            "reinspections": table(REINSPECTION_COLUMNS, selectors.reinspections_of(order)),
            "overdue": order.status in selectors.OPEN_STATUSES
            and order.deadline < timezone.localdate(),
            "report_form": ReportForm()
            if may_change and order.status in selectors.OPEN_STATUSES
            else None,
            "reinspection_form": ReinspectionForm(
                initial={"inspected_on": timezone.localdate(), "passed": "1"}
            )
            if inspector and order.status == OrderStatus.REPORTED
            else None,
            "can_close": inspector and order.status == OrderStatus.REPORTED,
        },
    )


@require_POST
@page(RectificationOrder)
def order_act(request, pk: int, verb: str):
    order = one_or_404(selectors.order_list(actor=request.user), pk)
    now, today = timezone.now(), timezone.localdate()
    try:
        if verb == "report":
            form = ReportForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写整改情况。"))
                return redirect(_url("order_detail", order.pk))
            services.order_report(actor=request.user, order=order, now=now, **form.cleaned_data)
            messages.success(request, _("已报整改完成，等待复查。"))
        elif verb == "reinspect":
            form = ReinspectionForm(request.POST, request.FILES)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return redirect(_url("order_detail", order.pk))
            services.reinspection_record(
                actor=request.user, order=order, today=today, now=now, **form.cleaned_data
            )
            messages.success(request, _("已登记复查。"))
        elif verb == "close":
            services.order_close(actor=request.user, order=order, now=now)
            messages.success(request, _("已销号。"))
        else:
            raise Http404()
    except WufeiError as exc:
        _service_errors(request, exc)
    return redirect(_url("order_detail", order.pk))


# --- the register ------------------------------------------------------------------------------


@page(DumpSite)
def dumpsite_list(request):
    rows = selectors.dump_site_list(actor=request.user)
    counts = selectors.dump_site_counts(rows)
    summary = [
        {
            "kind": label,
            "cells": [counts.get((kind, state), 0) for state in DumpSiteState.values],
            "total": sum(counts.get((kind, state), 0) for state in DumpSiteState.values),
        }
        for kind, label in DumpSiteKind.choices
    ]
    return _listing(
        request,
        rows,
        DumpSiteFilterSet,
        DUMP_SITE_COLUMNS,
        _("堆存场所与非正规填埋场"),
        "cases/dumpsite_list.html",
        summary=summary,
        states=DumpSiteState.choices,
        boundaries_url=reverse("web:map_boundaries"),
        points_url=reverse("cases:dumpsite_points"),
        add_url=reverse("cases:dumpsite_add") if is_inspector(request.user) else None,
    )


@require_GET
@page(DumpSite)
def dumpsite_points(request):
    """The register's points for the map, one series per state, filtered like the list."""
    rows = selectors.dump_site_list(actor=request.user)
    filters = bind_filters(SimpleNamespace(filterset=DumpSiteFilterSet), request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    series: dict[str, list] = {state: [] for state in DumpSiteState.values}
    for site in rows.filter(lon__isnull=False, lat__isnull=False):
        series[site.state].append(
            {
                "id": site.pk,
                "name": site.name,
                "kind": site.get_kind_display(),
                "region": site.region.name,
                "value": [float(site.lon), float(site.lat)],
            }
        )
    return JsonResponse(
        {
            "detail_url": reverse("cases:dumpsite_detail", args=[0]),
            "series": [
                {"state": state, "label": str(label), "points": series[state]}
                for state, label in DumpSiteState.choices
            ],
        }
    )


@page(DumpSite)
def dumpsite_detail(request, pk: int):
    site = one_or_404(selectors.dump_site_list(actor=request.user), pk)
    inspections = selectors.inspection_list(actor=request.user).filter(dump_site=site)
    can_move = is_inspector(request.user) and is_permitted(request.user, Action.CHANGE, site)
    moves = services.DUMP_SITE_MOVES.get(site.state, ())
    return render(
        request,
        "cases/dumpsite_detail.html",
        {
            "site": site,
            "fields": [(c.header, Cell.of(c, site)) for c in DUMP_SITE_COLUMNS],
            "inspections": table(INSPECTION_COLUMNS, inspections),
            "move_form": MoveForm(initial={"on": timezone.localdate(), "state": moves[0]})
            if can_move and moves
            else None,
            "moves": [(s, label) for s, label in DumpSiteState.choices if s in moves],
            "inspect_url": f"{reverse('cases:inspection_add')}?dump_site={site.pk}"
            if is_inspector(request.user)
            else None,
        },
    )


@require_POST
@page(DumpSite)
def dumpsite_move(request, pk: int):
    site = one_or_404(selectors.dump_site_list(actor=request.user), pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.dump_site_move(
                actor=request.user, dump_site=site, today=timezone.localdate(), **form.cleaned_data
            )
            messages.success(request, _("整治状态已更新。"))
        except WufeiError as exc:
            _service_errors(request, exc)
    else:
        messages.error(request, _("请选择新状态并填写日期。"))
    return redirect(_url("dumpsite_detail", site.pk))


@page(DumpSite)
def dumpsite_add(request):
    if not is_inspector(request.user):
        raise PermissionDenied(_("只有管理人员可以登记。"))
    form = DumpSiteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        site = form.submit(
            lambda actor, data: services.dump_site_register(
                actor=actor, data=services.DumpSiteInput(**data), today=timezone.localdate()
            )
        )
        if site is not None:
            return redirect(_url("dumpsite_detail", site.pk))
    return render(request, "cases/form.html", {"form": form, "title": _("登记堆存场所或填埋场")})
