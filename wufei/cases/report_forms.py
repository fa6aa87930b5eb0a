"""Forms of the report pages: they parse input for one service each (the services check and
refuse with the same codes as the API), plus the officials' list filters."""

from __future__ import annotations

from typing import cast

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.models import Department
from wufei.cases.human_check import HumanCheckMixin
from wufei.cases.models import Report, ReportKind, ReportStage
from wufei.cases.reports import ADDRESS_MAX, COMMENT_MAX, DESCRIPTION_MAX, NOTE_MAX, overdue_q
from wufei.registry.choices import RegionLevel
from wufei.registry.filtersets import SearchFilter
from wufei.registry.models import Party, Region

PHOTO_ACCEPT = "image/jpeg,image/png"


class PublicReportForm(HumanCheckMixin):
    """The resident's phone form. Every field is optional here: the service says what is
    missing, with the same codes as the API; the form only adds the human check."""

    kind = forms.ChoiceField(
        label=_("问题类型"), choices=ReportKind.choices, required=False, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("问题描述"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": DESCRIPTION_MAX,
                "placeholder": _("看到了什么？大概多少？持续多久了？"),
            }
        ),
    )
    photo = forms.FileField(
        label=_("现场照片（JPG/PNG，不超过 5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
    )
    lon = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-lon": ""}))
    lat = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-lat": ""}))
    address = forms.CharField(
        label=_("位置描述"),
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": ADDRESS_MAX, "placeholder": _("如：某某路与某某街交叉口东北角")}
        ),
    )
    contact = forms.CharField(
        label=_("手机号（选填，便于回访）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def service_data(self) -> dict:
        return {
            name: self.data.get(name, "")
            for name in ("kind", "description", "lon", "lat", "address", "contact")
        }


class FollowLookupForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("评价意见（选填）"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- officials ---------------------------------------------------------------------------------


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.order_by("code"), required=False
    )
    party = forms.ModelChoiceField(
        label=_("承办单位（选填）"), queryset=Party.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("派单说明"), required=False, max_length=NOTE_MAX, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, report: Report, **kwargs):
        kwargs.setdefault("initial", {"department": report.department_id})
        super().__init__(*args, **kwargs)
        county = report.region.county or report.region
        above = [p for p in county.path.split("/") if p]
        # Who can do the work: the sanitation company (collector/transporter), a community.
        workers = Q(is_collector=True) | Q(is_transporter=True) | Q(is_community=True)
        party = cast(forms.ModelChoiceField, self.fields["party"])
        party.queryset = (
            Party.objects.filter(workers, is_active=True)
            .filter(Q(region__path__startswith=county.path) | Q(region__adcode__in=above))
            .order_by("-is_collector", "name")
        )
        party.empty_label = _("—— 不指定 ——")


class HandleForm(forms.Form):
    note = forms.CharField(label=_("处置情况"), required=False, widget=forms.Textarea({"rows": 3}))
    photo = forms.FileField(
        label=_("处置后照片（JPG/PNG，不超过 5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("答复内容（举报人可见）"), required=False, widget=forms.Textarea({"rows": 3})
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不予受理理由（举报人可见）"),
        required=False,
        widget=forms.Textarea({"rows": 2, "placeholder": _("如：重复举报；不属于本平台受理范围")}),
    )


def county_choices() -> list[tuple[str, str]]:
    return list(
        Region.objects.filter(level__in=(RegionLevel.COUNTY, RegionLevel.ZONE))
        .order_by("adcode")
        .values_list("adcode", "name")
    )


class ReportFilterSet(df.FilterSet):
    q = SearchFilter("code", "description", "address")
    stage = df.ChoiceFilter(label=_("办理环节"), choices=ReportStage.choices)
    kind = df.ChoiceFilter(label=_("问题类型"), choices=ReportKind.choices)
    county = df.ChoiceFilter(label=_("县（市、区）"), choices=county_choices, method="by_county")
    overdue = df.BooleanFilter(label=_("已超时"), method="by_overdue")
    escalated = df.BooleanFilter(label=_("已督办"), method="by_escalated")

    class Meta:
        model = Report
        fields = ["q", "stage", "kind", "county", "overdue", "escalated"]

    def by_county(self, queryset, name, value: str):
        region = Region.objects.filter(adcode=value).first()
        if region is None:
            return queryset.none()
        return queryset.filter(region__path__startswith=region.path)

    def by_overdue(self, queryset, name, value: bool | None):
        if value is None:
            return queryset
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def by_escalated(self, queryset, name, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(escalations__gt=0) if value else queryset.filter(escalations=0)
