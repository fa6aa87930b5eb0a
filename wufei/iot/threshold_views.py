"""The alert thresholds page: every threshold with its value, default and bounds, and for
officials who may change them, a form per row that calls ``threshold_set``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.alerts.models import Alert
from wufei.core.errors import Invalid
from wufei.core.forms import add_errors
from wufei.core.pages import domain_errors, require
from wufei.iot.models import Threshold
from wufei.iot.thresholds import SPEC_BY_KEY, SPECS, may_set_thresholds, threshold_set


class ThresholdForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("取值"), max_length=20)


def _rows(bound_key: str = "", bound: ThresholdForm | None = None) -> list[dict]:
    rows = {t.key: t for t in Threshold.objects.select_related("updated_by")}
    out = []
    for spec in SPECS:
        row = rows.get(spec.key)
        value = row.value.normalize() if row is not None else spec.default
        form = bound if spec.key == bound_key and bound is not None else None
        out.append(
            {
                "spec": spec,
                "value": value,
                "changed": row is not None and row.value != spec.default,
                "row": row,
                "form": form or ThresholdForm(initial={"value": value}, prefix=spec.key),
            }
        )
    return out


def _page(request, rows: list[dict], status: int = 200):
    context = {"rows": rows, "editable": may_set_thresholds(request.user)}
    return render(request, "iot/thresholds.html", context, status=status)


@domain_errors
def threshold_list(request):
    # the thresholds shape the alerts: shown to whoever may see alerts (not the public)
    refusal = require(request, Action.VIEW, Alert)
    if refusal is not None:
        return refusal
    return _page(request, _rows())


@require_POST
@domain_errors
def threshold_edit(request, key: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if key not in SPEC_BY_KEY:
        raise Http404(_("没有这个阈值参数。"))
    form = ThresholdForm(request.POST, prefix=key)
    if form.is_valid():
        try:
            threshold_set(actor=request.user, key=key, value=form.cleaned_data["value"])
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(
                request,
                _("已修改：%(label)s，下一轮检查起生效。") % {"label": SPEC_BY_KEY[key].label},
            )
            return redirect("iot:thresholds")
    return _page(request, _rows(key, form), status=400)
