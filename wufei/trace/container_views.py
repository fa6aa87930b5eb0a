"""Container pages: the party's containers, register, pack (小箱进大箱), unpack, transform,
and printable label sheets. Thin: forms parse, ``wufei.trace.services`` validates and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import Invalid, NotPermitted
from wufei.core.export import Column, column, xlsx_response
from wufei.core.forms import CHOOSE, CodesField, add_errors
from wufei.core.pages import PAGE_SIZE, bind_filters, domain_errors, table
from wufei.registry.models import Facility, TreatmentMethod, WasteStream
from wufei.trace import labels, services
from wufei.trace.choices import LIVE_STATES, ContainerKind, ContainerState
from wufei.trace.container_api import (
    ContainerFilterSet,
    container_list,
    held,
    requested_codes,
    spec_of,
)
from wufei.trace.models import Container

NAMESPACE = "containers"
MAX_OUTPUTS = 5
STATE_TONES = {
    ContainerState.AT_SOURCE: "info",
    ContainerState.PACKED: "muted",
    ContainerState.IN_TRANSIT: "warn",
    ContainerState.STORED: "info",
    ContainerState.TREATED: "ok",
    ContainerState.TRANSFORMED: "ok",
    ContainerState.EMPTIED: "muted",
}


def url(name: str, **query) -> str:
    base = reverse(f"{NAMESPACE}:{name}")
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def sheet_url(code_list) -> str:
    return url("labels", codes=",".join(code_list))


COLUMNS = (
    column(Container, "code", link=lambda c: labels.trace_path(c.code)),
    column(Container, "kind"),
    column(Container, "stream.name"),
    column(Container, "waste_code.code"),
    column(Container, "mass_kg", numeric=True),
    column(Container, "holder.name"),
    column(Container, "state", tone=lambda c: STATE_TONES.get(c.state)),
    column(Container, "parent.code"),
    column(Container, "created_at"),
    Column(gettext_lazy("标签"), lambda c: _("打印"), link=lambda c: sheet_url([c.code]), width=8),
)


# --- access -------------------------------------------------------------------------------


def _login_or_403(request, allowed: bool):
    if allowed:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def viewer(view: Callable) -> Callable:
    """Pages for whoever may view some containers."""

    def wrapper(request, *args, **kwargs):
        refusal = _login_or_403(request, may(request.user, Action.VIEW, Container))
        return refusal or domain_errors(view)(request, *args, **kwargs)

    return wrapper


def signer(view: Callable) -> Callable:
    """Pages that sign for the actor's party (enterprise users and drivers)."""

    def wrapper(request, *args, **kwargs):
        refusal = _login_or_403(request, request.user.is_authenticated)
        if refusal is not None:
            return refusal
        try:
            services.acting_party_id(request.user)
        except NotPermitted as exc:
            raise PermissionDenied(str(exc.message)) from exc
        return domain_errors(view)(request, *args, **kwargs)

    return wrapper


# --- forms --------------------------------------------------------------------------------


def _choice_label(c: Container) -> str:
    return f"{c.code} · {c.get_kind_display()} · {c.stream} · {labels.mass_text(c.mass_kg)}"


class ContainerChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=Container.objects.none(), to_field_name="code", **kwargs)

    def label_from_instance(self, obj) -> str:
        return _choice_label(obj)


class ContainerFields(forms.Form):
    """A new container: register one, or one output lot of a transformation."""

    kind = forms.ChoiceField(label=gettext_lazy("容器类型"), choices=ContainerKind.choices)
    stream = forms.ModelChoiceField(
        label=gettext_lazy("废物类别"), queryset=WasteStream.objects.all(), empty_label=CHOOSE
    )
    waste_code = forms.CharField(
        label=gettext_lazy("废物代码"),
        max_length=16,
        required=False,
        help_text=gettext_lazy("如 900-041-49"),
    )
    mass_kg = forms.DecimalField(
        label=gettext_lazy("质量（千克）"), max_digits=14, decimal_places=3, min_value=0
    )
    description = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor


class OutputFields(ContainerFields):
    """An output row of the transform form: blank rows are ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["kind"].choices = [("", CHOOSE), *ContainerKind.choices]
        self.fields["kind"].initial = ContainerKind.LOT

    def clean(self):
        data = super().clean()
        if data.get("mass_kg") is not None:
            for name in ("kind", "stream"):
                if not data.get(name):
                    self.add_error(name, _("填写了质量的产出物须选择此项。"))
        return data


OutputFormSet = forms.formset_factory(
    OutputFields, extra=MAX_OUTPUTS, max_num=MAX_OUTPUTS, validate_max=True
)


class PackForm(forms.Form):
    children = ContainerChoices(label=gettext_lazy("装入的容器"))
    kind = forms.ChoiceField(
        label=gettext_lazy("上级容器类型"),
        choices=ContainerKind.choices,
        initial=ContainerKind.BIG_BOX,
    )
    description = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = held(actor, LIVE_STATES)


class UnpackForm(forms.Form):
    parent = forms.ModelChoiceField(
        label=gettext_lazy("上级容器"), queryset=Container.objects.none(), to_field_name="code"
    )
    children = CodesField(
        label=gettext_lazy("拆出的容器"),
        required=False,
        help_text=gettext_lazy("每行一个追溯码；不填则全部拆出。"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        inside = Container.objects.filter(parent=OuterRef("pk"))
        field = self.fields["parent"]
        field.queryset = held(actor, LIVE_STATES).filter(Exists(inside))
        field.label_from_instance = _choice_label
        field.empty_label = CHOOSE


class TransformForm(forms.Form):
    inputs = ContainerChoices(label=gettext_lazy("投入的容器"))
    method = forms.ModelChoiceField(
        label=gettext_lazy("利用处置方式"),
        queryset=TreatmentMethod.objects.all(),
        empty_label=CHOOSE,
    )
    facility = forms.ModelChoiceField(
        label=gettext_lazy("利用处置设施"), queryset=Facility.objects.none(), required=False
    )
    loss_kg = forms.DecimalField(
        label=gettext_lazy("损耗（千克）"),
        max_digits=14,
        decimal_places=3,
        initial=0,
        help_text=gettext_lazy("水分、燃烧、粉尘等；投入 = 产出 + 损耗，误差不超过 0.5%。"),
    )
    loss_note = forms.CharField(label=gettext_lazy("损耗说明"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inputs"].queryset = held(
            actor, (ContainerState.STORED, ContainerState.TREATED)
        )
        self.fields["facility"].queryset = Facility.objects.filter(site__party_id=actor.party_id)


def submit(form: forms.Form, call: Callable):
    """``call()``, with a service's ``Invalid`` put on the form's fields; None on refusal."""
    try:
        return call()
    except Invalid as exc:
        add_errors(form, exc.errors)
        return None


def _form_page(request, template: str, title, **context):
    return render(request, f"trace/containers/{template}", {"title": title, **context})


# --- views --------------------------------------------------------------------------------


@viewer
def container_list_view(request):
    actor = request.user
    rows = container_list(actor=actor)
    filters = bind_filters(SimpleNamespace(filterset=ContainerFilterSet), request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=_("容器/批次"),
            columns=COLUMNS,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in filters.active()],
        )
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(COLUMNS, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": paginator,
        "can_sign": getattr(actor, "party_id", None) is not None
        and may(actor, Action.ADD, Container),
    }
    partial = request.htmx and not request.htmx.boosted
    template = "core/_list_results.html" if partial else "trace/containers/list.html"
    return render(request, template, context)


def _done(request, message: str, created) -> HttpResponse:
    messages.success(request, message)
    return redirect(sheet_url([c.code for c in created]))


@signer
def register_view(request):
    form = ContainerFields(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        container = submit(
            form,
            lambda: services.container_register(
                actor=request.user, spec=spec_of(form.cleaned_data)
            ),
        )
        if container is not None:
            return _done(
                request, _("已登记 %(code)s，可打印标签。") % {"code": container.code}, [container]
            )
    return _form_page(request, "form.html", _("登记容器"), form=form)


@signer
def pack_view(request):
    form = PackForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = submit(
            form,
            lambda: services.containers_pack(
                actor=request.user,
                children=[c.code for c in data["children"]],
                kind=data["kind"],
                description=data["description"],
            ),
        )
        if parent is not None:
            message = _("已装入 %(code)s（%(n)s 件）。") % {
                "code": parent.code,
                "n": len(data["children"]),
            }
            return _done(request, message, [parent])
    return _form_page(request, "form.html", _("装箱（小箱进大箱）"), form=form)


@signer
def unpack_view(request):
    form = UnpackForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        taken = submit(
            form,
            lambda: services.containers_unpack(
                actor=request.user,
                parent=data["parent"].code,
                children=data["children"] or None,
            ),
        )
        if taken is not None:
            messages.success(
                request,
                _("已从 %(parent)s 拆出 %(codes)s。")
                % {"parent": data["parent"].code, "codes": "、".join(c.code for c in taken)},
            )
            return redirect(url("list"))
    return _form_page(request, "form.html", _("拆箱"), form=form)


def _outputs(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data.get("mass_kg") is not None]


@signer
def transform_view(request):
    actor = request.user
    form = TransformForm(request.POST or None, actor=actor)
    outputs = OutputFormSet(request.POST or None, prefix="out")
    if request.method == "POST" and form.is_valid() and outputs.is_valid():
        data = form.cleaned_data
        made = submit(
            form,
            lambda: services.containers_transform(
                actor=actor,
                inputs=[c.code for c in data["inputs"]],
                outputs=[
                    spec_of(o, field_prefix=f"outputs.{i}.")
                    for i, o in enumerate(_outputs(outputs))
                ],
                loss_kg=data["loss_kg"],
                method=data["method"],
                facility=data["facility"],
                loss_note=data["loss_note"],
            ),
        )
        if made is not None:
            message = _("已转化为 %(codes)s。") % {"codes": "、".join(c.code for c in made)}
            return _done(request, message, made)
    title = _("转化（利用处置产出）")
    return _form_page(request, "transform.html", title, form=form, outputs=outputs)


class LabelPickForm(forms.Form):
    codes = ContainerChoices(label=gettext_lazy("本单位的容器"), required=False)
    typed = CodesField(label=gettext_lazy("或输入追溯码"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"].queryset = held(actor)[:200]


def _labels(request, code_list) -> list[labels.Label]:
    """The labels named, or 404 when a code is unknown or not the actor's to see."""
    try:
        return labels.labels_for(actor=request.user, code_list=code_list, request=request)
    except Invalid as exc:
        raise Http404(str(exc.message)) from exc


@viewer
def labels_view(request):
    """Without codes: pick containers. With ``?codes=``: the printable A4 sheet(s)."""
    code_list = requested_codes(request.GET) + requested_codes(_typed(request))
    form = LabelPickForm(actor=request.user)
    if not code_list:
        return _form_page(request, "labels_pick.html", _("打印标签"), form=form)
    try:
        rows = labels.labels_for(actor=request.user, code_list=code_list, request=request)
    except Invalid as exc:
        errors = [e.message for e in exc.errors]
        return _form_page(request, "labels_pick.html", _("打印标签"), form=form, errors=errors)
    pages = [
        {"svg": mark_safe(svg), "number": n}  # noqa: S308 - every text in it is escaped
        for n, svg in enumerate(labels.sheets(rows), start=1)
    ]
    return render(
        request,
        "trace/containers/labels.html",
        {
            "rows": rows,
            "pages": pages,
            "codes": ",".join(r.code for r in rows),
            "title": _("标签"),
        },
    )


def _typed(request):
    query = request.GET.copy()
    query.setlist("codes", query.getlist("typed"))
    return query


@viewer
def label_svg_view(request):
    """One page of the sheet as an SVG file (for label printers' own software)."""
    pages = labels.sheets(_labels(request, requested_codes(request.GET)))
    number, svg = labels.page_of(pages, request.GET.get("page"))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="labels-{number}.svg"'
    return response


@viewer
def qr_pdf_view(request, code: str):
    """The QR code of one container as a PDF."""
    (label,) = _labels(request, [code])
    response = HttpResponse(labels.qr_pdf(label.url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{label.code}.pdf"'
    return response
