"""Forms of the inspection pages: they parse input for one service each; the services
validate (the same refusals and codes as the API) and the errors come back onto the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.cases.models import (
    Campaign,
    DumpSite,
    DumpSiteKind,
    DumpSiteState,
    Inspection,
    Severity,
)
from wufei.cases.selectors import campaign_list
from wufei.core.forms import ServiceForm
from wufei.registry.models import Region


class CampaignForm(ServiceForm):
    class Meta:
        model = Campaign
        fields = ["name", "region", "starts_on", "ends_on", "lead", "description"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        regions = Region.objects.filter(level__in=("city", "county", "zone"))
        if getattr(actor, "region", None) is not None:  # a county official: the county only
            regions = regions.filter(path__startswith=actor.region.path)
        self.fields["region"].queryset = regions.order_by("adcode")


class InspectionForm(ServiceForm):
    """Step one on the phone: where, with which checklist, when and who."""

    class Meta:
        model = Inspection
        fields = ["campaign", "site", "dump_site", "checklist", "inspected_on", "inspectors"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["checklist"].queryset = self.fields["checklist"].queryset.filter(is_active=True)
        # County officials take part in the city's campaigns, which their row scope hides.
        self.fields["campaign"].queryset = campaign_list(actor=actor)
        self.fields["inspectors"].widget.attrs["placeholder"] = _("如：张三、李四")


class OrderForm(forms.Form):
    requirement = forms.CharField(
        label=_("整改要求"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    issued_on = forms.DateField(label=_("下达日期"), widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}))


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class ReinspectionForm(forms.Form):
    inspected_on = forms.DateField(
        label=_("复查日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    inspectors = forms.CharField(label=_("复查人员"), max_length=120)
    passed = forms.TypedChoiceField(
        label=_("复查结论"),
        choices=(("1", _("通过")), ("0", _("未通过"))),
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    new_deadline = forms.DateField(
        label=_("新的整改期限（未通过时）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("复查意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(
        label=_("照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class DumpSiteForm(ServiceForm):
    class Meta:
        model = DumpSite
        fields = [
            "kind",
            "name",
            "region",
            "address",
            "lon",
            "lat",
            "area_m2",
            "volume_m3",
            "waste",
            "party",
            "found_on",
            "note",
        ]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["kind"].choices = DumpSiteKind.choices
        self.fields["region"].queryset = Region.objects.exclude(level="city").order_by("path")


class MoveForm(forms.Form):
    state = forms.ChoiceField(label=_("新状态"), choices=DumpSiteState.choices)
    on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class RegisterFromFindingForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=DumpSiteKind.choices)


SEVERITY_CHOICES = Severity.choices
