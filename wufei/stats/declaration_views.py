"""The declaration pages: the list (filters, Excel export, what waits for my review), the
detail with its lines, review actions and history, the entry form per kind, the Excel import
with its report, and the template download.

Thin views: rows come from ``declaration_selectors`` (scoped to the actor), every write is
one service call; a refusal re-renders the page with the service's Chinese message.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.core.errors import WufeiError
from wufei.core.export import XLSX_CONTENT_TYPE, Column, column, xlsx_response
from wufei.core.forms import add_errors
from wufei.core.pages import (
    PAGE_SIZE,
    Cell,
    Filters,
    ModelPage,
    bind_filters,
    domain_errors,
    require,
    table,
)
from wufei.stats import declaration_selectors as selectors
from wufei.stats import declarations as services
from wufei.stats import units
from wufei.stats.choices import DeclarationStatus, Quantity
from wufei.stats.declaration_forms import (
    CODE_ROWS,
    MAX_CODE_ROWS,
    DeclarationFilterSet,
    HeaderForm,
    ImportForm,
    LinesForm,
    ReviewForm,
    declaration_input,
    initial_lines,
    put_errors,
)
from wufei.stats.declaration_import import HEADERS, import_declarations, template_workbook
from wufei.stats.declaration_kinds import KINDS, PERIOD_LABELS, get_kind
from wufei.stats.models import Declaration, DeclarationLine

STATUS_TONES: dict[str, str] = {
    DeclarationStatus.DRAFT: "muted",
    DeclarationStatus.SUBMITTED: "info",
    DeclarationStatus.ACCEPTED: "ok",
    DeclarationStatus.RETURNED: "bad",
}
EVENTS = {
    "create": gettext_lazy("新建"),
    "update": gettext_lazy("修改"),
    "submit": gettext_lazy("提交"),
    "accept": gettext_lazy("审核通过"),
    "return": gettext_lazy("退回"),
}
REVIEW_SHOWN = 20
HISTORY_LIMIT = 50


def detail_url(d: Declaration) -> str:
    return reverse("declarations:declaration_detail", args=[d.pk])


def kind_label(d: Declaration) -> str:
    kind = get_kind(d.kind)
    return str(kind.label) if kind else d.kind


def declarant(d: Declaration) -> str:
    if d.party_id:
        return d.party.name
    return str(d.department) if d.department_id else d.region.name


COLUMNS = (
    Column(gettext_lazy("编号"), "pk", link=detail_url, width=8),
    Column(gettext_lazy("申报类型"), kind_label, width=24),
    Column(gettext_lazy("申报单位（部门）"), declarant, width=30),
    column(Declaration, "region.name"),
    Column(gettext_lazy("统计期"), services.period_label, width=12),
    column(Declaration, "status", tone=lambda d: STATUS_TONES.get(d.status)),
    Column(gettext_lazy("数值项数"), "n_lines", numeric=True, width=10),
    column(Declaration, "created_by"),
    column(Declaration, "submitted_at"),
    column(Declaration, "reviewed_by"),
)
DETAIL = (
    Column(gettext_lazy("申报类型"), kind_label),
    Column(gettext_lazy("申报单位（部门）"), declarant),
    column(Declaration, "region.name"),
    Column(gettext_lazy("统计期"), services.period_label),
    column(Declaration, "status", tone=lambda d: STATUS_TONES.get(d.status)),
    column(Declaration, "origin"),
    column(Declaration, "note"),
    column(Declaration, "created_by"),
    column(Declaration, "created_at"),
    column(Declaration, "submitted_at"),
    column(Declaration, "reviewed_by"),
    column(Declaration, "reviewed_at"),
    column(Declaration, "review_note"),
)
QUANTITIES = dict(Quantity.choices)


def _line_columns(kind) -> tuple[Column, ...]:
    def label(line: DeclarationLine) -> str:
        item = kind.item(line.item) if kind else None
        return str(item.label) if item else line.item

    def unit(line: DeclarationLine) -> str:
        item = kind.item(line.item) if kind else None
        return item.base_unit if item else ""

    codes = (
        (Column(gettext_lazy("废物代码"), "waste_code.code", width=14),)
        if kind and kind.per_code
        else ()
    )
    return (
        *codes,
        Column(gettext_lazy("申报项"), label, width=28),
        Column(gettext_lazy("数值"), "value", numeric=True),
        Column(gettext_lazy("单位"), unit, width=8),
        Column(gettext_lazy("填报数值"), "entered_value", numeric=True),
        Column(gettext_lazy("填报单位"), "entered_unit", width=8),
        Column(gettext_lazy("统计量"), lambda line: QUANTITIES.get(line.quantity, "—"), width=14),
        Column(gettext_lazy("废物类别"), "stream.name"),
    )


HISTORY = (
    Column(gettext_lazy("时间"), lambda e: timezone.localtime(e.time)),
    Column(gettext_lazy("操作人"), lambda e: str(e.actor) if e.actor_id else _("系统")),
    Column(gettext_lazy("动作"), lambda e: EVENTS.get(e.data.get("event"), e.action)),
    Column(gettext_lazy("状态"), lambda e: DeclarationStatus(e.data["status"]).label),
    Column(
        gettext_lazy("说明"),
        lambda e: e.data.get("review_note") if e.data.get("event") in ("accept", "return") else "",
        width=40,
    ),
)


def _refusal(request, action: str = Action.VIEW):
    return require(request, action, Declaration)


def _visible(request, pk: int) -> Declaration:
    try:
        return selectors.declaration_get(actor=request.user, pk=pk)
    except WufeiError as exc:
        raise Http404(str(exc.message)) from exc


# --- list ---------------------------------------------------------------------------------


def _filters(request, rows) -> Filters:
    """The list's filters (the API's FilterSet) made for people; the party by link only."""
    spec = cast(ModelPage, SimpleNamespace(filterset=DeclarationFilterSet))
    filters = bind_filters(spec, request, rows)
    assert filters is not None  # noqa: S101  (the spec has a FilterSet)
    filters.form.fields["party"].widget = forms.HiddenInput()
    filters.hidden.append("party")
    return filters


def _line_count() -> Subquery:
    lines = DeclarationLine.objects.filter(declaration=OuterRef("pk")).order_by()
    return Subquery(lines.values("declaration").annotate(n=Count("id")).values("n"))


def declaration_list(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    actor = request.user
    rows = (
        selectors.declaration_list(actor=actor)
        # a correlated count: evaluated for the page's rows only, not grouped over the table
        .annotate(n_lines=_line_count())
        .order_by("-period_start", "-id")
    )
    filters = _filters(request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=_("统计申报"),
            columns=COLUMNS,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in filters.active()],
        )
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    review = selectors.to_review(actor=actor)
    context = {
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(COLUMNS, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": paginator,
        "review": table(COLUMNS[:6], review[:REVIEW_SHOWN]),
        "review_total": len(review),
        "kinds": selectors.declarable_kinds(actor=actor),
    }
    partial = request.htmx and not request.htmx.boosted
    template = "core/_list_results.html" if partial else "stats/declarations/list.html"
    return render(request, template, context)


# --- detail and actions ---------------------------------------------------------------------


def _actions(actor, d: Declaration) -> dict:
    editable = services.may_edit(actor, d)
    reviewer = services.may_review(actor, d)
    return {
        "edit": editable,
        "submit": editable,
        "accept": reviewer and d.status == DeclarationStatus.SUBMITTED,
        "return": reviewer and d.status in services.RETURNABLE,
    }


def declaration_detail(request, pk: int, *, review_form: ReviewForm | None = None):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    d = _visible(request, pk)
    kind = get_kind(d.kind)
    history = selectors.declaration_history(actor=request.user, declaration=d)
    return render(
        request,
        "stats/declarations/detail.html",
        {
            "d": d,
            "kind": kind,
            "tone": STATUS_TONES.get(d.status, "muted"),
            "fields": [(c.header, Cell.of(c, d)) for c in DETAIL],
            "lines": table(_line_columns(kind), selectors.declaration_lines(d)),
            "history": table(HISTORY, history[:HISTORY_LIMIT]),
            "actions": _actions(request.user, d),
            "review_form": review_form or ReviewForm(),
        },
    )


VERBS = {
    "submit": (
        lambda actor, d, note: services.declaration_submit(actor=actor, declaration=d),
        gettext_lazy("申报已提交。"),
    ),
    "accept": (
        lambda actor, d, note: services.declaration_accept(actor=actor, declaration=d, note=note),
        gettext_lazy("已审核通过。"),
    ),
    "return": (
        lambda actor, d, note: services.declaration_return(actor=actor, declaration=d, note=note),
        gettext_lazy("已退回申报人修改。"),
    ),
}


@require_POST
@domain_errors
def declaration_act(request, pk: int, verb: str):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    if verb not in VERBS:
        raise Http404()
    d = _visible(request, pk)
    form = ReviewForm(request.POST)
    service, done = VERBS[verb]
    if form.is_valid():
        try:
            service(request.user, d.pk, form.cleaned_data["note"])
        except WufeiError as exc:
            if exc.status in (403, 404):
                raise
            for error in exc.errors:
                messages.error(request, str(error.message))
        else:
            messages.success(request, str(done))
            return redirect(detail_url(d))
    return declaration_detail(request, pk, review_form=form)


# --- the entry form ---------------------------------------------------------------------------


def _rows(request) -> int:
    try:
        wanted = int(request.GET.get("rows") or request.POST.get("rows") or CODE_ROWS)
    except ValueError:
        wanted = CODE_ROWS
    return max(1, min(wanted, MAX_CODE_ROWS))


def _declarable(request) -> list:
    """The kinds the user may declare; refused (403) when there are none."""
    kinds = selectors.declarable_kinds(actor=request.user)
    if not kinds:
        raise PermissionDenied(_("您无权填报申报。"))
    return kinds


@domain_errors
def declaration_create(request):
    refusal = _refusal(request, Action.ADD)
    if refusal is not None:
        return refusal
    kinds = _declarable(request)
    kind = get_kind(request.POST.get("kind") or request.GET.get("kind", ""))
    if kind is None or kind not in kinds:
        return render(request, "stats/declarations/kind_choice.html", {"kinds": kinds})
    rows = _rows(request)
    post = request.POST if request.method == "POST" else None
    header = HeaderForm(post, actor=request.user, kind=kind)
    grid = LinesForm(post, kind=kind, rows=rows)
    if post is not None and header.is_valid() and grid.is_valid():
        lines, cells = grid.lines()
        try:
            d = services.declaration_create(
                actor=request.user,
                data=declaration_input(header, lines),
                submit=request.POST.get("action") == "submit",
            )
        except WufeiError as exc:
            if exc.status == 403:
                add_errors(header, exc.errors)
            else:
                put_errors(header, grid, cells, exc.errors)
        else:
            messages.success(request, _saved(d))
            return redirect(detail_url(d))
    return _form(request, kind, header, grid, None)


@domain_errors
def declaration_edit(request, pk: int):
    refusal = _refusal(request, Action.CHANGE)
    if refusal is not None:
        return refusal
    d = _visible(request, pk)
    kind = get_kind(d.kind)
    if kind is None or not services.may_edit(request.user, d):
        raise PermissionDenied(_("此申报当前不能由您修改。"))
    initial, filled_rows = initial_lines(d, kind)
    rows = max(filled_rows, _rows(request)) if kind.per_code else 0
    post = request.POST if request.method == "POST" else None
    header = HeaderForm(post, actor=request.user, kind=kind, editing=d, initial={"note": d.note})
    grid = LinesForm(post, kind=kind, rows=rows, initial=initial)
    if post is not None and header.is_valid() and grid.is_valid():
        lines, cells = grid.lines()
        try:
            d = services.declaration_update(
                actor=request.user,
                declaration=d,
                lines=lines,
                note=header.cleaned_data["note"],
                submit=request.POST.get("action") == "submit",
            )
        except WufeiError as exc:
            put_errors(header, grid, cells, exc.errors)
        else:
            messages.success(request, _saved(d))
            return redirect(detail_url(d))
    return _form(request, kind, header, grid, d)


def _saved(d: Declaration) -> str:
    if d.status == DeclarationStatus.SUBMITTED:
        return _("申报已提交，编号 %(pk)s。") % {"pk": d.pk}
    return _("已保存为草稿，编号 %(pk)s；确认无误后请提交。") % {"pk": d.pk}


def _form(request, kind, header, grid, d):
    today = timezone.localdate()
    codes = services.codes_for(kind, today.replace(year=today.year - 1, month=1, day=1), today)
    return render(
        request,
        "stats/declarations/form.html",
        {
            "kind": kind,
            "header": header,
            "grid": grid,
            "rows": grid.grid(),
            "d": d,
            "codes": sorted(codes.values(), key=lambda c: c.code),
            "more_rows": min(grid.rows + CODE_ROWS, MAX_CODE_ROWS) if kind.per_code else None,
            "periods": "、".join(str(PERIOD_LABELS[p]) for p in kind.periods),
            "units": {i.code: "、".join(units.units_of(i.unit)) for i in kind.items},
        },
    )


# --- import and template -----------------------------------------------------------------------


@domain_errors
def declaration_import(request):
    refusal = _refusal(request, Action.ADD)
    if refusal is not None:
        return refusal
    kinds = _declarable(request)
    post = request.POST if request.method == "POST" else None
    form = ImportForm(post, request.FILES or None, kinds=kinds, initial=request.GET.dict())
    report = None
    if post is not None and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_declarations(
                actor=request.user,
                kind=form.kind_obj,
                upload=upload,
                mode=form.cleaned_data["mode"],
                as_draft=form.cleaned_data["as_draft"],
                origin=_("Excel 导入：%(name)s") % {"name": upload.name},
            )
        except WufeiError as exc:
            add_errors(form, exc.errors)
    return render(
        request,
        "stats/declarations/import.html",
        {
            "form": form,
            "kinds": kinds,
            "report": report,
            "headers": HEADERS,
        },
    )


def declaration_template(request, kind: str):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    found = KINDS.get(kind)
    if found is None:
        raise Http404(_("申报类型不存在。"))
    name = _("%(kind)s申报导入模板.xlsx") % {"kind": found.label}
    response = HttpResponse(template_workbook(found), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{found.code}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
