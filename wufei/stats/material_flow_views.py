"""The material flows page: period, county and grouping; the sankey, its nodes' tonnes, and
the reconciliation of declared and manifested hazardous waste (with its Excel export).
Thin: ``wufei.stats.material_flows`` computes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.export import Column, xlsx_response
from wufei.core.pages import domain_errors
from wufei.registry.models import Region
from wufei.stats import material_flows as flows

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_MONTHS = 120
LEVELS = {
    0: gettext_lazy("产生来源"),
    1: gettext_lazy("废物类别"),
    2: gettext_lazy("去向"),
}


class FlowsForm(forms.Form):
    """A year, or a span of months (``start``/``end`` as YYYY-MM); a county; the grouping."""

    year = forms.IntegerField(
        label=gettext_lazy("年份"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False
    )
    start = forms.DateField(
        label=gettext_lazy("起始月份"),
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    end = forms.DateField(
        label=gettext_lazy("截止月份"),
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    region = forms.ChoiceField(label=gettext_lazy("区县"), required=False)
    by = forms.ChoiceField(label=gettext_lazy("来源分组"), choices=flows.BY_CHOICES, required=False)

    def __init__(self, data, *, actor):
        super().__init__(data)
        self.counties = {r.adcode: r for r in flows.county_choices(actor)}
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)  # noqa: S101
        region.choices = [("", _("全部（本账号范围）"))] + [
            (code, r.name) for code, r in self.counties.items()
        ]

    def clean(self):
        data: dict = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise ValidationError(_("请同时填写起始月份和截止月份。"), code="period_incomplete")
        if start and end:
            if start > end:
                raise ValidationError(_("起始月份不能晚于截止月份。"), code="period_order")
            if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
                raise ValidationError(
                    _("统计期不能超过 %(n)s 个月。") % {"n": MAX_MONTHS}, code="period_too_long"
                )
        else:
            year = data.get("year") or timezone.localdate().year
            data["year"] = year
            data["start"], data["end"] = dt.date(year, 1, 1), dt.date(year, 12, 1)
        data["year"] = data.get("year") or data["end"].year
        data["by"] = data.get("by") or flows.BY_COUNTY
        data["county"] = self.counties.get(data.get("region") or "")
        return data


def _refusal(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if role_of(request.user) != Role.ENTERPRISE and not flows.may_view_flows(request.user):
        raise PermissionDenied(_("您无权访问此页面。"))
    return None


def _tonnes(value):
    return value if value is not None else ""


RECONCILIATION = (
    Column(gettext_lazy("单位"), lambda r: r.party.name, width=36),
    Column(gettext_lazy("发现"), "finding_label", width=18),
    Column(gettext_lazy("差额（吨）"), "tonnes", numeric=True),
    Column(gettext_lazy("涉及联单数"), "manifests", numeric=True),
    Column(
        gettext_lazy("申报产生量（吨）"),
        lambda r: _tonnes(r.party.declared_generated),
        numeric=True,
    ),
    Column(
        gettext_lazy("申报转移量（吨）"),
        lambda r: _tonnes(r.party.declared_transferred),
        numeric=True,
    ),
    Column(gettext_lazy("联单起运量（吨）"), lambda r: r.party.picked_up, numeric=True),
    Column(gettext_lazy("接收量（吨）"), lambda r: r.party.received, numeric=True),
    Column(gettext_lazy("超时在途（吨）"), lambda r: r.party.in_transit, numeric=True),
    Column(gettext_lazy("磅差短少（吨）"), lambda r: r.party.short, numeric=True),
)


@domain_errors
def flows_page(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    actor = request.user
    form = FlowsForm(request.GET, actor=actor)
    context: dict = {"form": form, "levels": LEVELS}
    if form.is_valid():
        data = form.cleaned_data
        county: Region | None = data["county"]
        rows = flows.missing_tonnes(actor, data["year"], county)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                title=_("危险废物申报与联单核对（%(year)s年）") % {"year": data["year"]},
                columns=RECONCILIATION,
                rows=rows,
                filters=[
                    (_("年份"), str(data["year"])),
                    (_("区县"), county.name if county else _("全部")),
                ],
            )
        if flows.may_view_flows(actor):
            chart = flows.sankey(actor, data["start"], data["end"], county, data["by"])
            context.update(chart=chart, chart_data=chart.echarts())
        context.update(
            rows=rows,
            year=data["year"],
            start=data["start"],
            end=data["end"],
            county=county,
            export_query=request.GET.urlencode(),
        )
    return render(request, "stats/flows/page.html", context)
