"""Bulletin pages: the office's list of drafts and published issues, the compose/edit form
(articles in the order of their order field, a data-section picker), the preview in the
layout of seed 004, publish, the .docx download, and the public list and detail (no login)
of published issues. Thin: the forms parse, ``wufei.plan.bulletins`` acts."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import Invalid, WufeiError
from wufei.plan import bulletins as service
from wufei.plan.bulletin_docx import bulletin_docx, filename
from wufei.plan.choices import ArticleKind, BulletinStatus
from wufei.plan.models import Bulletin

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BulletinForm(forms.Form):
    number = forms.IntegerField(
        label=gettext_lazy("期号"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("留空则取下一期。"),
    )
    issued_on = forms.DateField(
        label=gettext_lazy("印发日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_start = forms.DateField(
        label=gettext_lazy("数据期起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("留空则取印发日期的上一个月。"),
    )
    period_end = forms.DateField(
        label=gettext_lazy("数据期止"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    send_to = forms.CharField(label=gettext_lazy("报"), max_length=200, required=False)
    copy_to = forms.CharField(label=gettext_lazy("发"), max_length=200, required=False)


SECTION_CHOICES = [("", "—"), *((k, f"{v}（{k}）") for k, v in service.SECTION_TITLES.items())]


class ArticleForm(forms.Form):
    order = forms.IntegerField(label=gettext_lazy("顺序"), min_value=1, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("栏目"), choices=ArticleKind.choices)
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120, required=False)
    body = forms.CharField(
        label=gettext_lazy("正文"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    data_section = forms.ChoiceField(
        label=gettext_lazy("数据专栏"), choices=SECTION_CHOICES, required=False
    )
    in_contents = forms.BooleanField(
        label=gettext_lazy("列入本期要目"), required=False, initial=True
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("title") or data.get("body") or data.get("data_section"))


ArticleFormSet = forms.formset_factory(ArticleForm, extra=3, can_delete=True)


def _kept(formset) -> list[tuple[int, dict]]:
    """(position on the page, data) of the kept, non-blank articles, sorted by their order
    field; articles without an order go last, in the order they stand on the page."""
    kept = [
        (f.cleaned_data.get("order") or 10_000 + i, i, f.cleaned_data)
        for i, f in enumerate(formset.forms)
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and not f.is_blank()
    ]
    return [(i, data) for _order, i, data in sorted(kept, key=lambda row: row[:2])]


def _articles_in_order(kept: list[tuple[int, dict]]) -> list[service.ArticleInput]:
    return [
        service.ArticleInput(
            kind=d["kind"],
            title=d["title"],
            body=d["body"],
            data_section=d["data_section"],
            in_contents=d["in_contents"],
        )
        for _i, d in kept
    ]


def _initial(bulletin: Bulletin | None) -> tuple[dict, list[dict]]:
    if bulletin is None:
        today = timezone.localdate()
        return {
            "issued_on": today,
            "send_to": service.SEND_TO,
            "copy_to": service.COPY_TO,
            "number": service.next_number(),
        }, []
    head = {
        name: getattr(bulletin, name)
        for name in ("number", "issued_on", "period_start", "period_end", "send_to", "copy_to")
    }
    articles = [
        {
            "order": a.order,
            "kind": a.kind,
            "title": a.title,
            "body": a.body,
            "data_section": a.data_section,
            "in_contents": a.in_contents,
        }
        for a in bulletin.articles.order_by("order")
    ]
    return head, articles


def _officials_only(request):
    if may(request.user, Action.VIEW, Bulletin) and request.user.is_authenticated:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def _get(request, pk: int) -> Bulletin:
    try:
        return service.bulletin_get(actor=request.user, pk=pk)
    except WufeiError as exc:
        raise Http404(str(exc.message)) from exc


def bulletin_list(request):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    rows = service.bulletin_list(actor=request.user).order_by("-number")
    status = request.GET.get("status", "")
    if status in BulletinStatus.values:
        rows = rows.filter(status=status)
    page_obj = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "plan/bulletins/list.html",
        {
            "page_obj": page_obj,
            "status": status,
            "statuses": BulletinStatus.choices,
            "can_compose": service.may_compose(request.user),
        },
    )


def _apply_errors(exc: Invalid, form, formset, positions: list[int]) -> None:
    """Put each service error on its field: ``articles.<i>.<field>`` on the i-th kept form."""
    for error in exc.errors:
        name = error.field or ""
        if name.startswith("articles."):
            _prefix, index, field = [*name.split("."), ""][:3]
            target = formset.forms[positions[int(index)]] if int(index) < len(positions) else None
            if target is not None:
                target.add_error(field if field in target.fields else None, error.message)
                continue
        form.add_error(name if name in form.fields else None, error.message)


def bulletin_compose(request, pk: int | None = None):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    bulletin = _get(request, pk) if pk is not None else None
    if not service.may_compose(request.user, bulletin):
        raise PermissionDenied(_("您无权编辑此简报，或简报已印发。"))
    head, articles = _initial(bulletin)
    if request.method == "POST":
        form = BulletinForm(request.POST)
        formset = ArticleFormSet(request.POST, prefix="articles")
        if form.is_valid() and formset.is_valid():
            data, kept = form.cleaned_data, _kept(formset)
            try:
                saved = service.bulletin_compose(
                    actor=request.user,
                    bulletin=bulletin,
                    now=timezone.now(),
                    data=service.BulletinInput(
                        number=data["number"],
                        issued_on=data["issued_on"],
                        period_start=data["period_start"],
                        period_end=data["period_end"],
                        send_to=data["send_to"],
                        copy_to=data["copy_to"],
                        articles=_articles_in_order(kept),
                    ),
                )
            except Invalid as exc:
                _apply_errors(exc, form, formset, [i for i, _data in kept])
            else:
                messages.success(request, _("简报已保存，数据专栏已按数据期更新。"))
                return redirect("bulletins:detail", pk=saved.pk)
    else:
        form = BulletinForm(initial=head)
        formset = ArticleFormSet(initial=articles, prefix="articles")
    return render(
        request,
        "plan/bulletins/form.html",
        {"form": form, "formset": formset, "bulletin": bulletin},
    )


def _paper(bulletin: Bulletin) -> dict:
    articles = list(bulletin.articles.order_by("order"))
    return {
        "bulletin": bulletin,
        "entries": service.contents(bulletin, articles),
        "articles": [a for a in articles if a.kind != ArticleKind.BRIEF],
        "briefs": [a for a in articles if a.kind == ArticleKind.BRIEF],
    }


def bulletin_detail(request, pk: int):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    bulletin = _get(request, pk)
    can_edit = service.may_compose(request.user, bulletin)
    return render(
        request,
        "plan/bulletins/detail.html",
        {
            **_paper(bulletin),
            "can_edit": can_edit,
            "publish_errors": service.publish_errors(bulletin) if can_edit else [],
        },
    )


@require_POST
def bulletin_publish(request, pk: int):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    bulletin = _get(request, pk)
    try:
        service.bulletin_publish(actor=request.user, bulletin=bulletin, now=timezone.now())
    except WufeiError as exc:
        if exc.status == 403:
            raise PermissionDenied(str(exc.message)) from exc
        for error in exc.errors:
            messages.error(request, error.message)
    else:
        messages.success(request, _("简报已印发，并已在公开页面发布。"))
    return redirect("bulletins:detail", pk=bulletin.pk)


@require_POST
def bulletin_delete(request, pk: int):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    bulletin = _get(request, pk)
    try:
        service.bulletin_delete(actor=request.user, bulletin=bulletin)
    except WufeiError as exc:
        if exc.status == 403:
            raise PermissionDenied(str(exc.message)) from exc
        messages.error(request, str(exc.message))
        return redirect("bulletins:detail", pk=bulletin.pk)
    messages.success(request, _("草稿已删除。"))
    return redirect("bulletins:list")


def _docx_response(bulletin: Bulletin) -> HttpResponse:
    response = HttpResponse(bulletin_docx(bulletin), content_type=DOCX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"bulletin-{bulletin.number}.docx\"; filename*=UTF-8''"
        + quote(filename(bulletin))
    )
    return response


def bulletin_download(request, pk: int):
    refusal = _officials_only(request)
    if refusal is not None:
        return refusal
    return _docx_response(_get(request, pk))


# --- public pages (no login): published issues only --------------------------------------


def _published(number: int) -> Bulletin:
    bulletin = service.published_list().filter(number=number).first()
    if bulletin is None:
        raise Http404(_("该期简报不存在或尚未印发。"))
    return bulletin


def public_list(request):
    page_obj = Paginator(service.published_list(), 30).get_page(request.GET.get("page"))
    return render(request, "plan/bulletins/public_list.html", {"page_obj": page_obj})


def public_detail(request, number: int):
    bulletin = _published(number)
    context = {**_paper(bulletin), "docx_url": reverse("public-bulletins:docx", args=[number])}
    return render(request, "plan/bulletins/public_detail.html", context)


def public_download(request, number: int):
    return _docx_response(_published(number))
