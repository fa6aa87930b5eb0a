"""Declarative pages: one list view, one detail view and one form view for every model.

An app describes a model's pages once with :class:`ModelPage` (its selector, FilterSet,
columns, detail fields, related tables, form and services) and gets list (with filters,
paging and ``?format=xlsx`` export), detail, create, edit and option-search pages from
``page.urls()``. Scoping is never the view's: rows come from the app's selector (which calls
``restrict``) and writes from its services, so pages, API and exports agree on every row.

Nothing here depends on a particular app; later apps declare their pages the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted, may, restrict, scope_of
from wufei.core.errors import NotFound, NotPermitted
from wufei.core.export import Column, plain, xlsx_response
from wufei.core.selectors import change_history

PAGE_SIZE = 50
RELATED_LIMIT = 20
OPTIONS_LIMIT = 30
EXPORT_CHUNK = 2000
WRAP_WIDTH = 40  # columns this wide (long texts: sources, capacities) wrap in the table

PAGES: dict[type[Model], ModelPage] = {}


def _same(queryset: QuerySet, actor) -> QuerySet:
    return queryset


@dataclass(frozen=True)
class Related:
    """A table of rows related to the object on its detail page."""

    title: Any
    rows: Callable[[Any, Any], QuerySet]  # (obj, actor) -> scoped queryset
    columns: Sequence[Column]
    more: Callable[[Any], str] | None = None  # url of the full, filtered list
    limit: int = RELATED_LIMIT


@dataclass
class ModelPage:
    """Everything the generic views need to know about one model's pages."""

    model: type[Model]
    namespace: str
    slug: str  # url names: <slug>_list, <slug>_detail, <slug>_add, <slug>_edit
    segment: str  # url path segment: "parties"
    selector: Callable[..., QuerySet]  # selector(actor=...) -> rows the actor may view
    columns: Sequence[Column]
    filterset: type | None = None
    detail: Sequence[Column] = ()
    related: Sequence[Related] = ()
    form: type | None = None
    create: Callable[..., Model] | None = None  # service(actor=, data=)
    update: Callable[..., Model] | None = None  # service(actor=, obj=, data=)
    list_queryset: Callable[[QuerySet, Any], QuerySet] = _same  # (rows, actor): prefetches
    detail_queryset: Callable[[QuerySet, Any], QuerySet] = _same
    title: Any = None
    description: Any = None
    initial_from_query: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.title is None:
            self.title = self.model._meta.verbose_name_plural
        PAGES[self.model] = self

    @property
    def editable(self) -> bool:
        return self.form is not None and self.create is not None

    def url_name(self, kind: str) -> str:
        return f"{self.namespace}:{self.slug}_{kind}"

    def url(self, kind: str, *args) -> str:
        return reverse(self.url_name(kind), args=args)

    def detail_url(self, obj) -> str:
        return self.url("detail", obj.pk)

    def link(self, attribute: str = "pk") -> Callable[[Any], str | None]:
        """``f(row)`` giving this page's detail url for ``row.<attribute>`` (a pk)."""

        def to_detail(row) -> str | None:
            pk = getattr(row, attribute)
            return self.url("detail", pk) if pk is not None else None

        return to_detail

    def urls(self) -> list:
        kwargs = {"page": self}
        patterns = [
            path(f"{self.segment}/", ListPage.as_view(**kwargs), name=f"{self.slug}_list"),
            path(
                f"{self.segment}/<int:pk>/",
                DetailPage.as_view(**kwargs),
                name=f"{self.slug}_detail",
            ),
            path(
                f"{self.segment}/options/",
                OptionsPage.as_view(**kwargs),
                name=f"{self.slug}_options",
            ),
        ]
        if self.editable:
            patterns += [
                path(f"{self.segment}/new/", FormPage.as_view(**kwargs), name=f"{self.slug}_add"),
                path(
                    f"{self.segment}/<int:pk>/edit/",
                    FormPage.as_view(**kwargs),
                    name=f"{self.slug}_edit",
                ),
            ]
        return patterns


def page_for(model: type[Model]) -> ModelPage | None:
    return PAGES.get(model)


# --- rights -------------------------------------------------------------------------------


def is_scoped(model: type[Model]) -> bool:
    scope = getattr(model, "scope", None)
    return scope is not None and not scope_of(model).reference


def require(request, action: str, model: type[Model]):
    """``None`` when allowed; a log-in redirect for the anonymous; 403 otherwise."""
    if may(request.user, action, model):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def domain_errors(func):
    """Turn the services' NotPermitted / NotFound into the pages' 403 / 404."""

    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(str(exc.message)) from exc
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc

    return wrapper


def page(model: type[Model]):
    """Decorate a view of ``model``'s rows: log in first, 403 without the right to view any,
    and the services' NotPermitted / NotFound as 403 / 404."""

    def decorate(view):
        @wraps(view)
        @domain_errors
        def wrapper(request, *args, **kwargs):
            refusal = require(request, Action.VIEW, model)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def one_or_404(rows: QuerySet, pk: int):
    """The row ``pk`` of the (already scoped) ``rows``, or 404 — the same for missing and
    not permitted, so a page never tells which."""
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return obj


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: Any
    url: str | None = None
    numeric: bool = False
    tone: str | None = None
    wrap: bool = False

    @classmethod
    def of(cls, column: Column, row) -> Cell:
        wrap = column.width >= WRAP_WIDTH
        return cls(column.get(row), column.url(row), column.numeric, column.tone_of(row), wrap)


def table(columns: Sequence[Column], rows) -> dict:
    """What ``core/_table.html`` renders: headers and one list of cells per row."""
    return {
        "headers": [(c.header, c.numeric) for c in columns],
        "rows": [[Cell.of(c, row) for c in columns] for row in rows],
    }


# --- filters ------------------------------------------------------------------------------


def region_choices(actor) -> list[tuple[str, str]]:
    """Counties (or, for an actor bound to a region, that region and its towns)."""
    from wufei.registry.models import Region

    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    if region is not None:
        rows = Region.objects.filter(path__startswith=region.path).order_by("path")
    else:
        rows = Region.objects.filter(level__in=("county", "zone")).order_by("adcode")
    return [("", _("全部区划"))] + [(r.adcode, r.name) for r in rows]


@dataclass
class Filters:
    """A FilterSet bound to the request and adapted for a page."""

    filterset: Any
    hidden: list[str]

    @property
    def form(self):
        return self.filterset.form

    @property
    def valid(self) -> bool:
        return not self.form.is_bound or self.form.is_valid()

    @property
    def visible_fields(self):
        return [f for f in self.form if f.name not in self.hidden]

    def active(self) -> list[tuple[str, str, str]]:
        """(name, label, shown value) of every filter with a valid, non-empty value."""
        form = self.form
        if not form.is_bound:
            return []
        form.is_valid()
        out = []
        for name, value in getattr(form, "cleaned_data", {}).items():
            if value in (None, "", [], ()):
                continue
            field = form.fields[name]
            shown = value
            if isinstance(field, forms.ModelChoiceField):
                shown = str(value)
            elif isinstance(field, forms.ChoiceField):
                shown = dict(field.choices).get(value, value)
            out.append((name, str(field.label or name), str(plain(shown))))
        return out


def bind_filters(page: ModelPage, request, queryset: QuerySet) -> Filters | None:
    if page.filterset is None:
        return None
    data = request.GET.copy()
    for reserved in ("page", "format"):
        data.pop(reserved, None)
    filterset = page.filterset(data or None, queryset=queryset, request=request)
    form = filterset.form
    hidden = []
    for name, form_field in list(form.fields.items()):
        if isinstance(form_field, forms.ModelChoiceField) and is_scoped(form_field.queryset.model):
            # Scoped relations (a party, a site) are filtered by links, never listed in full.
            form_field.queryset = restrict(form_field.queryset, request.user, Action.VIEW)
            form_field.widget = forms.HiddenInput()
            hidden.append(name)
        elif name == "region":
            form.fields[name] = forms.ChoiceField(
                label=form_field.label,
                required=False,
                choices=region_choices(request.user),
            )
    for bound in form:
        if bound.name in hidden:
            continue
        form_field = bound.field
        widget = form_field.widget
        if isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [("unknown", _("全部")), ("true", _("是")), ("false", _("否"))]
        elif isinstance(form_field, forms.ModelChoiceField):
            form_field.empty_label = _("全部")
            widget.choices = form_field.choices
        elif isinstance(form_field, forms.ChoiceField):
            choices = [c for c in form_field.choices if c[0] != ""]
            if hasattr(form_field, "empty_label"):  # django-filter adds the empty choice itself
                form_field.empty_label = _("全部")
                form_field.choices = choices
            else:
                form_field.choices = [("", _("全部")), *choices]
        if bound.name == "q":
            widget.input_type = "search"
            widget.attrs.setdefault("placeholder", _("名称、编号…"))
        elif isinstance(bound.field, forms.DateField):
            widget.input_type = "date"
    return Filters(filterset, hidden)


# --- views --------------------------------------------------------------------------------


class PageView(View):
    page: ModelPage = None  # set by as_view(page=...)

    def context(self, obj=None, **extra) -> dict:
        page = self.page
        return {
            "page": page,
            "model_meta": page.model._meta,
            "list_url": page.url("list"),
            "detail_url": page.detail_url(obj) if obj is not None else None,
            "obj": obj,
            **extra,
        }


class ListPage(PageView):
    """Rows the actor may see, filtered by the model's FilterSet, 50 a page, or as xlsx."""

    def get(self, request):
        page = self.page
        refusal = require(request, Action.VIEW, page.model)
        if refusal is not None:
            return refusal
        rows = page.selector(actor=request.user)
        filters = bind_filters(page, request, rows)
        if filters is not None:
            # An invalid filter (a county outside the actor's, a malformed date) shows its
            # error and no rows, as the API answers 400, rather than silently all rows.
            rows = filters.filterset.qs if filters.valid else rows.none()
        rows = page.list_queryset(rows, request.user)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                title=str(page.title),
                columns=page.columns,
                rows=rows.iterator(chunk_size=EXPORT_CHUNK),
                filters=[(label, shown) for _name, label, shown in filters.active()]
                if filters
                else (),
            )
        paginator = Paginator(rows, PAGE_SIZE)
        page_obj = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context = self.context(
            filters=filters,
            active_filters=filters.active() if filters else [],
            table=table(page.columns, page_obj.object_list),
            page_obj=page_obj,
            paginator=paginator,
            query=query.urlencode(),
            add_url=page.url("add")
            if page.editable and may(request.user, Action.ADD, page.model)
            else None,
        )
        partial = request.htmx and not request.htmx.boosted
        template = "core/_list_results.html" if partial else "core/list.html"
        return render(request, template, context)


def _visible_object(page: ModelPage, actor, pk: int, queryset=None):
    rows = queryset if queryset is not None else page.selector(actor=actor)
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return obj


HISTORY_LIMIT = 20
HISTORY_COLUMNS = (
    Column(
        gettext_lazy("时间"), lambda e: timezone.localtime(e.time).strftime("%Y-%m-%d %H:%M:%S")
    ),
    Column(gettext_lazy("操作人"), lambda e: str(e.actor) if e.actor else _("系统")),
    Column(gettext_lazy("动作"), "action"),
)


def _history(actor, obj) -> dict | None:
    """The change-log block of a detail page, for those who may change the row."""
    rows = change_history(actor=actor, obj=obj)
    total = rows.count()
    if not total:
        return None
    return {
        "title": _("变更记录"),
        "total": total,
        "table": table(HISTORY_COLUMNS, rows[:HISTORY_LIMIT]),
        "more": None,
    }


class DetailPage(PageView):
    def get(self, request, pk: int):
        page = self.page
        refusal = require(request, Action.VIEW, page.model)
        if refusal is not None:
            return refusal
        actor = request.user
        obj = _visible_object(
            page, actor, pk, page.detail_queryset(page.selector(actor=actor), actor)
        )
        related = []
        for item in page.related:
            rows = item.rows(obj, actor)
            total = rows.count()
            related.append(
                {
                    "title": item.title,
                    "total": total,
                    "table": table(item.columns, rows[: item.limit]) if total else None,
                    "more": item.more(obj) if item.more and total > item.limit else None,
                }
            )
        history = _history(actor, obj)
        if history is not None:
            related.append(history)
        fields = [(c.header, Cell.of(c, obj)) for c in page.detail]
        return render(
            request,
            "core/detail.html",
            self.context(
                obj=obj,
                fields=fields,
                related=related,
                edit_url=page.url("edit", obj.pk)
                if page.editable and is_permitted(actor, Action.CHANGE, obj)
                else None,
            ),
        )


class FormPage(PageView):
    """Create (no ``pk``) or edit: the form parses, the service validates and writes."""

    def dispatch(self, request, *args, **kwargs):
        return domain_errors(super().dispatch)(request, *args, **kwargs)

    def _setup(self, request, pk: int | None):
        page = self.page
        action = Action.ADD if pk is None else Action.CHANGE
        refusal = require(request, action, page.model)
        if refusal is not None:
            return refusal, None
        obj = None
        if pk is not None:
            obj = _visible_object(page, request.user, pk)
            if not is_permitted(request.user, Action.CHANGE, obj):
                raise PermissionDenied(_("您无权修改此记录。"))
        return None, obj

    def _initial(self, request) -> dict:
        return {
            name: request.GET[name] for name in self.page.initial_from_query if name in request.GET
        }

    def get(self, request, pk: int | None = None):
        refusal, obj = self._setup(request, pk)
        if refusal is not None:
            return refusal
        form = self.page.form(actor=request.user, instance=obj, initial=self._initial(request))
        return self._render(request, form, obj)

    def post(self, request, pk: int | None = None):
        refusal, obj = self._setup(request, pk)
        if refusal is not None:
            return refusal
        form = self.page.form(request.POST, actor=request.user, instance=obj)
        if form.is_valid():
            if obj is None:
                saved = form.submit(self.page.create)
            else:
                saved = form.submit(self.page.update, obj=obj)
            if saved is not None:
                return redirect(self.page.detail_url(saved))
        return self._render(request, form, obj)

    def _render(self, request, form, obj):
        return render(request, "core/form.html", self.context(form=form, obj=obj))


class OptionsPage(PageView):
    """``<option>`` elements for a searchable select: the actor's rows matching ``q``."""

    def get(self, request):
        page = self.page
        refusal = require(request, Action.VIEW, page.model)
        if refusal is not None:
            return refusal
        rows = page.selector(actor=request.user)
        text = request.GET.get("q", "").strip()
        if text and page.filterset is not None and "q" in page.filterset.base_filters:
            rows = page.filterset({"q": text}, queryset=rows, request=request).qs
        rows = rows[:OPTIONS_LIMIT]
        html = format_html_join("", '<option value="{}">{}</option>', ((r.pk, r) for r in rows))
        empty = format_html('<option value="">{}</option>', _("—— 请选择 ——"))
        return HttpResponse(empty + html)
